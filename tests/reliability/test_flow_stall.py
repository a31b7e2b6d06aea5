#!/usr/bin/python3
"""Abuse: a client that opens streams and never reads them (flow-control
stall). Storage holds a big catalogue (storage --import, 20,000 products of
one type: a 1.7 MB StorageResponse, a 2.4 MB stream to the client). A raw
HTTP/2 client with a 4 KiB receive buffer opens 50 GetVendorProds streams
on one connection and never reads nor sends WINDOW_UPDATE: HTTP/2 flow control lets the gateway send 64 KiB a
stream, the rest must wait.

What must hold: the gateway's memory stays bounded while the client stalls.
The bound: the design keeps storage's whole answer per call while it
streams (1.7 MB x 200 calls), plus what flow control lets out per stream
(a window, 64 KiB) and some slack: VmRSS growth under
STALLED x (answer + 256 KiB) + 32 MiB. The gateway must not also encode
the whole 2.4 MB stream of every call ahead of the client's window.
Meanwhile a client connected beforehand gets answers within 50 ms at p99,
and once the stalled client goes away the gateway serves the big stream to
a normal client."""
import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import T, BIN  # noqa: E402
import overload as ov  # noqa: E402

PRODUCTS = 20000
CONNS, STREAMS = 1, 50
STALLED = CONNS * STREAMS

t = T()
t.require_bins()
tsv = os.path.join(t.tmp, "big.tsv")
with open(tsv, "w") as f:
    for i in range(PRODUCTS):
        f.write("bulk\tbig\tProduct %05d of the bulk catalogue\thttps://example.com/bulk/products/%05d/\n" % (i, i))
db = os.path.join(t.tmp, "catalogue.db")
p = subprocess.run([os.path.join(BIN, "storage"), "--db", db, "--import", tsv], capture_output=True, text=True)
t.check(p.returncode == 0, "storage --import of %d products" % PRODUCTS, p.stderr)

st = t.start_storage()
# ASan's quarantine keeps freed memory resident (up to 256 MB by default):
# without it VmRSS measures what the gateway really holds.
os.environ["ASAN_OPTIONS"] = os.environ.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=0"
gw = t.start_gateway(st.port)
addr = "127.0.0.1:%d" % gw.port
answer = len(ov.api_pb2.StorageResponse(prodDetail=[ov.api_pb2.Product(
    title="Product %05d of the bulk catalogue" % i, url="https://example.com/bulk/products/%05d/" % i)
    for i in range(PRODUCTS)]).SerializeToString())

# A normal client reads the big stream whole (and warms the gateway up).
with ov.grpc.insecure_channel(addr, options=ov.LOCAL_POOL + [("grpc.max_receive_message_length", 1 << 24)]) as ch:
    n = sum(1 for _ in ov.api_pb2_grpc.ProdServiceStub(ch).GetVendorProds(
        ov.api_pb2.ClientRequestProds(vendor="bulk", productType="big"), timeout=30))
t.check(n == PRODUCTS, "a normal client gets all %d products (%d)" % (PRODUCTS, n))

# Baseline: the same probe while a normal client reads the big stream 3 times.
probe = ov.Probe(addr)
probe.start(100, 0.01)
with ov.grpc.insecure_channel(addr, options=ov.LOCAL_POOL + [("grpc.max_receive_message_length", 1 << 24)]) as ch:
    for _ in range(3):
        for _ in ov.api_pb2_grpc.ProdServiceStub(ch).GetVendorProds(
                ov.api_pb2.ClientRequestProds(vendor="bulk", productType="big"), timeout=30):
            pass
probe.join()
# A big stream goes out in batches (gw_prod_service.c), so other clients
# are not held while it is encoded.
probe.report(t, "while a normal client reads a %d-product stream" % PRODUCTS)
probe.close()
probe = ov.Probe(addr)
rss0 = ov.vmrss_kb(gw.proc.pid)
block = ov.request_block("/api.ProdService/GetVendorProds")
msg = ov.grpc_msg(ov.api_pb2.ClientRequestProds(vendor="bulk", productType="big").SerializeToString())
stalled = []
probe.start(200, 0.02)
for c in range(CONNS):
    h = ov.H2(gw.port, rcvbuf=4096, handshake=False)
    out = bytearray(ov.PREFACE + ov.settings() + ov.settings(ack=True))
    for k in range(STREAMS):
        sid = 2 * k + 1
        out += ov.frame(ov.HEADERS, ov.END_HEADERS, sid, block) + ov.frame(ov.DATA, ov.END_STREAM, sid, msg)
    h.send(bytes(out))
    stalled.append(h)  # and never read again
peak = rss0
# Until storage has answered every stalled call and the gateway's memory has
# stopped growing for a second (or the gateway logged "the response was sent
# to client" for every stalled stream: all queued), at most 25 s.
PRIOR = 4  # big streams read whole before: the warm-up and the baseline's 3
t0 = time.monotonic()
stable_since, last = time.monotonic(), rss0
while time.monotonic() - t0 < 25:
    rss = ov.vmrss_kb(gw.proc.pid)
    peak = max(peak, rss)
    if rss > last + 1024:
        stable_since, last = time.monotonic(), rss
    answered = st.text().count("a number of %d products were sent" % PRODUCTS) - PRIOR
    queued = gw.text().count("the response was sent to client") - PRIOR
    if queued >= STALLED or (answered >= STALLED and time.monotonic() - stable_since > 1.0):
        break
    time.sleep(0.1)
print("# after %.1f s: storage answered %d stalled calls, the gateway queued %d of them whole"
      % (time.monotonic() - t0, answered, queued))
probe.join()
print("# storage's answer: %d products, %.2f MB" % (PRODUCTS, answer / 1e6))
growth_mb = (peak - rss0) / 1024.0
bound_mb = STALLED * 1.5 * answer / 1048576.0 + 32
print("# gateway VmRSS: %.1f MB before, peak %.1f MB with %d stalled streams: +%.1f MB (bound +%.0f MB;"
      " %.2f MB a stalled stream)" % (rss0 / 1024.0, peak / 1024.0, STALLED, growth_mb, bound_mb, growth_mb / STALLED))
t.check(answered >= STALLED, "storage answered every stalled call (%d)" % answered)
t.check(growth_mb <= bound_mb, "gateway memory stays bounded with %d stalled streams (+%.0f MB <= +%.0f MB)"
        % (STALLED, growth_mb, bound_mb))
probe.report(t, "while %d streams stall" % STALLED)
t.check(gw.alive(), "the gateway is alive with stalled streams")
for h in stalled:
    h.close()
time.sleep(0.5)
with ov.grpc.insecure_channel(addr, options=ov.LOCAL_POOL + [("grpc.max_receive_message_length", 1 << 24)]) as ch:
    n = sum(1 for _ in ov.api_pb2_grpc.ProdServiceStub(ch).GetVendorProds(
        ov.api_pb2.ClientRequestProds(vendor="bulk", productType="big"), timeout=30))
t.check(n == PRODUCTS, "after the stalled client left, a normal client gets all %d products" % PRODUCTS)
print("# gateway VmRSS after the stalled client left: %.1f MB" % (ov.vmrss_kb(gw.proc.pid) / 1024.0))
probe.close()
t.finish()
