#!/usr/bin/python3
"""The python grpcio ProdService, a gateway in front of a StorageService as
the article's: forwards the caller's deadline and cancel to storage, adds a
ShortUrl to each product and streams them.
  prod_server.py [--listen HOST:PORT] [--storage HOST:PORT] [--stream-delay-ms N]"""
import argparse
import signal
import sys
import threading
import uuid
from concurrent import futures

from peer import CATALOGUE, PRODUCT_TYPES, api_pb2, api_pb2_grpc, grpc, log

DEADLINE_MSG = "context deadline exceeded"


class Prod(api_pb2_grpc.ProdServiceServicer):
    def __init__(self, storage, delay_ms):
        self.storage = storage
        self.delay = delay_ms / 1000.0

    def GetVendorProdTypes(self, request, context):
        vendor = request.vendor.lower()
        log("prod", "have received a request for -> %s <- vendor" % vendor)
        if vendor not in CATALOGUE:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "wrong vendor, select between google, aws, oracle")
        return api_pb2.ClientResponseType(productType=PRODUCT_TYPES)

    def GetVendorProds(self, request, context):
        log("prod", "have received a request for -> %s <- product type from -> %s <- vendor"
            % (request.productType, request.vendor))
        fut = self.storage.GetProdsDetail.future(
            api_pb2.StorageRequest(vendor=request.vendor, productType=request.productType),
            timeout=context.time_remaining())
        context.add_callback(fut.cancel)  # the caller's cancel goes on to storage
        try:
            resp = fut.result()
        except grpc.FutureCancelledError:
            log("prod", "the user has canceled the request, stopping server side operation")
            return
        except grpc.RpcError as e:
            left = context.time_remaining()
            if e.code() == grpc.StatusCode.DEADLINE_EXCEEDED or (left is not None and left <= 0):
                log("prod", "deadline has exceeded while waiting for storage")
                context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, DEADLINE_MSG)
            msg = "error while calling client.GetProdsDetail() method: %s" % e.details()
            log("prod", msg)
            context.abort(e.code(), msg)
        done = threading.Event()
        context.add_callback(done.set)
        for p in resp.prodDetail:
            if self.delay > 0 and done.wait(self.delay):
                left = context.time_remaining()
                if left is not None and left <= 0:
                    log("prod", "deadline has exceeded, stopping server side operation")
                else:
                    log("prod", "the user has canceled the request, stopping server side operation")
                return
            yield api_pb2.ClientResponseProds(product=api_pb2.ProdsPrep(
                title=p.title, url=p.url, shortUrl="https://made-up-url.com/" + uuid.uuid4().hex[:6]))
        log("prod", "a number of %d products were sent to client" % len(resp.prodDetail))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", default="127.0.0.1:8080")
    ap.add_argument("--storage", default="127.0.0.1:6000")
    ap.add_argument("--stream-delay-ms", type=int, default=0)
    args = ap.parse_args()

    # One persistent channel to storage.
    channel = grpc.insecure_channel(args.storage)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    api_pb2_grpc.add_ProdServiceServicer_to_server(
        Prod(api_pb2_grpc.StorageServiceStub(channel), args.stream_delay_ms), server)
    if server.add_insecure_port(args.listen) == 0:
        log("prod", "cannot listen on %s" % args.listen)
        sys.exit(1)
    server.start()
    log("prod", "listening on %s" % args.listen)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    while not done.wait(0.2):
        pass
    server.stop(0.5).wait()
    channel.close()
    log("prod", "stopped")


if __name__ == "__main__":
    main()
