#!/usr/bin/python3
"""Gateways behind nginx (docs/scaling.md, "Gateways behind nginx"): Debian's
nginx runs tools/nginx-grpc.conf, on free ports, in this test's folder, in
front of three plaintext gateways and three mutual-TLS gateways over one
storage. What each gateway served is counted in its own log; what nginx did
is counted in its access log.
  1. h2c devices: a call through nginx prints every product, and nginx
     spreads calls over the three gateways.
  2. One gateway killed (-9) while three devices call over their channels
     (--repeat, --wait-for-ready, --retry 3): every device call succeeds,
     each device kept its one connection to nginx, and nginx went on to
     another gateway for the killed one's new calls. A call the killed
     gateway was serving cannot be sent on by nginx (a gRPC request body is
     not buffered): nginx answers it 502, the device reads that as
     Unavailable (not as a gRPC message) and its retry policy makes it again.
  3. TLS terminated at nginx: a device with its certificate gets its answer,
     and the gateway logs the subject nginx vouches for; a device without a
     certificate, or with one of another CA, gets none; a subject sent by a
     client on the plaintext listener is not passed on.
  4. TLS passed through: the gateway checks the device's certificate itself
     (its log names the device); the gateway the device is connected to is
     stopped (SIGTERM, it drains) while the device calls, and the device
     goes on through nginx to another one: every call succeeds."""
import os
import re
import signal
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import harness  # noqa: E402
from harness import T, ROOT  # noqa: E402

api_pb2, api_pb2_grpc = harness.stubs()
import grpc  # noqa: E402

NGINX = "/usr/sbin/nginx"
t = T()
t.require_bins()
if not os.access(NGINX, os.X_OK) or not os.path.exists("/usr/lib/nginx/modules/ngx_stream_module.so"):
    t.bail("no nginx with its stream module (make deps installs nginx and libnginx-mod-stream)")
EXPECTED = t.expected("getprods_aws_storage.txt")
N = EXPECTED.count("Title: ")
SERVED = "<- product type from -> aws <- vendor"

C = os.path.join(t.tmp, "certs")
subprocess.run(["bash", os.path.join(ROOT, "tools", "certs.sh"), C], check=True)
TLS_GW = ("--tls-cert", C + "/server.pem", "--tls-key", C + "/server.key", "--tls-client-ca", C + "/ca.pem")
DEVICE = ["--tls", "--ca", C + "/ca.pem", "--server-name", "localhost",
          "--cert", C + "/device.pem", "--key", C + "/device.key"]

st = t.start_storage()
plain = [t.start_gateway(st.port) for _ in range(3)]
tlsgw = [t.start_gateway(st.port, *TLS_GW) for _ in range(3)]

# nginx's folder; as root its workers run as nobody, who must reach it
ndir = os.path.join(t.tmp, "nginx")
os.makedirs(os.path.join(ndir, "tmp"))
os.chmod(t.tmp, 0o711)
os.chmod(ndir, 0o755)
H2C, TLS, PASS = harness.free_port(), harness.free_port(), harness.free_port()
with open(os.path.join(ROOT, "tools", "nginx-grpc.conf")) as f:
    conf = f.read()
for k, v in {"DIR": ndir, "H2C_LISTEN": "127.0.0.1:%d" % H2C, "TLS_LISTEN": "127.0.0.1:%d" % TLS,
             "PASS_LISTEN": "127.0.0.1:%d" % PASS, "CERT": C + "/server.pem", "KEY": C + "/server.key",
             "CLIENT_CA": C + "/ca.pem",
             "H2C_SERVERS": " ".join("server 127.0.0.1:%d;" % g.port for g in plain),
             "TLS_SERVERS": " ".join("server 127.0.0.1:%d;" % g.port for g in tlsgw)}.items():
    conf = conf.replace("@%s@" % k, v)
t.check("@" not in re.sub(r"#.*", "", conf), "every @NAME@ of tools/nginx-grpc.conf is filled")
with open(os.path.join(ndir, "nginx.conf"), "w") as f:
    f.write(conf)
