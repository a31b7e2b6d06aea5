/*
 * uart_cmsdk.c - ARM CMSDK APB UART, polled (UART0 of the MPS2 FPGA images).
 * It holds one byte each way; QEMU only hands it the next byte once the
 * previous one is read, so nothing is lost while we poll.
 */
#include "port_cm.h"

#define REG(base, off) (*(volatile uint32_t *)((base) + (off)))
#define DATA 0x00u
#define STATE 0x04u
#define CTRL 0x08u
#define BAUDDIV 0x10u
#define STATE_TXFULL (1u << 0)
#define STATE_RXFULL (1u << 1)
#define CTRL_TXEN (1u << 0)
#define CTRL_RXEN (1u << 1)

static void cmsdk_init(uintptr_t base) {
  REG(base, BAUDDIV) = 16; /* the smallest legal divider; QEMU ignores the rate */
  REG(base, CTRL) = CTRL_TXEN | CTRL_RXEN;
}

static int cmsdk_tx_full(uintptr_t base) {
  return (REG(base, STATE) & STATE_TXFULL) != 0;
}

static void cmsdk_tx(uintptr_t base, uint8_t byte) {
  REG(base, DATA) = byte;
}

static int cmsdk_rx_ready(uintptr_t base) {
  return (REG(base, STATE) & STATE_RXFULL) != 0;
}

static uint8_t cmsdk_rx(uintptr_t base) {
  return (uint8_t)REG(base, DATA);
}

const port_uart_t port_uart_cmsdk = {cmsdk_init, cmsdk_tx_full, cmsdk_tx, cmsdk_rx_ready, cmsdk_rx};
