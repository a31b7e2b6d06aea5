/* st_sqlite.c - the catalogue in SQLite: WAL mode, statements prepared once.
 * A lookup answers before st_db_get returns: its first step tells rows from
 * an empty answer, so a valid call costs one query. The lookups of one loop
 * turn share one read transaction (BEGIN at the first, COMMIT at the end of
 * the turn): SQLite's locks are fcntl calls on the database and its WAL
 * index, four system calls a transaction, which were a sixth of storage's
 * CPU at 200 calls in flight. A turn reads one snapshot; a write from
 * another process is seen from the next turn on. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#include "rpc_log.h"
#include "st_catalogue.h"
#include "st_db_impl.h"

typedef struct st_sqlite {
  st_db_t base;
  sqlite3 *db;
  sqlite3_stmt *has_vendor;
  sqlite3_stmt *products;
  sqlite3_stmt *ins; /* --import */
  rpc_loop_t *loop;  /* NULL: every lookup its own transaction (--import) */
  rpc_defer_t end_turn;
  int in_txn;
  int begin_failed; /* logged once until a BEGIN works again */
} st_sqlite_t;

/* The products statement, already on its first row. */
typedef struct {
  st_rows_t base;
  sqlite3_stmt *st;
} sq_rows_t;

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "CREATE TABLE IF NOT EXISTS product ("
    "  id INTEGER PRIMARY KEY,"
    "  vendor TEXT NOT NULL COLLATE NOCASE,"
    "  type TEXT NOT NULL COLLATE NOCASE,"
    "  pos INTEGER NOT NULL,"
    "  title TEXT NOT NULL,"
    "  url TEXT NOT NULL);"
    /* a covering index: the lookup reads title and url from it, with no
     * seek into the table a row; a database made with the older index
     * (vendor, type, pos) moves to this one when storage first opens it */
    "CREATE INDEX IF NOT EXISTS product_lookup ON product(vendor, type, pos, title, url);"
    "DROP INDEX IF EXISTS product_vendor_type;";

static const char insert_sql[] = "INSERT INTO product(vendor,type,pos,title,url) VALUES(?,?,?,?,?)";

