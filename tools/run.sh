#!/bin/bash
# make run: storage and gateway in the foreground (Ctrl-C stops both).
set -u
B=build/host/bin
mkdir -p build/run
$B/storage --db build/run/storage.db "$@" &
st=$!
$B/gateway &
gw=$!
trap 'kill $st $gw 2>/dev/null; wait' INT TERM EXIT
echo "storage on 127.0.0.1:6000, gateway on 127.0.0.1:8080; try: $B/firmware-client getprods google compute"
wait
