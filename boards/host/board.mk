# x86_64 Linux: the daemons and the firmware client. nghttp2, nanopb, SQLite
# and libuuid are the system's; mbedtls 3.6 is compiled from Debian 13's source
# (mk/mbedtls.mk), configured by mbedtls_board.h.
CC := gcc
PORT := posix
BOARD_CFLAGS := -O2 -g
BOARD_LDFLAGS :=
FC_TLS := yes
BOARD_PROGRAMS := $(B)/bin/storage $(B)/bin/gateway $(B)/bin/firmware-client
MBEDTLS_FROM_SOURCE := yes
include mk/mbedtls.mk
DEPS_LIBS := $(MBEDTLS_LIB)
CLIENT_LIBS := -lnghttp2 -lprotobuf-nanopb $(MBEDTLS_LIB)
