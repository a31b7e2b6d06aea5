#!/usr/bin/python3
"""Prometheus metrics (--metrics-listen, docs/operations.md): both daemons
serve GET /metrics, and what it says is checked against what this test did,
counted here: the calls made and their codes, connections, TLS handshakes
(full, resumed, refused for each reason), keepalive PINGs, the storage
channel's state before and after storage is killed, the database's lookups.
Every answer is parsed with the exposition-format parser of Debian's
python3-prometheus-client, which rejects a malformed line.
storage-backends: sqlite postgresql"""
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import harness  # noqa: E402
from harness import T, ROOT  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

import grpc  # noqa: E402

api_pb2, api_pb2_grpc = harness.stubs()
t = T()
t.require_bins()
PROD = "api.ProdService"


def scrape(port):
    """{(name, frozenset(labels)): value} of one GET /metrics, and the
    families' types; a parse error is a failure of the check that called."""
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
        ctype = r.headers.get("Content-Type", "")
        text = r.read().decode()
    samples, types = {}, {}
    for fam in text_string_to_metric_families(text):
        types[fam.name] = fam.type
        for s in fam.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return samples, types, ctype, text


def value(samples, name, **labels):
    """The sample whose labels include these (summed over the rest)."""
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and want <= set(ls))


def method(m):
    return {"grpc_service": PROD, "grpc_method": m}


# --- plaintext: calls by method and code, histograms, in flight, storage ---
sp, gp = harness.free_port(), harness.free_port()
storage = t.start_storage("--metrics-listen", "127.0.0.1:%d" % sp)
gw = t.start_gateway(storage.port, "--metrics-listen", "127.0.0.1:%d" % gp, "--workers", "2",
                     "--keepalive-ms", "300", "--keepalive-min-ms", "100")
t.wait_log(gw, r"storage 127\.0\.0\.1:%d is READY" % storage.port, "the gateway's storage is READY")

try:
    s, types, ctype, text = scrape(gp)
    t.ok("the gateway's /metrics parses as Prometheus text exposition")
except Exception as e:  # the parser's error is the finding
    t.bail("the gateway's /metrics does not parse: %r" % e)
t.check(ctype.startswith("text/plain; version=0.0.4"), "Content-Type is the text format 0.0.4", ctype)
for name, typ in [("grpc_server_handled", "counter"), ("grpc_server_handling_seconds", "histogram"),
                  ("grpc_server_calls_in_flight", "gauge"), ("grpc_server_connections", "gauge"),
                  ("grpc_server_tls_handshakes", "counter"),
                  ("grpc_server_tls_handshake_failures", "counter"),
                  ("grpc_server_keepalive_pings", "counter"), ("grpc_server_received_bytes", "counter"),
                  ("gateway_storage_channel_state", "gauge"), ("process_resident_memory_bytes", "gauge")]:
    t.check_eq(types.get(name), typ, "family %s is a %s" % (name, typ))
before = s

ch = grpc.insecure_channel("127.0.0.1:%d" % gw.port)
stub = api_pb2_grpc.ProdServiceStub(ch)
OK_TYPES, BAD_TYPES, OK_PRODS, BAD_PRODS = 5, 2, 3, 1
for _ in range(OK_TYPES):
    stub.GetVendorProdTypes(api_pb2.ClientRequestType(vendor="aws"), timeout=10)
for _ in range(BAD_TYPES):
    try:
        stub.GetVendorProdTypes(api_pb2.ClientRequestType(vendor="nosuch"), timeout=10)
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, e
streamed = 0
for _ in range(OK_PRODS):
    streamed += len(list(stub.GetVendorProds(
        api_pb2.ClientRequestProds(vendor="aws", productType="compute"), timeout=10)))
for _ in range(BAD_PRODS):
    try:
        list(stub.GetVendorProds(api_pb2.ClientRequestProds(vendor="aws", productType="nosuch"),
                                 timeout=10))
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, e
ch.close()
time.sleep(0.3)

s, _, _, _ = scrape(gp)
types_m, prods_m = method("GetVendorProdTypes"), method("GetVendorProds")
t.check_eq(value(s, "grpc_server_started_total", **types_m), OK_TYPES + BAD_TYPES,
           "GetVendorProdTypes: started counts every call, across 2 workers")
t.check_eq(value(s, "grpc_server_handled_total", grpc_code="OK", **types_m), OK_TYPES,
           "GetVendorProdTypes: handled OK")
t.check_eq(value(s, "grpc_server_handled_total", grpc_code="InvalidArgument", **types_m), BAD_TYPES,
           "GetVendorProdTypes: handled InvalidArgument")
