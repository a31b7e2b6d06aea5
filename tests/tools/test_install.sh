#!/bin/bash
# make install, checked as a packager would: `make install DESTDIR=D
# PREFIX=/usr` into a folder under build/, then what is in D. The files and
# their modes, nothing writable by others and no build path inside; the
# installed programs run; the man pages render without a warning and hold
# every option of the program's --help; each board's .pc (through
# PKG_CONFIG_SYSROOT_DIR) builds the SDK's sample client against the
# installed copy alone; the units pass `systemd-analyze verify` with no
# output at all and the hardening they promise, and the installed daemons,
# run as the units run them, make no system call outside the units'
# SystemCallFilter=@system-service; a second install keeps an operator's
# option files.
. "$(dirname "$0")/../lib/common.sh"
cd "$TEST_ROOT" || bail "cd $TEST_ROOT"
BOARDS=(host armhf-linux aarch64-linux lm3s6965evb mps2-an385)
for t in help2man systemd-analyze pkg-config strace man; do
  command -v $t >/dev/null || bail "missing $t (make deps)"
done
D=$(mktemp -d "$TEST_ROOT/build/test-install.XXXXXX")
chmod 0755 "$D" # mktemp's 0700 is not what a package's root has
W=$TEST_TMP/w
mkdir -p "$W"

# install_to LOG: make install into D. tests/examples/test_sdk.sh builds
# the boards' libraries too: one at a time (make lib rewrites the include
# folder that the other may be compiling against).
install_to() {
  flock "$TEST_ROOT/build/.make-lib.lock" \
    make -s --no-print-directory install DESTDIR="$D" PREFIX=/usr >"$1" 2>&1
}
install_to "$TEST_TMP/install.log" || bail "make install failed: $(tail -15 "$TEST_TMP/install.log")"
ok "make install DESTDIR=... PREFIX=/usr"

# The files, with their modes.
want=(
  "755 usr/sbin/gateway" "755 usr/sbin/storage" "755 usr/bin/firmware-client"
  "755 usr/bin/protoc-gen-fc" "644 usr/share/man/man8/gateway.8" "644 usr/share/man/man8/storage.8"
  "644 usr/share/man/man1/firmware-client.1" "644 usr/lib/systemd/system/grpc-fc-gateway.service"
  "644 usr/lib/systemd/system/grpc-fc-storage.service" "644 etc/grpc-fc/gateway.conf"
  "644 etc/grpc-fc/storage.conf"
)
for b in "${BOARDS[@]}"; do
  want+=("644 usr/lib/grpc-fc/$b/libgrpc-fc.a" "644 usr/lib/grpc-fc/$b/libmbedtls.a"
    "644 usr/include/grpc-fc/$b/fc_call.h" "644 usr/include/grpc-fc/$b/board_config.h"
    "644 usr/include/grpc-fc/$b/mbedtls/mbedtls_config.h" "644 usr/lib/pkgconfig/grpc-fc-$b.pc")
  case $b in lm3s6965evb | mps2-an385)
    want+=("644 usr/lib/grpc-fc/$b/link.ld" "644 usr/lib/grpc-fc/$b/sections.ld") ;;
  esac