static int seed(sqlite3 *db) {
  sqlite3_stmt *st;
  int rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
  rc |= sqlite3_prepare_v2(db, insert_sql, -1, &st, NULL);
  for (size_t i = 0; rc == SQLITE_OK && i < st_catalogue_len; i++) {
    const st_seed_t *s = &st_catalogue[i];
    sqlite3_bind_text(st, 1, s->vendor, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, s->type, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, (int)i);
    sqlite3_bind_text(st, 4, s->title, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, s->url, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) rc = SQLITE_ERROR;
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  /* all or nothing: a half-seeded catalogue would look valid */
  sqlite3_exec(db, rc == SQLITE_OK ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
  return rc;
}

/* The end of the loop turn: its read transaction ends. */
static void sq_end_turn(rpc_defer_t *def) {
  st_sqlite_t *d = def->arg;
  if (!d->in_txn) return;
  d->in_txn = 0;
  /* a transaction left open would pin one snapshot for the process's life:
   * another process's import never seen, the WAL never checkpointed */
  if (sqlite3_exec(d->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK &&
      !sqlite3_get_autocommit(d->db)) {
    rpc_log_at(RPC_LOG_ERROR, "the read transaction did not end: %s", sqlite3_errmsg(d->db));
    sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
  }
}

static void sq_close(st_db_t *base) {
  st_sqlite_t *d = (st_sqlite_t *)base;
  if (d->loop) rpc_loop_undefer(d->loop, &d->end_turn);
  sq_end_turn(&d->end_turn);
  sqlite3_finalize(d->has_vendor);
  sqlite3_finalize(d->products);
  sqlite3_finalize(d->ins);
  sqlite3_close(d->db);
  free(d);
}

/* The lookups bind the request's strings without a copy (SQLITE_STATIC):
 * each statement is stepped and reset before the lookup returns, while the
 * request is still there, and every lookup binds anew before it steps. */
static int has_vendor(st_sqlite_t *d, const char *vendor) {
  sqlite3_bind_text(d->has_vendor, 1, vendor, -1, SQLITE_STATIC);
  int rc = sqlite3_step(d->has_vendor);
  sqlite3_reset(d->has_vendor);
  return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static const st_backend_t sqlite_ops;

static st_query_t *sq_get(st_db_t *base, const char *vendor, const char *type, const char *trace_id,
                          st_done_fn done, void *arg) {
  st_sqlite_t *d = (st_sqlite_t *)base;
  if (d->loop && !d->in_txn) {
    if (sqlite3_exec(d->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK) {
      d->in_txn = 1;
      d->begin_failed = 0;
      rpc_loop_defer(d->loop, &d->end_turn);
    } else if (!d->begin_failed) { /* each lookup in its own transaction, as before */
      d->begin_failed = 1;
      st_db_log_query(trace_id, RPC_LOG_ERROR, "cannot begin a read transaction: %s",
                      sqlite3_errmsg(d->db));
    }
  }
  sqlite3_bind_text(d->products, 1, vendor, -1, SQLITE_STATIC);
  sqlite3_bind_text(d->products, 2, type, -1, SQLITE_STATIC);
  int rc = sqlite3_step(d->products);
  if (rc == SQLITE_ROW) {
    sq_rows_t rows = {{&sqlite_ops}, d->products};
    done(arg, ST_ROWS, &rows.base);
  } else {
    int has = rc == SQLITE_DONE ? has_vendor(d, vendor) : -1;
    done(arg, has < 0 ? ST_FAILED : has ? ST_NO_TYPE : ST_NO_VENDOR, NULL);
  }
  sqlite3_reset(d->products);
  return NULL;
}

static void sq_cancel(st_db_t *base, st_query_t *q) {
  (void)base;
  (void)q; /* never pending */
}

static int sq_each(st_rows_t *base, st_row_fn fn, void *arg) {
  sq_rows_t *r = (sq_rows_t *)base;
  int n = 0, rc = SQLITE_ROW;
  for (; rc == SQLITE_ROW; rc = sqlite3_step(r->st)) {
    n++;
    if (fn(arg, (const char *)sqlite3_column_text(r->st, 0),
           (const char *)sqlite3_column_text(r->st, 1)) != 0)
      return -1;
  }
  return rc == SQLITE_DONE ? n : -1;
}

static int sq_import_begin(st_db_t *base, char *err, size_t errlen) {
  st_sqlite_t *d = (st_sqlite_t *)base;
  sq_end_turn(&d->end_turn); /* no read transaction open under the write */
  if (sqlite3_exec(d->db, "BEGIN IMMEDIATE; DELETE FROM product;", NULL, NULL, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(d->db, insert_sql, -1, &d->ins, NULL) != SQLITE_OK) {
    snprintf(err, errlen, "database: %s", sqlite3_errmsg(d->db));
    return -1;
  }
  return 0;
}

static int sq_import_row(st_db_t *base, char *const f[4], int pos, char *err, size_t errlen) {
  st_sqlite_t *d = (st_sqlite_t *)base;
  sqlite3_bind_text(d->ins, 1, f[0], -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(d->ins, 2, f[1], -1, SQLITE_TRANSIENT);
  sqlite3_bind_int(d->ins, 3, pos);
  sqlite3_bind_text(d->ins, 4, f[2], -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(d->ins, 5, f[3], -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(d->ins);
  sqlite3_reset(d->ins);
  if (rc == SQLITE_DONE) return 0;
  snprintf(err, errlen, "database: %s", sqlite3_errmsg(d->db));
  return -1;
}

static int sq_import_end(st_db_t *base, int ok, char *err, size_t errlen) {
  st_sqlite_t *d = (st_sqlite_t *)base;
  sqlite3_finalize(d->ins);
  d->ins = NULL;
  if (ok && sqlite3_exec(d->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
    snprintf(err, errlen, "database: %s", sqlite3_errmsg(d->db));
    ok = 0;
  }
  if (!ok) sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
  return ok ? 0 : -1;
}

static const st_backend_t sqlite_ops = {
    sq_close, sq_get, sq_cancel, sq_each, sq_import_begin, sq_import_row, sq_import_end,
};

st_db_t *st_sqlite_open(const char *path, rpc_loop_t *loop) {
  st_sqlite_t *d = calloc(1, sizeof(*d));
  if (!d) return NULL;
  d->base.ops = &sqlite_ops;
  d->end_turn.fn = sq_end_turn;
  d->end_turn.arg = d;
  /* one thread uses the connection: no mutex around every call. The
   * schema may write (a new database, or the index of an older one), so
   * the busy timeout comes first: a storage starting beside another, or
   * beside an import, waits for the lock instead of failing at once */
  int rc = sqlite3_open_v2(path, &d->db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc == SQLITE_OK) sqlite3_busy_timeout(d->db, 2000);
  if (rc != SQLITE_OK || sqlite3_exec(d->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
    rpc_log_at(RPC_LOG_ERROR, "cannot open the database %s: %s", path,
               d->db ? sqlite3_errmsg(d->db) : "no memory");
    sq_close(&d->base);
    return NULL;
  }
  sqlite3_stmt *count;
  int empty = 0;
  if (sqlite3_prepare_v2(d->db, "SELECT count(*) FROM product", -1, &count, NULL) == SQLITE_OK &&
      sqlite3_step(count) == SQLITE_ROW)
    empty = sqlite3_column_int(count, 0) == 0;
  sqlite3_finalize(count);
  if (empty) {
    if (seed(d->db) != SQLITE_OK) {
      rpc_log_at(RPC_LOG_ERROR, "cannot seed the database %s: %s", path, sqlite3_errmsg(d->db));
      sq_close(&d->base);
      return NULL;
    }
    rpc_log("created the catalogue in %s (%zu products)", path, st_catalogue_len);
  }
  if (sqlite3_prepare_v2(d->db, "SELECT 1 FROM product WHERE vendor=? LIMIT 1", -1, &d->has_vendor,
                         NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(d->db,
                         "SELECT title, url FROM product WHERE vendor=? AND type=? ORDER BY pos",
                         -1, &d->products, NULL) != SQLITE_OK) {
    rpc_log_at(RPC_LOG_ERROR, "cannot prepare queries on %s: %s", path, sqlite3_errmsg(d->db));
    sq_close(&d->base);
    return NULL;
  }
  d->loop = loop;
  return &d->base;
}
