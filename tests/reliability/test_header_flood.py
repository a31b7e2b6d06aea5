#!/usr/bin/python3
"""Abuse: header floods on raw HTTP/2, against the gateway and storage
(both at the default 16 KiB header list limit):
  1. one request with a 64 KiB header list (64 custom headers of 1 KiB, in
     HEADERS + CONTINUATION frames): the stream is reset, the connection
     stays usable (a normal request on it is answered);
  2. one header whose value is 256 KiB: the stream is reset or the
     connection closed;
  3. a HEADERS frame followed by 20,000 empty CONTINUATION frames
     (CVE-2024-27316 pattern) and 4. by 20,000 CONTINUATION frames of one
     small header each: the connection is closed long before the end.
Meanwhile a client of the gateway gets its answers within 50 ms at p99,
and afterwards both daemons answer normally."""
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import T  # noqa: E402
import overload as ov  # noqa: E402

N_CONT = 20000

t = T()
t.require_bins()
st = t.start_storage()
gw = t.start_gateway(st.port)
probe = ov.Probe("127.0.0.1:%d" % gw.port)
api_pb2 = ov.api_pb2

TARGETS = [
    ("gateway", gw, "/api.ProdService/GetVendorProdTypes", api_pb2.ClientRequestType(vendor="aws")),
    ("storage", st, "/api.StorageService/GetProdsDetail", api_pb2.StorageRequest(vendor="aws", productType="storage")),
]


def header_frames(sid, block, chunk=16384):
    """A header block as HEADERS + CONTINUATION frames of at most chunk bytes."""
    parts = [block[i:i + chunk] for i in range(0, len(block), chunk)] or [b""]
    out = bytearray()
    for i, p in enumerate(parts):
        flags = ov.END_HEADERS if i == len(parts) - 1 else 0
        if i == 0:
            out += ov.frame(ov.HEADERS, flags, sid, p)
        else:
            out += ov.frame(ov.CONTINUATION, flags, sid, p)
    return bytes(out)


def request(sid, path, body, extra=()):
    return header_frames(sid, ov.request_block(path, extra)) + ov.frame(ov.DATA, ov.END_STREAM, sid, ov.grpc_msg(body))


def answered_ok(h, sid):
    """Stream sid got a response message (DATA) and its trailers (HPACK may
    Huffman-code them, so the status itself is not decoded here)."""
    data = any(f[0] == ov.DATA and f[2] == sid and len(f[3]) > 5 for f in h.frames)
    return data and sid not in h.rst and ended(h, sid)


def ended(h, sid):
    return sid in h.rst or any(f[0] == ov.HEADERS and f[2] == sid and f[1] & ov.END_STREAM for f in h.frames)


probe.start(200, 0.02)
for name, d, path, req in TARGETS:
    body = req.SerializeToString()

    # 1. A 64 KiB header list.
    h = ov.H2(d.port)
    h.read(0.1)
    big = [("x-flood-%02d" % i, "v" * 1024) for i in range(64)]
    h.send(request(1, path, body, big))
    h.read(3, until=lambda x: ended(x, 1) or x.closed)
    how = ("RST_STREAM %s" % ov.goaway_name(h.rst[1])) if 1 in h.rst else \
        ("closed, GOAWAY %s" % (h.goaway,)) if h.closed else "answered" if ended(h, 1) else "nothing"
    print("# %s, 64 KiB header list: %s" % (name, how))
    t.check(1 in h.rst or h.closed, "%s: a 64 KiB header list -> stream reset (or connection closed)" % name, how)
    if not h.closed:
        h.send(request(3, path, body))
        h.read(3, until=lambda x: ended(x, 3) or x.closed)
        t.check(answered_ok(h, 3), "%s: the same connection then answers a normal request" % name)
    h.close()

    # 2. One 256 KiB header value.
    h = ov.H2(d.port)
    h.read(0.1)
    h.send(request(1, path, body, [("x-huge", "h" * (256 << 10))]))
    h.read(3, until=lambda x: ended(x, 1) or x.closed)
    how = ("RST_STREAM %s" % ov.goaway_name(h.rst[1])) if 1 in h.rst else \
        ("closed, GOAWAY %s" % ("none" if h.goaway is None else ov.goaway_name(h.goaway[1]))) if h.closed else \
        "answered" if ended(h, 1) else "nothing"
    print("# %s, one 256 KiB header: %s" % (name, how))
    t.check(1 in h.rst or h.closed, "%s: a 256 KiB header value -> stream reset or connection closed" % name, how)
    h.close()

    # 3 and 4. CONTINUATION floods.
    for label, cont in (("empty CONTINUATION frames", b""),
                        ("CONTINUATION frames of one header each", ov.hpack_literal("x-c", "y"))):
        h = ov.H2(d.port, rcvbuf=1 << 16)
        h.read(0.1)
        start = ov.frame(ov.HEADERS, 0, 1, ov.request_block(path))
        h.send(start)
        sent = 0
        t0 = time.monotonic()
        one = ov.frame(ov.CONTINUATION, 0, 1, cont)
        while sent < N_CONT and not h.closed:
            if not h.send(one * 500):
                break
            sent += 500
            h.read(0.001)
        h.read(2, until=lambda x: x.closed)
        print("# %s, %d %s: %s after %d frames (%.2f s), GOAWAY %s"
              % (name, N_CONT, label, "closed" if h.closed else "still open", sent, time.monotonic() - t0,
                 "none" if h.goaway is None else ov.goaway_name(h.goaway[1])))
        t.check(h.closed, "%s: %s -> connection closed" % (name, label))
        h.close()
    t.check(d.alive(), "%s is alive after the header floods" % name)

probe.join()
probe.report(t, "during the header floods")
rc, out, err, ms = t.client("getprods", "aws", "storage", port=gw.port)
t.check(rc == 0 and len(out.splitlines()) == 7, "both daemons answer a full GetVendorProds afterwards (%d ms)" % ms, err)
probe.close()
t.finish()
