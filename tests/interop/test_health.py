#!/usr/bin/python3
"""grpc.health.v1.Health on both daemons, driven by grpcio: Check and Watch
on storage (SERVING, unknown service NOT_FOUND) and on the gateway, which is
NOT_SERVING while storage cannot be reached and SERVING again, without a
restart, once storage is back; a Watch sees both changes as they happen."""
import os
import queue
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import T, free_port  # noqa: E402
import grpc  # noqa: E402

SERVING, NOT_SERVING = b"\x08\x01", b"\x08\x02"  # HealthCheckResponse{status}
NAMES = {SERVING: "SERVING", NOT_SERVING: "NOT_SERVING", b"": "UNKNOWN"}


def req(service):  # HealthCheckRequest{service}, encoded by hand
    b = service.encode()
    return b"\x0a" + bytes([len(b)]) + b if b else b""


def methods(port):
    ch = grpc.insecure_channel("127.0.0.1:%d" % port)
    ident = dict(request_serializer=lambda x: x, response_deserializer=lambda x: x)
    return (ch, ch.unary_unary("/grpc.health.v1.Health/Check", **ident),
            ch.unary_stream("/grpc.health.v1.Health/Watch", **ident))


t = T()
t.require_bins(("storage", "gateway"))
sport = free_port()

# The gateway first, with storage not there yet.
gw = t.start_gateway(sport)
gch, gcheck, gwatch = methods(gw.port)
t.check_eq(NAMES.get(gcheck(req(""), timeout=3)), "NOT_SERVING", "gateway: NOT_SERVING while storage is down")
t.check_eq(NAMES.get(gcheck(req("api.ProdService"), timeout=3)), "NOT_SERVING",
           "gateway: api.ProdService NOT_SERVING while storage is down")
seen = queue.Queue()
watch = gwatch(req(""), timeout=30)


def follow():
    try:
        for m in watch:
            seen.put((time.monotonic(), NAMES.get(m, repr(m))))
    except grpc.RpcError as e:
        seen.put((time.monotonic(), "ended: %s" % e.code()))


threading.Thread(target=follow, daemon=True).start()
first = seen.get(timeout=3)[1]
t.check_eq(first, "NOT_SERVING", "gateway Watch: the current status first")

# Storage comes up: the gateway's probe (every second) notices.
t0 = time.monotonic()
st = t.start_storage(port=sport)
when, status = seen.get(timeout=5)
t.check_eq(status, "SERVING", "gateway Watch: SERVING once storage is up")
t.check(when - t0 <= 2.0, "gateway: SERVING within 2 s of storage starting (%.2f s)" % (when - t0))
t.check_eq(NAMES.get(gcheck(req(""), timeout=3)), "SERVING", "gateway Check: SERVING")

sch, scheck, swatch = methods(st.port)
t.check_eq(NAMES.get(scheck(req(""), timeout=3)), "SERVING", "storage: SERVING")
t.check_eq(NAMES.get(scheck(req("api.StorageService"), timeout=3)), "SERVING",
           "storage: api.StorageService SERVING")
try:
    scheck(req("no.such.Service"), timeout=3)
    t.not_ok("storage: an unknown service is NOT_FOUND", "got an answer")
except grpc.RpcError as e:
    t.check(e.code() == grpc.StatusCode.NOT_FOUND, "storage: an unknown service is NOT_FOUND", e.code())
t.check_eq(NAMES.get(next(iter(swatch(req(""), timeout=3)))), "SERVING", "storage Watch: SERVING")
sch.close()

# Storage goes away: NOT_SERVING again, seen by the same Watch.
t0 = time.monotonic()
st.stop()
when, status = seen.get(timeout=5)
t.check_eq(status, "NOT_SERVING", "gateway Watch: NOT_SERVING once storage is gone")
t.check(when - t0 <= 2.0, "gateway: NOT_SERVING within 2 s of storage stopping (%.2f s)" % (when - t0))
watch.cancel()
gch.close()
t.finish()
