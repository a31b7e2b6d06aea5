/* main.c - the firmware-client CLI, the same on every board: the article's
 * client commands, its output lines and its error line. */
#include <stdio.h>
#include <string.h>

#include "fc_arena.h"
#include "fc_channel.h"
#include "fc_client.h"
#include "fc_console.h"
#include "fc_tls.h"
#include "port.h"
#include "rpc.h"
#include "rpc_trace.h"

#define FC_DEFAULT_ADDR "127.0.0.1:8080"
#define FC_DEFAULT_TIMEOUT_MS 4000u /* the article's 4 s deadline */
#define FC_VERSION "firmware-client 0.3 (grpc-c-embedded)"

static void usage_to(int stream) {
  fc_say(stream, "usage: firmware-client [--addr HOST:PORT] [--timeout SECONDS] "
                 "[--traceparent VALUE] getprodtypes VENDOR | getprods VENDOR TYPE\n");
  fc_say(stream, "       TLS: --tls --ca F [--cert F --key F] [--server-name NAME] "
                 "[--tls-version 1.2|1.3] [--no-resume] [--resume-mode psk|psk_dhe]\n");
#ifdef PORT_NET_LWIP
  fc_say(stream,
         "       network: --ip A.B.C.D/N [--gw A.B.C.D] [--dns A.B.C.D] (DHCP without --ip)\n");
#endif
  fc_say(stream, "       channel: --repeat N [--every MS] [--wait-for-ready] [--keepalive-ms T] "
                 "[--keepalive-timeout-ms T] [--stats]\n");
}

static int usage(void) {
  usage_to(2);
  return 2;
}

/* A decimal number up to max, into *v. */
static int parse_u32(const char *s, uint32_t max, uint32_t *v) {
  uint32_t n = 0;
  if (!*s) return -1;
  for (; *s; s++) {
    if (*s < '0' || *s > '9' || n > (max - (uint32_t)(*s - '0')) / 10u) return -1;
    n = n * 10u + (uint32_t)(*s - '0');
  }
  *v = n;
  return 0;
}

/* Seconds, with an optional fraction ("4", "0.5"), into milliseconds. */
static int parse_timeout(const char *s, uint32_t *ms) {
  uint32_t whole = 0, frac = 0, scale = 1000;
  const char *p = s;
  if (!*p) return -1;
  for (; *p >= '0' && *p <= '9'; p++) {
    whole = whole * 10u + (uint32_t)(*p - '0');
    if (whole > 4000000u) return -1;
  }
  if (*p == '.') {
    for (p++; *p >= '0' && *p <= '9'; p++) {
      if (scale > 1) {
        scale /= 10u;
        frac += (uint32_t)(*p - '0') * scale;
      }
    }
  }
  if (*p) return -1;
  *ms = whole * 1000u + frac;
  return 0;
}

static void print_product(void *arg, const api_ProdsPrep *p) {
  (void)arg;
  const char *line[] = {"Title: ",       p->title,    ", Url: ", p->url,
                        ",  ShortUrl: ", p->shortUrl, "\n",      NULL};
  fc_say_strs(1, line);
}

static void print_error(const char *what, const fc_status_t *st) {
  fc_say(2, "rpc error: code = %s desc = %s%s\n", rpc_code_name(st->code), what, st->message);
}

/* One call of the command; prints what a single call prints. Returns its
 * gRPC code, or -1 for a command the CLI does not know. */
static int run(fc_channel_t *ch, const char *cmd, int n, char **args) {
  fc_status_t st;
  int rc;
  if (strcmp(cmd, "getprodtypes") == 0 && n == 1) {
    static char types[api_ClientResponseType_size];
    rc = fc_get_prod_types(ch, args[0], types, sizeof(types), &st);
    if (rc == 0)
      fc_say(1, "%s cloud products type are: %s\n", args[0], types);
    else
      print_error("error while calling client.GetVendorProdTypes() method: ", &st);
  } else if (strcmp(cmd, "getprods") == 0 && n == 2) {
    rc = fc_get_prods(ch, args[0], args[1], print_product, NULL, &st);
    if (rc != 0) print_error("error while receiving the stream for client.GetVendorProds: ", &st);
  } else {
    return -1;
  }
  return rc;
}

