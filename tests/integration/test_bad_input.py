#!/usr/bin/python3
"""Bad input against the gateway never crashes it nor disturbs other calls
(DESIGN.md section 4): unknown methods (Unimplemented), non-gRPC content types
(HTTP 415), malformed protobuf (InvalidArgument or Internal), strings over the
board's bounds (InvalidArgument), oversized messages (ResourceExhausted),
broken gRPC framing, garbage on the connection (GOAWAY, connection closed).
After each case a normal call still succeeds."""
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import T  # noqa: E402
import harness  # noqa: E402

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
    """A unary call with raw request bytes; returns (code, details, bytes)."""
    with grpc.insecure_channel(ADDR, options=channel_options or []) as ch:
        call = ch.unary_unary(method, request_serializer=None, response_deserializer=None)
        try:
            return grpc.StatusCode.OK, "", call(body, timeout=timeout)
        except grpc.RpcError as e:
            return e.code(), e.details(), None


def raw_stream(method, body, timeout=5):
    """A server-streaming call with raw request bytes; returns (code, details, msgs)."""
    with grpc.insecure_channel(ADDR) as ch:
        call = ch.unary_stream(method, request_serializer=None, response_deserializer=None)
        msgs = []
        try:
            for m in call(body, timeout=timeout):
                msgs.append(m)
            return grpc.StatusCode.OK, "", msgs
        except grpc.RpcError as e:
            return e.code(), e.details(), msgs


def expect_code(got, allowed, name):
    code, details = got[0], got[1]
    t.check(code in allowed, name, "got %s %r, want one of %s" % (code, details, [c.name for c in allowed]))


# ---- unknown methods -> Unimplemented -------------------------------------
for m in ("/api.ProdService/Nope", "/api.Nope/GetVendorProdTypes",
          "/api.StorageService/GetProdsDetail", "/nothing"):
    expect_code(raw_unary(m, b""), {grpc.StatusCode.UNIMPLEMENTED}, "unknown method %s -> Unimplemented" % m)
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
with grpc.insecure_channel(ADDR, options=opts) as ch:
    call = ch.unary_stream(PS, request_serializer=None, response_deserializer=None)
    try:
        list(call(body, timeout=20))
        got = (grpc.StatusCode.OK, "")
    except grpc.RpcError as e:
        got = (e.code(), e.details())
expect_code(got, RE, "GetVendorProds with a 5 MB message -> ResourceExhausted")
normal("oversized messages")

# ---- raw HTTP/2 with nghttp: content types and gRPC framing ---------------
NGHTTP = "/usr/bin/nghttp"


def nghttp(path, headers, body, seconds=5):
    """One request with nghttp -v; returns (dict of response headers and
    trailers, raw output). Header values of repeated names: the last wins."""
    with tempfile.NamedTemporaryFile(dir=t.tmp, delete=False) as f:
        f.write(body or b"")
    argv = [NGHTTP, "-v", "-n", "--timeout=%d" % seconds]
    for h in headers:
        argv += ["-H", h]
    if body is not None:
        argv += ["-d", f.name]
    argv.append("http://%s%s" % (ADDR, path))
    try:
        p = subprocess.run(argv, capture_output=True, timeout=seconds + 5)
        out = p.stdout.decode("latin-1") + p.stderr.decode("latin-1")
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode("latin-1") + "\n(nghttp timed out)"
    hdrs = {}
    # Keep what explains a failure: the response and connection-level frames.
    keep = [l for l in out.splitlines() if "recv (stream_id=" in l or "GOAWAY" in l or "RST_STREAM" in l
            or "error_code" in l or "timed out" in l or "rror" in l or ":path" in l or "content-type" in l]
    short = "\n".join(keep[-25:])
    for line in out.splitlines():
        # "[  0.001] recv (stream_id=13) :status: 415"
        if "] recv (stream_id=" in line:
            rest = line.split(") ", 1)[1]
            if rest.startswith(":"):
                name, _, value = rest[1:].partition(": ")
                name = ":" + name
            else:
                name, _, value = rest.partition(": ")
            hdrs[name] = value
    return hdrs, short


def frame(n):  # a gRPC length-prefixed message
    return b"\x00" + struct.pack(">I", len(n)) + n


GRPC_H = ["content-type: application/grpc", "te: trailers"]
if not os.access(NGHTTP, os.X_OK):
    t.not_ok("nghttp is installed (nghttp2-client)", "cannot run the raw HTTP/2 cases")
