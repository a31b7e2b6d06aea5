/*
 * lwipopts_cm.h - what every Cortex-M board's lwIP is: bare metal (NO_SYS,
 * the raw API, driven from the main loop by port/cortex-m/net_lwip.c), no
 * heap but lwIP's own static pools, IPv4 with ARP, TCP, DHCP and DNS. A
 * board's lwipopts.h sets its sizes (memory, pools, TCP windows) first,
 * then includes this file.
 */
#ifndef LWIPOPTS_CM_H
#define LWIPOPTS_CM_H

#define NO_SYS 1
#define LWIP_TIMERS 1
/* lwIP runs only in the main loop: the Ethernet interrupt just masks itself
 * and wakes the loop (net_lwip.c), so nothing needs lwIP's locks. */
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_NETCONN 0
#define LWIP_SOCKET 0
#define LWIP_NETIF_API 0

/* Memory: MEM_SIZE bytes of lwIP's own heap (a static array in mem.c, where
 * tcp_write's copies and DHCP's and DNS's packets go) and the memp pools,
 * also static: no malloc (MEM_LIBC_MALLOC 0, MEMP_MEM_MALLOC 0). */
#define MEM_ALIGNMENT 4
#define MEM_LIBC_MALLOC 0
#define MEMP_MEM_MALLOC 0
#define MEM_USE_POOLS 0

/* Protocols. */
#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_RAW 0
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_DHCP 1
#define LWIP_DNS 1
#define LWIP_IGMP 0
#define LWIP_AUTOIP 0
#define IP_FORWARD 0
#define IP_REASSEMBLY 0 /* TCP segments fit the MSS; nobody fragments to us */
#define IP_FRAG 0
/* DHCP's ARP probe of the offered address waits a second per lease: a test
 * network's dnsmasq hands out addresses nobody else has. */
#define DHCP_DOES_ARP_CHECK 0
#define LWIP_DHCP_DOES_ACD_CHECK 0
#define DNS_TABLE_SIZE 1
#define DNS_MAX_NAME_LENGTH 64
#define DNS_MAX_SERVERS 1
#define LWIP_DNS_SECURE (LWIP_DNS_SECURE_RAND_XID | LWIP_DNS_SECURE_RAND_SRC_PORT)
#define ARP_TABLE_SIZE 4
/* One packet kept per unresolved entry: the first SYN leaves at ARP's reply. */
#define ARP_QUEUEING 0
#define LWIP_NETIF_STATUS_CALLBACK 0
#define LWIP_NETIF_LINK_CALLBACK 0
#define LWIP_NETIF_HOSTNAME 0
#define LWIP_SINGLE_NETIF 1
#define LWIP_NETIF_LOOPBACK 0

/* TCP: the channel's own HTTP/2 PINGs find a dead peer (the channel issue's
 * keepalive), so TCP's keepalive stays off. */
#define LWIP_TCP_KEEPALIVE 0
#define TCP_QUEUE_OOSEQ 1
#define LWIP_TCP_SACK_OUT 0
#define LWIP_WND_SCALE 0
#define TCP_LISTEN_BACKLOG 0
#define MEMP_NUM_TCP_PCB_LISTEN 1
#define LWIP_TCP_TIMESTAMPS 0
#define TCP_TTL 64

/* Checksums in software (neither emulated controller offloads them). */
#define LWIP_CHECKSUM_CTRL_PER_NETIF 0
#define LWIP_CHKSUM_ALGORITHM 3

/* Statistics: only the heap's and the pools' use, whose high-water marks
 * --arena-stats reports (port_net_marks); no debug output (LWIP_DEBUG
 * stays undefined). */
#define LWIP_STATS 1
#define MEM_STATS 1
#define MEMP_STATS 1
#define LINK_STATS 0
#define ETHARP_STATS 0
#define IP_STATS 0
#define IPFRAG_STATS 0
#define ICMP_STATS 0
#define UDP_STATS 0
#define TCP_STATS 0
#define SYS_STATS 0
#define LWIP_STATS_DISPLAY 0
#define LWIP_PERF 0

#endif /* LWIPOPTS_CM_H */
