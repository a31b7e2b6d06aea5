#!/usr/bin/python3
"""Interop, client side of our gateway: a python grpcio client (the article's
proto, generated stubs) calls our gateway in every scenario and gets the same
results as our CLI: the same products in order, the same status codes and
messages. Also what only a full gRPC stack exercises: many streams on one
connection, metadata, compression offers, cancellation."""
import os
import re
import sys

sys.dont_write_bytecode = True  # keep tests/ free of __pycache__
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from harness import T  # noqa: E402
import harness  # noqa: E402

api_pb2, api_pb2_grpc = harness.stubs()
import grpc  # noqa: E402

t = T()
t.require_bins()
st = t.start_storage()
gw = t.start_gateway(st.port)

# grpc-go's names, as the CLI prints them.
GO_NAME = {c: "".join(w.capitalize() for w in c.name.split("_")) for c in grpc.StatusCode}
GO_NAME[grpc.StatusCode.CANCELLED] = "Canceled"
GO_NAME[grpc.StatusCode.OK] = "OK"
PREFIX_TYPES = "error while calling client.GetVendorProdTypes() method: "
PREFIX_PRODS = "error while receiving the stream for client.GetVendorProds: "
ERR_RE = re.compile(r"^rpc error: code = (\w+) desc = (.*)$")


def py_types(port, vendor, timeout=4.0):
    """GetVendorProdTypes via grpcio: ('ok', productType) or (code, details)."""
    with grpc.insecure_channel("127.0.0.1:%d" % port) as ch:
        try:
            r = api_pb2_grpc.ProdServiceStub(ch).GetVendorProdTypes(
                api_pb2.ClientRequestType(vendor=vendor), timeout=timeout)
            return grpc.StatusCode.OK, r.productType
        except grpc.RpcError as e:
            return e.code(), e.details()


def py_prods(port, vendor, ptype, timeout=4.0):
    """GetVendorProds via grpcio: (code, details, [ProdsPrep...])."""
    with grpc.insecure_channel("127.0.0.1:%d" % port) as ch:
        got = []
        try:
            for m in api_pb2_grpc.ProdServiceStub(ch).GetVendorProds(
                    api_pb2.ClientRequestProds(vendor=vendor, productType=ptype), timeout=timeout):
                got.append(m.product)
            return grpc.StatusCode.OK, "", got
        except grpc.RpcError as e:
            return e.code(), e.details(), got


def lines(prods):
    """The CLI's rendering of products, ShortUrls masked."""
    return "".join(harness.mask_short("Title: %s, Url: %s,  ShortUrl: %s" % (p.title, p.url, p.shortUrl)) + "\n"
                   for p in prods)


def cli_error(err):
    """(code name, desc) of the CLI's one error line, or (None, err)."""
    m = ERR_RE.match(err.rstrip("\n"))
    return (m.group(1), m.group(2)) if m and err.count("\n") <= 1 else (None, err)


def same_error(name, py_code, py_details, rc, err, prefix, compare_message=True):
    code, desc = cli_error(err)
    t.check(rc == 1 and code == GO_NAME[py_code],
            "%s: grpcio and the CLI get the same code (%s)" % (name, GO_NAME[py_code]),
            "grpcio: %s %r" % (py_code, py_details), "CLI exit %d: %s" % (rc, err))
    if compare_message:
        t.check_eq(prefix + py_details, desc, "%s: grpcio's message is the CLI's (less its prefix)" % name)


