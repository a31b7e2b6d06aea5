/*
 * server.c - telemetry-server: the host side of the telemetry example, on
 * the skeletons tools/protoc-gen-fc generates (telemetry.srv.h) and the rpc
 * runtime's event loop. It stores every reading of every upload in SQLite
 * and, while an upload is in progress, sends its device a command every K
 * readings on each of the device's open command streams.
 *
 *   telemetry-server [--listen HOST:PORT] [--db PATH] [--command-every K] [limits]
 *       default listen 127.0.0.1:7070, db telemetry.db, K 100 (0: no commands)
 *
 * The table (created on start):
 *   reading(id, device, upload, seq, sensor, value, uptime_ms, received_at)
 * Uploads are numbered on from the largest number in the table.
 *
 * Upload names its device in the "x-device-id" metadata, Commands in its
 * request; an id is 1 to 32 characters of [A-Za-z0-9._-], anything else is
 * InvalidArgument. A reading that does not decode ends its upload with
 * InvalidArgument (the skeleton's doing); the readings before it stay
 * stored. Command streams are held until the device cancels them, their
 * deadline passes, or the server stops (SIGINT, SIGTERM): they then end
 * with Unavailable and the uploads still open get a drain to finish.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "dm_opts.h"
#include "dm_process.h"
#include "rpc_log.h"
#include "rpc_server.h"
#include "telemetry/telemetry.srv.h"

#define DRAIN_MS 4000                 /* uploads under way get this long to finish on SIGTERM */
#define DEVICE_MAX 32                 /* telemetry.options: CommandsRequest.device */
#define MAX_LISTENERS 4096            /* open command streams, all devices together */
#define MAX_QUEUED (64u * 1024u)      /* a stream this far behind misses commands */
#define MAX_COMMAND_EVERY 100000000ul /* --command-every's bound */
#define MD_DEVICE "x-device-id"

/* An open command stream. */
typedef struct listener {
  rpc_scall_t *call;
  char device[DEVICE_MAX + 1];
  struct listener *prev, *next;
} listener_t;

/* An upload in progress (the call's user pointer). */
typedef struct upload {
  char device[DEVICE_MAX + 1];
  int64_t id;
  uint32_t received, stored, commands;
  int64_t sum;
  int store_failed; /* logged once */
} upload_t;

typedef struct tele {
  sqlite3 *db;
  sqlite3_stmt *insert;
  uint32_t every;
  int64_t last_upload;
  listener_t *listeners;
  size_t nlisteners;
} tele_t;

static tele_t tele;

/* --- the database ------------------------------------------------------- */

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "CREATE TABLE IF NOT EXISTS reading ("
    "  id INTEGER PRIMARY KEY,"
    "  device TEXT NOT NULL,"
    "  upload INTEGER NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  sensor INTEGER NOT NULL,"
    "  value INTEGER NOT NULL,"
    "  uptime_ms INTEGER NOT NULL,"
    "  received_at TEXT NOT NULL"
    "    DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));"
    "CREATE INDEX IF NOT EXISTS reading_device ON reading(device, upload);";

