/*
 * fleet.h - the fleet simulator (bench/fleet/): many device channels held
 * open with keepalive against a gateway, a few of them calling, for the
 * fleet benchmarks (docs/benchmarks.md, "A fleet"). One process drives up to
 * its descriptor limit of channels on the project's client core
 * (rpc_channel.h) and epoll (rpc_loop.h); --procs runs several side by side
 * and merges what they measured. Bounded in time: it stops by itself.
 */
#ifndef FLEET_H
#define FLEET_H

#include <stddef.h>
#include <stdint.h>

enum { FL_UNARY, FL_STREAM, FL_KINDS }; /* GetVendorProdTypes, GetVendorProds */

typedef struct fl_opts {
  const char *addr;   /* the gateway, HOST:PORT */
  uint32_t channels;  /* idle devices, each with one channel */
  uint32_t active;    /* devices that keep calling, besides */
  uint32_t procs;     /* processes */
  uint32_t src_base;  /* first source address (host order), 0: none */
  uint32_t src_count; /* source addresses, from src_base on */
  uint32_t rate;      /* new connections a second, per process */
  uint32_t hold_ms;   /* the measured phase, after the ramp */
  uint32_t limit_ms;  /* the whole run at most */
  uint32_t keepalive_ms, keepalive_timeout_ms;
  uint32_t timeout_ms;   /* each call's deadline */
  uint32_t stream_every; /* every Nth active call streams; 0: none */
  uint32_t pause_ms;     /* an active device's pause between calls */
  uint32_t tick_ms;      /* an idle-only process wakes at most this often in the hold; 0: at once */
  const char *ca, *cert, *key, *server_name; /* TLS when ca is set */
  int resume;       /* TLS session resumption, primed by one device first */
  uint32_t windows; /* SIGHUP cuts the hold into windows; the last one ends it; 0: no cuts */
} fl_opts_t;

/* The active devices' calls in one window of the hold. Latencies in
 * microseconds. */
typedef struct fl_win {
  uint64_t us; /* its length */
  uint64_t calls[FL_KINDS], ok[FL_KINDS];
  uint32_t *lat[FL_KINDS];
  size_t nlat[FL_KINDS], caplat[FL_KINDS];
} fl_win_t;

#define FL_WINDOWS 64 /* --windows at most */

/* What one process measured. Latencies in microseconds. */
typedef struct fl_result {
  uint32_t channels, connected, failed_connect, lost; /* idle devices */
  uint32_t answered; /* first calls the server answered, whatever the status
                      * (not Unavailable, DeadlineExceeded or Cancelled): a
                      * server that is not a gRPC one (nghttpd) answers too */
  uint32_t still_up; /* idle channels up at the end */
  uint64_t ramp_us;  /* the ramp: first to last connection */
  uint64_t hold_us;  /* the measured phase */
  uint32_t handshakes, resumed, pings;
  uint32_t nwin;            /* windows the hold was cut into: 1 without --windows */
  fl_win_t win[FL_WINDOWS]; /* the hold's calls, a window each */
  uint32_t *first;          /* each idle device's first call: connect + call */
  size_t nfirst, capfirst;
} fl_result_t;

/* Runs one process's share: channels idle devices from source addresses
 * src_base + [0, src_count), active callers. 0, or 1 with a message. */
int fl_run(const fl_opts_t *o, fl_result_t *r);

/* Adds a latency sample to a growing array; 0, or -1 without memory. */
int fl_sample(uint32_t **v, size_t *n, size_t *cap, uint32_t us);

void fl_result_free(fl_result_t *r);

#endif /* FLEET_H */
