/*
 * entropy.c - random bytes.
 *
 * The QEMU boards have no TRNG, so they build with PORT_ENTROPY_TEST_ONLY: a
 * xorshift32 seeded from the SysTick counter and the millisecond clock. It is
 * predictable and for tests only: it seeds fc_tls.c's CTR-DRBG, so the TLS
 * session keys of such a build are predictable too. A real board defines
 * PORT_ENTROPY_HW in its board_config.h as the name of its TRNG driver's
 * read function,
 *   int f(uint8_t *buf, size_t len);   returning PORT_OK or PORT_ERR_IO,
 * and port_entropy then only calls that.
 */
#include "port.h"
#include "port_cm.h"

#if defined(PORT_ENTROPY_HW)

int PORT_ENTROPY_HW(uint8_t *buf, size_t len);

int port_entropy(uint8_t *buf, size_t len) {
  if (!buf && len) return PORT_ERR_IO;
  return PORT_ENTROPY_HW(buf, len);
}

#elif defined(PORT_ENTROPY_TEST_ONLY)

#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)

int port_entropy(uint8_t *buf, size_t len) {
  static uint32_t x;

  if (!buf && len) return PORT_ERR_IO;
  if (x == 0) x = (SYST_CVR << 8) ^ port_time_ms() ^ 0x9E3779B9u;
  for (size_t i = 0; i < len; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    buf[i] = (uint8_t)(x >> 24);
  }
  return PORT_OK;
}

#else
#error "board_config.h: define PORT_ENTROPY_HW (the TRNG read function) or PORT_ENTROPY_TEST_ONLY"
#endif
