/*
 * dm_process.h - what a daemon does to its whole process, kept out of the
 * runtime (rpc/), whose loops and servers a test or a fuzzer also runs
 * inside processes of its own: the signals that stop the event loop or
 * reload a daemon, SIGPIPE, the descriptor limit, and worker processes.
 */
#ifndef DM_PROCESS_H
#define DM_PROCESS_H

/* First thing in a daemon's main: blocks SIGINT and SIGTERM (so that the
 * event loop reads them from its signalfd and drains, rpc_loop.h) and
 * SIGHUP (which the loop reads too, and hands to its reload hook; every
 * thread and child inherits the mask), ignores SIGPIPE (a peer gone while
 * we write is an error code, not a death) and raises the soft limit of open
 * descriptors to the hard one (a server holds one per connection). Returns 0,
 * or -1 if the signal mask could not be set. */
int dm_process_init(void);

/* Runs serve(arg) in n forked workers (n <= 1: in this process) and waits.
 * SIGINT/SIGTERM are passed on to the workers, which drain and exit, and
 * SIGHUP, which each worker's loop hands to its reload hook; the workers
 * keep them blocked for their loops whether or not the caller did.
 * Returns 0 when every worker exited 0, else 1. */
int dm_workers_run(int n, int (*serve)(void *arg), void *arg);

/* fn(worker, arg) runs in the shepherd when worker 0..n-1 of
 * dm_workers_run has exited (the metrics forget its gauges). */
void dm_workers_on_exit(void (*fn)(int worker, void *arg), void *arg);

/* Which worker this process is: 0..n-1 inside dm_workers_run's serve (0
 * without workers). */
int dm_worker(void);

#endif /* DM_PROCESS_H */
