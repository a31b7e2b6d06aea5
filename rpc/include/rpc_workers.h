/* rpc_workers.h - N event-loop worker processes sharing one port
 * (SO_REUSEPORT: the kernel spreads connections over them), one per core. */
#ifndef RPC_WORKERS_H
#define RPC_WORKERS_H

/* Runs serve(arg) in n forked workers (n <= 1: in this process) and waits.
 * SIGINT/SIGTERM are passed on to the workers, which drain and exit.
 * Returns 0 when every worker exited 0, else 1. */
int rpc_workers_run(int n, int (*serve)(void *arg), void *arg);

#endif /* RPC_WORKERS_H */
