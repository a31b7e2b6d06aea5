/*
 * mbedtls 3.6's configuration for the Linux boards and the host's daemons:
 * Linux has room, so they take mbedtls's default configuration (TLS 1.2 and
 * TLS 1.3, every cipher suite, 16 KB records, certificate dates checked
 * against the system clock) and add:
 *
 *   - MBEDTLS_SSL_RECORD_SIZE_LIMIT (RFC 8449): in TLS 1.3 a bare-metal board
 *     asks the gateway for records no larger than its 4 KB record buffers, as
 *     it does in TLS 1.2 with max_fragment_length (RFC 6066), which TLS 1.3
 *     servers of mbedtls do not take.
 *   - MBEDTLS_PLATFORM_MEMORY: the allocator can be set at run time. It
 *     stays the C library's unless a program sets one: the host's daemons
 *     put the record buffers on page boundaries (rpc/host/src/tls.c), so
 *     that an idle connection gives all their pages back.
 *
 * Its PSA crypto core draws from mbedtls's entropy collector (getrandom on
 * Linux). A board's boards/<name>/mbedtls_board.h includes this file.
 */
#ifndef FC_MBEDTLS_CONFIG_LINUX_H
#define FC_MBEDTLS_CONFIG_LINUX_H

#include "mbedtls/mbedtls_config.h"

#define MBEDTLS_SSL_RECORD_SIZE_LIMIT
#define MBEDTLS_PLATFORM_MEMORY

#endif /* FC_MBEDTLS_CONFIG_LINUX_H */
