"""A DNS server for tests (UDP, on a loopback address of the test's
choosing): answers A queries for its names after `delay` seconds, or not at
all while `silent`; AAAA and other names get an empty answer. Counts the
queries per name, so a test sees that a lookup was made.

    dns = FakeDNS("127.5.5.5", {"pg.test": "127.0.0.1"})
    dns.delay = 2.0; dns.silent = True; dns.count("pg.test"); dns.close()

A process uses it through a mount namespace of its own that binds a
resolv.conf naming it over /etc/resolv.conf (resolv_argv)."""
import os
import socket
import struct
import threading


class FakeDNS:
    def __init__(self, addr, names):
        self.names = {k.lower(): v for k, v in names.items()}
        self.delay = 0.0
        self.silent = False
        self.counts = {}
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((addr, 53))
        self.addr = addr
        self.done = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def count(self, name):
        with self.lock:
            return self.counts.get(name.lower(), 0)

    def _serve(self):
        while not self.done:
            try:
                q, peer = self.sock.recvfrom(512)
            except OSError:
                return
            if len(q) < 17:
                continue
            name, i = [], 12
            while i < len(q) and q[i]:
                name.append(q[i + 1:i + 1 + q[i]].decode("ascii", "replace"))
                i += 1 + q[i]
            qname = ".".join(name).lower()
            if i + 5 > len(q):
                continue
            qtype = struct.unpack("!H", q[i + 1:i + 3])[0]
            question = q[12:i + 5]
            with self.lock:
                self.counts[qname] = self.counts.get(qname, 0) + 1
            if self.silent:
                continue
            answer = b""
            ip = self.names.get(qname)
            if ip and qtype == 1:
                answer = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 0, 4) + socket.inet_aton(ip)
            rcode = 0 if ip else 3  # NXDOMAIN for names it does not know
            head = q[:2] + struct.pack("!HHHHH", 0x8180 | rcode, 1, 1 if answer else 0, 0, 0)
            reply = head + question + answer
            threading.Timer(self.delay, self._send, (reply, peer)).start()

    def _send(self, reply, peer):
        try:
            self.sock.sendto(reply, peer)
        except OSError:
            pass

    def close(self):
        self.done = True
        self.sock.close()


def resolv_argv(tmp, addr, argv, timeout=4):
    """argv run in a mount namespace whose resolver asks addr alone (DNS
    only, no /etc/hosts); the files go in tmp."""
    rc, nss = os.path.join(tmp, "resolv.conf"), os.path.join(tmp, "nsswitch.conf")
    with open(rc, "w") as f:
        f.write("nameserver %s\noptions timeout:%d attempts:1\n" % (addr, timeout))
    with open(nss, "w") as f:
        f.write("hosts: dns\n")
    script = 'mount --bind "$1" /etc/resolv.conf && mount --bind "$2" /etc/nsswitch.conf && shift 2 && exec "$@"'
    return ["unshare", "-m", "sh", "-c", script, "sh", rc, nss] + list(argv)