t.check_eq(value(s, "grpc_server_handled_total", grpc_code="OK", **prods_m), OK_PRODS,
           "GetVendorProds: handled OK")
t.check_eq(value(s, "grpc_server_handled_total", grpc_code="InvalidArgument", **prods_m), BAD_PRODS,
           "GetVendorProds: handled InvalidArgument")
t.check_eq(value(s, "grpc_server_msg_sent_total", **prods_m), streamed,
           "GetVendorProds: messages sent = products the client read (%d)" % streamed)
t.check_eq(value(s, "grpc_server_handled_total", grpc_type="server_stream", **prods_m),
           OK_PRODS + BAD_PRODS, "GetVendorProds is labelled grpc_type=server_stream")
t.check_eq(value(s, "grpc_server_calls_in_flight", **types_m) + value(s, "grpc_server_calls_in_flight", **prods_m),
           0, "no ProdService call in flight after they all returned")
t.check_eq(value(s, "grpc_server_handling_seconds_count", **types_m), OK_TYPES + BAD_TYPES,
           "the latency histogram counts every GetVendorProdTypes")
inf = value(s, "grpc_server_handling_seconds_bucket", le="+Inf", **prods_m)
buckets = sorted(((float(dict(ls)["le"]), v) for (n, ls), v in s.items()
                  if n == "grpc_server_handling_seconds_bucket" and set(prods_m.items()) <= set(ls)))
t.check(all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:])) and inf == OK_PRODS + BAD_PRODS,
        "GetVendorProds' buckets are cumulative and +Inf holds every call", buckets)
t.check(value(s, "grpc_server_handling_seconds_sum", **prods_m) > 0, "latency sum is above zero")
t.check(value(s, "grpc_server_received_bytes_total") > value(before, "grpc_server_received_bytes_total")
        and value(s, "grpc_server_sent_bytes_total") > value(before, "grpc_server_sent_bytes_total"),
        "bytes in and out grew")
t.check(value(s, "grpc_server_connections_accepted_total", transport="plaintext") >= 1,
        "a plaintext connection was accepted")
t.check_eq(value(s, "grpc_c_embedded_workers"), 2, "both workers report")

# a device that stays connected and quiet gets the gateway's keepalive PINGs
rc, out, err, _ = t.client("--repeat", "2", "--every", "1200", "--stats", "getprodtypes", "aws",
                           port=gw.port)
t.check(rc == 0, "a device makes 2 calls 1.2 s apart on one connection", err)
s, _, _, _ = scrape(gp)
t.check(value(s, "grpc_server_keepalive_pings_total", direction="sent") >= 1,
        "keepalive PINGs sent are counted (--keepalive-ms 300 over a 1.2 s pause)",
        value(s, "grpc_server_keepalive_pings_total", direction="sent"))

st_samples, _, _, _ = scrape(sp)
backend = "postgresql" if os.environ.get("TEST_STORAGE_BACKEND") == "postgresql" else "sqlite"
st_calls = value(st_samples, "grpc_server_handled_total", grpc_service="api.StorageService",
                 grpc_method="GetProdsDetail")
t.check_eq(st_calls, OK_PRODS + BAD_PRODS, "storage handled one GetProdsDetail per GetVendorProds")
t.check_eq(value(st_samples, "storage_db_query_seconds_count", backend=backend), OK_PRODS + BAD_PRODS,
           "storage_db_query_seconds counts each lookup, backend=%s" % backend)
t.check_eq(value(s, "gateway_storage_channel_state", state="READY",
                 address="127.0.0.1:%d" % storage.port), 2,
           "both workers' storage channels are READY")
t.check_eq(value(s, "gateway_storage_serving", address="127.0.0.1:%d" % storage.port), 2,
           "both workers see the storage SERVING")

storage.stop()
end = time.monotonic() + 5
while time.monotonic() < end:
    s, _, _, _ = scrape(gp)
    if value(s, "gateway_storage_serving") == 0 and \
            value(s, "gateway_storage_channel_state", state="READY") == 0:
        break
    time.sleep(0.2)
t.check_eq((value(s, "gateway_storage_serving"), value(s, "gateway_storage_channel_state", state="READY")),
           (0, 0), "with storage killed, no worker's channel is READY or serving")

try:
    urllib.request.urlopen("http://127.0.0.1:%d/other" % gp, timeout=5)
    t.not_ok("another path is 404")
except urllib.error.HTTPError as e:
    t.check_eq(e.code, 404, "another path is 404")
req = urllib.request.Request("http://127.0.0.1:%d/metrics" % gp, data=b"x", method="POST")
try:
    urllib.request.urlopen(req, timeout=5)
    t.not_ok("POST /metrics is 405")
