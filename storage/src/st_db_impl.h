/* st_db_impl.h - what a catalogue backend provides (st_sqlite.c, st_pg.c);
 * st_db.c dispatches to it. */
#ifndef ST_DB_IMPL_H
#define ST_DB_IMPL_H

#include "rpc_log.h"
#include "st_db.h"

typedef struct st_backend {
  void (*close)(st_db_t *db);
  st_query_t *(*get)(st_db_t *db, const char *vendor, const char *type, const char *trace_id,
                     st_done_fn done, void *arg);
  void (*cancel)(st_db_t *db, st_query_t *q);
  int (*each)(st_rows_t *rows, st_row_fn fn, void *arg);
  /* --import: begin (and empty the catalogue), one row each, then commit
   * (ok) or roll back; each returns 0 or -1 with err set. */
  int (*import_begin)(st_db_t *db, char *err, size_t errlen);
  int (*import_row)(st_db_t *db, char *const f[4], int pos, char *err, size_t errlen);
  int (*import_end)(st_db_t *db, int ok, char *err, size_t errlen);
} st_backend_t;

/* Every backend's context and rows begin with these. */
struct st_db {
  const st_backend_t *ops;
  int down; /* no connection can answer (st_db_up) */
  st_up_fn up_fn;
  void *up_arg;
};
struct st_rows {
  const st_backend_t *ops;
};

/* A backend says whether it can answer now; st_db_on_up's fn hears of a
 * change. */
void st_db_set_up(st_db_t *db, int up);

st_db_t *st_sqlite_open(const char *path, rpc_loop_t *loop);
st_db_t *st_pg_open(const char *conninfo, rpc_loop_t *loop, int pool);

/* A backend's line about one query: at level, with the call's trace id
 * (NULL or "": none) as the call's own lines have it. printf-style. */
void st_db_log_query(const char *trace_id, rpc_log_level_t level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* ST_DB_IMPL_H */
