/*
 * dm_metrics.h - a daemon's Prometheus metrics (`--metrics-listen`): the
 * runtime's counters (rpc_stats.h) and the daemon's own (its storage
 * channels, its database), kept per worker in memory the workers share,
 * and summed by whichever worker answers GET /metrics (text exposition
 * format 0.0.4; docs/operations.md lists the families).
 *
 * Before the workers fork: dm_metrics_new. In each worker: dm_metrics_start
 * with its loop and method table, then hand dm_metrics_server_stats to the
 * server and count the daemon's own figures in dm_metrics_slot.
 */
#ifndef DM_METRICS_H
#define DM_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "rpc_loop.h"
#include "rpc_server_core.h"
#include "rpc_stats.h"

#define DM_METRICS_LINKS 16 /* storage channels counted (GW_LB_MAX) */

typedef struct dm_metrics dm_metrics_t;

/* A worker's figures beside the runtime's. */
typedef struct dm_metrics_slot {
  rpc_server_stats_t rpc;
  /* per storage address: the channel's connectivity state (RPC_LINK_*) and
   * whether its health Watch says SERVING; written by the sampler */
  uint8_t link_state[DM_METRICS_LINKS];
  uint8_t link_serving[DM_METRICS_LINKS];
  rpc_hist_t db_query;          /* storage: a lookup, from asking to the answer */
  uint64_t rss_bytes, open_fds; /* the worker process, sampled */
  uint8_t alive;                /* the worker has started */
} dm_metrics_slot_t;

/* Room for workers' slots in shared memory; daemon names the metrics of its
 * own ("gateway", "storage"). NULL on error (logged). */
dm_metrics_t *dm_metrics_new(const char *daemon, int workers);

/* In the worker: serves GET /metrics on listen (with SO_REUSEPORT when
 * there are several workers) from loop; methods[n] names the runtime's
 * method slots. The sampler, if set, runs once a second and before each
 * answer, to copy state into this worker's slot. 0, or -1 (logged). */
int dm_metrics_start(dm_metrics_t *m, rpc_loop_t *loop, const char *listen,
                     const rpc_method_t *methods, size_t n);

/* This worker's slot. */
dm_metrics_slot_t *dm_metrics_slot(dm_metrics_t *m);

/* Names the storage channels (links[i] is link_state[i]'s address) and the
 * sampler that refreshes their state. */
void dm_metrics_links(dm_metrics_t *m, const char *const *links, size_t n,
                      void (*sample)(void *arg, dm_metrics_slot_t *slot), void *arg);

/* Names the database backend ("sqlite", "postgresql"): db_query counts. */
void dm_metrics_db(dm_metrics_t *m, const char *backend);

/* Stops serving (in the worker, before its loop is freed). */
void dm_metrics_stop(dm_metrics_t *m);

/* A worker exited (dm_workers_on_exit, in the shepherd): its gauges leave
 * the sums. */
void dm_metrics_worker_gone(int worker, void *arg);

/* Stops, if still serving, and frees (each process its own copy). */
void dm_metrics_free(dm_metrics_t *m);

/* Renders the metrics text into a malloc'd buffer (*len bytes). NULL when
 * out of memory. */
char *dm_metrics_render(dm_metrics_t *m, size_t *len);

#endif /* DM_METRICS_H */
