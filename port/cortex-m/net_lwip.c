/*
 * net_lwip.c - the transport over TCP/IP: lwIP's raw API (NO_SYS) on the
 * board's Ethernet controller (port_eth.h), one TCP connection at a time.
 *
 * lwIP runs only here, in the main loop: every wait polls the controller,
 * feeds its frames to lwIP and runs lwIP's timers, then sleeps with WFI until
 * SysTick or the controller's receive interrupt. The interrupt handler only
 * masks itself and flags the loop (NET_ETH_POLLED builds use no interrupt
 * and notice frames at the next SysTick; docs/boards.md compares the two).
 *
 * The network comes up at the first port_net_open: the address that
 * port_net_config set, or DHCP's lease (the wait counts against that first
 * connection's budget).
 */
#include <string.h>

#include "lwip/dhcp.h"
#include "lwip/dns.h"
#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "lwip/memp.h"
#include "lwip/pbuf.h"
#include "lwip/priv/memp_priv.h"
#include "lwip/stats.h"
#include "lwip/sys.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"
#include "port.h"
#include "port_cm.h"
#include "port_eth.h"

#if !defined(PORT_ETH) || !defined(PORT_ETH_BASE) || !defined(PORT_ETH_IRQ)
#error "board_config.h: NET=lwip needs PORT_ETH, PORT_ETH_BASE and PORT_ETH_IRQ"
#endif

#define SEND_WAIT_MS 50u /* a full send buffer waits this long for ACKs, then says 0 */
#define RX_BURST 16      /* frames taken per poll, so timers still run under a flood */

enum { NET_IDLE, NET_CONNECTING, NET_OPEN, NET_EOF, NET_FAILED };

/* What TCP has received and the client not yet read: a ring of one
 * receive window, so that the pbufs go back to the pool as soon as lwIP
 * hands them over (a window of small segments would otherwise hold a pool
 * buffer each, and a dry pool drops frames until TCP sends them again).
 * The window reopens (tcp_recved) as the ring is read, so what TCP accepts
 * always fits. */
#define RX_RING TCP_WND

struct port_net {
  struct tcp_pcb *pcb;
  uint8_t ring[RX_RING];
  uint16_t head, len; /* the oldest unread byte, and how many */
  uint8_t state;
  err_t err; /* why, when NET_FAILED */
};

static port_net_t conn;
static struct netif nif;
static struct {
  ip4_addr_t ip, mask, gw, dns;
  uint8_t fixed, has_gw, has_dns;
} setup;
static uint8_t started;
static volatile uint8_t eth_pending;

/* ---- the stack's clock, randomness and assertions (arch/cc.h) ---- */

u32_t sys_now(void) {
  return port_time_ms();
}

uint32_t port_lwip_rand(void) {
  uint32_t r = 0;
  (void)port_entropy((uint8_t *)&r, sizeof r);
  return r;
}

void port_lwip_assert(const char *msg) {
  static const char head[] = "firmware-client: lwip: ";
  port_console_write(2, head, sizeof head - 1);
  port_console_write(2, msg, strlen(msg));
  port_console_write(2, "\n", 1);
  port_sh_exit(70);
}

/* ---- the controller as lwIP's netif ---- */

static err_t eth_output(struct netif *n, struct pbuf *p) {
  (void)n;
  return PORT_ETH.tx(PORT_ETH_BASE, p) == 0 ? ERR_OK : ERR_IF;
}

static uint8_t mac[6];

static err_t eth_netif_init(struct netif *n) {
  n->name[0] = 'e';
  n->name[1] = 'n';
  n->hwaddr_len = ETH_HWADDR_LEN;
  memcpy(n->hwaddr, mac, sizeof mac);
  n->mtu = 1500;
  n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_LINK_UP;
  n->output = etharp_output;
  n->linkoutput = eth_output;
  return ERR_OK;
}

/* The controller's interrupt: mask it and let the main loop drain. */
void port_eth_isr(void) {
  PORT_ETH.irq(PORT_ETH_BASE, 0);
  eth_pending = 1;
}

