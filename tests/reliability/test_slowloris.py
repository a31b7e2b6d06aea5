#!/usr/bin/python3
"""Abuse: slowloris, one byte a second, on the gateway started with
--handshake-timeout-ms 1000 --idle-timeout-ms 2000 --request-timeout-ms 2000.
  1. 50 connections trickle the HTTP/2 preface: each is closed by the
     handshake timeout (1 s), long before its 24-byte preface is done.
  2. 20 connections complete the handshake, then trickle the bytes of one
     frame that never ends: no stream is ever opened, so the connection is
     idle: it must be closed by the idle timeout (2 s) even though bytes keep
     arriving.
  3. 20 connections open a stream and trickle its request message: the
     request timeout (2 s) ends the call with ResourceExhausted.
Meanwhile a connected client gets its answers within 50 ms at p99."""
import os
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import T  # noqa: E402
import overload as ov  # noqa: E402

HANDSHAKE_MS, IDLE_MS, REQUEST_MS = 1000, 2000, 2000
N1, N2, N3 = 50, 20, 20

t = T()
t.require_bins()
st = t.start_storage()
gw = t.start_gateway(st.port, "--handshake-timeout-ms", str(HANDSHAKE_MS), "--idle-timeout-ms", str(IDLE_MS),
                     "--request-timeout-ms", str(REQUEST_MS))
probe = ov.Probe("127.0.0.1:%d" % gw.port)


class Loris(threading.Thread):
    """Sends `prefix` at once, then `trickle` one byte a second, until the
    server closes the connection or `limit` seconds pass."""

    def __init__(self, prefix, trickle, limit, until=None):
        super().__init__(daemon=True)
        self.prefix, self.trickle, self.limit = prefix, trickle, limit
        self.until = until or (lambda h: False)
        self.closed_after = None  # seconds until the server closed, or until(h)
        self.sent = 0
        # no SETTINGS ACK before our own preface: the trickle is all we send
        self.h2 = ov.H2(gw.port, handshake=False, autoack=bool(prefix))

    def run(self):
        t0 = time.monotonic()
        h = self.h2
        if self.prefix and not h.send(self.prefix):
            self.closed_after = 0.0
            return
        h.read(0.2)  # the server's SETTINGS (and our ACK)
        for b in self.trickle:
            if h.closed or self.until(h) or time.monotonic() - t0 > self.limit:
                break
            if not h.send(bytes([b])):
                break
            self.sent += 1
            h.read(1.0, until=self.until)
        if not h.closed and not self.until(h):
            h.read(max(0.0, self.limit - (time.monotonic() - t0)), until=self.until)
        if h.closed or self.until(h):
            self.closed_after = time.monotonic() - t0
        h.close()


def run(lorises, what, limit_s, bound_s, low_s=0.0, verb="closes"):
    for lo in lorises:
        lo.start()
    for lo in lorises:
        lo.join(limit_s + 5)
    times = [lo.closed_after for lo in lorises if lo.closed_after is not None]
    t.check(len(times) == len(lorises), "%s: the server %s every one (%d of %d)" % (what, verb, len(times), len(lorises)),
            "still open after %.0f s: %d" % (limit_s, len(lorises) - len(times)))
    if times:
        print("# %s: closed after %.2f .. %.2f s, %d..%d bytes sent"
              % (what, min(times), max(times), min(lo.sent for lo in lorises), max(lo.sent for lo in lorises)))
        t.check(low_s <= min(times) and max(times) <= bound_s, "%s: within %.1f .. %.1f s (%.2f .. %.2f s)"
                % (what, low_s, bound_s, min(times), max(times)))
    return lorises


probe.start(200, 0.02)

# 1. The preface, a byte a second.
run([Loris(b"", ov.PREFACE + ov.settings(), 10) for _ in range(N1)],
    "slowloris in the preface", 10, HANDSHAKE_MS / 1000.0 + 0.6, HANDSHAKE_MS / 1000.0 - 0.1)
t.check("no handshake within %d ms" % HANDSHAKE_MS in gw.text(), "the gateway logs the handshake timeouts")

# 2. A complete handshake, then a frame that never ends (an unknown frame
#    type, which HTTP/2 says to ignore, announcing 16 KiB), a byte a second.
endless = ov.frame(0xEE, 0, 0, b"x" * 16384)
# Idleness counts from the end of the last call, not the last byte, so the
# idle timeout closes it.
run([Loris(ov.PREFACE + ov.settings(), endless, 6) for _ in range(N2)],
    "slowloris after the handshake (no stream)", 6, IDLE_MS / 1000.0 + 1.0, IDLE_MS / 1000.0 - 0.1)

# 3. A stream whose request message comes a byte a second.
msg = ov.grpc_msg(ov.api_pb2.ClientRequestProds(vendor="aws", productType="storage").SerializeToString())
req = ov.PREFACE + ov.settings() + ov.frame(ov.HEADERS, ov.END_HEADERS, 1,
                                            ov.request_block("/api.ProdService/GetVendorProds"))


def stream1_ended(h):
    """The server answered stream 1 with its final HEADERS, or reset it."""
    return 1 in h.rst or any(f[0] == ov.HEADERS and f[2] == 1 and f[1] & ov.END_STREAM for f in h.frames)


run([Loris(req, ov.frame(ov.DATA, ov.END_STREAM, 1, msg), 10, until=stream1_ended) for _ in range(N3)],
    "slowloris in the request message", 10, REQUEST_MS / 1000.0 + 0.6, REQUEST_MS / 1000.0 - 0.1,
    verb="ends the call of")
t.check("request not received within %d ms" % REQUEST_MS in gw.text(),
        "slowloris in the request message: the request timeout ends the call (logged)", gw.tail())

probe.join()
probe.report(t, "during the slowloris")
t.check(gw.alive(), "the gateway is alive after the slowloris")
probe.close()
t.finish()
