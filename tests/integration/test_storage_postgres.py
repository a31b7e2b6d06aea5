#!/usr/bin/python3
"""Storage on PostgreSQL, beyond what every storage test checks on both
backends (tests/run.sh): on a PostgreSQL cluster of this test's own
(tools/pg.sh, in its temp dir), since it kills and restarts the server.

  1. Two storages started at once on an empty database seed it once.
  2. --import replaces the catalogue in one transaction; a bad line changes
     nothing and is named.
  3. A query stuck behind a lock does not block other calls (health Check is
     answered), and the call's deadline cancels the query on the server.
  4. Under load, a PostgreSQL fast restart and a crashed backend (kill -9,
     which makes the server reset every session): calls fail only with
     Unavailable meanwhile, and new calls succeed within 3 s of the server
     being back, with the same storage process.
  5. PostgreSQL stopped: storage's health is NOT_SERVING (and a gateway's
     balancer takes it out, its calls Unavailable) until the server is back.
  6. The server named by a host name (a DNS server of the test's, through a
     mount namespace's resolv.conf): the pool's reconnects look it up off
     the event loop, so a slow DNS answer does not hold health Check up, a
     DNS server that does not answer is logged once, and the pool
     connects again once it answers.
  7. A query in flight when its server connection is killed: the call ends
     Unavailable, and storage's line about the failed query carries the
     call's trace id (from its traceparent).
"""
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import T, ROOT  # noqa: E402
import harness  # noqa: E402

api_pb2, api_pb2_grpc = harness.stubs()
import grpc  # noqa: E402

t = T()
t.require_bins(("storage",))
PGDIR = os.path.join(t.tmp, "pg")
os.chmod(t.tmp, 0o711)  # the postgres user (tools/pg.sh as root) must reach PGDIR
PGSH = os.path.join(ROOT, "tools", "pg.sh")