#define NVIC_ISER ((volatile uint32_t *)0xE000E100u)
#define NVIC_ICPR ((volatile uint32_t *)0xE000E280u)

void port_net_poll(void) {
  struct pbuf *p;
  int n = 0;

  if (!started) return;
  while (n < RX_BURST && PORT_ETH.rx(PORT_ETH_BASE, &p) > 0) {
    n++;
    if (p && nif.input(p, &nif) != ERR_OK) pbuf_free(p);
  }
#ifndef NET_ETH_POLLED
  if (eth_pending && n < RX_BURST) { /* drained: let the next frame wake us */
    eth_pending = 0;
    PORT_ETH.irq(PORT_ETH_BASE, 1);
  }
#endif
  sys_check_timeouts();
}

/* Sleeps until an interrupt: SysTick's millisecond, or a frame. Interrupts
 * are off between the check and WFI, which they still end, so a frame that
 * arrives in between is not slept through. */
static void net_sleep(void) {
  __asm__ volatile("cpsid i" ::: "memory");
  if (!eth_pending) __asm__ volatile("wfi");
  __asm__ volatile("cpsie i" ::: "memory");
}

static int elapsed(uint32_t start, uint32_t ms) {
  return port_time_ms() - start >= ms;
}

int port_net_config(const char *ip, const char *gw, const char *dns) {
  char addr[16];
  const char *slash;
  uint32_t bits = 0;

  if (started) return PORT_ERR_ARG; /* the network is already up */
  if (ip) {
    slash = strchr(ip, '/');
    if (!slash || (size_t)(slash - ip) >= sizeof addr || !slash[1]) return PORT_ERR_ARG;
    memcpy(addr, ip, (size_t)(slash - ip));
    addr[slash - ip] = '\0';
    for (const char *d = slash + 1; *d; d++) {
      if (*d < '0' || *d > '9' || (bits = bits * 10u + (uint32_t)(*d - '0')) > 32u)
        return PORT_ERR_ARG;
    }
    if (bits == 0 || !ip4addr_aton(addr, &setup.ip)) return PORT_ERR_ARG;
    ip4_addr_set_u32(&setup.mask, lwip_htonl(bits == 32 ? 0xffffffffu : ~(0xffffffffu >> bits)));
    setup.fixed = 1;
  }
  if (gw) {
    if (!ip4addr_aton(gw, &setup.gw)) return PORT_ERR_ARG;
    setup.has_gw = 1;
  }
  if (dns) {
    if (!ip4addr_aton(dns, &setup.dns)) return PORT_ERR_ARG;
    setup.has_dns = 1;
  }
  return PORT_OK;
}

/* Starts lwIP and the controller once. */
static int net_start(void) {
  if (started) return PORT_OK;
  if (PORT_ETH.init(PORT_ETH_BASE, mac) < 0) return PORT_ERR_IO;
  lwip_init();
  if (!netif_add(&nif, setup.fixed ? &setup.ip : IP4_ADDR_ANY4, &setup.mask, &setup.gw, NULL,
                 eth_netif_init, ethernet_input))
    return PORT_ERR_IO;
  netif_set_default(&nif);
  netif_set_up(&nif);
  if (!setup.fixed && dhcp_start(&nif) != ERR_OK) return PORT_ERR_IO;
  started = 1;
#ifndef NET_ETH_POLLED
  /* a level the controller held before init (the LAN9118's line idles
   * high until its polarity is set) left the interrupt pending: clear it */
  NVIC_ICPR[PORT_ETH_IRQ / 32] = 1u << (PORT_ETH_IRQ % 32);
  NVIC_ISER[PORT_ETH_IRQ / 32] = 1u << (PORT_ETH_IRQ % 32);
  PORT_ETH.irq(PORT_ETH_BASE, 1);
#endif
  return PORT_OK;
}

/* The address is there: the fixed one, or DHCP's lease (whose gateway and
 * DNS server --gw and --dns override). */
