# TI Stellaris LM3S6965 evaluation board (Cortex-M3, 256 KB flash, 64 KB SRAM),
# bare metal, as QEMU's lm3s6965evb emulates it: gRPC over UART0, the console
# and the command line over semihosting, newlib-nano without its heap.
CC := arm-none-eabi-gcc
PORT := cortex-m
CPU_FLAGS := -mcpu=cortex-m3 -mthumb
# PB_NO_ERRMSG: nanopb keeps no error texts (no board code reads them;
# the library and every user of pb.h must agree, docs/sdk.md).
BOARD_CFLAGS := $(CPU_FLAGS) -Os -g -ffunction-sections -fdata-sections -Iport/cortex-m -DPB_NO_ERRMSG
BOARD_LDFLAGS := $(CPU_FLAGS) --specs=nano.specs -nostartfiles -T boards/$(BOARD)/link.ld \
  -Wl,--gc-sections -Wl,-Map=$(B)/firmware-client.map
EXE := .elf
BOARD_PROGRAMS := $(B)/bin/firmware-client$(EXE)
# The command line goes after "arg=": the test appends ",arg=getprods,arg=aws..."
# and "-serial tcp:HOST:PORT -kernel IMAGE".
RUNNER := qemu-system-arm -M lm3s6965evb -nographic -monitor none \
  -semihosting-config enable=on,target=native,arg=firmware-client
# TLS (fc_tls.c) with mbedtls configured by mbedtls_board.h; FC_TLS=no on
# the command line builds the plaintext variant into build/$(BOARD)-notls.
FC_TLS := yes
# nghttp2, nanopb and mbedtls compiled for this board from Debian's sources;
# mk/deps.mk sets DEPS_LIBS and CLIENT_LIBS (libmbedtls.a when FC_TLS is yes).
# mbedtls's multi-precision core and curve arithmetic for speed (-O2
# instead of -Os): a quarter less time in a handshake's ECDHE and ECDSA
# (docs/boards.md, "TLS handshake speed"). bignum.c itself stays at -Os:
# its hot loops are bignum_core's, and with RSA it holds the private-key
# helpers the board never runs; -O2 there cost 1.2 KB and no time.
MBEDTLS_SPEED_MODULES := bignum_core ecp ecp_curves
MBEDTLS_SPEED_CFLAGS := -O2
DEPS_FROM_SOURCE := yes
include mk/deps.mk
