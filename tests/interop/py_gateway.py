#!/usr/bin/python3
"""A ProdService written with python grpcio, after the article's gateway: the
interop peer that sits between our CLI (a grpcio server for our client core)
and our storage (a grpcio client for our server), in
tests/interop/test_grpcio_gateway.sh.

Command line (the same as our gateway):
  py_gateway.py [--listen HOST:PORT] [--storage HOST:PORT] [--stream-delay-ms N]
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
import uuid
from concurrent import futures

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "build", "py"))
subprocess.run([os.path.join(ROOT, "tools", "pygen.sh")], check=True)

import grpc  # noqa: E402

import api_pb2  # noqa: E402
import api_pb2_grpc  # noqa: E402

VENDORS = ("google", "aws", "oracle")


def log(msg):
    sys.stderr.write("%s py-gateway: %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%S"), msg))
    sys.stderr.flush()


class Prod(api_pb2_grpc.ProdServiceServicer):
    def __init__(self, storage, delay_ms):
        self.storage = storage
        self.delay = delay_ms / 1000.0

    def GetVendorProdTypes(self, request, context):
        vendor = request.vendor.lower()
        log("have received a request for -> %s <- as vendor" % vendor)
        if vendor not in VENDORS:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "wrong vendor, select between google, aws, oracle")
        return api_pb2.ClientResponseType(productType=" compute storage")

    def GetVendorProds(self, request, context):
        vendor, ptype = request.vendor.lower(), request.productType.lower()
        log("have received a request for -> %s <- product type from -> %s <- vendor" % (ptype, vendor))
        try:
            resp = self.storage.GetProdsDetail(api_pb2.StorageRequest(vendor=vendor, productType=ptype),
                                               timeout=context.time_remaining())
        except grpc.RpcError as e:
            if e.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
                context.abort(e.code(), "context deadline exceeded")
            context.abort(e.code(), "error while calling client.GetProdsDetail() method: " + (e.details() or ""))
        for p in resp.prodDetail:
            if self.delay:
                time.sleep(self.delay)
            if not context.is_active():
                log("the user has canceled the request, stopping server side operation")
                return
            yield api_pb2.ClientResponseProds(product=api_pb2.ProdsPrep(
                title=p.title, url=p.url, shortUrl="https://made-up-url.com/" + str(uuid.uuid4())[:6]))
        log("the response was sent to client")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", default="127.0.0.1:8080")
    ap.add_argument("--storage", default="127.0.0.1:6000")
    ap.add_argument("--stream-delay-ms", type=int, default=0)
    args = ap.parse_args()

    # Reconnect quickly when storage comes back (grpcio's default backoff is 1 s+).
    channel = grpc.insecure_channel(args.storage, options=[
        ("grpc.initial_reconnect_backoff_ms", 100), ("grpc.min_reconnect_backoff_ms", 100),
        ("grpc.max_reconnect_backoff_ms", 200)])
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    api_pb2_grpc.add_ProdServiceServicer_to_server(
        Prod(api_pb2_grpc.StorageServiceStub(channel), args.stream_delay_ms), server)
    if server.add_insecure_port(args.listen) == 0:
        log("cannot listen on %s" % args.listen)
        sys.exit(1)
    server.start()
    log("listening on %s (storage at %s)" % (args.listen, args.storage))

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    while not done.wait(0.2):
        pass
    server.stop(0.5).wait()
    log("stopped")


if __name__ == "__main__":
    main()
