/* log.c - timestamped lines on stderr, as text or JSON. While an event loop
 * runs, the lines of one loop turn are gathered and written with one
 * write() at its end (rpc_log_flush); otherwise each line is written at
 * once. Whole lines only, so lines of concurrent processes never interleave
 * mid-line. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "rpc.h"
#include "rpc_log.h"

#define MSG_MAX 1024       /* a line's text, formatted */
#define JSON_LINE_MAX 8192 /* a JSON line: every byte of the text may become \u00XX */

static char pending[16384];
static size_t pending_len;
static int gathering;
static rpc_log_format_t format = RPC_LOG_TEXT;
static uint32_t calls_every = 1;

static void put(const char *p, size_t n) {
  while (n) {
    ssize_t w = write(2, p, n);
    if (w <= 0) return; /* stderr gone: nothing better to do */
    p += w;
    n -= (size_t)w;
  }
}

void rpc_log_flush(void) {
  put(pending, pending_len);
  pending_len = 0;
}

void rpc_log_gather(int on) {
  if (!on) rpc_log_flush();
  gathering = on;
}

void rpc_log_set_format(rpc_log_format_t f) {
  format = f;
}

rpc_log_format_t rpc_log_format(void) {
  return format;
}

void rpc_log_set_calls(uint32_t every) {
  calls_every = every;
}

uint32_t rpc_log_calls(void) {
  return calls_every;
}

static void out_line(const char *line, size_t n) {
  if (!gathering) {
    put(line, n);
    return;
  }
  if (pending_len + n > sizeof(pending)) rpc_log_flush();
  if (n > sizeof(pending)) {
    put(line, n);
    return;
  }
  memcpy(pending + pending_len, line, n);
  pending_len += n;
}

/* The time, as text does it (local, the article's) or as JSON does
 * (RFC 3339, UTC). Either changes once a second: formatted once a second. */
static size_t stamp(char *out, int json) {
  static time_t cached_sec[2] = {-1, -1};
  static char cached[2][32];
  static size_t cached_len[2];
  struct timeval tv;
  struct tm tm;
  gettimeofday(&tv, NULL);
  if (tv.tv_sec != cached_sec[json]) {
    if (json)
      gmtime_r(&tv.tv_sec, &tm);
    else
      localtime_r(&tv.tv_sec, &tm);
    cached_len[json] = strftime(cached[json], sizeof(cached[json]),
                                json ? "%Y-%m-%dT%H:%M:%S" : "%Y/%m/%d %H:%M:%S", &tm);
    cached_sec[json] = tv.tv_sec;
  }
  memcpy(out, cached[json], cached_len[json]);
  size_t n = cached_len[json];
  /* the microseconds by hand: snprintf took 1,400 instructions a line here,
   * more than the rest of the line together */
  out[n++] = '.';
  for (long us = tv.tv_usec, d = 100000; d; d /= 10)
    out[n++] = (char)('0' + us / d % 10);
  if (json) out[n++] = 'Z';
  return n;
}

/* The article's line: time, text (a value from the wire never starts a
 * forged line: control bytes become '?'), and a call's trace id. */
static void text_line(const rpc_log_call_t *call, const char *msg) {
  char line[MSG_MAX + 96];
  size_t n = stamp(line, 0);
  line[n++] = ' ';
  size_t room = sizeof(line) - n - 64, k = strlen(msg);
  if (k > room) k = room;
  for (size_t i = 0; i < k; i++) {
    unsigned char c = (unsigned char)msg[i];
    line[n++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
  }
  if (call && call->trace_id && *call->trace_id) {
    size_t t = strnlen(call->trace_id, 32);
    memcpy(line + n, " trace_id=", 10);
    memcpy(line + n + 10, call->trace_id, t);
    n += 10 + t;
  }
  line[n++] = '\n';
  out_line(line, n);
}

/* The length of the valid UTF-8 sequence at s (1..4), or 0 if none. */
static size_t utf8_len(const unsigned char *s, size_t left) {
  unsigned char c = s[0];
  size_t n;
  unsigned char lo = 0x80, hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf)
    n = 2;
  else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f; /* no surrogates */
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else
    return 0;
  if (left < n || s[1] < lo || s[1] > hi) return 0;
  for (size_t i = 2; i < n; i++)
    if (s[i] < 0x80 || s[i] > 0xbf) return 0;
  return n;
}

