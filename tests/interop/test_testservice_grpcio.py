#!/usr/bin/python3
"""The gRPC interop test cases (the public interop test descriptions), client
side written with grpcio, against our interop-server (grpc.testing.TestService
on the rpc runtime, tests/interop/testservice/). One check group per case;
the verdicts go to build/interop/results/testservice-python.tsv and
build/interop.md (tools/interop_doc.sh; make docs: docs/interop.md)."""
import os
import queue
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import harness  # noqa: E402
from harness import T, ROOT, BIN, free_port  # noqa: E402

import grpc  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "python"))
from testservice_stubs import stubs  # noqa: E402

PEER = "python"
SPECIAL = "\t\ntest with whitespace\r\nand Unicode BMP \u263a and non-BMP \U0001f608\t\n"
ECHO_INITIAL = ("x-grpc-test-echo-initial", "test_initial_metadata_value")
ECHO_TRAILING = ("x-grpc-test-echo-trailing-bin", b"\xab\xab\xab")


pb, pb_grpc = stubs()


class Case:
    """Collects one interop case's checks into one verdict."""

    def __init__(self, t, rows, name):
        self.t, self.rows, self.name, self.first = t, rows, name, None

    def check(self, cond, what, *details):
        if not self.t.check(cond, "%s: %s" % (self.name, what), *details) and self.first is None:
            self.first = what
        return cond

    def done(self, verdict=None):
        self.rows.append((self.name, verdict or ("pass" if self.first is None else "FAIL"), self.first or ""))


def zeros(n):
    return pb.Payload(body=bytes(n))


def requests_queue():
    """A request iterator fed by a queue; None ends (half-closes) it."""
    q = queue.Queue()

    def gen():
        while True:
            item = q.get()
            if item is None:
                return
            yield item
    return q, gen()


def empty_unary(c, stub):
    r = stub.EmptyCall(pb.Empty(), timeout=5)
    c.check(isinstance(r, pb.Empty), "the response is a grpc.testing.Empty", repr(r))


def large_unary(c, stub):
    r = stub.UnaryCall(pb.SimpleRequest(response_size=314159, payload=zeros(271828)), timeout=10)
    c.check(len(r.payload.body) == 314159 and r.payload.body == bytes(314159),
            "a 314159-byte payload of zeros for a 271828-byte request", len(r.payload.body))


def server_streaming(c, stub):
    sizes = [31415, 9, 2653, 58979]
    req = pb.StreamingOutputCallRequest(response_parameters=[pb.ResponseParameters(size=s) for s in sizes])
    got = [len(m.payload.body) for m in stub.StreamingOutputCall(req, timeout=10)]
    c.check(got == sizes, "responses of %s bytes, then OK" % sizes, got)


def server_streaming_intervals(c, stub):
    """interval_us is served by loop timers: another call is not held up."""
    req = pb.StreamingOutputCallRequest(
        response_parameters=[pb.ResponseParameters(size=10, interval_us=200000) for _ in range(3)])
    t0 = time.monotonic()
    call = stub.StreamingOutputCall(req, timeout=10)
    time.sleep(0.05)
    t1 = time.monotonic()
    stub.EmptyCall(pb.Empty(), timeout=5)
    other_ms = (time.monotonic() - t1) * 1000
    got = [len(m.payload.body) for m in call]
    total_ms = (time.monotonic() - t0) * 1000
    c.check(got == [10, 10, 10] and total_ms >= 590, "3 responses 200 ms apart (%.0f ms in all)" % total_ms, got)
    c.check(other_ms < 150, "an EmptyCall meanwhile answers at once (%.0f ms)" % other_ms)


def status_code_and_message(c, stub):
    status = pb.EchoStatus(code=2, message="test status message")
    try:
        stub.UnaryCall(pb.SimpleRequest(response_status=status), timeout=5)
        c.check(False, "UnaryCall: UNKNOWN, 'test status message'", "got OK")
    except grpc.RpcError as e:
        c.check(e.code() == grpc.StatusCode.UNKNOWN and e.details() == "test status message",
                "UnaryCall: UNKNOWN, 'test status message'", "%s %r" % (e.code(), e.details()))
    q, it = requests_queue()
    call = stub.FullDuplexCall(it, timeout=5)
    q.put(pb.StreamingOutputCallRequest(response_status=status))
    q.put(None)
    try:
        list(call)
        c.check(False, "FullDuplexCall: UNKNOWN, 'test status message'", "got OK")
    except grpc.RpcError as e:
        c.check(e.code() == grpc.StatusCode.UNKNOWN and e.details() == "test status message",
                "FullDuplexCall: UNKNOWN, 'test status message'", "%s %r" % (e.code(), e.details()))


