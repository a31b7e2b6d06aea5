#!/bin/bash
# The gRPC interop test cases with a grpc-js client (tests/interop/node/
# testservice_client.js) against our interop-server (grpc.testing.TestService
# on the rpc runtime): the same cases and checks as test_testservice_grpcio.py.
# The verdicts go to build/interop/results/testservice-node.tsv (the "node"
# column of the TestService table) and build/interop.md (tools/interop_doc.sh).
. "$(dirname "$0")/../lib/common.sh"

PEER=node
RESULTS_DIR=$TEST_ROOT/build/interop/results
export NODE_PATH=$TEST_ROOT/build/npm/node_modules

[ -x "$BIN/interop-server" ] || { echo "Bail out! missing $BIN/interop-server (build with: make BOARD=host-asan interop-server)"; exit 1; }
command -v node >/dev/null || bail "node is missing (apt-get install -y nodejs npm)"
"$TEST_ROOT/tools/npm-deps.sh" >/dev/null || bail "tools/npm-deps.sh failed"

npm_version() { sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$NODE_PATH/@grpc/$1/package.json" | head -1; }

PORT=$(free_port)
LOG=$TEST_TMP/interop-server.log
start_daemon interop-server "$PORT" "$LOG" --port "$PORT" || bail "interop-server did not start"
SERVER_PID=$LAST_PID

OUTF=$TEST_TMP/node.out
t0=$(now_ms)
timeout 60 node "$TEST_ROOT/tests/interop/node/testservice_client.js" --addr "127.0.0.1:$PORT" \
  >"$OUTF" 2>"$TEST_TMP/node.err"
NODE_RC=$?
MS=$(($(now_ms) - t0))

# The client's own checks, as they are (ok / not ok lines and their details).
grep -v -E '^(row|version)	' "$OUTF"
CHECKS=$((CHECKS + $(grep -c -E '^(not )?ok - ' "$OUTF")))
FAILS=$((FAILS + $(grep -c -E '^not ok - ' "$OUTF")))

ROWS=$(grep -c '^row	' "$OUTF")
if [ "$ROWS" = 15 ]; then ok "the node client played every case (15)"; else
  not_ok "the node client played every case (15)" "$ROWS rows; its stderr:" "$(tail -20 "$TEST_TMP/node.err")"; fi
check_eq "$NODE_RC" "$([ "$(grep -c '^not ok - ' "$OUTF")" = 0 ] && echo 0 || echo 1)" \
  "the node client's exit status matches its checks"
check_between "$MS" 0 20000 "the node client is done within 20 s"
if [ -s "$TEST_TMP/node.err" ]; then
  echo "# node stderr:"; sed 's/^/#   /' "$TEST_TMP/node.err" | tail -20
fi
if kill -0 "$SERVER_PID" 2>/dev/null; then ok "interop-server is alive"; else not_ok "interop-server is alive"; fi

# Results: the same .tsv format as test_testservice_grpcio.py's write_results.
mkdir -p "$RESULTS_DIR"
TSV=$RESULTS_DIR/testservice-$PEER.tsv
{
  printf '0\tversion\t%s\tgrpc-js %s + proto-loader %s (npm, node %s)\t\n' "$PEER" \
    "$(npm_version grpc-js)" "$(npm_version proto-loader)" "$(node --version)"
  printf '0\trun\t%s\t%s\t\n' "$PEER" "$(date -u '+%Y-%m-%d %H:%M UTC')"
  awk -F'\t' -v peer="$PEER" '$1 == "row" { printf "%s\t%s\t%s\t%s\t%s\n", $2, $3, peer, $4, $5 }' "$OUTF"
} >"$TSV.tmp"
mv -f "$TSV.tmp" "$TSV"
if bash "$TEST_ROOT/tools/interop_doc.sh"; then echo "# rendered build/interop.md"; else
  not_ok "tools/interop_doc.sh renders build/interop.md"; fi

finish
