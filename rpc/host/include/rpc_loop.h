/*
 * rpc_loop.h - the host's event loop (epoll): file descriptors, timers and
 * deferred work, all caller-owned so that nothing is allocated per event.
 * Single-threaded: every callback runs on the loop's thread.
 */
#ifndef RPC_LOOP_H
#define RPC_LOOP_H

#include <stddef.h>
#include <stdint.h>

typedef struct rpc_loop rpc_loop_t;

/* A watched file descriptor; events are EPOLLIN/EPOLLOUT/... bits. */
typedef struct rpc_io {
  int fd;
  void (*fn)(struct rpc_io *io, uint32_t events);
  void *arg;
} rpc_io_t;

/* A one-shot timer; zero it before first use. */
typedef struct rpc_timer {
  uint64_t at; /* loop time (ms) when it fires */
  void (*fn)(struct rpc_timer *t);
  void *arg;
  size_t slot; /* position in the loop's heap, 0 when not armed */
} rpc_timer_t;

/* Work run once at the end of the current loop iteration (write coalescing:
 * a connection flushes once however many messages were queued). */
typedef struct rpc_defer {
  void (*fn)(struct rpc_defer *d);
  void *arg;
  struct rpc_defer *next;
  int queued;
} rpc_defer_t;

/* Creates a loop; NULL on failure. SIGINT and SIGTERM stop it (rpc_loop_run
 * returns their number), and SIGHUP calls its reload hook
 * (rpc_loop_on_reload), only if the process blocked them before this call:
 * the loop reads those from a signalfd and never changes the signal mask,
 * SIGPIPE or any other process-wide setting itself (a daemon's main does,
 * with dm_process_init). Signals left unblocked keep their default action. */
rpc_loop_t *rpc_loop_new(void);
void rpc_loop_free(rpc_loop_t *l);

/* Watches io->fd for events. Returns 0 or -1 (errno set). */
int rpc_loop_add(rpc_loop_t *l, rpc_io_t *io, uint32_t events);
int rpc_loop_mod(rpc_loop_t *l, rpc_io_t *io, uint32_t events);
void rpc_loop_del(rpc_loop_t *l, rpc_io_t *io);

/* Arms t to fire after ms (re-arming moves it). Returns 0 or -1 (no memory). */
int rpc_timer_start(rpc_loop_t *l, rpc_timer_t *t, uint64_t ms);
/* Disarms t; harmless when not armed. */
void rpc_timer_stop(rpc_loop_t *l, rpc_timer_t *t);

/* Queues d for the end of this iteration; queuing twice runs it once. */
void rpc_loop_defer(rpc_loop_t *l, rpc_defer_t *d);
/* Queues d for the next iteration, after that iteration's I/O and timers:
 * long work done in slices (a big stream) lets every other connection have
 * its turn in between, without a timer's wait. */
void rpc_loop_later(rpc_loop_t *l, rpc_defer_t *d);
/* Takes d off either queue (before freeing its owner). */
void rpc_loop_undefer(rpc_loop_t *l, rpc_defer_t *d);

/* The loop's clock: monotonic milliseconds, read once per iteration. */
uint64_t rpc_loop_now(rpc_loop_t *l);
/* Re-reads the clock. */
uint64_t rpc_loop_update_now(rpc_loop_t *l);

/* Runs until rpc_loop_stop or a signal. Returns the signal number (0 if
 * stopped by a call), or -1 if epoll failed. */
int rpc_loop_run(rpc_loop_t *l);

/* Runs one iteration, waiting at most max_wait_ms for I/O (-1: until the
 * next timer). For tests that step the loop by hand. Returns 0 or -1. */
int rpc_loop_turn(rpc_loop_t *l, int max_wait_ms);

/* Replaces the loop's clock (monotonic milliseconds) with clock(arg), read
 * once per iteration as the real one is: a test moves time by hand and the
 * timers follow it. NULL restores the monotonic clock. */
void rpc_loop_set_clock(rpc_loop_t *l, uint64_t (*clock)(void *arg), void *arg);
void rpc_loop_stop(rpc_loop_t *l);

/* Makes SIGHUP (when blocked, see rpc_loop_new) call fn(arg) on the loop's
 * thread, between events, and the loop go on: a daemon reloads its
 * certificates there. Without a hook SIGHUP is logged and ignored. */
void rpc_loop_on_reload(rpc_loop_t *l, void (*fn)(void *arg), void *arg);

/* A deframer grow hook over the C heap (host only): realloc, or free when
 * n is 0. */
void *rpc_heap_grow(void *old, size_t n);

/* Monotonic milliseconds, for code off the loop. */
uint64_t rpc_now_ms(void);

/* Monotonic microseconds (latencies). */
uint64_t rpc_now_us(void);

/* n random bytes from the kernel, pooled per process (trace and span ids;
 * not for keys). */
void rpc_random(uint8_t *buf, size_t n);

#endif /* RPC_LOOP_H */