def special_status_message(c, stub):
    try:
        stub.UnaryCall(pb.SimpleRequest(response_status=pb.EchoStatus(code=2, message=SPECIAL)), timeout=5)
        c.check(False, "UNKNOWN with the whitespace and Unicode message intact", "got OK")
    except grpc.RpcError as e:
        c.check(e.code() == grpc.StatusCode.UNKNOWN and e.details() == SPECIAL,
                "UNKNOWN with the whitespace and Unicode message intact", "%s %r" % (e.code(), e.details()))


def custom_metadata(c, stub):
    md = (ECHO_INITIAL, ECHO_TRAILING)
    req = pb.SimpleRequest(response_size=314159, payload=zeros(271828))
    r, call = stub.UnaryCall.with_call(req, metadata=md, timeout=10)
    c.check(len(r.payload.body) == 314159, "UnaryCall: the 314159-byte response", len(r.payload.body))
    c.check(ECHO_INITIAL in call.initial_metadata(), "UnaryCall: initial metadata echoed",
            call.initial_metadata())
    c.check(ECHO_TRAILING in call.trailing_metadata(), "UnaryCall: binary trailing metadata echoed",
            call.trailing_metadata())
    q, it = requests_queue()
    call = stub.FullDuplexCall(it, metadata=md, timeout=10)
    q.put(pb.StreamingOutputCallRequest(response_parameters=[pb.ResponseParameters(size=314159)],
                                        payload=zeros(271828)))
    q.put(None)
    got = [len(m.payload.body) for m in call]
    c.check(got == [314159], "FullDuplexCall: the 314159-byte response", got)
    c.check(ECHO_INITIAL in call.initial_metadata(), "FullDuplexCall: initial metadata echoed",
            call.initial_metadata())
    c.check(ECHO_TRAILING in call.trailing_metadata(), "FullDuplexCall: binary trailing metadata echoed",
            call.trailing_metadata())
    # An error status carries both as well (trailers-only response).
    try:
        stub.UnaryCall(pb.SimpleRequest(response_status=pb.EchoStatus(code=5, message="nf")), metadata=md,
                       timeout=5)
        c.check(False, "error status: metadata echoed", "got OK")
    except grpc.RpcError as e:
        # trailers-only: one HEADERS frame, which grpcio reports as trailing metadata
        both = tuple(e.initial_metadata() or ()) + tuple(e.trailing_metadata() or ())
        c.check(e.code() == grpc.StatusCode.NOT_FOUND and ECHO_INITIAL in both and ECHO_TRAILING in both,
                "error status (trailers-only): both echoed", e.code(), e.initial_metadata(), e.trailing_metadata())


def unimplemented_method(c, ch):
    call = ch.unary_unary("/grpc.testing.TestService/UnimplementedCall",
                          request_serializer=pb.Empty.SerializeToString,
                          response_deserializer=pb.Empty.FromString)
    try:
        call(pb.Empty(), timeout=5)
        c.check(False, "UNIMPLEMENTED", "got OK")
    except grpc.RpcError as e:
        c.check(e.code() == grpc.StatusCode.UNIMPLEMENTED, "UNIMPLEMENTED", e.code(), e.details())


def unimplemented_service(c, ch):
    stub = pb_grpc.UnimplementedServiceStub(ch)
    try:
        stub.UnimplementedCall(pb.Empty(), timeout=5)
        c.check(False, "UNIMPLEMENTED", "got OK")
    except grpc.RpcError as e:
        c.check(e.code() == grpc.StatusCode.UNIMPLEMENTED, "UNIMPLEMENTED", e.code(), e.details())


def cancel_after_begin(c, stub):
    q, it = requests_queue()
    fut = stub.StreamingInputCall.future(it, timeout=10)
    time.sleep(0.1)
    fut.cancel()
    q.put(None)
    c.check(fut.code() == grpc.StatusCode.CANCELLED, "CANCELLED", fut.code())


def cancel_after_first_response(c, stub):
    """As the description has it: the stream stays open for writing; the first
    response comes back, then the client cancels."""
    q, it = requests_queue()
    call = stub.FullDuplexCall(it, timeout=10)
    q.put(pb.StreamingOutputCallRequest(response_parameters=[pb.ResponseParameters(size=31415)],
                                        payload=zeros(27182)))
    first = next(call)
    c.check(len(first.payload.body) == 31415, "the first response (31415 bytes)", len(first.payload.body))
    call.cancel()
    q.put(None)
    c.check(call.code() == grpc.StatusCode.CANCELLED, "CANCELLED", call.code())


