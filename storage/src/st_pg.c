/* st_pg.c - the catalogue in PostgreSQL, through libpq's asynchronous API on
 * the storage's event loop: a pool of connections, each running one query at
 * a time (PQsendQueryParams, then PQconsumeInput when its socket is
 * readable), and a bounded queue of lookups waiting for a free connection.
 *
 * A connection that fails (a restart, a network cut) answers its query with
 * ST_UNAVAILABLE and connects again in the background, with a backoff from
 * 100 ms to 1 s; while no connection is up, lookups fail at once with
 * ST_UNAVAILABLE rather than queue behind a server that is not there.
 *
 * A cancelled lookup leaves its connection busy until the server has
 * answered, so that the cancel request (PQcancel, sent from a short-lived
 * thread because libpq 15 has no non-blocking cancel) mostly stops only the
 * query it was meant for; a thread slower than the query can still hit the
 * next one, which is then sent again once. A query (or a cancelled one)
 * that takes over 30 s replaces its connection. A host name is looked up
 * off the loop before each reconnect (st_pg_lookup.h): libpq's own lookup
 * blocks. The schema is created and seeded at open, before
 * the loop runs, under an advisory lock so that storages starting together
 * seed once; a read replica (pg_is_in_recovery) is only read. */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "api.pb.h"
#include "rpc_log.h"
#include "st_catalogue.h"
#include "st_db_impl.h"
#include "st_pg_lookup.h"

#define PG_QUEUE_MAX 4096      /* lookups waiting for a connection */
#define PG_BACKOFF_MIN_MS 100  /* first retry after a failed connection */
#define PG_BACKOFF_MAX_MS 1000 /* a restarted server is used within a second */
#define PG_CONNECT_MS 5000     /* an attempt that takes longer has failed */
#define PG_QUERY_MS 30000      /* a query (or its cancel) that takes longer: replaced */
#define PG_LOOKUP_POLL_MS 20   /* a host name's lookup is polled this often */
#define PG_SEED_LOCK "7301"    /* pg_advisory_xact_lock key: one seeder */

static const char products_sql[] =
    "SELECT title, url FROM product WHERE vendor=$1 AND type=$2 ORDER BY pos";
static const char vendor_sql[] = "SELECT 1 FROM product WHERE vendor=$1 LIMIT 1";
static const char insert_sql[] = "INSERT INTO product(vendor,type,pos,title,url) "
                                 "VALUES($1,$2,$3,$4,$5)";

typedef struct st_pg st_pg_t;

typedef enum { PC_DOWN, PC_RESOLVING, PC_CONNECTING, PC_IDLE, PC_BUSY } pc_state_t;

typedef struct pg_conn {
  st_pg_t *pg;
  PGconn *c;
  rpc_io_t io;
  int watched;
  pc_state_t state;
  struct st_query *q; /* the lookup it runs; NULL when idle or cancelled */
  PGresult *res;      /* the current query's first result */
  rpc_timer_t timer;  /* retry backoff, the lookup's polls, or the connect attempt's limit */
  uint32_t backoff_ms;
  st_pg_lookup_t *lookup;           /* the host name's, while PC_RESOLVING */
  int lookup_polls;                 /* left before it has failed */
  char addrs[ST_PG_ADDRS_MAX * 48]; /* what it gave, for libpq's hostaddr */
  int naddrs;
  int was_up; /* logged as lost when it goes down */
} pg_conn_t;

struct st_query {
  st_pg_t *pg;
  pg_conn_t *conn; /* NULL while queued */
  struct st_query *next;
  st_done_fn done;
  void *arg;
  int step;          /* 1: the products; 2: does the vendor exist */
  int retried;       /* re-sent once after a cancel meant for the query before */
  char trace_id[33]; /* the call's, on this query's log lines */
  char vendor[sizeof(((api_StorageRequest *)0)->vendor)];
  char type[sizeof(((api_StorageRequest *)0)->productType)];
};

struct st_pg {
  st_db_t base;
  rpc_loop_t *loop;
  char *conninfo;
  st_pg_target_t *target; /* conninfo taken apart, for hostaddr */
  int lookup_failing;     /* its name's last lookup failed: logged once */
  PGconn *sync;           /* --import's connection, and the one that made the schema */
  pg_conn_t *conns;
  int nconns;
  struct st_query *head, *tail; /* waiting for a connection */
  int queued;
};

