"""grpcio's stubs of our grpc.testing.TestService (tests/interop/testservice/
test.proto), generated into build/py/testservice/ once, for the interop
client (tests/interop/test_testservice_grpcio.py) and the interop server
(testservice_server.py) alike: into a temporary folder, renamed into place,
since tests run in parallel. protoc's own words go to stderr, so that a
server's stdout stays clean."""
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def stubs():
    """Returns the modules test_pb2 and test_pb2_grpc."""
    src = os.path.join(ROOT, "tests", "interop", "testservice")
    out = os.path.join(ROOT, "build", "py", "testservice")
    proto = os.path.join(src, "test.proto")
    done = os.path.join(out, "test_pb2_grpc.py")
    if not (os.path.exists(done) and os.path.getmtime(done) > os.path.getmtime(proto)):
        os.makedirs(out, exist_ok=True)
        tmp = tempfile.mkdtemp(dir=out, prefix=".gen.")
        subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-I", src, "--python_out=" + tmp,
                        "--grpc_python_out=" + tmp, proto], check=True, stdout=sys.stderr)
        for f in ("test_pb2.py", "test_pb2_grpc.py"):
            os.replace(os.path.join(tmp, f), os.path.join(out, f))
        os.rmdir(tmp)
    sys.path.insert(0, out)
    import test_pb2  # noqa: E402
    import test_pb2_grpc  # noqa: E402
    return test_pb2, test_pb2_grpc
