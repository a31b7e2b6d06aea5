#!/usr/bin/python3
"""W3C trace context and the daemons' logs (docs/design.md, "Tracing and
logs"). Text logs (the default): a grpcio call with a traceparent and a
firmware-client call with --traceparent carry their trace id on every line
of the call in the gateway's and storage's logs; a call without one, or with
an invalid one, gets a new id, the same in both tiers; the article's lines
keep their words, the trace id after them. The client refuses a malformed
--traceparent with its usage (exit 2). JSON logs (--log-format json): every
line parses, with time, level, trace_id, span_id, method, peer, and code
and duration on the line that ends a call; storage's parent_id is the
gateway's span; the device's CN over mutual TLS; a hostile vendor (quotes,
backslashes, control bytes, bytes that are not UTF-8) round-trips.
--log-calls N: the routine lines of the traces picked by id, whole and the
same in both tiers; a failed call's line always; 0: none."""
import json
import os
import re
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # keep tests/ free of __pycache__
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import T  # noqa: E402
import harness  # noqa: E402

api_pb2, api_pb2_grpc = harness.stubs()
import grpc  # noqa: E402

t = T()
t.require_bins()

TS = r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{6}"
HEX32 = re.compile(r"^[0-9a-f]{32}$")
HEX16 = re.compile(r"^[0-9a-f]{16}$")
TRACE_RE = re.compile(r" trace_id=([0-9a-f]{32})$")


def tp(trace, span, flags="01"):
    return "00-%s-%s-%s" % (trace, span, flags)


def new_lines(d, since, want, seconds=3.0):
    """The lines d logged after byte offset since, once want(lines) holds
    (or the time is up)."""
    end = time.monotonic() + seconds
    while True:
        with open(d.log, "rb") as f:
            f.seek(since)
            lines = f.read().decode("utf-8", "replace").splitlines()
        if want(lines) or time.monotonic() > end:
            return lines


def size(d):
    return os.path.getsize(d.log)


def grpc_prods(port, vendor, ptype, md=None):
    with grpc.insecure_channel("127.0.0.1:%d" % port) as ch:
        try:
            n = sum(1 for _ in api_pb2_grpc.ProdServiceStub(ch).GetVendorProds(
                api_pb2.ClientRequestProds(vendor=vendor, productType=ptype), timeout=4, metadata=md))
            return "OK", n
        except grpc.RpcError as e:
            return e.code().name, e.details()


def grpc_types_raw(port, body, md=None):
    """GetVendorProdTypes with a request's bytes as given (a vendor that is
    not UTF-8 cannot pass through python's protobuf)."""
    with grpc.insecure_channel("127.0.0.1:%d" % port) as ch:
        call = ch.unary_unary("/api.ProdService/GetVendorProdTypes")
        try:
            call(body, timeout=4, metadata=md)
            return "OK"
        except grpc.RpcError as e:
            return e.code().name


def traces(lines, needle):
    """The trace ids at the end of the lines that contain needle."""
    return [m.group(1) for m in (TRACE_RE.search(l) for l in lines if needle in l) if m]


# ---------------------------------------------------------------- text logs
st = t.start_storage()
gw = t.start_gateway(st.port)

T1, P1 = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
g0, s0 = size(gw), size(st)
r = grpc_prods(gw.port, "aws", "compute", md=[("traceparent", tp(T1, P1))])
t.check(r == ("OK", 6), "1. grpcio GetVendorProds with a traceparent: 6 products", r)
gl = new_lines(gw, g0, lambda ls: any("the response was sent" in l for l in ls))
sl = new_lines(st, s0, lambda ls: any("products were sent" in l for l in ls))
t.check(any(re.match("^%s have received a request for -> compute <- product type from -> aws <- vendor "
                     "trace_id=%s$" % (TS, T1), l) for l in gl),
        "1. gateway: the article's line, then trace_id=<the client's trace id>", "\n".join(gl))
