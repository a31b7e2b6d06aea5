#!/usr/bin/python3
"""Protocol conformance (PROTOCOL-HTTP2.md), server side: a raw HTTP/2 client
(tests/lib/h2wire.py) against our gateway, our storage behind it. Cases that
tests/integration/test_bad_input.py already covers are not repeated (see
docs/interop.md, "Protocol conformance"). Verdicts go to
build/interop/results/conformance-gateway.tsv."""
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import harness  # noqa: E402
from harness import T  # noqa: E402
import h2wire as w  # noqa: E402
from conformance import Rows  # noqa: E402

api_pb2, _ = harness.stubs()

TYPES = "/api.ProdService/GetVendorProdTypes"
PRODS = "/api.ProdService/GetVendorProds"
MAX_HDR = 4096

t = T()
t.require_bins(("storage", "gateway"))
st = t.start_storage()
gw = t.start_gateway(st.port, "--max-header-bytes", str(MAX_HDR))
rows = Rows(t, "conformance-gateway", "gateway")


def types_req(vendor="aws"):
    return w.grpc_msg(api_pb2.ClientRequestType(vendor=vendor).SerializeToString())


def prods_req(vendor="google", ptype="storage"):
    return w.grpc_msg(api_pb2.ClientRequestProds(vendor=vendor, productType=ptype).SerializeToString())


def call(c, sid, path, body, extra=(), te=True, ctype="application/grpc", pieces=1, data_size=None, seconds=5):
    c.send(c.headers_frames(sid, w.request_headers(path, te=te, ctype=ctype, extra=extra), pieces=pieces)
           + c.data_frames(sid, body, size=data_size))
    c.until(lambda c: c.ended(sid), seconds)
    return c.response(sid)


def product_types(data):
    return [api_pb2.ClientResponseType.FromString(b).productType for _, b in w.grpc_msgs(data)]


c = w.H2.connect(gw.port)
sid = 1

with rows.row("a request message split over one DATA frame per byte") as r:
    h, tr, data, rst = call(c, sid, TYPES, types_req(), data_size=1)
    r.check(product_types(data) == [" compute storage"] and c.status(sid)[0] == "0",
            "10 one-byte DATA frames -> the answer, grpc-status 0", h, tr, data, rst)
sid += 2

with rows.row("request headers spanning CONTINUATION frames") as r:
    extra = [("x-filler-%d" % i, "v" * 40) for i in range(20)]
    h, tr, data, rst = call(c, sid, TYPES, types_req(), extra=extra, pieces=4)
    r.check(product_types(data) == [" compute storage"] and c.status(sid)[0] == "0",
            "HEADERS + 3 CONTINUATION -> the answer, grpc-status 0", h, tr, rst)
sid += 2

with rows.row("trailers-only response for an error") as r:
    call(c, sid, TYPES, types_req("nobody"))
    evs = c.of(sid)
    r.check(len(evs) == 1 and evs[0][0] == "headers" and evs[0][3],
            "one HEADERS frame with END_STREAM, no DATA", evs)
    hs = dict(evs[0][2]) if evs and evs[0][0] == "headers" else {}
    r.check(hs.get(":status") == "200" and hs.get("content-type", "").startswith("application/grpc")
            and hs.get("grpc-status") == "3", "it carries :status 200, content-type and grpc-status 3", hs)
sid += 2

with rows.row("grpc-message percent-encoded by the server") as r:
    ptype = "t%\u00fc\u263a"
    call(c, sid, PRODS, prods_req("aws", ptype))
    code, raw = c.status(sid)
    want = "error while calling client.GetProdsDetail() method: Invalid ProductType: " + ptype
    r.check(code == "3", "grpc-status 3 (InvalidArgument)", code, raw)
    r.check(raw is not None and all(0x20 <= ord(ch) <= 0x7E for ch in raw) and "%25" in raw and "%C3%BC" in raw.upper(),
            "the raw grpc-message is printable ASCII with %-escapes (%25, %C3%BC)", repr(raw))
    r.check(raw is not None and urllib.parse.unquote(raw, errors="strict") == want,
            "it decodes to the UTF-8 message", repr(raw), want)
sid += 2

with rows.row("custom and -bin metadata received and forwarded to storage") as r:
    md = [("x-device-id", "board-7"), ("x-trace-bin", "AAEC/w==")]
    h, tr, data, rst = call(c, sid, PRODS, prods_req("aws", "compute"), extra=md)
    r.check(c.status(sid)[0] == "0" and len(w.grpc_msgs(data)) == 6, "the call succeeds (6 products)", tr, rst)
    r.log_has(gw, r"request metadata: x-device-id=board-7, x-trace-bin=AAEC/w==",
              "the gateway logs both pairs, -bin still base64")
    r.log_has(st, r"request metadata: x-device-id=board-7", "storage logs x-device-id, forwarded")
    r.log_has(st, r"request metadata: x-trace-bin=AAEC/w==", "storage logs x-trace-bin, forwarded")
