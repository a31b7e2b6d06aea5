/* st_pg_lookup.c - the database's host name looked up off the event loop
 * (st_pg_lookup.h): getaddrinfo_a without notification, polled. */
#include "st_pg_lookup.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct st_pg_target {
  PQconninfoOption *opts;
  const char **keys; /* the options given, NULL-terminated */
  const char **vals;
  int n;
  const char *name; /* to look up; NULL: libpq's way */
};

static const char *opt(const st_pg_target_t *t, const char *key) {
  for (int i = 0; i < t->n; i++)
    if (strcmp(t->keys[i], key) == 0) return t->vals[i];
  return NULL;
}

/* A single host name that libpq would resolve itself. */
static int is_name(const char *h) {
  unsigned char buf[sizeof(struct in6_addr)];
  if (!h || !*h || h[0] == '/' || h[0] == '@' || strchr(h, ',')) return 0;
  return inet_pton(AF_INET, h, buf) != 1 && inet_pton(AF_INET6, h, buf) != 1;
}

st_pg_target_t *st_pg_target_new(const char *conninfo) {
  PQconninfoOption *opts = PQconninfoParse(conninfo, NULL);
  if (!opts) return NULL;
  int total = 0;
  for (PQconninfoOption *o = opts; o->keyword; o++)
    total++;
  st_pg_target_t *t = calloc(1, sizeof(*t));
  if (t) {
    t->keys = calloc((size_t)total + 1, sizeof(*t->keys));
    t->vals = calloc((size_t)total + 1, sizeof(*t->vals));
  }
  if (!t || !t->keys || !t->vals) {
    PQconninfoFree(opts);
    st_pg_target_free(t);
    return NULL;
  }
  t->opts = opts;
  for (PQconninfoOption *o = opts; o->keyword; o++) {
    if (!o->val) continue;
    t->keys[t->n] = o->keyword;
    t->vals[t->n++] = o->val;
  }
  /* the environment's PGHOST and PGHOSTADDR count as libpq counts them */
  const char *host = opt(t, "host") ? opt(t, "host") : getenv("PGHOST");
  const char *port = opt(t, "port") ? opt(t, "port") : getenv("PGPORT");
  int addr_given = opt(t, "hostaddr") || getenv("PGHOSTADDR");
  if (!addr_given && is_name(host) && !(port && strchr(port, ','))) t->name = host;
  return t;
}

void st_pg_target_free(st_pg_target_t *t) {
  if (!t) return;
  PQconninfoFree(t->opts);
  free(t->keys);
  free(t->vals);
  free(t);
}

const char *st_pg_target_name(const st_pg_target_t *t) {
  return t ? t->name : NULL;
}

PGconn *st_pg_target_start(const st_pg_target_t *t, const char *addrs, int naddrs) {
  if (!addrs || naddrs < 1 || !t->name) return PQconnectStartParams(t->keys, t->vals, 0);
  char hosts[ST_PG_ADDRS_MAX * 256];
  size_t used = 0;
  /* libpq pairs host and hostaddr entry by entry: the name once an address */
  for (int i = 0; i < naddrs && i < ST_PG_ADDRS_MAX; i++) {
    int w = snprintf(hosts + used, sizeof(hosts) - used, "%s%s", i ? "," : "", t->name);
    if (w < 0 || (size_t)w >= sizeof(hosts) - used) return NULL;
    used += (size_t)w;
  }
  const char **k = calloc((size_t)t->n + 3, sizeof(*k));
  const char **v = calloc((size_t)t->n + 3, sizeof(*v));
  PGconn *c = NULL;
  if (k && v) {
    int n = 0;
    for (int i = 0; i < t->n; i++) {
      if (strcmp(t->keys[i], "host") == 0) continue;
      k[n] = t->keys[i];
      v[n++] = t->vals[i];
    }
    k[n] = "host";
    v[n++] = hosts;
    k[n] = "hostaddr";
    v[n++] = addrs;
    c = PQconnectStartParams(k, v, 0);
  }
  free(k);
  free(v);
  return c;
}

/* --- the lookup ----------------------------------------------------------- */

struct st_pg_lookup {
  struct gaicb cb;
  struct addrinfo hints;
  char name[256];
  struct st_pg_lookup *next; /* on the abandoned list */
};

/* Lookups abandoned while glibc's thread still ran them: freed once done.
 * The loop's thread alone uses it. */
static st_pg_lookup_t *abandoned;

static void lookup_release(st_pg_lookup_t *l) {
  if (l->cb.ar_result) freeaddrinfo(l->cb.ar_result);
  free(l);
}

static void reap(void) {
  st_pg_lookup_t **p = &abandoned;
  while (*p) {
    st_pg_lookup_t *l = *p;
    if (gai_error(&l->cb) == EAI_INPROGRESS) {
      p = &l->next;
      continue;
    }
    *p = l->next;
    lookup_release(l);
  }
}

st_pg_lookup_t *st_pg_lookup_start(const char *name) {
  reap();
  st_pg_lookup_t *l = calloc(1, sizeof(*l));
  if (!l) return NULL;
  snprintf(l->name, sizeof(l->name), "%s", name);
  l->hints.ai_family = AF_UNSPEC;
  l->hints.ai_socktype = SOCK_STREAM;
  l->cb.ar_name = l->name;
  l->cb.ar_request = &l->hints;
  struct gaicb *list[1] = {&l->cb};
  if (getaddrinfo_a(GAI_NOWAIT, list, 1, NULL) != 0) {
    free(l);
    return NULL;
  }
  return l;
}

int st_pg_lookup_poll(st_pg_lookup_t *l, char *addrs, size_t len, int *n, char *err,
                      size_t errlen) {
  int r = gai_error(&l->cb);
  if (r == EAI_INPROGRESS) return 1;
  if (r != 0) {
    snprintf(err, errlen, "%s", gai_strerror(r));
    return -1;
  }
  size_t used = 0;
  *n = 0;
  addrs[0] = '\0';
  for (struct addrinfo *ai = l->cb.ar_result; ai && *n < ST_PG_ADDRS_MAX; ai = ai->ai_next) {
    char a[INET6_ADDRSTRLEN];
    const void *src = NULL;
    if (ai->ai_family == AF_INET) src = &((struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr;
    if (ai->ai_family == AF_INET6) src = &((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr;
    if (!src || !inet_ntop(ai->ai_family, src, a, sizeof(a))) continue;
    int w = snprintf(addrs + used, len - used, "%s%s", *n ? "," : "", a);
    if (w < 0 || (size_t)w >= len - used) break;
    used += (size_t)w;
    (*n)++;
  }
  if (*n == 0) {
    snprintf(err, errlen, "no address");
    return -1;
  }
  return 0;
}

void st_pg_lookup_free(st_pg_lookup_t *l) {
  if (!l) return;
  if (gai_error(&l->cb) == EAI_INPROGRESS && gai_cancel(&l->cb) == EAI_NOTCANCELED) {
    l->next = abandoned; /* glibc's thread still writes into it */
    abandoned = l;
    return;
  }
  lookup_release(l);
}