ng = t.start([NGINX, "-p", ndir, "-c", os.path.join(ndir, "nginx.conf"), "-e", os.path.join(ndir, "error.log"),
              "-g", "daemon off;"], H2C, "nginx")
for p in (TLS, PASS):
    t.check(harness.port_open(p), "nginx listens on %d" % p)


def served(g):
    return g.text().count(SERVED)


def access():
    try:
        with open(os.path.join(ndir, "access.log")) as f:
            return f.read().splitlines()
    except OSError:
        return []


def products(out):
    return out.count("Title: ")


# 1. h2c through nginx.
rc, out, err, _ = t.client("getprods", "aws", "storage", port=H2C)
t.check(rc == 0 and harness.mask_short(out) == harness.mask_short(EXPECTED),
        "1. getprods through nginx (h2c): every product, exit 0", rc, out, err)
rc, out, err, _ = t.client("--repeat", "6", "getprods", "aws", "storage", port=H2C)
counts = [served(g) for g in plain]
t.check(rc == 0 and products(out) == 6 * N, "1. six more calls on one channel succeed", rc, err)
t.check(sum(counts) == 7 and all(c >= 1 for c in counts),
        "1. nginx spread the 7 calls over the three gateways (their logs: %s)" % counts)

# 2. A gateway killed while devices call.
REPEAT = 40
res = [None] * 3


def device(i):
    res[i] = t.client("--repeat", str(REPEAT), "--every", "20", "--wait-for-ready", "--retry", "3", "--stats",
                      "getprods", "aws", "storage", port=H2C)


before = [served(g) for g in plain]
ths = [threading.Thread(target=device, args=(i,)) for i in range(3)]
for x in ths:
    x.start()
time.sleep(0.5)
victim = plain[0]
victim_at_kill = served(victim)
kill_epoch = time.time()
victim.proc.send_signal(signal.SIGKILL)
victim.proc.wait()
victim.stopped = True
for x in ths:
    x.join(60)
for i, r in enumerate(res):
    rc, out, err, _ = r or (None, "", "no result", 0)
    errs = [l for l in err.splitlines() if not l.startswith("channel: ")]
    t.check(rc == 0 and products(out) == REPEAT * N and not errs,
            "2. device %d: all %d calls succeed across the kill" % (i + 1, REPEAT), "rc=%s" % rc, *errs[:5])
    t.check(re.search(r"^channel: calls=%d connects=1 " % REPEAT, err, re.M) is not None,
            "2. device %d: one connection to nginx all along" % (i + 1), err.splitlines()[-1:])
after = [served(g) for g in plain]
total = 3 * REPEAT
t.check(victim_at_kill > before[0], "2. the killed gateway was serving the devices before the kill (%d calls)"
        % (victim_at_kill - before[0]))
va = "127.0.0.1:%d" % victim.port
cut = [l for l in access() if " 502 " in l]  # calls the killed gateway had taken
t.check(len(cut) <= 3 and all("upstream=[%s]" % va in l for l in cut),
        "2. nginx answered 502 only for calls the killed gateway held, at most one per device (%d)" % len(cut), *cut)
others = sum(a - b for a, b in zip(after[1:], before[1:]))
# a call nginx answered 502 may or may not have reached the killed one's log
t.check(total <= victim_at_kill - before[0] + others <= total + len(cut),
        "2. the gateways' logs account for all %d calls (and %d retried): %d by the killed one, %d by the others"
        % (total, len(cut), victim_at_kill - before[0], others))
# after the kill, nginx logs calls to the killed gateway that went on to
# another, were answered 502, or had their whole answer read just before
late = [l for l in access() if float(l.split()[0]) >= kill_epoch and "upstream=[%s" % va in l]
noticed = [l for l in late if ", " in l or " 502 " in l]
t.check(noticed and all(l in noticed or l.endswith(" 200 grpc-status=0 upstream=[%s]" % va) for l in late),
        "2. nginx noticed the kill: its calls to the killed gateway went on to another (%d) or were "
        "answered 502 (%d)" % (sum(", " in l for l in late), sum(" 502 " in l for l in late)), *late)
