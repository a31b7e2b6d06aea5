/*
 * arch/cc.h - lwIP's compiler and platform glue for the bare-metal Cortex-M
 * port (lwIP includes it from lwip/arch.h): newlib's stdint and the
 * port's diagnostics, random numbers and assertion.
 */
#ifndef PORT_LWIP_ARCH_CC_H
#define PORT_LWIP_ARCH_CC_H

#include <stdint.h>

/* lwIP's debug output is compiled out (LWIP_DEBUG is never set): no stdio. */
#define LWIP_PLATFORM_DIAG(x)                                                                      \
  do {                                                                                             \
  } while (0)

/* An assertion of lwIP's ends the run as port/cortex-m's asserts do. */
void port_lwip_assert(const char *msg);
#define LWIP_PLATFORM_ASSERT(x) port_lwip_assert(x)

/* The first local TCP port, DNS ids and DHCP's xid: from the port's entropy,
 * so that a board that restarts does not reuse its last connection's port. */
uint32_t port_lwip_rand(void);
#define LWIP_RAND() port_lwip_rand()

#endif /* PORT_LWIP_ARCH_CC_H */
