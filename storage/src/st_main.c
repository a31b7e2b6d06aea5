/* st_main.c - the storage daemon's command line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm_metrics.h"
#include "dm_opts.h"
#include "dm_process.h"
#include "rpc_health.h"
#include "rpc_log.h"
#include "rpc_server.h"
#include "st_service.h"

#define DRAIN_MS 5000 /* in-flight calls get this long to finish on SIGTERM */

static int usage_to(FILE *f) {
  fprintf(f, "usage: storage [--listen HOST:PORT] [--db PATH|CONNINFO] [--db-pool N] "
             "[--delay-ms N] [--tls-cert F --tls-key F]\n"
             "               [--metrics-listen HOST:PORT] " DM_LOG_USAGE "\n"
             "       storage --db PATH|CONNINFO --import FILE   (replace the catalogue, "
             "then exit)\n"
             "       --db: a SQLite file (the default, storage.db), or a libpq connection\n"
             "       string (postgresql://... or \"host=... dbname=...\"); --db-pool:\n"
             "       PostgreSQL connections (default 4)\n"
             "       " DM_LIMITS_USAGE "\n");
  return 2;
}

static int usage(void) {
  return usage_to(stderr);
}

static int parse_u32(const char *s, uint32_t *out) {
  char *end;
  unsigned long v = strtoul(s, &end, 10);
  if (!*s || *end || v > 86400000ul) return -1;
  *out = (uint32_t)v;
  return 0;
}

/* The database's reach is the service's health: a gateway's balancer
 * (its Watch) then sends calls to the storages that can answer them, and
 * an operator's probe sees the outage. */
static void on_db_up(void *arg, int up) {
  rpc_health_t *h = arg;
  int st = up ? RPC_HEALTH_SERVING : RPC_HEALTH_NOT_SERVING;
  rpc_health_set(h, "", st);
  rpc_health_set(h, "api.StorageService", st);
  if (up)
    rpc_log("health: SERVING (the database can be reached again)");
  else
    rpc_log_at(RPC_LOG_WARN, "health: NOT_SERVING (no database connection)");
}

/* What SIGHUP reloads: the certificate and its key, from the same files. */
typedef struct st_reload {
  rpc_server_t *srv;
  const char *cert, *key;
} st_reload_t;

/* Connections open keep the configuration they began with (rpc_tls.h);
 * a reload that fails keeps the one served. */
static void on_reload(void *arg) {
  const st_reload_t *r = arg;
  char err[256], what[160];
  rpc_tls_cfg_t *c = rpc_tls_server_cfg(r->cert, r->key, NULL, err, sizeof(err));
  if (!c) {
    rpc_log_at(RPC_LOG_ERROR, "tls reload failed%s%.0d, still serving the previous certificate: %s",
               dm_worker() ? " in worker " : "", dm_worker(), err);
    return;
  }
  rpc_server_set_tls(r->srv, c);
  rpc_tls_cfg_describe(c, what, sizeof(what));
  rpc_tls_cfg_free(c); /* the server holds it */
  rpc_log("tls reloaded: %s", what);
}

