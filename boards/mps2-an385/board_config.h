/*
 * ARM MPS2 with the AN385 image (QEMU mps2-an385): Cortex-M3, 4 MB code and
 * 4 MB data RAM. Memory is plentiful; the sizes match lm3s6965evb so that both
 * boards run the same client configuration.
 */
#ifndef BOARD_CONFIG_H
#define BOARD_CONFIG_H

#include "../cortex-m-sizes.h" /* arena, stack and TLS sizes, shared with the other small board */

/* Core clock: the AN385 FPGA image runs at 25 MHz (QEMU's too). */
#define PORT_CPU_HZ 25000000u
/* gRPC goes over UART0, a CMSDK APB UART. */
#define PORT_UART port_uart_cmsdk
#define PORT_UART_BASE 0x40004000u

/* NET=lwip: its SMSC LAN9118 (QEMU's lan9118, -nic). */
#define PORT_ETH port_eth_lan9118
#define PORT_ETH_BASE 0x40200000u
#define PORT_ETH_IRQ 13

/* No TRNG on this board: the port's test-only generator (port/cortex-m/entropy.c). */
#define PORT_ENTROPY_TEST_ONLY 1

#endif
