#!/usr/bin/python3
"""The TCP segments that open and refuse connections on the test
namespace's tap, with the host's time: a QEMU board's own clock runs slow
when the machine is busy (SysTick ticks are lost while QEMU waits for a
core), so a test that times what a board does from the host's side counts
from what the board put on the wire, not from when its output appeared.

    tapwatch.py --tap fctap0 --port P --log FILE [--seconds 60]

Each IPv4 TCP segment to or from port P that carries SYN, RST or FIN is one
line of FILE: "MS SRC:SPORT DST:DPORT FLAGS", MS the host's clock in ms,
FLAGS letters of S (SYN), A (ACK), F (FIN), R (RST). Its first line is
"MS listening". It stops after --seconds, or on SIGTERM.
"""
import argparse
import signal
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
FLAGS = ((0x02, "S"), (0x10, "A"), (0x01, "F"), (0x04, "R"))


def segment(frame, port):
    """FLAGS and the two ends of a TCP segment to or from port, or None."""
    if len(frame) < 14 + 20 or struct.unpack("!H", frame[12:14])[0] != 0x0800:
        return None
    ip = frame[14:]
    ihl = (ip[0] & 15) * 4
    if ip[9] != 6 or len(ip) < ihl + 14:
        return None
    tcp = ip[ihl:]
    sport, dport = struct.unpack("!HH", tcp[:4])
    if port not in (sport, dport) or not tcp[13] & 0x07:
        return None
    flags = "".join(name for bit, name in FLAGS if tcp[13] & bit)
    src, dst = socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20])
    return "%s:%d %s:%d %s" % (src, sport, dst, dport, flags)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tap", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--seconds", type=float, default=60)
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((a.tap, 0))
    end = time.monotonic() + a.seconds
    with open(a.log, "a", buffering=1) as log:
        log.write("%d listening\n" % (time.time() * 1000))
        while time.monotonic() < end:
            s.settimeout(max(0.01, end - time.monotonic()))
            try:
                frame = s.recv(65535)
            except socket.timeout:
                break
            line = segment(frame, a.port)
            if line:
                log.write("%d %s\n" % (time.time() * 1000, line))


if __name__ == "__main__":
    main()
