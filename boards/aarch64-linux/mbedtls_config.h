/*
 * mbedtls configuration of this board (mk/deps.mk passes it as
 * MBEDTLS_CONFIG_FILE to the library and to fc_tls.c): Linux has room, so the
 * board takes mbedtls's default configuration, the one Debian's libmbedtls
 * starts from (Debian adds threading, MD2/MD4, HAVEGE, CMAC and DTLS-SRTP,
 * which the client does not use). It has time (certificate dates are checked
 * against the system clock), 16 KB records, every cipher suite. The CTR-DRBG
 * is seeded from port_entropy() (getrandom) by fc_tls.c; mbedtls's calloc and
 * free are renamed to the firmware client's arena (mk/deps.mk), which is sized
 * for it in board_config.h.
 */
#ifndef FC_BOARD_MBEDTLS_CONFIG_H
#define FC_BOARD_MBEDTLS_CONFIG_H

#include "mbedtls/config.h"

#endif /* FC_BOARD_MBEDTLS_CONFIG_H */
