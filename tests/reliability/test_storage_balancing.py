#!/usr/bin/python3
# storage-backends: sqlite postgresql (tests/run.sh runs it on both)
"""Several storages per gateway (docs/scaling.md, "Several storages per
gateway"): `gateway --storage A,B` runs round robin over the storages whose
grpc.health.v1 Watch says SERVING.

Each storage's own log counts the calls it served ("have received a
request"), so the split is counted by the storages, not by the gateway.
  1. Both READY: calls alternate, 10 calls give 5 and 5.
  2. Storage 1 killed (-9) under load from two client threads: only calls
     in flight on it fail, with Unavailable; every call started from 20 ms
     after the kill succeeds, and storage 2 served each of them.
  3. Storage 1 restarted on its port: the gateway says it is READY again
     within 1.5 s (the Watch backoff stops growing at 1 s, jittered), and
     calls alternate again.
  4. Both down: a call fails Unavailable at once, not at its deadline."""
import os
import signal
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import harness  # noqa: E402
from harness import T  # noqa: E402

api_pb2, api_pb2_grpc = harness.stubs()
import grpc  # noqa: E402

t = T()
t.require_bins(("storage", "gateway"))
SERVED = "have received a request"
N_PRODUCTS = harness.mask_short(t.expected("getprods_aws_storage.txt")).count("Title: ")


def served(st):
    return st.text().count(SERVED)


def count_in(d, text):
    return d.text().count(text)


def wait_count(d, text, n, seconds):
    """Waits until d's log holds text n times; returns the seconds it took or None."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        if count_in(d, text) >= n:
            return time.monotonic() - t0
        time.sleep(0.01)
    return None


def getprods(stub, timeout=2.0):
    """One GetVendorProds through the gateway: (code, products)."""
    try:
        n = sum(1 for _ in stub.GetVendorProds(api_pb2.ClientRequestProds(vendor="aws", productType="storage"),
                                               timeout=timeout))
        return grpc.StatusCode.OK, n
    except grpc.RpcError as e:
        return e.code(), 0


s1 = t.start_storage()
s2 = t.start_storage()  # the same catalogue: seeded once, by s1
p1, p2 = s1.port, s2.port
gw = t.start_gateway([p1, p2])
A1, A2 = "127.0.0.1:%d" % p1, "127.0.0.1:%d" % p2
READY1 = "storage %s is READY" % A1
t.check(wait_count(gw, READY1, 1, 3) is not None and wait_count(gw, "storage %s is READY" % A2, 1, 3) is not None,
        "both storages are READY (gateway log)", gw.tail())
chan = grpc.insecure_channel("127.0.0.1:%d" % gw.port)
stub = api_pb2_grpc.ProdServiceStub(chan)

# 1. Round robin, counted by the storages.
b1, b2 = served(s1), served(s2)
res = [getprods(stub) for _ in range(10)]
t.check(all(r == (grpc.StatusCode.OK, N_PRODUCTS) for r in res),
        "1. ten calls over two storages, each every product (%d)" % N_PRODUCTS, res)
d1, d2 = served(s1) - b1, served(s2) - b2
t.check_eq((d1, d2), (5, 5), "1. round robin: each storage served 5 of the 10 (their own logs)")

# 2. Storage 1 killed under load.
calls, stop = [], threading.Event()


def loader():
    with grpc.insecure_channel("127.0.0.1:%d" % gw.port) as ch:
        sb = api_pb2_grpc.ProdServiceStub(ch)
        for _ in range(2000):  # bounded; stop ends it long before
            if stop.is_set():
                break
            t0 = time.monotonic()
            code, n = getprods(sb)
            calls.append((t0, time.monotonic(), code, n))
            time.sleep(0.005)


ths = [threading.Thread(target=loader) for _ in range(2)]
for x in ths:
    x.start()
time.sleep(1.0)
s2_at_kill = served(s2)
killed_at = time.monotonic()
s1.proc.send_signal(signal.SIGKILL)
s1.proc.wait()
s1.stopped = True
time.sleep(2.0)
stop.set()
for x in ths:
    x.join(15)
s2_after = served(s2)
codes = {}
for _, _, c, _ in calls:
    codes[c.name] = codes.get(c.name, 0) + 1
print("# 2. %d calls under load, %s" % (len(calls), codes))
before = [c for c in calls if c[0] < killed_at]
after = [c for c in calls if c[0] >= killed_at + 0.02]
failed = [c for c in calls if c[2] != grpc.StatusCode.OK]
t.check(len(before) > 20 and len(after) > 20, "2. load on both sides of the kill (%d before, %d after)"
        % (len(before), len(after)))
t.check(all(c[2] == grpc.StatusCode.UNAVAILABLE for c in failed), "2. a failed call says Unavailable",
        [(c[2].name) for c in failed])
t.check(all(c[0] < killed_at + 0.02 and c[1] >= killed_at for c in failed),
        "2. only calls in flight at the kill failed (%d)" % len(failed),
        ["started %+.3f s, ended %+.3f s" % (c[0] - killed_at, c[1] - killed_at) for c in failed])
t.check(len(failed) <= 2, "2. at most one call per client thread failed (%d)" % len(failed))
bad_after = [c for c in after if c[2:] != (grpc.StatusCode.OK, N_PRODUCTS)]
t.check(not bad_after, "2. every call started 20 ms after the kill succeeds (%d)" % len(after),
        [(c[2].name, c[3]) for c in bad_after[:5]])
ok_after = sum(1 for c in after if c[2] == grpc.StatusCode.OK)
t.check(s2_after - s2_at_kill >= ok_after,
        "2. storage 2 served them: its log counts %d since the kill, for %d calls"
        % (s2_after - s2_at_kill, ok_after))
t.check(count_in(gw, "storage %s is out" % A1) >= 1, "2. the gateway says storage 1 is out", gw.tail())

# 3. Storage 1 back on its port.
s1 = t.start_storage(port=p1)
took = wait_count(gw, READY1, 2, 3.0)
t.check(took is not None and took <= 1.5, "3. storage 1 READY again within 1.5 s of listening (%s)"
        % ("%.2f s" % took if took is not None else "not in 3 s"), gw.tail())
time.sleep(0.05)
b1, b2 = served(s1), served(s2)
res = [getprods(stub) for _ in range(10)]
t.check(all(r == (grpc.StatusCode.OK, N_PRODUCTS) for r in res), "3. ten calls after the restart succeed", res)
d1, d2 = served(s1) - b1, served(s2) - b2
t.check_eq((d1, d2), (5, 5), "3. round robin again: 5 and 5")

# 4. Both down.
for s in (s1, s2):
    s.proc.send_signal(signal.SIGKILL)
    s.proc.wait()
    s.stopped = True
time.sleep(0.3)
t0 = time.monotonic()
code, _ = getprods(stub, timeout=4.0)
ms = (time.monotonic() - t0) * 1000
t.check(code == grpc.StatusCode.UNAVAILABLE, "4. both storages down: Unavailable", code)
t.check(ms < 1000, "4. at once, not at the 4 s deadline (%d ms)" % ms)
t.check(gw.alive(), "the gateway is alive")
chan.close()
gw.stop()
t.check(gw.proc.returncode == 0, "the gateway exits 0 on SIGTERM", gw.proc.returncode)
t.finish()
