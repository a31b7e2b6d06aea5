/*
 * fleet_main.c - fleet-sim's command line, its processes and its report
 * (fleet.h). --procs N forks N processes, each with its share of the
 * devices and of the source addresses; each writes what it measured to a
 * file the parent merges, so the percentiles are over every call.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fleet.h"

static const char *const kind_name[FL_KINDS] = {"GetVendorProdTypes", "GetVendorProds"};

static int usage_to(FILE *f) {
  fprintf(f, "usage: fleet-sim --addr HOST:PORT [--channels N] [--active N] [--procs N]\n"
             "                 [--sources A.B.C.D/COUNT] [--rate N] [--hold-ms N] [--limit-ms N]\n"
             "                 [--keepalive-ms N [--keepalive-timeout-ms N]] [--timeout-ms N]\n"
             "                 [--stream-every N] [--pause-ms N] [--windows N] [--tick-ms N]\n"
             "                 [--ca F [--cert F --key F] [--server-name NAME] [--resume]]\n"
             "  --channels: idle devices (one channel each, one first call, then keepalive;\n"
             "            a device's first PING at a random point of its first interval,\n"
             "            so that the fleet pings at its steady rate from the start)\n"
             "  --active: devices calling back to back during the hold (GetVendorProdTypes;\n"
             "            every Nth GetVendorProds aws storage with --stream-every N)\n"
             "  --sources: dial from COUNT addresses from A.B.C.D on (127.0.0.0/8)\n"
             "  --resume: TLS session resumption; one device connects first, and the\n"
             "            others offer the session it was given\n"
             "  --windows: each SIGHUP ends a window of the hold and starts the next, the\n"
             "            Nth ends the hold; a report line a window (window=W s=SECONDS)\n"
             "  --tick-ms: a process of idle devices only handles its I/O every N ms in\n"
             "            the hold (fewer wakeups on a machine the gateway shares)\n");
  return 2;
}

static int usage(void) {
  return usage_to(stderr);
}

static int num(const char *s, unsigned long max, uint32_t *out) {
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (!*s || *end || errno || v > max) return -1;
  *out = (uint32_t)v;
  return 0;
}

static int parse(int argc, char **argv, fl_opts_t *o) {
  o->procs = 1;
  o->rate = 2000;
  o->hold_ms = 5000;
  o->limit_ms = 60000;
  o->timeout_ms = 10000;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    int bad = 0;
    if (strcmp(a, "--resume") == 0) { /* the one flag without a value */
      o->resume = 1;
      continue;
    }
    if (!v) return -1;
    if (strcmp(a, "--addr") == 0)
      o->addr = v;
    else if (strcmp(a, "--channels") == 0)
      bad = num(v, 10000000, &o->channels);
    else if (strcmp(a, "--active") == 0)
      bad = num(v, 100000, &o->active);
    else if (strcmp(a, "--procs") == 0)
      bad = num(v, 64, &o->procs) || o->procs == 0;
    else if (strcmp(a, "--rate") == 0)
      bad = num(v, 1000000, &o->rate) || o->rate == 0;
    else if (strcmp(a, "--hold-ms") == 0)
      bad = num(v, 3600000, &o->hold_ms);
    else if (strcmp(a, "--limit-ms") == 0)
      bad = num(v, 7200000, &o->limit_ms) || o->limit_ms == 0;
    else if (strcmp(a, "--keepalive-ms") == 0)
      bad = num(v, 86400000, &o->keepalive_ms);
    else if (strcmp(a, "--keepalive-timeout-ms") == 0)
      bad = num(v, 86400000, &o->keepalive_timeout_ms);
    else if (strcmp(a, "--timeout-ms") == 0)
      bad = num(v, 86400000, &o->timeout_ms) || o->timeout_ms == 0;
    else if (strcmp(a, "--stream-every") == 0)
      bad = num(v, 1000000, &o->stream_every);
    else if (strcmp(a, "--pause-ms") == 0)
      bad = num(v, 3600000, &o->pause_ms);
    else if (strcmp(a, "--tick-ms") == 0)
      bad = num(v, 1000, &o->tick_ms);
    else if (strcmp(a, "--windows") == 0)
      bad = num(v, FL_WINDOWS, &o->windows) || o->windows == 0;
    else if (strcmp(a, "--ca") == 0)
      o->ca = v;
    else if (strcmp(a, "--cert") == 0)
      o->cert = v;
    else if (strcmp(a, "--key") == 0)
      o->key = v;
    else if (strcmp(a, "--server-name") == 0)
      o->server_name = v;
    else if (strcmp(a, "--sources") == 0) {
      char ip[32];
      const char *slash = strchr(v, '/');
      struct in_addr in;
      bad = !slash || (size_t)(slash - v) >= sizeof(ip);
      if (!bad) {
        memcpy(ip, v, (size_t)(slash - v));
        ip[slash - v] = '\0';
        bad = inet_pton(AF_INET, ip, &in) != 1 || num(slash + 1, 1u << 24, &o->src_count) ||
              o->src_count == 0;
        o->src_base = ntohl(in.s_addr);
      }
    } else
      return -1;
    if (bad) return -1;
    i++;
  }
  if (!o->addr || (!o->channels && !o->active) || (!o->cert != !o->key)) return -1;
  return 0;
}

