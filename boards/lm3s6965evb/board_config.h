/*
 * TI Stellaris LM3S6965 (QEMU lm3s6965evb): 256 KB flash, 64 KB SRAM.
 * Budgets (docs/footprint.md, tests/qemu/test_footprint_budget.sh), flash
 * (text + data) and RAM (.data + .bss + stack): 96 KB and 48 KB for the
 * plaintext build (FC_TLS=no: an arena of 28 KB), 200 KB and 64 KB with TLS
 * (an arena of 40 KB and a 6 KB stack).
 */
#ifndef BOARD_CONFIG_H
#define BOARD_CONFIG_H

#include "../cortex-m-sizes.h" /* arena, stack and TLS sizes, shared with the other small board */

/* Core clock: QEMU runs the LM3S6965 at 12.5 MHz out of reset (RCC SYSDIV /16
 * of the 200 MHz PLL); a real board that raises it must change this. */
#define PORT_CPU_HZ 12500000u
/* gRPC goes over UART0, a PL011. */
#define PORT_UART port_uart_pl011
#define PORT_UART_BASE 0x4000C000u

/* NET=lwip: its Ethernet MAC (QEMU's stellaris_enet, -nic). */
#define PORT_ETH port_eth_stellaris
#define PORT_ETH_BASE 0x40048000u
#define PORT_ETH_IRQ 42

/* Its TLS image fills the 200 KB flash budget: no retry policy (--retry). */
#define FC_RETRY 0

/* No TRNG on this board: the port's test-only generator (port/cortex-m/entropy.c). */
#define PORT_ENTROPY_TEST_ONLY 1

#endif
