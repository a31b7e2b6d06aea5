#!/usr/bin/python3
"""The REST/JSON bridge (gateway --rest-listen, docs/rest.md), driven with
curl over HTTP/1.1 and HTTP/2 with prior knowledge on the same port:
answers equal what grpcio gets from the gRPC port, errors carry
grpc-gateway's HTTP status and {code, message, details}, deadlines (the
default and Grpc-Timeout) end in 504, a hostile path value is escaped in
valid JSON, and a client that leaves mid-call costs the gateway nothing.
storage-backends: sqlite postgresql"""
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import harness  # noqa: E402
from harness import T  # noqa: E402
import h2wire as w  # noqa: E402

import grpc  # noqa: E402

api_pb2, api_pb2_grpc = harness.stubs()
t = T()
t.require_bins()
SHORT = re.compile(r"^https://made-up-url\.com/[0-9a-f]{6}$")


def curl(port, path, *extra, http2=False, timeout=20):
    """(HTTP status, HTTP version, body) of one curl request."""
    argv = ["curl", "-sS", "-o", "-", "-w", "\n%{http_code} %{http_version}",
            "--max-time", str(timeout)] + (["--http2-prior-knowledge"] if http2 else ["--http1.1"])
    argv += list(extra) + ["http://127.0.0.1:%d%s" % (port, path)]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout + 10)
    body, _, tail = p.stdout.rpartition("\n")
    code, _, ver = tail.partition(" ")
    return int(code or 0), ver, body


storage = t.start_storage()
rp = harness.free_port()
gw = t.start_gateway(storage.port, "--rest-listen", "127.0.0.1:%d" % rp, "--rest-timeout-ms", "5000")
t.wait_log(gw, r"Serving REST on http://127\.0\.0\.1:%d" % rp, "the gateway serves REST")
t.wait_log(gw, r"storage 127\.0\.0\.1:%d is READY" % storage.port, "its storage is READY")

ch = grpc.insecure_channel("127.0.0.1:%d" % gw.port)
stub = api_pb2_grpc.ProdServiceStub(ch)
want_types = stub.GetVendorProdTypes(api_pb2.ClientRequestType(vendor="aws"), timeout=10).productType
want_prods = [(m.product.title, m.product.url) for m in stub.GetVendorProds(
    api_pb2.ClientRequestProds(vendor="aws", productType="compute"), timeout=10)]
ch.close()

for h2 in (False, True):
    proto = "HTTP/2" if h2 else "HTTP/1.1"
    code, ver, body = curl(rp, "/v1/vendors/aws/types", http2=h2)
    t.check_eq((code, ver), (200, "2" if h2 else "1.1"), proto + ": types answered 200 in " + proto)
    t.check_eq(json.loads(body) if code == 200 else body, {"productType": want_types},
               proto + ": the types are grpcio's GetVendorProdTypes reply")
    code, ver, body = curl(rp, "/v1/vendors/AWS/types/Compute/products", http2=h2)
    lines = [json.loads(l) for l in body.splitlines()] if code == 200 else []
    got = [(l["result"]["product"]["title"], l["result"]["product"]["url"]) for l in lines]
    t.check_eq(got, want_prods, proto + ": one {\"result\": ...} line per product, as grpcio's stream")
    t.check(lines and all(SHORT.match(l["result"]["product"]["shortUrl"]) for l in lines),
            proto + ": every product has a fresh ShortUrl", body[:300])

# the trace context of a REST request follows the call into both logs
for h2 in (False, True):
    tid = ("%032x" % (0xabc0de + h2))
    code, _, _ = curl(rp, "/v1/vendors/aws/types/compute/products", "-H",
                      "traceparent: 00-%s-00f067aa0ba902b7-01" % tid, http2=h2)
    t.check_eq(code, 200, "a request with a traceparent is answered")
    t.wait_log(gw, r"have received a request for .* trace_id=%s" % tid,
               "%s: the gateway's line carries the request's trace id" % ("HTTP/2" if h2 else "HTTP/1.1"))
    t.wait_log(storage, r"trace_id=%s" % tid, "and so does storage's")

# errors, each on both protocols: (path, curl options, HTTP status, gRPC code, stream)
cases = [
    ("/v1/vendors/nosuch/types", [], 400, 3, False),
    ("/v1/vendors/aws/types/nosuch/products", [], 400, 3, True),
    ("/v1/vendors/aws", [], 404, 5, False),
    ("/v1/elsewhere", [], 404, 5, False),
    ("/v1/vendors/aws/types", ["-X", "POST", "-d", "x"], 501, 12, False),
    ("/v1/vendors/aws/types", ["-H", "Grpc-Timeout: soon"], 400, 3, False),
    ("/v1/vendors/" + "x" * 40 + "/types", [], 400, 3, False),
    ("/v1/vendors/a%00b/types", [], 400, 3, False),
]
for path, extra, status, code, stream in cases:
    for h2 in (False, True):
        got, _, body = curl(rp, path, *extra, http2=h2)
        try:
            j = json.loads(body)
            err = j["error"] if stream else j
        except (ValueError, KeyError, TypeError):
            err = {}
        t.check_eq((got, err.get("code"), sorted(err)), (status, code, ["code", "details", "message"]),
                   "%s %s%s: %d with code %d" % ("HTTP/2" if h2 else "HTTP/1.1", path[:40],
                                                 " " + " ".join(extra) if extra else "", status, code))

