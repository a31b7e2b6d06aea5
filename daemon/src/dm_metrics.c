/* dm_metrics.c - see dm_metrics.h. Names follow go-grpc-prometheus for the
 * gRPC families (what dashboards for grpc-go already read) and Prometheus's
 * conventions elsewhere: _total counters, _seconds and _bytes in base units. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dm_http.h"
#include "dm_metrics.h"
#include "dm_process.h"
#include "rpc.h"
#include "rpc_link.h"
#include "rpc_log.h"

#define SAMPLE_MS 1000u

struct dm_metrics {
  const char *daemon;
  int workers;
  dm_metrics_slot_t *slots; /* workers of them, shared by the processes */
  /* this process's */
  dm_metrics_slot_t *mine;
  rpc_loop_t *loop;
  dm_http_t *http;
  rpc_timer_t sample_timer;
  const rpc_method_t *methods;
  size_t nmethods;
  const char *const *links;
  size_t nlinks;
  void (*sample)(void *arg, dm_metrics_slot_t *slot);
  void *sample_arg;
  const char *backend;
};

dm_metrics_t *dm_metrics_new(const char *daemon, int workers) {
  if (workers < 1) workers = 1;
  dm_metrics_t *m = calloc(1, sizeof(*m));
  if (!m) return NULL;
  size_t bytes = (size_t)workers * sizeof(dm_metrics_slot_t);
  void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    rpc_log("cannot map memory for the metrics");
    free(m);
    return NULL;
  }
  m->daemon = daemon;
  m->workers = workers;
  m->slots = p;
  return m;
}

dm_metrics_slot_t *dm_metrics_slot(dm_metrics_t *m) {
  int w = dm_worker();
  return &m->slots[w < m->workers ? w : 0];
}

/* This process's size and descriptors, from /proc. */
static void sample_process(dm_metrics_slot_t *s) {
  FILE *f = fopen("/proc/self/statm", "r");
  unsigned long size, rss;
  if (f) {
    if (fscanf(f, "%lu %lu", &size, &rss) == 2)
      RPC_STAT_SET(s->rss_bytes, (uint64_t)rss * (uint64_t)sysconf(_SC_PAGESIZE));
    fclose(f);
  }
  /* listing the descriptors costs the kernel a dentry each: a worker of a
   * fleet holds 16,000, and listing them every second took over a third
   * of the gateway's CPU beside 100,000 idle devices (209 clock ticks in
   * 10 s against 129 without metrics). So past SAMPLE_MS descriptors the
   * next listing waits 1 ms a descriptor counted (16 s at 16,000). */
  static uint64_t fds_due_ms;
  uint64_t now = rpc_now_ms();
  if (now < fds_due_ms) return;
  DIR *d = opendir("/proc/self/fd");
  if (d) {
    uint64_t n = 0;
    while (readdir(d))
      n++;
    closedir(d);
    n = n > 3 ? n - 3 : 0; /* ".", ".." and the one opendir holds */
    RPC_STAT_SET(s->open_fds, n);
    fds_due_ms = now + (n > SAMPLE_MS ? n : 0);
  }
}

static void sample_now(dm_metrics_t *m) {
  sample_process(m->mine);
  if (m->sample) m->sample(m->sample_arg, m->mine);
}

static void on_sample(rpc_timer_t *t) {
  dm_metrics_t *m = t->arg;
  sample_now(m);
  rpc_timer_start(m->loop, t, SAMPLE_MS);
}

static void on_http(void *arg, dm_http_req_t *req) {
  dm_metrics_t *m = arg;
  const char *method = dm_http_method(req);
  if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
    dm_http_answer(req, 405, NULL, NULL, 0);
    return;
  }
  if (strcmp(dm_http_path(req), "/metrics") != 0) {
    dm_http_answer(req, 404, NULL, NULL, 0);
    return;
  }
  sample_now(m);
  size_t len = 0;
  char *body = dm_metrics_render(m, &len);
  if (!body)
    dm_http_answer(req, 500, NULL, NULL, 0);
  else
    dm_http_answer(req, 200, "text/plain; version=0.0.4; charset=utf-8", body, len);
}

int dm_metrics_start(dm_metrics_t *m, rpc_loop_t *loop, const char *listen,
                     const rpc_method_t *methods, size_t n) {
  m->mine = dm_metrics_slot(m);
  memset(m->mine, 0, sizeof(*m->mine));
  m->mine->alive = 1;
  m->loop = loop;
  m->methods = methods;
  m->nmethods = n < RPC_STATS_METHODS ? n : RPC_STATS_METHODS;
  if (!(m->http = dm_http_new(loop, listen, m->workers > 1, on_http, m))) return -1;
  m->sample_timer.fn = on_sample;
  m->sample_timer.arg = m;
  on_sample(&m->sample_timer);
  return 0;
}

