/*
 * uart_pl011.c - ARM PL011 UART, polled (UART0 of the Stellaris LM3S6965).
 *
 * Init only makes sure the UART, its transmitter and receiver are on. It must
 * not touch the line control register: switching the FIFOs on or off flushes
 * them, and the gateway's SETTINGS frame can already be waiting in the receive
 * register when we get here (QEMU connects the serial line before the CPU
 * starts). Without FIFOs the PL011 holds one byte, which QEMU only replaces
 * once it has been read, so polling loses nothing. A real board sets the baud
 * rate and frame format in its early init, before the link is up.
 */
#include "port_cm.h"

#define REG(base, off) (*(volatile uint32_t *)((base) + (off)))
#define DR 0x000u
#define FR 0x018u
#define CR 0x030u
#define FR_RXFE (1u << 4)
#define FR_TXFF (1u << 5)
#define CR_UARTEN (1u << 0)
#define CR_TXE (1u << 8)
#define CR_RXE (1u << 9)

static void pl011_init(uintptr_t base) {
  REG(base, CR) |= CR_UARTEN | CR_TXE | CR_RXE;
}

static int pl011_tx_full(uintptr_t base) {
  return (REG(base, FR) & FR_TXFF) != 0;
}

static void pl011_tx(uintptr_t base, uint8_t byte) {
  REG(base, DR) = byte;
}

static int pl011_rx_ready(uintptr_t base) {
  return (REG(base, FR) & FR_RXFE) == 0;
}

static uint8_t pl011_rx(uintptr_t base) {
  return (uint8_t)REG(base, DR); /* bits 8-11 are error flags */
}

const port_uart_t port_uart_pl011 = {pl011_init, pl011_tx_full, pl011_tx, pl011_rx_ready, pl011_rx};
