/*
 * eth_lan9118.c - the SMSC LAN9118 (QEMU's lan9118, the MPS2 boards'
 * Ethernet), polled through its FIFOs, one 32-bit word at a time.
 *
 * Receive: the RX status FIFO holds one word per frame (its length, FCS
 * included, and an error bit); the RX data FIFO holds the frame and its FCS,
 * little-endian, padded to a whole word. Transmit: TX command A and B, then
 * the frame's words; the chip adds the FCS and one TX status word per frame.
 *
 * What QEMU's model (hw/net/lan9118.c, 7.2) makes this driver do:
 * - its interrupt line is active low unless IRQ_CFG asks for active-high
 *   push-pull, and the MPS2 wires it straight to the NVIC: IRQ_POL|IRQ_TYPE;
 * - RSFL is set when a frame arrives, not while the FIFO stays above the
 *   level, so it is acknowledged only on masking (irq(0)): a frame that
 *   arrives after the main loop's last look still raises it on unmasking;
 * - out of reset MAC_CR is promiscuous: init writes it without PRMS;
 * - RX_DP_CTRL's fast-forward skips the data but not the FIFO's count, so
 *   a frame that is dropped is read out instead;
 * - TX_FIFO_INF's free space counts words there, bytes on the chip: read as
 *   bytes, an empty FIFO holds a frame either way;
 * - only 32-bit accesses (no 16-bit mode here; WORD_SWAP is ignored).
 * No PHY set-up: the model's link follows the -nic and its MAC ignores it.
 */
#include "lwip/pbuf.h"
#include "port_eth.h"

#define REG(base, off) (*(volatile uint32_t *)((base) + (off)))
#define RX_DATA 0x00u
#define TX_DATA 0x20u
#define RX_STATUS 0x40u
#define TX_STATUS 0x48u
#define IRQ_CFG 0x54u
#define INT_STS 0x58u
#define INT_EN 0x5cu
#define BYTE_TEST 0x64u
#define TX_CFG 0x70u
#define HW_CFG 0x74u
#define RX_FIFO_INF 0x7cu
#define TX_FIFO_INF 0x80u
#define PMT_CTRL 0x84u
#define MAC_CSR_CMD 0xa4u
#define MAC_CSR_DATA 0xa8u

#define BYTE_TEST_VALUE 0x87654321u
#define IRQ_CFG_EN 0x100u
#define IRQ_CFG_POL 0x10u  /* active high */
#define IRQ_CFG_TYPE 0x01u /* push-pull */
#define INT_RSFL 0x08u     /* RX status FIFO above its level (FIFO_INT's reset level: 0) */
#define TX_CFG_ON 0x02u
#define TX_CFG_SAO 0x04u /* a full TX status FIFO does not stop transmission */
#define HW_CFG_SRST 0x01u
#define PMT_READY 0x01u
#define CSR_BUSY 0x80000000u
#define CSR_READ 0x40000000u

#define MAC_CR 1u
#define MAC_ADDRH 2u
#define MAC_ADDRL 3u
#define MAC_CR_TXEN 0x08u
#define MAC_CR_RXEN 0x04u

#define RX_STS_ES 0x8000u /* error summary: the frame is bad */
#define TX_CMDA_FIRST 0x2000u
#define TX_CMDA_LAST 0x1000u

#define FRAME_MIN 14u
#define FRAME_MAX 1514u /* without the FCS */
#define FCS_LEN 4u
#define SPINS 100000u /* register waits: the chip answers in microseconds */

static unsigned words(unsigned bytes) {
  return (bytes + 3u) / 4u;
}

/* Waits, bounded, until the bits of mask in register off read as want. */
static int wait_reg(uintptr_t base, uint32_t off, uint32_t mask, uint32_t want) {
  for (uint32_t spins = 0; spins < SPINS; spins++)
    if ((REG(base, off) & mask) == want) return 0;
  return -1;
}

/* One MAC CSR, through MAC_CSR_CMD/MAC_CSR_DATA. */
static int mac_read(uintptr_t base, uint32_t reg, uint32_t *val) {
  if (wait_reg(base, MAC_CSR_CMD, CSR_BUSY, 0) < 0) return -1;
  REG(base, MAC_CSR_CMD) = CSR_BUSY | CSR_READ | reg;
  if (wait_reg(base, MAC_CSR_CMD, CSR_BUSY, 0) < 0) return -1;
  *val = REG(base, MAC_CSR_DATA);
  return 0;
}

static int mac_write(uintptr_t base, uint32_t reg, uint32_t val) {
  if (wait_reg(base, MAC_CSR_CMD, CSR_BUSY, 0) < 0) return -1;
  REG(base, MAC_CSR_DATA) = val;
  REG(base, MAC_CSR_CMD) = CSR_BUSY | reg;
  return wait_reg(base, MAC_CSR_CMD, CSR_BUSY, 0);
}

