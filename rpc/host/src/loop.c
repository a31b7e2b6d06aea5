/* loop.c - epoll, a binary min-heap of caller-owned timers, the deferred
 * work of this iteration and of the next (rpc_loop_later), and signalfd for
 * SIGINT/SIGTERM (stop) and SIGHUP (the reload hook) when the process has
 * blocked them. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "rpc_log.h"
#include "rpc_loop.h"

struct rpc_loop {
  int ep;
  int stop;
  int signo;
  uint64_t now;
  rpc_timer_t **heap; /* 1-based */
  size_t n, cap;
  rpc_defer_t *defer_head, **defer_tail;
  rpc_defer_t *later_head, **later_tail; /* for the next iteration */
  rpc_io_t sig;
  uint64_t (*clock)(void *arg); /* NULL: the monotonic clock */
  void *clock_arg;
  void (*reload)(void *arg); /* SIGHUP's hook (rpc_loop_on_reload) */
  void *reload_arg;
};

uint64_t rpc_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void *rpc_heap_grow(void *old, size_t n) {
  if (n == 0) {
    free(old);
    return NULL;
  }
  return realloc(old, n);
}

static void on_signal(rpc_io_t *io, uint32_t ev) {
  (void)ev;
  rpc_loop_t *l = io->arg;
  struct signalfd_siginfo si;
  while (read(io->fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
    if (si.ssi_signo == SIGHUP) { /* a reload: the loop goes on */
      if (l->reload)
        l->reload(l->reload_arg);
      else
        rpc_log("SIGHUP: nothing to reload");
      continue;
    }
    l->signo = (int)si.ssi_signo;
    l->stop = 1;
    return;
  }
}

/* The stop and reload signals the process has blocked: only those can be
 * read from a signalfd. The loop never changes the mask itself
 * (dm_process_init does, in a daemon's main). Returns how many. */
static int stop_signals(sigset_t *set) {
  sigset_t blocked;
  int n = 0;
  sigemptyset(set);
  if (sigprocmask(SIG_BLOCK, NULL, &blocked) != 0) return 0;
  if (sigismember(&blocked, SIGINT) == 1) n += sigaddset(set, SIGINT) == 0;
  if (sigismember(&blocked, SIGTERM) == 1) n += sigaddset(set, SIGTERM) == 0;
  if (sigismember(&blocked, SIGHUP) == 1) n += sigaddset(set, SIGHUP) == 0;
  return n;
}

rpc_loop_t *rpc_loop_new(void) {
  rpc_loop_t *l = calloc(1, sizeof(*l));
  if (!l) return NULL;
  l->sig.fd = -1;
  l->ep = epoll_create1(EPOLL_CLOEXEC);
  l->defer_tail = &l->defer_head;
  l->later_tail = &l->later_head;
  l->now = rpc_now_ms();
  if (l->ep < 0) {
    rpc_loop_free(l);
    return NULL;
  }
  sigset_t set;
  if (stop_signals(&set) > 0) {
    l->sig.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    l->sig.fn = on_signal;
    l->sig.arg = l;
    if (l->sig.fd < 0 || rpc_loop_add(l, &l->sig, EPOLLIN) != 0) {
      rpc_loop_free(l);
      return NULL;
    }
  }
  return l;
}

static void run_deferred(rpc_loop_t *l);

void rpc_loop_free(rpc_loop_t *l) {
  if (!l) return;
  run_deferred(l); /* deferred frees of closed connections */
  if (l->sig.fd >= 0) close(l->sig.fd);
  if (l->ep >= 0) close(l->ep);
  free(l->heap);
  free(l);
}

int rpc_loop_add(rpc_loop_t *l, rpc_io_t *io, uint32_t events) {
  struct epoll_event ev = {.events = events, .data.ptr = io};
  return epoll_ctl(l->ep, EPOLL_CTL_ADD, io->fd, &ev);
}

int rpc_loop_mod(rpc_loop_t *l, rpc_io_t *io, uint32_t events) {
  struct epoll_event ev = {.events = events, .data.ptr = io};
  return epoll_ctl(l->ep, EPOLL_CTL_MOD, io->fd, &ev);
}

void rpc_loop_del(rpc_loop_t *l, rpc_io_t *io) {
  epoll_ctl(l->ep, EPOLL_CTL_DEL, io->fd, NULL);
}

/* --- timers: a min-heap on 'at' ------------------------------------------ */

static void heap_set(rpc_loop_t *l, size_t i, rpc_timer_t *t) {
  l->heap[i] = t;
  t->slot = i;
}

static void sift_up(rpc_loop_t *l, size_t i) {
  rpc_timer_t *t = l->heap[i];
  while (i > 1 && l->heap[i / 2]->at > t->at) {
    heap_set(l, i, l->heap[i / 2]);
    i /= 2;
  }
  heap_set(l, i, t);
}

static void sift_down(rpc_loop_t *l, size_t i) {
  rpc_timer_t *t = l->heap[i];
  for (;;) {
    size_t c = 2 * i;
    if (c > l->n) break;
    if (c + 1 <= l->n && l->heap[c + 1]->at < l->heap[c]->at) c++;
    if (l->heap[c]->at >= t->at) break;
    heap_set(l, i, l->heap[c]);
    i = c;
  }
  heap_set(l, i, t);
}

void rpc_timer_stop(rpc_loop_t *l, rpc_timer_t *t) {
  size_t i = t->slot;
  if (!i) return;
  t->slot = 0;
  rpc_timer_t *last = l->heap[l->n--];
  if (i <= l->n) {
    heap_set(l, i, last);
    sift_up(l, i);
    sift_down(l, last->slot);
  }
}

int rpc_timer_start(rpc_loop_t *l, rpc_timer_t *t, uint64_t ms) {
  rpc_timer_stop(l, t);
  if (l->n + 1 >= l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 64;
    rpc_timer_t **h = realloc(l->heap, cap * sizeof(*h));
    if (!h) return -1;
    l->heap = h;
    l->cap = cap;
  }
  t->at = l->now + ms;
  heap_set(l, ++l->n, t);
  sift_up(l, l->n);
  return 0;
}

/* --- deferred work --------------------------------------------------------- */

void rpc_loop_defer(rpc_loop_t *l, rpc_defer_t *d) {
  if (d->queued) return;
  d->queued = 1;
  d->next = NULL;
  *l->defer_tail = d;
  l->defer_tail = &d->next;
}

void rpc_loop_later(rpc_loop_t *l, rpc_defer_t *d) {
  if (d->queued) return;
  d->queued = 1;
  d->next = NULL;
  *l->later_tail = d;
  l->later_tail = &d->next;
}

/* Takes d off the list at *head if it is there; 1 when it was. */
static int unlink_from(rpc_defer_t **head, rpc_defer_t ***tail, rpc_defer_t *d) {
  for (rpc_defer_t **p = head; *p; p = &(*p)->next) {
    if (*p == d) {
      *p = d->next;
      if (*tail == &d->next) *tail = p;
      return 1;
    }
  }
  return 0;
}

void rpc_loop_undefer(rpc_loop_t *l, rpc_defer_t *d) {
  if (!d->queued) return;
  if (!unlink_from(&l->defer_head, &l->defer_tail, d))
    unlink_from(&l->later_head, &l->later_tail, d);
  d->queued = 0;
}

static void run_deferred(rpc_loop_t *l) {
  while (l->defer_head) {
    rpc_defer_t *d = l->defer_head;
    l->defer_head = d->next;
    if (!l->defer_head) l->defer_tail = &l->defer_head;
    d->queued = 0;
    d->fn(d);
  }
}

/* The work queued for this iteration by the one before: it becomes this
 * iteration's deferred work, and what it queues with rpc_loop_later waits
 * for the next one. */
static void promote_later(rpc_loop_t *l) {
  if (!l->later_head) return;
  *l->defer_tail = l->later_head;
  l->defer_tail = l->later_tail;
  l->later_head = NULL;
  l->later_tail = &l->later_head;
}

uint64_t rpc_loop_now(rpc_loop_t *l) {
  return l->now;
}

uint64_t rpc_loop_update_now(rpc_loop_t *l) {
  return l->now = l->clock ? l->clock(l->clock_arg) : rpc_now_ms();
}

void rpc_loop_set_clock(rpc_loop_t *l, uint64_t (*clock)(void *arg), void *arg) {
  l->clock = clock;
  l->clock_arg = arg;
  rpc_loop_update_now(l);
}

void rpc_loop_on_reload(rpc_loop_t *l, void (*fn)(void *arg), void *arg) {
  l->reload = fn;
  l->reload_arg = arg;
}

void rpc_loop_stop(rpc_loop_t *l) {
  l->stop = 1;
}

/* One iteration: waits for I/O (no longer than the next timer, nor than
 * max_wait when it is not negative), runs the I/O callbacks, the due timers
 * and the deferred work. Returns 0, or -1 if epoll failed. */
static int turn(rpc_loop_t *l, int max_wait) {
  struct epoll_event evs[64];
  int wait = -1;
  if (l->defer_head || l->later_head) {
    wait = 0;
  } else if (l->n) {
    uint64_t at = l->heap[1]->at;
    wait = at <= l->now ? 0 : (int)(at - l->now > 60000 ? 60000 : at - l->now);
  }
  if (max_wait >= 0 && (wait < 0 || wait > max_wait)) wait = max_wait;
  int n = epoll_wait(l->ep, evs, 64, wait);
  if (n < 0 && errno != EINTR) return -1;
  rpc_loop_update_now(l);
  promote_later(l); /* before the I/O callbacks, which may queue more */
  for (int i = 0; i < n; i++) {
    rpc_io_t *io = evs[i].data.ptr;
    io->fn(io, evs[i].events);
  }
  while (l->n && l->heap[1]->at <= l->now) {
    rpc_timer_t *t = l->heap[1];
    rpc_timer_stop(l, t);
    t->fn(t);
  }
  run_deferred(l);
  rpc_log_flush();
  return 0;
}

int rpc_loop_run(rpc_loop_t *l) {
  l->stop = 0;
  l->signo = 0;
  rpc_log_gather(1); /* one write() a turn for the turn's log lines */
  while (!l->stop)
    if (turn(l, -1) != 0) break;
  rpc_log_gather(0);
  return l->stop ? l->signo : -1;
}

int rpc_loop_turn(rpc_loop_t *l, int max_wait_ms) {
  rpc_log_gather(1);
  int r = turn(l, max_wait_ms);
  rpc_log_gather(0);
  return r;
}

uint64_t rpc_now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The kernel's random bytes, drawn 4 KiB at a time: a call takes 8 or 24
 * (its span and trace ids), so a getrandom every ~170 calls instead of one
 * a call. A forked worker starts with an empty pool (pthread_atfork), so
 * that no two processes hand out the same bytes. */
#define RANDOM_POOL 4096
static uint8_t random_pool[RANDOM_POOL];
static size_t random_left;
static int random_hooked;

static void random_forget(void) {
  random_left = 0;
}

/* The fallback without entropy (early boot): still unique enough to
 * follow a call. */
static void random_weak(uint8_t *buf, size_t n) {
  struct timespec ts;
  static uint64_t k;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t x =
      ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^ (++k << 32) ^ (uint64_t)getpid();
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    buf[i] = (uint8_t)(x >> 24);
  }
}

void rpc_random(uint8_t *buf, size_t n) {
  if (!random_hooked) {
    random_hooked = 1;
    pthread_atfork(NULL, NULL, random_forget);
  }
  if (n > RANDOM_POOL) {
    if (getrandom(buf, n, GRND_NONBLOCK) != (ssize_t)n) random_weak(buf, n);
    return;
  }
  if (random_left < n) {
    if (getrandom(random_pool, RANDOM_POOL, GRND_NONBLOCK) != RANDOM_POOL) {
      random_weak(buf, n);
      return;
    }
    random_left = RANDOM_POOL;
  }
  /* from the end, and wiped: a byte is handed out once */
  random_left -= n;
  memcpy(buf, random_pool + random_left, n);
  memset(random_pool + random_left, 0, n);
}
