/* st_pg_lookup.h - the database's host name looked up off the event loop.
 *
 * libpq resolves a host name inside PQconnectPoll, with a blocking
 * getaddrinfo: a reconnect behind a slow or dead DNS server would hold the
 * storage's loop, every call with it, for the resolver's timeouts. The pool
 * therefore looks the name up itself (glibc's getaddrinfo_a, polled from the
 * loop's timer) and hands libpq the addresses as hostaddr, with the name
 * kept as host (TLS's verify-full and .pgpass still see it). */
#ifndef ST_PG_LOOKUP_H
#define ST_PG_LOOKUP_H

#include <libpq-fe.h>
#include <stddef.h>

#define ST_PG_ADDRS_MAX 8 /* addresses handed to libpq, tried in turn */

/* A connection string taken apart: its options, and the name to look up. */
typedef struct st_pg_target st_pg_target_t;

/* NULL when the string does not parse (the caller's PQconnectdb says why). */
st_pg_target_t *st_pg_target_new(const char *conninfo);
void st_pg_target_free(st_pg_target_t *t);

/* The host name to look up, or NULL when libpq would not resolve one: no
 * host (a Unix socket), a path, a numeric address, a hostaddr given, or a
 * list of hosts (left to libpq, documented in docs/scaling.md). */
const char *st_pg_target_name(const st_pg_target_t *t);

/* PQconnectStartParams with hostaddr set to addrs (comma-separated, as
 * many as the name is repeated in host), or as given when addrs is NULL. */
PGconn *st_pg_target_start(const st_pg_target_t *t, const char *addrs, int naddrs);

/* One lookup in flight. */
typedef struct st_pg_lookup st_pg_lookup_t;

st_pg_lookup_t *st_pg_lookup_start(const char *name);
/* 1 while pending; 0 with addrs filled (comma-separated, *n of them);
 * -1 with err filled when the name does not resolve. */
int st_pg_lookup_poll(st_pg_lookup_t *l, char *addrs, size_t len, int *n, char *err, size_t errlen);
/* Abandons a lookup, pending or not, and frees it. */
void st_pg_lookup_free(st_pg_lookup_t *l);

#endif
