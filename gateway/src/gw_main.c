/* gw_main.c - the gateway daemon's command line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "dm_metrics.h"
#include "dm_opts.h"
#include "dm_process.h"
#include "gw_health.h"
#include "gw_prod_service.h"
#include "gw_rest_net.h"
#include "rpc_log.h"

#define DRAIN_MS 5000 /* in-flight calls get this long to finish on SIGTERM */

typedef struct gw_opts {
  const char *listen, *storage;
  uint32_t stream_delay_ms;
  int workers;
  rpc_server_limits_t lim;
  const char *tls_cert, *tls_key, *tls_client_ca;              /* serve TLS, optionally mutual */
  const char *storage_tls_ca, *storage_server_name;            /* TLS to storage */
  const char *tls_ticket_key;                                  /* shared session ticket key */
  const char *tls_crl;                                         /* revoked devices */
  int shared_ticket_key;                                       /* ticket_key holds it */
  uint32_t storage_keepalive_ms, storage_keepalive_timeout_ms; /* PINGs to storage */
  const char *metrics_listen;                                  /* GET /metrics there */
  const char *rest_listen;                                     /* the REST bridge there */
  uint32_t rest_timeout_ms;                                    /* its default deadline */
  dm_metrics_t *metrics;                                       /* made before the workers */
  unsigned char ticket_key[RPC_TLS_TICKET_KEY_LEN];
} gw_opts_t;

static int usage_to(FILE *f) {
  fprintf(f, "usage: gateway [--listen HOST:PORT] [--storage HOST:PORT[,HOST:PORT...]] "
             "[--stream-delay-ms N] [--workers N]\n"
             "               [--tls-cert F --tls-key F [--tls-client-ca F [--tls-crl F]] "
             "[--tls-ticket-key F]]\n"
             "               [--storage-tls-ca F [--storage-server-name NAME]]\n"
             "               [--storage-keepalive-ms N [--storage-keepalive-timeout-ms N]]\n"
             "               [--metrics-listen HOST:PORT] [--rest-listen HOST:PORT "
             "[--rest-timeout-ms N (10000)]]\n"
             "               " DM_LOG_USAGE "\n"
             "       " DM_LIMITS_USAGE "\n");
  return 2;
}

static int usage(void) {
  return usage_to(stderr);
}

static int parse_num(const char *s, unsigned long max, unsigned long *out) {
  char *end;
  *out = strtoul(s, &end, 10);
  return (*s && !*end && *out <= max) ? 0 : -1;
}

/* The storage channels' state, for the metrics. */
static void sample_storages(void *arg, dm_metrics_slot_t *slot) {
  const gw_balancer_t *lb = arg;
  for (size_t i = 0; i < lb->n && i < DM_METRICS_LINKS; i++) {
    RPC_STAT_SET(slot->link_state[i], (uint8_t)rpc_channel_state(lb->be[i].ch));
    RPC_STAT_SET(slot->link_serving[i], (uint8_t)(lb->be[i].state == GW_BE_READY));
  }
}

/* Serves the metrics of this worker's server and storages. 0 or -1. */
static int metrics_start(const gw_opts_t *o, rpc_loop_t *loop, rpc_server_t *srv,
                         const rpc_method_t *methods, size_t n, gw_balancer_t *lb,
                         const char **names) {
  if (!o->metrics) return 0;
  if (dm_metrics_start(o->metrics, loop, o->metrics_listen, methods, n) != 0) return -1;
  rpc_server_set_stats(srv, &dm_metrics_slot(o->metrics)->rpc);
  for (size_t i = 0; i < lb->n; i++)
    names[i] = lb->be[i].addr;
  dm_metrics_links(o->metrics, names, lb->n, sample_storages, lb);
  if (dm_worker() == 0) rpc_log("Serving metrics on http://%s/metrics", o->metrics_listen);
  return 0;
}

/* The REST bridge of one worker: an in-process channel to its methods,
 * the mapping, and the port. */
typedef struct rest_side {
  rpc_inproc_t *ch;
  gw_rest_t *rest;
  gw_rest_net_t *net;
} rest_side_t;

