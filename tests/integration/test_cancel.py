#!/usr/bin/python3
"""Cancellation (DESIGN.md section 4): a client that resets its stream, or
dies, cancels the gateway's storage call at once; storage drops the work and
logs it, long before its delay would have ended; a stream cut by its client
stops being produced. Everything keeps serving afterwards."""
import os
import re
import signal
import subprocess
import sys

sys.dont_write_bytecode = True  # keep tests/ free of __pycache__
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import T, BIN  # noqa: E402
import harness  # noqa: E402

api_pb2, api_pb2_grpc = harness.stubs()
import grpc  # noqa: E402

t = T()
t.require_bins()
st = t.start_storage("--delay-ms", "3000")
gw = t.start_gateway(st.port)
ADDR = "127.0.0.1:%d" % gw.port
CANCEL_RE = r"(?i)cancel|dropped"


def count(d, pattern):
    return len(re.findall(pattern, d.text()))


def wait_count(d, pattern, n, seconds):
    """Waits until `pattern` occurs at least n times in d's log; returns the
    seconds it took, or None."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        if count(d, pattern) >= n:
            return time.monotonic() - t0
        time.sleep(0.02)
    return None


def normal(after):
    with grpc.insecure_channel(ADDR) as ch:
        try:
            r = api_pb2_grpc.ProdServiceStub(ch).GetVendorProdTypes(api_pb2.ClientRequestType(vendor="aws"), timeout=5)
            t.check(r.productType == " compute storage", "normal call after " + after)
        except grpc.RpcError as e:
            t.not_ok("normal call after " + after, "%s %s" % (e.code(), e.details()))


# 1. grpcio cancels its stream while storage is still "processing".
before = count(st, CANCEL_RE)
with grpc.insecure_channel(ADDR) as ch:
    stub = api_pb2_grpc.ProdServiceStub(ch)
    fut = stub.GetVendorProds(api_pb2.ClientRequestProds(vendor="aws", productType="storage"), timeout=20)
    time.sleep(0.7)
    fut.cancel()
    took = wait_count(st, CANCEL_RE, before + 1, 1.5)
    t.check(took is not None, "a cancelled grpcio stream: storage logs the dropped call within 1.5 s",
            "storage log:\n" + st.tail())
    if took is not None:
        print("# storage saw the cancel %.0f ms after the client" % (took * 1000))
t.wait_log(gw, CANCEL_RE, "a cancelled grpcio stream: the gateway logs the cancel")
normal("a cancelled stream")

# 2. The CLI dies (SIGKILL) in the middle of a call: its TCP connection closes.
before = count(st, CANCEL_RE)
p = subprocess.Popen([os.path.join(BIN, "firmware-client"), "--addr", ADDR, "--timeout", "20",
                      "getprods", "google", "storage"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
time.sleep(0.7)
p.send_signal(signal.SIGKILL)
p.communicate()
took = wait_count(st, CANCEL_RE, before + 1, 1.5)
t.check(took is not None, "a killed CLI: storage logs the dropped call within 1.5 s", "storage log:\n" + st.tail())
normal("a killed client")

# 3. Many cancelled calls at once: all dropped, none leaks (sanitizers at the end).
before = count(st, CANCEL_RE)
with grpc.insecure_channel(ADDR) as ch:
    stub = api_pb2_grpc.ProdServiceStub(ch)
    futs = [stub.GetVendorProds(api_pb2.ClientRequestProds(vendor="oracle", productType="compute"), timeout=20)
            for _ in range(10)]
    time.sleep(0.7)
    for f in futs:
        f.cancel()
    took = wait_count(st, CANCEL_RE, before + 10, 2.0)
    t.check(took is not None, "10 cancelled streams: storage drops all 10 within 2 s",
            "%d dropped; storage log:\n%s" % (count(st, CANCEL_RE) - before, st.tail()))
normal("10 cancelled streams")

# None of the cancelled calls is finished later: storage sends nothing once
# the delays would have ended.
time.sleep(max(0.0, 3.3 - 0.7 - 0.5))
sent = re.findall(r"a number of \d+ products were sent to client", st.text())
t.check(not sent, "storage never finishes a cancelled call", "\n".join(sent))

# 4. A client cuts a slow stream: the gateway stops producing it.
st2 = t.start_storage()
gw2 = t.start_gateway(st2.port, "--stream-delay-ms", "300")
with grpc.insecure_channel("127.0.0.1:%d" % gw2.port) as ch:
    it = api_pb2_grpc.ProdServiceStub(ch).GetVendorProds(
        api_pb2.ClientRequestProds(vendor="aws", productType="storage"), timeout=20)
    first = next(it)
    t.check(first.product.title == "Amazon Aurora", "slow stream: the first product arrives", first)
    it.cancel()
t.wait_log(gw2, CANCEL_RE, "a cut stream: the gateway logs the cancel", 1.5)
time.sleep(2.2)  # what the rest of the stream would have taken
t.check(not re.search(r"the response was sent to client", gw2.text()),
        "a cut stream is never completed", gw2.tail())

# 5. Meanwhile other calls run normally, concurrently with a cancel storm.
# Each channel gets its own connection: grpcio otherwise shares one between
# channels to the same address, and a channel closing at the end of its
# `with` can take the shared connection down under another channel's call
# (the client sends FIN itself, then fails its own next write with "Broken
# pipe") — a client artefact that says nothing about the server.
OWN_CONN = [("grpc.use_local_subchannel_pool", 1)]
errs = []


def good():
    with grpc.insecure_channel("127.0.0.1:%d" % gw2.port, options=OWN_CONN) as ch:
        stub = api_pb2_grpc.ProdServiceStub(ch)
        try:
            r = stub.GetVendorProdTypes(api_pb2.ClientRequestType(vendor="google"), timeout=5)
            if r.productType != " compute storage":
                errs.append(r.productType)
        except grpc.RpcError as e:
            errs.append("%s %s" % (e.code(), e.details()))


def cancel_storm():
    with grpc.insecure_channel("127.0.0.1:%d" % gw2.port, options=OWN_CONN) as ch:
        stub = api_pb2_grpc.ProdServiceStub(ch)
        for _ in range(5):
            it = stub.GetVendorProds(api_pb2.ClientRequestProds(vendor="google", productType="compute"), timeout=20)
            it.cancel()


ths = [threading.Thread(target=f) for f in (good, cancel_storm) * 5]
for th in ths:
    th.start()
for th in ths:
    th.join()
t.check(not errs, "unary calls succeed during a cancel storm", "\n".join(errs))
t.finish()