/* --- one process's result in a file ---------------------------------------- */

static int put(FILE *f, const void *p, size_t n) {
  return fwrite(p, 1, n, f) == n ? 0 : -1;
}

static int save(const char *path, const fl_result_t *r) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  int rc = put(f, r, sizeof(*r));
  for (uint32_t w = 0; w < r->nwin && !rc; w++)
    for (int k = 0; k < FL_KINDS && !rc; k++)
      rc = put(f, r->win[w].lat[k], r->win[w].nlat[k] * sizeof(uint32_t));
  if (!rc) rc = put(f, r->first, r->nfirst * sizeof(uint32_t));
  return fclose(f) != 0 || rc ? -1 : 0;
}

static int take(FILE *f, uint32_t **v, size_t *n, size_t *cap, size_t count) {
  for (size_t i = 0; i < count; i++) {
    uint32_t us;
    if (fread(&us, sizeof(us), 1, f) != 1 || fl_sample(v, n, cap, us) != 0) return -1;
  }
  return 0;
}

/* Adds the result saved at path to total. */
static int merge(const char *path, fl_result_t *t) {
  FILE *f = fopen(path, "rb");
  fl_result_t r;
  if (!f) return -1;
  int rc = fread(&r, sizeof(r), 1, f) == 1 ? 0 : -1;
  if (!rc) {
    t->channels += r.channels;
    t->connected += r.connected;
    t->failed_connect += r.failed_connect;
    t->answered += r.answered;
    t->lost += r.lost;
    t->still_up += r.still_up;
    if (r.ramp_us > t->ramp_us) t->ramp_us = r.ramp_us;
    if (r.hold_us > t->hold_us) t->hold_us = r.hold_us;
    t->handshakes += r.handshakes;
    t->resumed += r.resumed;
    t->pings += r.pings;
    if (r.nwin > t->nwin) t->nwin = r.nwin <= FL_WINDOWS ? r.nwin : FL_WINDOWS;
    for (uint32_t w = 0; w < r.nwin && w < FL_WINDOWS && !rc; w++) { /* window by window */
      fl_win_t *a = &t->win[w];
      const fl_win_t *b = &r.win[w];
      if (b->us > a->us) a->us = b->us;
      for (int k = 0; k < FL_KINDS && !rc; k++) {
        a->calls[k] += b->calls[k];
        a->ok[k] += b->ok[k];
        rc = take(f, &a->lat[k], &a->nlat[k], &a->caplat[k], b->nlat[k]);
      }
    }
    if (!rc) rc = take(f, &t->first, &t->nfirst, &t->capfirst, r.nfirst);
  }
  fclose(f);
  return rc;
}

/* --- the report -------------------------------------------------------------- */

