"""Shared by the python grpcio interop peers: the generated stubs (build/py/,
tools/pygen.sh), the catalogue (../catalogue.py), grpc-go's code names."""
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "build", "py"))
subprocess.run([os.path.join(ROOT, "tools", "pygen.sh")], check=True)

import grpc  # noqa: E402,F401

import api_pb2  # noqa: E402,F401
import api_pb2_grpc  # noqa: E402,F401
from catalogue import CATALOGUE, PRODUCT_TYPES  # noqa: E402,F401

__all__ = ["grpc", "api_pb2", "api_pb2_grpc", "CATALOGUE", "PRODUCT_TYPES", "GO_NAME", "log"]

# grpc-go's names, as the CLI prints them.
GO_NAME = {c: "".join(w.capitalize() for w in c.name.split("_")) for c in grpc.StatusCode}
GO_NAME[grpc.StatusCode.CANCELLED] = "Canceled"
GO_NAME[grpc.StatusCode.OK] = "OK"


def log(who, msg):
    sys.stderr.write("%s py-%s: %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%S"), who, msg))
    sys.stderr.flush()