int main(int argc, char **argv) {
  static fc_md_t trace_md = {"traceparent", NULL};
  static fc_cfg_t cfg;
  static fc_channel_t ch;
  static fc_tls_opts_t tls;
  static char host[64];
  uint32_t repeat = 1, every = 0, v;
  int stats = 0, arena_stats = 0, use_tls = 0, i = 1;
#ifdef PORT_NET_LWIP
  const char *net_ip = NULL, *net_gw = NULL, *net_dns = NULL;
#endif
  cfg.addr = FC_DEFAULT_ADDR;
  cfg.timeout_ms = FC_DEFAULT_TIMEOUT_MS;
  cfg.link.keepalive_without_calls = 1; /* a device pings to keep its NAT binding */
  for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
    if (strcmp(argv[i], "--help") == 0) {
      usage_to(1);
      return 0;
    } else if (strcmp(argv[i], "--version") == 0) {
      fc_say(1, "%s\n", FC_VERSION);
      return 0;
    } else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
      if (parse_u32(argv[++i], 1000000u, &repeat) != 0 || repeat == 0) return usage();
    } else if (strcmp(argv[i], "--every") == 0 && i + 1 < argc) {
      if (parse_u32(argv[++i], 86400000u, &every) != 0) return usage();
    } else if (strcmp(argv[i], "--wait-for-ready") == 0) {
      cfg.wait_for_ready = 1;
#if FC_RETRY
    } else if (strcmp(argv[i], "--retry") == 0 && i + 1 < argc) {
      if (parse_u32(argv[++i], 5u, &v) != 0 || v == 0) return usage(); /* gRPC caps it at 5 */
      cfg.retry_attempts = (uint8_t)v;
#endif
    } else if (strcmp(argv[i], "--keepalive-ms") == 0 && i + 1 < argc) {
      if (parse_u32(argv[++i], 86400000u, &v) != 0 || v == 0) return usage();
      cfg.link.keepalive_ms = v;
    } else if (strcmp(argv[i], "--keepalive-timeout-ms") == 0 && i + 1 < argc) {
      if (parse_u32(argv[++i], 86400000u, &v) != 0 || v == 0) return usage();
      cfg.link.keepalive_timeout_ms = v;
    } else if (strcmp(argv[i], "--no-resume") == 0) {
      tls.no_resume = 1;
    } else if (strcmp(argv[i], "--resume-mode") == 0 && i + 1 < argc) {
      i++; /* TLS 1.3 resumption: the ticket alone, or with an ECDHE */
      if (strcmp(argv[i], "psk") == 0)
        tls.resume = FC_TLS_RESUME_PSK;
      else if (strcmp(argv[i], "psk_dhe") == 0)
        tls.resume = FC_TLS_RESUME_PSK_DHE;
      else
        return usage();
    } else if (strcmp(argv[i], "--traceparent") == 0 && i + 1 < argc) {
      /* W3C trace context; the servers would ignore a malformed one */
      trace_md.value = argv[++i];
      if (rpc_traceparent_check(trace_md.value, strlen(trace_md.value)) != 0) return usage();
      fc_client_metadata(&trace_md, 1);
    } else if (strcmp(argv[i], "--stats") == 0) {
      stats = 1;
    } else if (strcmp(argv[i], "--addr") == 0 && i + 1 < argc) {
      cfg.addr = argv[++i];
    } else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
      if (parse_timeout(argv[++i], &cfg.timeout_ms) != 0) return usage();
    } else if (strcmp(argv[i], "--tls") == 0) {
      use_tls = 1;
    } else if (strcmp(argv[i], "--ca") == 0 && i + 1 < argc) {
      tls.ca = argv[++i];
    } else if (strcmp(argv[i], "--cert") == 0 && i + 1 < argc) {
      tls.cert = argv[++i];
    } else if (strcmp(argv[i], "--key") == 0 && i + 1 < argc) {
      tls.key = argv[++i];
    } else if (strcmp(argv[i], "--server-name") == 0 && i + 1 < argc) {
      tls.server_name = argv[++i];
    } else if (strcmp(argv[i], "--tls-version") == 0 && i + 1 < argc) {
      /* only that version; without it the handshake takes 1.3, else 1.2 */
      i++;
      if (strcmp(argv[i], "1.2") == 0)
        tls.version = FC_TLS_1_2;
      else if (strcmp(argv[i], "1.3") == 0)
        tls.version = FC_TLS_1_3;
      else
        return usage();
#ifdef PORT_NET_LWIP /* the only boards whose addresses are the program's to set */
    } else if (strcmp(argv[i], "--ip") == 0 && i + 1 < argc) {
      net_ip = argv[++i];
    } else if (strcmp(argv[i], "--gw") == 0 && i + 1 < argc) {
      net_gw = argv[++i];
    } else if (strcmp(argv[i], "--dns") == 0 && i + 1 < argc) {
      net_dns = argv[++i];
#endif
    } else if (strcmp(argv[i], "--arena-stats") == 0) {
      arena_stats = 1;
    } else {
      return usage();
    }
  }
  if (i >= argc || (use_tls && !tls.ca) || (!tls.cert != !tls.key)) return usage();
