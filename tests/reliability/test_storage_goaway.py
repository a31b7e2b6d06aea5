#!/usr/bin/python3
# storage-backends: sqlite postgresql (tests/run.sh runs it on both)
"""Fault: storage says GOAWAY to the gateway's storage channel (docs/design.md,
"Added with TLS, health, limits and interop": the channel keeps a current
connection and one retiring after GOAWAY; calls the server refused
unprocessed are sent once more on a fresh connection).

"storage" here is a raw HTTP/2 server (tests/lib/h2wire.py) that our gateway
connects to; it answers the gateway's health probes (SERVING) and plays a
policy on each GetProdsDetail, per connection:
  a. GOAWAY(last-stream-id 0) + RST_STREAM REFUSED_STREAM + close on the first
     connection, a proper answer on the next: `firmware-client getprods google
     compute` prints every product, at once, over exactly 2 connections.
     a2: the same, the connection left open (the gateway closes it); a3: a
     RST_STREAM REFUSED_STREAM without GOAWAY (resent once).
  b. graceful drain: GOAWAY(last-stream-id = the stream being served, NO_ERROR),
     then the answer on that stream: the call succeeds, the gateway closes the
     retired connection once it is done, and the next call goes over a new
     connection. b2: a call made while the retiring connection still serves
     goes over a new one; both are up at once, then the old one closes.
  c. every connection refuses (GOAWAY 0): the client gets Unavailable at once;
     the request was sent twice, not more (one retry).
  d. two storages, the raw one refusing every stream (RST_STREAM
     REFUSED_STREAM): every call succeeds, each refused one sent once to the
     real storage (gateway log "never processed the call"), which served all.
  e. the request headers in HPACK: after 40 calls on one connection, the
     headers each call changes (traceparent, grpc-timeout) are not in the raw
     storage's header table, and those every call repeats still are."""
import os
import re
import socket
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import harness  # noqa: E402
from harness import T, BIN  # noqa: E402
import h2wire as w  # noqa: E402

api_pb2, _ = harness.stubs()

t = T()
t.require_bins(("storage", "gateway", "firmware-client"))
EXPECTED = t.expected("getprods_google_compute.txt")
PRODUCTS = re.findall(r"^Title: (.*), Url: (.*),  ShortUrl: ", EXPECTED, re.M)
STORAGE_RESPONSE = api_pb2.StorageResponse(
    prodDetail=[api_pb2.Product(title=ti, url=u) for ti, u in PRODUCTS]).SerializeToString()
OK_HEADERS = [(":status", "200"), ("content-type", "application/grpc")]
OK_TRAILERS = [("grpc-status", "0")]
GET = "/api.StorageService/GetProdsDetail"
HEALTH = "/grpc.health.v1.Health/Check"


class Conn:
    """One connection the gateway opened to the raw storage."""

    def __init__(self, n, h2):
        self.n, self.h2 = n, h2
        self.gets = []        # stream ids of the GetProdsDetail requests, in order
        self.get_at = []      # monotonic times they arrived
        self.requests = []    # decoded StorageRequests
        self.closed_at = None  # monotonic time the gateway closed it (EOF seen)
        self.opened_at = time.monotonic()


