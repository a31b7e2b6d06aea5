#!/usr/bin/python3
"""A counting TCP proxy for the channel tests: it stands between a client and
one or more gateways and says, independently of the client, how many
connections were opened and which HTTP/2 frames crossed.

    h2proxy.py --port P --target 127.0.0.1:G1[,127.0.0.1:G2...] --log FILE

Each accepted connection goes to the next target in turn (round robin). One
line per event goes to FILE, with milliseconds since the epoch:

    <ms> listen P
    <ms> open N                      connection N accepted (N counts from 1)
    <ms> eof N c2s|s2c               one side closed (c2s: the client)
    <ms> close N
    <ms> c2s N PING 0                a frame the client sent: type, flags
    <ms> s2c N GOAWAY 0 code=11 debug=too_many_pings
    <ms> tls N                       not HTTP/2 in clear (TLS): no frames

With --linger-ms N, a connection one side closed stays open towards the other
for N ms more before it is closed too: a serial bridge delivers what it holds
before it drops the line, where QEMU's chardev would drop bytes it has not
handed to the UART yet.

Signals: SIGUSR1 stalls every open connection (nothing more is forwarded,
the sockets stay open: a peer that stops answering); SIGUSR2 drops them
(closed at once: a broken link). Connections accepted later are forwarded.
Runs until SIGTERM. Run with /usr/bin/python3.
"""
import argparse
import selectors
import signal
import socket
import struct
import sys
import time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
NAMES = ["DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS", "PUSH_PROMISE", "PING",
         "GOAWAY", "WINDOW_UPDATE", "CONTINUATION"]


class Parser:
    """Splits one direction's bytes into frames, for the log."""

    def __init__(self, conn, direction, preface):
        self.conn, self.dir, self.buf = conn, direction, b""
        self.want_preface = preface
        self.clear = None  # unknown until the first bytes

    def feed(self, data, log):
        if self.clear is False:
            return
        self.buf += data
        if self.want_preface:
            if len(self.buf) < len(PREFACE):
                if not PREFACE.startswith(self.buf):
                    self.not_h2(log)
                return
            if not self.buf.startswith(PREFACE):
                self.not_h2(log)
                return
            self.buf = self.buf[len(PREFACE):]
            self.want_preface = False
            log("preface %d" % self.conn)
        self.clear = True
        while len(self.buf) >= 9:
            length = int.from_bytes(self.buf[:3], "big")
            if len(self.buf) < 9 + length:
                break
            ftype, flags = self.buf[3], self.buf[4]
            payload = self.buf[9:9 + length]
            self.buf = self.buf[9 + length:]
            name = NAMES[ftype] if ftype < len(NAMES) else "TYPE%d" % ftype
            extra = ""
            if ftype == 7 and len(payload) >= 8:
                code = struct.unpack(">I", payload[4:8])[0]
                extra = " last=%d code=%d debug=%s" % (
                    struct.unpack(">I", payload[:4])[0] & 0x7fffffff, code,
                    payload[8:].decode("latin-1") or "-")
            log("%s %d %s %d%s" % (self.dir, self.conn, name, flags, extra))

    def not_h2(self, log):
        if self.dir == "c2s":
            log("tls %d" % self.conn)
        self.clear = False
        self.buf = b""


class Proxy:
    def __init__(self, port, targets, logpath, linger_ms=0, host="127.0.0.1"):
        self.targets, self.next_target, self.n = targets, 0, 0
        self.linger, self.lingering = linger_ms / 1000.0, {}  # socket -> close time
        self.logf = open(logpath, "a", buffering=1)
        self.sel = selectors.DefaultSelector()
        self.pairs = {}  # socket -> (peer socket, parser, conn id)
        self.stalled = set()
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind((host, port))
        self.lsock.listen(64)
        self.sel.register(self.lsock, selectors.EVENT_READ, None)
        self.stall_req = self.drop_req = self.stop = False
        self.log("listen %d" % port)

    def log(self, line):
        self.logf.write("%d %s\n" % (int(time.time() * 1000), line))

    def accept(self):
        c, _ = self.lsock.accept()
        self.n += 1
        n = self.n
        host, port = self.targets[self.next_target % len(self.targets)]
        self.next_target += 1
        self.log("open %d" % n)
        try:
            u = socket.create_connection((host, port), timeout=2)
        except OSError:
            self.log("upstream-refused %d" % n)
            c.close()
            self.log("close %d" % n)
            return
        for s in (c, u):
            s.setblocking(False)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.pairs[c] = (u, Parser(n, "c2s", True), n)
        self.pairs[u] = (c, Parser(n, "s2c", False), n)
        self.sel.register(c, selectors.EVENT_READ, None)
        self.sel.register(u, selectors.EVENT_READ, None)

    def close(self, s):
        if s not in self.pairs:
            return
        peer, _, n = self.pairs.pop(s)
        self.pairs.pop(peer, None)
        self.lingering.pop(peer, None)
        for x in (s, peer):
            try:
                self.sel.unregister(x)
            except (KeyError, ValueError):
                pass
            x.close()
        self.stalled.discard(n)
        self.log("close %d" % n)

    def pump(self, s):
        peer, parser, n = self.pairs[s]
        try:
            data = s.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self.log("eof %d %s" % (n, parser.dir))  # who closed first, and when
            if self.linger:
                for x in (s, peer):
                    try:
                        self.sel.unregister(x)
                    except (KeyError, ValueError):
                        pass
                self.lingering[s] = time.monotonic() + self.linger
            else:
                self.close(s)
            return
        if n in self.stalled:
            return  # swallowed: the peer looks alive but answers nothing
        parser.feed(data, self.log)
        try:
            peer.setblocking(True)
            peer.sendall(data)
            peer.setblocking(False)
        except OSError:
            self.close(s)

    def run(self):
        while not self.stop:
            if self.stall_req:
                self.stall_req = False
                ids = {v[2] for v in self.pairs.values()}
                self.stalled |= ids
                self.log("stall %s" % ",".join(str(i) for i in sorted(ids)))
            if self.drop_req:
                self.drop_req = False
                for s in list(self.pairs):
                    self.close(s)
            for s, at in list(self.lingering.items()):
                if time.monotonic() >= at:
                    del self.lingering[s]
                    self.close(s)
            for key, _ in self.sel.select(timeout=0.05):
                if key.fileobj is self.lsock:
                    self.accept()
                elif key.fileobj in self.pairs:
                    self.pump(key.fileobj)
        for s in list(self.pairs):
            self.close(s)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--target", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--linger-ms", type=int, default=0)
    # 0.0.0.0 inside a test's namespace: a board's NIC reaches it on the tap
    ap.add_argument("--listen-host", default="127.0.0.1")
    a = ap.parse_args()
    targets = []
    for t in a.target.split(","):
        host, _, port = t.rpartition(":")
        targets.append((host, int(port)))
    p = Proxy(a.port, targets, a.log, a.linger_ms, a.listen_host)

    def on_signal(sig, _frame):
        if sig == signal.SIGUSR1:
            p.stall_req = True
        elif sig == signal.SIGUSR2:
            p.drop_req = True
        else:
            p.stop = True

    for sig in (signal.SIGUSR1, signal.SIGUSR2, signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    p.run()


if __name__ == "__main__":
    sys.exit(main())