done
bad=
for w in "${want[@]}"; do
  f=$D/${w#* }
  if [ ! -f "$f" ]; then bad+="missing ${w#* }"$'\n'; continue; fi
  m=$(stat -c %a "$f")
  [ "$m" = "${w%% *}" ] || bad+="${w#* }: mode $m, want ${w%% *}"$'\n'
done
check_eq "$bad" "" "the ${#want[@]} files a packager expects, with their modes"
check_eq "$(cd "$D" && find . -mindepth 1 -maxdepth 1 | sort | tr '\n' ' ')" "./etc ./usr " \
  "nothing outside usr/ and etc/"
check_eq "$(cd "$D" && find . \( -perm /022 -o -perm /6000 \) -printf '%M %p\n')" "" \
  "no file or folder writable by group or others, no setuid or setgid"
check_eq "$(cd "$D" && find . -type d ! -perm 755 -printf '%M %p\n')" "" "every folder 0755"
check_eq "$(cd "$D" && grep -rIl -- "$TEST_ROOT" . | sort)" "" \
  "no text file names the build tree or DESTDIR"

# The installed programs.
for p in usr/sbin/gateway usr/sbin/storage usr/bin/firmware-client; do
  n=${p##*/}
  OUT=$("$D/$p" --version 2>"$TEST_TMP/err") RC=$? ERR=$(cat "$TEST_TMP/err")
  if [ "$RC" = 0 ] && [ -z "$ERR" ] && [[ $OUT =~ ^$n\ [0-9]+\.[0-9]+ ]]; then
    ok "$p --version: $OUT"
  else
    not_ok "$p --version: '$n VERSION', exit 0" "exit $RC" "stdout: $OUT" "stderr: $ERR"
  fi
done

# The man pages: lint as Debian's lintian does (groff's warnings on), then
# every option of --help in the rendered page (wide: no line broken in an
# option's name).
for m in usr/share/man/man8/gateway.8 usr/share/man/man8/storage.8 usr/share/man/man1/firmware-client.1; do
  n=$(basename "$m") p=${n%.*}
  exe=$D/usr/sbin/$p
  [ -x "$exe" ] || exe=$D/usr/bin/$p
  warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$D/$m" 2>&1 >/dev/null)
  check_eq "$warn" "" "$n renders with no warning (man --warnings)"
  page=$(LC_ALL=C.UTF-8 MANWIDTH=1000 man -l "$D/$m" 2>&1)
  [[ $page == *"$p "*"${n##*.}"* ]] || not_ok "$n: its title" "$(head -3 <<<"$page")"
  missing=
  opts=$("$exe" --help | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)
  for o in $opts; do grep -qF -- "$o" <<<"$page" || missing+="$o "; done
  [ -n "$opts" ] || not_ok "$p --help shows options"
  check_eq "$missing" "" "$n holds all $(wc -w <<<"$opts") options of $p --help"
done
grep -q '^\.SH SYNOPSIS' "$D/usr/share/man/man8/gateway.8" && grep -q '^\.SH SIGNALS' "$D/usr/share/man/man8/gateway.8" ||
  not_ok "gateway.8 has SYNOPSIS (from --help) and SIGNALS (tools/man/gateway.h2m)"

# The .pc files, through the sysroot, then the SDK's sample client built
# with nothing but them (stubs from the installed protoc-gen-fc): a Linux
# board, the host (which also runs it), a Cortex-M board.
export PKG_CONFIG_PATH=$D/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$D PKG_CONFIG_LIBDIR=
for b in "${BOARDS[@]}"; do
  flags=$(pkg-config --cflags --libs "grpc-fc-$b" 2>&1)
  if [ $? = 0 ] && [[ $flags == *"-I$D/usr/include/grpc-fc/$b"* ]] && [[ $flags == *"-L$D/usr/lib/grpc-fc/$b"* ]] &&
    [[ $flags != *"$TEST_ROOT/build/$b"* ]]; then
    ok "grpc-fc-$b.pc: the installed copy's folders"
  else
    not_ok "grpc-fc-$b.pc: the installed copy's folders" "$flags"
  fi
done
gen=$W/gen
mkdir -p "$gen"
if nanopb_generator.py -q -I examples/sdk -D "$gen" examples/sdk/thermostat.proto >"$TEST_TMP/gen.log" 2>&1 &&
  protoc --plugin=protoc-gen-fc="$D/usr/bin/protoc-gen-fc" --fc_out=board:"$gen" -I examples/sdk \
    examples/sdk/thermostat.proto >>"$TEST_TMP/gen.log" 2>&1; then
  ok "the installed protoc-gen-fc makes the sample's board stubs"
else
  not_ok "the installed protoc-gen-fc makes the sample's board stubs" "$(tail -5 "$TEST_TMP/gen.log")"
fi
SRC=(examples/sdk/client.c "$gen/thermostat.pb.c" "$gen/thermostat.fc.c")
for b in host armhf-linux lm3s6965evb; do
  cc=$(pkg-config --variable=cc "grpc-fc-$b")
  exe=$W/thermostat-client-$b
  # shellcheck disable=SC2046 # pkg-config's flags are words
  if $cc -std=c11 -Os -Wall -Werror -I"$gen" -o "$exe" "${SRC[@]}" \
    $(pkg-config --cflags --libs "grpc-fc-$b") >"$TEST_TMP/cc-$b.log" 2>&1; then
    ok "grpc-fc-$b.pc builds examples/sdk/client.c ($cc)"
  else
    not_ok "grpc-fc-$b.pc builds examples/sdk/client.c ($cc)" "$(grep -v getaddrinfo "$TEST_TMP/cc-$b.log" | tail -8)"
  fi
done
"$W/thermostat-client-host" >/dev/null 2>"$TEST_TMP/usage"
check_eq "$?:$(head -1 "$TEST_TMP/usage" | cut -d' ' -f1-2)" "2:usage: thermostat-client" \
  "the client built from grpc-fc-host.pc runs (usage, exit 2)"
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_LIBDIR

# The units. systemd-analyze verify checks that ExecStart= is executable and
# that Documentation='s man pages exist: a copy whose ExecStart= names the
# binary inside D (the one line that differs) is verified with the
# installed man pages on MANPATH. Any output at all fails the test.
UD=$D/usr/lib/systemd/system
V=$TEST_TMP/verify
mkdir -p "$V"
for u in grpc-fc-gateway.service grpc-fc-storage.service; do
  sed "s|^ExecStart=/usr/sbin/|ExecStart=$D/usr/sbin/|" "$UD/$u" >"$V/$u"
  check_eq "$(diff "$UD/$u" "$V/$u" | grep -c '^>')" 1 "$u: the copy for verify differs in ExecStart= alone"
  out=$(cd "$V" && MANPATH=$D/usr/share/man systemd-analyze verify "$V/$u" 2>&1)
  rc=$?
  check_eq "$rc:$out" "0:" "systemd-analyze verify $u: exit 0, no warning"
  out=$(cd "$V" && systemd-analyze security --offline=yes --threshold=20 --no-pager "$V/$u" 2>&1)
  rc=$?
  check_eq "$rc" 0 "systemd-analyze security $u: exposure at most 2.0 ($(grep -o 'exposure level.*' <<<"$out"))"
  lack=
  for l in DynamicUser=yes ProtectSystem=strict ProtectHome=yes NoNewPrivileges=yes PrivateTmp=yes \
    'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' CapabilityBoundingSet= \
    SystemCallFilter=@system-service LimitNOFILE=1048576 'ExecReload=/bin/kill -HUP $MAINPID'; do
    grep -qxF -- "$l" "$UD/$u" || lack+="$l"$'\n'
  done
  check_eq "$lack" "" "$u: hardened, LimitNOFILE=1048576, reload by SIGHUP"
done
g=$UD/grpc-fc-gateway.service s=$UD/grpc-fc-storage.service
check_eq "$(grep -E '^(ExecStart|EnvironmentFile)=' "$g")" \
  "$(printf '%s\n' 'EnvironmentFile=-/etc/grpc-fc/gateway.conf' 'ExecStart=/usr/sbin/gateway $GATEWAY_OPTS')" \
  "grpc-fc-gateway.service: /usr/sbin/gateway with GATEWAY_OPTS from /etc/grpc-fc/gateway.conf"
check_eq "$(grep -E '^(ExecStart|EnvironmentFile|StateDirectory|Environment=STORAGE_DB)=' "$s")" \
  "$(printf '%s\n' 'StateDirectory=grpc-fc-storage' 'Environment=STORAGE_DB=%S/grpc-fc-storage/storage.db' \
    'EnvironmentFile=-/etc/grpc-fc/storage.conf' 'ExecStart=/usr/sbin/storage --db ${STORAGE_DB} $STORAGE_OPTS')" \
  "grpc-fc-storage.service: the SQLite file in its StateDirectory, options from /etc/grpc-fc/storage.conf"
# The option files' examples name real options.
for c in gateway storage; do
  bad=
  for o in $(grep -oE -- '--[a-z][a-z0-9-]*' "$D/etc/grpc-fc/$c.conf" | grep -vx -- --help | sort -u); do
    "$D/usr/sbin/$c" --help | grep -qF -- "$o" || bad+="$o "
  done
  check_eq "$bad" "" "etc/grpc-fc/$c.conf: every option it shows is in $c --help"
done

# The daemons as the units run them (storage's --db in a state folder,
# the options files' defaults), under strace: a call through both, then
# SIGTERM; every system call made must be in @system-service.
# allowed GROUP: the system calls a SystemCallFilter= group allows.
allowed() {
  local w
  for w in $(systemd-analyze syscall-filter --no-pager "$1" | sed -n 's/^ \{4\}\([@a-z0-9_-]*\)$/\1/p'); do
    case $w in @*) allowed "$w" ;; *) echo "$w" ;; esac
  done
}
allowed @system-service | sort -u >"$TEST_TMP/allowed"
[ -s "$TEST_TMP/allowed" ] || not_ok "systemd-analyze syscall-filter @system-service lists system calls"
SP=$(free_port) GP=$(free_port)
mkdir -p "$TEST_TMP/state"
strace -f -qq -o "$TEST_TMP/strace.storage" "$D/usr/sbin/storage" --db "$TEST_TMP/state/storage.db" \
  --listen "127.0.0.1:$SP" >"$TEST_TMP/storage.out" 2>"$TEST_TMP/storage.log" &
