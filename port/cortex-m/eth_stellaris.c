/*
 * eth_stellaris.c - the LM3S6965's Ethernet MAC (QEMU's stellaris_enet),
 * polled through its FIFOs, one 32-bit word at a time.
 *
 * Receive FIFO: each frame starts with its length in the first two bytes
 * (the frame plus those two bytes plus the 4-byte FCS), then the frame, then
 * the FCS. Transmit FIFO: the first two bytes are the frame's length less
 * its 14-byte header, then the frame; writing TR's NEWTX bit sends it.
 */
#include "lwip/pbuf.h"
#include "port_eth.h"

#define REG(base, off) (*(volatile uint32_t *)((base) + (off)))
#define RIS 0x00u /* read: interrupt status; write: IACK */
#define IM 0x04u
#define RCTL 0x08u
#define TCTL 0x0cu
#define DATA 0x10u
#define IA0 0x14u
#define IA1 0x18u
#define NP 0x34u
#define TR 0x38u

#define INT_RX 0x01u
#define RCTL_RXEN 0x01u
#define RCTL_BADCRC 0x08u /* drop frames with a bad FCS */
#define RCTL_RSTFIFO 0x10u
#define TCTL_TXEN 0x01u
#define TCTL_PADEN 0x02u
#define TCTL_CRC 0x04u
#define TR_NEWTX 0x01u

/* The clock gates of a real chip (RCGC2: EMAC0 and EPHY0); QEMU ignores
 * them. */
#define SYSCTL_RCGC2 (*(volatile uint32_t *)0x400FE108u)
#define RCGC2_ETH ((1u << 28) | (1u << 30))

#define FRAME_MAX 1514u       /* without the FCS */
#define TX_WAIT_SPINS 100000u /* a frame leaves in microseconds: far more than enough */

static int eth_init(uintptr_t base, uint8_t mac[6]) {
  uint32_t a0, a1;

  SYSCTL_RCGC2 |= RCGC2_ETH;
  REG(base, IM) = 0; /* out of reset every source is unmasked */
  REG(base, RIS) = 0x7fu;
  REG(base, RCTL) = RCTL_RSTFIFO;
  a0 = REG(base, IA0);
  a1 = REG(base, IA1);
  for (int i = 0; i < 4; i++)
    mac[i] = (uint8_t)(a0 >> (8 * i));
  mac[4] = (uint8_t)a1;
  mac[5] = (uint8_t)(a1 >> 8);
  if ((a0 | (a1 & 0xffffu)) == 0) return -1; /* no address: no controller */
  REG(base, TCTL) = TCTL_TXEN | TCTL_PADEN | TCTL_CRC;
  REG(base, RCTL) = RCTL_RXEN | RCTL_BADCRC;
  return 0;
}

/* The chain's bytes, packed into the FIFO's words. */
static int eth_tx(uintptr_t base, const struct pbuf *p) {
  uint32_t word, spins = 0;
  unsigned have = 2;

  if (p->tot_len < 14 || p->tot_len > FRAME_MAX) return -1;
  while (REG(base, TR) & TR_NEWTX) /* the last frame is still going out */
    if (++spins > TX_WAIT_SPINS) return -1;
  word = (uint32_t)(p->tot_len - 14u);
  for (const struct pbuf *q = p; q; q = q->next) {
    const uint8_t *b = q->payload;
    for (uint16_t i = 0; i < q->len; i++) {
      word |= (uint32_t)b[i] << (8 * have);
      if (++have == 4) {
        REG(base, DATA) = word;
        word = 0;
        have = 0;
      }
    }
    if (q->len == q->tot_len) break;
  }
  if (have) REG(base, DATA) = word;
  REG(base, TR) = TR_NEWTX;
  return 0;
}

static int eth_rx(uintptr_t base, struct pbuf **out) {
  uint32_t word, left;
  unsigned have;
  uint16_t len;
  struct pbuf *p;

  if (REG(base, NP) == 0) return 0;
  word = REG(base, DATA);
  left = word & 0xffffu; /* bytes of this FIFO entry, the first word's included */
  *out = NULL;
  if (left < 6u + 14u || left > FRAME_MAX + 6u) { /* damaged: start the FIFO over */
    REG(base, RCTL) = RCTL_RSTFIFO;
    REG(base, RCTL) = RCTL_RXEN | RCTL_BADCRC;
    return 1;
  }
  len = (uint16_t)(left - 6u);
  p = pbuf_alloc(PBUF_RAW, len, PBUF_POOL);
  word >>= 16; /* the frame's first two bytes */
  have = 2;
  left = left > 4u ? left - 4u : 0u;
  for (struct pbuf *q = p; q; q = q->next) {
    uint8_t *b = q->payload;
    for (uint16_t i = 0; i < q->len; i++) {
      if (have == 0) {
        word = REG(base, DATA);
        left = left > 4u ? left - 4u : 0u;
        have = 4;
      }
      b[i] = (uint8_t)word;
      word >>= 8;
      have--;
    }
  }
  /* The rest of the entry (the FCS, or the whole frame when no pbuf was
   * free): read out, so that the next entry starts on its own word. */
  while (left > 0) {
    (void)REG(base, DATA);
    left = left > 4u ? left - 4u : 0u;
  }
  *out = p;
  return 1;
}

static void eth_irq(uintptr_t base, int enable) {
  if (enable) {
    REG(base, IM) = INT_RX;
  } else {
    REG(base, IM) = 0;
    REG(base, RIS) = INT_RX;
  }
}

const port_eth_t port_eth_stellaris = {eth_init, eth_tx, eth_rx, eth_irq};
