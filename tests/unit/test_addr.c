/* test_addr.c - the one HOST:PORT parser (rpc_addr_split) and the TLS server
 * name of an address, as every program uses them. */
#include <string.h>

#include "rpc.h"
#include "tap.h"

static int split(const char *a, const char *host, unsigned port) {
  char h[64];
  uint16_t p = 0;
  return rpc_addr_split(a, h, sizeof(h), &p) == RPC_OK && strcmp(h, host) == 0 && p == port;
}

static int bad(const char *a) {
  char h[64];
  uint16_t p;
  return rpc_addr_split(a, h, sizeof(h), &p) == RPC_ERR_ARG;
}

int main(void) {
  CHECK(split("127.0.0.1:8080", "127.0.0.1", 8080));
  CHECK(split("localhost:6000", "localhost", 6000));
  CHECK(split("[::1]:6000", "::1", 6000)); /* the storage address that failed */
  CHECK(split("[fe80::1%lo]:1", "fe80::1%lo", 1));
  CHECK(split(":8080", "", 8080)); /* a listener on every address */
  CHECK(split("[::]:8080", "::", 8080));
  CHECK(bad("127.0.0.1"));
  CHECK(bad("127.0.0.1:"));
  CHECK(bad("127.0.0.1:80x"));
  CHECK(bad("127.0.0.1:65536"));
  CHECK(bad("::1:6000")); /* IPv6 needs its brackets */
  CHECK(bad("[::1:6000"));
  CHECK(bad("::1]:6000"));
  CHECK(bad(""));
  char h[8];
  uint16_t p;
  CHECK(rpc_addr_split("a-long-host-name:1", h, sizeof(h), &p) == RPC_ERR_ARG); /* no overrun */
  CHECK(rpc_addr_split(NULL, h, sizeof(h), &p) == RPC_ERR_ARG);

  char name[64];
  CHECK(rpc_addr_server_name("[::1]:8080", name, sizeof(name)) == RPC_OK && !strcmp(name, "::1"));
  CHECK(rpc_addr_server_name("localhost:8080", name, sizeof(name)) == RPC_OK &&
        !strcmp(name, "localhost"));
  CHECK(rpc_addr_server_name(":8080", name, sizeof(name)) == RPC_ERR_ARG);
  return tap_done("test_addr");
}