t.check(traces(gl, "the response was sent to client") == [T1],
        "1. gateway: 'the response was sent to client' carries it too", "\n".join(gl))
t.check(traces(sl, "have received a request for -> compute <- product type from -> aws <- vendor") == [T1]
        and traces(sl, "a number of 6 products were sent to client") == [T1],
        "1. storage: both of the call's lines carry the same trace id", "\n".join(sl))
t.check(not any("traceparent" in l for l in gl + sl),
        "1. traceparent is the runtime's header: no 'request metadata' line for it", "\n".join(gl + sl))

T2, P2 = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
g0, s0 = size(gw), size(st)
rc, out, err, _ = t.client("--traceparent", tp(T2, P2, "00"), "getprods", "google", "storage", port=gw.port)
t.check(rc == 0 and len(out.splitlines()) == 6, "2. firmware-client --traceparent getprods google storage: 6 products",
        out, err)
gl = new_lines(gw, g0, lambda ls: any("the response was sent" in l for l in ls))
sl = new_lines(st, s0, lambda ls: any("products were sent" in l for l in ls))
t.check(traces(gl, "from -> google <- vendor") == [T2] and traces(gl, "the response was sent") == [T2],
        "2. gateway: the firmware client's trace id on the call's lines", "\n".join(gl))
t.check(traces(sl, "from -> google <- vendor") == [T2] and traces(sl, "products were sent") == [T2],
        "2. storage: the same trace id", "\n".join(sl))

g0, s0 = size(gw), size(st)
rc, out, err, _ = t.client("getprods", "oracle", "compute", port=gw.port)
t.check(rc == 0, "3. a call without a traceparent succeeds", err)
gl = new_lines(gw, g0, lambda ls: any("the response was sent" in l for l in ls))
sl = new_lines(st, s0, lambda ls: any("products were sent" in l for l in ls))
gid, sid = traces(gl, "from -> oracle <- vendor"), traces(sl, "from -> oracle <- vendor")
t.check(len(gid) == 1 and gid[0] not in (T1, T2) and gid[0] != "0" * 32,
        "3. the gateway made a trace id for it: %s" % (gid[0] if gid else "none"), "\n".join(gl))
t.check(gid and sid == gid and traces(sl, "products were sent") == gid,
        "3. storage's lines carry the gateway's new trace id", "\n".join(sl))

INVALID = [
    ("upper-case hex", tp(T1.upper(), P1)),
    ("an all-zero trace-id", tp("0" * 32, P1)),
    ("an all-zero parent-id", tp(T1, "0" * 16)),
    ("version ff", "ff" + tp(T1, P1)[2:]),
    ("version 00 with more after it", tp(T1, P1) + "-00"),
    ("a short trace-id", "00-%s-%s-01" % (T1[:30], P1)),
    ("no dashes", tp(T1, P1).replace("-", "_")),
]
seen = set()
for what, bad in INVALID:
    g0, s0 = size(gw), size(st)
    r = grpc_prods(gw.port, "google", "compute", md=[("traceparent", bad)])
    gl = new_lines(gw, g0, lambda ls: any("the response was sent" in l for l in ls))
    sl = new_lines(st, s0, lambda ls: any("products were sent" in l for l in ls))
    gid, sid = traces(gl, "from -> google <- vendor"), traces(sl, "from -> google <- vendor")
    t.check(r == ("OK", 5) and len(gid) == 1 and gid[0] != T1 and gid[0] not in seen and sid == gid,
            "4. an invalid traceparent (%s) is ignored: a new trace id, the same in storage" % what,
            r, "\n".join(gl), "\n".join(sl))
    seen.update(gid)

