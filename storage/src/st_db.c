/* st_db.c - SQLite behind the storage service. */
#include <sqlite3.h>
#include <stdlib.h>

#include "rpc_log.h"
#include "st_catalogue.h"
#include "st_db.h"

struct st_db {
  sqlite3 *db;
  sqlite3_stmt *has_vendor;
  sqlite3_stmt *products;
};

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
    "CREATE INDEX IF NOT EXISTS product_vendor_type ON product(vendor, type, pos);";

static int seed(sqlite3 *db) {
  sqlite3_stmt *st;
  int rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
  rc |= sqlite3_prepare_v2(db, "INSERT INTO product(vendor,type,pos,title,url) VALUES(?,?,?,?,?)",
                           -1, &st, NULL);
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

st_db_t *st_db_open(const char *path) {
  st_db_t *d = calloc(1, sizeof(*d));
  if (!d) return NULL;
  if (sqlite3_open(path, &d->db) != SQLITE_OK ||
      sqlite3_exec(d->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
    rpc_log("cannot open the database %s: %s", path, d->db ? sqlite3_errmsg(d->db) : "no memory");
    st_db_close(d);
    return NULL;
  }
  sqlite3_busy_timeout(d->db, 2000);
  sqlite3_stmt *count;
  int empty = 0;
  if (sqlite3_prepare_v2(d->db, "SELECT count(*) FROM product", -1, &count, NULL) == SQLITE_OK &&
      sqlite3_step(count) == SQLITE_ROW)
    empty = sqlite3_column_int(count, 0) == 0;
  sqlite3_finalize(count);
  if (empty) {
    if (seed(d->db) != SQLITE_OK) {
      rpc_log("cannot seed the database %s: %s", path, sqlite3_errmsg(d->db));
      st_db_close(d);
      return NULL;
    }
    rpc_log("created the catalogue in %s (%zu products)", path, st_catalogue_len);
  }
  if (sqlite3_prepare_v2(d->db, "SELECT 1 FROM product WHERE vendor=? LIMIT 1", -1, &d->has_vendor,
                         NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(d->db,
                         "SELECT title, url FROM product WHERE vendor=? AND type=? ORDER BY pos",
                         -1, &d->products, NULL) != SQLITE_OK) {
    rpc_log("cannot prepare queries on %s: %s", path, sqlite3_errmsg(d->db));
    st_db_close(d);
    return NULL;
  }
  return d;
}

void st_db_close(st_db_t *d) {
  if (!d) return;
  sqlite3_finalize(d->has_vendor);
  sqlite3_finalize(d->products);
  sqlite3_close(d->db);
  free(d);
}

int st_db_has_vendor(st_db_t *d, const char *vendor) {
  sqlite3_bind_text(d->has_vendor, 1, vendor, -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(d->has_vendor);
  sqlite3_reset(d->has_vendor);
  return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int st_db_each_product(st_db_t *d, const char *vendor, const char *type,
                       int (*fn)(void *arg, const char *title, const char *url), void *arg) {
  int n = 0, rc;
  sqlite3_bind_text(d->products, 1, vendor, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(d->products, 2, type, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step(d->products)) == SQLITE_ROW) {
    n++;
    if (fn && fn(arg, (const char *)sqlite3_column_text(d->products, 0),
                 (const char *)sqlite3_column_text(d->products, 1)) != 0) {
      rc = SQLITE_ERROR;
      break;
    }
  }
  sqlite3_reset(d->products);
  return rc == SQLITE_DONE ? n : -1;
}

sqlite3 *st_db_handle(st_db_t *d) {
  return d->db;
}
