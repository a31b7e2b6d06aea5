"""Helpers for the reliability tests (tests/reliability/): a latency probe
(a well-behaved grpcio client measuring its calls while something abuses the
server), a minimal hand-rolled HTTP/2 client (frames, a fixed HPACK block),
process memory and descriptor counts, and log timestamps.

    from overload import Probe, H2, vmrss_kb, log_times
    probe = Probe("127.0.0.1:%d" % gw.port)   # connects and warms up now
    probe.start(200)                            # 200 sequential calls in a thread
    ... abuse ...
    probe.join(); probe.report(t, "during the ping flood")  # p50/p99, checks p99 < 50 ms

Run with /usr/bin/python3 (Debian's, with grpcio).
"""
import datetime
import os
import re
import resource
import socket
import struct
import threading
import time

import harness

api_pb2, api_pb2_grpc = harness.stubs()
import grpc  # noqa: E402

P99_LIMIT_MS = 50.0
LOCAL_POOL = [("grpc.use_local_subchannel_pool", 1)]
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

# Frame types and flags (RFC 9113).
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = 0, 1, 3, 4, 6, 7, 8, 9
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1
ERRORS = {0: "NO_ERROR", 1: "PROTOCOL_ERROR", 2: "INTERNAL_ERROR", 3: "FLOW_CONTROL_ERROR",
          7: "REFUSED_STREAM", 8: "CANCEL", 9: "COMPRESSION_ERROR", 11: "ENHANCE_YOUR_CALM"}


