#!/bin/bash
# make bench: installs the Debian packages the benchmarks need (as root), or
# prints the apt-get line to run. Idempotent; quick when all are installed.
#
#   nghttp2-client   h2load, the load generator
#   nghttp2-server   nghttpd, the HTTP/2 floor without gRPC
#   golang-go golang-google-grpc-dev golang-goprotobuf-dev protobuf-compiler
#                    the grpc-go peer (GOPATH mode over /usr/share/gocode;
#                    protoc and protoc-gen-go 1.3 with plugins=grpc)
#   libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev g++ pkg-config
#                    the grpc C++ peer (grpc++ 1.51 headers and libraries,
#                    grpc_cpp_plugin for protoc, built with g++ -O2)
#   python3-grpcio python3-grpc-tools python3-protobuf
#                    grpcio peers (/usr/bin/python3)
#   gnuplot-nox      the ratio chart (PNG, pngcairo or png terminal)
#   sqlite3          loads the 100,000-product catalogue
#   valgrind         callgrind instruction counts
#   strace           syscalls per call (perf is used instead when it can
#                    count the raw_syscalls tracepoint; not installed here)
#   util-linux       taskset (pinning); procps (pgrep); time (/usr/bin/time)
set -euo pipefail
PKGS="nghttp2-client nghttp2-server golang-go golang-google-grpc-dev golang-goprotobuf-dev
 protobuf-compiler python3-grpcio python3-grpc-tools python3-protobuf gnuplot-nox sqlite3
 valgrind strace util-linux procps time libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev g++
 pkg-config"
# shellcheck disable=SC2086 # a list of package names
bash "$(dirname "$0")/apt-install.sh" bench-deps $PKGS
echo "bench-deps: ok"
