/* fc_tls_none.c - the board was built without mbedtls (FC_TLS := no). */
#include <stdio.h>

#include "fc_tls.h"

int fc_tls_open(port_transport_t *t, const fc_tls_opts_t *o, uint32_t timeout_ms, char *err,
                size_t errlen) {
  (void)t, (void)o, (void)timeout_ms;
  snprintf(err, errlen, "TLS is not built for this board");
  return -1;
}

void fc_tls_close(port_transport_t *t) {
  (void)t;
}

int fc_tls_resumed(void) {
  return 0;
}

int fc_tls_prepare(const fc_tls_opts_t *o, char *err, size_t errlen) {
  (void)o;
  snprintf(err, errlen, "TLS is not built for this board");
  return -1;
}

void fc_tls_unload(void) {}
