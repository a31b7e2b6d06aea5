/* st_db.h - the catalogue in SQLite: created and seeded on first open, WAL
 * mode, statements prepared once. Vendor and type are looked up lower-cased. */
#ifndef ST_DB_H
#define ST_DB_H

#include <stddef.h>

typedef struct st_db st_db_t;

/* Opens (creating and seeding if empty) the database at path; NULL on error
 * (logged). */
st_db_t *st_db_open(const char *path);
void st_db_close(st_db_t *db);

/* 1 if the vendor has any product, 0 if not, -1 on a database error. */
int st_db_has_vendor(st_db_t *db, const char *vendor);

/* Calls fn for each product of vendor and type, in catalogue order; fn
 * returns 0 to go on. Returns the number of products, or -1 on error. */
int st_db_each_product(st_db_t *db, const char *vendor, const char *type,
                       int (*fn)(void *arg, const char *title, const char *url), void *arg);

/* Replaces the catalogue with the products of a tab-separated file, in one
 * transaction: on any bad line nothing changes and err names the line.
 * Returns the number of products imported, or -1. */
int st_db_import(st_db_t *db, const char *path, char *err, size_t errlen);

/* The SQLite handle, for st_import.c. */
struct sqlite3 *st_db_handle(st_db_t *db);

#endif /* ST_DB_H */
