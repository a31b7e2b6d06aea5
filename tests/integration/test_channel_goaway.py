#!/usr/bin/python3
"""Transparent retry (tests/lib/h2wire.py as the server): a call on a stream
the server never processed (above its GOAWAY's last-stream-id) goes again,
once, on a new connection, and the user sees only its answer; a call the
server did process (at or below last-stream-id) is never sent twice."""
import os
import subprocess
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import harness  # noqa: E402
from harness import T, BIN  # noqa: E402
import h2wire as w  # noqa: E402

api_pb2, _ = harness.stubs()
t = T()
t.require_bins(("firmware-client",))
ANSWER = api_pb2.ClientResponseType(productType=" compute storage").SerializeToString()


def until_request(c, sid=1):
    return c.until(lambda c: any(e[0] in ("headers", "data") and e[3] for e in c.of(sid)), 5)


def answer(c, sid=1):
    c.send(c.headers_frames(sid, [(":status", "200"), ("content-type", "application/grpc")]) +
           c.data_frames(sid, w.grpc_msg(ANSWER), end_stream=False) +
           c.headers_frames(sid, [("grpc-status", "0")], end_stream=True))


def run(first_last_sid):
    """The first connection answers the request with GOAWAY(last-stream-id);
    a second one, if the client makes it, answers properly."""
    srv = w.H2Server()
    p = subprocess.Popen([os.path.join(BIN, "firmware-client"), "--addr", "127.0.0.1:%d" % srv.port,
                          "--stats", "getprodtypes", "aws"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = {"conns": 0, "requests": 0}

    def serve():
        try:
            c = srv.accept(5)
            seen["conns"] += 1
            if until_request(c):
                seen["requests"] += 1
            c.send(w.goaway(first_last_sid, 0))
            c.pump(0.3)
            c.close()
            c2 = srv.accept(3)
            seen["conns"] += 1
            if until_request(c2):
                seen["requests"] += 1
                answer(c2)
            c2.pump(0.5)
            c2.close()
        except Exception as e:  # noqa: BLE001 - a missing second connection ends here
            seen["error"] = repr(e)
    th = threading.Thread(target=serve, daemon=True)
    th.start()
    try:
        out, err = p.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    th.join(6)
    srv.close()
    if harness.SANITIZER_RE.search(err):
        t.not_ok("no sanitizer report from firmware-client", err)
    return p.returncode, out, err, seen


# Stream 1 above last-stream-id 0: never processed, so sent again.
rc, out, err, seen = run(0)
t.check_eq(rc, 0, "refused by GOAWAY(last=0): exit 0")
t.check_eq(out, "aws cloud products type are:  compute storage\n", "refused by GOAWAY(last=0): the answer")
t.check_eq(seen["conns"], 2, "refused by GOAWAY(last=0): sent again on a second connection (server)")
t.check_eq(seen["requests"], 2, "refused by GOAWAY(last=0): the request arrived twice (server)")
t.check_eq(err, "channel: calls=1 connects=2 handshakes=0 resumed=0 pings=0\n",
           "refused by GOAWAY(last=0): one call, two connections (--stats)")

# Stream 1 at last-stream-id 1: the server may have processed it; the call
# is not sent again (the server closes without answering: Unavailable).
rc, out, err, seen = run(1)
t.check_eq(rc, 1, "GOAWAY(last=1), no answer: exit 1")
t.check_eq(seen["conns"], 1, "GOAWAY(last=1): not sent again (server)")
t.check(err.startswith("rpc error: code = Unavailable desc = "), "GOAWAY(last=1): Unavailable", err)
t.finish()
