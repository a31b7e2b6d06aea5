#!/usr/bin/python3
"""The firmware client's retry policy (--retry N, gRPC's retryPolicy for
Unavailable; docs/design.md) and its reading of a proxy's error page.

"gateway" here is a raw HTTP/2 server (tests/lib/h2wire.py) that plays one
answer per GetVendorProds request, in order, and counts the requests:
  1. nginx's 502 (text/html body) without --retry: Unavailable, from the
     HTTP status (the page is not read as a gRPC message); one request.
  2. 502, then a proper answer, with --retry 2: every product; two requests.
  3. 502 every time, --retry 3: Unavailable after three requests, not more.
  4. A trailers-only Unavailable (grpc-status 14, no response opened) is
     retried: two requests, every product.
  5. Response headers, then Unavailable in the trailers: the server
     committed to the call, so it is not made again: one request.
  6. Not Unavailable (InvalidArgument, trailers-only): not made again."""
import os
import re
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import harness  # noqa: E402
from harness import T, BIN  # noqa: E402
import h2wire as w  # noqa: E402

api_pb2, _ = harness.stubs()
t = T()
t.require_bins(("firmware-client",))
EXPECTED = t.expected("getprods_google_compute.txt")
PRODUCTS = re.findall(r"^Title: (.*), Url: (.*),  ShortUrl: (.*)$", EXPECTED, re.M)
OK_HEADERS = [(":status", "200"), ("content-type", "application/grpc")]
PAGE = b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body></body>\r\n</html>\r\n"


def answer(h2, sid):
    body = b"".join(w.grpc_msg(api_pb2.ClientResponseProds(
        product=api_pb2.ProdsPrep(title=ti, url=u, shortUrl=s)).SerializeToString()) for ti, u, s in PRODUCTS)
    h2.send(h2.headers_frames(sid, OK_HEADERS) + h2.data_frames(sid, body, False)
            + h2.headers_frames(sid, [("grpc-status", "0")], end_stream=True))


def bad_gateway(h2, sid):
    h2.send(h2.headers_frames(sid, [(":status", "502"), ("content-type", "text/html")])
            + h2.data_frames(sid, PAGE, True))


def trailers_only(code):
    def play(h2, sid):
        h2.send(h2.headers_frames(sid, OK_HEADERS + [("grpc-status", code), ("grpc-message", "busy")],
                                  end_stream=True))
    return play


def committed_unavailable(h2, sid):
    h2.send(h2.headers_frames(sid, OK_HEADERS)
            + h2.headers_frames(sid, [("grpc-status", "14"), ("grpc-message", "lost")], end_stream=True))


class Raw:
    """Serves connections until closed; plays answers[k] to the k-th request
    (the last one again past the end)."""

    def __init__(self, answers):
        self.srv = w.H2Server()
        self.port = self.srv.port
        self.answers = answers
        self.requests = 0
        self.errors = []
        self.stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stop:
            try:
                h2 = self.srv.accept(0.2)
            except OSError:
                continue
            except Exception as e:  # noqa: BLE001 - reported by the test
                self.errors.append(repr(e))
                continue
            threading.Thread(target=self._serve, args=(h2,), daemon=True).start()

    def _serve(self, h2):
        done = set()

        def pending(h):
            return [e[1] for e in h.events if e[0] == "headers" and e[1] not in done and h.ended(e[1])
                    and any(k == ":path" for k, _ in e[2])]
        try:
            while not self.stop and not h2.closed:
                h2.until(pending, 0.2)
                for sid in pending(h2):
                    done.add(sid)
                    k = min(self.requests, len(self.answers) - 1)
                    self.requests += 1
                    self.answers[k](h2, sid)
        except Exception as e:  # noqa: BLE001
            self.errors.append(repr(e))

    def close(self):
        self.stop = True
        time.sleep(0.3)
        self.srv.close()


def run(answers, *flags):
    raw = Raw(answers)
    p = subprocess.run([os.path.join(BIN, "firmware-client"), "--addr", "127.0.0.1:%d" % raw.port]
                       + list(flags) + ["getprods", "google", "compute"],
                       capture_output=True, text=True, timeout=30)
    if harness.SANITIZER_RE.search(p.stderr):
        t.not_ok("no sanitizer report from firmware-client", p.stderr)
    time.sleep(0.1)
    raw.close()
    t.check(not raw.errors, "the raw server saw no error", *raw.errors)
    return p.returncode, p.stdout, p.stderr, raw.requests


def check_ok(r, what, requests):
    rc, out, err, n = r
    t.check(rc == 0 and out == EXPECTED and err == "", "%s: every product, exit 0" % what, rc, out, err)
    t.check_eq(n, requests, "%s: %d request(s) reached the server" % (what, requests))


def check_fail(r, what, code, desc, requests):
    rc, out, err, n = r
    t.check_eq((rc, out, err), (1, "", "rpc error: code = %s desc = error while receiving the stream for "
                                        "client.GetVendorProds: %s\n" % (code, desc)), what)
    t.check_eq(n, requests, "%s: %d request(s) reached the server" % (what, requests))


check_fail(run([bad_gateway]), "1. a 502 page without --retry", "Unavailable",
           "unexpected HTTP status code received from server: 502", 1)
check_ok(run([bad_gateway, answer], "--retry", "2"), "2. 502, then an answer, --retry 2", 2)
check_fail(run([bad_gateway], "--retry", "3"), "3. 502 every time, --retry 3", "Unavailable",
           "unexpected HTTP status code received from server: 502", 3)
check_ok(run([trailers_only("14"), answer], "--retry", "2"), "4. a trailers-only Unavailable is retried", 2)
check_fail(run([committed_unavailable, answer], "--retry", "3"), "5. Unavailable after response headers",
           "Unavailable", "lost", 1)
check_fail(run([trailers_only("3"), answer], "--retry", "3"), "6. InvalidArgument", "InvalidArgument", "busy", 1)
t.finish()
