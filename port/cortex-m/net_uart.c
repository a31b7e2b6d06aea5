/*
 * net.c - the transport over the board's UART: the serial line is the
 * connection (QEMU's -serial tcp: carries it to the gateway), so the address
 * is ignored and "opening" only sets the UART up.
 */
#include "port.h"
#include "port_cm.h"

struct port_net {
  const port_uart_t *uart;
  uintptr_t base;
};

static port_net_t uart_net;

/* Blocks until every byte is in the UART: it drains by itself. */
static int32_t uart_send(port_net_t *net, const uint8_t *buf, size_t len) {
  if (!buf) return PORT_ERR_ARG;
  if (len > INT32_MAX) len = INT32_MAX;
  for (size_t i = 0; i < len; i++) {
    while (net->uart->tx_full(net->base)) {
    }
    net->uart->tx(net->base, buf[i]);
  }
  return (int32_t)len;
}

/* The UARTs run without FIFOs (one byte held, see uart_pl011.c) and without
 * interrupts, so the line is polled: busily for the first few milliseconds of
 * a wait, while a burst is still arriving (sleeping between its bytes would
 * cap the line at one byte per tick), then with WFI, which SysTick ends every
 * millisecond: an idle wait, such as a 4 s deadline, costs no CPU. */
#define SPIN_MS 2u

/* Waits for the first byte, then takes what has already arrived. */
static int32_t uart_recv(port_net_t *net, uint8_t *buf, size_t len, uint32_t timeout_ms) {
  uint32_t start = port_time_ms(), waited;
  size_t n = 0;

  if (!buf) return PORT_ERR_ARG;
  if (len > INT32_MAX) len = INT32_MAX;
  while (!net->uart->rx_ready(net->base)) {
    waited = port_time_ms() - start;
    if (waited >= timeout_ms) return 0;
    if (waited >= SPIN_MS) __asm__ volatile("wfi");
  }
  while (n < len && net->uart->rx_ready(net->base))
    buf[n++] = net->uart->rx(net->base);
  return (int32_t)n;
}

int port_net_open(port_transport_t *t, const char *host, uint16_t port, uint32_t timeout_ms) {
  (void)host;
  (void)port;
  (void)timeout_ms;
  if (!t) return PORT_ERR_ARG;
  uart_net.uart = &PORT_UART;
  uart_net.base = PORT_UART_BASE;
  uart_net.uart->init(uart_net.base);
  t->net = &uart_net;
  t->send = uart_send;
  t->recv = uart_recv;
  t->why = NULL;
  return PORT_OK;
}

void port_net_close(port_transport_t *t) {
  if (t) t->net = NULL;
}

/* The serial line has no address of its own to set. */
int port_net_config(const char *ip, const char *gw, const char *dns) {
  return ip || gw || dns ? PORT_ERR_ARG : PORT_OK;
}

/* Nothing runs behind the serial line's back. */
void port_net_poll(void) {}