def ping_pong(c, stub):
    """Four requests, each answered before the next is sent."""
    q, it = requests_queue()
    call = stub.FullDuplexCall(it, timeout=10)
    got = []
    for req, resp in ((27182, 31415), (8, 9), (1828, 2653), (45904, 58979)):
        q.put(pb.StreamingOutputCallRequest(response_parameters=[pb.ResponseParameters(size=resp)],
                                            payload=zeros(req)))
        got.append(len(next(call).payload.body))
    q.put(None)
    c.check(got == [31415, 9, 2653, 58979], "each request answered in turn", got)
    c.check(list(call) == [] and call.code() == grpc.StatusCode.OK, "OK after the half-close",
            call.code())


def client_streaming(c, stub):
    sizes = [27182, 8, 1828, 45904]
    r = stub.StreamingInputCall(iter([pb.StreamingInputCallRequest(payload=zeros(n)) for n in sizes]),
                                timeout=10)
    c.check(r.aggregated_payload_size == 74922, "aggregated_payload_size 74922",
            r.aggregated_payload_size)


def empty_stream(c, stub):
    call = stub.FullDuplexCall(iter([]), timeout=10)
    c.check(list(call) == [] and call.code() == grpc.StatusCode.OK, "no response, OK", call.code())


def timeout_on_sleeping_server(c, stub):
    q, it = requests_queue()
    call = stub.FullDuplexCall(it, timeout=0.001)
    q.put(pb.StreamingOutputCallRequest(payload=zeros(27182)))
    try:
        list(call)
    except grpc.RpcError:
        pass
    q.put(None)
    c.check(call.code() == grpc.StatusCode.DEADLINE_EXCEEDED, "DEADLINE_EXCEEDED", call.code())


def main():
    t = T()
    if not os.access(os.path.join(BIN, "interop-server"), os.X_OK):
        print("Bail out! missing %s (build with: make BOARD=host-asan interop-server)"
              % os.path.join(BIN, "interop-server"))
        sys.exit(1)
    port = free_port()
    srv = t.start([os.path.join(BIN, "interop-server"), "--port", str(port)], port, "interop-server")
    addr = "127.0.0.1:%d" % port
    ch = grpc.insecure_channel(addr)
    stub = pb_grpc.TestServiceStub(ch)
    rows = []
    cases = [
        ("empty_unary", empty_unary, stub),
        ("large_unary", large_unary, stub),
        ("server_streaming", server_streaming, stub),
        ("server_streaming with interval_us (timers, not sleeps)", server_streaming_intervals, stub),
        ("status_code_and_message", status_code_and_message, stub),
        ("special_status_message", special_status_message, stub),
        ("custom_metadata", custom_metadata, stub),
        ("unimplemented_method", unimplemented_method, ch),
        ("unimplemented_service", unimplemented_service, ch),
        ("cancel_after_begin", cancel_after_begin, stub),
        ("cancel_after_first_response", cancel_after_first_response, stub),
        ("ping_pong", ping_pong, stub),
        ("client_streaming", client_streaming, stub),
        ("empty_stream", empty_stream, stub),
        ("timeout_on_sleeping_server", timeout_on_sleeping_server, stub),
    ]
    for name, fn, arg in cases:
        c = Case(t, rows, name)
        try:
            fn(c, arg)
        except Exception as e:  # an unexpected RpcError is the case's failure
            c.check(False, "no unexpected error", repr(e))
        c.done()
    try:
        stub.EmptyCall(pb.Empty(), timeout=5)
        t.ok("the server still answers after every case")
    except grpc.RpcError as e:
        t.not_ok("the server still answers after every case", e)
    ch.close()
    t.check(srv.alive(), "interop-server is alive")
    write_results(rows)
    t.finish()


def write_results(rows):
    d = os.path.join(ROOT, "build", "interop", "results")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "testservice-%s.tsv" % PEER)
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        f.write("0\tversion\t%s\tgrpcio %s\t\n" % (PEER, grpc.__version__))
        f.write("0\trun\t%s\t%s\t\n" % (PEER, time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())))
        for i, (name, verdict, note) in enumerate(rows, 1):
            f.write("T.%d\t%s\t%s\t%s\t%s\n" % (i, name, PEER, verdict, note))
    os.replace(path + ".tmp", path)
    subprocess.run(["bash", os.path.join(ROOT, "tools", "interop_doc.sh")], check=False)


if __name__ == "__main__":
    main()
