/*
 * mbedtls configuration of this board (mk/mbedtls.mk passes it as
 * MBEDTLS_CONFIG_FILE to the library and to our code): the Linux one,
 * mk/deps/mbedtls-config-linux.h. On the firmware client's boards mbedtls's
 * calloc and free are renamed to the client's arena (mk/mbedtls.mk), which is
 * sized for it in board_config.h.
 */
#ifndef FC_BOARD_MBEDTLS_H
#define FC_BOARD_MBEDTLS_H

#include "../../mk/deps/mbedtls-config-linux.h"

#endif /* FC_BOARD_MBEDTLS_H */
