"""Raw gRPC and HTTP/2 helpers for the bad-input tests: generic grpcio calls
with raw request bytes, one-shot nghttp requests, and hand-made HTTP/2 frames
on a bare TCP connection."""
import os
import socket
import struct
import subprocess
import tempfile
import time

import grpc

NGHTTP = "/usr/bin/nghttp"
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def raw_unary(addr, method, body, timeout=5, channel_options=None):
    """A unary call with raw request bytes; returns (code, details, bytes)."""
    with grpc.insecure_channel(addr, options=channel_options or []) as ch:
        call = ch.unary_unary(method, request_serializer=None, response_deserializer=None)
        try:
            return grpc.StatusCode.OK, "", call(body, timeout=timeout)
        except grpc.RpcError as e:
            return e.code(), e.details(), None


def raw_stream(addr, method, body, timeout=5, channel_options=None):
    """A server-streaming call with raw request bytes; returns (code, details, msgs)."""
    with grpc.insecure_channel(addr, options=channel_options or []) as ch:
        call = ch.unary_stream(method, request_serializer=None, response_deserializer=None)
        msgs = []
        try:
            for m in call(body, timeout=timeout):
                msgs.append(m)
            return grpc.StatusCode.OK, "", msgs
        except grpc.RpcError as e:
            return e.code(), e.details(), msgs


def grpc_frame(msg, compressed=False):
    """A gRPC length-prefixed message."""
    return (b"\x01" if compressed else b"\x00") + struct.pack(">I", len(msg)) + msg


def nghttp(addr, path, headers, body, tmpdir, seconds=5):
    """One request with nghttp -v (POST when body is not None). Returns (dict
    of the response's headers and trailers, the lines of nghttp's trace that
    explain a failure). Repeated names: the last value wins."""
    argv = [NGHTTP, "-v", "-n", "--timeout=%d" % seconds]
    for h in headers:
        argv += ["-H", h]
    if body is not None:
        with tempfile.NamedTemporaryFile(dir=tmpdir, delete=False) as f:
            f.write(body)
        argv += ["-d", f.name]
    argv.append("http://%s%s" % (addr, path))
    try:
        p = subprocess.run(argv, capture_output=True, timeout=seconds + 5)
        out = p.stdout.decode("latin-1") + p.stderr.decode("latin-1")
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode("latin-1") + "\n(nghttp timed out)"
    hdrs = {}
    keep = []
    for line in out.splitlines():
        if ("recv (stream_id=" in line or "GOAWAY" in line or "RST_STREAM" in line or "error_code" in line
                or "timed out" in line or "rror" in line or ":path" in line or "content-type" in line
                or "processed" in line):
            keep.append(line)
        # "[  0.001] recv (stream_id=13) :status: 415"
        if "] recv (stream_id=" in line:
            rest = line.split(") ", 1)[1]
            if rest.startswith(":"):
                name, _, value = rest[1:].partition(": ")
                name = ":" + name
            else:
                name, _, value = rest.partition(": ")
            hdrs[name] = value
    return hdrs, "\n".join(keep[-25:])


def h2frame(ftype, flags, stream, payload):
    """One HTTP/2 frame."""
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream) + payload


SETTINGS = h2frame(4, 0, 0, b"")