static int net_ready(void) {
  if (setup.fixed) return 1;
  if (!dhcp_supplied_address(&nif)) return 0;
  if (setup.has_gw) netif_set_gw(&nif, &setup.gw);
  return 1;
}

static volatile uint8_t dns_done;
static ip4_addr_t dns_addr;

static void on_dns(const char *name, const ip_addr_t *addr, void *arg) {
  (void)name;
  (void)arg;
  if (addr) ip4_addr_copy(dns_addr, *ip_2_ip4(addr));
  dns_done = addr ? 1 : 2;
}

/* host as an address, or looked up through DNS. */
static int resolve(const char *host, ip4_addr_t *out, uint32_t start, uint32_t budget) {
  ip_addr_t a;
  err_t e;

  if (ip4addr_aton(host, out)) return PORT_OK;
  if (setup.has_dns) dns_setserver(0, &setup.dns);
  dns_done = 0;
  e = dns_gethostbyname(host, &a, on_dns, NULL);
  if (e == ERR_OK) {
    ip4_addr_copy(*out, *ip_2_ip4(&a));
    return PORT_OK;
  }
  if (e != ERR_INPROGRESS) return PORT_ERR_RESOLVE;
  while (!dns_done) {
    if (elapsed(start, budget)) return PORT_ERR_TIMEOUT;
    port_net_poll();
    if (!dns_done) net_sleep();
  }
  if (dns_done != 1) return PORT_ERR_RESOLVE;
  *out = dns_addr;
  return PORT_OK;
}

/* ---- memory marks ---- */

static const char *const pool_names[] = {
#define LWIP_MEMPOOL(name, num, size, desc) #name,
#include "lwip/priv/memp_std.h"
};

int port_net_marks(port_mark_t *marks, int n) {
  int k = 0;
  if (k < n) {
    marks[k].name = "heap (bytes)";
    marks[k].used = lwip_stats.mem.max;
    marks[k++].size = MEM_SIZE;
  }
  for (int i = 0; i < MEMP_MAX && k < n; i++) {
    marks[k].name = pool_names[i];
    marks[k].used = memp_pools[i]->stats->max;
    marks[k++].size = memp_pools[i]->num;
  }
  return k;
}

/* ---- the connection ---- */

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err) {
  uint16_t at;
  (void)arg;
  (void)pcb;
  (void)err;
  if (!p) { /* the peer's FIN: what is in the ring is still read */
    if (conn.state == NET_OPEN) conn.state = NET_EOF;
    return ERR_OK;
  }
  if (p->tot_len > RX_RING - conn.len) return ERR_MEM; /* lwIP keeps it and offers it again */
  at = (uint16_t)((conn.head + conn.len) % RX_RING);
  for (struct pbuf *q = p; q; q = q->next) {
    const uint8_t *b = q->payload;
    uint16_t n = q->len, first = (uint16_t)(RX_RING - at < n ? RX_RING - at : n);
    memcpy(conn.ring + at, b, first);
    memcpy(conn.ring, b + first, (size_t)(n - first));
    at = (uint16_t)((at + n) % RX_RING);
    conn.len = (uint16_t)(conn.len + n);
    if (q->len == q->tot_len) break;
  }
  pbuf_free(p);
  return ERR_OK;
}

/* lwIP has freed the pcb: a reset, or too many retransmissions. */
static void on_err(void *arg, err_t err) {
  (void)arg;
  conn.pcb = NULL;
  conn.err = err;
  conn.state = NET_FAILED;
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err) {
  (void)arg;
  (void)pcb;
  if (err == ERR_OK) conn.state = NET_OPEN;
  return ERR_OK;
}