/* Appends s as a JSON string (quotes, RFC 8259 escapes; bytes that are not
 * UTF-8 become U+FFFD) at out[*n], within cap, always closing the quote. */
static void json_str(char *out, size_t *n, size_t cap, const char *s) {
  static const char hexdig[] = "0123456789abcdef";
  size_t o = *n;
  const unsigned char *p = (const unsigned char *)s;
  size_t left = strlen(s);
  out[o++] = '"';
  while (left && o + 8 < cap) {
    unsigned char c = *p;
    size_t u;
    if (c == '"' || c == '\\') {
      out[o++] = '\\';
      out[o++] = (char)c;
      u = 1;
    } else if (c < 0x20 || c == 0x7f) {
      const char *esc = c == '\n' ? "\\n" : c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;
      if (esc) {
        memcpy(out + o, esc, 2);
        o += 2;
      } else {
        memcpy(out + o, "\\u00", 4);
        out[o + 4] = hexdig[c >> 4];
        out[o + 5] = hexdig[c & 15];
        o += 6;
      }
      u = 1;
    } else if (c < 0x80) {
      out[o++] = (char)c;
      u = 1;
    } else if ((u = utf8_len(p, left))) {
      memcpy(out + o, p, u);
      o += u;
    } else {
      memcpy(out + o, "\\ufffd", 6);
      o += 6;
      u = 1;
    }
    p += u;
    left -= u;
  }
  out[o++] = '"';
  *n = o;
}

static void json_field(char *out, size_t *n, size_t cap, const char *name, const char *v) {
  if (!v || !*v) return;
  *n += (size_t)snprintf(out + *n, cap - *n, ",\"%s\":", name);
  json_str(out, n, cap, v);
}

static void json_line(const rpc_log_call_t *call, rpc_log_level_t level, const char *msg) {
  static const char *const levels[] = {"info", "warn", "error"};
  char line[JSON_LINE_MAX];
  size_t n = 0, cap = sizeof(line) - 4; /* room for "}\n" after the message */
  memcpy(line, "{\"time\":\"", 9);
  n = 9;
  n += stamp(line + n, 1);
  n += (size_t)snprintf(line + n, cap - n, "\",\"level\":\"%s\"", levels[level]);
  if (call) {
    json_field(line, &n, cap, "trace_id", call->trace_id);
    json_field(line, &n, cap, "span_id", call->span_id);
    json_field(line, &n, cap, "parent_id", call->parent_id);
    json_field(line, &n, cap, "method", call->method);
    json_field(line, &n, cap, "peer", call->peer);
    json_field(line, &n, cap, "device_cn", call->device);
    if (call->code >= 0) json_field(line, &n, cap, "code", rpc_code_name(call->code));
    if (call->duration_us >= 0)
      n += (size_t)snprintf(line + n, cap - n, ",\"duration_ms\":%lld.%03lld",
                            (long long)(call->duration_us / 1000),
                            (long long)(call->duration_us % 1000));
  }
  memcpy(line + n, ",\"msg\":", 7);
  n += 7;
  json_str(line, &n, cap, msg);
  line[n++] = '}';
  line[n++] = '\n';
  out_line(line, n);
}

void rpc_log_emit(const rpc_log_call_t *call, rpc_log_level_t level, const char *msg) {
  if (level > RPC_LOG_ERROR) level = RPC_LOG_ERROR;
  if (format == RPC_LOG_JSON)
    json_line(call, level, msg);
  else
    text_line(call, msg);
}

static void vlog(rpc_log_level_t level, const char *fmt, va_list ap) {
  char msg[MSG_MAX];
  if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0) return;
  rpc_log_emit(NULL, level, msg);
}

void rpc_log(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vlog(RPC_LOG_INFO, fmt, ap);
  va_end(ap);
}

void rpc_log_at(rpc_log_level_t level, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vlog(level, fmt, ap);
  va_end(ap);
}
