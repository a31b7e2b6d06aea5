# 64-bit ARM Linux: a static firmware client that runs
# under qemu-aarch64 on the host, with real sockets on the host's loopback.
CC := aarch64-linux-gnu-gcc
PORT := posix
BOARD_CFLAGS := -Os -g
BOARD_LDFLAGS := -static
BOARD_PROGRAMS := $(B)/bin/firmware-client
EXE :=
RUNNER := qemu-aarch64
# nghttp2 and nanopb compiled for this board from Debian's sources.
DEPS_FROM_SOURCE := yes
include mk/deps.mk