void dm_metrics_links(dm_metrics_t *m, const char *const *links, size_t n,
                      void (*sample)(void *arg, dm_metrics_slot_t *slot), void *arg) {
  m->links = links;
  m->nlinks = n < DM_METRICS_LINKS ? n : DM_METRICS_LINKS;
  m->sample = sample;
  m->sample_arg = arg;
  if (m->mine && sample) sample(arg, m->mine);
}

void dm_metrics_db(dm_metrics_t *m, const char *backend) {
  m->backend = backend;
}

void dm_metrics_stop(dm_metrics_t *m) {
  if (!m || !m->loop) return;
  rpc_timer_stop(m->loop, &m->sample_timer);
  dm_http_free(m->http);
  m->http = NULL;
  m->loop = NULL;
}

void dm_metrics_worker_gone(int worker, void *arg) {
  dm_metrics_t *m = arg;
  if (worker >= 0 && worker < m->workers) RPC_STAT_SET(m->slots[worker].alive, 0);
}

void dm_metrics_free(dm_metrics_t *m) {
  if (!m) return;
  dm_metrics_stop(m);
  munmap(m->slots, (size_t)m->workers * sizeof(dm_metrics_slot_t));
  free(m);
}

/* --- rendering ------------------------------------------------------------ */

/* A label value: backslash, double quote and newline escaped. */
static void label(FILE *f, const char *v) {
  for (; *v; v++) {
    if (*v == '\\' || *v == '"')
      fprintf(f, "\\%c", *v);
    else if (*v == '\n')
      fputs("\\n", f);
    else
      fputc(*v, f);
  }
}

