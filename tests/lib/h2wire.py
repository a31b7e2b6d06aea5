"""A raw HTTP/2 peer for the conformance tests (tests/interop/test_conformance_*):
frames written and read by hand, header blocks through Debian's python3-hpack
(real HPACK, so a block can be cut anywhere into CONTINUATION frames), on
either side of a connection:

    c = H2.connect(port, settings={SETTINGS_INITIAL_WINDOW_SIZE: 16})   # as a client
    c.send(c.headers_frames(1, request_headers("/api.ProdService/X"), end_stream=False))
    ev = c.until(lambda c: c.closed_stream(1), 5)

    srv = H2Server(); ... conn = srv.accept(5)                            # as a server
    conn.read_request(1, 5)

Events are kept in order in c.events as tuples:
("headers", sid, [(name, value)], end_stream, nframes), ("data", sid, bytes,
end_stream), ("rst", sid, code), ("goaway", last_sid, code), ("ping", ack,
data), ("settings", ack, {id: value}), ("window", sid, increment).
Run with /usr/bin/python3.
"""
import socket
import struct
import time

import hpack

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)
END_STREAM, ACK, END_HEADERS, PADDED, PRIORITY_FLAG = 0x1, 0x1, 0x4, 0x8, 0x20
SETTINGS_HEADER_TABLE_SIZE, SETTINGS_ENABLE_PUSH, SETTINGS_MAX_CONCURRENT_STREAMS = 1, 2, 3
SETTINGS_INITIAL_WINDOW_SIZE, SETTINGS_MAX_FRAME_SIZE, SETTINGS_MAX_HEADER_LIST_SIZE = 4, 5, 6
NO_ERROR, PROTOCOL_ERROR, INTERNAL_ERROR, FLOW_CONTROL_ERROR = 0, 1, 2, 3
REFUSED_STREAM, CANCEL, ENHANCE_YOUR_CALM, INADEQUATE_SECURITY = 7, 8, 11, 12