# ---- the happy path ---------------------------------------------------------
for v in ("google", "aws", "oracle"):
    code, pt = py_types(gw.port, v)
    t.check(code == grpc.StatusCode.OK, "grpcio GetVendorProdTypes %s -> OK" % v, "%s %r" % (code, pt))
    rc, out, err, _ = t.client("getprodtypes", v, port=gw.port)
    t.check_eq("%s cloud products type are: %s\n" % (v, pt), out, "grpcio GetVendorProdTypes %s == CLI" % v)
    t.check_eq(pt, " compute storage", "grpcio GetVendorProdTypes %s productType" % v)
    for ty in ("compute", "storage"):
        code, det, prods = py_prods(gw.port, v, ty)
        t.check(code == grpc.StatusCode.OK, "grpcio GetVendorProds %s %s -> OK" % (v, ty), "%s %r" % (code, det))
        t.check_eq(lines(prods), t.expected("getprods_%s_%s.txt" % (v, ty)), "grpcio GetVendorProds %s %s products" % (v, ty))
        rc, out, err, _ = t.client("getprods", v, ty, port=gw.port)
        t.check_eq(lines(prods), harness.mask_short(out), "grpcio GetVendorProds %s %s == CLI" % (v, ty))
        t.check(all(re.fullmatch(r"https://made-up-url\.com/[0-9a-f]{6}", p.shortUrl) for p in prods),
                "grpcio GetVendorProds %s %s ShortUrls are made-up-url.com/ + 6 hex" % (v, ty),
                [p.shortUrl for p in prods])

# Case-insensitive.
code, det, prods = py_prods(gw.port, "AWS", "Storage")
t.check_eq(lines(prods), t.expected("getprods_aws_storage.txt"), "grpcio GetVendorProds AWS Storage products")
code, pt = py_types(gw.port, "OrAcLe")
t.check_eq((code, pt), (grpc.StatusCode.OK, " compute storage"), "grpcio GetVendorProdTypes OrAcLe")

# ---- wrong arguments ------------------------------------------------------
code, det = py_types(gw.port, "foo")
t.check_eq((code, det), (grpc.StatusCode.INVALID_ARGUMENT, "wrong vendor, select between google, aws, oracle"),
           "grpcio GetVendorProdTypes foo -> InvalidArgument, the article's message")
rc, out, err, _ = t.client("getprodtypes", "foo", port=gw.port)
same_error("getprodtypes foo", code, det, rc, err, PREFIX_TYPES)

for v, ty, msg in (("aws", "tools", "Invalid ProductType: tools"), ("foo", "compute", "Invalid Vendor: foo")):
    code, det, prods = py_prods(gw.port, v, ty)
    t.check_eq((code, det, len(prods)),
               (grpc.StatusCode.INVALID_ARGUMENT, "error while calling client.GetProdsDetail() method: " + msg, 0),
               "grpcio GetVendorProds %s %s -> InvalidArgument, storage's message wrapped" % (v, ty))
    rc, out, err, _ = t.client("getprods", v, ty, port=gw.port)
    same_error("getprods %s %s" % (v, ty), code, det, rc, err, PREFIX_PRODS)

# ---- many streams on one connection ----------------------------------------
with grpc.insecure_channel("127.0.0.1:%d" % gw.port) as ch:
    stub = api_pb2_grpc.ProdServiceStub(ch)
    results = []

    def one(i):
        v, ty = [("google", "compute"), ("aws", "storage"), ("oracle", "storage")][i % 3]
        try:
            got = list(stub.GetVendorProds(api_pb2.ClientRequestProds(vendor=v, productType=ty), timeout=10))
            results.append(lines([m.product for m in got]) == t.expected("getprods_%s_%s.txt" % (v, ty)))
        except grpc.RpcError as e:
            results.append("%s %s" % (e.code(), e.details()))

    ths = [threading.Thread(target=one, args=(i,)) for i in range(30)]
    for th in ths:
        th.start()
    for th in ths:
        th.join()
    t.check(results.count(True) == 30, "30 concurrent streams on one grpcio channel all complete", results)
    # Futures of unary calls on the same channel.
    futs = [stub.GetVendorProdTypes.future(api_pb2.ClientRequestType(vendor="google"), timeout=10) for _ in range(30)]
    t.check(all(f.result().productType == " compute storage" for f in futs),
            "30 concurrent unary calls on one grpcio channel all complete")

    # Custom metadata is accepted; the call carries initial and trailing metadata.
    resp, call = stub.GetVendorProdTypes.with_call(
        api_pb2.ClientRequestType(vendor="aws"), timeout=5,
        metadata=(("x-board-id", "lm3s6965evb-01"), ("x-trace-bin", b"\x00\x01\xff")))
    t.check(resp.productType == " compute storage" and call.code() == grpc.StatusCode.OK,
            "a call with custom (and binary) metadata succeeds")

    # A compressed request: served, or refused with Unimplemented (the spec's
    # answer to an encoding the server does not support), never a crash.
    try:
        r = stub.GetVendorProdTypes(api_pb2.ClientRequestType(vendor="aws"), timeout=5,
                                    compression=grpc.Compression.Gzip)
        t.check(r.productType == " compute storage", "a gzip-compressed request is served")
    except grpc.RpcError as e:
        t.check(e.code() == grpc.StatusCode.UNIMPLEMENTED,
                "a gzip-compressed request -> served or Unimplemented", "%s %s" % (e.code(), e.details()))

    # Cancelling a stream mid-way leaves the connection usable.
    it = stub.GetVendorProds(api_pb2.ClientRequestProds(vendor="aws", productType="storage"), timeout=10)
    next(it)
    it.cancel()
    r = stub.GetVendorProdTypes(api_pb2.ClientRequestType(vendor="aws"), timeout=5)
    t.check(r.productType == " compute storage", "the channel works after a cancelled stream")

