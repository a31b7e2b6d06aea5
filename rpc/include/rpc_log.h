/* rpc_log.h - the daemons' log: one line per event on stderr. Text (the
 * default) is the article's: timestamped like its Go log ("2006/01/02
 * 15:04:05.000000"), a call's lines ending in " trace_id=<32 hex>". JSON
 * is one object a line with the same facts as fields (docs/design.md,
 * "Tracing and logs"). */
#ifndef RPC_LOG_H
#define RPC_LOG_H

#include <stdint.h>

typedef enum { RPC_LOG_TEXT = 0, RPC_LOG_JSON = 1 } rpc_log_format_t;
typedef enum { RPC_LOG_INFO = 0, RPC_LOG_WARN = 1, RPC_LOG_ERROR = 2 } rpc_log_level_t;

/* The facts of one call that each of its lines carries; NULL or "" fields
 * are left out. code and duration_us (-1: none) are for the line that ends
 * the call. */
typedef struct rpc_log_call {
  const char *trace_id;  /* 32 hex digits */
  const char *span_id;   /* this tier's span, 16 hex digits */
  const char *parent_id; /* the caller's span, when one came */
  const char *method;    /* "/api.ProdService/GetVendorProds" */
  const char *peer;      /* "ipv4:127.0.0.1:46092" */
  const char *device;    /* the client certificate's CN (mutual TLS) */
  int code;              /* gRPC status code, or -1 */
  int64_t duration_us;   /* the call's duration, or -1 */
} rpc_log_call_t;

/* printf-style; the newline is added. A line outside any call, at INFO. */
void rpc_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The same at a level (JSON's "level"; text lines do not show it). */
void rpc_log_at(rpc_log_level_t level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One line of a call (call NULL: outside any call) with msg as its text;
 * the server core's rpc_scall_log builds the fields. */
void rpc_log_emit(const rpc_log_call_t *call, rpc_log_level_t level, const char *msg);

/* Text (the default) or JSON, for every line from now on. */
void rpc_log_set_format(rpc_log_format_t format);
rpc_log_format_t rpc_log_format(void);

/* The calls whose routine lines are logged (rpc_scall_note): one trace in
 * every (1, the default: all; 0: none). Picked by trace id, so a trace is
 * logged whole, in every tier that samples alike. */
void rpc_log_set_calls(uint32_t every);
uint32_t rpc_log_calls(void);

/* While on, lines wait for rpc_log_flush (the event loop flushes once a
 * turn); turning it off flushes. */
void rpc_log_gather(int on);
void rpc_log_flush(void);

#endif /* RPC_LOG_H */