typedef struct {
  st_rows_t base;
  PGresult *res;
} pg_rows_t;

static const st_backend_t pg_ops;

static void pc_connect(pg_conn_t *pc);
static void pc_dispatch(st_pg_t *pg);

/* True while some connection is up (idle or busy). */
static int pg_up(const st_pg_t *pg) {
  for (int i = 0; i < pg->nconns; i++)
    if (pg->conns[i].state >= PC_IDLE) return 1;
  return 0;
}

/* libpq's messages span lines; a log line does not. */
static const char *one_line(const char *m) {
  static char msg[256];
  snprintf(msg, sizeof(msg), "%s", m);
  for (char *p = msg; *p; p++)
    if (*p == '\n' || *p == '\t') *p = ' ';
  size_t n = strlen(msg);
  while (n && msg[n - 1] == ' ')
    msg[--n] = '\0';
  return msg;
}

static const char *pg_err(PGconn *c) {
  return one_line(c ? PQerrorMessage(c) : "out of memory");
}

/* The server's notices (a shutdown's FATAL among them) go to the log. */
static void on_notice(void *arg, const char *message) {
  (void)arg;
  rpc_log("database: %s", one_line(message));
}

/* --- the event loop's side ------------------------------------------------ */

static int pc_watch(pg_conn_t *pc, uint32_t events) {
  rpc_loop_t *l = pc->pg->loop;
  int fd = PQsocket(pc->c);
  /* libpq may change sockets while it connects (another address): always
   * register the current one afresh then */
  if (pc->watched) rpc_loop_del(l, &pc->io);
  pc->watched = 0;
  if (fd < 0) return -1;
  pc->io.fd = fd;
  if (rpc_loop_add(l, &pc->io, events) != 0) return -1;
  pc->watched = 1;
  return 0;
}

static void q_answer(struct st_query *q, st_status_t st, PGresult *res) {
  pg_rows_t rows = {{&pg_ops}, res};
  q->done(q->arg, st, st == ST_ROWS ? &rows.base : NULL);
  free(q);
}

/* The connection is lost: its lookup fails with ST_UNAVAILABLE, and a new
 * connection is tried after the backoff. */
static void pc_fail(pg_conn_t *pc) {
  st_pg_t *pg = pc->pg;
  if (pc->was_up) /* with the call it takes down, if any */
    st_db_log_query(pc->q ? pc->q->trace_id : NULL, RPC_LOG_WARN, "database connection lost: %s",
                    pg_err(pc->c));
  pc->was_up = 0;
  if (pc->watched) rpc_loop_del(pg->loop, &pc->io);
  pc->watched = 0;
  st_pg_lookup_free(pc->lookup);
  pc->lookup = NULL;
  PQclear(pc->res);
  pc->res = NULL;
  PQfinish(pc->c);
  pc->c = NULL;
  pc->state = PC_DOWN;
  struct st_query *q = pc->q;
  pc->q = NULL;
  if (q) q_answer(q, ST_UNAVAILABLE, NULL);
  rpc_timer_start(pg->loop, &pc->timer, pc->backoff_ms);
  pc->backoff_ms = pc->backoff_ms * 2 > PG_BACKOFF_MAX_MS ? PG_BACKOFF_MAX_MS : pc->backoff_ms * 2;
  /* with no connection up, waiting lookups would wait for nothing */
  int up = pg_up(pg);
  st_db_set_up(&pg->base, up);
  while (!up && pg->head) {
    struct st_query *w = pg->head;
    pg->head = w->next;
    pg->queued--;
    q_answer(w, ST_UNAVAILABLE, NULL);
  }
  if (!pg->head) pg->tail = NULL;
}