t.check(all(" 200 grpc-status=0 " in l for l in late if ", " in l), "2. ...and those that went on succeeded")

# 3. TLS terminated at nginx.
rc, out, err, _ = t.client(*DEVICE, "--repeat", "2", "getprods", "aws", "storage", port=TLS)
t.check(rc == 0 and products(out) == 2 * N, "3. a device over mutual TLS to nginx: its answers", rc, err)
subject = re.compile(r"request metadata: x-device-subject=CN=board-0001")
t.check(any(subject.search(g.text()) for g in plain if g.alive()),
        "3. the gateway logs the device's subject, as nginx vouched for it")
rc, out, err, _ = t.client("--tls", "--ca", C + "/ca.pem", "--server-name", "localhost",
                           "getprods", "aws", "storage", port=TLS)
t.check(rc != 0 and products(out) == 0, "3. a device without a certificate gets no answer", rc, err)
rc, out, err, _ = t.client("--tls", "--ca", C + "/ca.pem", "--server-name", "localhost",
                           "--cert", C + "/rogue-device.pem", "--key", C + "/rogue-device.key",
                           "getprods", "aws", "storage", port=TLS)
t.check(rc != 0 and products(out) == 0, "3. a device of another CA gets no answer", rc, err)
with grpc.insecure_channel("127.0.0.1:%d" % H2C) as ch:
    stub = api_pb2_grpc.ProdServiceStub(ch)
    n = sum(1 for _ in stub.GetVendorProds(api_pb2.ClientRequestProds(vendor="aws", productType="storage"),
                                           metadata=[("x-device-subject", "CN=forged")], timeout=5))
t.check(n == N, "3. a plaintext client's call with a subject of its own is answered")
t.check(not any("CN=forged" in g.text() for g in plain if g.alive()),
        "3. ...and the subject it sent never reaches a gateway")

# 4. TLS passed through to the gateways.
rc, out, err, _ = t.client(*DEVICE, "--repeat", "3", "getprodtypes", "aws", port=PASS)
t.check(rc == 0 and out.count("storage") == 3, "4. a device over mutual TLS through nginx to a gateway", rc, out, err)
t.check(any("as vendor from device board-0001" in g.text() for g in tlsgw),
        "4. the gateway itself checked the device's certificate (its log names board-0001)")
res = [None]
marks = [served(g) for g in tlsgw]
th = threading.Thread(target=lambda: res.__setitem__(0, t.client(*DEVICE, "--repeat", "30", "--every", "30",
                                                                 "--wait-for-ready", "--stats", "getprods", "aws",
                                                                 "storage", port=PASS)))
th.start()
busy = None
end = time.monotonic() + 10
while busy is None and time.monotonic() < end:
    now = [served(g) for g in tlsgw]
    busy = next((i for i in range(3) if now[i] > marks[i]), None)
    time.sleep(0.02)
time.sleep(0.3)
if busy is not None:
    tlsgw[busy].stop()
    t.check(tlsgw[busy].proc.returncode == 0, "4. the device's gateway drains and exits 0 on SIGTERM")
th.join(60)
rc, out, err, _ = res[0] or (None, "", "no result", 0)
errs = [l for l in err.splitlines() if not l.startswith("channel: ")]
t.check(busy is not None and rc == 0 and products(out) == 30 * N and not errs,
        "4. all 30 calls succeed while the device's gateway stops", "rc=%s" % rc, *errs[:5])
t.check(re.search(r"^channel: calls=30 connects=2 ", err, re.M) is not None,
        "4. the device reconnected once, through nginx", err.splitlines()[-1:])
others = [served(g) - marks[i] for i, g in enumerate(tlsgw) if i != busy]
t.check(sum(others) > 0, "4. another gateway served the device's later calls (%s)" % others)

t.check(ng.alive(), "nginx is still running")
for g in plain + tlsgw + [st]:
    if not g.stopped:
        g.stop()
        t.check(g.proc.returncode == 0, "%s on %d exits 0 on SIGTERM" % (os.path.basename(g.argv[0]), g.port))
t.finish()
