/*
 * server.c - thermostat-server, the host side of the SDK's sample
 * (docs/sdk.md): thermostat.proto's service on the rpc runtime, written on
 * the skeletons tools/protoc-gen-fc makes from it (thermostat.srv.h). Each
 * method is a handler in one table; a request arrives decoded, the typed
 * replies encode the answers. Nothing blocks: a watch is paced by a loop
 * timer.
 *
 *   thermostat-server [--listen HOST:PORT]      (default 127.0.0.1:7000)
 *
 * One line per call on stderr, with the device's metadata.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pb_decode.h>

#include "dm_process.h"
#include "rpc_log.h"
#include "rpc_server.h"
#include "thermostat.srv.h"

#define DRAIN_MS 2000

static const struct {
  const char *name;
  int32_t deci_celsius;
} rooms[] = {{"kitchen", 215}, {"bedroom", 190}, {"garage", -35}};

/* The room's temperature; false when there is no such room (the call is
 * then finished with NotFound). */
static bool room_temp(rpc_scall_t *call, const char *room, int32_t *deci) {
  for (size_t i = 0; i < sizeof(rooms) / sizeof(rooms[0]); i++) {
    if (strcmp(rooms[i].name, room) == 0) {
      *deci = rooms[i].deci_celsius;
      return true;
    }
  }
  char msg[64];
  snprintf(msg, sizeof(msg), "no room \"%s\"", room);
  rpc_scall_finish(call, RPC_CODE_NOT_FOUND, msg);
  return false;
}

/* The request's metadata value of name, or "" (a "-bin" value is still
 * base64). */
static const char *md_value(const rpc_scall_t *call, const char *name) {
  const char *n, *v;
  for (int i = 0; rpc_scall_metadata(call, i, &n, &v); i++)
    if (strcmp(n, name) == 0) return v;
  return "";
}

/* Logs the call (what) with the device's id and its firmware's hash
 * (binary metadata: base64 on the wire, bytes after rpc_b64_decode). */
static void log_call(const rpc_scall_t *call, const char *what) {
  const char *hash64 = md_value(call, "x-fw-hash-bin");
  uint8_t hash[16];
  char hex[2 * sizeof(hash) + 1] = "";
  long n = rpc_b64_decode(hash64, strlen(hash64), hash, sizeof(hash));
  for (long i = 0; i < n; i++)
    snprintf(hex + 2 * i, 3, "%02x", hash[i]);
  rpc_log("%s from %s (firmware %s)", what, md_value(call, "x-device-id"), n > 0 ? hex : "?");
}

/* --- GetReading (unary) -------------------------------------------------- */

static void get_reading(rpc_scall_t *call, const thermo_ReadingRequest *req, void *ud) {
  (void)ud;
  static const uint8_t calib[] = {0x01, 0x02, 0x03};
  char calib64[8];
  int32_t deci;
  char what[48];
  snprintf(what, sizeof(what), "GetReading %s", req->room);
  log_call(call, what);
  if (!room_temp(call, req->room, &deci)) return;
  thermo_Reading r = thermo_Reading_init_zero;
  snprintf(r.room, sizeof(r.room), "%s", req->room);
  r.deci_celsius = deci;
  /* a binary trailer: base64 on the wire */
  rpc_b64_encode(calib, sizeof(calib), calib64, sizeof(calib64));
  rpc_scall_set_trailer(call, "x-calibration-bin", calib64);
  thermo_Thermostat_GetReading_reply(call, &r);
}

/* --- WatchReadings (server streaming): one reading per interval ---------- */

typedef struct watch {
  rpc_scall_t *call;
  rpc_timer_t timer;
  thermo_Reading next;
  uint32_t count;
  uint32_t interval_ms;
} watch_t;

static void watch_free(watch_t *w) {
  rpc_timer_stop(rpc_scall_loop(w->call), &w->timer);
  rpc_scall_set_user(w->call, NULL);
  free(w);
}

/* Sends the next reading, then arms the timer for the one after, or ends
 * the call. */
static void watch_step(rpc_timer_t *t) {
  watch_t *w = t->arg;
  rpc_scall_t *call = w->call;
  if (rpc_scall_expire(call)) return; /* the deadline came first: watch_end freed w */
  if (w->next.seq < w->count) {
    w->next.seq++;
    if (thermo_Thermostat_WatchReadings_send(call, &w->next) != RPC_OK) {
      rpc_scall_finish(call, RPC_CODE_INTERNAL, "cannot queue a reading");
      watch_free(w);
      return;
    }
    w->next.deci_celsius++;
  }
  if (w->next.seq < w->count) {
    rpc_timer_start(rpc_scall_loop(call), &w->timer, w->interval_ms);
    return;
  }
  rpc_scall_finish(call, RPC_CODE_OK, NULL);
  watch_free(w);
}

