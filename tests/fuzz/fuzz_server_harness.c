/* fuzz_server_harness.c - see fuzz_server_harness.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_server_harness.h"
#include "gw_prod_service.h"
#include "rpc_loop.h"
#include "rpc_server.h"
#include "st_db.h"
#include "st_service.h"

/* The loop runs until the server has sent nothing new for QUIET_ITERS
 * iterations in a row (it has read everything and answered, the gateway's
 * storage call has come back), at most MAX_ITERS. */
#define QUIET_ITERS 8
#define MAX_ITERS 64

static rpc_loop_t *loop;
static rpc_server_t *srv;
static gw_service_t gw;
static gw_balancer_t gw_storages; /* one storage, no health Watch */
static st_service_t st;
static st_buf_t st_buf;
static rpc_method_t methods[16]; /* room for what the services add */
static struct sockaddr_in srv_addr;
static int dead_fd = -1; /* bound, never listening: the closed storage port */
static int storage_self;

/* The loop is driven a counted number of iterations: a timer due at once
 * fires after each iteration's I/O and queues a deferred job, which re-arms
 * the timer after the iteration's other deferred work (connection flushes).
 * Arming the timer from its own callback would fire it again in the same
 * iteration. */
static rpc_timer_t tick;
static rpc_defer_t rearm;
static int iters_left, quiet;
static int cli = -1;
static int cli_eof;
static uint8_t *out_buf;
static size_t out_cap, out_len;

static void die(const char *what) {
  fprintf(stderr, "fuzz harness: %s: %s\n", what, strerror(errno));
  abort();
}

static void drain_client(void) {
  uint8_t buf[16384];
  if (cli < 0) return;
  for (;;) {
    ssize_t n = recv(cli, buf, sizeof(buf), MSG_DONTWAIT);
    if (n > 0) {
      if (out_buf && out_len < out_cap) {
        size_t k = (size_t)n < out_cap - out_len ? (size_t)n : out_cap - out_len;
        memcpy(out_buf + out_len, buf, k);
      }
      out_len += (size_t)n;
      continue;
    }
    if (n == 0 || (errno != EAGAIN && errno != EINTR)) cli_eof = 1; /* closed or reset */
    return;
  }
}

static void on_tick(rpc_timer_t *t) {
  (void)t;
  size_t before = out_len;
  drain_client();
  quiet = out_len == before ? quiet + 1 : 0;
  if (--iters_left <= 0 || cli_eof || quiet >= QUIET_ITERS)
    rpc_loop_stop(loop);
  else
    rpc_loop_defer(loop, &rearm);
}

static void on_rearm(rpc_defer_t *d) {
  (void)d;
  rpc_timer_start(loop, &tick, 0);
}

static void run(int iters) {
  iters_left = iters;
  quiet = 0;
  rpc_timer_start(loop, &tick, 0);
  rpc_loop_run(loop);
  rpc_timer_stop(loop, &tick);
  rpc_loop_undefer(loop, &rearm);
}

static int is_listener(int fd) {
  struct stat sb;
  int on = 0;
  socklen_t l = sizeof(on);
  return fstat(fd, &sb) == 0 && S_ISSOCK(sb.st_mode) &&
         getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &l) == 0 && on;
}

void fz_server_storage_self(void) {
  storage_self = 1;
}

void fz_server_init(void) {
  if (srv) return;
  /* a port that refuses connections, reserved for the process's lifetime */
  struct sockaddr_in a = {0};
  socklen_t al = sizeof(a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  dead_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (dead_fd < 0 || bind(dead_fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
      getsockname(dead_fd, (struct sockaddr *)&a, &al) != 0)
    die("reserve a closed port");
  char storage_addr[32];
  snprintf(storage_addr, sizeof(storage_addr), "127.0.0.1:%u", ntohs(a.sin_port));

  /* SIGINT/SIGTERM stay unblocked (no dm_process_init here), so the loop
   * takes no signalfd and they stay libFuzzer's (and timeout(1)'s) */
  loop = rpc_loop_new();
  if (!loop) die("rpc_loop_new");

  st.buf = &st_buf;
  st.db = st_db_open(":memory:", loop, 1);
  if (!st.db) die("st_db_open(:memory:)");
  gw.loop = loop;
  size_t n = 0, k = 0;
  gw_service_methods(&gw, methods, &n);
  st_service_methods(&st, methods + n, &k);

  int before[1024] = {0};
  for (int fd = 0; fd < 1024; fd++)
    before[fd] = is_listener(fd);
  srv = rpc_server_new(loop, "127.0.0.1:0", methods, n + k, NULL);
  if (!srv) die("rpc_server_new(127.0.0.1:0)");
  int lfd = -1;
  for (int fd = 0; fd < 1024 && lfd < 0; fd++)
    if (!before[fd] && is_listener(fd)) lfd = fd;
  al = sizeof(srv_addr);
  if (lfd < 0 || getsockname(lfd, (struct sockaddr *)&srv_addr, &al) != 0)
    die("find the server's port");
  if (storage_self)
    snprintf(storage_addr, sizeof(storage_addr), "127.0.0.1:%u", ntohs(srv_addr.sin_port));
  /* the methods reach the channel through &gw when a call comes */
  if (gw_lb_init(&gw_storages, loop, storage_addr) != 0) die("gw_lb_init");
  gw.storages = &gw_storages;
  tick.fn = on_tick;
  rearm.fn = on_rearm;
}

/* A connected, non-blocking client socket. A blocking connect() could be
 * interrupted by libFuzzer's timer signal, so it is polled instead. */
static void connect_client(void) {
  for (int tries = 0;; tries++) {
    cli = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (cli < 0) die("socket");
    int r = connect(cli, (struct sockaddr *)&srv_addr, sizeof(srv_addr)), err = r ? errno : 0;
    if (err == EINPROGRESS || err == EINTR) {
      struct pollfd p = {cli, POLLOUT, 0};
      while (poll(&p, 1, 1000) < 0 && errno == EINTR)
        ;
      socklen_t l = sizeof(err);
      if (getsockopt(cli, SOL_SOCKET, SO_ERROR, &err, &l) != 0) err = errno;
    }
    if (err == 0) return;
    close(cli);
    if (tries >= 100) {
      errno = err;
      die("connect to the server");
    }
    usleep(10000); /* out of ports for a moment: wait for some to free */
  }
}

size_t fz_server_exchange(const uint8_t *in, size_t len, uint8_t *out, size_t cap) {
  fz_server_init();
  out_buf = out;
  out_cap = cap;
  out_len = 0;
  cli_eof = 0;
  connect_client();
  /* the kernel queues what fits; the loop drains it when it does not */
  size_t off = 0;
  for (int rounds = 0; off < len && !cli_eof && rounds < 1000; rounds++) {
    ssize_t w = send(cli, in + off, len - off, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (w > 0)
      off += (size_t)w;
    else if (w < 0 && errno != EAGAIN && errno != EINTR)
      break; /* the server closed on us: fine */
    else
      run(2);
  }
  if (!cli_eof) run(MAX_ITERS);
  /* a reset, not a FIN, whoever closed first: at tens of thousands of
   * connections a second TIME_WAIT would use up the loopback's ports */
  struct linger lg = {1, 0};
  setsockopt(cli, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  close(cli);
  cli = -1;
  run(2); /* the server sees the reset and closes its end */
  return out_len;
}
