/*
 * device.c - telemetry-device: an IoT device on the firmware client's SDK,
 * the same program on every board. One channel, two calls on it at once:
 * the command stream (Commands, server streaming) in one call slot and the
 * upload of the readings (Upload, client streaming) in another. The device
 * takes a reading, sends it, and lets its sampling interval pass on the
 * channel (fc_channel_idle), which is when the server's commands come in:
 * each is printed as it arrives, while the upload goes on. After the last
 * reading the device prints the server's summary, waits for the commands
 * the summary counts, and cancels the command stream.
 *
 *   telemetry-device [--addr HOST:PORT] [--device ID] [--readings N]
 *                    [--interval-ms MS] [--timeout SECONDS]
 *
 * Linux boards and the host dial --addr (default 127.0.0.1:7070); on the
 * Cortex-M boards the arguments come through semihosting and UART0 is the
 * wire (--addr only names the server). Output, on stdout:
 *
 *   command 1 at reading 117 (issued at 100): set-interval 500
 *   ...
 *   uploaded 1000 readings, server stored 1000
 *   commands: received 10 of 10, stream cancelled
 *
 * "at reading" is the reading the device was sending, or had sent last,
 * when the command arrived (a send takes in what has arrived for the other
 * calls), "issued at" the readings the server had received when it sent it.
 * Errors go to stderr ("upload: rpc error: code = ... desc = ..."), with the
 * arena's (and on bare metal the stack's) high-water mark. Exits 0 when the
 * upload was stored whole (count and sum of values as the server reports
 * them) and every command the server issued arrived; 1 otherwise; 2 on a
 * usage error.
 */
#include "rpc_opt.h" /* first: the build's tunables */

#include <stdint.h>
#include <string.h>

#include "fc_arena.h"
#include "fc_call.h"
#include "fc_console.h"
#include "port.h"
#include "telemetry/telemetry.fc.h"

#define TD_DEFAULT_ADDR "127.0.0.1:7070"
#define TD_DEFAULT_DEVICE "device-1"
#define TD_DEFAULT_READINGS 1000u
#define TD_DEFAULT_INTERVAL_MS 1u
#define TD_DEFAULT_TIMEOUT_S 60u
#define TD_DEVICE_MAX (sizeof(((telemetry_CommandsRequest *)0)->device) - 1)

static fc_channel_t ch;
/* Two calls at once on the channel, each in its own slot, sized by the
 * generated bounds of its messages (telemetry.options): a few dozen bytes. */
FC_CALL_DEFINE(cmd_slot, telemetry_Telemetry_Commands_RX_MAX, telemetry_Telemetry_Commands_TX_MAX);
FC_CALL_DEFINE(up_slot, telemetry_Telemetry_Upload_RX_MAX, telemetry_Telemetry_Upload_TX_MAX);

static telemetry_Command cmd; /* each command is decoded here */
static telemetry_UploadSummary summary;
static uint32_t sent;     /* readings the upload has taken so far */
static uint32_t sending;  /* the reading being sent, or the last one sent */
static uint32_t commands; /* commands received */

static const char *kind_name(telemetry_Command_Kind k) {
  switch (k) {
  case telemetry_Command_Kind_SET_INTERVAL:
    return "set-interval";
  case telemetry_Command_Kind_SET_THRESHOLD:
    return "set-threshold";
  case telemetry_Command_Kind_CALIBRATE:
    return "calibrate";
  default:
    return "unknown";
  }
}

/* A command arrived: while the upload waits out its interval, or sends. */
static int on_command(fc_call_t *call, void *msg, void *arg) {
  const telemetry_Command *c = msg;
  (void)call, (void)arg;
  commands++;
  fc_say(1, "command %lu at reading %lu (issued at %lu): %s %ld\n", (unsigned long)c->id,
         (unsigned long)sending, (unsigned long)c->at_reading, kind_name(c->kind), (long)c->arg);
  return 0;
}

/* The n-th reading, the same on every board: four sensors in turn, each
 * value its base and a deterministic wobble of +-1 unit. */
static void take_reading(uint32_t n, telemetry_Reading *r) {
  static const int32_t base[4] = {21000, 45000, 3300, 101325}; /* m degC, %RH, mV, Pa */
  memset(r, 0, sizeof(*r));
  r->seq = n;
  r->sensor = n % 4u;
  r->value = base[r->sensor] + (int32_t)((n * 7919u) % 2001u) - 1000;
  r->uptime_ms = port_time_ms();
}

static void rpc_error(const char *what, const fc_status_t *st) {
  fc_say(2, "%s: rpc error: code = %s desc = %s\n", what, rpc_code_name(st->code), st->message);
}

/* A decimal number in 1..max (0 too when zero_ok). Returns 0 or -1. */
static int parse_u32(const char *s, uint32_t max, int zero_ok, uint32_t *out) {
  uint32_t v = 0;
  if (!*s) return -1;
  for (; *s; s++) {
    if (*s < '0' || *s > '9') return -1;
    uint32_t d = (uint32_t)(*s - '0');
    if (v > (max - d) / 10u) return -1;
    v = v * 10u + d;
  }
  if (v == 0 && !zero_ok) return -1;
  *out = v;
  return 0;
}

/* A device id the server takes: [A-Za-z0-9._-], 1 to 32 characters. */
static int device_ok(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > TD_DEVICE_MAX) return 0;
  for (; *s; s++) {
    char c = *s;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '_' || c == '-'))
      return 0;
  }
  return 1;
}

static int usage_to(int stream) {
  fc_say(stream, "usage: telemetry-device [--addr HOST:PORT] [--device ID] [--readings N]\n"
                 "                        [--interval-ms MS] [--timeout SECONDS]\n");
  return 2;
}