static int pc_send(pg_conn_t *pc) {
  struct st_query *q = pc->q;
  const char *params[2] = {q->vendor, q->type};
  int ok = q->step == 1 ? PQsendQueryParams(pc->c, products_sql, 2, NULL, params, NULL, NULL, 0)
                        : PQsendQueryParams(pc->c, vendor_sql, 1, NULL, params, NULL, NULL, 0);
  if (!ok) return -1;
  int f = PQflush(pc->c);
  if (f < 0) return -1;
  pc->state = PC_BUSY;
  /* a server that stops answering (a cut network) must not hold the
   * connection for the kernel's TCP timeout */
  rpc_timer_start(pc->pg->loop, &pc->timer, PG_QUERY_MS);
  return pc_watch(pc, EPOLLIN | (f ? EPOLLOUT : 0));
}

static void pc_idle(pg_conn_t *pc) {
  pc->state = PC_IDLE;
  rpc_timer_stop(pc->pg->loop, &pc->timer);
  if (pc_watch(pc, EPOLLIN) != 0) { /* a server that goes away is seen at once */
    pc_fail(pc);
    return;
  }
  pc_dispatch(pc->pg);
}

/* The server has answered the connection's query in full. */
static void pc_finished(pg_conn_t *pc) {
  PGresult *res = pc->res;
  pc->res = NULL;
  struct st_query *q = pc->q;
  ExecStatusType es = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
  if (!q) { /* cancelled while it ran: its answer is dropped */
    PQclear(res);
    pc_idle(pc);
    return;
  }
  if (es == PGRES_TUPLES_OK) {
    int n = PQntuples(res);
    if (q->step == 1 && n > 0) {
      pc->q = NULL;
      q_answer(q, ST_ROWS, res);
    } else if (q->step == 1) {
      q->step = 2; /* no product: is it the vendor or the type? */
      PQclear(res);
      if (pc_send(pc) != 0) pc_fail(pc);
      return;
    } else {
      pc->q = NULL;
      q_answer(q, n > 0 ? ST_NO_TYPE : ST_NO_VENDOR, NULL);
    }
    PQclear(res);
    pc_idle(pc);
    return;
  }
  /* query_canceled on a lookup that was not: a late cancel meant for the
   * query before it on this connection; run it again, once */
  if (state && strcmp(state, "57014") == 0 && !q->retried) {
    q->retried = 1;
    PQclear(res);
    if (pc_send(pc) != 0) pc_fail(pc);
    return;
  }
  /* a lost or closing server (class 08: connection, 57P: shutdown) is not
   * the catalogue's fault: Unavailable, and the connection is replaced */
  int gone = PQstatus(pc->c) == CONNECTION_BAD ||
             (state && (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0));
  st_db_log_query(q->trace_id, RPC_LOG_ERROR, "database query failed: %s",
                  res && *PQresultErrorMessage(res) ? one_line(PQresultErrorMessage(res))
                                                    : pg_err(pc->c));
  PQclear(res);
  if (gone) {
    pc_fail(pc);
    return;
  }
  /* passing trouble of the server's, not of this catalogue: serialization
   * or replica conflicts (40001, 40P01), resources (53, 58), a lock not
   * available (55P03), a statement timeout or a second stray cancel */
  int busy = state && (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
                       strncmp(state, "53", 2) == 0 || strncmp(state, "58", 2) == 0 ||
                       strcmp(state, "55P03") == 0 || strcmp(state, "57014") == 0);
  pc->q = NULL;
  q_answer(q, busy ? ST_UNAVAILABLE : ST_FAILED, NULL);
  pc_idle(pc);
}

static void pc_on_io(rpc_io_t *io, uint32_t events) {
  pg_conn_t *pc = io->arg;
  if (pc->state == PC_DOWN) return; /* closed earlier in this batch of events */
  if (pc->state == PC_CONNECTING) {
    pc_connect(pc);
    return;
  }
  if ((events & EPOLLOUT) && pc->state == PC_BUSY) {
    int f = PQflush(pc->c);
    if (f < 0) {
      pc_fail(pc);
      return;
    }
    if (!f && pc_watch(pc, EPOLLIN) != 0) {
      pc_fail(pc);
      return;
    }
  }
  if (!(events & (EPOLLIN | EPOLLERR | EPOLLHUP))) return;
  if (!PQconsumeInput(pc->c)) {
    pc_fail(pc);
    return;
  }
  if (pc->state == PC_IDLE) {
    /* nothing was asked: a notice, or the server closing the session */
    PGresult *r;
    while (!PQisBusy(pc->c) && (r = PQgetResult(pc->c)))
      PQclear(r);
    if (PQstatus(pc->c) == CONNECTION_BAD) pc_fail(pc);
    return;
  }
  while (pc->state == PC_BUSY && !PQisBusy(pc->c)) {
    PGresult *r = PQgetResult(pc->c);
    if (!r) {
      pc_finished(pc);
      return;
    }
    if (!pc->res)
      pc->res = r;
    else
      PQclear(r);
  }
}