# A later version is read for its first 55 characters (the spec's forward
# compatibility).
T3 = "a" * 31 + "1"
g0 = size(gw)
r = grpc_prods(gw.port, "google", "compute", md=[("traceparent", "01" + tp(T3, P1)[2:] + "-what-comes-later")])
gl = new_lines(gw, g0, lambda ls: any("the response was sent" in l for l in ls))
t.check(traces(gl, "from -> google <- vendor") == [T3], "4. version 01 with more fields: its trace id is kept",
        "\n".join(gl))

# GetVendorProdTypes (no storage call) carries it too.
g0 = size(gw)
with grpc.insecure_channel("127.0.0.1:%d" % gw.port) as ch:
    api_pb2_grpc.ProdServiceStub(ch).GetVendorProdTypes(api_pb2.ClientRequestType(vendor="aws"), timeout=4,
                                                        metadata=[("traceparent", tp(T1, P1))])
gl = new_lines(gw, g0, lambda ls: any("as vendor" in l for l in ls))
t.check(any(re.match("^%s have received a request for -> aws <- as vendor trace_id=%s$" % (TS, T1), l) for l in gl),
        "5. GetVendorProdTypes: the article's line with the trace id", "\n".join(gl))

# The client checks its --traceparent: a malformed one is a usage error.
for what, bad in [("upper-case", tp(T1.upper(), P1)), ("all-zero trace-id", tp("0" * 32, P1)),
                  ("too short", tp(T1, P1)[:-1]), ("version ff", "ff" + tp(T1, P1)[2:]), ("empty", "")]:
    rc, out, err, _ = t.client("--traceparent", bad, "getprodtypes", "aws", port=gw.port)
    t.check(rc == 2 and not out and err.startswith("usage: firmware-client ") and "[--traceparent VALUE]" in err,
            "6. firmware-client --traceparent (%s): usage, exit 2" % what, rc, out, err)
rc, out, err, _ = t.client("getprodtypes", "aws", "--traceparent", port=gw.port)
t.check(rc == 2, "6. firmware-client with --traceparent missing its value: exit 2", rc, err)

# Lines outside a call carry no trace id.
t.check(all(" trace_id=" not in l for l in gw.text().splitlines() if "Serving gRPC on" in l or "is READY" in l),
        "7. the gateway's lines outside calls have no trace id", gw.tail())
gw.stop()
st.stop()

# ---------------------------------------------------------------- JSON logs
C = os.path.join(t.tmp, "certs")
subprocess.run(["bash", os.path.join(harness.ROOT, "tools", "certs.sh"), C], check=True, capture_output=True)
stj = t.start_storage("--log-format", "json")
gwj = t.start_gateway(stj.port, "--log-format", "json")

T4, P4 = "11111111111111111111111111111111", "2222222222222222"
r = grpc_prods(gwj.port, "aws", "storage", md=[("traceparent", tp(T4, P4))])
t.check(r == ("OK", 7), "8. JSON: grpcio GetVendorProds with a traceparent: 7 products", r)
HOSTILE = b'q"b\\s\x01\n\x1b\x7f\xff\xc3(\xe2\x98\xba'
# the gateway lower-cases the vendor (C locale: ASCII only) before it logs it
HOSTILE_LOGGED = HOSTILE.lower().decode("utf-8", "replace")
r = grpc_types_raw(gwj.port, b"\x0a" + bytes([len(HOSTILE)]) + HOSTILE, md=[("traceparent", tp(T1, P1))])
t.check(r == "INVALID_ARGUMENT", "8. JSON: GetVendorProdTypes with a hostile vendor: InvalidArgument", r)
r = grpc_prods(gwj.port, HOSTILE.decode("utf-8", "replace"), "compute")
t.check(r[0] == "INVALID_ARGUMENT", "8. JSON: GetVendorProds with a hostile vendor reaches storage", r)
rc, out, err, _ = t.client("getprodtypes", "nosuchvendor", port=gwj.port)
t.check(rc == 1, "8. JSON: a failing call from the firmware client", err)
time.sleep(0.3)


