/*
 * time.c - the port's clock: SysTick interrupts once a millisecond.
 *
 * SysTick counts the core clock (CLKSOURCE = processor clock), whose rate the
 * board gives as PORT_CPU_HZ. Under QEMU the core clock is emulated against the
 * host's clock, so milliseconds here are the host's milliseconds: that is what
 * lets a test compare the board's deadlines with the host client's.
 */
#include <sys/time.h>
#include <time.h>

#include "port.h"
#include "port_cm.h"

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define SYST_CSR_ENABLE 1u
#define SYST_CSR_TICKINT 2u
#define SYST_CSR_CLKSOURCE 4u

#if PORT_CPU_HZ / 1000u - 1u > 0xFFFFFFu
#error "PORT_CPU_HZ too fast for a 1 ms SysTick reload (24 bits)"
#endif

static volatile uint32_t ticks;

void port_time_init(void) {
  SYST_RVR = PORT_CPU_HZ / 1000u - 1u;
  SYST_CVR = 0;
  SYST_CSR = SYST_CSR_ENABLE | SYST_CSR_TICKINT | SYST_CSR_CLKSOURCE;
}

void port_systick_handler(void) {
  ticks++;
}

uint32_t port_time_ms(void) {
  return ticks; /* one aligned word: read atomically */
}

/* The date: the board has no RTC, so it asks the debug host once through
 * semihosting SYS_TIME (seconds since 1970) and counts on from there; with no
 * host answering, time starts at 0 (1970). A board with an RTC reads it here
 * instead. mbedtls checks certificate dates against this. */
static time_t epoch_at_boot(void) {
  static time_t epoch = -1;
  if (epoch < 0) {
    int32_t t = port_sh_call(0x11 /* SYS_TIME */, NULL);
    epoch = t > 0 ? (time_t)t - (time_t)(ticks / 1000u) : 0;
  }
  return epoch;
}

int _gettimeofday(struct timeval *tv, void *tz) {
  uint32_t ms = ticks;

  (void)tz;
  if (tv) {
    tv->tv_sec = epoch_at_boot() + (time_t)(ms / 1000u);
    tv->tv_usec = (suseconds_t)(ms % 1000u * 1000u);
  }
  return 0;
}

/* mbedtls's calendar conversion (MBEDTLS_PLATFORM_GMTIME_R_ALT): newlib's
 * gmtime_r is reentrant and allocates nothing. */
struct tm *mbedtls_platform_gmtime_r(const time_t *tt, struct tm *tm_buf);
struct tm *mbedtls_platform_gmtime_r(const time_t *tt, struct tm *tm_buf) {
  return gmtime_r(tt, tm_buf);
}

/* mbedtls's millisecond clock (MBEDTLS_PLATFORM_MS_TIME_ALT; TLS 1.3 times
 * session tickets with it): the tick counter, which needs no calendar. */
int64_t mbedtls_ms_time(void);
int64_t mbedtls_ms_time(void) {
  return (int64_t)ticks;
}