class RawStorage:
    """Accepts every connection; policy(storage, conn, sid) plays each
    GetProdsDetail (after its END_STREAM). Health probes get SERVING."""

    def __init__(self, policy):
        self.srv = w.H2Server()
        self.port = self.srv.port
        self.policy = policy
        self.conns = []
        self.lock = threading.Lock()
        self.stop = False
        self.errors = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stop:
            try:
                h2 = self.srv.accept(0.2)
            except OSError:  # socket.timeout included
                continue
            except Exception as e:  # noqa: BLE001 - a bad preface: report it
                self.errors.append(repr(e))
                continue
            with self.lock:
                c = Conn(len(self.conns) + 1, h2)
                self.conns.append(c)
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _pending(self, c, done):
        h2 = c.h2
        out = []
        for e in h2.events:
            if e[0] == "headers" and e[1] not in done and h2.ended(e[1]) and any(k == ":path" for k, _ in e[2]):
                out.append(e[1])
        return out

    def _serve(self, c):
        h2 = c.h2
        done = set()
        try:
            while not self.stop and not h2.closed:
                h2.until(lambda h: self._pending(c, done), 0.2)
                for sid in self._pending(c, done):
                    done.add(sid)
                    path = dict(h2.of(sid, "headers")[0][2]).get(":path")
                    if path == HEALTH:
                        h2.send(h2.headers_frames(sid, OK_HEADERS) + h2.data_frames(sid, w.grpc_msg(b"\x08\x01"), False)
                                + h2.headers_frames(sid, OK_TRAILERS, end_stream=True))
                    elif path == GET:
                        body = b"".join(e[2] for e in h2.of(sid, "data"))
                        msgs = w.grpc_msgs(body)
                        c.requests.append(api_pb2.StorageRequest.FromString(msgs[0][1]) if msgs else None)
                        c.gets.append(sid)
                        c.get_at.append(time.monotonic())
                        self.policy(self, c, sid)
                    else:
                        h2.send(h2.headers_frames(sid, OK_HEADERS + [("grpc-status", "12")], end_stream=True))
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.errors.append("conn %d: %r" % (c.n, e))
        if c.closed_at is None:
            c.closed_at = time.monotonic()

    def answer(self, c, sid):
        h2 = c.h2
        h2.send(h2.headers_frames(sid, OK_HEADERS) + h2.data_frames(sid, w.grpc_msg(STORAGE_RESPONSE), False)
                + h2.headers_frames(sid, OK_TRAILERS, end_stream=True))

    def refuse(self, c, sid):
        """GOAWAY below the stream, the stream refused, the connection closed."""
        c.h2.send(w.goaway(0, w.NO_ERROR) + w.rst_stream(sid, w.REFUSED_STREAM))
        time.sleep(0.05)
        try:  # the serving loop reads the EOF and ends
            c.h2.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        c.closed_at = time.monotonic()

    def get_conns(self):
        """The connections that carried a GetProdsDetail."""
        with self.lock:
            return [c for c in self.conns if c.gets]

    def close(self):
        self.stop = True
        time.sleep(0.3)
        with self.lock:
            for c in self.conns:
                c.h2.close()
        self.srv.close()


def client(gw, *args):
    t0 = time.monotonic()
    p = subprocess.run([os.path.join(BIN, "firmware-client"), "--addr", "127.0.0.1:%d" % gw.port]
                       + list(args), capture_output=True, text=True, timeout=30)
    ms = int((time.monotonic() - t0) * 1000)
    if harness.SANITIZER_RE.search(p.stderr):
        t.not_ok("no sanitizer report from firmware-client " + " ".join(args), p.stderr)
    return p.returncode, p.stdout, p.stderr, ms


def settle(storage, seconds=0.3):
    """Lets the gateway's first health probe dial and finish."""
    end = time.monotonic() + 3
    while time.monotonic() < end and not storage.conns:
        time.sleep(0.02)
    time.sleep(seconds)


def check_ok(res, what, limit_ms):
    rc, out, err, ms = res
    t.check(rc == 0 and harness.mask_short(out) == EXPECTED,
            "%s: every product printed, exit 0" % what, "rc=%s" % rc, out, err)
    t.check(err == "", "%s: nothing on stderr" % what, err)
    t.check(ms < limit_ms, "%s: within %d ms (%d ms)" % (what, limit_ms, ms), "took %d ms" % ms)


def check_storage_errors(storage, what):
    t.check(not storage.errors, "%s: the raw storage saw no error" % what, *storage.errors)


# ---- a. refused on the first connection, answered on the next --------------
def policy_a(s, c, sid):
    if c.n == 1:
        s.refuse(c, sid)
    else:
        s.answer(c, sid)


