#!/usr/bin/python3
"""The article's StorageService in python grpcio, the storage tier of the
article's stack in `make bench` (tools/bench.sh): GetProdsDetail returns every
product (title, url) of a vendor and type, read from the same SQLite file our
storage uses (table product(id, vendor, type, pos, title, url)), matched
case-insensitively; unknown vendor or type -> InvalidArgument
"Invalid Vendor: <v>" / "Invalid ProductType: <t>". One log line per request.

  storage_server.py [--listen HOST:PORT] --db PATH
Stops on SIGTERM.
"""
import argparse
import logging
import os
import signal
import sqlite3
import sys
import threading
from concurrent import futures

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "build", "py"))

import grpc  # noqa: E402

import api_pb2  # noqa: E402
import api_pb2_grpc  # noqa: E402


class Storage(api_pb2_grpc.StorageServiceServicer):
    def __init__(self, db):
        self.db = db
        self.local = threading.local()

    def conn(self):
        c = getattr(self.local, "c", None)
        if c is None:
            c = self.local.c = sqlite3.connect(self.db)
        return c

    def GetProdsDetail(self, request, context):
        vendor = request.vendor.lower()
        ptype = request.productType.lower()
        logging.info("have received a request for -> %s <- product type from -> %s <- vendor",
                     ptype, vendor)
        c = self.conn()
        if c.execute("SELECT 1 FROM product WHERE vendor=? LIMIT 1", (vendor,)).fetchone() is None:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "Invalid Vendor: %s" % vendor)
        rows = c.execute("SELECT title, url FROM product WHERE vendor=? AND type=? ORDER BY pos",
                         (vendor, ptype)).fetchall()
        if not rows:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "Invalid ProductType: %s" % ptype)
        logging.info("a number of %d products were sent to client", len(rows))
        return api_pb2.StorageResponse(prodDetail=[api_pb2.Product(title=t, url=u) for t, u in rows])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", default="127.0.0.1:6000")
    ap.add_argument("--db", required=True)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=10),
                         options=[("grpc.max_send_message_length", 64 << 20)])
    api_pb2_grpc.add_StorageServiceServicer_to_server(Storage(args.db), server)
    if server.add_insecure_port(args.listen) == 0:
        sys.exit("cannot listen on %s" % args.listen)
    server.start()
    logging.info("Listening on %s..", args.listen)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    while not done.wait(0.5):
        pass
    server.stop(0.5).wait()


if __name__ == "__main__":
    main()
