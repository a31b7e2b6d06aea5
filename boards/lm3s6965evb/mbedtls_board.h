/*
 * mbedtls configuration of this board (mk/mbedtls.mk passes it as
 * MBEDTLS_CONFIG_FILE to the library and to fc_tls.c): the bare-metal TLS 1.3
 * and 1.2 client of mk/deps/mbedtls-config-cortex-m.h with this board's
 * record sizes.
 *
 * Records: the client asks the gateway for records of at most 4 KB (TLS 1.3:
 * record_size_limit, RFC 8449, from MBEDTLS_SSL_IN_CONTENT_LEN; TLS 1.2: max
 * fragment length, RFC 6066, FC_TLS_RECORD_LEN in board_config.h), so each of mbedtls's two
 * record buffers (in the arena) takes 4 KB plus about 40 bytes instead of
 * 16 KB. Both must be at least the fragment length asked for: mbedtls refuses
 * to advertise more than the smaller of the two.
 */
#ifndef FC_BOARD_MBEDTLS_H
#define FC_BOARD_MBEDTLS_H

#define MBEDTLS_SSL_IN_CONTENT_LEN 4096
#define MBEDTLS_SSL_OUT_CONTENT_LEN 4096

#include "../../mk/deps/mbedtls-config-cortex-m.h"

#endif /* FC_BOARD_MBEDTLS_H */
