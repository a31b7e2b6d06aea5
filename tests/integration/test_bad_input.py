#!/usr/bin/python3
"""Bad input against the gateway never crashes it nor disturbs other calls
(DESIGN.md section 4): unknown methods (Unimplemented), non-gRPC content types
(HTTP 415), malformed protobuf (InvalidArgument or Internal), strings over the
board's bounds (InvalidArgument), oversized messages (ResourceExhausted),
broken gRPC framing, garbage on the connection (GOAWAY, connection closed).
After each case a normal call still succeeds."""
import os
import sys

sys.dont_write_bytecode = True  # keep tests/ free of __pycache__
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import T  # noqa: E402
import harness  # noqa: E402
import rawgrpc  # noqa: E402

api_pb2, api_pb2_grpc = harness.stubs()
import grpc  # noqa: E402

t = T()
t.require_bins()
st = t.start_storage()
gw = t.start_gateway(st.port)
ADDR = "127.0.0.1:%d" % gw.port
PT = "/api.ProdService/GetVendorProdTypes"
PS = "/api.ProdService/GetVendorProds"


def normal(after):
    """A normal call on a fresh channel succeeds."""
    with grpc.insecure_channel(ADDR) as ch:
        stub = api_pb2_grpc.ProdServiceStub(ch)
        try:
            r = stub.GetVendorProdTypes(api_pb2.ClientRequestType(vendor="aws"), timeout=5)
            t.check_eq(r.productType, " compute storage", "normal call after " + after)
        except grpc.RpcError as e:
            t.not_ok("normal call after " + after, "%s: %s" % (e.code(), e.details()))
    t.check(gw.alive(), "gateway alive after " + after, gw.tail())


def raw_unary(method, body, timeout=5, channel_options=None):
    return rawgrpc.raw_unary(ADDR, method, body, timeout, channel_options)


def raw_stream(method, body, timeout=5, channel_options=None):
    return rawgrpc.raw_stream(ADDR, method, body, timeout, channel_options)


def expect_code(got, allowed, name):
    code, details = got[0], got[1]
    t.check(code in allowed, name, "got %s %r, want one of %s" % (code, details, [c.name for c in allowed]))


# ---- unknown methods -> Unimplemented -------------------------------------
for m in ("/api.ProdService/Nope", "/api.Nope/GetVendorProdTypes",
          "/api.StorageService/GetProdsDetail", "/nothing", PT + "x" * 500):
    expect_code(raw_unary(m, b""), {grpc.StatusCode.UNIMPLEMENTED},
                "unknown method %s -> Unimplemented" % (m if len(m) < 60 else m[:40] + "...(%d bytes)" % len(m)))
normal("unknown methods")

# ---- malformed protobuf -> InvalidArgument or Internal ---------------------
BAD = {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.INTERNAL}
for label, body in (("ff ff ff", b"\xff\xff\xff"),
                    ("truncated string", b"\x0a\x05ab"),
                    ("truncated varint", b"\x0a\x80\x80"),
                    ("field number 0", b"\x02\x00")):
    expect_code(raw_unary(PT, body), BAD, "GetVendorProdTypes with malformed protobuf (%s) -> InvalidArgument/Internal" % label)
    expect_code(raw_stream(PS, body), BAD, "GetVendorProds with malformed protobuf (%s) -> InvalidArgument/Internal" % label)
normal("malformed protobuf")

# ---- strings over the board's bounds (max_size 32: 31 bytes + NUL) ---------
IA = {grpc.StatusCode.INVALID_ARGUMENT}
v32 = "a" * 32
v31 = "a" * 31
expect_code(raw_unary(PT, api_pb2.ClientRequestType(vendor=v32).SerializeToString()), IA,
            "GetVendorProdTypes with a 32-byte vendor -> InvalidArgument")
expect_code(raw_unary(PT, api_pb2.ClientRequestType(vendor="x" * 4000).SerializeToString()), IA,
            "GetVendorProdTypes with a 4000-byte vendor -> InvalidArgument")
expect_code(raw_stream(PS, api_pb2.ClientRequestProds(vendor=v32, productType="compute").SerializeToString()), IA,
            "GetVendorProds with a 32-byte vendor -> InvalidArgument")