st = RawStorage(policy_a)
gw = t.start_gateway(st.port)
settle(st)
res = client(gw, "getprods", "google", "compute")
check_ok(res, "a. GOAWAY(0) then answer", 1500)
gets = st.get_conns()
t.check([(c.n, len(c.gets)) for c in gets] == [(1, 1), (2, 1)],
        "a. GetProdsDetail refused on connection 1, resent once on connection 2",
        [(c.n, len(c.gets)) for c in gets])
t.check(all(r is not None and r.vendor == "google" and r.productType == "compute"
            for c in gets for r in c.requests),
        "a. the resent request is the same (google, compute)", [r for c in gets for r in c.requests])
# probes keep going over connection 2: no third connection
time.sleep(1.2)
t.check(len(st.conns) == 2, "a. the gateway opened exactly 2 connections (with a health probe since)",
        "%d connections" % len(st.conns))
res = client(gw, "getprods", "google", "compute")
check_ok(res, "a. the next call", 1000)
t.check(len(st.conns) == 2 and len(st.conns[1].gets) == 2, "a. the next call goes over connection 2",
        [(c.n, len(c.gets)) for c in st.conns])
check_storage_errors(st, "a")
gw.stop()
t.check(gw.proc.returncode == 0, "a. the gateway exits 0 on SIGTERM", gw.proc.returncode)
st.close()

# ---- a2. the same GOAWAY(0), the connection left open by storage -------------
def policy_a2(s, c, sid):
    if c.n == 1:
        c.h2.send(w.goaway(0, w.NO_ERROR) + w.rst_stream(sid, w.REFUSED_STREAM))
    else:
        s.answer(c, sid)


st = RawStorage(policy_a2)
gw = t.start_gateway(st.port)
settle(st)
res = client(gw, "getprods", "google", "compute")
check_ok(res, "a2. GOAWAY(0), connection left open, then answer", 1500)
gets = st.get_conns()
t.check([(c.n, len(c.gets)) for c in gets] == [(1, 1), (2, 1)],
        "a2. refused on connection 1, resent once on connection 2", [(c.n, len(c.gets)) for c in gets])
c1 = st.conns[0]
end = time.monotonic() + 2
while c1.closed_at is None and time.monotonic() < end:
    time.sleep(0.02)
t.check(c1.closed_at is not None, "a2. the gateway closes the refused connection itself (it has no call left)")
t.check(len(st.conns) == 2, "a2. the gateway opened exactly 2 connections", "%d connections" % len(st.conns))
check_storage_errors(st, "a2")
gw.stop()
t.check(gw.proc.returncode == 0, "a2. the gateway exits 0 on SIGTERM", gw.proc.returncode)
st.close()

# ---- a3. RST_STREAM REFUSED_STREAM alone (no GOAWAY) -------------------------
def policy_a3(s, c, sid):
    if sum(len(x.gets) for x in s.conns) == 1:
        c.h2.send(w.rst_stream(sid, w.REFUSED_STREAM))
    else:
        s.answer(c, sid)


st = RawStorage(policy_a3)
gw = t.start_gateway(st.port)
settle(st)
res = client(gw, "getprods", "google", "compute")
check_ok(res, "a3. the stream refused without GOAWAY, then answered", 1500)
t.check(sum(len(c.gets) for c in st.conns) == 2, "a3. the request was sent twice (one retry)",
        [(c.n, c.gets) for c in st.conns])
# The connection stays usable (no GOAWAY): the retry may go over it again.
print("# a3. GetProdsDetail streams per connection: %s" % [(c.n, c.gets) for c in st.conns])
check_storage_errors(st, "a3")
gw.stop()
t.check(gw.proc.returncode == 0, "a3. the gateway exits 0 on SIGTERM", gw.proc.returncode)
st.close()


# ---- b. graceful drain: GOAWAY(last = the stream served), then the answer ---
def policy_b(s, c, sid):
    if c.n == 1:
        c.h2.send(w.goaway(sid, w.NO_ERROR))
        time.sleep(0.1)  # the gateway has read the GOAWAY before the answer
        s.answer(c, sid)
    else:
        s.answer(c, sid)


