/*
 * startup.c - reset to main and back: the vector table, the C runtime set-up,
 * the command line from semihosting, and the exit status to the host.
 *
 * The image is the same CLI as on Linux: main(argc, argv) gets the words of
 * QEMU's "-semihosting-config ...,arg=firmware-client,arg=getprods,..." and
 * its return value becomes QEMU's exit status.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "port.h"
#include "port_cm.h"

#ifndef PORT_CMDLINE_MAX
#define PORT_CMDLINE_MAX 256 /* bytes of command line kept */
#endif
#ifndef PORT_ARGV_MAX
#define PORT_ARGV_MAX 16 /* words of it, argv[0] included */
#endif

int main(int argc, char **argv);
void port_reset(void) __attribute__((noreturn));
void port_fault(void) __attribute__((noreturn));

/* Laid out by port/cortex-m/sections.ld. */
extern uint32_t _sidata[], _sdata[], _edata[], _sbss[], _ebss[];

/* The main stack has its own section, after .bss, so that it counts in the RAM
 * footprint and is not zeroed under the running reset handler. */
static uint64_t port_stack[PORT_STACK_SIZE / 8] __attribute__((section(".stack"), used));

/* The system exceptions, and the vendor interrupts up to the Ethernet
 * controller's when the board has lwIP (NET=lwip); the UART is polled and
 * needs none. An interrupt nobody enables never comes: it would fault. */
#ifdef PORT_NET_LWIP
#define PORT_VECTORS (16 + PORT_ETH_IRQ + 1)
#else
#define PORT_VECTORS 16
#endif
__attribute__((section(".isr_vector"), used)) static void (*const vectors[PORT_VECTORS])(void) = {
    (void (*)(void))(port_stack + PORT_STACK_SIZE / 8), /* initial SP */
    port_reset,
    port_fault, /* NMI */
    port_fault, /* HardFault */
    port_fault, /* MemManage */
    port_fault, /* BusFault */
    port_fault, /* UsageFault */
    0,
    0,
    0,
    0,
    port_fault, /* SVCall */
    port_fault, /* DebugMonitor */
    0,
    port_fault, /* PendSV */
    port_systick_handler,
#ifdef PORT_NET_LWIP
    [16 ... 16 + PORT_ETH_IRQ - 1] = port_fault,
    [16 + PORT_ETH_IRQ] = port_eth_isr,
#endif
};

static char cmdline[PORT_CMDLINE_MAX];
static char *argv_buf[PORT_ARGV_MAX + 1];

/* Splits the semihosting command line into words (QEMU joins its arg= values
 * with single spaces; quoting is not supported). Returns argc. */
static int read_args(void) {
  struct {
    char *buf;
    uint32_t len;
  } blk = {cmdline, sizeof cmdline};
  int argc = 0;
  char *p = cmdline;

  if (port_sh_call(PORT_SH_GET_CMDLINE, &blk) != 0) blk.len = 0;
  cmdline[blk.len < sizeof cmdline ? blk.len : sizeof cmdline - 1] = '\0';
  while (*p && argc < PORT_ARGV_MAX) {
    while (*p == ' ')
      *p++ = '\0';
    if (!*p) break;
    argv_buf[argc++] = p;
    while (*p && *p != ' ')
      p++;
  }
  if (argc == 0) argv_buf[argc++] = "firmware-client";
  argv_buf[argc] = NULL;
  return argc;
}

#define PORT_STACK_PAINT 0x5a5a5a5au

/* The stack below the reset handler's frame is painted, so that the deepest
 * use can be read back (port_stack_high_water): an overflow would run into
 * .bss, where the arena is, with no MPU to stop it. */
static void paint_stack(void) {
  uint32_t *p = (uint32_t *)port_stack;
  uint32_t *sp = (uint32_t *)__builtin_frame_address(0) - 32; /* leave our frame be */

  while (p < sp)
    *p++ = PORT_STACK_PAINT;
}

size_t port_stack_high_water(size_t *size) {
  const uint32_t *p = (const uint32_t *)port_stack;
  const uint32_t *end = (const uint32_t *)(port_stack + PORT_STACK_SIZE / 8);

  while (p < end && *p == PORT_STACK_PAINT)
    p++;
  if (size) *size = PORT_STACK_SIZE;
  return (size_t)(end - p) * sizeof(*p);
}

void port_reset(void) {
  uint32_t *src = _sidata, *dst = _sdata;
  int argc;

  paint_stack();
  while (dst < _edata)
    *dst++ = *src++;
  for (dst = _sbss; dst < _ebss; dst++)
    *dst = 0;
  port_time_init();
  argc = read_args();
  port_sh_exit(main(argc, argv_buf));
}

/* A fault has no one to return to: say so and end the run with a status that
 * no CLI path uses, rather than hang the test that runs us. */
void port_fault(void) {
  static const char msg[] = "firmware-client: fault\n";

  port_console_write(2, msg, sizeof msg - 1);
  port_sh_exit(70);
}

/* newlib's exit() ends here. */
void _exit(int status) {
  port_sh_exit(status);
}

/* newlib's abort() raises SIGABRT, which needs a kill() the board lacks. */
void abort(void) {
  static const char msg[] = "firmware-client: abort\n";

  port_console_write(2, msg, sizeof msg - 1);
  port_sh_exit(70);
}

/* assert() without newlib's version, which prints with fprintf (and so would
 * link stdio and malloc). */
void __assert_func(const char *file, int line, const char *func, const char *expr) {
  static const char head[] = "assertion failed: ";
  char num[12];
  size_t i = sizeof num;

  port_console_write(2, head, sizeof head - 1);
  port_console_write(2, expr, strlen(expr));
  port_console_write(2, " at ", 4);
  port_console_write(2, file, strlen(file));
  do {
    num[--i] = (char)('0' + line % 10);
    line /= 10;
  } while (line > 0 && i > 1);
  num[--i] = ':';
  port_console_write(2, num + i, sizeof num - i);
  port_console_write(2, "\n", 1);
  (void)func;
  port_sh_exit(70);
}
