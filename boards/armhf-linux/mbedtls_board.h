/*
 * mbedtls configuration of this board (mk/mbedtls.mk passes it as
 * MBEDTLS_CONFIG_FILE to the library and to our code): the Linux one,
 * mk/deps/mbedtls-config-linux.h, allocating from the firmware client's
 * arena (mk/deps/mbedtls-config-arena.h), which board_config.h sizes for it.
 */
#ifndef FC_BOARD_MBEDTLS_H
#define FC_BOARD_MBEDTLS_H

#include "../../mk/deps/mbedtls-config-linux.h"
#include "../../mk/deps/mbedtls-config-arena.h"

#endif /* FC_BOARD_MBEDTLS_H */
