#!/bin/bash
# lm3s6965evb's image fits its budget (docs/footprint.md): 96 KB of flash for
# code, read-only data and .data's initial values (text + data), and 48 KB of
# RAM for .data, .bss (which holds the arena) and the main stack (its own
# NOLOAD section, which arm-none-eabi-size counts in bss).
. "$(dirname "$0")/../lib/common.sh"
FLASH_BUDGET=$((96 * 1024))
RAM_BUDGET=$((48 * 1024))
elf=$TEST_ROOT/build/lm3s6965evb/bin/firmware-client.elf
[ -f "$elf" ] || bail "missing $elf (build with: make BOARD=lm3s6965evb)"
command -v arm-none-eabi-size >/dev/null || bail "missing arm-none-eabi-size (make deps)"

read -r text data bss _ < <(arm-none-eabi-size "$elf" | tail -1)
stack=$(arm-none-eabi-size -A "$elf" | awk '$1 == ".stack" {print $2}')
if [ -n "$stack" ] && [ "$stack" -gt 0 ]; then
  ok "the main stack ($stack bytes) is a section of the image, counted in bss"
else
  not_ok "the main stack is a section of the image, counted in bss" "no .stack section in $elf"
fi
flash=$((text + data)) ram=$((data + bss))
if [ "$flash" -le "$FLASH_BUDGET" ]; then
  ok "flash: text $text + data $data = $flash bytes <= $FLASH_BUDGET"
else
  not_ok "flash: text + data <= $FLASH_BUDGET bytes" "text $text + data $data = $flash bytes," \
    "$((flash - FLASH_BUDGET)) over; nm --size-sort -S $elf shows the largest symbols"
fi
if [ "$ram" -le "$RAM_BUDGET" ]; then
  ok "RAM: data $data + bss $bss = $ram bytes <= $RAM_BUDGET"
else
  not_ok "RAM: data + bss <= $RAM_BUDGET bytes" "data $data + bss $bss = $ram bytes," \
    "$((ram - RAM_BUDGET)) over; FC_ARENA_SIZE and PORT_STACK_SIZE are in boards/lm3s6965evb/board_config.h"
fi
finish