static int db_open(tele_t *t, const char *path) {
  sqlite3_stmt *last = NULL;
  if (sqlite3_open(path, &t->db) != SQLITE_OK ||
      sqlite3_exec(t->db, schema, NULL, NULL, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(t->db,
                         "INSERT INTO reading(device, upload, seq, sensor, value, uptime_ms)"
                         " VALUES(?, ?, ?, ?, ?, ?)",
                         -1, &t->insert, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(t->db, "SELECT coalesce(max(upload), 0) FROM reading", -1, &last, NULL) !=
          SQLITE_OK ||
      sqlite3_step(last) != SQLITE_ROW) {
    rpc_log("cannot open the database %s: %s", path,
            t->db ? sqlite3_errmsg(t->db) : "out of memory");
    sqlite3_finalize(last);
    return -1;
  }
  t->last_upload = sqlite3_column_int64(last, 0);
  sqlite3_finalize(last);
  sqlite3_busy_timeout(t->db, 2000);
  return 0;
}

static void db_close(tele_t *t) {
  sqlite3_finalize(t->insert);
  sqlite3_close(t->db);
}

static int db_store(tele_t *t, const upload_t *u, const telemetry_Reading *r) {
  sqlite3_stmt *s = t->insert;
  sqlite3_bind_text(s, 1, u->device, -1, SQLITE_STATIC);
  sqlite3_bind_int64(s, 2, u->id);
  sqlite3_bind_int64(s, 3, r->seq);
  sqlite3_bind_int64(s, 4, r->sensor);
  sqlite3_bind_int64(s, 5, r->value);
  sqlite3_bind_int64(s, 6, r->uptime_ms);
  int rc = sqlite3_step(s);
  sqlite3_reset(s);
  return rc == SQLITE_DONE ? 0 : -1;
}

/* --- devices and commands ------------------------------------------------ */

/* Copies a device id into dst if it is one (1..DEVICE_MAX of [A-Za-z0-9._-]).
 * Returns 0 or -1. */
static int device_id(char *dst, const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > DEVICE_MAX) return -1;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-'))
      return -1;
  }
  memcpy(dst, s, n + 1);
  return 0;
}

static const char *kind_name(telemetry_Command_Kind k) {
  switch (k) {
  case telemetry_Command_Kind_SET_INTERVAL:
    return "set-interval";
  case telemetry_Command_Kind_SET_THRESHOLD:
    return "set-threshold";
  default:
    return "calibrate";
  }
}

/* The upload's next command, the same for every run: set-interval,
 * set-threshold and calibrate in turn, their arguments from the id. */
static telemetry_Command next_command(const upload_t *u) {
  telemetry_Command c = telemetry_Command_init_zero;
  c.id = u->commands + 1;
  c.at_reading = u->received;
  c.kind = (telemetry_Command_Kind)(1 + (c.id - 1) % 3);
  if (c.kind == telemetry_Command_Kind_SET_INTERVAL)
    c.arg = (int32_t)(250 * (1 + c.id % 4));
  else if (c.kind == telemetry_Command_Kind_SET_THRESHOLD)
    c.arg = (int32_t)(20000 + 500 * (c.id % 1000));
  else
    c.arg = (int32_t)(c.id % 4);
  return c;
}

/* Sends the upload's next command on every open command stream of its
 * device; it counts as issued when one took it. */
static void issue(tele_t *t, upload_t *u) {
  telemetry_Command c = next_command(u);
  int took = 0;
  for (listener_t *l = t->listeners; l; l = l->next) {
    if (strcmp(l->device, u->device) != 0) continue;
    if (rpc_scall_queued(l->call) > MAX_QUEUED) { /* not reading: no more memory for it */
      rpc_log("commands for %s: the stream is %zu bytes behind, command %u dropped", l->device,
              rpc_scall_queued(l->call), (unsigned)c.id);
      continue;
    }
    if (telemetry_Telemetry_Commands_send(l->call, &c) == RPC_OK) took++;
  }
  if (!took) return;
  u->commands++;
  rpc_log("command %u for %s at reading %u: %s %ld", (unsigned)c.id, u->device,
          (unsigned)c.at_reading, kind_name(c.kind), (long)c.arg);
}

/* --- Upload: client streaming -------------------------------------------- */