def parsed(d):
    rows, bad = [], []
    with open(d.log, "rb") as f:
        for raw in f.read().splitlines():
            try:
                rows.append(json.loads(raw.decode("utf-8")))
            except (ValueError, UnicodeDecodeError) as e:
                bad.append("%r: %s" % (raw, e))
    return rows, bad


gj, gbad = parsed(gwj)
sj, sbad = parsed(stj)
t.check(not gbad and len(gj) > 5, "9. every gateway line is one JSON object (%d lines)" % len(gj), "\n".join(gbad))
t.check(not sbad and len(sj) > 3, "9. every storage line is one JSON object (%d lines)" % len(sj), "\n".join(sbad))
LEVELS = {"info", "warn", "error"}
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
for name, rows in (("gateway", gj), ("storage", sj)):
    t.check(all(TIME_RE.match(r.get("time", "")) and r.get("level") in LEVELS and isinstance(r.get("msg"), str)
                for r in rows), "9. %s: every line has time (RFC 3339, UTC), level and msg" % name, rows[:3])
    calls = [r for r in rows if "method" in r]
    t.check(calls and all(HEX32.match(r.get("trace_id", "")) and HEX16.match(r.get("span_id", ""))
                          and r.get("peer", "").startswith("ipv4:127.0.0.1:") for r in calls),
            "9. %s: every line of a call has trace_id, span_id, method and peer" % name,
            [r for r in calls if not HEX32.match(r.get("trace_id", ""))][:3])
    ends = [r for r in calls if "code" in r]
    t.check(ends and all(isinstance(r.get("duration_ms"), (int, float)) and r["duration_ms"] >= 0 for r in ends),
            "9. %s: the line that ends a call has code and duration_ms" % name, ends[:3])
    t.check(all("trace_id" not in r for r in rows if "method" not in r),
            "9. %s: lines outside calls have no call fields" % name)

g4 = [r for r in gj if r.get("trace_id") == T4]
s4 = [r for r in sj if r.get("trace_id") == T4]
t.check(len(g4) >= 3 and all(r.get("parent_id") == P4 and r["method"] == "/api.ProdService/GetVendorProds"
                             for r in g4),
        "10. gateway: the call's lines carry the client's trace id and span (parent_id)", g4)
gspan = {r.get("span_id") for r in g4}
t.check(len(gspan) == 1 and len(s4) >= 2 and all(r.get("parent_id") in gspan and r["span_id"] not in gspan
                                                 and r["method"] == "/api.StorageService/GetProdsDetail" for r in s4),
        "10. storage: the same trace id, the gateway's span as parent_id, a span of its own", s4, gspan)
t.check(any(r.get("code") == "OK" and r.get("level") == "info" for r in g4)
        and any(r.get("code") == "OK" for r in s4),
        "10. both tiers end the call with code OK", g4[-1:], s4[-1:])
t.check(any(r.get("msg") == "have received a request for -> storage <- product type from -> aws <- vendor"
            for r in g4), "10. msg is the article's text, without the trace id", g4[:1])

hostile = [r for r in gj if r.get("trace_id") == T1]
want = "have received a request for -> %s <- as vendor" % HOSTILE_LOGGED
t.check(any(r.get("msg") == want for r in hostile),
        "11. the hostile vendor round-trips through JSON (quotes, backslash, control bytes; not UTF-8 -> U+FFFD)",
        [r.get("msg") for r in hostile], want)
t.check(any(r.get("code") == "InvalidArgument" and "wrong vendor" in r.get("msg", "") for r in hostile),
        "11. its call ends InvalidArgument", hostile)
want_st = "Invalid Vendor: " + HOSTILE.decode("utf-8", "replace").lower()
t.check(any(r.get("msg", "").lower() == want_st.lower() for r in sj),
        "11. storage logs the hostile vendor in JSON too", [r.get("msg") for r in sj if "Invalid" in r.get("msg", "")])
gwj.stop()
stj.stop()

