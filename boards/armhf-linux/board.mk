# 32-bit ARM Linux (Cortex-A, hard float): a static firmware client that runs
# under qemu-arm on the host, with real sockets on the host's loopback.
CC := arm-linux-gnueabihf-gcc
PORT := posix
BOARD_CFLAGS := -Os -g
BOARD_LDFLAGS := -static
BOARD_PROGRAMS := $(B)/bin/firmware-client
EXE :=
RUNNER := qemu-arm
# TLS (fc_tls.c) with mbedtls configured by mbedtls_board.h; FC_TLS=no on
# the command line builds the plaintext variant into build/$(BOARD)-notls.
FC_TLS := yes
# nghttp2, nanopb and mbedtls compiled for this board from Debian's sources;
# mk/deps.mk sets DEPS_LIBS and CLIENT_LIBS (libmbedtls.a when FC_TLS is yes).
DEPS_FROM_SOURCE := yes
include mk/deps.mk