st = RawStorage(policy_b)
gw = t.start_gateway(st.port)
settle(st)
res = client(gw, "getprods", "google", "compute")
check_ok(res, "b. the stream below GOAWAY's last-stream-id", 1500)
c1 = st.conns[0]
end = time.monotonic() + 2
while c1.closed_at is None and time.monotonic() < end:
    time.sleep(0.02)
t.check(c1.closed_at is not None, "b. the gateway closes the retired connection once its call is done")
t.check(c1.gets and not any(e[0] == "rst" for e in c1.h2.events),
        "b. the drained stream was not reset by the gateway", [e for e in c1.h2.events if e[0] == "rst"])
res = client(gw, "getprods", "google", "compute")
check_ok(res, "b. the next call", 1000)
gets = st.get_conns()
t.check([(c.n, len(c.gets)) for c in gets] == [(1, 1), (2, 1)],
        "b. the next call goes over a new connection (connection 2)", [(c.n, len(c.gets)) for c in gets])
t.check(len(st.conns) == 2, "b. the gateway opened exactly 2 connections", "%d connections" % len(st.conns))
check_storage_errors(st, "b")
gw.stop()
t.check(gw.proc.returncode == 0, "b. the gateway exits 0 on SIGTERM", gw.proc.returncode)
st.close()

# ---- b2. a call made while the retiring connection still serves its stream --
def policy_b2(s, c, sid):
    if c.n == 1:
        c.h2.send(w.goaway(sid, w.NO_ERROR))
        time.sleep(0.8)  # still draining when the second call comes
        s.answer(c, sid)
    else:
        s.answer(c, sid)


st = RawStorage(policy_b2)
gw = t.start_gateway(st.port)
settle(st)
first = {}
th = threading.Thread(target=lambda: first.setdefault("res", client(gw, "getprods", "google", "compute")))
th.start()
end = time.monotonic() + 3
while not st.get_conns() and time.monotonic() < end:
    time.sleep(0.02)
time.sleep(0.2)
second = client(gw, "getprods", "google", "compute")
th.join(10)
check_ok(second, "b2. a call made meanwhile", 500)
check_ok(first.get("res", (None, "", "no result", 0)), "b2. the draining call", 2500)
gets = st.get_conns()
t.check([(c.n, len(c.gets)) for c in gets] == [(1, 1), (2, 1)],
        "b2. the second call went over connection 2 while connection 1 drained",
        [(c.n, len(c.gets)) for c in gets])
t.check(len(st.conns) == 2, "b2. two connections at most", "%d connections" % len(st.conns))
end = time.monotonic() + 2
while st.conns[0].closed_at is None and time.monotonic() < end:
    time.sleep(0.02)
c1, c2 = st.conns[0], st.conns[-1]
t.check(c1.closed_at is not None, "b2. the gateway closes connection 1 once drained")
t.check(c1.closed_at is not None and c2.get_at and c2.get_at[0] < c1.closed_at,
        "b2. both connections were up at once (the current and the retiring one)")
check_storage_errors(st, "b2")
gw.stop()
t.check(gw.proc.returncode == 0, "b2. the gateway exits 0 on SIGTERM", gw.proc.returncode)
st.close()


# ---- c. every connection refuses: one retry, then Unavailable ---------------
def policy_c(s, c, sid):
    s.refuse(c, sid)


st = RawStorage(policy_c)
gw = t.start_gateway(st.port)
settle(st)
rc, out, err, ms = client(gw, "getprods", "google", "compute")
line = err.strip().splitlines()[-1] if err.strip() else ""
t.check(rc == 1 and out == "", "c. refused twice: exit 1, nothing on stdout", "rc=%s" % rc, out, err)
t.check(line.startswith("rpc error: code = Unavailable desc = "), "c. Unavailable", err)
t.check(len(err.strip().splitlines()) == 1, "c. one line on stderr", err)
t.check(ms < 1500, "c. at once, not at the 4 s deadline (%d ms)" % ms, "took %d ms" % ms)
gets = st.get_conns()
t.check([len(c.gets) for c in gets] == [1, 1],
        "c. the request was sent twice, each on a connection of its own (one retry)",
        [(c.n, len(c.gets)) for c in gets])
