#!/usr/bin/python3
"""The article's ProdService.GetVendorProdTypes in python grpcio: a peer of our
gateway in `make bench` (tools/bench.sh). google, aws, oracle -> " compute
storage"; anything else -> InvalidArgument. One log line per request on
stderr, like the article and our gateway.

  prod_server.py [--listen HOST:PORT]     (stubs from tools/pygen.sh, in build/py)
Stops on SIGTERM.
"""
import argparse
import logging
import os
import signal
import sys
import threading
from concurrent import futures

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "build", "py"))

import grpc  # noqa: E402

import api_pb2  # noqa: E402
import api_pb2_grpc  # noqa: E402

VENDORS = ("google", "aws", "oracle")


class Prod(api_pb2_grpc.ProdServiceServicer):
    def GetVendorProdTypes(self, request, context):
        vendor = request.vendor.lower()
        logging.info("have received a request for -> %s <- as vendor", vendor)
        if vendor in VENDORS:
            return api_pb2.ClientResponseType(productType=" compute storage")
        context.abort(grpc.StatusCode.INVALID_ARGUMENT,
                      "wrong vendor, select between google, aws, oracle")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", default="127.0.0.1:8080")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=10))
    api_pb2_grpc.add_ProdServiceServicer_to_server(Prod(), server)
    if server.add_insecure_port(args.listen) == 0:
        sys.exit("cannot listen on %s" % args.listen)
    server.start()
    logging.info("Serving gRPC on http://%s", args.listen)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    while not done.wait(0.5):
        pass
    server.stop(0.5).wait()


if __name__ == "__main__":
    main()
