# The host build under AddressSanitizer and UBSan: what the integration tests run.
CC := gcc
PORT := posix
BOARD_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
BOARD_LDFLAGS := -fsanitize=address,undefined
CLIENT_LIBS := -lnghttp2 -lprotobuf-nanopb -lmbedtls -lmbedx509 -lmbedcrypto
FC_TLS := yes
BOARD_PROGRAMS := $(B)/bin/storage $(B)/bin/gateway $(B)/bin/firmware-client