static void upload_begin(rpc_scall_t *call, void *ud) {
  tele_t *t = ud;
  const char *name, *value;
  char device[DEVICE_MAX + 1] = "";
  int found = 0;
  for (int i = 0; rpc_scall_metadata(call, i, &name, &value); i++)
    if (strcmp(name, MD_DEVICE) == 0) found = device_id(device, value) == 0;
  if (!found) {
    rpc_scall_finish(call, RPC_CODE_INVALID_ARGUMENT,
                     "telemetry: an upload names its device in " MD_DEVICE
                     " (1 to 32 of A-Z a-z 0-9 . _ -)");
    return;
  }
  upload_t *u = calloc(1, sizeof(*u));
  if (!u) {
    rpc_scall_finish(call, RPC_CODE_RESOURCE_EXHAUSTED, "telemetry: out of memory");
    return;
  }
  memcpy(u->device, device, sizeof(device));
  u->id = ++t->last_upload;
  rpc_scall_set_user(call, u);
  rpc_log("upload %lld from %s (%s): started", (long long)u->id, u->device, rpc_scall_peer(call));
}

static void upload_done(rpc_scall_t *call, upload_t *u) {
  telemetry_UploadSummary s = telemetry_UploadSummary_init_zero;
  s.received = u->received;
  s.stored = u->stored;
  s.value_sum = u->sum;
  s.commands = u->commands;
  rpc_scall_set_user(call, NULL);
  rpc_log("upload %lld from %s: %u readings received, %u stored, %u commands issued",
          (long long)u->id, u->device, (unsigned)u->received, (unsigned)u->stored,
          (unsigned)u->commands);
  free(u);
  telemetry_Telemetry_Upload_reply(call, &s);
}

static void upload_msg(rpc_scall_t *call, const telemetry_Reading *r, void *ud) {
  tele_t *t = ud;
  upload_t *u = rpc_scall_user(call);
  if (!u) return; /* not begun: already finished */
  if (!r) {
    upload_done(call, u);
    return;
  }
  if (u->received == UINT32_MAX) {
    rpc_scall_set_user(call, NULL);
    free(u);
    rpc_scall_finish(call, RPC_CODE_OUT_OF_RANGE, "telemetry: too many readings in one upload");
    return;
  }
  u->received++;
  if (db_store(t, u, r) == 0) {
    u->stored++;
    u->sum += r->value;
  } else if (!u->store_failed) {
    u->store_failed = 1;
    rpc_log("upload %lld from %s: cannot store reading %u: %s", (long long)u->id, u->device,
            (unsigned)r->seq, sqlite3_errmsg(t->db));
  }
  if (t->every && u->received % t->every == 0) issue(t, u);
}

static void upload_end(rpc_scall_t *call, rpc_end_t why, void *ud) {
  (void)ud;
  upload_t *u = rpc_scall_user(call);
  if (!u) return;
  rpc_log("upload %lld from %s: %s after %u readings (%u stored)", (long long)u->id, u->device,
          why == RPC_END_DEADLINE  ? "deadline exceeded"
          : why == RPC_END_INVALID ? "a reading that did not decode ended it"
                                   : "cancelled",
          (unsigned)u->received, (unsigned)u->stored);
  rpc_scall_set_user(call, NULL);
  free(u);
}

/* --- Commands: server streaming ------------------------------------------ */

static void listener_unlink(tele_t *t, listener_t *l) {
  if (l->prev)
    l->prev->next = l->next;
  else
    t->listeners = l->next;
  if (l->next) l->next->prev = l->prev;
  t->nlisteners--;
}

static void commands_begin(rpc_scall_t *call, const telemetry_CommandsRequest *req, void *ud) {
  tele_t *t = ud;
  char device[DEVICE_MAX + 1];
  if (device_id(device, req->device) != 0) {
    rpc_scall_finish(call, RPC_CODE_INVALID_ARGUMENT,
                     "telemetry: CommandsRequest.device must be 1 to 32 of A-Z a-z 0-9 . _ -");
    return;
  }
  listener_t *l = t->nlisteners < MAX_LISTENERS ? calloc(1, sizeof(*l)) : NULL;
  if (!l) {
    rpc_scall_finish(call, RPC_CODE_RESOURCE_EXHAUSTED, "telemetry: too many command streams");
    return;
  }
  memcpy(l->device, device, sizeof(device));
  l->call = call;
  l->next = t->listeners;
  if (l->next) l->next->prev = l;
  t->listeners = l;
  t->nlisteners++;
  rpc_scall_set_user(call, l);
  rpc_log("commands for %s (%s): stream open", l->device, rpc_scall_peer(call));
}