static int usage(void) {
  return usage_to(2);
}

static void marks(void) {
  size_t stack_size, stack = port_stack_high_water(&stack_size);
  fc_say(2, "# arena high water %lu of %lu bytes\n", (unsigned long)fc_arena_high_water(),
         (unsigned long)fc_arena_size());
  if (stack)
    fc_say(2, "# stack high water %lu of %lu bytes\n", (unsigned long)stack,
           (unsigned long)stack_size);
}

/* The session: both calls, the readings, the summary, the end of the
 * command stream. Returns the exit status. */
static int run(const char *device, uint32_t n, uint32_t interval_ms) {
  static telemetry_CommandsRequest creq;
  static telemetry_Reading r;
  fc_status_t st;
  int64_t sum = 0;
  size_t len = strlen(device);
  memcpy(creq.device, device, len + 1); /* device_ok bounded it */
  fc_md_t md[1] = {{"x-device-id", device}};

  /* the command stream first, so that the server knows where to send the
   * commands that the upload's first readings cause */
  if (telemetry_Telemetry_Commands_start(&cmd_slot, &ch, &creq, &cmd, on_command, NULL, NULL,
                                         &st)) {
    rpc_error("commands", &st);
    return 1;
  }
  fc_call_opts_t uo = {0};
  uo.md = md;
  uo.md_count = 1;
  if (telemetry_Telemetry_Upload_start(&up_slot, &ch, &summary, &uo, &st)) {
    rpc_error("upload", &st);
    fc_call_cancel(&cmd_slot);
    (void)fc_call_finish(&cmd_slot, &st);
    return 1;
  }
  for (uint32_t i = 1; i <= n; i++) {
    take_reading(i, &r);
    sending = i;
    if (telemetry_Telemetry_Upload_send(&up_slot, &r, i == n) != 0) break; /* finish says why */
    sent = i;
    sum += r.value;
    /* the sampling interval: the channel is pumped, commands come in */
    if (i < n && interval_ms) fc_channel_idle(&ch, interval_ms);
  }
  int ok = 1, summed = 0; /* summed: the server's summary came */
  if (telemetry_Telemetry_Upload_finish(&up_slot, &st) != RPC_CODE_OK) {
    rpc_error("upload", &st);
    ok = 0;
  } else {
    summed = 1;
    fc_say(1, "uploaded %lu readings, server stored %lu\n", (unsigned long)sent,
           (unsigned long)summary.stored);
    if (sent != n || summary.received != n || summary.stored != n) {
      fc_say(2, "upload: %lu of %lu readings sent, %lu received, %lu stored\n", (unsigned long)sent,
             (unsigned long)n, (unsigned long)summary.received, (unsigned long)summary.stored);
      ok = 0;
    } else if (summary.value_sum != sum) {
      fc_say(2, "upload: the server's sum of values %lld is not the device's %lld\n",
             (long long)summary.value_sum, (long long)sum);
      ok = 0;
    }
  }

  /* the commands the server issued may still be on their way: wait for
   * them (within the stream's deadline), then stop listening */
  uint32_t want = summed ? summary.commands : 0;
  if (summed) (void)fc_call_wait(&cmd_slot, want);
  int cancelled = !fc_call_done(&cmd_slot);
  if (cancelled) fc_call_cancel(&cmd_slot);
  int code = fc_call_finish(&cmd_slot, &st);
  if (cancelled ? code != RPC_CODE_CANCELLED : code != RPC_CODE_OK) {
    rpc_error("commands", &st);
    ok = 0;
  } else if (summed && commands != want) {
    fc_say(2, "commands: received %lu of %lu\n", (unsigned long)commands, (unsigned long)want);
    ok = 0;
  }
  if (ok)
    fc_say(1, "commands: received %lu of %lu, stream %s\n", (unsigned long)commands,
           (unsigned long)want, cancelled ? "cancelled" : "ended by the server");
  return ok ? 0 : 1;
}

int main(int argc, char **argv) {
  static fc_cfg_t cfg;
  const char *device = TD_DEFAULT_DEVICE;
  uint32_t n = TD_DEFAULT_READINGS, interval_ms = TD_DEFAULT_INTERVAL_MS;
  uint32_t timeout_s = TD_DEFAULT_TIMEOUT_S;
  cfg.addr = TD_DEFAULT_ADDR;
  if (argc == 2 && strcmp(argv[1], "--help") == 0) {
    usage_to(1);
    return 0;
  }
  if (argc == 2 && strcmp(argv[1], "--version") == 0) {
    fc_say(1, "telemetry-device 0.3 (grpc-c-embedded)\n");
    return 0;
  }
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!v) return usage();
    if (strcmp(a, "--addr") == 0) {
      cfg.addr = v;
    } else if (strcmp(a, "--device") == 0) {
      if (!device_ok(v)) return usage();
      device = v;
    } else if (strcmp(a, "--readings") == 0) {
      if (parse_u32(v, 10000000u, 0, &n)) return usage();
    } else if (strcmp(a, "--interval-ms") == 0) {
      if (parse_u32(v, 60000u, 1, &interval_ms)) return usage();
    } else if (strcmp(a, "--timeout") == 0) {
      if (parse_u32(v, 86400u, 0, &timeout_s)) return usage();
    } else {
      return usage();
    }
    i++;
  }
  /* each call's deadline: the command stream's too, so that no wait for a
   * command outlasts it */
  cfg.timeout_ms = timeout_s * 1000u;
  fc_channel_init(&ch, &cfg);
  FC_CALL_SETUP(cmd_slot);
  FC_CALL_SETUP(up_slot);
  int rc = run(device, n, interval_ms);
  fc_channel_free(&ch);
  marks();
  return rc;
}