static int32_t net_send(port_net_t *net, const uint8_t *buf, size_t len) {
  uint32_t start = port_time_ms();

  if (!buf) return PORT_ERR_ARG;
  for (;;) {
    if (net->state == NET_FAILED || !net->pcb) return PORT_ERR_IO;
    u16_t room = tcp_sndbuf(net->pcb);
    if (room > 0 && tcp_sndqueuelen(net->pcb) < TCP_SND_QUEUELEN) {
      u16_t n = (u16_t)(len < room ? len : room);
      err_t e = tcp_write(net->pcb, buf, n, TCP_WRITE_FLAG_COPY);
      if (e == ERR_OK) {
        tcp_output(net->pcb);
        return (int32_t)n;
      }
      if (e != ERR_MEM) return PORT_ERR_IO;
    }
    /* No room: take the peer's ACKs in for a while. */
    if (elapsed(start, SEND_WAIT_MS)) return 0;
    port_net_poll();
    net_sleep();
  }
}

static int32_t net_recv(port_net_t *net, uint8_t *buf, size_t len, uint32_t timeout_ms) {
  uint32_t start = port_time_ms();
  uint16_t n, first;

  if (!buf) return PORT_ERR_ARG;
  for (;;) {
    port_net_poll();
    if (net->len) break;
    if (net->state == NET_EOF) return PORT_ERR_CLOSED;
    if (net->state != NET_OPEN) return PORT_ERR_IO;
    if (elapsed(start, timeout_ms)) return 0;
    net_sleep();
  }
  n = (uint16_t)(len < net->len ? len : net->len);
  first = (uint16_t)(RX_RING - net->head < n ? RX_RING - net->head : n);
  memcpy(buf, net->ring + net->head, first);
  memcpy(buf + first, net->ring, (size_t)(n - first));
  net->head = (uint16_t)((net->head + n) % RX_RING);
  net->len = (uint16_t)(net->len - n);
  if (net->pcb) tcp_recved(net->pcb, n);
  return (int32_t)n;
}

static void drop(port_net_t *net) {
  if (net->pcb) {
    tcp_arg(net->pcb, NULL);
    tcp_recv(net->pcb, NULL); /* lwIP's default frees what still arrives */
    tcp_err(net->pcb, NULL);
    if (tcp_close(net->pcb) != ERR_OK) tcp_abort(net->pcb);
    net->pcb = NULL;
  }
  net->head = net->len = 0;
  net->state = NET_IDLE;
}

int port_net_open(port_transport_t *t, const char *host, uint16_t port, uint32_t timeout_ms) {
  uint32_t start = port_time_ms();
  ip4_addr_t addr;
  int rc;

  if (!t || !host) return PORT_ERR_ARG;
  drop(&conn);
  if ((rc = net_start()) != PORT_OK) return rc;
  while (!net_ready()) {
    if (elapsed(start, timeout_ms)) return PORT_ERR_TIMEOUT;
    port_net_poll();
    net_sleep();
  }
  if ((rc = resolve(host, &addr, start, timeout_ms)) != PORT_OK) return rc;
  conn.pcb = tcp_new();
  if (!conn.pcb) return PORT_ERR_IO;
  conn.state = NET_CONNECTING;
  tcp_nagle_disable(conn.pcb); /* HTTP/2 frames go out as the core writes them */
  tcp_recv(conn.pcb, on_recv);
  tcp_err(conn.pcb, on_err);
  if (tcp_connect(conn.pcb, &addr, port, on_connected) != ERR_OK) {
    drop(&conn);
    return PORT_ERR_IO;
  }
  while (conn.state == NET_CONNECTING) {
    if (elapsed(start, timeout_ms)) {
      drop(&conn);
      return PORT_ERR_TIMEOUT;
    }
    port_net_poll();
    if (conn.state == NET_CONNECTING) net_sleep();
  }
  if (conn.state != NET_OPEN) {
    rc = conn.err == ERR_RST ? PORT_ERR_REFUSED : PORT_ERR_IO;
    drop(&conn);
    return rc;
  }
  t->net = &conn;
  t->send = net_send;
  t->recv = net_recv;
  t->why = NULL;
  return PORT_OK;
}

void port_net_close(port_transport_t *t) {
  if (!t || !t->net) return;
  drop(t->net);
  port_net_poll(); /* the FIN goes out now */
  t->net = NULL;
}
