/* test_method_tables.c - the daemons' method tables come out whole: every
 * field a method does not use is zero, even when the caller's array starts as
 * garbage (storage's table lived on the stack, uninitialised, and its on_msg,
 * which the server branches on, held whatever was there). */
#include <string.h>

#include "gw_prod_service.h"
#include "rpc_health.h"
#include "st_service.h"
#include "tap.h"

#define GARBAGE 0xA5

/* True when the pointer field at f (n bytes) was set: neither zero nor the
 * garbage pattern left as it was. */
static int set(const void *f, size_t n) {
  const unsigned char *b = f;
  int garbage = 1, zero = 1;
  for (size_t i = 0; i < n; i++) {
    garbage &= b[i] == GARBAGE;
    zero &= b[i] == 0;
  }
  return !garbage && !zero;
}
#define SET(field) set(&(field), sizeof(field))

/* A unary or server-streaming entry: path, handler and ud (the service's
 * generated handler table, build/gen/<x>.srv.h) as given, no request-stream
 * callback, on_end only where the service has one. */
static int whole(const rpc_method_t *m, const char *path, const void *ud, int has_end) {
  return SET(m->path) && strcmp(m->path, path) == 0 && SET(m->on_call) && m->ud == ud &&
         m->on_msg == NULL && (has_end ? SET(m->on_end) : m->on_end == NULL) &&
         m->kind <= RPC_KIND_BIDI_STREAM;
}

int main(void) {
  rpc_method_t m[4];
  size_t n;

  /* storage, as st_main.c calls it */
  st_service_t st = {0};
  memset(m, GARBAGE, sizeof(m));
  n = 0;
  st_service_methods(&st, m, &n);
  CHECK(n == 1);
  CHECK(whole(&m[0], "/api.StorageService/GetProdsDetail", &st.handlers, 1));
  CHECK(st.handlers.ud == &st);
  CHECK(m[0].on_msg == NULL); /* the defect: stack garbage here */

  /* the gateway */
  gw_service_t gw = {0};
  memset(m, GARBAGE, sizeof(m));
  n = 0;
  gw_service_methods(&gw, m, &n);
  CHECK(n == 2);
  CHECK(whole(&m[0], "/api.ProdService/GetVendorProdTypes", &gw.handlers, 0));
  CHECK(whole(&m[1], "/api.ProdService/GetVendorProds", &gw.handlers, 1));
  CHECK(gw.handlers.ud == &gw);

  /* health, which both daemons add after their own */
  rpc_health_t h = {0};
  memset(m, GARBAGE, sizeof(m));
  n = 0;
  rpc_health_methods(&h, m, &n);
  CHECK(n == 2);
  CHECK(whole(&m[0], "/grpc.health.v1.Health/Check", &h.handlers, 0));
  CHECK(whole(&m[1], "/grpc.health.v1.Health/Watch", &h.handlers, 1));
  CHECK(h.handlers.ud == &h);

  /* the constructors themselves: a whole struct over garbage */
  static const char path[] = "/t.S/M";
  int ud;
  memset(m, GARBAGE, sizeof(m));
  m[0] = rpc_method_unary(path, NULL, NULL, &ud);
  m[1] = rpc_method_server_stream(path, NULL, NULL, NULL);
  /* field by field: the struct's tail padding (after kind) is not a field */
  CHECK(m[0].path == path && m[0].on_call == NULL && m[0].on_end == NULL && m[0].ud == &ud &&
        m[0].on_msg == NULL && m[0].kind == RPC_KIND_UNARY);
  CHECK(m[1].path == path && m[1].on_call == NULL && m[1].on_end == NULL && m[1].ud == NULL &&
        m[1].on_msg == NULL && m[1].kind == RPC_KIND_SERVER_STREAM);
  return tap_done("test_method_tables");
}
