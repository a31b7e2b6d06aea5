#!/bin/bash
# The firmware client of the Linux boards (posix port, static arena) under
# valgrind's memcheck, built for the host without sanitizers (build/host):
# valgrind cannot run the ARM binaries, and the code is the same. Any invalid
# read or write, use of uninitialised memory or leak fails the test.
. "$(dirname "$0")/../lib/common.sh"
require_bins storage gateway
command -v valgrind >/dev/null || bail "valgrind is missing (make deps installs it)"
VG_CLIENT=$TEST_ROOT/build/host/bin/firmware-client
[ -x "$VG_CLIENT" ] || bail "missing $VG_CLIENT (make builds it)"
start_storage
start_gateway

# vg NAME WANT_RC ARGS...: the client under memcheck; exit 99 marks an error.
vg() {
  local name=$1 want=$2 log=$TEST_TMP/vg.$1.log
  shift 2
  timeout 60 valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,possible \
    --log-file="$log" "$VG_CLIENT" --addr "127.0.0.1:$GATEWAY_PORT" "$@" >"$TEST_TMP/vg.$name.out" 2>&1
  local rc=$?
  if [ "$rc" = "$want" ] && [ ! -s "$log" ]; then
    ok "valgrind: $name: exit $rc, no memcheck report"
  else
    not_ok "valgrind: $name: exit $rc (want $want), memcheck says:" "$(head -30 "$log")" \
      "output: $(head -5 "$TEST_TMP/vg.$name.out")"
  fi
}
vg getprodtypes 0 getprodtypes aws
vg getprods 0 getprods google compute
vg wrong-type 1 getprods google tools
vg deadline 1 --timeout 0.001 getprods aws storage
stop_daemon "$GATEWAY_PID"
vg unreachable 1 getprodtypes aws
# mutual TLS: mbedtls's allocations included
C=$TEST_TMP/certs
bash "$TEST_ROOT/tools/certs.sh" "$C" || bail "cannot make the test certificates"
start_gateway --tls-cert "$C/server.pem" --tls-key "$C/server.key" --tls-client-ca "$C/ca.pem"
vg tls 0 --tls --ca "$C/ca.pem" --server-name localhost --cert "$C/device.pem" \
  --key "$C/device.key" getprods aws storage
finish
