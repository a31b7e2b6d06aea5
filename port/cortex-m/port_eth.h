/*
 * port_eth.h - an Ethernet controller as the lwIP transport (net_lwip.c)
 * drives it. A board with NET=lwip names its driver in board_config.h:
 *   PORT_ETH        the driver (a port_eth_t)
 *   PORT_ETH_BASE   its register base
 *   PORT_ETH_IRQ    its interrupt number (the NVIC's, from 0)
 *
 * Drivers copy frames between the controller's FIFO and pbufs; lwIP's
 * netif glue, ARP and the interrupt's wake-up are net_lwip.c's. A driver
 * never allocates but from lwIP's PBUF_POOL, and never waits unbounded.
 */
#ifndef PORT_ETH_H
#define PORT_ETH_H

#include <stdint.h>

struct pbuf;

typedef struct port_eth {
  /* Resets the controller, reads its MAC address (QEMU's -nic mac=) into
   * mac, and starts receive and transmit with the receive interrupt masked.
   * Returns 0, or <0 if no controller answers at base. */
  int (*init)(uintptr_t base, uint8_t mac[6]);
  /* Sends one frame: the chain p, p->tot_len bytes from the destination
   * address on, without the FCS (the controller adds it and pads). Waits, a
   * bounded time, for room in the transmit FIFO. Returns 0 or <0. */
  int (*tx)(uintptr_t base, const struct pbuf *p);
  /* Takes the next received frame: returns 1 and sets *out to it (a
   * PBUF_POOL chain without the FCS), or to NULL when no pbuf could hold it
   * (the frame is read out and dropped); returns 0 when none is waiting. */
  int (*rx)(uintptr_t base, struct pbuf **out);
  /* enable 0: masks the receive interrupt and acknowledges it (the ISR's
   * call, before the main loop drains the frames); enable 1: unmasks it, so
   * that a frame received since the acknowledgement raises it at once. */
  void (*irq)(uintptr_t base, int enable);
} port_eth_t;

extern const port_eth_t port_eth_stellaris; /* Stellaris LM3S6965 MAC (lm3s6965evb) */
extern const port_eth_t port_eth_lan9118;   /* SMSC LAN9118 (mps2-an385) */

#endif /* PORT_ETH_H */
