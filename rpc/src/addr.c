/* addr.c - the one parser of "HOST:PORT" addresses, for every program and
 * both sides: the board client's port, the host's channel and listener, and
 * the TLS server name taken from an address. */
#include <string.h>

#include "rpc.h"

int rpc_addr_split(const char *addr, char *host, size_t hcap, uint16_t *port) {
  if (!addr || !host || !hcap || !port) return RPC_ERR_ARG;
  const char *colon = strrchr(addr, ':');
  if (!colon || !colon[1]) return RPC_ERR_ARG;
  size_t hl = (size_t)(colon - addr);
  if (addr[0] == '[') { /* "[::1]:8080": the brackets are not the host's */
    if (hl < 2 || addr[hl - 1] != ']') return RPC_ERR_ARG;
    addr++;
    hl -= 2;
  } else {
    for (size_t i = 0; i < hl; i++)           /* no memchr: a board would link it for this alone */
      if (addr[i] == ':') return RPC_ERR_ARG; /* "::1:8080" is ambiguous: IPv6 needs brackets */
  }
  if (hl >= hcap) return RPC_ERR_ARG;
  uint32_t p = 0;
  for (const char *d = colon + 1; *d; d++) {
    if (*d < '0' || *d > '9') return RPC_ERR_ARG;
    p = p * 10u + (uint32_t)(*d - '0');
    if (p > 65535u) return RPC_ERR_ARG;
  }
  memcpy(host, addr, hl);
  host[hl] = '\0';
  *port = (uint16_t)p;
  return RPC_OK;
}

int rpc_addr_server_name(const char *addr, char *out, size_t cap) {
  uint16_t port;
  if (rpc_addr_split(addr, out, cap, &port) != RPC_OK) return RPC_ERR_ARG;
  return out[0] ? RPC_OK : RPC_ERR_ARG;
}