def raise_nofile():
    """Takes every descriptor the hard limit allows; returns the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def percentile(xs, p):
    if not xs:
        return float("nan")
    s = sorted(xs)
    k = min(len(s) - 1, max(0, int(round(p / 100.0 * len(s) + 0.5)) - 1))
    return s[k]


class Probe:
    """A normal client: one channel, connected before the abuse starts, doing
    sequential GetVendorProdTypes calls and timing each one."""

    def __init__(self, addr, vendor="aws"):
        self.addr = addr
        self.vendor = vendor
        # its own connection: grpcio otherwise shares one between channels
        self.ch = grpc.insecure_channel(addr, options=LOCAL_POOL)
        self.stub = api_pb2_grpc.ProdServiceStub(self.ch)
        self.ms = []
        self.errors = []
        self.th = None
        for _ in range(5):  # connect and warm up outside the measurement
            self.call()
        self.ms, self.errors = [], []

    def call(self):
        t0 = time.monotonic()
        try:
            r = self.stub.GetVendorProdTypes(api_pb2.ClientRequestType(vendor=self.vendor), timeout=5)
            if r.productType != " compute storage":
                self.errors.append("wrong answer %r" % r.productType)
        except grpc.RpcError as e:
            self.errors.append("%s %s" % (e.code(), e.details()))
        self.ms.append((time.monotonic() - t0) * 1000.0)

    def run(self, n, gap_s):
        for _ in range(n):
            self.call()
            if gap_s:
                time.sleep(gap_s)

    def start(self, n=200, gap_s=0.005):
        """n sequential calls in a thread, gap_s apart."""
        self.th = threading.Thread(target=self.run, args=(n, gap_s), daemon=True)
        self.th.start()

    def join(self, timeout=60):
        if self.th:
            self.th.join(timeout)

    def running(self):
        return self.th is not None and self.th.is_alive()

    def stats(self):
        return percentile(self.ms, 50), percentile(self.ms, 99), max(self.ms or [float("nan")])

    def report(self, t, what, limit_ms=P99_LIMIT_MS):
        """Prints the figures and checks: every call answered, p99 under limit."""
        p50, p99, mx = self.stats()
        print("# probe %s: %d calls, p50 %.1f ms, p99 %.1f ms, max %.1f ms, %d errors"
              % (what, len(self.ms), p50, p99, mx, len(self.errors)))
        t.check(len(self.ms) > 0 and not self.errors, "other clients get answers %s (%d calls)" % (what, len(self.ms)),
                "\n".join(self.errors[:10]))
        t.check(p99 <= limit_ms, "other clients: p99 %.1f ms <= %.0f ms %s" % (p99, limit_ms, what),
                "p50 %.1f ms, p99 %.1f ms, max %.1f ms" % (p50, p99, mx))
        return p50, p99

    def close(self):
        self.ch.close()


# ---- HTTP/2 by hand ----------------------------------------------------------

def frame(ftype, flags, sid, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", sid) + payload


def hpack_literal(name, value):
    """A header field as a literal without indexing, new name, no Huffman
    (RFC 7541 6.2.2); lengths under 127 use one byte, longer ones the 7-bit
    prefix integer encoding."""
    def length(n):
        if n < 127:
            return bytes([n])
        out = bytearray([127])
        n -= 127
        while n >= 128:
            out.append((n & 0x7F) | 0x80)
            n >>= 7
        out.append(n)
        return bytes(out)
    name, value = name.encode(), value.encode()
    return b"\x00" + length(len(name)) + name + length(len(value)) + value


def request_block(path, extra=()):
    """The HPACK block of a gRPC request."""
    hs = [(":method", "POST"), (":scheme", "http"), (":path", path), (":authority", "localhost"),
          ("content-type", "application/grpc"), ("te", "trailers")] + list(extra)
    return b"".join(hpack_literal(n, v) for n, v in hs)


def grpc_msg(body):
    return b"\x00" + struct.pack(">I", len(body)) + body


def settings(pairs=(), ack=False):
    return frame(SETTINGS, ACK if ack else 0, 0, b"".join(struct.pack(">HI", k, v) for k, v in pairs))


class H2:
    """One raw HTTP/2 connection: send bytes, read frames (or never read)."""

    def __init__(self, port, rcvbuf=None, handshake=True, timeout=5, autoack=True):
        self.autoack = autoack  # answer the server's SETTINGS
        self.s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.s.settimeout(timeout)
        self.s.connect(("127.0.0.1", port))
        self.buf = b""
        self.closed = False
        self.goaway = None  # (last stream id, error code)
        self.rst = {}  # stream id -> error code
        self.frames = []  # (type, flags, sid, payload) kept for the caller
        if handshake:
            self.send(PREFACE + settings())

    def send(self, data):
        """Sends; returns False once the peer has closed (or reset) the connection."""
        try:
            self.s.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError, socket.timeout, OSError):
            self.closed = True
            return False

    def _parse(self):
        while len(self.buf) >= 9:
            n = int.from_bytes(self.buf[:3], "big")
            if len(self.buf) < 9 + n:
                return
            ftype, flags = self.buf[3], self.buf[4]
            sid = struct.unpack(">I", self.buf[5:9])[0] & 0x7FFFFFFF
            payload = self.buf[9:9 + n]
            self.buf = self.buf[9 + n:]
            if ftype == GOAWAY and n >= 8:
                self.goaway = (struct.unpack(">I", payload[:4])[0] & 0x7FFFFFFF, struct.unpack(">I", payload[4:8])[0])
            elif ftype == RST_STREAM and n == 4:
                self.rst[sid] = struct.unpack(">I", payload)[0]
            if ftype == SETTINGS and not flags & ACK and self.autoack:
                self.send(settings(ack=True))
            self.frames.append((ftype, flags, sid, payload))

    def read(self, seconds, until=None):
        """Reads frames for up to `seconds`, or until until(self) is true or the
        connection closes. Returns self.closed."""
        end = time.monotonic() + seconds
        while not self.closed and time.monotonic() < end:
            if until and until(self):
                break
            self.s.settimeout(max(0.01, min(0.2, end - time.monotonic())))
            try:
                chunk = self.s.recv(1 << 16)
            except socket.timeout:
                continue
            except (ConnectionResetError, OSError):
                self.closed = True
                break
            if not chunk:
                self.closed = True
                break
            self.buf += chunk
            self._parse()
        return self.closed

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def goaway_name(code):
    return ERRORS.get(code, str(code))


# ---- processes -----------------------------------------------------------------

def proc_status(pid, field):
    """A field of /proc/PID/status in kB (VmRSS, VmHWM), or -1."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def vmrss_kb(pid):
    return proc_status(pid, "VmRSS")


def open_fds(pid):
    try:
        return len(os.listdir("/proc/%d/fd" % pid))
    except OSError:
        return -1


def sockets_of(pid):
    """Open sockets of a process."""
    n = 0
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            try:
                if os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith("socket:"):
                    n += 1
            except OSError:
                pass
    except OSError:
        return -1
    return n


LOG_TS = re.compile(r"^(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d{6}) (.*)$")


def log_times(text, pattern):
    """The wall-clock times (epoch seconds, float) of the log lines matching
    pattern (rpc_log prints local time with microseconds)."""
    rx = re.compile(pattern)
    out = []
    for line in text.splitlines():
        m = LOG_TS.match(line)
        if m and rx.search(m.group(2)):
            dt = datetime.datetime.strptime(m.group(1), "%Y/%m/%d %H:%M:%S.%f")
            out.append(dt.timestamp())
    return out