static void commands_end(rpc_scall_t *call, rpc_end_t why, void *ud) {
  tele_t *t = ud;
  listener_t *l = rpc_scall_user(call);
  if (!l) return;
  rpc_log("commands for %s: stream %s", l->device,
          why == RPC_END_DEADLINE ? "past its deadline" : "cancelled by the device");
  listener_unlink(t, l);
  free(l);
}

/* The server stops: every command stream ends (they would hold the drain
 * for ever), Unavailable, so that a device knows to listen again. */
static void commands_close_all(tele_t *t) {
  while (t->listeners) {
    listener_t *l = t->listeners;
    listener_unlink(t, l);
    rpc_scall_set_user(l->call, NULL);
    rpc_scall_finish(l->call, RPC_CODE_UNAVAILABLE, "telemetry: the server is shutting down");
    free(l);
  }
}

/* --- the daemon ---------------------------------------------------------- */

static const telemetry_Telemetry_handlers_t handlers = {
    .Upload = upload_begin,
    .Upload_msg = upload_msg,
    .Upload_end = upload_end,
    .Commands = commands_begin,
    .Commands_end = commands_end,
    .ud = &tele,
};

static int usage_to(FILE *f) {
  fprintf(f, "usage: telemetry-server [--listen HOST:PORT] [--db PATH] [--command-every K]\n"
             "       " DM_LIMITS_USAGE "\n");
  return 2;
}

static int usage(void) {
  return usage_to(stderr);
}

int main(int argc, char **argv) {
  if (dm_info_arg(argc, argv, "telemetry-server", usage_to)) return 0;
  static rpc_method_t methods[telemetry_Telemetry_METHODS];
  const char *listen = "127.0.0.1:7070", *db_path = "telemetry.db";
  rpc_server_limits_t lim = {0};
  tele.every = 100;
  for (int i = 1; i < argc; i++) {
    int r = dm_limit_arg(&lim, argc, argv, &i);
    if (r < 0) return usage();
    if (r > 0) continue;
    if (strcmp(argv[i], "--listen") == 0 && i + 1 < argc) {
      listen = argv[++i];
    } else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
      db_path = argv[++i];
    } else if (strcmp(argv[i], "--command-every") == 0 && i + 1 < argc) {
      char *end;
      const char *v = argv[++i];
      unsigned long k = strtoul(v, &end, 10);
      if (!*v || *end || *v == '-' || k > MAX_COMMAND_EVERY) return usage();
      tele.every = (uint32_t)k;
    } else {
      return usage();
    }
  }
  if (dm_process_init() != 0 || db_open(&tele, db_path) != 0) {
    db_close(&tele);
    return 1;
  }
  rpc_loop_t *loop = rpc_loop_new();
  rpc_server_t *srv = loop ? rpc_server_new(loop, listen, methods,
                                            telemetry_Telemetry_methods(methods, &handlers), &lim)
                           : NULL;
  if (!srv) {
    if (loop) rpc_loop_free(loop);
    db_close(&tele);
    return 1;
  }
  rpc_log("telemetry on http://%s, readings into %s, a command every %u readings", listen, db_path,
          (unsigned)tele.every);
  int sig = rpc_loop_run(loop);
  rpc_log("stopping (signal %d): command streams closed, draining the uploads", sig);
  commands_close_all(&tele);
  int left = rpc_server_drain(srv, DRAIN_MS);
  if (left) rpc_log("drain timeout: %d calls cut", left);
  rpc_server_free(srv);
  rpc_loop_free(loop);
  db_close(&tele);
  return 0;
}
