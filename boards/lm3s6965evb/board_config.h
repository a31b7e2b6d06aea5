/*
 * TI Stellaris LM3S6965 (QEMU lm3s6965evb): 256 KB flash, 64 KB SRAM.
 * RAM budget (docs/footprint.md, tests/qemu/test_footprint_budget.sh): 48 KB
 * for .data + .bss + stack, of which the arena takes 28 KB.
 */
#ifndef BOARD_CONFIG_H
#define BOARD_CONFIG_H

/* nghttp2's whole session lives here. Its outbound frame buffer alone takes
 * 16 KB; a call peaks at about 23.5 KB (firmware-client --arena-stats). */
#define FC_ARENA_SIZE (28u * 1024u)

/* Core clock: QEMU runs the LM3S6965 at 12.5 MHz out of reset (RCC SYSDIV /16
 * of the 200 MHz PLL); a real board that raises it must change this. */
#define PORT_CPU_HZ 12500000u
#define PORT_STACK_SIZE (4u * 1024u) /* a call peaks at ~1.4 KB (stack painting) */

/* gRPC goes over UART0, a PL011. */
#define PORT_UART port_uart_pl011
#define PORT_UART_BASE 0x4000C000u

/* No TRNG on this board: the port's test-only generator (port/cortex-m/entropy.c). */
#define PORT_ENTROPY_TEST_ONLY 1

#endif