static int eth_init(uintptr_t base, uint8_t mac[6]) {
  uint32_t lo, hi;

  /* BYTE_TEST answers even before the chip is ready. */
  if (REG(base, BYTE_TEST) != BYTE_TEST_VALUE) return -1;
  if (wait_reg(base, PMT_CTRL, PMT_READY, PMT_READY) < 0) return -1;
  REG(base, HW_CFG) = HW_CFG_SRST;
  if (wait_reg(base, HW_CFG, HW_CFG_SRST, 0) < 0) return -1;
  if (wait_reg(base, PMT_CTRL, PMT_READY, PMT_READY) < 0) return -1;

  REG(base, INT_EN) = 0;
  REG(base, INT_STS) = 0xffffffffu;
  REG(base, IRQ_CFG) = IRQ_CFG_EN | IRQ_CFG_POL | IRQ_CFG_TYPE;

  /* The reset reloaded the address from the EEPROM (QEMU's -nic mac=). */
  if (mac_read(base, MAC_ADDRL, &lo) < 0 || mac_read(base, MAC_ADDRH, &hi) < 0) return -1;
  for (int i = 0; i < 4; i++)
    mac[i] = (uint8_t)(lo >> (8 * i));
  mac[4] = (uint8_t)hi;
  mac[5] = (uint8_t)(hi >> 8);

  REG(base, TX_CFG) = TX_CFG_ON | TX_CFG_SAO;
  /* Our address and broadcast only: no PRMS, BCAST left 0. */
  return mac_write(base, MAC_CR, MAC_CR_TXEN | MAC_CR_RXEN);
}

/* The chain's bytes, packed little-endian into the TX data FIFO's words. */
static void pbuf_to_fifo(uintptr_t base, const struct pbuf *p) {
  uint32_t word = 0;
  unsigned have = 0;

  for (const struct pbuf *q = p; q; q = q->next) {
    const uint8_t *b = q->payload;
    for (uint16_t i = 0; i < q->len; i++) {
      word |= (uint32_t)b[i] << (8 * have);
      if (++have == 4) {
        REG(base, TX_DATA) = word;
        word = 0;
        have = 0;
      }
    }
    if (q->len == q->tot_len) break;
  }
  if (have) REG(base, TX_DATA) = word;
}

static int eth_tx(uintptr_t base, const struct pbuf *p) {
  uint32_t inf, need, len = p->tot_len;
  uint32_t spins = 0;

  if (len < FRAME_MIN || len > FRAME_MAX) return -1;
  need = 8u + 4u * words(len); /* the two commands and the data, in bytes */
  for (;;) {
    inf = REG(base, TX_FIFO_INF);
    /* The statuses of frames sent (QEMU keeps 512, then stops recording). */
    for (uint32_t n = (inf >> 16) & 0xffu; n > 0; n--)
      (void)REG(base, TX_STATUS);
    if ((inf & 0xffffu) >= need) break;
    if (++spins > SPINS) return -1;
  }
  REG(base, TX_DATA) = TX_CMDA_FIRST | TX_CMDA_LAST | len;
  REG(base, TX_DATA) = (len << 16) | len; /* packet tag (unused), then the length */
  pbuf_to_fifo(base, p);
  return 0;
}

/* Fills the chain p from the RX data FIFO; returns the words it read. */
static unsigned fifo_to_pbuf(uintptr_t base, struct pbuf *p) {
  uint32_t word = 0;
  unsigned have = 0, read = 0;

  for (struct pbuf *q = p; q; q = q->next) {
    uint8_t *b = q->payload;
    for (uint16_t i = 0; i < q->len; i++) {
      if (have == 0) {
        word = REG(base, RX_DATA);
        read++;
        have = 4;
      }
      b[i] = (uint8_t)word;
      word >>= 8;
      have--;
    }
  }
  return read;
}

static int eth_rx(uintptr_t base, struct pbuf **out) {
  uint32_t status, len;
  unsigned left;
  struct pbuf *p = NULL;

  *out = NULL;
  if (((REG(base, RX_FIFO_INF) >> 16) & 0xffu) == 0) return 0;
  status = REG(base, RX_STATUS);
  len = (status >> 16) & 0x3fffu; /* FCS included */
  left = words(len);
  if (!(status & RX_STS_ES) && len >= FRAME_MIN + FCS_LEN && len <= FRAME_MAX + FCS_LEN)
    p = pbuf_alloc(PBUF_RAW, (u16_t)(len - FCS_LEN), PBUF_POOL);
  if (p) left -= fifo_to_pbuf(base, p);
  /* The FCS and padding, or the whole frame when it is bad or no pbuf was
   * free: read out, so that the next frame starts on its own word. */
  while (left-- > 0)
    (void)REG(base, RX_DATA);
  *out = p;
  return 1;
}

static void eth_irq(uintptr_t base, int enable) {
  if (enable) {
    REG(base, INT_EN) = INT_RSFL;
  } else {
    REG(base, INT_EN) = 0;
    REG(base, INT_STS) = INT_RSFL;
  }
}

const port_eth_t port_eth_lan9118 = {eth_init, eth_tx, eth_rx, eth_irq};
