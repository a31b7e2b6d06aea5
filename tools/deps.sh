#!/bin/bash
# make deps: installs the Debian packages the project needs (as root), or
# prints the apt-get line to run. Quick when everything is already there.
set -euo pipefail
PKGS="gcc make nanopb libnanopb-dev libnghttp2-dev uuid-dev libsqlite3-dev sqlite3 libpq-dev postgresql
 python3-grpcio python3-grpc-tools python3-protobuf python3-hpack nghttp2-client dpkg-dev
 gcc-arm-linux-gnueabihf gcc-aarch64-linux-gnu gcc-arm-none-eabi libnewlib-arm-none-eabi
 binutils-arm-none-eabi qemu-user qemu-system-arm valgrind openssl clang libclang-rt-14-dev
 golang-go golang-google-grpc-dev golang-goprotobuf-dev protobuf-compiler protoc-gen-go-grpc
 iproute2 clang-format dnsmasq-base nginx libnginx-mod-stream
 libmicrohttpd-dev libjansson-dev python3-prometheus-client help2man man-db pkg-config strace systemd
 curl"
had_nginx=0
dpkg-query -W -f='${Status}' nginx 2>/dev/null | grep -q "install ok installed" && had_nginx=1
# shellcheck disable=SC2086 # a list of package names
bash "$(dirname "$0")/apt-install.sh" deps $PKGS
# Debian's nginx starts a server on port 80 when installed (where the
# machine's policy-rc.d lets it); the tests run their own (test_nginx.py).
if [ "$had_nginx" = 0 ] && [ -s /run/nginx.pid ]; then
  /usr/sbin/nginx -s quit 2>/dev/null || true
fi
# Source packages: nghttp2 and nanopb for the cross builds (mk/deps.mk), and
# mbedtls 3.6 from Debian 13 for every build (mk/mbedtls.mk).
bash tools/deps-src.sh
# The interop peers: grpc-js from npm (Node.js comes with the machine; Debian's
# npm package would fight its bundled npm), grpc-go built in GOPATH mode:
# our peers, and grpc-go's own interop server from its Debian source package.
bash tools/npm-deps.sh
bash tools/interop_go.sh >/dev/null
bash tools/grpc_go_interop.sh >/dev/null
echo "deps: ok"