# (label, bytes, whether a GOAWAY with an error code must come back)
GARBAGE = [
    ("an HTTP/1.1 request", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", False),
    ("random bytes", bytes((i * 97 + 13) & 0xFF for i in range(200)), False),
    ("a DATA frame on stream 0", PREFACE + SETTINGS + h2frame(0, 0, 0, b"abc"), True),
    ("a frame over the maximum size", PREFACE + SETTINGS + b"\xff\xff\xff\x00\x00\x00\x00\x00\x01" + b"x" * 100, True),
    ("HEADERS with a broken HPACK block", PREFACE + SETTINGS + h2frame(1, 4 | 1, 1, b"\xff\xff\xff\xff\xff\xff"), True),
    ("a frame on an even (server) stream", PREFACE + SETTINGS + h2frame(1, 5, 2, b"\x82"), True),
    ("a SETTINGS frame of a bad length", PREFACE + h2frame(4, 0, 0, b"\x00\x01\x00"), True),
    ("WINDOW_UPDATE overflowing the window",
     PREFACE + SETTINGS + h2frame(8, 0, 0, struct.pack(">I", 0x7FFFFFFF)) * 2, True),
]


def garbage(port, send, seconds=3.0):
    """Sends bytes on a fresh connection; returns (GOAWAY error code or None,
    whether the server closed the connection within `seconds`)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=seconds)
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
    except (BrokenPipeError, ConnectionResetError):
        closed = True
    finally:
        s.close()
    return goaway, closed


def have_nghttp():
    return os.access(NGHTTP, os.X_OK)


def http_cases(t, addr, method, good, normal):
    """The raw HTTP/2 cases shared by every server: content types (415),
    compression flags and encodings, broken gRPC framing, bad grpc-timeout.
    `method` is a unary method, `good` a valid serialized request for it,
    `normal()` checks that a normal call still succeeds."""
    if not have_nghttp():
        t.not_ok("nghttp is installed (nghttp2-client)", "cannot run the raw HTTP/2 cases")
        return
    g = ["content-type: application/grpc", "te: trailers"]
    h, out = nghttp(addr, method, g, grpc_frame(good), t.tmp)
    t.check(h.get(":status") == "200" and h.get("grpc-status") == "0",
            "raw HTTP/2 gRPC call with nghttp -> 200, grpc-status 0", out)
    for ct in ("text/plain", "application/json"):
        h, out = nghttp(addr, method, ["content-type: " + ct], b"vendor=aws", t.tmp)
        t.check(h.get(":status") == "415", "content-type %s -> HTTP 415" % ct, out)
    h, out = nghttp(addr, method, ["te: trailers"], b"", t.tmp)
    t.check(h.get(":status") == "415", "no content-type -> HTTP 415", out)
    normal("non-gRPC content types")

    h, out = nghttp(addr, method, ["content-type: application/grpc+proto", "te: trailers"], grpc_frame(good), t.tmp)
    t.check(h.get(":status") == "200" and h.get("grpc-status") == "0",
            "content-type application/grpc+proto is accepted", out)
    # A GET is not a gRPC call either: an answer, not a crash nor a hang.
    h, out = nghttp(addr, "/", [], None, t.tmp)
    t.check(h.get(":status") not in (None, "200") or h.get("grpc-status") not in (None, "0"),
            "GET / -> an HTTP or gRPC error", out)
    # Compressed flag without grpc-encoding: gRPC says Internal.
    h, out = nghttp(addr, method, g, grpc_frame(good, compressed=True), t.tmp)
    t.check(h.get("grpc-status") in ("13", "12", "3"),
            "compressed message without grpc-encoding -> Internal (or Unimplemented/InvalidArgument)", out)
    h, out = nghttp(addr, method, g + ["grpc-encoding: snappy-x"], grpc_frame(good, compressed=True), t.tmp)
    t.check(h.get("grpc-status") == "12", "unsupported grpc-encoding -> Unimplemented", out)
    # The length prefix promises more bytes than the stream carries.
    h, out = nghttp(addr, method, g, b"\x00" + struct.pack(">I", 100) + good, t.tmp)
    t.check(h.get("grpc-status") not in (None, "0"), "truncated gRPC message -> an error status, no hang", out)
    # A prefix announcing a 4 GB message.
    h, out = nghttp(addr, method, g, b"\x00\xff\xff\xff\xff" + good, t.tmp)
    t.check(h.get("grpc-status") == "8", "a prefix announcing 4 GB -> ResourceExhausted", out)
    h, out = nghttp(addr, method, g, b"", t.tmp)
    t.check(h.get("grpc-status") not in (None, "0") or h.get(":status") not in (None, "200"),
            "unary call without a message -> an error status", out)
    h, out = nghttp(addr, method, g, grpc_frame(good) * 2, t.tmp)
    t.check(h.get("grpc-status") not in (None, "0"), "unary call with two messages -> an error status", out)
    h, out = nghttp(addr, method, g + ["grpc-timeout: 99999999999S"], grpc_frame(good), t.tmp)
    t.check(h.get("grpc-status") is not None, "an invalid grpc-timeout gets an answer", out)
    h, out = nghttp(addr, method, g + ["grpc-timeout: 1n"], grpc_frame(good), t.tmp)
    t.check(h.get("grpc-status") in ("0", "4"), "a 1 ns grpc-timeout -> OK or DeadlineExceeded", out)
    normal("raw HTTP/2 requests")


def garbage_cases(t, port, normal):
    """Garbage on fresh connections: the server closes them (with GOAWAY and
    an error code once the preface was right) and serves others meanwhile."""
    for label, data, want_goaway in GARBAGE:
        code, closed = garbage(port, data)
        t.check(closed, "garbage (%s) -> connection closed" % label, "goaway=%s closed=%s" % (code, closed))
        if want_goaway:
            t.check(code is not None and code != 0, "garbage (%s) -> GOAWAY with an error code" % label,
                    "goaway error code %s" % code)
    normal("garbage connections")
    # Half-open clients (half a preface, then silence) block nobody.
    stalled = []
    for _ in range(50):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(PREFACE[:8])
        stalled.append(s)
    normal("50 stalled connections (still open)")
    for s in stalled:
        s.close()
