# The host build under AddressSanitizer and UBSan: what the integration tests
# run. mbedtls as on the host (mk/mbedtls.mk), compiled with the same
# sanitizers, configured by the host's mbedtls_board.h.
CC := gcc
PORT := posix
BOARD_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
BOARD_LDFLAGS := -fsanitize=address,undefined
FC_TLS := yes
BOARD_PROGRAMS := $(B)/bin/storage $(B)/bin/gateway $(B)/bin/firmware-client
MBEDTLS_FROM_SOURCE := yes
include mk/mbedtls.mk
DEPS_LIBS := $(MBEDTLS_LIB)
CLIENT_LIBS := -lnghttp2 -lprotobuf-nanopb $(MBEDTLS_LIB)
