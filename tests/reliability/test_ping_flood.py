#!/usr/bin/python3
"""Abuse: PING and SETTINGS floods. A raw client with a small receive buffer
sends up to 500,000 PING frames (or 500,000 empty SETTINGS frames), each of
which the server must acknowledge, and never reads the ACKs. Once the ACKs
it cannot send pile up (nghttp2: 1000 queued control frames), nghttp2 stops
the session and the server closes the connection. Against the gateway and
storage; meanwhile a client of the gateway gets its answers within 50 ms at
p99, and both daemons' memory stays flat."""
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import T  # noqa: E402
import overload as ov  # noqa: E402

MAX_FRAMES = 500000
BATCH = 2000

t = T()
t.require_bins()
st = t.start_storage()
gw = t.start_gateway(st.port)
probe = ov.Probe("127.0.0.1:%d" % gw.port)

FLOODS = [("PING", ov.frame(ov.PING, 0, 0, b"12345678")), ("SETTINGS", ov.settings())]


probe.start(200, 0.02)
rss0 = {d: ov.vmrss_kb(d.proc.pid) for d in (gw, st)}
for name, d in (("gateway", gw), ("storage", st)):
    for label, one in FLOODS:
        h = ov.H2(d.port, rcvbuf=4096, timeout=5)
        h.read(0.1)
        t0 = time.monotonic()
        sent = 0
        chunk = one * BATCH
        while sent < MAX_FRAMES and h.send(chunk):
            sent += BATCH
        cut = h.closed  # a send failed: the server reset the connection
        if not cut:
            # the ACKs were never read; now look whether the server ended it
            h.read(3, until=lambda x: x.goaway is not None)
            cut = h.goaway is not None or h.closed
        took = time.monotonic() - t0
        h.close()
        print("# %s, %s flood: %s after %d frames (%.3f s)"
              % (name, label, "connection closed" if cut else "NOT closed", sent, took))
        t.check(cut and sent < MAX_FRAMES, "%s: a %s flood without reading the ACKs -> connection closed" % (name, label),
                "%d frames sent, closed=%s" % (sent, cut))
    t.check(d.alive(), "%s is alive after the floods" % name)
probe.join()
probe.report(t, "during the PING and SETTINGS floods")
for d, name in ((gw, "gateway"), (st, "storage")):
    rss = ov.vmrss_kb(d.proc.pid)
    print("# %s VmRSS: %d kB before the floods, %d kB after" % (name, rss0[d], rss))
    t.check(rss - rss0[d] < 64 * 1024, "%s memory stays flat (+%d kB)" % (name, rss - rss0[d]))
rc, out, err, ms = t.client("getprods", "aws", "storage", port=gw.port)
t.check(rc == 0 and len(out.splitlines()) == 7, "a full GetVendorProds afterwards (%d ms)" % ms, err)
probe.close()
t.finish()
