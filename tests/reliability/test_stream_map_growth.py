#!/usr/bin/python3
"""A connection whose session's stream map outgrows its first table: 100
open request streams (HEADERS without END_STREAM, ended by the gateway's
request timeout) and 100 idle streams named by PRIORITY frames hold more
than the 192 entries nghttp2's first 4 KiB table takes, so nghttp2 frees
it for a bigger one. The gateway's idle sweep (once a second, on
connections idle for a second) looks at that table to give its pages back:
it must know the table is gone. Under AddressSanitizer a read of the freed
table is reported; the gateway must stay up and answer afterwards, on that
connection and on a new one."""
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import T  # noqa: E402
import overload as ov  # noqa: E402

t = T()
t.require_bins()
st = t.start_storage()
gw = t.start_gateway(st.port, "--request-timeout-ms", "500")
h = ov.H2(gw.port)
h.read(0.2)
block = ov.request_block("/api.ProdService/GetVendorProdTypes")
out = bytearray()
for i in range(100):  # open, never ended: the request timeout ends them
    out += ov.frame(ov.HEADERS, ov.END_HEADERS, 1 + 2 * i, block)
for i in range(100):  # idle streams, by PRIORITY (RFC 7540 priorities)
    out += ov.frame(2, 0, 201 + 2 * i, b"\x00\x00\x00\x00\x10")
t.check(h.send(bytes(out)), "100 open and 100 idle streams sent on one connection")
h.read(1.0)
time.sleep(2.5)  # the calls have ended; the sweep has looked at the connection twice
msg = ov.grpc_msg(ov.api_pb2.ClientRequestType(vendor="aws").SerializeToString())
sid = 401
h.send(ov.frame(ov.HEADERS, ov.END_HEADERS, sid, block) + ov.frame(ov.DATA, ov.END_STREAM, sid, msg))
h.read(1.0, until=lambda x: x.closed)
t.check(not h.closed and h.goaway is None, "that connection is still served after the sweep (no GOAWAY, open)")
h.close()
rc, out, err, _ = t.client("getprodtypes", "aws", port=gw.port)
t.check(rc == 0 and out.strip() == "aws cloud products type are:  compute storage",
        "a new connection is answered", "exit %d: %s %s" % (rc, out, err))
t.finish()