def frame(ftype, flags, sid, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", sid) + payload


def settings_frame(pairs=None, ack=False):
    body = b"".join(struct.pack(">HI", k, v) for k, v in (pairs or {}).items())
    return frame(SETTINGS, ACK if ack else 0, 0, body)


def window_update(sid, inc):
    return frame(WINDOW_UPDATE, 0, sid, struct.pack(">I", inc))


def rst_stream(sid, code):
    return frame(RST_STREAM, 0, sid, struct.pack(">I", code))


def goaway(last_sid, code, debug=b""):
    return frame(GOAWAY, 0, 0, struct.pack(">II", last_sid, code) + debug)


def ping(data=b"12345678", ack=False):
    return frame(PING, ACK if ack else 0, 0, data)


def grpc_msg(body, compressed=False):
    return (b"\x01" if compressed else b"\x00") + struct.pack(">I", len(body)) + body


def grpc_msgs(data):
    """Splits a gRPC message stream into (flag, body) pairs."""
    out = []
    while len(data) >= 5:
        n = struct.unpack(">I", data[1:5])[0]
        out.append((data[0], data[5:5 + n]))
        data = data[5 + n:]
    return out


def request_headers(path, authority="127.0.0.1", te=True, ctype="application/grpc", extra=()):
    hs = [(":method", "POST"), (":scheme", "http"), (":path", path), (":authority", authority)]
    if ctype is not None:
        hs.append(("content-type", ctype))
    if te:
        hs.append(("te", "trailers"))
    return hs + list(extra)


class H2:
    """One HTTP/2 connection on a blocking socket, either side."""

    def __init__(self, sock):
        self.sock = sock
        self.enc = hpack.Encoder()
        self.dec = hpack.Decoder()
        self.dec.max_header_list_size = 1 << 20
        self.buf = b""
        self.events = []
        self.closed = False
        self.autoack = True  # ACK SETTINGS and PING as a peer must
        self.sent_data = {}  # sid -> DATA bytes sent (flow-control checks)
        self._block = None   # (sid, end_stream, bytes, nframes) while CONTINUATIONs are due

    @classmethod
    def connect(cls, port, settings=None, timeout=5):
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        c = cls(s)
        c.send(PREFACE + settings_frame(settings))
        return c

    def send(self, data):
        try:
            self.sock.sendall(data)
        except OSError:
            self.closed = True

    def headers_frames(self, sid, headers, end_stream=False, pieces=1):
        """The header block as one HEADERS frame and pieces-1 CONTINUATIONs."""
        block = self.enc.encode(headers)
        step = max(1, -(-len(block) // pieces))
        chunks = [block[i:i + step] for i in range(0, len(block), step)] or [b""]
        out = b""
        for i, ch in enumerate(chunks):
            last = END_HEADERS if i == len(chunks) - 1 else 0
            if i == 0:
                out += frame(HEADERS, last | (END_STREAM if end_stream else 0), sid, ch)
            else:
                out += frame(CONTINUATION, last, sid, ch)
        return out

    def data_frames(self, sid, data, end_stream=True, size=None):
        """data as DATA frames of at most size bytes, END_STREAM on the last."""
        size = size or 16384
        chunks = [data[i:i + size] for i in range(0, len(data), size)] or [b""]
        self.sent_data[sid] = self.sent_data.get(sid, 0) + len(data)
        return b"".join(frame(DATA, END_STREAM if end_stream and i == len(chunks) - 1 else 0, sid, ch)
                        for i, ch in enumerate(chunks))

    # ---- reading ----
    def _frame(self, ftype, flags, sid, p):
        if ftype in (HEADERS, PUSH_PROMISE):
            pad = 0
            if flags & PADDED:
                pad, p = p[0], p[1:]
            if ftype == HEADERS and flags & PRIORITY_FLAG:
                p = p[5:]
            if pad:
                p = p[:-pad]
            self._block = (sid, bool(flags & END_STREAM), p, 1)
            if flags & END_HEADERS:
                self._end_block()
        elif ftype == CONTINUATION and self._block:
            bsid, es, b, n = self._block
            self._block = (bsid, es, b + p, n + 1)
            if flags & END_HEADERS:
                self._end_block()
        elif ftype == DATA:
            if flags & PADDED:
                p = p[1:len(p) - p[0]]
            self.events.append(("data", sid, p, bool(flags & END_STREAM)))
        elif ftype == RST_STREAM:
            self.events.append(("rst", sid, struct.unpack(">I", p[:4])[0]))
        elif ftype == GOAWAY:
            last, code = struct.unpack(">II", p[:8])
            self.events.append(("goaway", last & 0x7FFFFFFF, code))
        elif ftype == PING:
            self.events.append(("ping", bool(flags & ACK), p))
            if self.autoack and not flags & ACK:
                self.send(ping(p, ack=True))
        elif ftype == SETTINGS:
            pairs = {}
            for i in range(0, len(p) - 5, 6):
                k, v = struct.unpack(">HI", p[i:i + 6])
                pairs[k] = v
            self.events.append(("settings", bool(flags & ACK), pairs))
            if self.autoack and not flags & ACK:
                self.send(settings_frame(ack=True))
        elif ftype == WINDOW_UPDATE:
            self.events.append(("window", sid, struct.unpack(">I", p[:4])[0] & 0x7FFFFFFF))

    def _end_block(self):
        sid, es, block, n = self._block
        self._block = None
        hs = [(k.decode() if isinstance(k, bytes) else k, v.decode("latin-1") if isinstance(v, bytes) else v)
              for k, v in self.dec.decode(block, raw=True)]
        self.events.append(("headers", sid, hs, es, n))

    def pump(self, seconds):
        """Reads what comes within seconds (returns early on nothing new for
        a while only through until())."""
        end = time.monotonic() + seconds
        while not self.closed and time.monotonic() < end:
            if not self._read_some(end):
                break

    def _read_some(self, end):
        self.sock.settimeout(max(0.01, min(0.1, end - time.monotonic())))
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return True
        except OSError:
            self.closed = True
            return False
        if not chunk:
            self.closed = True
            return False
        self.buf += chunk
        while len(self.buf) >= 9:
            n = int.from_bytes(self.buf[:3], "big")
            if len(self.buf) < 9 + n:
                break
            ftype, flags = self.buf[3], self.buf[4]
            sid = struct.unpack(">I", self.buf[5:9])[0] & 0x7FFFFFFF
            p = self.buf[9:9 + n]
            self.buf = self.buf[9 + n:]
            self._frame(ftype, flags, sid, p)
        return True

    def until(self, cond, seconds):
        """Reads until cond(self) holds or seconds pass; returns cond's value."""
        end = time.monotonic() + seconds
        while True:
            v = cond(self)
            if v or self.closed or time.monotonic() >= end:
                return v
            self._read_some(end)

    # ---- views ----
    def of(self, sid, kind=None):
        return [e for e in self.events if e[1] == sid and e[0] != "ping" and e[0] != "settings"
                and e[0] != "goaway" and (kind is None or e[0] == kind)]

    def ended(self, sid):
        """The stream ended: END_STREAM or RST_STREAM seen, or the connection went."""
        return self.closed or any((e[0] in ("headers", "data") and e[3]) or e[0] == "rst" for e in self.of(sid))

    def response(self, sid):
        """(headers dict, trailers dict or None, message bytes, rst code or None)."""
        hs = self.of(sid, "headers")
        first = dict(hs[0][2]) if hs else {}
        trailers = dict(hs[-1][2]) if len(hs) > 1 else None
        data = b"".join(e[2] for e in self.of(sid, "data"))
        rst = [e[2] for e in self.of(sid, "rst")]
        return first, trailers, data, rst[0] if rst else None

    def status(self, sid):
        """grpc-status and the raw grpc-message, from trailers or a trailers-only answer."""
        first, trailers, _, _ = self.response(sid)
        h = trailers if trailers is not None else first
        return h.get("grpc-status"), h.get("grpc-message")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class H2Server:
    """A listening socket on a free loopback port; accept() gives an H2 whose
    client preface has been read and whose SETTINGS are sent."""

    def __init__(self):
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(4)
        self.port = self.lsock.getsockname()[1]

    def accept(self, timeout=5, settings=None):
        self.lsock.settimeout(timeout)
        s, _ = self.lsock.accept()
        c = H2(s)
        s.settimeout(timeout)
        pre = b""
        while len(pre) < len(PREFACE):
            chunk = s.recv(len(PREFACE) - len(pre))
            if not chunk:
                raise ConnectionError("no client preface")
            pre += chunk
        if pre != PREFACE:
            raise ConnectionError("bad client preface %r" % pre)
        c.send(settings_frame(settings))
        return c

    def close(self):
        self.lsock.close()
