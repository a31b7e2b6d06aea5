/*
 * client.c - thermostat-client, the SDK's sample board program
 * (docs/sdk.md): the same source on every board, built against
 * `make BOARD=x lib` alone. It calls the three methods of thermostat.proto
 * through the stubs tools/protoc-gen-fc makes from it (thermostat.fc.h), on
 * one channel and one call slot:
 *
 *   thermostat-client [--addr HOST:PORT] [--timeout-ms N] get ROOM
 *   thermostat-client [--addr HOST:PORT] [--timeout-ms N] watch ROOM COUNT [INTERVAL_MS]
 *   thermostat-client [--addr HOST:PORT] [--timeout-ms N] upload LINES
 *
 * On the Cortex-M boards the words come through semihosting and --addr
 * means nothing (QEMU's -serial tcp: is the wire). Exits 0; 1 after a gRPC
 * error, printed as "rpc error: code = <name> desc = <message>" on stderr;
 * 2 on a usage error.
 */
#include "rpc_opt.h" /* first: the library's tunables (build/<board>/include) */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <pb_encode.h>

#include "fc_call.h"
#include "fc_console.h"
#include "thermostat.fc.h"

#define MAX(a, b) ((a) > (b) ? (a) : (b))
/* One slot, one call at a time: rx holds the largest response decoded
 * whole, tx the largest bounded request (nanopb's sizes, through the
 * stubs' _RX_MAX and _TX_MAX). A LogLine has no bound (its text is a
 * callback) and no _TX_MAX: one larger than tx is encoded again for each
 * window nghttp2 asks for (fc_call_big), never held whole. */
#define RX_LEN MAX(thermo_Thermostat_GetReading_RX_MAX, thermo_Thermostat_UploadLog_RX_MAX)
#define TX_LEN MAX(thermo_Thermostat_GetReading_TX_MAX, thermo_Thermostat_WatchReadings_TX_MAX)
FC_CALL_DEFINE(slot, RX_LEN, TX_LEN);

static fc_channel_t ch;

/* Every call's metadata: the device's name, and its firmware's hash as a
 * "-bin" value (base64, which rpc_b64_encode writes). */
static const uint8_t fw_hash[4] = {0xde, 0xad, 0xbe, 0xef};
static char fw_hash64[8];
static const fc_md_t md[] = {{"x-device-id", "board-7"}, {"x-fw-hash-bin", fw_hash64}};

static int usage(void) {
  fc_say(2, "usage: thermostat-client [--addr HOST:PORT] [--timeout-ms N] get ROOM\n"
            "       thermostat-client [...] watch ROOM COUNT [INTERVAL_MS]\n"
            "       thermostat-client [...] upload LINES\n");
  return 2;
}

static int failed(const fc_status_t *st) {
  fc_say(2, "rpc error: code = %s desc = %s\n", rpc_code_name(st->code), st->message);
  return 1;
}

static void print_reading(const char *prefix, const thermo_Reading *r) {
  int32_t d = r->deci_celsius;
  uint32_t a = d < 0 ? 0u - (uint32_t)d : (uint32_t)d;
  fc_say(1, "%s%s: %s%lu.%lu C\n", prefix, r->room, d < 0 ? "-" : "", (unsigned long)(a / 10u),
         (unsigned long)(a % 10u));
}

/* --- get: unary, with a "-bin" trailer read back ------------------------- */

static uint8_t calib[8];
static long calib_len = -1;

/* Response headers and trailers, as they come: x-calibration-bin is base64. */
static void on_md(fc_call_t *call, const char *name, const char *value, size_t len, int trailer,
                  void *arg) {
  (void)call, (void)arg;
  if (trailer && strcmp(name, "x-calibration-bin") == 0)
    calib_len = rpc_b64_decode(value, len, calib, sizeof(calib));
}

static int get(const char *room, const fc_call_opts_t *base) {
  static thermo_ReadingRequest req;
  static thermo_Reading resp;
  fc_call_opts_t o = *base;
  fc_status_t st;
  o.on_md = on_md;
  snprintf(req.room, sizeof(req.room), "%s", room);
  if (thermo_Thermostat_GetReading(&slot, &ch, &req, &resp, &o, &st) != RPC_CODE_OK)
    return failed(&st);
  print_reading("", &resp);
  if (calib_len > 0) {
    char hex[2 * sizeof(calib) + 1];
    for (long i = 0; i < calib_len; i++) {
      static const char digits[] = "0123456789abcdef";
      hex[2 * i] = digits[calib[i] >> 4];
      hex[2 * i + 1] = digits[calib[i] & 15u];
    }
    hex[2 * calib_len] = '\0';
    fc_say(1, "calibration: %s\n", hex);
  }
  return 0;
}

/* --- watch: server streaming, each reading as it arrives ----------------- */

static uint32_t readings;

static int on_reading(fc_call_t *call, void *msg, void *arg) {
  (void)call, (void)arg;
  const thermo_Reading *r = msg;
  readings++;
  char prefix[16];
  snprintf(prefix, sizeof(prefix), "#%lu ", (unsigned long)r->seq);
  print_reading(prefix, r);
  return 0; /* non-zero would cancel the call */
}