ST=$!
wait_port "$SP" "$ST" 20 || bail "the installed storage did not start: $(tail -5 "$TEST_TMP/storage.log")"
strace -f -qq -o "$TEST_TMP/strace.gateway" "$D/usr/sbin/gateway" --listen "127.0.0.1:$GP" \
  --storage "127.0.0.1:$SP" >"$TEST_TMP/gateway.out" 2>"$TEST_TMP/gateway.log" &
GT=$!
wait_port "$GP" "$GT" 20 || bail "the installed gateway did not start: $(tail -5 "$TEST_TMP/gateway.log")"
got=$(timeout 20 "$D/usr/bin/firmware-client" --addr "127.0.0.1:$GP" getprods aws compute 2>&1 | mask_short)
check_eq "$got" "$(expected getprods_aws_compute.txt 2>/dev/null || echo '(no expected file)')" \
  "the installed client through the installed gateway and storage"
# The daemons themselves take SIGTERM (strace's pid is their parent).
for t in "$GT" "$ST"; do
  d=$(cat "/proc/$t/task/$t/children" 2>/dev/null)
  [ -n "$d" ] && kill -TERM $d
  wait "$t"
  check_eq "$?" 0 "the installed $( [ "$t" = "$GT" ] && echo gateway || echo storage) drains on SIGTERM, exit 0"
done
for n in storage gateway; do
  used=$(sed -nE 's/^[0-9]+ +([a-z0-9_]+)\(.*/\1/p' "$TEST_TMP/strace.$n" | sort -u)
  [ -n "$used" ] || not_ok "strace saw $n's system calls"
  check_eq "$(comm -23 <(printf '%s\n' "$used") "$TEST_TMP/allowed" | tr '\n' ' ')" "" \
    "$n's $(wc -l <<<"$used") system calls are all in @system-service"
done

# A second install leaves an operator's options as they are.
echo 'GATEWAY_OPTS="--listen 0.0.0.0:8080"' >>"$D/etc/grpc-fc/gateway.conf"
install_to "$TEST_TMP/install2.log" || not_ok "make install, again" "$(tail -8 "$TEST_TMP/install2.log")"
check_eq "$(tail -1 "$D/etc/grpc-fc/gateway.conf")" 'GATEWAY_OPTS="--listen 0.0.0.0:8080"' \
  "a second make install keeps an edited etc/grpc-fc/gateway.conf"

[ "${TEST_KEEP:-0}" = 1 ] && echo "# DESTDIR kept in $D" || rm -rf "$D"
finish
