#!/usr/bin/python3
"""Fault: a grpcio client cancels its GetVendorProds while the gateway's
storage call is in progress (storage --delay-ms). The cancel travels client
-> gateway -> storage (RST_STREAM CANCEL each hop) and storage logs the
dropped call within 50 ms of the client's cancel, measured from the
client's wall clock to the timestamp of storage's log line (same host, same
clock). Repeated 5 times; every one must make it."""
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import T  # noqa: E402
import overload as ov  # noqa: E402

LIMIT_MS = 50.0
ROUNDS = 5

t = T()
t.require_bins()
st = t.start_storage("--delay-ms", "5000")
gw = t.start_gateway(st.port)
addr = "127.0.0.1:%d" % gw.port
ch = ov.grpc.insecure_channel(addr, options=ov.LOCAL_POOL)
stub = ov.api_pb2_grpc.ProdServiceStub(ch)
RECEIVED = r"have received a request for"
DROPPED = r"the call was dropped"
GW_CANCEL = r"the user has canceled the request"

to_storage, to_gateway = [], []
for i in range(ROUNDS):
    n_recv = len(ov.log_times(st.text(), RECEIVED))
    n_drop = len(ov.log_times(st.text(), DROPPED))
    n_gw = len(ov.log_times(gw.text(), GW_CANCEL))
    it = stub.GetVendorProds(ov.api_pb2.ClientRequestProds(vendor="aws", productType="storage"), timeout=20)
    end = time.monotonic() + 5
    while len(ov.log_times(st.text(), RECEIVED)) <= n_recv and time.monotonic() < end:
        time.sleep(0.005)
    if len(ov.log_times(st.text(), RECEIVED)) <= n_recv:
        t.not_ok("round %d: storage receives the call" % i, st.tail())
        continue
    time.sleep(0.1)  # well inside storage's 5 s delay
    t_cancel = time.time()
    it.cancel()
    end = time.monotonic() + 2
    while len(ov.log_times(st.text(), DROPPED)) <= n_drop and time.monotonic() < end:
        time.sleep(0.005)
    drops = ov.log_times(st.text(), DROPPED)
    if len(drops) <= n_drop:
        t.not_ok("round %d: storage logs the dropped call" % i, st.tail())
        continue
    ms = (drops[n_drop] - t_cancel) * 1000.0
    to_storage.append(ms)
    gws = ov.log_times(gw.text(), GW_CANCEL)
    if len(gws) > n_gw:
        to_gateway.append((gws[n_gw] - t_cancel) * 1000.0)
    print("# round %d: gateway logged the cancel after %s ms, storage dropped the call after %.1f ms"
          % (i, "%.1f" % to_gateway[-1] if len(gws) > n_gw else "?", ms))
    t.check(ms <= LIMIT_MS, "round %d: storage drops the call within %.0f ms of the client's cancel (%.1f ms)"
            % (i, LIMIT_MS, ms))

if to_storage:
    print("# cancel -> storage dropped: median %.1f ms, max %.1f ms over %d rounds"
          % (ov.percentile(to_storage, 50), max(to_storage), len(to_storage)))
t.check(len(to_storage) == ROUNDS, "every cancel reached storage (%d of %d)" % (len(to_storage), ROUNDS))
time.sleep(0.2)
sent = ov.log_times(st.text(), r"products were sent to client")
t.check(not sent, "storage never answers a cancelled call")
r = stub.GetVendorProdTypes(ov.api_pb2.ClientRequestType(vendor="aws"), timeout=5)
t.check(r.productType == " compute storage", "the gateway answers after the cancels")
ch.close()
t.finish()