# a vendor full of quotes, backslashes and a control byte: the message that
# names it is valid JSON and says it whole
code, _, body = curl(rp, "/v1/vendors/%22q%5C%01%27/types/x/products")
try:
    msg = json.loads(body)["error"]["message"]
except (ValueError, KeyError):
    msg = None
t.check(code == 400 and msg is not None and '"q\\' in msg and "\x01" in msg,
        "a hostile vendor comes back escaped, in valid JSON", body)

# deadlines: storage takes 2 s; Grpc-Timeout 300m, and a gateway whose
# default is 300 ms, both answer 504 DeadlineExceeded in well under 2 s
slow = t.start_storage("--delay-ms", "2000")
rp2 = harness.free_port()
gw2 = t.start_gateway(slow.port, "--rest-listen", "127.0.0.1:%d" % rp2, "--rest-timeout-ms", "300")
t.wait_log(gw2, r"storage 127\.0\.0\.1:%d is READY" % slow.port, "the slow storage is READY")
for h2 in (False, True):
    t0 = time.monotonic()
    code, _, body = curl(rp, "/v1/vendors/aws/types/compute/products", http2=h2)
    t.check_eq(code, 200, "the first gateway still answers (its storage is not slow)")
    code, _, body = curl(rp2, "/v1/vendors/aws/types/compute/products", http2=h2)
    ms = (time.monotonic() - t0) * 1000
    t.check(code == 504 and '"code":4' in body and ms < 1900,
            "%s: the default deadline (300 ms) gives 504 DeadlineExceeded" % ("HTTP/2" if h2 else "HTTP/1.1"),
            code, body, "%d ms" % ms)
gw3p = harness.free_port()
gw3 = t.start_gateway(slow.port, "--rest-listen", "127.0.0.1:%d" % gw3p)
t.wait_log(gw3, r"storage 127\.0\.0\.1:%d is READY" % slow.port, "a third gateway's storage is READY")
t0 = time.monotonic()
code, _, body = curl(gw3p, "/v1/vendors/aws/types/compute/products", "-H", "Grpc-Timeout: 300m")
ms = (time.monotonic() - t0) * 1000
t.check(code == 504 and '"code":4' in body and ms < 1900,
        "Grpc-Timeout: 300m gives 504 DeadlineExceeded", code, body, "%d ms" % ms)

# a client that gives up mid-call: its call is cancelled (storage says so,
# once for each protocol), and the gateway goes on
def cancels():
    return len(re.findall(r"cancelled by the client", slow.text()))


for h2 in (False, True):
    before = cancels()
    code, _, _ = curl(gw3p, "/v1/vendors/aws/types/compute/products", http2=h2, timeout=0.3)
    t.check(code == 0, "%s: curl gave up after 0.3 s" % ("HTTP/2" if h2 else "HTTP/1.1"))
    end = time.monotonic() + 3
    while cancels() == before and time.monotonic() < end:
        time.sleep(0.05)
    t.check(cancels() > before, "%s: storage saw the abandoned call cancelled" % ("HTTP/2" if h2 else "HTTP/1.1"),
            slow.tail(4))
code, _, body = curl(gw3p, "/v1/vendors/aws/types/compute/products", timeout=10)
t.check_eq(code, 200, "the next request is answered in full")

# Grpc-Timeout 0: already past, as in gRPC (not "no deadline")
t0 = time.monotonic()
code, _, body = curl(gw3p, "/v1/vendors/aws/types/compute/products", "-H", "Grpc-Timeout: 0m")
t.check(code == 504 and time.monotonic() - t0 < 1, "Grpc-Timeout: 0m is 504 at once", code, body)

# a PING flood then a reset close: the gateway is not hurt
s3 = socket.create_connection(("127.0.0.1", rp), timeout=5)
s3.sendall(w.PREFACE + w.settings_frame() + w.ping() * 3000)
s3.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s3.close()
time.sleep(0.3)
code, _, _ = curl(rp, "/v1/vendors/aws/types", http2=True)
t.check(code == 200 and gw.alive(), "after a PING flood and a reset, the gateway answers")

# 300 silent sockets do not hold the port: the oldest make room
silent = []
for _ in range(300):
    try:
        silent.append(socket.create_connection(("127.0.0.1", rp), timeout=5))
    except OSError:
        break
for x in silent:
    try:
        x.send(b"P")
    except OSError:
        pass
code, _, _ = curl(rp, "/v1/vendors/aws/types")
t.check_eq(code, 200, "with 300 silent connections open, a request is answered")
for x in silent:
    x.close()

# SIGTERM with requests pending on both protocols: each is answered 503
pend = [subprocess.Popen(["curl", "-sS", "-o", "-", "-w", "\n%{http_code}", "--max-time", "10"]
                         + (["--http2-prior-knowledge"] if h2 else ["--http1.1"])
                         + ["http://127.0.0.1:%d/v1/vendors/aws/types/compute/products" % gw3p],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for h2 in (False, True)]
time.sleep(0.5)
gw3.stop()
for h2, pr in zip((False, True), pend):
    out, _ = pr.communicate(timeout=15)
    t.check(out.rstrip().endswith("503") and '"code":14' in out,
            "%s: a request pending at SIGTERM is answered 503" % ("HTTP/2" if h2 else "HTTP/1.1"), out[-200:])

# storage gone: 503 Unavailable
storage.stop()
time.sleep(0.3)
for h2 in (False, True):
    code, _, body = curl(rp, "/v1/vendors/aws/types/compute/products", http2=h2)
    t.check(code == 503 and '"code":14' in body, "storage down: 503 Unavailable", code, body)
t.finish()