/* Looks the host name up; pc_on_lookup goes on. */
static void pc_lookup(pg_conn_t *pc, const char *name) {
  pc->lookup = st_pg_lookup_start(name);
  if (!pc->lookup) {
    pc_fail(pc);
    return;
  }
  pc->state = PC_RESOLVING;
  pc->lookup_polls = PG_CONNECT_MS / PG_LOOKUP_POLL_MS;
  rpc_timer_start(pc->pg->loop, &pc->timer, PG_LOOKUP_POLL_MS);
}

/* Starts or drives a connection attempt (PQconnectStart/PQconnectPoll), a
 * host name looked up first. */
static void pc_connect(pg_conn_t *pc) {
  st_pg_t *pg = pc->pg;
  PostgresPollingStatusType ps;
  const char *name = st_pg_target_name(pg->target);
  if (pc->state == PC_DOWN && name) {
    pc_lookup(pc, name);
    return;
  }
  if (pc->state == PC_DOWN || pc->state == PC_RESOLVING) {
    pc->c = pc->state == PC_RESOLVING ? st_pg_target_start(pg->target, pc->addrs, pc->naddrs)
                                      : PQconnectStart(pg->conninfo);
    if (!pc->c || PQstatus(pc->c) == CONNECTION_BAD) {
      pc_fail(pc);
      return;
    }
    PQsetNoticeProcessor(pc->c, on_notice, NULL);
    pc->state = PC_CONNECTING;
    rpc_timer_start(pg->loop, &pc->timer, PG_CONNECT_MS);
    ps = PGRES_POLLING_WRITING;
  } else {
    ps = PQconnectPoll(pc->c);
  }
  switch (ps) {
  case PGRES_POLLING_READING:
  case PGRES_POLLING_WRITING:
    if (pc_watch(pc, ps == PGRES_POLLING_READING ? EPOLLIN : EPOLLOUT) != 0) pc_fail(pc);
    return;
  case PGRES_POLLING_OK:
    rpc_timer_stop(pg->loop, &pc->timer);
    if (PQsetnonblocking(pc->c, 1) != 0) {
      pc_fail(pc);
      return;
    }
    if (pc->backoff_ms > PG_BACKOFF_MIN_MS) rpc_log("database connection restored");
    pc->backoff_ms = PG_BACKOFF_MIN_MS;
    pc->was_up = 1;
    pc_idle(pc);
    st_db_set_up(&pg->base, pg_up(pg));
    return;
  default:
    pc_fail(pc);
  }
}

/* A poll of the host name's lookup: still pending, failed, or addresses. */
static void pc_on_lookup(pg_conn_t *pc) {
  st_pg_t *pg = pc->pg;
  const char *name = st_pg_target_name(pg->target);
  char err[128];
  int r =
      st_pg_lookup_poll(pc->lookup, pc->addrs, sizeof(pc->addrs), &pc->naddrs, err, sizeof(err));
  if (r == 1 && --pc->lookup_polls > 0) {
    rpc_timer_start(pg->loop, &pc->timer, PG_LOOKUP_POLL_MS);
    return;
  }
  if (r == 1) snprintf(err, sizeof(err), "no answer within %d ms", PG_CONNECT_MS);
  st_pg_lookup_free(pc->lookup);
  pc->lookup = NULL;
  if (r != 0) {
    if (!pg->lookup_failing)
      rpc_log_at(RPC_LOG_WARN, "cannot resolve the database host %s: %s", name, err);
    pg->lookup_failing = 1;
    pc_fail(pc);
    return;
  }
  if (pg->lookup_failing) rpc_log("the database host %s resolves again (%s)", name, pc->addrs);
  pg->lookup_failing = 0;
  pc_connect(pc);
}

