/* workers.c - fork N copies of a server loop and shepherd them. */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rpc_log.h"
#include "rpc_workers.h"

int rpc_workers_run(int n, int (*serve)(void *arg), void *arg) {
  if (n <= 1) return serve(arg);
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGCHLD);
  sigprocmask(SIG_BLOCK, &set, &old);
  pid_t *pids = calloc((size_t)n, sizeof(*pids));
  if (!pids) return 1;
  for (int i = 0; i < n; i++) {
    pids[i] = fork();
    if (pids[i] == 0) {
      sigprocmask(SIG_SETMASK, &old, NULL);
      _exit(serve(arg));
    }
    if (pids[i] < 0) rpc_log("cannot start worker %d", i);
  }
  int alive = n, bad = 0, stopping = 0;
  while (alive > 0) {
    int sig;
    sigwait(&set, &sig);
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
        if (pids[i] == p) pids[i] = 0;
      alive--;
      if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        bad = 1;
        if (!stopping) rpc_log("a worker died (status %d)", st);
      }
    }
  }
  free(pids);
  return bad;
}
