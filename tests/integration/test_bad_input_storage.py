#!/usr/bin/python3
# storage-backends: sqlite postgresql (tests/run.sh runs it on both)
"""Storage on its own, called directly by a grpcio client: its catalogue and
errors, and the same bad input as the gateway gets (test_bad_input.py):
unknown methods, malformed protobuf, strings over the bounds, oversized
messages, raw HTTP/2 oddities, garbage connections. Storage never crashes and
keeps serving."""
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
t.require_bins(("storage",))
st = t.start_storage()
ADDR = "127.0.0.1:%d" % st.port
M = "/api.StorageService/GetProdsDetail"
IA = {grpc.StatusCode.INVALID_ARGUMENT}


def req(v, ty):
    return api_pb2.StorageRequest(vendor=v, productType=ty).SerializeToString()


def products(v, ty):
    """(code, details, [(title, url)]) of GetProdsDetail."""
    code, det, body = rawgrpc.raw_unary(ADDR, M, req(v, ty))
    if code != grpc.StatusCode.OK:
        return code, det, []
    return code, det, [(p.title, p.url) for p in api_pb2.StorageResponse.FromString(body).prodDetail]


def expected_products(v, ty):
    out = []
    for line in t.expected("getprods_%s_%s.txt" % (v, ty)).splitlines():
        title, rest = line[len("Title: "):].split(", Url: ", 1)
        out.append((title, rest.split(",  ShortUrl: ")[0]))
    return out


def normal(after):
    code, det, got = products("aws", "compute")
    t.check(code == grpc.StatusCode.OK and got == expected_products("aws", "compute"),
            "normal call after " + after, "%s %r %r" % (code, det, got))
    t.check(st.alive(), "storage alive after " + after, st.tail())


def expect_code(got, allowed, name):
    t.check(got[0] in allowed, name, "got %s %r, want one of %s" % (got[0], got[1], [c.name for c in allowed]))


# ---- the catalogue and its errors --------------------------------------------
for v in ("google", "aws", "oracle"):
    for ty in ("compute", "storage"):
        code, det, got = products(v, ty)
        t.check(code == grpc.StatusCode.OK and got == expected_products(v, ty),
                "GetProdsDetail %s %s: the catalogue, in order" % (v, ty), "%s %r" % (code, det), got)
code, det, got = products("Google", "STORAGE")
t.check(got == expected_products("google", "storage"), "GetProdsDetail Google STORAGE: case-insensitive", got)
t.check_eq(products("foo", "compute")[:2], (grpc.StatusCode.INVALID_ARGUMENT, "Invalid Vendor: foo"),
           "GetProdsDetail foo compute -> InvalidArgument Invalid Vendor: foo")
t.check_eq(products("aws", "tools")[:2], (grpc.StatusCode.INVALID_ARGUMENT, "Invalid ProductType: tools"),
           "GetProdsDetail aws tools -> InvalidArgument Invalid ProductType: tools")
t.check_eq(products("", "")[:1], (grpc.StatusCode.INVALID_ARGUMENT,), "GetProdsDetail with empty fields -> InvalidArgument")
# SQL metacharacters are data, not SQL.
for v in ("aws' OR '1'='1", "aws\"; DROP TABLE products; --", "%", "_ws"):
    expect_code(products(v, "compute"), IA, "GetProdsDetail vendor %r -> InvalidArgument" % v)
expect_code(products("aws", "%"), IA, "GetProdsDetail type '%' -> InvalidArgument")
normal("SQL metacharacters")

# ---- unknown methods -----------------------------------------------------------
for m in ("/api.StorageService/Nope", "/api.ProdService/GetVendorProdTypes", "/x"):
    expect_code(rawgrpc.raw_unary(ADDR, m, b""), {grpc.StatusCode.UNIMPLEMENTED}, "unknown method %s -> Unimplemented" % m)
normal("unknown methods")

# ---- malformed protobuf --------------------------------------------------------
BAD = {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.INTERNAL}
for label, body in (("ff ff ff", b"\xff\xff\xff"), ("truncated string", b"\x0a\x05ab"),
                    ("truncated varint", b"\x12\x80\x80"), ("field number 0", b"\x02\x00")):
    expect_code(rawgrpc.raw_unary(ADDR, M, body), BAD, "malformed protobuf (%s) -> InvalidArgument/Internal" % label)
normal("malformed protobuf")

# ---- bounds: vendor and productType max_size 32 (31 bytes + NUL) ----------------
expect_code(rawgrpc.raw_unary(ADDR, M, req("a" * 32, "compute")), IA, "a 32-byte vendor -> InvalidArgument")
expect_code(rawgrpc.raw_unary(ADDR, M, req("aws", "c" * 32)), IA, "a 32-byte productType -> InvalidArgument")
t.check_eq(products("a" * 31, "compute")[:2], (grpc.StatusCode.INVALID_ARGUMENT, "Invalid Vendor: " + "a" * 31),
           "a 31-byte vendor fits: Invalid Vendor")
big = api_pb2.StorageRequest(vendor="v" * (5 * 1024 * 1024), productType="compute").SerializeToString()
expect_code(rawgrpc.raw_unary(ADDR, M, big, timeout=20, channel_options=[("grpc.max_send_message_length", -1)]),
            {grpc.StatusCode.RESOURCE_EXHAUSTED}, "a 5 MB message -> ResourceExhausted")
normal("over-long strings and oversized messages")

# ---- raw HTTP/2 and garbage ----------------------------------------------------
rawgrpc.http_cases(t, ADDR, M, req("aws", "compute"), normal)
rawgrpc.garbage_cases(t, st.port, normal)

# ---- concurrency: many clients, good and bad, at once ---------------------------
errs = []


def good():
    code, det, got = products("oracle", "storage")
    if code != grpc.StatusCode.OK or got != expected_products("oracle", "storage"):
        errs.append("%s %s" % (code, det))


def bad():
    rawgrpc.raw_unary(ADDR, M, b"\xff\xff\xff")
    rawgrpc.garbage(st.port, rawgrpc.PREFACE + rawgrpc.SETTINGS + rawgrpc.h2frame(0, 0, 0, b"abc"), 1)


ths = [threading.Thread(target=f) for f in (good, bad) * 10]
for th in ths:
    th.start()
for th in ths:
    th.join()
t.check(not errs, "20 concurrent calls, half of them bad: every good call succeeds", "\n".join(errs))
t.finish()
