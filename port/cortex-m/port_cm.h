/*
 * port_cm.h - internals shared by the files of the bare-metal Cortex-M port.
 *
 * The board describes its hardware in board_config.h (boards/<name>/):
 *   PORT_CPU_HZ        core clock, which drives SysTick
 *   PORT_UART          the driver of the UART that carries gRPC (a port_uart_t)
 *   PORT_UART_BASE     that UART's register base
 *   PORT_STACK_SIZE    bytes of main stack (optional)
 *   PORT_ENTROPY_HW    a TRNG read function, or PORT_ENTROPY_TEST_ONLY
 */
#ifndef PORT_CM_H
#define PORT_CM_H

#include <stddef.h>
#include <stdint.h>

#include "board_config.h"

#ifndef PORT_CPU_HZ
#error "board_config.h: define PORT_CPU_HZ, the core clock that drives SysTick"
#endif
#if !defined(PORT_UART) || !defined(PORT_UART_BASE)
#error "board_config.h: define PORT_UART (a port_uart_t driver) and PORT_UART_BASE"
#endif
#ifndef PORT_STACK_SIZE
#define PORT_STACK_SIZE (8u * 1024u)
#endif

/* A polled UART driver; the board picks one with PORT_UART. Both drivers are
 * always compiled: --gc-sections drops the one the board does not use. */
typedef struct port_uart {
  void (*init)(uintptr_t base);
  int (*tx_full)(uintptr_t base);
  void (*tx)(uintptr_t base, uint8_t byte);
  int (*rx_ready)(uintptr_t base);
  uint8_t (*rx)(uintptr_t base);
} port_uart_t;

extern const port_uart_t port_uart_pl011; /* ARM PL011 (Stellaris, QEMU lm3s6965evb) */
extern const port_uart_t port_uart_cmsdk; /* ARM CMSDK APB UART (MPS2 boards) */

/* Semihosting (ARM's "Semihosting for AArch32 and AArch64"): works under QEMU
 * with -semihosting-config enable=on, and under a debug probe. Without a host
 * to answer, bkpt 0xab faults: these boards need one. */
enum {
  PORT_SH_OPEN = 0x01,
  PORT_SH_CLOSE = 0x02,
  PORT_SH_WRITE = 0x05,
  PORT_SH_READ = 0x06,
  PORT_SH_FLEN = 0x0C,
  PORT_SH_GET_CMDLINE = 0x15,
  PORT_SH_EXIT_EXTENDED = 0x20,
};

/* Issues semihosting operation op with argument block arg; returns r0. */
int32_t port_sh_call(uint32_t op, void *arg);

/* Ends the program: the host (QEMU) exits with status. */
void port_sh_exit(int status) __attribute__((noreturn));

/* Starts SysTick; port_time_ms counts from here. */
void port_time_init(void);

/* SysTick's interrupt handler. */
void port_systick_handler(void);

/* Does the network's pending work without waiting: the frames received, the
 * stack's timers (net_lwip.c); nothing on a serial line (net_uart.c). */
void port_net_poll(void);

/* The Ethernet controller's interrupt handler (net_lwip.c). */
void port_eth_isr(void);

/* newlib's hook under gettimeofday() and time() (nghttp2 uses it): the date
 * of port_utc_seconds, to the second. */
struct timeval;
int _gettimeofday(struct timeval *tv, void *tz);

#endif /* PORT_CM_H */