static void watch_readings(rpc_scall_t *call, const thermo_WatchRequest *req, void *ud) {
  (void)ud;
  int32_t deci;
  char what[48];
  snprintf(what, sizeof(what), "WatchReadings %s", req->room);
  log_call(call, what);
  if (!room_temp(call, req->room, &deci)) return;
  watch_t *w = calloc(1, sizeof(*w));
  if (!w) {
    rpc_scall_finish(call, RPC_CODE_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  w->call = call;
  w->timer.fn = watch_step;
  w->timer.arg = w;
  snprintf(w->next.room, sizeof(w->next.room), "%s", req->room);
  w->next.deci_celsius = deci;
  w->count = req->count;
  w->interval_ms = req->interval_ms;
  rpc_scall_set_user(call, w);
  watch_step(&w->timer); /* the first reading at once */
}

/* The call ended before the last reading: the client went away or the
 * deadline passed. */
static void watch_end(rpc_scall_t *call, rpc_end_t why, void *ud) {
  (void)ud;
  watch_t *w = rpc_scall_user(call);
  rpc_log("WatchReadings %s ended after %lu readings: %s", w ? w->next.room : "?",
          w ? (unsigned long)w->next.seq : 0ul,
          why == RPC_END_DEADLINE ? "deadline exceeded" : "cancelled by the client");
  if (w) watch_free(w);
}

/* --- UploadLog (client streaming): lines of any length ------------------- */

/* LogLine.text has no bound: nanopb hands it to a callback, which counts
 * and skips it. _init sets it before each request is decoded. */
static size_t text_len; /* the text of the request being decoded */

static bool skip_text(pb_istream_t *s, const pb_field_t *f, void **arg) {
  (void)f;
  size_t *len = *arg;
  uint8_t buf[64];
  *len = s->bytes_left;
  while (s->bytes_left) {
    size_t k = s->bytes_left < sizeof(buf) ? s->bytes_left : sizeof(buf);
    if (!pb_read(s, buf, k)) return false;
  }
  return true;
}

static void upload_init(thermo_LogLine *req, void *ud) {
  (void)ud;
  text_len = 0;
  req->text.funcs.decode = skip_text;
  req->text.arg = &text_len;
}

static void upload_begin(rpc_scall_t *call, void *ud) {
  (void)ud;
  log_call(call, "UploadLog");
  thermo_LogSummary *sum = calloc(1, sizeof(*sum));
  if (!sum) {
    rpc_scall_finish(call, RPC_CODE_RESOURCE_EXHAUSTED, "out of memory");
    return;
  }
  rpc_scall_set_user(call, sum);
}

/* Each line as it arrives; req NULL: the client half-closed. */
static void upload_msg(rpc_scall_t *call, const thermo_LogLine *req, void *ud) {
  (void)ud;
  thermo_LogSummary *sum = rpc_scall_user(call);
  if (req) {
    sum->lines++;
    sum->bytes += (uint32_t)text_len;
    return;
  }
  rpc_log("UploadLog: %lu lines, %lu bytes", (unsigned long)sum->lines, (unsigned long)sum->bytes);
  thermo_Thermostat_UploadLog_reply(call, sum);
  rpc_scall_set_user(call, NULL);
  free(sum);
}

static void upload_end(rpc_scall_t *call, rpc_end_t why, void *ud) {
  (void)why, (void)ud;
  free(rpc_scall_user(call));
}

/* --- the daemon ----------------------------------------------------------- */

int main(int argc, char **argv) {
  /* The service's handlers; a method left NULL would answer Unimplemented. */
  static const thermo_Thermostat_handlers_t handlers = {
      .GetReading = get_reading,
      .WatchReadings = watch_readings,
      .WatchReadings_end = watch_end,
      .UploadLog = upload_begin,
      .UploadLog_msg = upload_msg,
      .UploadLog_init = upload_init,
      .UploadLog_end = upload_end,
  };
  static rpc_method_t methods[thermo_Thermostat_METHODS];
  const char *listen = "127.0.0.1:7000";
  if (argc == 3 && strcmp(argv[1], "--listen") == 0) {
    listen = argv[2];
  } else if (argc != 1) {
    fprintf(stderr, "usage: thermostat-server [--listen HOST:PORT]\n");
    return 2;
  }
  if (dm_process_init() != 0) return 1; /* SIGINT/SIGTERM drain the server */
  rpc_loop_t *loop = rpc_loop_new();
  if (!loop) return 1;
  size_t n = thermo_Thermostat_methods(methods, &handlers);
  rpc_server_t *srv = rpc_server_new(loop, listen, methods, n, NULL);
  if (!srv) {
    rpc_loop_free(loop);
    return 1;
  }
  rpc_log("thermostat-server: serving thermo.Thermostat on %s", listen);
  int sig = rpc_loop_run(loop);
  rpc_log("stopping (signal %d)", sig);
  rpc_server_drain(srv, DRAIN_MS);
  rpc_server_free(srv);
  rpc_loop_free(loop);
  return 0;
}
