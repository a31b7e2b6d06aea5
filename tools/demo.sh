#!/bin/bash
# make demo: the article's walk-through end to end on loopback, with the
# daemons on free ports and their logs shown after each scene.
set -u
B=build/host/bin
D=$(mktemp -d)
pick_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
SP=$(pick_port); GP=$(pick_port)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$D"; }
trap cleanup EXIT
start() { # start STORAGE_ARGS... -- GATEWAY_ARGS...
  kill "${pids[@]}" 2>/dev/null; wait 2>/dev/null; pids=()
  local sa=() ga=() side=s
  for a in "$@"; do if [ "$a" = -- ]; then side=g; elif [ $side = s ]; then sa+=("$a"); else ga+=("$a"); fi; done
  $B/storage --listen 127.0.0.1:$SP --db "$D/storage.db" "${sa[@]}" 2>"$D/storage.log" & pids+=($!)
  $B/gateway --listen 127.0.0.1:$GP --storage 127.0.0.1:$SP "${ga[@]}" 2>"$D/gateway.log" & pids+=($!)
  for p in $SP $GP; do
    for _ in $(seq 50); do (: >/dev/tcp/127.0.0.1/$p) 2>/dev/null && break; sleep 0.1; done
  done
}
client() { echo "\$ firmware-client $*"; $B/firmware-client --addr 127.0.0.1:$GP "$@"; echo "(exit $?)"; }
logs() { echo "--- gateway log"; cat "$D/gateway.log"; echo "--- storage log"; cat "$D/storage.log"; echo; }

echo "== The happy path"; start --
client getprodtypes aws
client getprods google compute
logs
echo "== Incorrect arguments"
client getprods google tools
client getprodtypes ibm
logs
echo "== Deadline exceeded in storage (storage --delay-ms 5000, client deadline 4 s)"; start --delay-ms 5000 --
client getprods aws storage
sleep 0.2; logs
echo "== Deadline exceeded while streaming (gateway --stream-delay-ms 1000)"; start -- --stream-delay-ms 1000
client getprods oracle compute
logs
echo "== Operations: the REST bridge and the metrics (gateway --rest-listen, --metrics-listen)"
RP=$(pick_port) MP=$(pick_port)
start -- --rest-listen 127.0.0.1:$RP --metrics-listen 127.0.0.1:$MP
for _ in $(seq 50); do (: >/dev/tcp/127.0.0.1/$RP) 2>/dev/null && break; sleep 0.1; done
echo "\$ curl -s 127.0.0.1:$RP/v1/vendors/aws/types"
curl -s "127.0.0.1:$RP/v1/vendors/aws/types"
echo
echo "\$ curl -s --http2-prior-knowledge 127.0.0.1:$RP/v1/vendors/google/types/storage/products"
curl -s --http2-prior-knowledge "127.0.0.1:$RP/v1/vendors/google/types/storage/products"
echo "\$ curl -s -i 127.0.0.1:$RP/v1/vendors/ibm/types"
curl -s -i "127.0.0.1:$RP/v1/vendors/ibm/types" | grep -v '^Date:'
echo
echo "\$ curl -s 127.0.0.1:$MP/metrics | grep grpc_server_handled_total"
curl -s "127.0.0.1:$MP/metrics" | grep '^grpc_server_handled_total'
logs