sid += 2

with rows.row("compressed flag without grpc-encoding -> Internal") as r:
    call(c, sid, TYPES, w.grpc_msg(api_pb2.ClientRequestType(vendor="aws").SerializeToString(), compressed=True))
    r.check(c.status(sid)[0] == "13", "grpc-status 13", c.status(sid))
sid += 2

with rows.row("unsupported grpc-encoding -> Unimplemented with grpc-accept-encoding") as r:
    call(c, sid, TYPES, w.grpc_msg(b"\x1f\x8b", compressed=True), extra=[("grpc-encoding", "gzip")])
    h, tr, _, _ = c.response(sid)
    r.check(c.status(sid)[0] == "12", "grpc-status 12", c.status(sid))
    acc = (tr or h).get("grpc-accept-encoding", "")
    r.check("identity" in acc and "gzip" not in acc, "grpc-accept-encoding lists what it takes (identity)", h, tr)
sid += 2

with rows.row("missing te: trailers -> accepted (as grpc-go)") as r:
    h, tr, data, rst = call(c, sid, TYPES, types_req(), te=False)
    r.check(product_types(data) == [" compute storage"] and c.status(sid)[0] == "0", "answered, grpc-status 0", h, tr, rst)
sid += 2

with rows.row("unknown service and unknown method -> Unimplemented") as r:
    call(c, sid, "/api.NoService/Get", types_req())
    r.check(c.status(sid) == ("12", "unknown service api.NoService"), "unknown service: 12, grpc-go's words", c.status(sid))
    sid += 2
    call(c, sid, "/api.ProdService/Nope", types_req())
    r.check(c.status(sid) == ("12", "unknown method Nope for service api.ProdService"),
            "unknown method: 12, grpc-go's words", c.status(sid))
sid += 2

with rows.row("PING answered") as r:
    c.send(w.ping(b"\x00conf\xffok"))
    got = c.until(lambda c: [e for e in c.events if e[0] == "ping" and e[1]], 3)
    r.check(got and got[0][2] == b"\x00conf\xffok", "a PING ACK with the same 8 bytes", got)
c.close()

with rows.row("client window (SETTINGS_INITIAL_WINDOW_SIZE 16) smaller than one message") as r:
    s = w.H2.connect(gw.port, settings={w.SETTINGS_INITIAL_WINDOW_SIZE: 16})
    s.send(s.headers_frames(1, w.request_headers(PRODS)) + s.data_frames(1, prods_req("google", "storage")))
    got, end = 0, time.monotonic() + 10
    while not s.ended(1) and time.monotonic() < end:
        s.until(lambda s: sum(len(e[2]) for e in s.of(1, "data")) > got or s.ended(1), 2)
        n = sum(len(e[2]) for e in s.of(1, "data"))
        if n > got:  # give back what was read, stream and connection
            s.send(w.window_update(1, n - got) + w.window_update(0, n - got))
            got = n
    frames = s.of(1, "data")
    r.check(max([len(e[2]) for e in frames] or [0]) <= 16, "no DATA frame over the 16-byte window",
            [len(e[2]) for e in frames])
    r.check(s.status(1)[0] == "0" and len(w.grpc_msgs(s.response(1)[2])) == 6,
            "the stream completes: 6 products over %d DATA frames, grpc-status 0" % len(frames), s.status(1))
    s.close()

with rows.row("header list over --max-header-bytes -> stream reset") as r:
    s = w.H2.connect(gw.port)
    s.until(lambda s: any(e[0] == "settings" for e in s.events), 2)
    s.send(s.headers_frames(1, w.request_headers(TYPES, extra=[("x-big", "b" * (MAX_HDR + 1000))]))
           + s.data_frames(1, types_req()))
    s.until(lambda s: s.ended(1), 5)
    r.check(s.response(1)[3] is not None and not s.of(1, "headers"), "RST_STREAM, no response",
            s.of(1), s.closed)
    s.send(s.headers_frames(3, w.request_headers(TYPES, extra=[("x-big", "b" * (MAX_HDR // 2))]))
           + s.data_frames(3, types_req()))
    s.until(lambda s: s.ended(3), 5)
    r.check(s.status(3)[0] == "0", "the same connection then serves a header list under the limit", s.of(3))
    s.close()
    r.log_has(gw, r"header list over %d bytes, stream reset" % MAX_HDR, "the gateway logs the reset")

rows.write()
t.check(gw.alive() and st.alive(), "gateway and storage alive at the end")
t.finish()
