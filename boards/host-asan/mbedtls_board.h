/*
 * mbedtls configuration of this board (mk/mbedtls.mk passes it as
 * MBEDTLS_CONFIG_FILE to the library and to our code): the Linux one,
 * mk/deps/mbedtls-config-linux.h. The daemons share it with the host's
 * firmware client, so mbedtls keeps the C library's allocator here; the
 * cross boards give it the client's arena (mk/deps/mbedtls-config-arena.h).
 */
#ifndef FC_BOARD_MBEDTLS_H
#define FC_BOARD_MBEDTLS_H

#include "../../mk/deps/mbedtls-config-linux.h"

#endif /* FC_BOARD_MBEDTLS_H */
