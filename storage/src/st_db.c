/* st_db.c - picks the backend from --db and dispatches to it. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "st_db_impl.h"

int st_db_is_conninfo(const char *spec) {
  if (strncmp(spec, "postgresql://", 13) == 0 || strncmp(spec, "postgres://", 11) == 0) return 1;
  /* keyword=value: a keyword is letters and '_' */
  const char *p = spec;
  while (*p == ' ')
    p++;
  const char *k = p;
  while (isalpha((unsigned char)*p) || *p == '_')
    p++;
  if (p == k) return 0;
  while (*p == ' ')
    p++;
  return *p == '=';
}

st_db_t *st_db_open(const char *spec, rpc_loop_t *loop, int pool) {
  return st_db_is_conninfo(spec) ? st_pg_open(spec, loop, pool) : st_sqlite_open(spec, loop);
}

void st_db_close(st_db_t *db) {
  if (db) db->ops->close(db);
}

st_query_t *st_db_get(st_db_t *db, const char *vendor, const char *type, const char *trace_id,
                      st_done_fn done, void *arg) {
  return db->ops->get(db, vendor, type, trace_id, done, arg);
}

int st_db_up(const st_db_t *db) {
  return !db->down;
}

void st_db_on_up(st_db_t *db, st_up_fn fn, void *arg) {
  db->up_fn = fn;
  db->up_arg = arg;
}

void st_db_set_up(st_db_t *db, int up) {
  if (!db->down == !!up) return;
  db->down = !up;
  if (db->up_fn) db->up_fn(db->up_arg, up);
}

void st_db_cancel(st_db_t *db, st_query_t *q) {
  if (q) db->ops->cancel(db, q);
}

int st_rows_each(st_rows_t *rows, st_row_fn fn, void *arg) {
  return rows->ops->each(rows, fn, arg);
}

void st_db_log_query(const char *trace_id, rpc_log_level_t level, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  rpc_log_call_t call = {.trace_id = trace_id, .code = -1, .duration_us = -1};
  rpc_log_emit(trace_id && *trace_id ? &call : NULL, level, msg);
}
