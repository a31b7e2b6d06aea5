"""Verdict rows for the protocol conformance tests (tests/interop/test_conformance_*):
each row groups checks; the rows go to build/interop/results/<name>.tsv as
"C.<n>" (gateway) or "D.<n>" (client) lines that tools/interop_doc.sh renders
into build/interop.md (make docs: docs/interop.md).

    rows = Rows(t, "conformance-gateway", "gateway")
    with rows.row("trailers-only response") as r:
        r.check(cond, "what", details...)
    rows.write()   # before t.finish(): writes the .tsv, renders build/interop.md
"""
import os
import re
import subprocess
import time

from harness import ROOT


class Row:
    def __init__(self, t, name):
        self.t, self.name, self.first = t, name, None

    def check(self, cond, what, *details):
        if not self.t.check(cond, "%s: %s" % (self.name, what), *details) and self.first is None:
            self.first = what
        return cond

    def log_has(self, d, pattern, what, seconds=2.0):
        rx = re.compile(pattern)
        end = time.monotonic() + seconds
        while not rx.search(d.text()) and time.monotonic() < end:
            time.sleep(0.05)
        return self.check(bool(rx.search(d.text())), what, "no line matching /%s/; last lines:" % pattern, d.tail())

    def __enter__(self):
        return self

    def __exit__(self, etype, e, tb):
        if e is not None:
            self.check(False, "no unexpected error", "%s: %s" % (etype.__name__, e))
        self.rows.append((self.name, "pass" if self.first is None else "FAIL", self.first or ""))
        return True  # a broken row does not stop the others


class Rows:
    def __init__(self, t, name, target, section="C"):
        self.t, self.name, self.target, self.section = t, name, target, section
        self.rows = []
        t.conformance_rows = self

    def row(self, name):
        r = Row(self.t, name)
        r.rows = self.rows
        return r

    def write(self):
        d = os.path.join(ROOT, "build", "interop", "results")
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, self.name + ".tsv")
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            f.write("0\trun\t%s\t%s\t\n" % (self.target, time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())))
            for i, (name, verdict, note) in enumerate(self.rows, 1):
                f.write("%s.%d\t%s\t%s\t%s\t%s\n" % (self.section, i, name, self.target, verdict, note))
        os.replace(path + ".tmp", path)
        subprocess.run(["bash", os.path.join(ROOT, "tools", "interop_doc.sh")], check=False)