int main(int argc, char **argv) {
  if (dm_info_arg(argc, argv, "storage", usage_to)) return 0;
  const char *listen = "127.0.0.1:6000", *db_path = "storage.db";
  const char *tls_cert = NULL, *tls_key = NULL, *import = NULL, *metrics_listen = NULL;
  st_service_t svc = {0};
  uint32_t pool = 4;
  st_buf_t buf = {0};
  svc.buf = &buf;
  rpc_server_limits_t lim = {0};
  for (int i = 1; i < argc; i++) {
    int r = dm_limit_arg(&lim, argc, argv, &i);
    if (r == 0) r = dm_log_arg(argc, argv, &i);
    if (r < 0) return usage();
    if (r > 0) continue;
    if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc)
      listen = argv[++i];
    else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
      db_path = argv[++i];
    else if (strcmp(argv[i], "--db-pool") == 0 && i + 1 < argc) {
      if (parse_u32(argv[++i], &pool) || pool < 1 || pool > 256) return usage();
    } else if (strcmp(argv[i], "--import") == 0 && i + 1 < argc)
      import = argv[++i];
    else if (strcmp(argv[i], "--tls-cert") == 0 && i + 1 < argc)
      tls_cert = argv[++i];
    else if (strcmp(argv[i], "--tls-key") == 0 && i + 1 < argc)
      tls_key = argv[++i];
    else if (strcmp(argv[i], "--metrics-listen") == 0 && i + 1 < argc)
      metrics_listen = argv[++i];
    else if (strcmp(argv[i], "--delay-ms") == 0 && i + 1 < argc) {
      if (parse_u32(argv[++i], &svc.delay_ms)) return usage();
    } else
      return usage();
  }
  if (!tls_cert != !tls_key) return usage();
  char err[256];
  rpc_tls_cfg_t *tls = NULL;
  if (tls_cert && !(tls = rpc_tls_server_cfg(tls_cert, tls_key, NULL, err, sizeof(err)))) {
    rpc_log("%s", err);
    return 1;
  }
  if (import) {
    svc.db = st_db_open(db_path, NULL, 1);
    if (!svc.db) {
      rpc_tls_cfg_free(tls);
      return 1;
    }
    int n = st_db_import(svc.db, import, err, sizeof(err));
    if (n < 0)
      rpc_log("import failed, the catalogue is unchanged: %s", err);
    else
      rpc_log("imported %d products from %s", n, import);
    st_db_close(svc.db);
    rpc_tls_cfg_free(tls);
    return n < 0 ? 1 : 0;
  }
  /* the daemon starts here; --import above is a one-shot command that ^C
   * must still stop at once */
  rpc_loop_t *loop = dm_process_init() == 0 ? rpc_loop_new() : NULL;
  if (loop) svc.db = st_db_open(db_path, loop, (int)pool);
  if (!svc.db) {
    rpc_loop_free(loop);
    rpc_tls_cfg_free(tls);
    return 1;
  }
  rpc_health_t health = {0};
  int up = st_db_up(svc.db);
  rpc_health_set(&health, "", up ? RPC_HEALTH_SERVING : RPC_HEALTH_NOT_SERVING);
  rpc_health_set(&health, "api.StorageService", up ? RPC_HEALTH_SERVING : RPC_HEALTH_NOT_SERVING);
  st_db_on_up(svc.db, on_db_up, &health);
  if (!up) rpc_log_at(RPC_LOG_WARN, "health: NOT_SERVING (no database connection)");
  rpc_method_t methods[3];
  size_t n, nh;
  st_service_methods(&svc, methods, &n);
  rpc_health_methods(&health, methods + n, &nh);
  n += nh;
  dm_metrics_t *metrics = metrics_listen ? dm_metrics_new("storage", 1) : NULL;
  rpc_server_t *srv = NULL;
  if (!metrics_listen ||
      (metrics && dm_metrics_start(metrics, loop, metrics_listen, methods, n) == 0))
    srv = rpc_server_new(loop, listen, methods, n, &lim);
  if (!srv) {
    dm_metrics_free(metrics);
    rpc_tls_cfg_free(tls);
    st_db_close(svc.db);
    rpc_loop_free(loop);
    return 1;
  }
  st_reload_t reload = {srv, tls_cert, tls_key};
  if (tls) {
    rpc_server_set_tls(srv, tls);
    rpc_loop_on_reload(loop, on_reload, &reload);
  }
  if (metrics) {
    dm_metrics_slot_t *slot = dm_metrics_slot(metrics);
    rpc_server_set_stats(srv, &slot->rpc);
    dm_metrics_db(metrics, st_db_is_conninfo(db_path) ? "postgresql" : "sqlite");
    svc.db_query = &slot->db_query;
    rpc_log("Serving metrics on http://%s/metrics", metrics_listen);
  }
  rpc_log("Listening on %s%s..", listen, tls ? " (TLS)" : "");
  int sig = rpc_loop_run(loop);
  rpc_log("stopping (signal %d): draining open calls", sig);
  st_db_on_up(svc.db, NULL, NULL);
  rpc_health_free(&health);
  int left = rpc_server_drain(srv, DRAIN_MS);
  if (left) rpc_log("drain timeout: %d calls cut", left);
  rpc_server_free(srv);
  dm_metrics_free(metrics);
  st_db_close(svc.db);
  rpc_loop_free(loop);
  rpc_tls_cfg_free(tls);
  free(buf.p);
  return 0;
}
