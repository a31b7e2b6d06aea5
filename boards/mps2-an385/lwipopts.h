/*
 * lwipopts.h - lwIP's sizes on the MPS2 AN385 (4 MB of data RAM): full-size
 * segments and windows of four of them. docs/footprint.md gives what they
 * take; the protocol choices are the port's (port/cortex-m/lwipopts_cm.h).
 */
#ifndef LWIPOPTS_H
#define LWIPOPTS_H

#define TCP_MSS 1460
#define TCP_WND (4 * TCP_MSS)
#define TCP_SND_BUF (4 * TCP_MSS)
#define TCP_SND_QUEUELEN 16
#define MEMP_NUM_TCP_SEG 24
#define TCP_OOSEQ_MAX_PBUFS 4
#define MEMP_NUM_TCP_PCB 2 /* the connection, and the last one closing */
#define MEMP_NUM_UDP_PCB 2 /* DHCP, DNS */
#define MEMP_NUM_PBUF 4
#define PBUF_POOL_SIZE 12
#define MEM_SIZE (8 * 1024)

#include "lwipopts_cm.h"

#endif
