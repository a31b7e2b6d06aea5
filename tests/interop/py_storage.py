#!/usr/bin/python3
"""A StorageService written with python grpcio: the interop peer that replaces
our storage behind our gateway (tests/interop/test_grpcio_storage.sh).

It serves the article's catalogue (catalogue.py), matches vendor and type
case-insensitively and answers unknown ones with InvalidArgument
"Invalid Vendor: <v>" / "Invalid ProductType: <t>", as DESIGN.md section 4 says.

Command line (the same as our storage, so the test harness can start either):
  py_storage.py [--listen HOST:PORT] [--db PATH (ignored)] [--delay-ms N]
Logs one line per event on stderr.
"""
import argparse
import os
import signal
import subprocess
import sys

sys.dont_write_bytecode = True  # keep tests/ free of __pycache__
import threading
import time
from concurrent import futures

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "build", "py"))
subprocess.run([os.path.join(ROOT, "tools", "pygen.sh")], check=True)

import grpc  # noqa: E402

import api_pb2  # noqa: E402
import api_pb2_grpc  # noqa: E402
from catalogue import CATALOGUE  # noqa: E402


def log(msg):
    sys.stderr.write("%s py-storage: %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%S"), msg))
    sys.stderr.flush()


class Storage(api_pb2_grpc.StorageServiceServicer):
    def __init__(self, delay_ms):
        self.delay = delay_ms / 1000.0

    def GetProdsDetail(self, request, context):
        vendor = request.vendor.lower()
        ptype = request.productType.lower()
        log("have received a request for -> %s <- product type from -> %s <- vendor" % (ptype, vendor))
        left = context.time_remaining()
        if left is not None and left < 1e6:
            log("deadline in %d ms" % int(left * 1000))
        else:
            log("no deadline")
        if self.delay > 0:
            # The article's "heavy processing", cut short when the caller goes.
            end = time.monotonic() + self.delay
            while time.monotonic() < end:
                if not context.is_active():
                    left = context.time_remaining()
                    why = "deadline" if left is not None and left <= 0 else "cancel"
                    log("the call was dropped (%s): %s %s" % (why, vendor, ptype))
                    return api_pb2.StorageResponse()
                time.sleep(0.02)
        if vendor not in CATALOGUE:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "Invalid Vendor: %s" % vendor)
        if ptype not in CATALOGUE[vendor]:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "Invalid ProductType: %s" % ptype)
        prods = CATALOGUE[vendor][ptype]
        resp = api_pb2.StorageResponse(
            prodDetail=[api_pb2.Product(title=t, url=u) for t, u in prods])
        log("a number of %d products were sent to client" % len(prods))
        return resp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", default="127.0.0.1:6000")
    ap.add_argument("--db", default=None)
    ap.add_argument("--delay-ms", type=int, default=0)
    args = ap.parse_args()

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    api_pb2_grpc.add_StorageServiceServicer_to_server(Storage(args.delay_ms), server)
    if server.add_insecure_port(args.listen) == 0:
        log("cannot listen on %s" % args.listen)
        sys.exit(1)
    server.start()
    log("listening on %s" % args.listen)

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    while not done.wait(0.2):
        pass
    server.stop(0.5).wait()
    log("stopped")


if __name__ == "__main__":
    main()
