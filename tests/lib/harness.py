"""Shared helpers for the python tests (run with /usr/bin/python3): the same
contract as common.sh.

    from harness import T        # after sys.path.insert(0, tests/lib)
    t = T()
    st = t.start_storage()
    gw = t.start_gateway(st.port)
    rc, out, err, ms = t.client("getprods", "aws", "storage", port=gw.port)
    t.check_eq(out, t.expected("getprods_aws_storage.txt"), "name")
    t.finish()                   # stops daemons, checks sanitizer reports, exits

Every check prints "ok - name" / "not ok - name" plus details and the test
goes on. Environment: TEST_BIN_DIR (default build/host-asan/bin), TEST_KEEP=1
keeps the temp dir.
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

LIB = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(LIB))
BIN = os.environ.get("TEST_BIN_DIR", os.path.join(ROOT, "build", "host-asan", "bin"))
EXPECTED = os.path.join(ROOT, "tests", "integration", "expected")
PY = "/usr/bin/python3"
SANITIZER_RE = re.compile(
    r"ERROR: AddressSanitizer|runtime error:|LeakSanitizer|ThreadSanitizer|"
    r"UndefinedBehaviorSanitizer|AddressSanitizer:DEADLYSIGNAL")
SHORT_RE = re.compile(r"(ShortUrl: https://made-up-url\.com/)[0-9a-f]{6}$", re.M)

os.environ.setdefault(
    "ASAN_OPTIONS",
    "detect_leaks=1:abort_on_error=0:halt_on_error=1:detect_stack_use_after_return=1")
os.environ.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")


def stubs():
    """Generates build/py/api_pb2*.py (tools/pygen.sh) and makes them
    importable. Returns (api_pb2, api_pb2_grpc)."""
    subprocess.run([os.path.join(ROOT, "tools", "pygen.sh")], check=True)
    sys.path.insert(0, os.path.join(ROOT, "build", "py"))
    import api_pb2  # noqa: E402
    import api_pb2_grpc  # noqa: E402
    return api_pb2, api_pb2_grpc


def mask_short(text):
    """Replaces each ShortUrl's 6 hex digits with XXXXXX (anything else stays,
    so that a comparison shows it)."""
    return SHORT_RE.sub(r"\1XXXXXX", text)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def port_open(port):
    s = socket.socket()
    s.settimeout(0.5)
    try:
        return s.connect_ex(("127.0.0.1", port)) == 0
    finally:
        s.close()


class Daemon:
    """One daemon process; stderr goes to .log."""

    def __init__(self, t, argv, port, log):
        self.t, self.argv, self.port, self.log = t, argv, port, log
        self.stopped = False
        with open(log, "ab") as err, open(log + ".out", "ab") as out:
            self.proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            if port_open(port):
                return
            time.sleep(0.05)
        t.bail("%s did not start listening on %d; stderr:\n%s" % (" ".join(argv), port, self.tail(20)))

    def alive(self):
        return self.proc.poll() is None

    def tail(self, n=15):
        try:
            with open(self.log, errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""

    def text(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM):
        """Signals and waits 5 s; a daemon that ignores SIGTERM is a failure
        (LeakSanitizer reports only on a clean exit)."""
        self.stopped = True
        if self.proc.poll() is not None:
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self.t.not_ok("%s exits within 5 s of signal %d" % (os.path.basename(self.argv[0]), sig))


class T:
    def __init__(self):
        self.name = os.path.basename(sys.argv[0])
        self.tmp = tempfile.mkdtemp(prefix="fwtest.")
        self.fails = 0
        self.checks = 0
        self.daemons = []
        self.n = 0
        signal.signal(signal.SIGTERM, lambda *_: self._abort())

    def _abort(self):
        self.cleanup()
        sys.exit(130)

    # ---- checks ----
    def ok(self, name):
        self.checks += 1
        print("ok - " + name, flush=True)

    def not_ok(self, name, *details):
        self.checks += 1
        self.fails += 1
        print("not ok - " + name)
        for d in details:
            for line in str(d).splitlines() or [""]:
                print("    " + line)
        sys.stdout.flush()

    def check(self, cond, name, *details):
        if cond:
            self.ok(name)
        else:
            self.not_ok(name, *details)
        return cond

    def check_eq(self, got, want, name):
        if got == want:
            self.ok(name)
            return True
        self.not_ok(name, "--- expected", "\n".join("|" + l for l in str(want).split("\n")),
                    "--- actual", "\n".join("|" + l for l in str(got).split("\n")))
        return False

    def bail(self, msg):
        print("Bail out! " + msg)
        self.fails += 1
        self.finish()

    def expected(self, name):
        with open(os.path.join(EXPECTED, name)) as f:
            return f.read()

    # ---- daemons ----
    def require_bins(self, names=("storage", "gateway", "firmware-client")):
        for b in names:
            if not os.access(os.path.join(BIN, b), os.X_OK):
                print("Bail out! missing %s (build with: make BOARD=host-asan)" % os.path.join(BIN, b))
                sys.exit(1)

    def start(self, argv, port, tag):
        self.n += 1
        d = Daemon(self, argv, port, os.path.join(self.tmp, "%s.%d.log" % (tag, self.n)))
        self.daemons.append(d)
        return d

    pg_db = None

    def storage_db(self):
        """The --db of this test's catalogue: a file in its temp dir, or with
        TEST_STORAGE_BACKEND=postgresql a database of its own on the run's
        server (TEST_PG_CONNINFO), created on first use, dropped by finish."""
        if os.environ.get("TEST_STORAGE_BACKEND", "sqlite") != "postgresql":
            return os.path.join(self.tmp, "catalogue.db")
        ci = os.environ.get("TEST_PG_CONNINFO")
        if not ci:
            self.bail("TEST_STORAGE_BACKEND=postgresql needs TEST_PG_CONNINFO (tests/run.sh starts the server)")
        if not self.pg_db:
            name = "t_" + re.sub(r"[^a-z0-9]", "_", os.path.basename(self.tmp).lower())
            r = subprocess.run(["psql", "-X", ci + " dbname=postgres", "-qc", "CREATE DATABASE " + name],
                               capture_output=True, text=True, timeout=30)
            if r.returncode != 0:
                self.bail("cannot create the database %s: %s" % (name, r.stderr))
            self.pg_db = name
        return ci + " dbname=" + self.pg_db

    def start_storage(self, *extra, port=None, exe=None):
        port = port or free_port()
        argv = [exe or os.path.join(BIN, "storage"), "--listen", "127.0.0.1:%d" % port,
                "--db", self.storage_db()] + list(extra)
        return self.start(argv, port, "storage")

    def start_gateway(self, storage_port, *extra):
        """storage_port: one port, or a list of them (--storage A,B,...)."""
        port = free_port()
        ports = storage_port if isinstance(storage_port, (list, tuple)) else [storage_port]
        argv = [os.path.join(BIN, "gateway"), "--listen", "127.0.0.1:%d" % port,
                "--storage", ",".join("127.0.0.1:%d" % p for p in ports)] + list(extra)
        return self.start(argv, port, "gateway")

    def client(self, *args, port):
        """Runs firmware-client; returns (rc, stdout, stderr, ms)."""
        t0 = time.monotonic()
        p = subprocess.run([os.path.join(BIN, "firmware-client"), "--addr", "127.0.0.1:%d" % port]
                           + list(args), capture_output=True, text=True, timeout=30)
        ms = int((time.monotonic() - t0) * 1000)
        if SANITIZER_RE.search(p.stderr):
            self.not_ok("no sanitizer report from firmware-client " + " ".join(args), p.stderr)
        return p.returncode, p.stdout, p.stderr, ms

    def wait_log(self, d, pattern, name, seconds=2.0):
        rx = re.compile(pattern)
        end = time.monotonic() + seconds
        while True:
            if rx.search(d.text()):
                return self.ok(name)
            if time.monotonic() > end:
                return self.not_ok(name, "no line matching /%s/ in %s; last lines:" % (pattern, d.log), d.tail())
            time.sleep(0.05)

    # ---- end ----
    def cleanup(self):
        for d in self.daemons:
            if d.proc.poll() is None:
                d.proc.kill()
                d.proc.wait()
        if os.environ.get("TEST_KEEP") == "1":
            print("# logs kept in " + self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def finish(self):
        """Stops the daemons (SIGTERM), checks their stderr for sanitizer
        reports, prints the verdict and exits."""
        for d in self.daemons:
            if d.stopped:
                continue
            if d.alive():
                d.stop()
            else:
                self.not_ok("%s exited before the end of the test (exit status %s; killed by someone else?)"
                            % (os.path.basename(d.argv[0]), d.proc.returncode), d.tail())
        if self.pg_db:
            subprocess.run(["psql", "-X", os.environ["TEST_PG_CONNINFO"] + " dbname=postgres", "-qc",
                            "DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.pg_db],
                           capture_output=True, timeout=30)
        for d in self.daemons:
            text = d.text() if os.path.exists(d.log) else ""
            m = SANITIZER_RE.search(text)
            what = "no sanitizer report in " + os.path.basename(d.log)
            if m:
                self.not_ok(what, text[max(0, m.start() - 200):m.start() + 2500])
            else:
                self.ok(what)
        if self.fails:
            print("# %s: %d of %d checks failed" % (self.name, self.fails, self.checks))
            for d in self.daemons:
                print("# last lines of %s:" % os.path.basename(d.log))
                for line in d.tail(8).splitlines():
                    print("#   " + line)
        else:
            print("# %s: all %d checks passed" % (self.name, self.checks))
        sys.stdout.flush()
        self.cleanup()
        sys.exit(1 if self.fails else 0)