def pg(cmd):
    r = subprocess.run(["bash", PGSH, cmd, PGDIR], capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        t.bail("tools/pg.sh %s failed: %s" % (cmd, r.stderr))
    return r.stdout.strip()


_cleanup = t.cleanup


def cleanup():  # the server stops before the harness removes its folder, on every way out
    subprocess.run(["bash", PGSH, "stop", PGDIR], capture_output=True, timeout=60)
    _cleanup()


t.cleanup = cleanup
CI = pg("start")
DB = CI + " dbname=cat"


def psql(sql, db="cat"):
    r = subprocess.run(["psql", "-X", "-Atc", sql, CI + " dbname=" + db], capture_output=True, text=True,
                       timeout=30)
    return r.stdout.strip() if r.returncode == 0 else "ERROR " + r.stderr.strip()


psql("CREATE DATABASE cat", "postgres")


def detail(port, vendor="aws", ptype="storage", timeout=2):
    with grpc.insecure_channel("127.0.0.1:%d" % port) as ch:
        stub = api_pb2_grpc.StorageServiceStub(ch)
        try:
            r = stub.GetProdsDetail(api_pb2.StorageRequest(vendor=vendor, productType=ptype), timeout=timeout)
            return grpc.StatusCode.OK, len(r.prodDetail)
        except grpc.RpcError as e:
            return e.code(), e.details()


# 1. Two storages at once on an empty database.
s1 = t.start_storage("--db", DB, port=None)
s2 = t.start_storage("--db", DB, port=None)
t.check_eq(psql("SELECT count(*) FROM product"), "33", "two storages starting together seed the catalogue once")
t.check_eq(detail(s1.port), (grpc.StatusCode.OK, 7), "storage 1 answers from PostgreSQL")
t.check_eq(detail(s2.port), (grpc.StatusCode.OK, 7), "storage 2 answers from PostgreSQL")
s2.stop()

# 2. --import.
STORAGE = os.path.join(harness.BIN, "storage")


def do_import(path):
    p = subprocess.run([STORAGE, "--db", DB, "--import", path], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stderr


good = os.path.join(t.tmp, "good.tsv")
with open(good, "w") as f:
    f.write("# vendor type title url\n")
    for i in range(5):
        f.write("Acme\tWidgets\tWidget %d\thttps://acme.example/w%d\n" % (i, i))
rc, err = do_import(good)
t.check(rc == 0 and "imported 5 products" in err, "--import of 5 products into PostgreSQL succeeds", err)
t.check_eq(detail(s1.port, "acme", "widgets"), (grpc.StatusCode.OK, 5), "the running storage serves the new catalogue")
snap = psql("SELECT vendor, type, pos, title, url FROM product ORDER BY id")
bad = os.path.join(t.tmp, "bad.tsv")
with open(bad, "w") as f:
    f.write("acme\tgadgets\tGadget\thttps://acme.example/g\nacme\tgadgets\tno url here\n")
rc, err = do_import(bad)
t.check(rc == 1 and "bad.tsv:2: expected 4 tab-separated fields" in err,
        "a bad --import exits 1 and names its line", "exit %d: %s" % (rc, err))
t.check(psql("SELECT vendor, type, pos, title, url FROM product ORDER BY id") == snap,
        "a bad --import changes nothing in PostgreSQL")
t.check_eq(detail(s1.port, "aws", "storage")[0], grpc.StatusCode.INVALID_ARGUMENT,
           "the imported catalogue replaced the seed (aws is gone)")
rc, err = do_import(good)

# 3. A query stuck behind a lock; its deadline cancels it.
def lock_catalogue():
    """A psql session holding the product table's exclusive lock (20 s at most)."""
    p = subprocess.Popen(["psql", "-X", "-q", CI + " dbname=cat", "-c",
                          "BEGIN; LOCK TABLE product IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(20);"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        if psql("SELECT count(*) FROM pg_locks WHERE relation='product'::regclass "
                "AND mode='AccessExclusiveLock' AND granted") == "1":
            break
        time.sleep(0.05)
    return p


def unlock_catalogue(p):
    p.kill()
    psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(20)%' "
         "AND pid <> pg_backend_pid()")
    p.wait()


locker = lock_catalogue()
res = {}
th = threading.Thread(target=lambda: res.setdefault("r", detail(s1.port, "acme", "widgets", timeout=1.0)))
th.start()
time.sleep(0.3)
waiting = psql("SELECT count(*) FROM pg_stat_activity WHERE datname='cat' AND state='active' "
               "AND query LIKE 'SELECT title%'")
t.check_eq(waiting, "1", "the storage's query waits on the lock in PostgreSQL")
with grpc.insecure_channel("127.0.0.1:%d" % s1.port) as ch:
    check = ch.unary_unary("/grpc.health.v1.Health/Check", request_serializer=lambda x: x,
                           response_deserializer=lambda x: x)
    t0 = time.monotonic()
    try:
        check(b"", timeout=0.5)
        hc = "answered"
    except grpc.RpcError as e:
        hc = str(e.code())
    hc_ms = (time.monotonic() - t0) * 1000
t.check(hc == "answered", "health Check is answered while a query is blocked (%.0f ms)" % hc_ms, hc)
th.join(5)
t.check_eq(res.get("r", (None,))[0], grpc.StatusCode.DEADLINE_EXCEEDED, "the blocked call ends at its deadline")
gone = "?"
for _ in range(40):
    gone = psql("SELECT count(*) FROM pg_stat_activity WHERE datname='cat' AND state='active' "
                "AND query LIKE 'SELECT title%'")
    if gone == "0":
        break
    time.sleep(0.05)
t.check_eq(gone, "0", "the deadline cancelled the query on the server (pg_stat_activity)")
with open(os.path.join(PGDIR, "server.log"), errors="replace") as f:
    t.check("canceling statement due to user request" in f.read(), "PostgreSQL logs the cancel request")
unlock_catalogue(locker)
t.check_eq(detail(s1.port, "acme", "widgets"), (grpc.StatusCode.OK, 5), "storage answers again after the lock")


# 4. Restarts under load.
def under_load(disrupt, what):
    calls, stop = [], threading.Event()

    def loader():
        with grpc.insecure_channel("127.0.0.1:%d" % s1.port) as ch:
            stub = api_pb2_grpc.StorageServiceStub(ch)
            while not stop.is_set():
                t0 = time.monotonic()
                try:
                    stub.GetProdsDetail(api_pb2.StorageRequest(vendor="acme", productType="widgets"), timeout=2)
                    code = grpc.StatusCode.OK
                except grpc.RpcError as e:
                    code = e.code()
                calls.append((t0, code))
                time.sleep(0.01)

    ths = [threading.Thread(target=loader) for _ in range(2)]
    for x in ths:
        x.start()
    time.sleep(1.0)
    back = disrupt()  # when the server accepts again
    time.sleep(4.0)
    stop.set()
    for x in ths:
        x.join(10)
    codes = {}
    for _, c in calls:
        codes[c.name] = codes.get(c.name, 0) + 1
    print("# %s: %d calls, %s" % (what, len(calls), codes))
    t.check(set(codes) <= {"OK", "UNAVAILABLE"}, "%s: calls end OK or Unavailable, nothing else" % what, codes)
    first_ok = min((s for s, c in calls if s >= back and c == grpc.StatusCode.OK), default=None)
    t.check(first_ok is not None and first_ok - back <= 3.0,
            "%s: new calls succeed within 3 s of the server being back (%s)"
            % (what, "%.2f s" % (first_ok - back) if first_ok else "never"))
    late = [c for s, c in calls if s >= back + 3.0 and c != grpc.StatusCode.OK]
    t.check(not late and any(s >= back + 3.0 for s, _ in calls),
            "%s: every call from 3 s after it succeeds" % what, late[:5])


def restart():
    pg("restart")
    return time.monotonic()


def crash_backend():
    pids = psql("SELECT pid FROM pg_stat_activity WHERE datname='cat' AND pid <> pg_backend_pid()").split()
    if pids:
        os.kill(int(pids[0]), 9)
    # the postmaster resets every session, then accepts again
    for _ in range(200):
        if psql("SELECT 1") == "1":
            break
        time.sleep(0.05)
    return time.monotonic()


under_load(restart, "PostgreSQL fast restart")
under_load(crash_backend, "a PostgreSQL backend killed (-9)")
t.check(s1.alive(), "the same storage process survived both")
log = s1.text()
t.check("database connection lost" in log and "database connection restored" in log,
        "storage logs the lost and restored database connections")


# 5. The database out: storage's health is NOT_SERVING while no connection of
# its pool is up, SERVING once one is back, and a gateway's balancer takes
# it out and back in (its Watch).
SVC = b"\x0a\x12api.StorageService"  # HealthCheckRequest{service}


def health(port):
    with grpc.insecure_channel("127.0.0.1:%d" % port) as ch:
        check = ch.unary_unary("/grpc.health.v1.Health/Check", request_serializer=lambda x: x,
                               response_deserializer=lambda x: x)
        try:
            r = check(SVC, timeout=1)
            return {b"\x08\x01": "SERVING", b"\x08\x02": "NOT_SERVING"}.get(r, repr(r))
        except grpc.RpcError as e:
            return str(e.code())


def wait_health(port, want, seconds):
    end, got = time.monotonic() + seconds, None
    while time.monotonic() < end:
        got = health(port)
        if got == want:
            break
        time.sleep(0.1)
    return got


def wait_count(d, text, n, seconds):
    end = time.monotonic() + seconds
    while d.text().count(text) < n and time.monotonic() < end:
        time.sleep(0.05)
    return d.text().count(text)


gw = t.start_gateway(s1.port)
ready = "storage 127.0.0.1:%d is READY" % s1.port
t.check_eq(wait_count(gw, ready, 1, 5), 1, "the gateway's balancer has storage READY")
t.check_eq(health(s1.port), "SERVING", "storage's health is SERVING with its database up")
pg("stop")
t.check_eq(wait_health(s1.port, "NOT_SERVING", 5), "NOT_SERVING",
           "PostgreSQL stopped: storage's health turns NOT_SERVING")
t.wait_log(s1, r"health: NOT_SERVING \(no database connection\)", "storage logs why")
t.wait_log(gw, r"storage 127\.0\.0\.1:%d is out: its health is NOT_SERVING" % s1.port,
           "the gateway's balancer takes it out", 3)
rc, out, err, _ = t.client("getprods", "acme", "widgets", port=gw.port)
t.check(rc != 0 and "code = Unavailable" in err, "a call through the gateway fails Unavailable meanwhile", err)
pg("restart")  # on the same port
t.check_eq(wait_health(s1.port, "SERVING", 5), "SERVING", "PostgreSQL back: storage's health is SERVING again")
t.wait_log(s1, r"health: SERVING \(the database can be reached again\)", "storage logs it")
t.check_eq(wait_count(gw, ready, 2, 5), 2, "the gateway's balancer has it READY again")
rc, out, err, _ = t.client("getprods", "acme", "widgets", port=gw.port)
t.check(rc == 0 and out.count("Title: ") == 5, "a call through the gateway succeeds again (5 products)", err)
t.check(s1.alive(), "the same storage process throughout")
gw.stop()
s1.stop()

# 6. A host name, looked up off the loop.
from fakedns import FakeDNS, resolv_argv  # noqa: E402

DNS_ADDR = "127.5.5.5"
dns = FakeDNS(DNS_ADDR, {"pg.test": "127.0.0.1"})
sp = harness.free_port()
named = CI.replace("host=127.0.0.1", "host=pg.test") + " dbname=cat"
s3 = t.start(resolv_argv(t.tmp, DNS_ADDR, [STORAGE, "--listen", "127.0.0.1:%d" % sp, "--db", named]), sp,
             "storage")
t.check_eq(detail(s3.port, "acme", "widgets"), (grpc.StatusCode.OK, 5), "storage reaches PostgreSQL as pg.test")
t.check(dns.count("pg.test") > 0, "... looked up in the test's DNS server (%d queries)" % dns.count("pg.test"))
KILL = "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname='cat' AND pid<>pg_backend_pid()"


def health_during(seconds):
    """health Check every 0.1 s for this long: the answers and the slowest."""
    seen, worst, end = set(), 0.0, time.monotonic() + seconds
    while time.monotonic() < end:
        t0 = time.monotonic()
        seen.add(health(s3.port))
        worst = max(worst, time.monotonic() - t0)
        time.sleep(0.1)
    return seen, worst


dns.delay = 2.0
before = dns.count("pg.test")
psql(KILL)
seen, worst = health_during(2.5)
t.check(seen <= {"SERVING", "NOT_SERVING"} and worst < 0.5,
        "DNS answering in 2 s: health Check answered throughout the reconnect (slowest %.0f ms)" % (worst * 1000),
        seen)
t.check_eq(wait_health(s3.port, "SERVING", 8), "SERVING", "... and the pool is back once the answer comes")
t.check(dns.count("pg.test") > before, "... after looking the name up again (%d queries)" % (dns.count("pg.test") - before))
t.check_eq(detail(s3.port, "acme", "widgets"), (grpc.StatusCode.OK, 5), "... calls answered again")
dns.delay, dns.silent = 0.0, True
psql(KILL)
t.check_eq(wait_health(s3.port, "NOT_SERVING", 3), "NOT_SERVING", "DNS silent: the pool lost, NOT_SERVING")
seen, worst = health_during(5)
t.check(seen == {"NOT_SERVING"} and worst < 0.5,
        "... and health Check answered throughout (slowest %.0f ms)" % (worst * 1000), seen)
unresolved = "cannot resolve the database host pg.test: "
t.wait_log(s3, unresolved, "... storage logs that pg.test does not resolve", 4)
t.check_eq(s3.text().count(unresolved), 1, "... once, not at every attempt")
dns.silent = False
t.check_eq(wait_health(s3.port, "SERVING", 10), "SERVING", "DNS back: SERVING again")
t.wait_log(s3, r"the database host pg\.test resolves again \(127\.0\.0\.1\)", "... storage logs it")
t.check(s3.alive(), "the same storage process throughout")
s3.stop()
dns.close()

# 7. The pool's lines about a query carry its call's trace id.
s4 = t.start_storage("--db", DB)
t.check_eq(detail(s4.port, "acme", "widgets"), (grpc.StatusCode.OK, 5), "a fourth storage answers")
locker = lock_catalogue()
TID = "4bf92f3577b34da6a3ce929d0e0e4736"
res = {}


def traced_call():
    with grpc.insecure_channel("127.0.0.1:%d" % s4.port) as ch:
        stub = api_pb2_grpc.StorageServiceStub(ch)
        try:
            stub.GetProdsDetail(api_pb2.StorageRequest(vendor="acme", productType="widgets"), timeout=10,
                                metadata=[("traceparent", "00-%s-00f067aa0ba902b7-01" % TID)])
            res["r"] = grpc.StatusCode.OK
        except grpc.RpcError as e:
            res["r"] = e.code()


th = threading.Thread(target=traced_call)
th.start()
BLOCKED = "FROM pg_stat_activity WHERE datname='cat' AND state='active' AND query LIKE 'SELECT title%'"
for _ in range(100):
    if psql("SELECT count(*) " + BLOCKED) == "1":
        break
    time.sleep(0.05)
t.check_eq(psql("SELECT count(pg_terminate_backend(pid)) " + BLOCKED), "1",
           "the traced call's query, blocked on the lock, has its backend killed")
th.join(5)
t.check_eq(res.get("r"), grpc.StatusCode.UNAVAILABLE, "the call ends Unavailable")
t.wait_log(s4, r"database (query failed|connection lost): FATAL: +terminating connection due to administrator "
           r"command.* trace_id=%s" % TID, "storage's line about the lost query carries the call's trace id")
unlock_catalogue(locker)
t.check_eq(wait_health(s4.port, "SERVING", 5), "SERVING", "the pool is whole again")
s4.stop()
t.finish()