# ---- deadlines -----------------------------------------------------------
# Shortened versions of the article's scenarios (the full ones are in
# tests/integration): storage slower than the deadline; a stream slower than it.
st_slow = t.start_storage("--delay-ms", "2000")
gw_slow = t.start_gateway(st_slow.port)
t0 = time.monotonic()
code, det, prods = py_prods(gw_slow.port, "aws", "storage", timeout=1.0)
ms = (time.monotonic() - t0) * 1000
t.check(code == grpc.StatusCode.DEADLINE_EXCEEDED and not prods and 700 <= ms <= 2000,
        "grpcio, slow storage: DeadlineExceeded after about 1 s", "%s %r %d products %d ms" % (code, det, len(prods), ms))
rc, out, err, _ = t.client("--timeout", "1", "getprods", "aws", "storage", port=gw_slow.port)
same_error("slow storage", code, det, rc, err, PREFIX_PRODS, compare_message=False)
t.check_eq(err, "rpc error: code = DeadlineExceeded desc = " + PREFIX_PRODS + "context deadline exceeded\n",
           "slow storage: the CLI's DeadlineExceeded line")
# A concurrent unary call is not held up by the slow storage call.
code, pt = py_types(gw_slow.port, "aws", timeout=1.0)
t.check(code == grpc.StatusCode.OK, "grpcio GetVendorProdTypes next to a slow storage call", "%s %r" % (code, pt))

gw_stream = t.start_gateway(st.port, "--stream-delay-ms", "500")
code, det, prods = py_prods(gw_stream.port, "aws", "storage", timeout=2.0)
want = t.expected("getprods_aws_storage.txt")
t.check(code == grpc.StatusCode.DEADLINE_EXCEEDED and 2 <= len(prods) <= 5 and want.startswith(lines(prods)),
        "grpcio, slow stream: the first products then DeadlineExceeded",
        "%s %r, %d products:\n%s" % (code, det, len(prods), lines(prods)))
rc, out, err, _ = t.client("--timeout", "2", "getprods", "aws", "storage", port=gw_stream.port)
same_error("slow stream", code, det, rc, err, PREFIX_PRODS, compare_message=False)
t.check(want.startswith(harness.mask_short(out)) and abs(out.count("\n") - len(prods)) <= 1,
        "slow stream: the CLI prints the same first products as grpcio (+-1)",
        "grpcio %d products, CLI:\n%s" % (len(prods), out))

# ---- storage down ------------------------------------------------------------
gw_nost = t.start_gateway(harness.free_port())
t0 = time.monotonic()
code, det, prods = py_prods(gw_nost.port, "google", "compute")
ms = (time.monotonic() - t0) * 1000
t.check(code == grpc.StatusCode.UNAVAILABLE and ms < 1000, "grpcio, storage down: Unavailable at once",
        "%s %r %d ms" % (code, det, ms))
rc, out, err, _ = t.client("getprods", "google", "compute", port=gw_nost.port)
same_error("storage down", code, det, rc, err, PREFIX_PRODS)
code, pt = py_types(gw_nost.port, "google")
t.check(code == grpc.StatusCode.OK, "grpcio GetVendorProdTypes with storage down -> OK", "%s %r" % (code, pt))

t.finish()
