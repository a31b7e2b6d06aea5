/*
 * rpc_trace.h - W3C trace context (https://www.w3.org/TR/trace-context/):
 * the `traceparent` request header that carries a call's trace id from
 * tier to tier, "00-<32 hex trace-id>-<16 hex parent-id>-<2 hex flags>".
 * Portable (no OS, no allocation): the server core reads it, the gateway
 * forwards it, the firmware client checks the value it is given.
 */
#ifndef RPC_TRACE_H
#define RPC_TRACE_H

#include <stddef.h>
#include <stdint.h>

#define RPC_TRACEPARENT_LEN 55 /* version 00's length, without the NUL */

/* A call's place in a trace, as hex text (what the logs and the header
 * carry). */
typedef struct rpc_trace {
  char trace_id[33];  /* 32 lower-case hex digits; "" when the call has none */
  char parent_id[17]; /* the caller's span, from its traceparent; "" when none came */
  char span_id[17];   /* this tier's own span of the call; "" when none */
  uint8_t flags;      /* trace-flags (bit 0: sampled), as they came; 0 for a new trace */
} rpc_trace_t;

/* Checks a traceparent value of len bytes (no NUL needed): version 00
 * is exactly 55 characters; a later version may be longer, with '-' after
 * the first 55 (the spec's forward compatibility); version ff, upper-case
 * hex and all-zero ids are invalid. Returns 0 when valid, -1 when not:
 * the receiver then treats the call as having none, as the spec says. */
int rpc_traceparent_check(const char *s, size_t len);

/* Checks (as above) and reads a traceparent value into t's trace_id,
 * parent_id and flags. Returns 0, or -1 (t untouched) when invalid. */
int rpc_traceparent_parse(const char *s, size_t len, rpc_trace_t *t);

/* Writes the traceparent a call to the next tier carries: version 00,
 * t's trace_id, t's span_id as the parent-id, t's flags; out holds
 * RPC_TRACEPARENT_LEN + 1 bytes. Returns out. */
char *rpc_traceparent_format(const rpc_trace_t *t, char *out);

/* Writes n bytes as 2n lower-case hex digits and a NUL into out. */
void rpc_hex(char *out, const uint8_t *in, size_t n);

#endif /* RPC_TRACE_H */