static int cmp(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* The p-th per mille of v (sorted here). */
static uint32_t pct(uint32_t *v, size_t n, unsigned pm) {
  if (!n) return 0;
  qsort(v, n, sizeof(*v), cmp);
  size_t i = (n * pm + 999) / 1000;
  return v[i ? i - 1 : 0];
}

static void report(const fl_opts_t *o, fl_result_t *r) {
  double ramp_s = (double)r->ramp_us / 1e6, hold_s = (double)r->hold_us / 1e6;
  printf("fleet: procs=%u channels=%u connected=%u failed=%u still_up=%u lost=%u\n", o->procs,
         r->channels, r->connected, r->failed_connect, r->still_up, r->lost);
  if (r->channels)
    printf("fleet: ramp_s=%.2f connects_per_s=%.0f first_call_p50_us=%u first_call_p99_us=%u "
           "answered_per_s=%.0f\n",
           ramp_s, ramp_s > 0 ? r->connected / ramp_s : 0.0, pct(r->first, r->nfirst, 500),
           pct(r->first, r->nfirst, 990), ramp_s > 0 ? r->answered / ramp_s : 0.0);
  /* with --windows, a line a window and kind: "fleet: window=W s=S KIND ..." */
  for (uint32_t w = 0; w < (r->nwin ? r->nwin : 1); w++) {
    fl_win_t *x = &r->win[w];
    double s = o->windows ? (double)x->us / 1e6 : hold_s;
    for (int k = 0; k < FL_KINDS; k++) {
      if (!x->calls[k] && (k == FL_STREAM || !o->active)) continue;
      if (o->windows) printf("fleet: window=%u s=%.2f ", w + 1, s);
      printf("%s%s calls=%llu ok=%llu calls_per_s=%.0f p50_us=%u p99_us=%u p999_us=%u\n",
             o->windows ? "" : "fleet: ", kind_name[k], (unsigned long long)x->calls[k],
             (unsigned long long)x->ok[k], s > 0 ? (double)x->calls[k] / s : 0.0,
             pct(x->lat[k], x->nlat[k], 500), pct(x->lat[k], x->nlat[k], 990),
             pct(x->lat[k], x->nlat[k], 999));
    }
  }
  printf("fleet: hold_s=%.2f keepalive_pings=%u tls_handshakes=%u tls_resumed=%u\n", hold_s,
         r->pings, r->handshakes, r->resumed);
}

/* --- processes --------------------------------------------------------------- */

/* The share of n for process i of p. */
static uint32_t share(uint32_t n, uint32_t i, uint32_t p) {
  return n / p + (i < n % p);
}

static uint32_t before(uint32_t n, uint32_t i, uint32_t p) {
  uint32_t s = 0;
  for (uint32_t k = 0; k < i; k++)
    s += share(n, k, p);
  return s;
}

/* The children, for SIGHUP (--windows): each cuts its own hold. */
static pid_t kids[64];
static uint32_t nkids;

static void forward_hup(int sig) {
  for (uint32_t i = 0; i < nkids; i++)
    if (kids[i] > 0) kill(kids[i], sig);
}

int main(int argc, char **argv) {
  fl_opts_t o = {0};
  if (argc == 2 && strcmp(argv[1], "--help") == 0) {
    usage_to(stdout);
    return 0;
  }
  if (argc == 2 && strcmp(argv[1], "--version") == 0) {
    printf("fleet-sim 0.3 (grpc-c-embedded)\n");
    return 0;
  }
  if (parse(argc, argv, &o) != 0) return usage();
  signal(SIGPIPE, SIG_IGN);
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    uint32_t need = (o.channels + o.active) / o.procs + 64;
    if (rl.rlim_cur != RLIM_INFINITY && need > rl.rlim_cur) {
      fprintf(stderr,
              "fleet: %u devices a process need about %u descriptors, over this process's "
              "limit of %llu (ulimit -Hn): give --procs %u or more\n",
              (o.channels + o.active) / o.procs, need, (unsigned long long)rl.rlim_cur,
              (unsigned)((o.channels + o.active) / (rl.rlim_cur - 64) + 1));
      return 1;
    }
  }
  fl_result_t total = {0};
  if (o.procs == 1) {
    if (fl_run(&o, &total) != 0) return 1;
    report(&o, &total);
    fl_result_free(&total);
    return 0;
  }
  char dir[] = "/tmp/fleet-sim.XXXXXX";
  if (!mkdtemp(dir)) {
    perror("fleet: mkdtemp");
    return 1;
  }
  pid_t *pids = kids;
  sigset_t hup, old;
  sigemptyset(&hup);
  sigaddset(&hup, SIGHUP);
  if (o.windows) sigprocmask(SIG_BLOCK, &hup, &old); /* the children read it from their loop */
  for (uint32_t i = 0; i < o.procs; i++) {
    fl_opts_t c = o;
    c.channels = share(o.channels, i, o.procs);
    c.active = share(o.active, i, o.procs);
    if (o.src_count >= o.procs) { /* disjoint source addresses */
      c.src_base = o.src_base + before(o.src_count, i, o.procs);
      c.src_count = share(o.src_count, i, o.procs);
    }
    c.rate = o.rate / o.procs ? o.rate / o.procs : 1;
    fflush(stdout);
    pids[i] = fork();
    if (pids[i] == 0) {
      char path[64];
      fl_result_t r = {0};
      snprintf(path, sizeof(path), "%s/%u", dir, i);
      int rc = fl_run(&c, &r) != 0 || save(path, &r) != 0;
      _exit(rc);
    }
  }
  nkids = o.procs;
  if (o.windows) {
    struct sigaction sa = {0};
    sa.sa_handler = forward_hup;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGHUP, &sa, NULL);
    sigprocmask(SIG_SETMASK, &old, NULL);
  }
  int bad = 0;
  for (uint32_t i = 0; i < o.procs; i++) {
    int st;
    char path[64];
    if (pids[i] < 0 || waitpid(pids[i], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
      bad = 1;
      continue;
    }
    snprintf(path, sizeof(path), "%s/%u", dir, i);
    if (merge(path, &total) != 0) bad = 1;
    unlink(path);
  }
  rmdir(dir);
  if (bad) fprintf(stderr, "fleet: a process failed; the report covers the others\n");
  report(&o, &total);
  fl_result_free(&total);
  return bad;
}
