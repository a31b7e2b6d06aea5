#!/bin/bash
# lm3s6965evb's images fit their budgets (docs/footprint.md): flash for code,
# read-only data and .data's initial values (text + data), and RAM for .data,
# .bss (which holds the arena) and the main stack (its own NOLOAD section,
# which arm-none-eabi-size counts in bss):
#   plaintext (make BOARD=lm3s6965evb FC_TLS=no, build/lm3s6965evb-notls):  96 KB, 48 KB
#   TLS       (make BOARD=lm3s6965evb, build/lm3s6965evb):                 200 KB, 64 KB
# and over TCP/IP (NET=lwip: lwIP, its pools and heap, the Ethernet driver):
#   plaintext (make BOARD=lm3s6965evb NET=lwip FC_TLS=no):                128 KB, 48 KB
#   TLS       (make BOARD=lm3s6965evb NET=lwip), the real chip:           256 KB, 64 KB
. "$(dirname "$0")/../lib/common.sh"
command -v arm-none-eabi-size >/dev/null || bail "missing arm-none-eabi-size (make deps)"

# budget NAME ELF FLASH_KB RAM_KB HOW_TO_BUILD
budget() {
  local name=$1 elf=$2 flash_budget=$(($3 * 1024)) ram_budget=$(($4 * 1024)) how=$5
  local text data bss stack flash ram
  if [ ! -f "$elf" ]; then
    not_ok "$name: image exists" "missing $elf (build with: $how)"
    return
  fi
  read -r text data bss _ < <(arm-none-eabi-size "$elf" | tail -1)
  stack=$(arm-none-eabi-size -A "$elf" | awk '$1 == ".stack" {print $2}')
  if [ -n "$stack" ] && [ "$stack" -gt 0 ]; then
    ok "$name: the main stack ($stack bytes) is a section of the image, counted in bss"
  else
    not_ok "$name: the main stack is a section of the image, counted in bss" "no .stack section in $elf"
  fi
  flash=$((text + data)) ram=$((data + bss))
  if [ "$flash" -le "$flash_budget" ]; then
    ok "$name: flash: text $text + data $data = $flash bytes <= $flash_budget"
  else
    not_ok "$name: flash: text + data <= $flash_budget bytes" "text $text + data $data = $flash bytes," \
      "$((flash - flash_budget)) over; nm --size-sort -S $elf shows the largest symbols"
  fi
  if [ "$ram" -le "$ram_budget" ]; then
    ok "$name: RAM: data $data + bss $bss = $ram bytes <= $ram_budget"
  else
    not_ok "$name: RAM: data + bss <= $ram_budget bytes" "data $data + bss $bss = $ram bytes," \
      "$((ram - ram_budget)) over; FC_ARENA_SIZE and PORT_STACK_SIZE are in boards/lm3s6965evb/board_config.h"
  fi
}

budget "lm3s6965evb plaintext" "$TEST_ROOT/build/lm3s6965evb-notls/bin/firmware-client.elf" 96 48 \
  "make BOARD=lm3s6965evb FC_TLS=no"
budget "lm3s6965evb TLS" "$TEST_ROOT/build/lm3s6965evb/bin/firmware-client.elf" 200 64 \
  "make BOARD=lm3s6965evb"
budget "lm3s6965evb plaintext, lwIP" "$TEST_ROOT/build/lm3s6965evb-lwip-notls/bin/firmware-client.elf" \
  128 48 "make BOARD=lm3s6965evb NET=lwip FC_TLS=no"
budget "lm3s6965evb TLS, lwIP" "$TEST_ROOT/build/lm3s6965evb-lwip/bin/firmware-client.elf" 256 64 \
  "make BOARD=lm3s6965evb NET=lwip"
finish