#ifdef PORT_NET_LWIP
  if (port_net_config(net_ip, net_gw, net_dns) != PORT_OK) {
    fc_say(2, "firmware-client: --ip, --gw, --dns: not an IPv4 address (--ip A.B.C.D/N)\n");
    return usage();
  }
#endif
  if (use_tls) {
    /* the host part of --addr (serial boards have none: name the server) */
    if (!tls.server_name && rpc_addr_server_name(cfg.addr, host, sizeof(host)) != RPC_OK)
      return usage();
    if (!tls.server_name) tls.server_name = host;
    cfg.tls = &tls;
  }
  const char *cmd = argv[i];
  int n = argc - i - 1, failed = 0;
  cfg.link.seed = port_time_ms() * 2654435761u + 1u; /* the backoff's jitter */
  fc_channel_init(&ch, &cfg);
  for (uint32_t k = 0; k < repeat; k++) {
    if (k && every) fc_channel_idle(&ch, every);
    int rc = run(&ch, cmd, n, argv + i + 1);
    if (rc < 0) return usage();
    if (rc != 0) failed = 1;
  }
  fc_channel_free(&ch);
  if (stats) {
    const rpc_link_stats_t *s = fc_channel_stats(&ch);
    fc_say(2, "channel: calls=%lu connects=%lu handshakes=%lu resumed=%lu pings=%lu\n",
           (unsigned long)s->calls, (unsigned long)s->connects, (unsigned long)s->handshakes,
           (unsigned long)s->resumed, (unsigned long)s->pings);
  }
  if (arena_stats) {
    size_t stack_size, stack = port_stack_high_water(&stack_size);
    fc_say(2, "arena: high-water %lu of %lu bytes\n", (unsigned long)fc_arena_high_water(),
           (unsigned long)fc_arena_size());
    if (stack)
      fc_say(2, "stack: high-water %lu of %lu bytes\n", (unsigned long)stack,
             (unsigned long)stack_size);
#ifdef PORT_NET_LWIP
    port_mark_t marks[12];
    for (int k = 0, nm = port_net_marks(marks, 12); k < nm; k++)
      fc_say(2, "lwip: %s high-water %lu of %lu\n", marks[k].name, (unsigned long)marks[k].used,
             (unsigned long)marks[k].size);
#endif
  }
  return failed;
}