time.sleep(0.3)
t.check(sum(len(c.gets) for c in st.conns) == 2, "c. and not again afterwards",
        [(c.n, len(c.gets)) for c in st.conns])
print("# c. %s (%d connections in all, health probes included)" % (line, len(st.conns)))
t.check(gw.alive(), "c. the gateway is alive")
check_storage_errors(st, "c")
gw.stop()
t.check(gw.proc.returncode == 0, "c. the gateway exits 0 on SIGTERM", gw.proc.returncode)
st.close()


# ---- d. two storages, one refusing every call: each is sent to the other ----
def policy_d(s, c, sid):
    c.h2.send(w.rst_stream(sid, w.REFUSED_STREAM))


st = RawStorage(policy_d)
real = t.start_storage()
gw = t.start_gateway([st.port, real.port])
settle(st)
t.wait_log(gw, r"storage 127\.0\.0\.1:%d is READY" % real.port, "d. the real storage is READY", 3.0)
before = real.text().count("have received a request")
results = [client(gw, "getprods", "google", "compute") for _ in range(6)]
for i, res in enumerate(results):
    check_ok(res, "d. call %d of 6" % (i + 1), 1500)
refused = sum(len(c.gets) for c in st.conns)
resent = gw.text().count("storage 127.0.0.1:%d never processed the call" % st.port)
t.check(refused >= 2, "d. the refusing storage got its share of the calls (%d of 6)" % refused)
t.check(resent == refused and ": sent to 127.0.0.1:%d" % real.port in gw.text(),
        "d. each refused call was sent to the other storage, once (%d refused, %d resent)" % (refused, resent),
        gw.tail())
t.check_eq(real.text().count("have received a request") - before, 6,
           "d. the real storage served all 6 (its own log)")
check_storage_errors(st, "d")
gw.stop()
t.check(gw.proc.returncode == 0, "d. the gateway exits 0 on SIGTERM", gw.proc.returncode)
st.close()


# ---- e. the request headers in HPACK: what each call changes is not indexed --
# A traceparent and a grpc-timeout are new each call: in the header table
# they would push out what every call repeats. After 40 calls on one
# connection the raw storage's decoder (python3-hpack) holds the repeated
# headers and neither of the others.
st = RawStorage(lambda s, c, sid: s.answer(c, sid))
gw = t.start_gateway(st.port)
settle(st)
results = [client(gw, "--timeout", "5", "getprods", "google", "compute") for _ in range(40)]
t.check(all(r[0] == 0 for r in results), "e. 40 calls succeed", *[r[2] for r in results if r[0]])
conns = st.get_conns()
t.check_eq(len(conns), 1, "e. over one storage connection")
if conns:
    c = conns[0]
    heads = [dict(c.h2.of(sid, "headers")[0][2]) for sid in c.gets]
    t.check(len(heads) == 40 and all("traceparent" in h and "grpc-timeout" in h for h in heads)
            and len(set(h["traceparent"] for h in heads)) == 40,
            "e. each request carries its own traceparent, and a grpc-timeout", heads[:2])
    names = [n.decode() if isinstance(n, bytes) else n for n, _ in c.h2.dec.header_table.dynamic_entries]
    t.check("traceparent" not in names and "grpc-timeout" not in names,
            "e. neither is in storage's header table", names)
    t.check(all(n in names for n in (":authority", "content-type", "user-agent")),
            "e. the headers every call repeats still are, after 40 calls", names)
check_storage_errors(st, "e")
gw.stop()
st.close()

t.finish()
