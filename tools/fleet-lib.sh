# shellcheck shell=bash
# What the fleet's measurements share (sourced by tools/bench-fleet.sh and
# tools/fleet-idle-cost.sh, tools/fleet-alternate.sh): a free port, a
# process and its children (gateway --workers forks its loops), their end,
# their CPU, and the connections a port holds.

free_port() { /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

family() { echo "$1" $(pgrep -P "$1" 2>/dev/null); }

# fleet_setup NAME DIR: the host build's binaries (GW, ST, SIM), a fresh
# DIR for the run (TMP), every descriptor the hard limit allows, and PIDS
# (the processes to end on exit, by stop_pids).
fleet_setup() {
  GW=build/host/bin/gateway ST=build/host/bin/storage SIM=build/host/bin/fleet-sim
  local b
  for b in "$GW" "$ST" "$SIM"; do [ -x "$b" ] || { echo "$1: missing $b (make -s BOARD=host all)" >&2; exit 1; }; done
  TMP=$2
  rm -rf "$TMP" && mkdir -p "$TMP"
  ulimit -n "$(ulimit -Hn)"
  PIDS=()
  trap stop_pids EXIT
}

# stop_pids: ends the processes of PIDS and their children, TERM first (the
# gateway's shepherd takes its workers down with it; fleet-sim's processes
# are ended one by one), KILL a second later.
stop_pids() {
  local all=() p
  for p in "${PIDS[@]}"; do all+=($(family "$p")); done
  kill -TERM "${all[@]}" 2>/dev/null
  sleep 1
  kill -KILL "${all[@]}" 2>/dev/null
  wait 2>/dev/null
}

# ticks PID: utime+stime of PID and its children, in clock ticks.
ticks() {
  local t=0 p
  for p in $(family "$1"); do t=$((t + $(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{v = $12 + $13} END {print v + 0}'))); done
  echo "$t"
}

# est PORT: the established connections to PORT.
est() { ss -Htn state established "( sport = :$1 )" | wc -l; }

# held_wait PORT N SIM-PID SECONDS: waits, polling once a second (ss over
# 100,000 sockets takes a while), until N connections to PORT are
# established, or their count has not grown for 3 s (the ramp is over: a
# device that failed its handshake never comes), or the simulator has
# ended, or SECONDS have passed; prints how many are established.
held_wait() {
  local i n=0 last=-1 still=0
  for ((i = 0; i < $4; i++)); do
    n=$(est "$1")
    [ "$n" -ge "$2" ] && break
    kill -0 "$3" 2>/dev/null || break
    if [ "$n" -gt 0 ] && [ "$n" -eq "$last" ]; then
      still=$((still + 1))
      [ "$still" -ge 3 ] && break
    else
      still=0
    fi
    last=$n
    sleep 1
  done
  echo "$n"
}
