/* dm_process.c - see dm_process.h. */
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dm_process.h"
#include "rpc_log.h"

int dm_process_init(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP); /* a reload, read by the loop too */
  if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) return -1;
  signal(SIGPIPE, SIG_IGN);
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  return 0;
}

static int worker_index;
static void (*on_exit_fn)(int worker, void *arg);
static void *on_exit_arg;

void dm_workers_on_exit(void (*fn)(int worker, void *arg), void *arg) {
  on_exit_fn = fn;
  on_exit_arg = arg;
}

int dm_worker(void) {
  return worker_index;
}

int dm_workers_run(int n, int (*serve)(void *arg), void *arg) {
  if (n <= 1) return serve(arg);
  /* the shepherd takes its signals with sigwait, which wants them blocked */
  sigset_t set, old, child;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, SIGCHLD);
  sigprocmask(SIG_BLOCK, &set, &old);
  /* a worker's loop stops on SIGINT/SIGTERM and reloads on SIGHUP through
   * its signalfd, so they stay blocked there; SIGCHLD goes back to what it
   * was */
  child = old;
  sigaddset(&child, SIGINT);
  sigaddset(&child, SIGTERM);
  sigaddset(&child, SIGHUP);
  pid_t *pids = calloc((size_t)n, sizeof(*pids));
  if (!pids) {
    sigprocmask(SIG_SETMASK, &old, NULL);
    return 1;
  }
  int alive = 0, bad = 0, stopping = 0;
  for (int i = 0; i < n; i++) {
    pids[i] = fork();
    if (pids[i] == 0) {
      worker_index = i;
      sigprocmask(SIG_SETMASK, &child, NULL);
      _exit(serve(arg));
    }
    if (pids[i] < 0) {
      rpc_log_at(RPC_LOG_ERROR, "cannot start worker %d", i);
      bad = 1;
    } else {
      alive++;
    }
  }
  while (alive > 0) {
    int sig;
    sigwait(&set, &sig);
    if (sig == SIGHUP) { /* a reload: every worker does its own */
      for (int i = 0; i < n; i++)
        if (pids[i] > 0) kill(pids[i], sig);
      continue;
    }
    if (sig != SIGCHLD) { /* pass the stop on; a second one too */
      stopping = 1;
      for (int i = 0; i < n; i++)
        if (pids[i] > 0) kill(pids[i], sig);
      continue;
    }
    int st;
    pid_t p;
    while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
      for (int i = 0; i < n; i++)
        if (pids[i] == p) {
          pids[i] = 0;
          if (on_exit_fn) on_exit_fn(i, on_exit_arg);
        }
      alive--;
      if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        bad = 1;
        if (!stopping) rpc_log_at(RPC_LOG_ERROR, "a worker died (status %d)", st);
      }
    }
  }
  free(pids);
  sigprocmask(SIG_SETMASK, &old, NULL);
  return bad;
}