/* At SIGTERM: no new REST connections, open requests answered 503, and a
 * few loop turns (50 ms at most) for those answers to go out. */
static void rest_quiesce(rest_side_t *r, rpc_loop_t *loop) {
  if (!r->rest) return;
  gw_rest_net_close(r->net);
  gw_rest_stop(r->rest);
  for (int i = 0; i < 5; i++)
    rpc_loop_turn(loop, 10);
}

static void rest_stop(rest_side_t *r) {
  if (r->rest) gw_rest_stop(r->rest); /* requests that came meanwhile: 503 */
  gw_rest_net_free(r->net);
  gw_rest_free(r->rest);
  rpc_inproc_free(r->ch);
  memset(r, 0, sizeof(*r));
}

static int rest_start(const gw_opts_t *o, rpc_loop_t *loop, const rpc_method_t *methods, size_t n,
                      rest_side_t *r) {
  if (!o->rest_listen) return 0;
  if (!(r->ch = rpc_inproc_new(loop, methods, n, NULL, "rest")) ||
      !(r->rest = gw_rest_new(loop, r->ch, o->rest_timeout_ms)) ||
      !(r->net = gw_rest_net_new(loop, o->rest_listen, o->workers > 1, r->rest))) {
    rest_stop(r);
    return -1;
  }
  if (o->metrics) rpc_inproc_set_stats(r->ch, &dm_metrics_slot(o->metrics)->rpc);
  if (dm_worker() == 0)
    rpc_log("Serving REST on http://%s (HTTP/1.1, and HTTP/2 with prior knowledge)",
            o->rest_listen);
  return 0;
}

/* The server's TLS configuration from the files of o; prev: the one it
 * replaces on a reload, whose session ticket keys it keeps (a reload costs
 * no device a full handshake), NULL at start. NULL on error, with the
 * reason in err. */
static rpc_tls_cfg_t *tls_load(const gw_opts_t *o, const rpc_tls_cfg_t *prev, char *err,
                               size_t errlen) {
  rpc_tls_cfg_t *c = rpc_tls_server_cfg(o->tls_cert, o->tls_key, o->tls_client_ca, err, errlen);
  if (!c) return NULL;
  if ((o->tls_crl && rpc_tls_server_crl(c, o->tls_crl, err, errlen) != 0) ||
      (prev ? rpc_tls_server_share_tickets(c, prev)
            : rpc_tls_server_tickets(c, o->shared_ticket_key ? o->ticket_key : NULL, err,
                                     errlen)) != 0) {
    rpc_tls_cfg_free(c);
    return NULL;
  }
  return c;
}

/* SIGHUP: certificate, key, client CA and CRL again from their files. */
typedef struct gw_reload {
  const gw_opts_t *o;
  rpc_server_t *srv;
  rpc_tls_cfg_t *cur; /* served to new connections; a reference of ours */
} gw_reload_t;

/* Connections open keep the configuration they began with (rpc_tls.h);
 * a reload that fails keeps the one served. */
static void on_reload(void *arg) {
  gw_reload_t *r = arg;
  char err[256], what[160];
  rpc_tls_cfg_t *c = tls_load(r->o, r->cur, err, sizeof(err));
  if (!c) {
    rpc_log_at(RPC_LOG_ERROR,
               "tls reload failed%s%.0d, still serving the previous certificates: %s",
               dm_worker() ? " in worker " : "", dm_worker(), err);
    return;
  }
  rpc_server_set_tls(r->srv, c);
  rpc_tls_cfg_free(r->cur);
  r->cur = c;
  rpc_tls_cfg_describe(c, what, sizeof(what));
  rpc_log("tls reloaded: %s", what);
}

