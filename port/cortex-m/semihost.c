/*
 * semihost.c - the host's console, files and exit, through ARM semihosting.
 */
#include <string.h>

#include "port.h"
#include "port_cm.h"

int32_t port_sh_call(uint32_t op, void *arg) {
  register uint32_t r0 __asm__("r0") = op;
  register void *r1 __asm__("r1") = arg;

  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return (int32_t)r0;
}

void port_sh_exit(int status) {
  /* ADP_Stopped_ApplicationExit with a status: QEMU exits with it. */
  uint32_t blk[2] = {0x20026u, (uint32_t)status};

  for (;;)
    port_sh_call(PORT_SH_EXIT_EXTENDED, blk);
}

/* ":tt" is the host's console: opened for writing ("w", mode 4) it is standard
 * output, for appending ("a", mode 8) standard error. Opened on first use. */
static int32_t console_handle(int stream) {
  static int32_t handles[2] = {-1, -1};
  int32_t *h = &handles[stream == 2];

  if (*h < 0) {
    uint32_t blk[3] = {(uint32_t)(uintptr_t) ":tt", stream == 2 ? 8u : 4u, 3u};
    *h = port_sh_call(PORT_SH_OPEN, blk);
  }
  return *h;
}

void port_console_write(int stream, const char *s, size_t n) {
  int32_t h = console_handle(stream);
  uint32_t blk[3];

  if (h < 0 || n == 0) return;
  blk[0] = (uint32_t)h;
  blk[1] = (uint32_t)(uintptr_t)s;
  blk[2] = (uint32_t)n;
  port_sh_call(PORT_SH_WRITE, blk);
}

/* The host's file, opened "rb" (mode 1); relative paths are relative to the
 * host's working directory (QEMU's). SYS_READ returns how many bytes it did
 * NOT read. */
long port_file_read(const char *path, uint8_t *buf, size_t cap) {
  uint32_t blk[3];
  int32_t h, len, left;

  if (!path || (!buf && cap)) return PORT_ERR_ARG;
  blk[0] = (uint32_t)(uintptr_t)path;
  blk[1] = 1u;
  blk[2] = (uint32_t)strlen(path);
  h = port_sh_call(PORT_SH_OPEN, blk);
  if (h < 0) return PORT_ERR_IO;
  blk[0] = (uint32_t)h;
  len = port_sh_call(PORT_SH_FLEN, blk);
  if (len < 0 || (uint32_t)len > cap) {
    port_sh_call(PORT_SH_CLOSE, blk);
    return len < 0 ? PORT_ERR_IO : PORT_ERR_ARG;
  }
  blk[1] = (uint32_t)(uintptr_t)buf;
  blk[2] = (uint32_t)len;
  left = len ? port_sh_call(PORT_SH_READ, blk) : 0;
  blk[0] = (uint32_t)h;
  port_sh_call(PORT_SH_CLOSE, blk);
  return left == 0 ? (long)len : PORT_ERR_IO;
}
