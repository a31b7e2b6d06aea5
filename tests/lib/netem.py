#!/usr/bin/python3
"""Loss and delay between a QEMU board's NIC and the test namespace's tap,
in user space: this machine's kernel has no sch_netem (tc qdisc ... netem
says "Specified qdisc kind is unknown"), so the impairment sits where netem
would, on the tap, but in this relay.

    netem.py --tap fctap0 --port P --qemu-port Q --loss 0.05 --delay-ms 50
             --seconds 120 --log FILE

QEMU sends each of the board's frames as one UDP datagram to 127.0.0.1:P
(-nic socket,udp=127.0.0.1:P,localaddr=127.0.0.1:Q) and receives the
network's on Q; the relay opens the tap itself (TUNSETIFF), so the
namespace's kernel sees the board on the tap as with -nic tap. Each frame,
both ways, is dropped with probability --loss, or delivered --delay-ms
later, in order. It stops after --seconds, or on SIGTERM, and its last log
line counts what it carried and dropped.
"""
import argparse
import fcntl
import os
import random
import select
import signal
import socket
import struct
import sys
import time
from collections import deque

TUNSETIFF = 0x400454CA
IFF_TAP, IFF_NO_PI = 0x0002, 0x1000


def open_tap(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
    return fd


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tap", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--qemu-port", type=int, required=True)
    ap.add_argument("--loss", type=float, default=0.05)
    ap.add_argument("--delay-ms", type=float, default=50.0)
    ap.add_argument("--seconds", type=float, default=120.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    # One generator per direction, so that which frames are lost depends only
    # on each direction's own count, not on how the two interleave: with the
    # default seed the 10th frame to the board and the 7th to the network are
    # the first dropped, and a test that carries more than that loses frames
    # both ways on every run.
    rngs = {"to_board": random.Random(a.seed), "to_net": random.Random(a.seed + 4)}
    tap = open_tap(a.tap)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", a.port))
    udp.setblocking(False)
    qemu = ("127.0.0.1", a.qemu_port)
    delay = a.delay_ms / 1000.0
    queues = {"to_board": deque(), "to_net": deque()}  # (due, frame), due ascending
    counts = {k: [0, 0] for k in queues}  # carried, dropped
    log = open(a.log, "a", buffering=1)
    log.write("listen %d\n" % a.port)
    stop = [False]
    signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__(0, True))
    end = time.monotonic() + a.seconds

    def take(kind, frame):
        if rngs[kind].random() < a.loss:
            counts[kind][1] += 1
        else:
            queues[kind].append((time.monotonic() + delay, frame))

    while not stop[0] and time.monotonic() < end:
        now = time.monotonic()
        for kind, q in queues.items():
            while q and q[0][0] <= now:
                frame = q.popleft()[1]
                counts[kind][0] += 1
                try:
                    if kind == "to_board":
                        udp.sendto(frame, qemu)
                    else:
                        os.write(tap, frame)
                except OSError:
                    pass  # QEMU not there yet, or the tap down: a lost frame
        due = [q[0][0] for q in queues.values() if q]
        wait = max(0.0, min(due) - time.monotonic()) if due else 0.2
        r, _, _ = select.select([tap, udp], [], [], min(wait, 0.2))
        if tap in r:
            try:
                take("to_board", os.read(tap, 2048))
            except OSError:
                pass
        if udp in r:
            try:
                take("to_net", udp.recv(2048))
            except OSError:
                pass
    log.write(
        "done to_board carried=%d dropped=%d to_net carried=%d dropped=%d\n"
        % (counts["to_board"][0], counts["to_board"][1], counts["to_net"][0], counts["to_net"][1])
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