static void pc_on_timer(rpc_timer_t *t) {
  pg_conn_t *pc = t->arg;
  if (pc->state == PC_RESOLVING) {
    pc_on_lookup(pc);
    return;
  }
  if (pc->state == PC_CONNECTING || pc->state == PC_BUSY) { /* took too long */
    if (pc->state == PC_BUSY)
      st_db_log_query(pc->q ? pc->q->trace_id : NULL, RPC_LOG_WARN,
                      "database query took over %d s: the connection is replaced",
                      PG_QUERY_MS / 1000);
    pc_fail(pc);
    return;
  }
  pc_connect(pc);
}

/* Gives waiting lookups to idle connections. */
static void pc_dispatch(st_pg_t *pg) {
  for (int i = 0; i < pg->nconns && pg->head; i++) {
    pg_conn_t *pc = &pg->conns[i];
    if (pc->state != PC_IDLE) continue;
    struct st_query *q = pg->head;
    pg->head = q->next;
    if (!pg->head) pg->tail = NULL;
    pg->queued--;
    q->conn = pc;
    pc->q = q;
    if (pc_send(pc) != 0) pc_fail(pc); /* answers q with ST_UNAVAILABLE */
  }
}

static st_query_t *pg_get(st_db_t *base, const char *vendor, const char *type, const char *trace_id,
                          st_done_fn done, void *arg) {
  st_pg_t *pg = (st_pg_t *)base;
  struct st_query *q = pg_up(pg) && pg->queued < PG_QUEUE_MAX ? calloc(1, sizeof(*q)) : NULL;
  if (!q) {
    done(arg, ST_UNAVAILABLE, NULL);
    return NULL;
  }
  q->pg = pg;
  q->done = done;
  q->arg = arg;
  q->step = 1;
  snprintf(q->vendor, sizeof(q->vendor), "%s", vendor);
  snprintf(q->type, sizeof(q->type), "%s", type);
  snprintf(q->trace_id, sizeof(q->trace_id), "%s", trace_id ? trace_id : "");
  /* an idle connection takes it now (the queue is empty then: idle
   * connections drain it), else it waits */
  for (int i = 0; i < pg->nconns; i++) {
    pg_conn_t *pc = &pg->conns[i];
    if (pc->state != PC_IDLE) continue;
    q->conn = pc;
    pc->q = q;
    if (pc_send(pc) == 0) return q;
    pc_fail(pc); /* has answered q with ST_UNAVAILABLE */
    return NULL;
  }
  if (pg->tail)
    pg->tail->next = q;
  else
    pg->head = q;
  pg->tail = q;
  pg->queued++;
  return q;
}

static void *cancel_thread(void *arg) {
  char err[256];
  PQcancel(arg, err, sizeof(err));
  PQfreeCancel(arg);
  return NULL;
}

static void pg_cancel(st_db_t *base, st_query_t *q) {
  st_pg_t *pg = (st_pg_t *)base;
  if (!q->conn) { /* still queued */
    struct st_query **pp = &pg->head, *prev = NULL;
    while (*pp && *pp != q) {
      prev = *pp;
      pp = &(*pp)->next;
    }
    if (*pp) {
      *pp = q->next;
      if (pg->tail == q) pg->tail = prev;
      pg->queued--;
    }
    free(q);
    return;
  }
  pg_conn_t *pc = q->conn;
  pc->q = NULL;
  free(q);
  PGcancel *cn = PQgetCancel(pc->c);
  pthread_t t;
  pthread_attr_t at;
  pthread_attr_init(&at);
  pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
  if (cn && pthread_create(&t, &at, cancel_thread, cn) != 0) PQfreeCancel(cn);
  pthread_attr_destroy(&at);
}

static int pg_each(st_rows_t *base, st_row_fn fn, void *arg) {
  pg_rows_t *r = (pg_rows_t *)base;
  int n = PQntuples(r->res);
  for (int i = 0; i < n; i++)
    if (fn(arg, PQgetvalue(r->res, i, 0), PQgetvalue(r->res, i, 1)) != 0) return -1;
  return n;
}

/* --- blocking work before the loop: the schema, --import ------------------- */

