#!/usr/bin/python3
"""The python grpcio grpc.testing.TestService, with the interop server
semantics of grpc's doc/interop-test-descriptions.md ("Server"): a reference
peer for our interop clients (fc-interop, ...). UnimplementedCall is left
unimplemented (grpcio answers UNIMPLEMENTED); UnimplementedService is not
served. Plaintext only. Prints nothing on stdout; it is ready when the port
accepts connections (tests/lib/common.sh start_daemon waits for that), and
logs "listening on HOST:PORT" to stderr then. SIGTERM/SIGINT stop it.
  testservice_server.py [--listen HOST:PORT | --port N]
(--port N is 127.0.0.1:N, as interop-server's; the default is 127.0.0.1:10000.)"""
import argparse
import signal
import sys
import threading
import time
from concurrent import futures

import grpc

from testservice_stubs import stubs

ECHO_INITIAL = "x-grpc-test-echo-initial"
ECHO_TRAILING = "x-grpc-test-echo-trailing-bin"


def log(msg):
    sys.stderr.write("%s py-testservice: %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%S"), msg))
    sys.stderr.flush()


pb, pb_grpc = stubs()  # noqa: E305


def echo_metadata(context):
    """custom_metadata: x-grpc-test-echo-initial comes back in the headers,
    x-grpc-test-echo-trailing-bin in the trailers (set now, sent with the
    status, an aborted one too)."""
    md = context.invocation_metadata()
    initial = [(k, v) for k, v in md if k == ECHO_INITIAL]
    trailing = [(k, v) for k, v in md if k == ECHO_TRAILING]
    if initial:
        context.send_initial_metadata(initial)
    if trailing:
        context.set_trailing_metadata(trailing)


# grpcio aborts with a StatusCode member, the request carries the number.
CODES = {c.value[0]: c for c in grpc.StatusCode}


def end_with(context, status):
    """A non-zero response_status ends the call with that code and message."""
    if status.code != 0:
        context.abort(CODES.get(status.code, grpc.StatusCode.UNKNOWN), status.message)


def zeros(n):
    return pb.Payload(body=bytes(n))


class TestService(pb_grpc.TestServiceServicer):
    def EmptyCall(self, request, context):
        # the caller's user-agent, for a test to read: grpcio sees the header
        # as it came (the SDK's prefix, then the stack's name)
        ua = dict(context.invocation_metadata()).get("user-agent", "")
        log("EmptyCall from user-agent %s" % ua)
        return pb.Empty()

    def UnaryCall(self, request, context):
        echo_metadata(context)
        end_with(context, request.response_status)
        return pb.SimpleResponse(payload=zeros(request.response_size))

    # The cacheable variant only differs for caching proxies.
    CacheableUnaryCall = UnaryCall

    def StreamingOutputCall(self, request, context):
        # Sleeps wake up early on cancel or deadline: no thread sits out a
        # long interval_us for a call nobody waits for any more.
        gone = threading.Event()
        context.add_callback(gone.set)
        for p in request.response_parameters:
            if p.interval_us > 0 and gone.wait(p.interval_us / 1e6):
                return
            yield pb.StreamingOutputCallResponse(payload=zeros(p.size))
        end_with(context, request.response_status)

    def StreamingInputCall(self, request_iterator, context):
        total = sum(len(r.payload.body) for r in request_iterator)
        return pb.StreamingInputCallResponse(aggregated_payload_size=total)

    def FullDuplexCall(self, request_iterator, context):
        echo_metadata(context)
        for req in request_iterator:
            # As grpc-go's server: the status is checked before the responses.
            end_with(context, req.response_status)
            for p in req.response_parameters:
                if p.interval_us > 0:
                    time.sleep(p.interval_us / 1e6)
                yield pb.StreamingOutputCallResponse(payload=zeros(p.size))

    def HalfDuplexCall(self, request_iterator, context):
        # Everything is read (up to the client's half-close) before answering.
        reqs = list(request_iterator)
        for req in reqs:
            end_with(context, req.response_status)
            for p in req.response_parameters:
                yield pb.StreamingOutputCallResponse(payload=zeros(p.size))


def main():
    ap = argparse.ArgumentParser(description="grpcio grpc.testing.TestService (interop server)")
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--listen", help="HOST:PORT (default 127.0.0.1:10000)")
    g.add_argument("--port", type=int, help="N: listen on 127.0.0.1:N")
    args = ap.parse_args()
    listen = args.listen or "127.0.0.1:%d" % (args.port or 10000)

    # Each open stream holds a worker thread (grpcio's sync server), so leave
    # room for the cases that keep streams open side by side.
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=32))
    pb_grpc.add_TestServiceServicer_to_server(TestService(), server)
    if server.add_insecure_port(listen) == 0:
        log("cannot listen on %s" % listen)
        sys.exit(1)
    server.start()
    log("listening on %s" % listen)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    # Wait in short slices: signal handlers only run between them.
    while not done.wait(0.2):
        pass
    server.stop(0.5).wait()
    log("stopped")


if __name__ == "__main__":
    main()
