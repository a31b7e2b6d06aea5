#!/usr/bin/python3
"""Overload: 5,000 idle connections against the gateway. Each one completes
the HTTP/2 handshake (preface + SETTINGS) and then sends nothing. The
gateway holds at most --max-connections of them and closes the rest at
once; the idle timeout closes the held ones later (with GOAWAY), after
which new clients connect again. Meanwhile a client that was already
connected gets its answers within 50 ms at p99."""
import os
import selectors
import socket
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import T  # noqa: E402
import overload as ov  # noqa: E402

N = 5000
MAX_CONN = 1000
IDLE_MS = 6000

t = T()
t.require_bins()
nofile = ov.raise_nofile()
print("# descriptor limit of the test process: %d" % nofile)
if nofile < N + 100:
    t.bail("need %d descriptors, the hard limit allows %d" % (N + 100, nofile))
st = t.start_storage()
gw = t.start_gateway(st.port, "--max-connections", str(MAX_CONN), "--idle-timeout-ms", str(IDLE_MS),
                     "--handshake-timeout-ms", "2000")
addr = "127.0.0.1:%d" % gw.port
probe = ov.Probe(addr)
fds0 = ov.sockets_of(gw.proc.pid)

probe.start(200, 0.01)
t0 = time.monotonic()
socks = []
refused_connect = 0
hello = ov.PREFACE + ov.settings()
for i in range(N):
    s = socket.socket()
    s.setblocking(True)
    s.settimeout(2)
    try:
        s.connect(("127.0.0.1", gw.port))
        s.sendall(hello)
    except OSError:
        refused_connect += 1
        s.close()
        continue
    s.setblocking(False)
    socks.append(s)
opened = time.monotonic() - t0
print("# opened %d connections in %.2f s (%d failed to connect)" % (len(socks), opened, refused_connect))

# Which of them did the gateway close? Watch for EOF / reset for a second.
sel = selectors.DefaultSelector()
for s in socks:
    sel.register(s, selectors.EVENT_READ)
closed = set()


def drain(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for key, _ in sel.select(timeout=0.1):
            s = key.fileobj
            try:
                data = s.recv(65536)
            except (ConnectionResetError, OSError):
                data = b""
            except BlockingIOError:
                continue
            if not data:
                closed.add(s)
                sel.unregister(s)


drain(1.5)
held = len(socks) - len(closed)
gw_socks = ov.sockets_of(gw.proc.pid)
print("# the gateway holds %d of them; its sockets: %d before, %d now" % (held, fds0, gw_socks))
t.check(0 < held <= MAX_CONN, "the gateway holds at most --max-connections (%d) idle connections (%d)" % (MAX_CONN, held))
t.check(len(closed) >= len(socks) - MAX_CONN,
        "connections over the limit are closed at once (%d of %d closed)" % (len(closed), len(socks)))
t.check(gw_socks <= MAX_CONN + fds0 + 2, "the gateway's open sockets stay under the limit (%d)" % gw_socks)
probe.join()
probe.report(t, "while 5,000 idle connections arrive")
t.check(gw.alive(), "the gateway is alive after 5,000 connections")

# A new client while the gateway is full: refused (closed) rather than queued.
with ov.grpc.insecure_channel(addr, options=ov.LOCAL_POOL) as ch:
    try:
        ov.api_pb2_grpc.ProdServiceStub(ch).GetVendorProdTypes(ov.api_pb2.ClientRequestType(vendor="aws"), timeout=1)
        full = "answered"
    except ov.grpc.RpcError as e:
        full = str(e.code())
print("# a new client while %d idle connections fill the gateway: %s" % (held, full))
t.check(full == "StatusCode.UNAVAILABLE", "a new client while the gateway is full is refused at once (Unavailable)",
        "got " + full)

# The idle timeout frees the slots: every held connection is closed.
wait_end = t0 + IDLE_MS / 1000.0 + 4.0
while time.monotonic() < wait_end and len(closed) < len(socks):
    drain(0.5)
took = time.monotonic() - t0
t.check(len(closed) == len(socks), "the idle timeout (%d ms) closes every idle connection (%d left open after %.1f s)"
        % (IDLE_MS, len(socks) - len(closed), took))
probe2 = ov.Probe(addr)  # a new client, after the idle connections went
probe2.start(50, 0.0)
probe2.join()
probe2.report(t, "from a new client after the idle connections were closed")
probe2.close()
probe.close()
for s in socks:
    s.close()
t.finish()