except urllib.error.HTTPError as e:
    t.check_eq(e.code, 405, "POST /metrics is 405")
# a worker that dies leaves the gauges (its counters stay in the totals)
kids = subprocess.run(["pgrep", "-P", str(gw.proc.pid)], capture_output=True, text=True).stdout.split()
t.check_eq(len(kids), 2, "the gateway runs 2 worker processes")
handled_before = value(s, "grpc_server_handled_total", **types_m)
if kids:
    os.kill(int(kids[0]), signal.SIGKILL)
end = time.monotonic() + 5
while time.monotonic() < end:
    try:  # a scrape queued at the dead worker's listener is reset
        s, _, _, _ = scrape(gp)
    except OSError:
        time.sleep(0.1)
        continue
    if value(s, "grpc_c_embedded_workers") == 1:
        break
    time.sleep(0.1)
t.check_eq(value(s, "grpc_c_embedded_workers"), 1, "after one worker is killed, 1 worker reports")
t.check_eq(value(s, "grpc_server_handled_total", **types_m), handled_before,
           "the dead worker's calls stay counted")
gw.stop()

# --- mutual TLS: handshakes full, resumed, failed by reason ---
C = os.path.join(t.tmp, "certs")
subprocess.run(["bash", os.path.join(ROOT, "tools", "certs.sh"), C], check=True)
storage2 = t.start_storage()
mp = harness.free_port()
tgw = t.start_gateway(storage2.port, "--tls-cert", C + "/server.pem", "--tls-key", C + "/server.key",
                      "--tls-client-ca", C + "/ca.pem", "--metrics-listen", "127.0.0.1:%d" % mp,
                      "--max-connection-idle-ms", "200")
DEVICE = ["--tls", "--ca", C + "/ca.pem", "--server-name", "localhost",
          "--cert", C + "/device.pem", "--key", C + "/device.key"]
# the gateway closes idle connections after 200 ms: each call reconnects, resuming
rc, _, err, _ = t.client(*DEVICE, "--repeat", "3", "--every", "500", "--stats", "getprodtypes", "aws",
                         port=tgw.port)
t.check(rc == 0, "a device makes 3 calls over mutual TLS, reconnecting for each", err)
stats = [l for l in err.splitlines() if l.startswith("channel:")]
rc, _, err, _ = t.client("--tls", "--ca", C + "/ca.pem", "--server-name", "localhost",
                         "getprodtypes", "aws", port=tgw.port)
t.check(rc != 0, "a device without a certificate is refused")
rc, _, err, _ = t.client("--tls", "--ca", C + "/ca.pem", "--server-name", "localhost",
                         "--cert", C + "/rogue-device.pem", "--key", C + "/rogue-device.key",
                         "getprodtypes", "aws", port=tgw.port)
t.check(rc != 0, "a device of another CA is refused")
time.sleep(0.3)
s, _, _, _ = scrape(mp)
# the device's own --stats line says how it connected; the gateway counts alone
t.check(len(stats) == 1, "the device printed its channel line", stats)
fields = dict(kv.split("=") for kv in stats[0].split()[1:]) if stats else {}
t.check_eq(value(s, "grpc_server_tls_handshakes_total", kind="full") +
           value(s, "grpc_server_tls_handshakes_total", kind="resumed"),
           int(fields.get("connects", -1)), "TLS handshakes completed = the device's connections")
t.check_eq(value(s, "grpc_server_tls_handshakes_total", kind="resumed"), int(fields.get("resumed", -1)),
           "resumed handshakes = the device's resumed count")
t.check(int(fields.get("resumed", 0)) >= 1, "the device did resume (so the count is tested)", stats)
t.check_eq(value(s, "grpc_server_tls_handshake_failures_total", reason="no_certificate"), 1,
           "a failure for want of a certificate, counted once")
t.check_eq(value(s, "grpc_server_tls_handshake_failures_total", reason="bad_certificate"), 1,
           "a failure for an untrusted certificate, counted once")
# the harness's readiness probe connected and closed without a word
t.check_eq(value(s, "grpc_server_tls_handshake_failures_total", reason="closed"), 1,
           "the readiness probe's connection counts as closed in the handshake")
t.check_eq(value(s, "grpc_server_connections_accepted_total", transport="tls"),
           int(fields.get("connects", 0)) + 3,
           "TLS connections accepted: the device's, the 2 refused and the probe")
t.check_eq(value(s, "grpc_server_connections", transport="tls"), 0, "no TLS connection open at the end")
t.finish()
