#!/bin/bash
# The bare-metal images link no heap: no malloc family, no newlib reentrant
# allocator, no _sbrk (docs: DESIGN.md section 5). nghttp2 and mbedtls allocate
# from the firmware client's arena; snprintf is the port's own
# (port/cortex-m/printf.c). The TLS images and lm3s6965evb's plaintext variant
# (make BOARD=lm3s6965evb FC_TLS=no), and the lwIP builds (NET=lwip), whose
# lwIP keeps its heap and pools in static arrays (MEM_LIBC_MALLOC 0).
. "$(dirname "$0")/../lib/common.sh"
HEAP_RE='^(malloc|free|calloc|realloc|reallocf|memalign|posix_memalign|aligned_alloc|sbrk|_sbrk|_sbrk_r|_malloc_r|_free_r|_calloc_r|_realloc_r|_memalign_r|__malloc_lock|_mallinfo_r)$'
command -v arm-none-eabi-nm >/dev/null || bail "missing arm-none-eabi-nm (make deps)"
for b in lm3s6965evb mps2-an385 lm3s6965evb-notls lm3s6965evb-lwip mps2-an385-lwip lm3s6965evb-lwip-notls; do
  elf=$TEST_ROOT/build/$b/bin/firmware-client.elf
  base=${b%-notls}
  how="make BOARD=${base%-lwip}"
  [ "${b#*-lwip}" != "$b" ] && how="$how NET=lwip"
  [ "${b%-notls}" != "$b" ] && how="$how FC_TLS=no"
  if [ ! -f "$elf" ]; then
    not_ok "$b: image exists" "missing $elf (build with: $how)"
    continue
  fi
  syms=$(arm-none-eabi-nm "$elf" | awk '{print $NF}' | grep -E "$HEAP_RE")
  if [ -z "$syms" ]; then
    ok "$b: no heap symbols in firmware-client.elf"
  else
    not_ok "$b: no heap symbols in firmware-client.elf" "found:" "$syms" \
      "who pulls them in: see build/$b/firmware-client.map (Archive member included ...)"
  fi
done
finish
