/*
 * time.c - the port's clock, SysTick interrupting once a millisecond, and the
 * date (port_utc_seconds) counted on from it.
 *
 * SysTick counts the core clock (CLKSOURCE = processor clock), whose rate the
 * board gives as PORT_CPU_HZ. Under QEMU the core clock is emulated against the
 * host's clock, so milliseconds here are the host's milliseconds: that is what
 * lets a test compare the board's deadlines with the host client's. (QEMU
 * loses the ticks it could not deliver while it waited for a host core, so
 * the tests run it ahead of the others: docs/boards.md.)
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

/* Sleeps until SysTick has counted ms: wfi between its interrupts, and the
 * network's work (lwIP's timers, ARP's answers) done at each. */
void port_sleep_ms(uint32_t ms) {
  uint32_t start = ticks;
  while (ticks - start < ms) {
    port_net_poll();
    __asm__ volatile("wfi");
  }
}

/* The date: the board has no RTC, so it asks the debug host once through
 * semihosting SYS_TIME (seconds since 1970) and counts on from there with
 * SysTick; with no host answering, time starts at 0 (1970). A board with an
 * RTC reads it here instead. */
int64_t port_utc_seconds(void) {
  static int32_t epoch = -1; /* the date at reset; SYS_TIME's is 32 bits */
  uint32_t up = ticks / 1000u;
  if (epoch < 0) {
    int32_t t = port_sh_call(0x11 /* SYS_TIME */, NULL);
    epoch = t > 0 ? t - (int32_t)up : 0;
  }
  return (int64_t)epoch + up;
}

/* newlib's gettimeofday() and time(), which nghttp2 calls, ask here: the date,
 * to the second (port_time_ms is the clock for anything finer). */
int _gettimeofday(struct timeval *tv, void *tz) {
  (void)tz;
  if (tv) {
    tv->tv_sec = (time_t)port_utc_seconds();
    tv->tv_usec = 0;
  }
  return 0;
}