# Mutual TLS: the device's CN is a field of its call's lines.
stt = t.start_storage("--log-format", "json")
gwt = t.start_gateway(stt.port, "--log-format", "json", "--tls-cert", os.path.join(C, "server.pem"),
                      "--tls-key", os.path.join(C, "server.key"), "--tls-client-ca", os.path.join(C, "ca.pem"))
rc, out, err, _ = t.client("--tls", "--ca", os.path.join(C, "ca.pem"), "--server-name", "localhost",
                           "--cert", os.path.join(C, "device.pem"), "--key", os.path.join(C, "device.key"),
                           "--traceparent", tp(T2, P2), "getprods", "aws", "compute", port=gwt.port)
t.check(rc == 0, "12. mutual TLS with --traceparent: the call succeeds", err)
time.sleep(0.3)
tj, tbad = parsed(gwt)
t2 = [r for r in tj if r.get("trace_id") == T2]
t.check(not tbad and len(t2) >= 3 and all(r.get("device_cn") == "board-0001" for r in t2),
        "12. the call's lines carry device_cn board-0001", tbad, t2)
sj2, _ = parsed(stt)
t.check(any(r.get("trace_id") == T2 for r in sj2), "12. storage's lines carry the device's trace id", sj2[-3:])
gwt.stop()
stt.stop()

# 13. --log-calls 4: the routine lines (request, reply) of the calls whose
# trace id's last 8 hex digits are 0 modulo 4, whole, the same in both
# tiers; a failed call's line whatever its id; --log-calls 0: none.
st13 = t.start_storage("--log-calls", "4")
gw13 = t.start_gateway(st13.port, "--log-calls", "4")
prefix = os.urandom(12).hex()
ids = ["%s%08x" % (prefix, i) for i in range(1, 21)]  # 5 of them sampled: 4, 8, ..., 20
bad = []
for x in ids:
    rc, out, err, _ = t.client("--traceparent", tp(x, P1), "getprods", "aws", "compute", port=gw13.port)
    if rc != 0:
        bad.append(err)
t.check(not bad, "13. --log-calls 4: 20 calls with known trace ids succeed", bad[:2])
rc, out, err, _ = t.client("--traceparent", tp(prefix + "00000001", P1), "getprods", "nosuchvendor", "compute",
                           port=gw13.port)
time.sleep(0.3)


def logged(d, words):
    return sorted(m.group(1) for m in (TRACE_RE.search(l) for l in d.text().splitlines() if words in l) if m)


want = sorted(x for x in ids if int(x[24:], 16) % 4 == 0)
t.check_eq(logged(gw13, "have received a request for -> compute <-"), want,
           "13. the gateway logs the request of the 5 sampled traces, and only those")
t.check_eq(logged(gw13, "the response was sent to client"), want, "13. and their replies: each call whole")
t.check_eq(logged(st13, "have received a request for -> compute <-"), want, "13. storage logs the same traces")
t.check_eq(logged(st13, "products were sent to client"), want, "13. and their replies")
t.check_eq(logged(st13, "Invalid Vendor: nosuchvendor"), [prefix + "00000001"],
           "13. a failed call's line is logged though its trace is not sampled")
gw0 = t.start_gateway(st13.port, "--log-calls", "0")
for x in ids[:4]:
    t.client("--traceparent", tp(x, P1), "getprodtypes", "aws", port=gw0.port)
time.sleep(0.3)
t.check_eq(logged(gw0, "have received a request for"), [], "13. --log-calls 0: no routine line")
r = subprocess.run([os.path.join(harness.BIN, "gateway"), "--log-calls", "some"], capture_output=True, text=True,
                   timeout=10)
t.check(r.returncode == 2 and "--log-calls N" in r.stderr, "13. --log-calls some: a usage error (exit 2)",
        r.returncode, r.stderr[-200:])
gw0.stop()
gw13.stop()
st13.stop()

t.finish()
