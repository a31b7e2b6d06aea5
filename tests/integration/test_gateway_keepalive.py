#!/usr/bin/python3
"""Keepalive on the gateway's side (gRFC A8, grpc-go's keepalive policy), as
seen on the wire by a raw HTTP/2 client (tests/lib/h2wire.py): client PINGs
faster than --keepalive-min-ms end in GOAWAY ENHANCE_YOUR_CALM
"too_many_pings"; slower ones do not; idle PINGs are allowed unless
--no-keepalive-permit-without-calls; the gateway PINGs a silent connection
every --keepalive-ms and closes it when nothing answers within
--keepalive-timeout-ms; --max-connection-idle-ms and --max-connection-age-ms
send GOAWAY NO_ERROR, and a call in flight on an aged connection completes.
Settings of a few hundred ms keep every wait short and bounded."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import harness  # noqa: E402
from harness import T  # noqa: E402
import h2wire as w  # noqa: E402

api_pb2, _ = harness.stubs()
PRODS = "/api.ProdService/GetVendorProds"
MAX_SID = 0x7FFFFFFF


class Conn(w.H2):
    """h2wire's client, keeping each GOAWAY's debug data and when frames came."""

    def __init__(self, sock):
        super().__init__(sock)
        self.goaways = []  # (last_sid, code, debug)
        self.pings_at = []  # monotonic times of the server's own PINGs

    def _frame(self, ftype, flags, sid, p):
        if ftype == w.GOAWAY:
            last, code = w.struct.unpack(">II", p[:8])
            self.goaways.append((last & MAX_SID, code, p[8:]))
        if ftype == w.PING and not flags & w.ACK:
            self.pings_at.append(time.monotonic())
        super()._frame(ftype, flags, sid, p)


def connect(port, autoack=True):
    c = Conn.connect(port)
    c.autoack = autoack
    c.until(lambda c: any(e[0] == "settings" and not e[1] for e in c.events), 3)
    if not autoack:
        c.send(w.settings_frame(ack=True))
    return c


def acks(c):
    return sum(1 for e in c.events if e[0] == "ping" and e[1])


def calm(c):
    return [g for g in c.goaways if g[1] == w.ENHANCE_YOUR_CALM]


def pings(c, n, gap):
    """n PINGs gap seconds apart, reading in between."""
    for i in range(n):
        c.send(w.ping(b"ka%06d" % i))
        c.pump(gap)


t = T()
t.require_bins(("storage", "gateway"))
st = t.start_storage()

# --- the client's PINGs against the minimum interval ----------------------
gw = t.start_gateway(st.port, "--keepalive-min-ms", "300", "--keepalive-permit-without-calls")

c = connect(gw.port)
pings(c, 4, 0.01)  # the 2nd, 3rd and 4th are strikes
c.until(lambda c: c.closed, 2)
g = calm(c)
t.check(len(g) == 1 and g[0][2] == b"too_many_pings",
        "4 PINGs 10 ms apart (min 300 ms) -> GOAWAY ENHANCE_YOUR_CALM \"too_many_pings\"", c.goaways)
t.check(c.closed, "... and the gateway closes the connection at once")
c.close()
t.wait_log(gw, r"too many pings", "the gateway logs the too_many_pings close")

c = connect(gw.port)
pings(c, 5, 0.4)
c.pump(0.2)
t.check(not c.goaways and not c.closed and acks(c) == 5,
        "5 idle PINGs 400 ms apart (min 300 ms, permit-without-calls) -> all ACKed, no GOAWAY, still open",
        c.goaways, "acks=%d closed=%s" % (acks(c), c.closed))
c.close()

# --- the strict policy: no PING without a call ----------------------------
gw_strict = t.start_gateway(st.port, "--keepalive-min-ms", "300", "--no-keepalive-permit-without-calls")
c = connect(gw_strict.port)
pings(c, 4, 0.4)
c.until(lambda c: c.closed, 2)
g = calm(c)
t.check(len(g) == 1 and g[0][2] == b"too_many_pings" and c.closed,
        "no permit-without-calls: 4 idle PINGs 400 ms apart -> GOAWAY too_many_pings, closed", c.goaways)
c.close()

# --- the gateway's own PINGs and their timeout ----------------------------
gw_ka = t.start_gateway(st.port, "--keepalive-ms", "300", "--keepalive-timeout-ms", "200")
c = connect(gw_ka.port)
t0 = time.monotonic()
c.pump(1.45)
gaps = [b - a for a, b in zip([t0] + c.pings_at, c.pings_at)]
t.check(len(c.pings_at) >= 3 and all(0.25 <= d <= 0.6 for d in gaps) and not c.closed,
        "an idle connection that ACKs gets the gateway's PING every ~300 ms and stays open",
        "gaps: %s closed=%s" % (["%.3f" % d for d in gaps], c.closed))
c.close()

c = connect(gw_ka.port, autoack=False)
t0 = time.monotonic()
c.until(lambda c: c.closed, 3)
took = time.monotonic() - t0
t.check(c.closed and len(c.pings_at) >= 1 and 0.4 <= took <= 1.2,
        "a client that does not ACK is closed within keepalive-ms + timeout (500 ms): %.3f s" % took,
        "pings=%d closed=%s" % (len(c.pings_at), c.closed))
c.close()
t.wait_log(gw_ka, r"keepalive ping not acknowledged within 200 ms", "the gateway logs the keepalive close")

# --- max connection idle --------------------------------------------------
gw_idle = t.start_gateway(st.port, "--max-connection-idle-ms", "300")
c = connect(gw_idle.port)
t0 = time.monotonic()
c.until(lambda c: c.closed, 3)
took = time.monotonic() - t0
t.check(c.goaways and c.goaways[0][1] == w.NO_ERROR and c.closed and 0.25 <= took <= 1.2,
        "--max-connection-idle-ms 300: GOAWAY NO_ERROR and closed after %.3f s" % took, c.goaways)
c.close()

# --- max connection age, a call in flight ---------------------------------
gw_age = t.start_gateway(st.port, "--max-connection-age-ms", "400", "--max-connection-age-grace-ms", "5000",
                         "--stream-delay-ms", "300")
c = connect(gw_age.port)
req = w.grpc_msg(api_pb2.ClientRequestProds(vendor="google", productType="compute").SerializeToString())
c.send(c.headers_frames(1, w.request_headers(PRODS)) + c.data_frames(1, req))
t0 = time.monotonic()
c.until(lambda c: c.goaways, 2)
took = time.monotonic() - t0
t.check(c.goaways and c.goaways[0][1] == w.NO_ERROR and 0.3 <= took <= 0.9,
        "--max-connection-age-ms 400 (+-10 %%): GOAWAY NO_ERROR after %.3f s" % took, c.goaways)
c.until(lambda c: c.ended(1), 5)
_, _, data, rst = c.response(1)
n = len(w.grpc_msgs(data))
t.check(c.status(1)[0] == "0" and n == 5 and rst is None,
        "the call in flight on the aged connection completes: grpc-status 0, 5 products",
        c.status(1), "products=%d rst=%s" % (n, rst))
t.check(any(g[0] == 1 and g[1] == w.NO_ERROR for g in c.goaways),
        "the final GOAWAY names stream 1 as the last one processed", c.goaways)
c.until(lambda c: c.closed, 2)
t.check(c.closed, "the aged connection closes once its call is over")
c.close()

c = connect(gw_age.port)
c.until(lambda c: c.closed, 2)
t.check(c.goaways and c.goaways[0][1] == w.NO_ERROR and c.closed,
        "an idle aged connection: GOAWAY NO_ERROR, then closed", c.goaways)
c.close()

t.finish()
