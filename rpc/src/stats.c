/* stats.c - the latency buckets of rpc_stats.h. */
#include "rpc_stats.h"

/* 100 us to 5 s: a unary call on the host takes about 100 us, a device's
 * call over a UART a second, a big stream seconds. */
const uint32_t rpc_stats_bounds_us[RPC_STATS_BUCKETS] = {
    100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 5000000};

void rpc_hist_observe(rpc_hist_t *h, uint64_t us) {
  int i = 0;
  while (i < RPC_STATS_BUCKETS && us > rpc_stats_bounds_us[i])
    i++;
  RPC_STAT_ADD(h->bucket[i], 1);
  RPC_STAT_ADD(h->sum_us, us);
}
