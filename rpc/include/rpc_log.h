/* rpc_log.h - the daemons' log: one line per event on stderr, timestamped
 * like the article's Go log ("2006/01/02 15:04:05.000000"). */
#ifndef RPC_LOG_H
#define RPC_LOG_H

/* printf-style; the newline is added. */
void rpc_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* While on, lines wait for rpc_log_flush (the event loop flushes once a
 * turn); turning it off flushes. */
void rpc_log_gather(int on);
void rpc_log_flush(void);

#endif /* RPC_LOG_H */
