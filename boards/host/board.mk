# x86_64 Linux: the daemons and the firmware client, system libraries.
CC := gcc
PORT := posix
BOARD_CFLAGS := -O2 -g
BOARD_LDFLAGS :=
CLIENT_LIBS := -lnghttp2 -lprotobuf-nanopb -lmbedtls -lmbedx509 -lmbedcrypto
FC_TLS := yes
BOARD_PROGRAMS := $(B)/bin/storage $(B)/bin/gateway $(B)/bin/firmware-client
