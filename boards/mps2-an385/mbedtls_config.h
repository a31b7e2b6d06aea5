/*
 * mbedtls configuration of this board (mk/deps.mk passes it as
 * MBEDTLS_CONFIG_FILE to the library and to fc_tls.c): the bare-metal TLS 1.2
 * client of mk/deps/mbedtls-config-cortex-m.h with this board's record sizes.
 *
 * Records: the client asks the gateway for records of at most 4 KB (RFC 6066
 * max fragment length, FC_TLS_MFL in board_config.h), so each of mbedtls's two
 * record buffers (in the arena) takes 4 KB plus about 40 bytes instead of
 * 16 KB. Both must be at least the fragment length asked for: mbedtls refuses
 * to advertise more than the smaller of the two.
 */
#ifndef MBEDTLS_CONFIG_H
#define MBEDTLS_CONFIG_H

#define MBEDTLS_SSL_IN_CONTENT_LEN 4096
#define MBEDTLS_SSL_OUT_CONTENT_LEN 4096

#include "../../mk/deps/mbedtls-config-cortex-m.h"

#endif /* MBEDTLS_CONFIG_H */
