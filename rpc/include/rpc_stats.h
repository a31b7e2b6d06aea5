/*
 * rpc_stats.h - what a server counts for its operators: calls by method and
 * status code with their latency, connections, TLS handshakes, PINGs and
 * bytes. Plain counters that only go up, in a struct the caller owns (a
 * daemon puts one per worker in memory shared across its processes and
 * renders them, daemon/src/dm_metrics.c). One writer, the loop's thread:
 * a reader in another process sees each counter whole (RPC_STAT_ADD), never
 * a consistent snapshot of all of them, which Prometheus does not ask for.
 * Gauges are differences (in flight = started - handled).
 */
#ifndef RPC_STATS_H
#define RPC_STATS_H

#include <stdint.h>

#define RPC_STATS_METHODS 8  /* the first 8 methods of a table are counted */
#define RPC_STATS_CODES 17   /* gRPC status codes 0..16 */
#define RPC_STATS_BUCKETS 14 /* latency buckets, rpc_stats_bounds_us */

/* A latency histogram: counts per bucket (not cumulative; the last is +Inf)
 * and the sum in microseconds. */
typedef struct rpc_hist {
  uint64_t bucket[RPC_STATS_BUCKETS + 1];
  uint64_t sum_us;
} rpc_hist_t;

typedef struct rpc_method_stats {
  uint64_t started;                  /* the method was found: a handler will run */
  uint64_t handled[RPC_STATS_CODES]; /* ended, by the code the client was told */
  uint64_t msgs_received, msgs_sent;
  rpc_hist_t latency; /* start to status */
} rpc_method_stats_t;

/* Why a TLS handshake failed (rpc_tls_fail_reason). */
enum {
  RPC_TLS_FAIL_TIMEOUT = 0, /* the handshake timeout passed */
  RPC_TLS_FAIL_CLOSED,      /* the client went away in the middle */
  RPC_TLS_FAIL_NO_CERT,     /* a client certificate was required, none came */
  RPC_TLS_FAIL_BAD_CERT,    /* it did not verify against the client CA */
  RPC_TLS_FAIL_REVOKED,     /* it is on the CRL */
  RPC_TLS_FAIL_ALERT,       /* the client sent a fatal alert (it refused us) */
  RPC_TLS_FAIL_PROTOCOL,    /* anything else: versions, ciphers, ALPN, bad records */
  RPC_TLS_FAIL_N
};

enum { RPC_STATS_PLAIN = 0, RPC_STATS_TLS = 1 };

typedef struct rpc_server_stats {
  rpc_method_stats_t method[RPC_STATS_METHODS];
  uint64_t conns_accepted[2], conns_closed[2]; /* [RPC_STATS_PLAIN / _TLS] */
  uint64_t tls_full, tls_resumed, tls_failed[RPC_TLS_FAIL_N];
  uint64_t tls_distrusted; /* open connections closed by a reload (revoked, CA dropped) */
  uint64_t pings_sent, pings_received; /* keepalive PINGs (not their ACKs) */
  uint64_t bytes_received, bytes_sent; /* HTTP/2 bytes, inside TLS */
} rpc_server_stats_t;

/* Upper bounds of the latency buckets, in microseconds. */
extern const uint32_t rpc_stats_bounds_us[RPC_STATS_BUCKETS];

/* Adds n to a counter: one writer, so no atomic read-modify-write is needed,
 * but the store is whole (a 32-bit board's reader never sees half of it). */
#define RPC_STAT_ADD(counter, n)                                                                   \
  __atomic_store_n(&(counter), __atomic_load_n(&(counter), __ATOMIC_RELAXED) + (n),                \
                   __ATOMIC_RELAXED)

/* Sets a gauge the same way. */
#define RPC_STAT_SET(gauge, v) __atomic_store_n(&(gauge), (v), __ATOMIC_RELAXED)

/* A counter, read from another process. */
#define RPC_STAT_GET(counter) __atomic_load_n(&(counter), __ATOMIC_RELAXED)

/* Counts one observation of us microseconds. */
void rpc_hist_observe(rpc_hist_t *h, uint64_t us);

#endif /* RPC_STATS_H */
