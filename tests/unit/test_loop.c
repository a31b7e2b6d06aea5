/* test_loop.c - the event loop's deferred work (rpc_loop.h): work deferred
 * runs at the end of its iteration; work queued with rpc_loop_later waits
 * for the next one, after that iteration's I/O, so that a job done in
 * slices that keeps queueing itself lets a ready socket in between every
 * slice, and never spins inside one iteration; undefer takes it off either
 * queue. With SIGHUP, SIGTERM blocked: SIGHUP calls the reload hook and
 * the loop goes on, SIGTERM stops it with its number. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "rpc_loop.h"
#include "tap.h"

static int slices, io_seen, norder;
static char order[16];
static rpc_loop_t *loop;

static void on_slice(rpc_defer_t *d) {
  slices++;
  if (norder < 16) order[norder++] = 's';
  if (slices < 5) rpc_loop_later(loop, d); /* one slice an iteration */
}

static void on_io(rpc_io_t *io, uint32_t ev) {
  (void)ev;
  char b[8];
  if (read(io->fd, b, 1) == 1) io_seen++;
  if (norder < 16) order[norder++] = 'i';
}

static int ran_now;
static void on_now(rpc_defer_t *d) {
  (void)d;
  ran_now++;
}

static int reloads;
static void on_reload(void *arg) {
  (void)arg;
  reloads++;
}

/* SIGHUP reloads, SIGTERM stops (the process blocks both, as
 * dm_process_init does). */
static void signals(void) {
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGTERM);
  CHECK(sigprocmask(SIG_BLOCK, &set, &old) == 0);
  rpc_loop_t *l = rpc_loop_new();
  CHECK(l != NULL);
  rpc_loop_on_reload(l, on_reload, NULL);
  CHECK(raise(SIGHUP) == 0);
  CHECK(rpc_loop_turn(l, 1000) == 0);
  CHECK(reloads == 1);
  CHECK(raise(SIGHUP) == 0);
  CHECK(raise(SIGTERM) == 0);
  CHECK(rpc_loop_run(l) == SIGTERM); /* the reload did not stop it, SIGTERM did */
  CHECK(reloads == 2);
  rpc_loop_free(l);
  CHECK(sigprocmask(SIG_SETMASK, &old, NULL) == 0);
}

int main(void) {
  signals();
  loop = rpc_loop_new();
  CHECK(loop != NULL);
  int p[2];
  CHECK(pipe(p) == 0);
  rpc_io_t io = {p[0], on_io, NULL};
  CHECK(rpc_loop_add(loop, &io, 0x001 /* EPOLLIN */) == 0);

  rpc_defer_t slice = {on_slice, NULL, NULL, 0};
  rpc_loop_later(loop, &slice);
  CHECK(slices == 0); /* nothing runs before an iteration */
  /* each iteration: the byte written before it is read, then one slice */
  for (int i = 0; i < 5; i++) {
    CHECK(write(p[1], "x", 1) == 1);
    CHECK(rpc_loop_turn(loop, 1000) == 0);
    CHECK(slices == i + 1);
    CHECK(io_seen == i + 1);
  }
  CHECK(norder == 10 && memcmp(order, "isisisisis", 10) == 0);
  if (norder != 10) fprintf(stderr, "order: %.*s\n", norder, (const char *)order);
  CHECK(rpc_loop_turn(loop, 0) == 0);
  CHECK(slices == 5); /* it stopped queueing itself */

  /* queued for later, then taken off: never runs */
  slices = 0;
  rpc_loop_later(loop, &slice);
  rpc_loop_undefer(loop, &slice);
  CHECK(rpc_loop_turn(loop, 0) == 0);
  CHECK(slices == 0);

  /* rpc_loop_defer still runs in the iteration that queued it */
  rpc_defer_t now = {on_now, NULL, NULL, 0};
  rpc_loop_defer(loop, &now);
  CHECK(rpc_loop_turn(loop, 0) == 0);
  CHECK(ran_now == 1);

  rpc_loop_del(loop, &io);
  close(p[0]);
  close(p[1]);
  rpc_loop_free(loop);
  return tap_done("test_loop");
}