else:
    # Sanity: nghttp speaks gRPC to the gateway.
    h, out = nghttp(PT, GRPC_H, frame(api_pb2.ClientRequestType(vendor="aws").SerializeToString()))
    t.check(h.get(":status") == "200" and h.get("grpc-status") == "0",
            "raw HTTP/2 gRPC call with nghttp -> 200, grpc-status 0", out)

    for ct in ("text/plain", "application/json"):
        h, out = nghttp(PT, ["content-type: " + ct], b"vendor=aws")
        t.check(h.get(":status") == "415", "content-type %s -> HTTP 415" % ct, out)
    h, out = nghttp(PT, ["te: trailers"], b"")
    t.check(h.get(":status") == "415", "no content-type -> HTTP 415", out)
    normal("non-gRPC content types")

    # application/grpc+proto is a gRPC content type.
    h, out = nghttp(PT, ["content-type: application/grpc+proto", "te: trailers"],
                    frame(api_pb2.ClientRequestType(vendor="aws").SerializeToString()))
    t.check(h.get(":status") == "200" and h.get("grpc-status") == "0",
            "content-type application/grpc+proto is accepted", out)

    # A GET is not a gRPC call either: an answer, not a crash nor a hang.
    h, out = nghttp("/", [], None)
    t.check(h.get(":status") not in (None, "200") or h.get("grpc-status") not in (None, "0"),
            "GET / -> an HTTP or gRPC error", out)

    # Compressed flag without grpc-encoding: an error status (gRPC says Internal).
    body = b"\x01" + struct.pack(">I", 5) + b"\x0a\x03aws"
    h, out = nghttp(PT, GRPC_H, body)
    t.check(h.get("grpc-status") in ("13", "12", "3"),
            "compressed message without grpc-encoding -> Internal (or Unimplemented/InvalidArgument)", out)
    # Unsupported grpc-encoding: Unimplemented.
    h, out = nghttp(PT, GRPC_H + ["grpc-encoding: snappy-x"], body)
    t.check(h.get("grpc-status") == "12", "unsupported grpc-encoding -> Unimplemented", out)

    # The length prefix promises more bytes than the stream carries.
    h, out = nghttp(PT, GRPC_H, b"\x00" + struct.pack(">I", 100) + b"\x0a\x03aws")
    t.check(h.get("grpc-status") not in (None, "0"), "truncated gRPC message -> an error status, no hang", out)
    # No message at all in a unary call.
    h, out = nghttp(PT, GRPC_H, b"")
    t.check(h.get("grpc-status") not in (None, "0") or h.get(":status") not in (None, "200"),
            "unary call without a message -> an error status", out)
    # Two messages in a unary call.
    one = frame(api_pb2.ClientRequestType(vendor="aws").SerializeToString())
    h, out = nghttp(PT, GRPC_H, one + one)
    t.check(h.get("grpc-status") not in (None, "0"), "unary call with two messages -> an error status", out)
    # A bad grpc-timeout is rejected or ignored, never a crash.
    h, out = nghttp(PT, GRPC_H + ["grpc-timeout: 99999999999S"], one)
    t.check(h.get("grpc-status") is not None, "an invalid grpc-timeout gets an answer", out)
    normal("raw HTTP/2 requests")


# ---- garbage on a raw TCP connection -> GOAWAY, connection closed ----------
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def h2frame(ftype, flags, stream, payload):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream) + payload


def garbage(send, seconds=3.0):
    """Sends bytes on a fresh connection; returns (goaway error code or None,
    closed by the server within `seconds`)."""
    s = socket.create_connection(("127.0.0.1", gw.port), timeout=seconds)
    buf = b""
    goaway = None
    closed = False
    try:
        s.sendall(send)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            s.settimeout(max(0.05, end - time.monotonic()))
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            buf += chunk
            while len(buf) >= 9:
                n = int.from_bytes(buf[:3], "big")
                if len(buf) < 9 + n:
                    break
                if buf[3] == 7 and n >= 8:
                    goaway = struct.unpack(">I", buf[13:17])[0]
                buf = buf[9 + n:]
    finally:
        s.close()
    return goaway, closed


SETTINGS = h2frame(4, 0, 0, b"")
cases = [
    ("an HTTP/1.1 request", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", False),
    ("random bytes", bytes((i * 97 + 13) & 0xFF for i in range(200)), False),
    ("a DATA frame on stream 0", PREFACE + SETTINGS + h2frame(0, 0, 0, b"abc"), True),
    ("a frame over the maximum size", PREFACE + SETTINGS + b"\xff\xff\xff\x00\x00\x00\x00\x00\x01" + b"x" * 100, True),
    ("HEADERS with a broken HPACK block", PREFACE + SETTINGS + h2frame(1, 4 | 1, 1, b"\xff\xff\xff\xff\xff\xff"), True),
    ("a frame on an even (server) stream", PREFACE + SETTINGS + h2frame(1, 5, 2, b"\x82"), True),
]
for label, data, want_goaway in cases:
    code, closed = garbage(data)
    t.check(closed, "garbage (%s) -> connection closed" % label, "goaway=%s closed=%s" % (code, closed))
    if want_goaway:
        t.check(code is not None and code != 0, "garbage (%s) -> GOAWAY with an error code" % label,
                "goaway error code %s" % code)
normal("garbage connections")

# A half-open client (half a preface, then silence) blocks nobody.
s = socket.create_connection(("127.0.0.1", gw.port))
s.sendall(PREFACE[:8])
normal("a stalled connection (still open)")
s.close()

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
    garbage(PREFACE + SETTINGS + h2frame(0, 0, 0, b"abc"), 1)


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