expect_code(raw_stream(PS, api_pb2.ClientRequestProds(vendor="aws", productType=v32).SerializeToString()), IA,
            "GetVendorProds with a 32-byte productType -> InvalidArgument")
# 31 bytes fit: the answer is the ordinary "unknown vendor" one.
got = raw_unary(PT, api_pb2.ClientRequestType(vendor=v31).SerializeToString())
t.check(got[:2] == (grpc.StatusCode.INVALID_ARGUMENT, "wrong vendor, select between google, aws, oracle"),
        "GetVendorProdTypes with a 31-byte vendor -> the wrong-vendor error", "got %s %r" % got[:2])
got = raw_stream(PS, api_pb2.ClientRequestProds(vendor=v31, productType="compute").SerializeToString())
t.check(got[:2] == (grpc.StatusCode.INVALID_ARGUMENT,
                    "error while calling client.GetProdsDetail() method: Invalid Vendor: " + v31),
        "GetVendorProds with a 31-byte vendor -> storage's Invalid Vendor error", "got %s %r" % got[:2])
normal("over-long strings")

# ---- oversized messages (5 MB) -> ResourceExhausted ------------------------
RE = {grpc.StatusCode.RESOURCE_EXHAUSTED}
big = 5 * 1024 * 1024
body = api_pb2.ClientRequestType(vendor="v" * big).SerializeToString()
opts = [("grpc.max_send_message_length", -1)]
expect_code(raw_unary(PT, body, timeout=20, channel_options=opts), RE, "GetVendorProdTypes with a 5 MB message -> ResourceExhausted")
body = api_pb2.ClientRequestProds(vendor="aws", productType="t" * big).SerializeToString()
expect_code(raw_stream(PS, body, timeout=20, channel_options=opts), RE, "GetVendorProds with a 5 MB message -> ResourceExhausted")
normal("oversized messages")

# ---- oversized metadata (the server bounds its header list) -------------
with grpc.insecure_channel(ADDR) as ch:
    try:
        api_pb2_grpc.ProdServiceStub(ch).GetVendorProdTypes(
            api_pb2.ClientRequestType(vendor="aws"), timeout=5, metadata=(("x-big", "a" * 64000),))
        got = (grpc.StatusCode.OK, "")
    except grpc.RpcError as e:
        got = (e.code(), e.details())
t.check(got[0] != grpc.StatusCode.OK, "64 KB of metadata -> refused", "got %s %r" % got)
normal("oversized metadata")

# ---- raw HTTP/2: content types, gRPC framing; garbage connections ---------
rawgrpc.http_cases(t, ADDR, PT, api_pb2.ClientRequestType(vendor="aws").SerializeToString(), normal)
rawgrpc.garbage_cases(t, gw.port, normal)

# Many concurrent calls while bad calls are in flight: all good ones succeed.
errs = []


def good():
    with grpc.insecure_channel(ADDR) as ch:
        stub = api_pb2_grpc.ProdServiceStub(ch)
        try:
            n = len(list(stub.GetVendorProds(api_pb2.ClientRequestProds(vendor="aws", productType="storage"), timeout=10)))
            if n != 7:
                errs.append("got %d products" % n)
        except grpc.RpcError as e:
            errs.append("%s %s" % (e.code(), e.details()))


def bad():
    raw_unary(PT, b"\xff\xff\xff")
    rawgrpc.garbage(gw.port, rawgrpc.PREFACE + rawgrpc.SETTINGS + rawgrpc.h2frame(0, 0, 0, b"abc"), 1)


ths = [threading.Thread(target=f) for f in (good, bad) * 8]
for th in ths:
    th.start()
for th in ths:
    th.join()
t.check(not errs, "16 concurrent calls, half of them bad: every good call succeeds", "\n".join(errs))

# The CLI still works end to end.
rc, out, err, ms = t.client("getprods", "google", "compute", port=gw.port)
t.check_eq(harness.mask_short(out), t.expected("getprods_google_compute.txt"), "firmware-client getprods after all bad input")
t.check(st.alive(), "storage alive at the end", st.tail())
t.finish()
