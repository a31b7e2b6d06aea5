#!/usr/bin/python3
"""Fault: the gateway gets SIGTERM with streams in flight, then restarts.
  1. Graceful drain: every open connection gets GOAWAY (NO_ERROR), the
     listener closes at once (new connections refused), the streams already
     started finish with every product, and the gateway exits 0 as soon as
     they are done (well within its 5 s drain timeout).
  2. A stream longer than the drain timeout is cut at 5 s; the gateway still
     exits 0, and says so in its log.
  3. The gateway restarts on the same port: the board client's
     (firmware-client) next call succeeds at once."""
import errno
import os
import signal
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import T, BIN  # noqa: E402
import overload as ov  # noqa: E402

DRAIN_S = 5.0  # DRAIN_MS in gateway/src/gw_main.c
grpc, api_pb2, api_pb2_grpc = ov.grpc, ov.api_pb2, ov.api_pb2_grpc

t = T()
t.require_bins()
st = t.start_storage()


class Stream(threading.Thread):
    """One GetVendorProds read to its end on its own connection."""

    def __init__(self, addr, vendor, ptype):
        super().__init__(daemon=True)
        self.addr, self.req = addr, api_pb2.ClientRequestProds(vendor=vendor, productType=ptype)
        self.titles, self.code, self.details = [], None, ""
        self.first = threading.Event()

    def run(self):
        with grpc.insecure_channel(self.addr, options=ov.LOCAL_POOL) as ch:
            try:
                for m in api_pb2_grpc.ProdServiceStub(ch).GetVendorProds(self.req, timeout=30):
                    self.titles.append(m.product.title)
                    self.first.set()
                self.code = grpc.StatusCode.OK
            except grpc.RpcError as e:
                self.code, self.details = e.code(), e.details()
        self.first.set()


def refused(port):
    s = socket.socket()
    s.settimeout(1)
    try:
        return s.connect_ex(("127.0.0.1", port)) == errno.ECONNREFUSED
    finally:
        s.close()


def wait_exit(d, seconds):
    """Seconds until the process exited, or None."""
    t0 = time.monotonic()
    try:
        d.proc.wait(seconds)
    except Exception:  # noqa: BLE001 - subprocess.TimeoutExpired
        return None
    d.stopped = True
    return time.monotonic() - t0


# ---- 1. graceful drain -------------------------------------------------------
gw = t.start_gateway(st.port, "--stream-delay-ms", "300")
addr = "127.0.0.1:%d" % gw.port
watcher = ov.H2(gw.port)  # an idle HTTP/2 connection, to see the GOAWAY
watcher.read(0.3)
streams = [Stream(addr, v, p) for v, p in (("aws", "storage"), ("aws", "compute"), ("google", "storage"))]
for s in streams:
    s.start()
for s in streams:
    s.first.wait(5)
t_term = time.monotonic()
gw.proc.send_signal(signal.SIGTERM)
watcher.read(2, until=lambda h: h.goaway is not None)
t_goaway = time.monotonic() - t_term
t.check(watcher.goaway is not None and watcher.goaway[1] == 0,
        "SIGTERM: an open connection gets GOAWAY NO_ERROR (%.0f ms after the signal)" % (t_goaway * 1000),
        "goaway: %s" % (watcher.goaway,))
time.sleep(0.05)
t.check(refused(gw.port), "draining: new connections are refused")
rc, out, err, ms = t.client("getprodtypes", "aws", port=gw.port)
t.check(rc == 1 and "code = Unavailable" in err, "draining: a new client gets Unavailable at once (%d ms)" % ms,
        err)
took = wait_exit(gw, DRAIN_S + 2)
for s in streams:
    s.join(5)
want = {("aws", "storage"): 7, ("aws", "compute"): 6, ("google", "storage"): 6}
for s in streams:
    key = (s.req.vendor, s.req.productType)
    t.check(s.code == grpc.StatusCode.OK and len(s.titles) == want[key],
            "draining: the stream %s %s in flight finishes (%d products, %s)" % (key + (len(s.titles), s.code)),
            s.details)
if took is None:
    t.not_ok("the gateway exits within the drain timeout", gw.tail())
else:
    print("# SIGTERM -> GOAWAY %.0f ms, exit after %.2f s (the slowest stream needed ~1.8 s)" % (t_goaway * 1000, took))
    t.check(gw.proc.returncode == 0, "the drained gateway exits 0", "exit status %s" % gw.proc.returncode)
    t.check(took < DRAIN_S, "the gateway exits once the streams are done, within the %.0f s drain timeout (%.2f s)"
            % (DRAIN_S, took))
t.check("drain timeout" not in gw.text(), "a clean drain cuts no call", gw.tail())
watcher.close()

# ---- 2. a stream longer than the drain timeout -------------------------------
gw2 = t.start_gateway(st.port, "--stream-delay-ms", "2000")
long_stream = Stream("127.0.0.1:%d" % gw2.port, "aws", "storage")  # 7 products: 12 s
long_stream.start()
long_stream.first.wait(5)
t_term = time.monotonic()
gw2.proc.send_signal(signal.SIGTERM)
took = wait_exit(gw2, DRAIN_S + 3)
long_stream.join(5)
if took is None:
    t.not_ok("a drain with a stream too long: the gateway exits at the drain timeout", gw2.tail())
else:
    print("# a 12 s stream under SIGTERM: the gateway exited after %.2f s, the client got %s after %d products"
          % (took, long_stream.code, len(long_stream.titles)))
    t.check(gw2.proc.returncode == 0, "a drain that times out still exits 0", "exit status %s" % gw2.proc.returncode)
    t.check(DRAIN_S - 0.2 <= took <= DRAIN_S + 1.0, "the drain gives up at its timeout (%.2f s)" % took)
t.check("drain timeout: 1 calls cut" in gw2.text(), "the gateway logs the call it cut", gw2.tail())
t.check(long_stream.code not in (None, grpc.StatusCode.OK) and len(long_stream.titles) < 7,
        "the cut stream ends with an error status (%s), not a silent short OK" % long_stream.code)

# ---- 3. restart on the same port --------------------------------------------
port = gw.port
rc, out, err, ms = t.client("getprodtypes", "google", port=port)
t.check(rc == 1 and "code = Unavailable" in err, "gateway down: the board client gets Unavailable (%d ms)" % ms, err)
gw3 = t.start([os.path.join(BIN, "gateway"), "--listen", "127.0.0.1:%d" % port,
               "--storage", "127.0.0.1:%d" % st.port], port, "gateway")
rc, out, err, ms = t.client("getprods", "google", "compute", port=port)
t.check(rc == 0 and t.check_eq(ov.harness.mask_short(out), t.expected("getprods_google_compute.txt"),
                               "gateway restarted: output"),
        "gateway restarted on the same port: the board client's next call succeeds (%d ms)" % ms, err)
rc, out, err, ms = t.client("getprodtypes", "oracle", port=port)
t.check(rc == 0, "gateway restarted: getprodtypes (%d ms)" % ms, err)
t.finish()
