#!/usr/bin/python3
"""The python grpcio interop client: prints exactly what our firmware-client
prints (DESIGN.md section 3), so the outputs compare line by line.
  client.py [--addr HOST:PORT] [--timeout SECONDS] [--cancel-after N] getprodtypes VENDOR
  client.py [--addr HOST:PORT] [--timeout SECONDS] [--cancel-after N] getprods VENDOR TYPE
--cancel-after N: cancel the stream (RST_STREAM CANCEL) after N products,
hold the connection 1 s, exit 0."""
import sys
import time

from peer import GO_NAME, api_pb2, api_pb2_grpc, grpc

USAGE = ("usage: client.py [--addr HOST:PORT] [--timeout SECONDS] [--cancel-after N] "
         "getprodtypes VENDOR | getprods VENDOR TYPE")


def fail(prefix, e):
    desc = e.details() or ""
    # grpcio words its own deadline "Deadline Exceeded"; our CLI (and grpc-go)
    # say "context deadline exceeded".
    if e.code() == grpc.StatusCode.DEADLINE_EXCEEDED and desc.lower().startswith("deadline exceeded"):
        desc = "context deadline exceeded"
    sys.stderr.write("rpc error: code = %s desc = %s%s\n" % (GO_NAME[e.code()], prefix, desc))
    return 1


def main(argv):
    opts = {"addr": "127.0.0.1:8080", "timeout": "4", "cancel-after": "0"}
    i = 0
    while i < len(argv) and argv[i].startswith("--"):
        k = argv[i][2:]
        if k not in opts or i + 1 >= len(argv):
            sys.stderr.write(USAGE + "\n")
            return 2
        opts[k] = argv[i + 1]
        i += 2
    rest = argv[i:]
    if not ((len(rest) == 2 and rest[0] == "getprodtypes") or (len(rest) == 3 and rest[0] == "getprods")):
        sys.stderr.write(USAGE + "\n")
        return 2
    deadline = time.monotonic() + float(opts["timeout"])
    cancel_after = int(opts["cancel-after"])
    with grpc.insecure_channel(opts["addr"]) as ch:
        stub = api_pb2_grpc.ProdServiceStub(ch)
        if rest[0] == "getprodtypes":
            try:
                r = stub.GetVendorProdTypes(api_pb2.ClientRequestType(vendor=rest[1]),
                                            timeout=deadline - time.monotonic())
            except grpc.RpcError as e:
                return fail("error while calling client.GetVendorProdTypes() method: ", e)
            print("%s cloud products type are: %s" % (rest[1], r.productType), flush=True)
            return 0
        prefix = "error while receiving the stream for client.GetVendorProds: "
        it = stub.GetVendorProds(api_pb2.ClientRequestProds(vendor=rest[1], productType=rest[2]),
                                 timeout=deadline - time.monotonic())
        n = 0
        try:
            for m in it:
                p = m.product
                print("Title: %s, Url: %s,  ShortUrl: %s" % (p.title, p.url, p.shortUrl), flush=True)
                n += 1
                if cancel_after and n == cancel_after:
                    it.cancel()
                    time.sleep(1)
                    return 0
        except grpc.RpcError as e:
            return fail(prefix, e)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