/* Runs sql; 0 if it returned status want. */
static int pg_exec(PGconn *c, const char *sql, ExecStatusType want, char *err, size_t errlen) {
  PGresult *r = PQexec(c, sql);
  int ok = r && PQresultStatus(r) == want;
  if (!ok && err) snprintf(err, errlen, "database: %s", pg_err(c));
  PQclear(r);
  return ok ? 0 : -1;
}

static int pg_seed(PGconn *c) {
  char pos[24];
  for (size_t i = 0; i < st_catalogue_len; i++) {
    const st_seed_t *s = &st_catalogue[i];
    snprintf(pos, sizeof(pos), "%zu", i);
    const char *p[5] = {s->vendor, s->type, pos, s->title, s->url};
    PGresult *r = PQexecParams(c, insert_sql, 5, NULL, p, NULL, NULL, 0);
    int ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) return -1;
  }
  return 0;
}

/* Creates the table and seeds it, once, whoever else starts now. */
static int pg_schema(PGconn *c) {
  PGresult *r = PQexec(c, "SELECT pg_is_in_recovery()");
  int replica = r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
                PQgetvalue(r, 0, 0)[0] == 't';
  PQclear(r);
  if (replica) {
    rpc_log("the database is a read replica: its schema comes from the primary");
    return pg_exec(c, "SELECT 1 FROM product LIMIT 1", PGRES_TUPLES_OK, NULL, 0);
  }
  if (pg_exec(c, "BEGIN", PGRES_COMMAND_OK, NULL, 0) != 0) return -1;
  int ok =
      pg_exec(c, "SELECT pg_advisory_xact_lock(" PG_SEED_LOCK ")", PGRES_TUPLES_OK, NULL, 0) == 0 &&
      pg_exec(c,
              "SET LOCAL client_min_messages=warning;"
              "CREATE TABLE IF NOT EXISTS product ("
              "  id bigserial PRIMARY KEY,"
              "  vendor text NOT NULL,"
              "  type text NOT NULL,"
              "  pos integer NOT NULL,"
              "  title text NOT NULL,"
              "  url text NOT NULL);"
              "CREATE INDEX IF NOT EXISTS product_vendor_type ON product(vendor, type, pos)",
              PGRES_COMMAND_OK, NULL, 0) == 0;
  int empty = 0;
  if (ok) {
    r = PQexec(c, "SELECT 1 FROM product LIMIT 1");
    ok = r && PQresultStatus(r) == PGRES_TUPLES_OK;
    empty = ok && PQntuples(r) == 0;
    PQclear(r);
  }
  /* all or nothing: a half-seeded catalogue would look valid */
  if (ok && empty) ok = pg_seed(c) == 0;
  if (!ok) {
    rpc_log_at(RPC_LOG_ERROR, "cannot create the catalogue: %s", pg_err(c));
    pg_exec(c, "ROLLBACK", PGRES_COMMAND_OK, NULL, 0);
    return -1;
  }
  if (pg_exec(c, "COMMIT", PGRES_COMMAND_OK, NULL, 0) != 0) return -1;
  if (empty)
    rpc_log("created the catalogue in PostgreSQL database %s (%zu products)", PQdb(c),
            st_catalogue_len);
  return 0;
}

static int pg_import_begin(st_db_t *base, char *err, size_t errlen) {
  st_pg_t *pg = (st_pg_t *)base;
  if (pg_exec(pg->sync, "BEGIN", PGRES_COMMAND_OK, err, errlen) != 0) return -1;
  if (pg_exec(pg->sync, "DELETE FROM product", PGRES_COMMAND_OK, err, errlen) != 0) return -1;
  PGresult *r = PQprepare(pg->sync, "ins", insert_sql, 5, NULL);
  int ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  if (!ok) snprintf(err, errlen, "database: %s", pg_err(pg->sync));
  return ok ? 0 : -1;
}

static int pg_import_row(st_db_t *base, char *const f[4], int pos, char *err, size_t errlen) {
  st_pg_t *pg = (st_pg_t *)base;
  char p3[16];
  snprintf(p3, sizeof(p3), "%d", pos);
  const char *p[5] = {f[0], f[1], p3, f[2], f[3]};
  PGresult *r = PQexecPrepared(pg->sync, "ins", 5, p, NULL, NULL, 0);
  int ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  if (!ok) snprintf(err, errlen, "database: %s", pg_err(pg->sync));
  return ok ? 0 : -1;
}

