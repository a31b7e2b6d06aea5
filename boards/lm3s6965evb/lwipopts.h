/*
 * lwipopts.h - lwIP's sizes on the LM3S6965 (64 KB of SRAM, shared with TLS's
 * arena): small segments, so that a few pool buffers hold a full window.
 * docs/footprint.md gives what they take; the protocol choices are the
 * port's (port/cortex-m/lwipopts_cm.h).
 */
#ifndef LWIPOPTS_H
#define LWIPOPTS_H

/* TCP: segments of 536 bytes (IPv4's default MSS) in both directions; the
 * peer may have 4 of them in flight towards us, we 2 towards it. */
#define TCP_MSS 536
#define TCP_WND (4 * TCP_MSS)
#define TCP_SND_BUF (2 * TCP_MSS)
#define TCP_SND_QUEUELEN 6
#define MEMP_NUM_TCP_SEG 8
#define TCP_OOSEQ_MAX_PBUFS 2
#define MEMP_NUM_TCP_PCB 2 /* the connection, and the last one closing */
#define MEMP_NUM_UDP_PCB 2 /* DHCP, DNS */
#define MEMP_NUM_PBUF 2
/* Received frames, in pool buffers of 256 bytes (a full segment's frame
 * takes three, an ACK or a short HTTP/2 frame one) that go back to the pool
 * as soon as TCP has them: net_lwip.c copies what they carry into its ring
 * of one window. The pool holds a frame on its way in and what TCP keeps
 * out of order. */
#define PBUF_POOL_SIZE 5
#define PBUF_POOL_BUFSIZE 256
/* lwIP's check that the pool can hold a whole window assumes the
 * application keeps the pbufs; ours does not (the ring holds the window). */
#define LWIP_DISABLE_TCP_SANITY_CHECKS 1
/* lwIP's heap: the copies tcp_write keeps until they are acknowledged,
 * and DHCP's and DNS's packets. */
#define MEM_SIZE 2048 /* mutual TLS peaks at 1.4 KB */

#include "lwipopts_cm.h"

#endif
