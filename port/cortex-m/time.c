/*
 * time.c - the port's clock: SysTick interrupts once a millisecond.
 *
 * SysTick counts the core clock (CLKSOURCE = processor clock), whose rate the
 * board gives as PORT_CPU_HZ. Under QEMU the core clock is emulated against the
 * host's clock, so milliseconds here are the host's milliseconds: that is what
 * lets a test compare the board's deadlines with the host client's.
 */
#include <sys/time.h>

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

int _gettimeofday(struct timeval *tv, void *tz) {
  uint32_t ms = ticks;

  (void)tz;
  if (tv) {
    tv->tv_sec = (time_t)(ms / 1000u);
    tv->tv_usec = (suseconds_t)(ms % 1000u * 1000u);
  }
  return 0;
}