static int pg_import_end(st_db_t *base, int ok, char *err, size_t errlen) {
  st_pg_t *pg = (st_pg_t *)base;
  if (ok) return pg_exec(pg->sync, "COMMIT", PGRES_COMMAND_OK, err, errlen);
  pg_exec(pg->sync, "ROLLBACK", PGRES_COMMAND_OK, NULL, 0);
  return -1;
}

static void pg_close(st_db_t *base) {
  st_pg_t *pg = (st_pg_t *)base;
  for (int i = 0; i < pg->nconns; i++) {
    pg_conn_t *pc = &pg->conns[i];
    rpc_timer_stop(pg->loop, &pc->timer);
    if (pc->watched) rpc_loop_del(pg->loop, &pc->io);
    st_pg_lookup_free(pc->lookup);
    PQclear(pc->res);
    PQfinish(pc->c);
    free(pc->q); /* the calls are gone by now: no answer */
  }
  while (pg->head) {
    struct st_query *q = pg->head;
    pg->head = q->next;
    free(q);
  }
  PQfinish(pg->sync);
  free(pg->conns);
  st_pg_target_free(pg->target);
  free(pg->conninfo);
  free(pg);
}

static const st_backend_t pg_ops = {
    pg_close, pg_get, pg_cancel, pg_each, pg_import_begin, pg_import_row, pg_import_end,
};

st_db_t *st_pg_open(const char *conninfo, rpc_loop_t *loop, int pool) {
  st_pg_t *pg = calloc(1, sizeof(*pg));
  if (!pg) return NULL;
  pg->base.ops = &pg_ops;
  pg->loop = loop;
  pg->conninfo = strdup(conninfo);
  /* the connection string may hold a password: never logged */
  pg->sync = pg->conninfo ? PQconnectdb(pg->conninfo) : NULL;
  if (!pg->sync || PQstatus(pg->sync) != CONNECTION_OK) {
    rpc_log_at(RPC_LOG_ERROR, "cannot open the PostgreSQL database: %s", pg_err(pg->sync));
    pg_close(&pg->base);
    return NULL;
  }
  PQsetNoticeProcessor(pg->sync, on_notice, NULL);
  if (pg_schema(pg->sync) != 0) {
    pg_close(&pg->base);
    return NULL;
  }
  if (!loop) return &pg->base; /* a one-shot command: the blocking connection does */
  char dbname[64];
  snprintf(dbname, sizeof(dbname), "%s", PQdb(pg->sync));
  PQfinish(pg->sync);
  pg->sync = NULL;
  pg->target = st_pg_target_new(pg->conninfo); /* NULL: libpq's lookup */
  int nconns = pool < 1 ? 1 : pool;
  pg->conns = calloc((size_t)nconns, sizeof(*pg->conns));
  pg->nconns = pg->conns ? nconns : 0;
  if (!pg->conns) {
    pg_close(&pg->base);
    return NULL;
  }
  /* the pool connects now, before the loop runs, so that the first calls
   * find it up; later attempts are the loop's (pc_connect) */
  for (int i = 0; i < pg->nconns; i++) {
    pg_conn_t *pc = &pg->conns[i];
    pc->pg = pg;
    pc->io.fn = pc_on_io;
    pc->io.arg = pc;
    pc->timer.fn = pc_on_timer;
    pc->timer.arg = pc;
    pc->backoff_ms = PG_BACKOFF_MIN_MS;
    pc->c = PQconnectdb(pg->conninfo);
    if (pc->c) PQsetNoticeProcessor(pc->c, on_notice, NULL);
    if (pc->c && PQstatus(pc->c) == CONNECTION_OK && PQsetnonblocking(pc->c, 1) == 0) {
      pc->was_up = 1;
      pc_idle(pc);
    } else {
      pc_fail(pc);
    }
  }
  st_db_set_up(&pg->base, pg_up(pg)); /* before anyone listens: no callback yet */
  rpc_log("using the PostgreSQL database %s (a pool of %d connections)", dbname, pg->nconns);
  return &pg->base;
}
