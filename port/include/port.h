/*
 * port.h - the firmware client's only way to the platform.
 *
 * A board links exactly one implementation (port/posix, port/cortex-m, ...).
 * Nothing in rpc/ client code or firmware-client/ calls the OS: it calls these.
 *
 * Transport contract (coreMQTT's): >0 bytes moved, 0 nothing moved yet (try
 * again), <0 an error (PORT_ERR_*).
 */
#ifndef PORT_H
#define PORT_H

#include <stddef.h>
#include <stdint.h>

/* Status codes of the port layer: 0 success, negative errors. */
enum {
  PORT_OK = 0,
  PORT_ERR_ARG = -1,     /* bad argument (address syntax, NULL) */
  PORT_ERR_RESOLVE = -2, /* host name not found */
  PORT_ERR_REFUSED = -3, /* nobody listens there */
  PORT_ERR_TIMEOUT = -4, /* connect did not complete in time */
  PORT_ERR_IO = -5,      /* the stream failed */
  PORT_ERR_CLOSED = -6,  /* the peer closed the stream */
};

/* A port's network context; defined by each port, opaque to its users. */
typedef struct port_net port_net_t;

/* A byte-stream transport: a context and two functions over it. */
typedef struct port_transport {
  port_net_t *net;
  /* Sends up to len bytes; returns bytes sent, 0 if none could be, <0 error. */
  int32_t (*send)(port_net_t *net, const uint8_t *buf, size_t len);
  /* Waits at most timeout_ms for bytes; returns bytes read, 0 on timeout,
   * <0 on error or when the peer closed (PORT_ERR_CLOSED). */
  int32_t (*recv)(port_net_t *net, uint8_t *buf, size_t len, uint32_t timeout_ms);
  /* A layer over the stream (TLS) that knows more than the error code says
   * (the alert a TLS 1.3 server sent after the handshake) explains it here;
   * NULL, or a NULL answer, means port_strerror(err). */
  const char *(*why)(port_net_t *net, int32_t err);
} port_transport_t;

/* Opens the byte stream to host and port (as rpc_addr_split parses them;
 * serial ports ignore both) and fills *t. The port owns the context (one
 * stream at a time). Returns PORT_OK or a PORT_ERR_* code. */
int port_net_open(port_transport_t *t, const char *host, uint16_t port, uint32_t timeout_ms);

/* Sets the board's own address, before the first port_net_open: ip as
 * "A.B.C.D/N" (NULL: DHCP's lease), the gateway and the DNS server (NULL:
 * none, or DHCP's). Returns PORT_OK, or PORT_ERR_ARG for a bad address or on
 * a platform whose addresses are not the program's to set (Linux, whose OS
 * has them; a serial line, which has none). */
int port_net_config(const char *ip, const char *gw, const char *dns);

/* Closes the stream opened by port_net_open. */
void port_net_close(port_transport_t *t);

/* Monotonic milliseconds since an arbitrary origin; wraps, so compare by
 * difference: (int32_t)(a - b). */
uint32_t port_time_ms(void);

/* Waits ms milliseconds (a board's channel between calls, or in its
 * connection backoff, with no connection to keep). */
void port_sleep_ms(uint32_t ms);

/* The date: seconds since 1970-01-01 00:00 UTC, what certificates' validity
 * dates are checked against. Returns 0 (1970) where the platform knows no
 * date (a bare-metal board with neither an RTC nor a debug host). */
int64_t port_utc_seconds(void);

/* Fills buf with len random bytes. Returns PORT_OK or PORT_ERR_IO. */
int port_entropy(uint8_t *buf, size_t len);

/* Reads the whole file at path into buf (cap bytes). Returns its length, or
 * PORT_ERR_ARG if it does not fit, PORT_ERR_IO if it cannot be read.
 * Bare-metal boards read the host's files through semihosting. */
long port_file_read(const char *path, uint8_t *buf, size_t cap);

/* Writes n bytes to the console: stream 1 is standard output, 2 is errors. */
void port_console_write(int stream, const char *s, size_t n);

/* The main stack's deepest use so far in bytes, and its size in *size; 0
 * where the port cannot tell (Linux, where the OS grows it). */
size_t port_stack_high_water(size_t *size);

/* A memory region's high-water mark: used at most, of size (the unit is the
 * region's: bytes, or buffers for a pool). */
typedef struct port_mark {
  const char *name;
  uint32_t used, size;
} port_mark_t;

/* The network stack's memory high-water marks (lwIP's heap and pools), for
 * --arena-stats: fills up to n marks and returns how many; only the ports
 * with a network stack of their own (PORT_NET_LWIP) have it. */
int port_net_marks(port_mark_t *marks, int n);

/* Describes a PORT_ERR_* code in a few words ("connection refused"). */
const char *port_strerror(int err);

#endif /* PORT_H */
