/* strerror.c - the port's error codes in a few words (port_strerror). */
#include "port.h"

#ifdef PORT_NET_LWIP
#define PORT_IO_ERRSTR "network error"
#else
#define PORT_IO_ERRSTR "serial line error"
#endif

const char *port_strerror(int err) {
#ifdef PORT_NO_ERRSTR /* a string-free build: the codes remain */
  (void)err;
  return "";
#else
  switch (err) {
  case PORT_OK:
    return "ok";
  case PORT_ERR_ARG:
    return "invalid argument";
  case PORT_ERR_RESOLVE:
    return "unknown host";
  case PORT_ERR_REFUSED:
    return "connection refused";
  case PORT_ERR_TIMEOUT:
    return "connection timed out";
  case PORT_ERR_IO:
    return PORT_IO_ERRSTR;
  case PORT_ERR_CLOSED:
    return "connection closed";
  default:
    return "unknown error";
  }
#endif
}