static int watch(const char *room, uint32_t count, uint32_t interval_ms, const fc_call_opts_t *o) {
  static thermo_WatchRequest req;
  static thermo_Reading resp; /* each reading is decoded here, then on_reading runs */
  fc_status_t st;
  snprintf(req.room, sizeof(req.room), "%s", room);
  req.count = count;
  req.interval_ms = interval_ms;
  if (thermo_Thermostat_WatchReadings(&slot, &ch, &req, &resp, on_reading, NULL, o, &st) !=
      RPC_CODE_OK)
    return failed(&st);
  fc_say(1, "%lu readings\n", (unsigned long)readings);
  return 0;
}

/* --- upload: client streaming, requests larger than the slot ------------- */

#define LOG_TEXT_LEN 200u /* bytes of each line's text: more than tx holds */

/* Encodes LogLine.text: "entry N " padded with dots to LOG_TEXT_LEN. nanopb
 * calls it to size the message and again for each window: it must write
 * the same bytes every time. */
static bool put_text(pb_ostream_t *s, const pb_field_t *f, void *const *arg) {
  const thermo_LogLine *line = *arg;
  char head[24];
  static const char dots[32] = "................................";
  int n = snprintf(head, sizeof(head), "entry %lu ", (unsigned long)line->seq);
  size_t left = LOG_TEXT_LEN - (size_t)n;
  if (!pb_encode_tag_for_field(s, f) || !pb_encode_varint(s, LOG_TEXT_LEN) ||
      !pb_write(s, (const pb_byte_t *)head, (size_t)n))
    return false;
  while (left) {
    size_t k = left < sizeof(dots) ? left : sizeof(dots);
    if (!pb_write(s, (const pb_byte_t *)dots, k)) return false;
    left -= k;
  }
  return true;
}

static int upload(uint32_t lines, const fc_call_opts_t *o) {
  static thermo_LogLine line;
  static thermo_LogSummary sum;
  fc_status_t st;
  if (thermo_Thermostat_UploadLog_start(&slot, &ch, &sum, o, &st) != 0) return failed(&st);
  for (uint32_t i = 1; i <= lines; i++) {
    line.seq = i;
    line.text.funcs.encode = put_text;
    line.text.arg = &line;
    /* returns once nghttp2 took the bytes: line may change afterwards */
    if (thermo_Thermostat_UploadLog_send(&slot, &line, i == lines) != 0) break;
  }
  if (lines == 0) fc_call_close_send(&slot);
  if (thermo_Thermostat_UploadLog_finish(&slot, &st) != RPC_CODE_OK) return failed(&st);
  fc_say(1, "uploaded %lu lines, %lu bytes\n", (unsigned long)sum.lines, (unsigned long)sum.bytes);
  return 0;
}

/* A decimal number below 10^9, or -1. */
static long number(const char *s) {
  long v = 0;
  if (!*s) return -1;
  for (; *s; s++) {
    if (*s < '0' || *s > '9' || v > 99999999) return -1;
    v = v * 10 + (*s - '0');
  }
  return v;
}

int main(int argc, char **argv) {
  const char *addr = "127.0.0.1:7000";
  long timeout_ms = 0;
  int i = 1;
  while (i + 1 < argc && argv[i][0] == '-') {
    if (strcmp(argv[i], "--addr") == 0)
      addr = argv[i + 1];
    else if (strcmp(argv[i], "--timeout-ms") == 0)
      timeout_ms = number(argv[i + 1]);
    else
      return usage();
    i += 2;
  }
  if (i >= argc || timeout_ms < 0) return usage();
  const char *cmd = argv[i], *a1 = i + 1 < argc ? argv[i + 1] : NULL;
  long a2 = i + 2 < argc ? number(argv[i + 2]) : -1, a3 = i + 3 < argc ? number(argv[i + 3]) : 100;

  /* The channel: dialled at the first call, kept for the next ones; each
   * call's deadline is 5 s unless the call says otherwise. */
  static fc_cfg_t cfg;
  cfg.addr = addr;
  cfg.timeout_ms = 5000;
  fc_channel_init(&ch, &cfg);
  FC_CALL_SETUP(slot);
  if (rpc_b64_encode(fw_hash, sizeof(fw_hash), fw_hash64, sizeof(fw_hash64)) < 0) return 1;
  fc_call_opts_t o = {0};
  o.timeout_ms = (uint32_t)timeout_ms; /* 0: the channel's */
  o.md = md;
  o.md_count = sizeof(md) / sizeof(md[0]);

  int rc;
  if (strcmp(cmd, "get") == 0 && a1 && argc == i + 2)
    rc = get(a1, &o);
  else if (strcmp(cmd, "watch") == 0 && a1 && a2 >= 0 && a3 >= 0 && argc <= i + 4)
    rc = watch(a1, (uint32_t)a2, (uint32_t)a3, &o);
  else if (strcmp(cmd, "upload") == 0 && a1 && number(a1) >= 0 && argc == i + 2)
    rc = upload((uint32_t)number(a1), &o);
  else
    rc = usage();
  fc_channel_free(&ch);
  return rc;
}