/* One event loop: the whole gateway, or one worker of it. */
static int serve(void *arg) {
  const gw_opts_t *o = arg;
  gw_service_t svc = {0};
  svc.stream_delay_ms = o->stream_delay_ms;
  rpc_loop_t *loop = rpc_loop_new();
  if (!loop) return 1;
  svc.loop = loop;
  gw_balancer_t storages;
  int have_storages = gw_lb_init(&storages, loop, o->storage) == 0;
  svc.storages = &storages;
  if (have_storages && o->storage_keepalive_ms)
    gw_lb_set_keepalive(&storages, o->storage_keepalive_ms, o->storage_keepalive_timeout_ms);
  gw_health_t health = {0};
  rpc_method_t methods[4];
  size_t n, nh;
  gw_service_methods(&svc, methods, &n);
  rpc_health_methods(&health.health, methods + n, &nh);
  n += nh;
  rpc_server_limits_t lim = o->lim;
  lim.reuseport = o->workers > 1;
  char err[256];
  rpc_tls_cfg_t *tls = NULL, *stls = NULL;
  if (o->tls_cert && !(tls = tls_load(o, NULL, err, sizeof(err)))) rpc_log("%s", err);
  if (o->storage_tls_ca &&
      !(stls = rpc_tls_client_cfg(o->storage_tls_ca, NULL, NULL, err, sizeof(err))))
    rpc_log("%s", err);
  rpc_server_t *srv = NULL;
  const char *names[GW_LB_MAX];
  if (have_storages && (tls || !o->tls_cert) && (stls || !o->storage_tls_ca))
    srv = rpc_server_new(loop, o->listen, methods, n, &lim);
  rest_side_t rest = {0};
  if (srv && (metrics_start(o, loop, srv, methods, n, &storages, names) != 0 ||
              rest_start(o, loop, methods, n, &rest) != 0)) {
    rpc_server_free(srv);
    srv = NULL;
  }
  if (!srv) {
    dm_metrics_stop(o->metrics);
    if (have_storages) gw_lb_free(&storages);
    rpc_tls_cfg_free(tls);
    rpc_tls_cfg_free(stls);
    rpc_loop_free(loop);
    return 1;
  }
  gw_reload_t reload = {o, srv, tls};
  if (tls) {
    rpc_server_set_tls(srv, tls);
    rpc_loop_on_reload(loop, on_reload, &reload);
  }
  if (stls) gw_lb_set_tls(&storages, stls, o->storage_server_name);
  gw_health_start(&health, &storages);
  gw_lb_start(&storages);
  rpc_log("Serving gRPC on %s://%s%s (storage at %s%s)", tls ? "https" : "http", o->listen,
          o->tls_client_ca ? ", client certificates required" : "", o->storage,
          stls ? " over TLS" : "");
  int sig = rpc_loop_run(loop);
  rpc_log("stopping (signal %d): draining open calls", sig);
  rest_quiesce(&rest, loop);
  gw_health_stop(&health); /* Watch streams would hold the drain open */
  gw_lb_stop(&storages);
  int left = rpc_server_drain(srv, DRAIN_MS);
  if (left) rpc_log("drain timeout: %d calls cut", left);
  rest_stop(&rest);
  rpc_server_free(srv);
  dm_metrics_stop(o->metrics);
  gw_lb_free(&storages);
  gw_service_free(&svc);
  rpc_tls_cfg_free(reload.cur); /* tls, or what a reload put in its place */
  rpc_tls_cfg_free(stls);
  rpc_loop_free(loop);
  return 0;
}

