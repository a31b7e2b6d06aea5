# 32-bit ARM Linux (Cortex-A, hard float): a static firmware client that runs
# under qemu-arm on the host, with real sockets on the host's loopback.
CC := arm-linux-gnueabihf-gcc
PORT := posix
BOARD_CFLAGS := -Os -g
BOARD_LDFLAGS := -static
BOARD_PROGRAMS := $(B)/bin/firmware-client
EXE :=
RUNNER := qemu-arm
# nghttp2 and nanopb compiled for this board from Debian's sources.
DEPS_FROM_SOURCE := yes
include mk/deps.mk