static void head(FILE *f, const char *name, const char *type, const char *help) {
  fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The method's labels, from its path "/pkg.Service/Method". */
static void method_labels(FILE *f, const rpc_method_t *mt) {
  const char *p = mt->path + (mt->path[0] == '/');
  const char *slash = strrchr(p, '/');
  static const char *const kinds[] = {"unary", "server_stream", "client_stream", "bidi_stream"};
  fputs("grpc_service=\"", f);
  if (slash) fprintf(f, "%.*s", (int)(slash - p), p);
  fputs("\",grpc_method=\"", f);
  label(f, slash ? slash + 1 : p);
  fprintf(f, "\",grpc_type=\"%s\"", kinds[mt->kind & 3]);
}

/* A field of dm_metrics_slot_t, summed over the workers. */
#define SUM(field)                                                                                 \
  ({                                                                                               \
    uint64_t sum_ = 0;                                                                             \
    for (int w_ = 0; w_ < m->workers; w_++)                                                        \
      sum_ += RPC_STAT_GET(m->slots[w_].field);                                                    \
    sum_;                                                                                          \
  })

/* The same over the workers still running: a gauge of a dead worker's
 * (its connections, calls, memory) is gone with it; its counters stay. */
#define SUM_ALIVE(field)                                                                           \
  ({                                                                                               \
    uint64_t sum_ = 0;                                                                             \
    for (int w_ = 0; w_ < m->workers; w_++)                                                        \
      if (RPC_STAT_GET(m->slots[w_].alive)) sum_ += RPC_STAT_GET(m->slots[w_].field);              \
    sum_;                                                                                          \
  })

/* The histogram at byte offset off of worker w's slot. */
static const rpc_hist_t *hist_at(const dm_metrics_t *m, int w, size_t off) {
  return (const rpc_hist_t *)((const char *)&m->slots[w] + off);
}

/* A histogram over every worker; lbl is the series' labels, or NULL. */
static void histogram(dm_metrics_t *m, FILE *f, const char *name, size_t off,
                      void (*lbl)(FILE *f, const void *arg), const void *arg) {
  uint64_t count = 0;
  for (int b = 0; b <= RPC_STATS_BUCKETS; b++) {
    for (int w = 0; w < m->workers; w++)
      count += RPC_STAT_GET(hist_at(m, w, off)->bucket[b]);
    fprintf(f, "%s_bucket{", name);
    if (lbl) {
      lbl(f, arg);
      fputc(',', f);
    }
    if (b < RPC_STATS_BUCKETS)
      fprintf(f, "le=\"%g\"} %llu\n", rpc_stats_bounds_us[b] / 1e6, (unsigned long long)count);
    else
      fprintf(f, "le=\"+Inf\"} %llu\n", (unsigned long long)count);
  }
  uint64_t sum_us = 0;
  for (int w = 0; w < m->workers; w++)
    sum_us += RPC_STAT_GET(hist_at(m, w, off)->sum_us);
  fprintf(f, "%s_sum", name);
  if (lbl) {
    fputc('{', f);
    lbl(f, arg);
    fputc('}', f);
  }
  fprintf(f, " %.6f\n%s_count", sum_us / 1e6, name);
  if (lbl) {
    fputc('{', f);
    lbl(f, arg);
    fputc('}', f);
  }
  fprintf(f, " %llu\n", (unsigned long long)count);
}

static void method_lbl(FILE *f, const void *arg) {
  method_labels(f, arg);
}

static void backend_lbl(FILE *f, const void *arg) {
  fprintf(f, "backend=\"%s\"", (const char *)arg);
}

/* A counter of rpc_method_stats_t (at byte offset off), one series per
 * method, summed over the workers. */
static void method_counter(dm_metrics_t *m, FILE *f, const char *name, const char *help,
                           size_t off) {
  head(f, name, "counter", help);
  for (size_t i = 0; i < m->nmethods; i++) {
    uint64_t v = 0;
    for (int w = 0; w < m->workers; w++)
      v += RPC_STAT_GET(*(const uint64_t *)((const char *)&m->slots[w].rpc.method[i] + off));
    fprintf(f, "%s{", name);
    method_labels(f, &m->methods[i]);
    fprintf(f, "} %llu\n", (unsigned long long)v);
  }
}

static void render_calls(dm_metrics_t *m, FILE *f) {
  method_counter(m, f, "grpc_server_started_total", "Calls started: the method was found.",
                 offsetof(rpc_method_stats_t, started));
  head(f, "grpc_server_handled_total", "counter",
       "Calls ended, by the status code the client was told (Canceled: it went away).");
  for (size_t i = 0; i < m->nmethods; i++)
    for (int c = 0; c < RPC_STATS_CODES; c++) {
      uint64_t v = SUM(rpc.method[i].handled[c]);
      if (!v && c != RPC_CODE_OK) continue; /* a series per code seen, and OK */
      fputs("grpc_server_handled_total{", f);
      method_labels(f, &m->methods[i]);
      fprintf(f, ",grpc_code=\"%s\"} %llu\n", rpc_code_name(c), (unsigned long long)v);
    }
  head(f, "grpc_server_calls_in_flight", "gauge",
       "Calls started and not yet ended (grpc_type tells the streams).");
  for (size_t i = 0; i < m->nmethods; i++) {
    /* ended first: a call that starts and ends between the two reads
     * then counts as in flight for one scrape, never below zero */
    uint64_t ended = 0;
    for (int c = 0; c < RPC_STATS_CODES; c++)
      ended += SUM_ALIVE(rpc.method[i].handled[c]);
    uint64_t started = SUM_ALIVE(rpc.method[i].started);
    fputs("grpc_server_calls_in_flight{", f);
    method_labels(f, &m->methods[i]);
    fprintf(f, "} %llu\n", (unsigned long long)(started > ended ? started - ended : 0));
  }
  method_counter(m, f, "grpc_server_msg_received_total", "Request messages received.",
                 offsetof(rpc_method_stats_t, msgs_received));
  method_counter(m, f, "grpc_server_msg_sent_total", "Response messages sent.",
                 offsetof(rpc_method_stats_t, msgs_sent));
  head(f, "grpc_server_handling_seconds", "histogram",
       "Time from a call's start to its status, by method.");
  for (size_t i = 0; i < m->nmethods; i++)
    histogram(m, f, "grpc_server_handling_seconds",
              offsetof(dm_metrics_slot_t, rpc.method) + i * sizeof(rpc_method_stats_t) +
                  offsetof(rpc_method_stats_t, latency),
              method_lbl, &m->methods[i]);
}

static void render_transport(dm_metrics_t *m, FILE *f) {
  static const char *const transports[] = {"plaintext", "tls"};
  head(f, "grpc_server_connections", "gauge", "Open client connections.");
  for (int k = 0; k < 2; k++) {
    uint64_t closed = SUM_ALIVE(rpc.conns_closed[k]); /* first, as for calls in flight */
    uint64_t accepted = SUM_ALIVE(rpc.conns_accepted[k]);
    fprintf(f, "grpc_server_connections{transport=\"%s\"} %llu\n", transports[k],
            (unsigned long long)(accepted > closed ? accepted - closed : 0));
  }
  head(f, "grpc_server_connections_accepted_total", "counter", "Client connections accepted.");
  for (int k = 0; k < 2; k++)
    fprintf(f, "grpc_server_connections_accepted_total{transport=\"%s\"} %llu\n", transports[k],
            (unsigned long long)SUM(rpc.conns_accepted[k]));
  head(f, "grpc_server_tls_handshakes_total", "counter",
       "TLS handshakes completed: full, or resumed from a session ticket.");
  fprintf(f, "grpc_server_tls_handshakes_total{kind=\"full\"} %llu\n",
          (unsigned long long)SUM(rpc.tls_full));
  fprintf(f, "grpc_server_tls_handshakes_total{kind=\"resumed\"} %llu\n",
          (unsigned long long)SUM(rpc.tls_resumed));
  static const char *const reasons[RPC_TLS_FAIL_N] = {
      "timeout", "closed", "no_certificate", "bad_certificate", "revoked", "alert", "protocol"};
  head(f, "grpc_server_tls_handshake_failures_total", "counter",
       "TLS handshakes failed, by reason.");
  for (int r = 0; r < RPC_TLS_FAIL_N; r++)
    fprintf(f, "grpc_server_tls_handshake_failures_total{reason=\"%s\"} %llu\n", reasons[r],
            (unsigned long long)SUM(rpc.tls_failed[r]));
  head(f, "grpc_server_tls_connections_distrusted_total", "counter",
       "Open TLS connections closed because a reload no longer trusts the device: "
       "revoked, or its CA dropped.");
  fprintf(f, "grpc_server_tls_connections_distrusted_total %llu\n",
          (unsigned long long)SUM(rpc.tls_distrusted));
  head(f, "grpc_server_keepalive_pings_total", "counter",
       "HTTP/2 PINGs: keepalive ones the server sent, and the clients' it received.");
  fprintf(f, "grpc_server_keepalive_pings_total{direction=\"sent\"} %llu\n",
          (unsigned long long)SUM(rpc.pings_sent));
  fprintf(f, "grpc_server_keepalive_pings_total{direction=\"received\"} %llu\n",
          (unsigned long long)SUM(rpc.pings_received));
  head(f, "grpc_server_received_bytes_total", "counter", "HTTP/2 bytes received (inside TLS).");
  fprintf(f, "grpc_server_received_bytes_total %llu\n",
          (unsigned long long)SUM(rpc.bytes_received));
  head(f, "grpc_server_sent_bytes_total", "counter", "HTTP/2 bytes sent (inside TLS).");
  fprintf(f, "grpc_server_sent_bytes_total %llu\n", (unsigned long long)SUM(rpc.bytes_sent));
}

static void render_daemon(dm_metrics_t *m, FILE *f) {
  if (m->nlinks) {
    static const char *const states[] = {"IDLE", "CONNECTING", "READY", "TRANSIENT_FAILURE",
                                         "SHUTDOWN"};
    head(f, "gateway_storage_channel_state", "gauge",
         "Workers whose channel to the storage is in each gRPC connectivity state.");
    for (size_t i = 0; i < m->nlinks; i++)
      for (int st = 0; st < 5; st++) {
        uint64_t n = 0;
        for (int w = 0; w < m->workers; w++)
          n += m->slots[w].alive && RPC_STAT_GET(m->slots[w].link_state[i]) == st;
        fputs("gateway_storage_channel_state{address=\"", f);
        label(f, m->links[i]);
        fprintf(f, "\",state=\"%s\"} %llu\n", states[st], (unsigned long long)n);
      }
    head(f, "gateway_storage_serving", "gauge",
         "Workers whose health Watch says the storage is SERVING (calls go there).");
    for (size_t i = 0; i < m->nlinks; i++) {
      fputs("gateway_storage_serving{address=\"", f);
      label(f, m->links[i]);
      fprintf(f, "\"} %llu\n", (unsigned long long)SUM_ALIVE(link_serving[i]));
    }
  }
  if (m->backend) {
    head(f, "storage_db_query_seconds", "histogram",
         "Catalogue lookups, from asking the database to its answer.");
    histogram(m, f, "storage_db_query_seconds", offsetof(dm_metrics_slot_t, db_query), backend_lbl,
              m->backend);
  }
  head(f, "process_resident_memory_bytes", "gauge",
       "Resident memory of the daemon's processes, sampled each second.");
  fprintf(f, "process_resident_memory_bytes %llu\n", (unsigned long long)SUM_ALIVE(rss_bytes));
  head(f, "process_open_fds", "gauge", "Open descriptors of the daemon's processes.");
  fprintf(f, "process_open_fds %llu\n", (unsigned long long)SUM_ALIVE(open_fds));
  head(f, "grpc_c_embedded_workers", "gauge", "Worker processes running.");
  fprintf(f, "grpc_c_embedded_workers{daemon=\"%s\"} %llu\n", m->daemon,
          (unsigned long long)SUM(alive));
}

char *dm_metrics_render(dm_metrics_t *m, size_t *len) {
  char *buf = NULL;
  FILE *f = open_memstream(&buf, len);
  if (!f) return NULL;
  render_calls(m, f);
  render_transport(m, f);
  render_daemon(m, f);
  if (fclose(f) != 0) {
    free(buf);
    return NULL;
  }
  return buf;
}
