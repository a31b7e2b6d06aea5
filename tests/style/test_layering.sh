#!/bin/bash
# The layering (docs/design.md, "Layers"), checked on the board side: no
# object of rpc/ or firmware-client/ that a board's firmware client links may
# reference an OS or C library symbol outside the allowed list below. Only
# port/ (the platform layer, not checked here) talks to the OS.
#
# Read with the board's own nm (make BOARD=x board-info: NM) from the objects
# the board build compiled: every build/<board>[-notls]/obj/rpc/**.o and
# obj/firmware-client/**.o whose source still exists, found by folder, so a
# new file in rpc/src/ or firmware-client/src/ is checked as soon as a board
# links it (and rpc/host/, never linked on a board, would be caught here if
# it were). The boards are those that build only the firmware client (the
# host boards' objects are the daemons' too); lm3s6965evb and armhf-linux
# must be built (make test builds every board), the others are checked when
# they are.
. "$(dirname "$0")/../lib/common.sh"
cd "$TEST_ROOT" || bail "cd $TEST_ROOT"

# ---- What a board-side object may reference: the one list -----------------
# The project's own layers and generated code: rpc_ (rpc/src), fc_
# (firmware-client), port_ (port/, the one door to the OS), api_ (nanopb's
# messages generated from proto/api.proto).
ALLOW_PREFIXES="rpc_ fc_ port_ api_"
# The libraries every board links, compiled for it from Debian's sources.
ALLOW_PREFIXES+=" pb_ nghttp2_ mbedtls_ psa_"
# Freestanding C library functions: pure work on memory and strings, no OS,
# no heap, no stdio stream (the Cortex-M port supplies snprintf/vsnprintf).
# Only what the code uses; add one here, with its reason, when it is needed.
# Never: malloc/free (the arena), printf/puts/FILE (port_console_write),
# fopen/read (port_file_read), socket/connect/send (port_net_*), time/
# clock_gettime (port_time_ms), getrandom (port_entropy), getenv, exit.
ALLOW_LIBC="memcmp memcpy memset strcmp strcspn strlen strncmp strrchr strstr"
ALLOW_LIBC+=" snprintf vsnprintf"
# gmtime_r: calendar arithmetic on a number the port gave (port_utc_seconds),
# no clock read and no allocation; the TLS module's mbedtls calendar hook.
ALLOW_LIBC+=" gmtime_r"
# The compiler's runtime, which it calls on its own: ARM EABI integer
# division (Cortex-M3 has no 64-bit divide, ARMv7-A baseline no divide at
# all), and the symbol of position-independent code's offset table.
ALLOW_RUNTIME="__aeabi_idiv __aeabi_idivmod __aeabi_uidiv __aeabi_uidivmod"
ALLOW_RUNTIME+=" __aeabi_ldivmod __aeabi_uldivmod _GLOBAL_OFFSET_TABLE_"
# Boards whose build must be there.
REQUIRED_BOARDS="lm3s6965evb armhf-linux"
# ----------------------------------------------------------------------------

allowed() {
  local sym=$1 p
  for p in $ALLOW_PREFIXES; do
    case $sym in "$p"*) return 0 ;; esac
  done
  case " $ALLOW_LIBC $ALLOW_RUNTIME " in *" $sym "*) return 0 ;; esac
  return 1
}

# check_build BOARD DIR: DIR is build/BOARD or build/BOARD-notls.
check_build() {
  local board=$1 dir=$2 o src sym n=0 bad=()
  local -a objs
  mapfile -t objs < <(find "$dir/obj/rpc" "$dir/obj/firmware-client" -name '*.o' 2>/dev/null | sort)
  for o in "${objs[@]}"; do
    src=${o#"$dir"/obj/}
    src=${src%.o}
    if [ ! -f "$src" ]; then
      echo "# $o: stale (no $src any more), not checked"
      continue
    fi
    n=$((n + 1))
    while read -r sym; do
      allowed "$sym" || bad+=("$o: $sym")
    done < <("$NM" -u "$o" | awk '{ print $NF }')
  done
  if [ "$n" -eq 0 ]; then
    not_ok "$dir: board-side objects of rpc/ and firmware-client/ found" \
      "no object under $dir/obj/rpc or $dir/obj/firmware-client (make BOARD=$board)"
  elif [ ${#bad[@]} -eq 0 ]; then
    ok "$dir: $n objects of rpc/ and firmware-client/ reference only the allowed symbols ($NM -u)"
  else
    not_ok "$dir: objects of rpc/ and firmware-client/ reference only the allowed symbols ($NM -u)" \
      "these call past port/ (or add a freestanding function to the list in $0):" "${bad[@]}"
  fi
}

checked=0
for mk in boards/*/board.mk; do
  board=$(basename "$(dirname "$mk")")
  info=$(make -s --no-print-directory BOARD="$board" board-info) || {
    not_ok "make BOARD=$board board-info"
    continue
  }
  NM='' PROGRAMS=''
  eval "$info" # NM, PROGRAMS
  case " $PROGRAMS " in *" gateway "* | *" storage "*) continue ;; esac # a host board
  command -v "$NM" >/dev/null || { not_ok "$board: $NM is installed (make deps)"; continue; }
  found=0
  for dir in "build/$board" "build/$board-notls"; do
    [ -d "$dir/obj" ] || continue
    found=1 checked=$((checked + 1))
    check_build "$board" "$dir"
  done
  if [ "$found" = 0 ]; then
    case " $REQUIRED_BOARDS " in
      *" $board "*) not_ok "$board is built" "no build/$board/obj (make BOARD=$board)" ;;
      *) echo "# $board: not built, not checked" ;;
    esac
  fi
done
[ "$checked" -gt 0 ] || not_ok "at least one board build checked"

# The list itself holds no OS, heap or stdio function (the test's contract).
leaks=()
for sym in malloc calloc realloc free printf fprintf puts fopen fread open read write close \
  socket connect send recv select poll time clock_gettime gettimeofday getrandom getenv exit abort; do
  allowed "$sym" && leaks+=("$sym")
done
check_eq "${leaks[*]}" "" "the allowed list holds no OS, heap or stdio function"
finish