int main(int argc, char **argv) {
  if (dm_info_arg(argc, argv, "gateway", usage_to)) return 0;
  if (dm_process_init() != 0) return 1;
  gw_opts_t o = {0};
  o.listen = "127.0.0.1:8080";
  o.storage = "127.0.0.1:6000";
  o.workers = 1;
  for (int i = 1; i < argc; i++) {
    unsigned long v;
    int r = dm_limit_arg(&o.lim, argc, argv, &i);
    if (r == 0) r = dm_log_arg(argc, argv, &i);
    if (r < 0) return usage();
    if (r > 0) continue;
    if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
      o.listen = argv[++i];
    } else if (strcmp(argv[i], "--storage") == 0 && i + 1 < argc) {
      o.storage = argv[++i];
    } else if (strcmp(argv[i], "--stream-delay-ms") == 0 && i + 1 < argc) {
      if (parse_num(argv[++i], 86400000ul, &v)) return usage();
      o.stream_delay_ms = (uint32_t)v;
    } else if (strcmp(argv[i], "--tls-cert") == 0 && i + 1 < argc) {
      o.tls_cert = argv[++i];
    } else if (strcmp(argv[i], "--tls-key") == 0 && i + 1 < argc) {
      o.tls_key = argv[++i];
    } else if (strcmp(argv[i], "--tls-client-ca") == 0 && i + 1 < argc) {
      o.tls_client_ca = argv[++i];
    } else if (strcmp(argv[i], "--tls-crl") == 0 && i + 1 < argc) {
      o.tls_crl = argv[++i];
    } else if (strcmp(argv[i], "--tls-ticket-key") == 0 && i + 1 < argc) {
      o.tls_ticket_key = argv[++i];
    } else if (strcmp(argv[i], "--storage-tls-ca") == 0 && i + 1 < argc) {
      o.storage_tls_ca = argv[++i];
    } else if (strcmp(argv[i], "--storage-server-name") == 0 && i + 1 < argc) {
      o.storage_server_name = argv[++i];
    } else if (strcmp(argv[i], "--storage-keepalive-ms") == 0 && i + 1 < argc) {
      if (parse_num(argv[++i], 86400000ul, &v) || v == 0) return usage();
      o.storage_keepalive_ms = (uint32_t)v;
    } else if (strcmp(argv[i], "--storage-keepalive-timeout-ms") == 0 && i + 1 < argc) {
      if (parse_num(argv[++i], 86400000ul, &v) || v == 0) return usage();
      o.storage_keepalive_timeout_ms = (uint32_t)v;
    } else if (strcmp(argv[i], "--rest-listen") == 0 && i + 1 < argc) {
      o.rest_listen = argv[++i];
    } else if (strcmp(argv[i], "--rest-timeout-ms") == 0 && i + 1 < argc) {
      if (parse_num(argv[++i], 86400000ul, &v) || v == 0) return usage();
      o.rest_timeout_ms = (uint32_t)v;
    } else if (strcmp(argv[i], "--metrics-listen") == 0 && i + 1 < argc) {
      o.metrics_listen = argv[++i];
    } else if (strcmp(argv[i], "--workers") == 0 && i + 1 < argc) {
      if (parse_num(argv[++i], 256, &v) || v == 0) return usage();
      o.workers = (int)v;
    } else {
      return usage();
    }
  }
  if (!o.tls_cert != !o.tls_key || ((o.tls_client_ca || o.tls_ticket_key) && !o.tls_cert) ||
      (o.tls_crl && !o.tls_client_ca))
    return usage();
  char err[256];
  /* once, before the workers fork: they all seal tickets under this key */
  if (o.tls_ticket_key &&
      rpc_tls_ticket_key_read(o.tls_ticket_key, o.ticket_key, err, sizeof(err)) != 0) {
    rpc_log("%s", err);
    return 1;
  }
  o.shared_ticket_key = o.tls_ticket_key != NULL;
  /* workers without a key file: one random key, drawn before they fork, so
   * that a session resumes whichever worker the kernel hands the device to
   * (SO_REUSEPORT). It lives as long as the gateway; a key file is for
   * gateways behind one address, and for keys that outlive a restart. */
  if (o.tls_cert && !o.tls_ticket_key && o.workers > 1) {
    if (getrandom(o.ticket_key, sizeof(o.ticket_key), 0) != (ssize_t)sizeof(o.ticket_key)) {
      rpc_log("cannot draw a session ticket key for the workers");
      return 1;
    }
    o.shared_ticket_key = 1;
  }
  /* without --storage-server-name each storage's certificate is verified
   * for the host part of its address (gw_lb_set_tls) */
  if (gw_lb_parse(o.storage) != 0) {
    fprintf(stderr, "gateway: --storage takes HOST:PORT[,HOST:PORT...] (at most %d)\n", GW_LB_MAX);
    return usage();
  }
  /* the workers' counters live in memory they share, mapped before they fork */
  if (o.metrics_listen && !(o.metrics = dm_metrics_new("gateway", o.workers))) return 1;
  if (o.metrics) dm_workers_on_exit(dm_metrics_worker_gone, o.metrics);
  int rc = dm_workers_run(o.workers, serve, &o);
  dm_metrics_free(o.metrics);
  return rc;
}
