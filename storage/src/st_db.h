/* st_db.h - the catalogue behind the storage service, in SQLite (a path, the
 * default) or PostgreSQL (a libpq connection string). Created and seeded on
 * first open. Lookups are asynchronous: SQLite answers before st_db_get
 * returns, PostgreSQL later, from the event loop. Vendor and type are looked
 * up as given (the service lower-cases them). */
#ifndef ST_DB_H
#define ST_DB_H

#include <stddef.h>

#include "rpc_loop.h"

typedef struct st_db st_db_t;
typedef struct st_query st_query_t;
typedef struct st_rows st_rows_t;

typedef enum st_status {
  ST_ROWS,        /* products found: st_rows_each reads them */
  ST_NO_VENDOR,   /* no product of that vendor */
  ST_NO_TYPE,     /* the vendor exists, not that type */
  ST_UNAVAILABLE, /* the database cannot be reached now */
  ST_FAILED       /* the database answered with an error */
} st_status_t;

typedef int (*st_row_fn)(void *arg, const char *title, const char *url);
/* Runs once per lookup with its outcome; rows is valid only during the call. */
typedef void (*st_done_fn)(void *arg, st_status_t status, st_rows_t *rows);

/* True if spec is a libpq connection string (postgresql://..., postgres://...
 * or "key=value ..."), not a path. A path with '=' in its first word and no
 * '/' before it: write it as ./name. */
int st_db_is_conninfo(const char *spec);

/* Opens (creating and seeding if empty) the catalogue; NULL on error
 * (logged). PostgreSQL keeps pool connections (at least 1) on loop; loop
 * may be NULL for a one-shot command (--import). */
st_db_t *st_db_open(const char *spec, rpc_loop_t *loop, int pool);
void st_db_close(st_db_t *db);

/* Looks up the products of vendor and type; done runs exactly once, maybe
 * before this returns (then the result is NULL). Otherwise the returned
 * query is pending until done runs or st_db_cancel. trace_id (NULL or ""
 * for none): the call's, on the backend's log lines about this query. */
st_query_t *st_db_get(st_db_t *db, const char *vendor, const char *type, const char *trace_id,
                      st_done_fn done, void *arg);
/* Drops a pending query (its done never runs) and cancels it on the server. */
void st_db_cancel(st_db_t *db, st_query_t *q);

/* Whether the database can answer now: SQLite always; PostgreSQL while one
 * connection of its pool is up. fn (NULL: none) runs at each change, from
 * the loop: the storage service's health follows it. */
typedef void (*st_up_fn)(void *arg, int up);
int st_db_up(const st_db_t *db);
void st_db_on_up(st_db_t *db, st_up_fn fn, void *arg);

/* Calls fn for each product, in catalogue order; fn returns 0 to go on.
 * Returns the number of products, or -1 on error. */
int st_rows_each(st_rows_t *rows, st_row_fn fn, void *arg);

/* Replaces the catalogue with the products of a tab-separated file, in one
 * transaction: on any bad line nothing changes and err names the line.
 * Returns the number of products imported, or -1. */
int st_db_import(st_db_t *db, const char *path, char *err, size_t errlen);

#endif /* ST_DB_H */
