/* st_service.h - StorageService.GetProdsDetail on the rpc server. */
#ifndef ST_SERVICE_H
#define ST_SERVICE_H

#include <stdint.h>

#include "rpc_server.h"
#include "st_db.h"

/* A growable output for nanopb: the response can hold any number of rows. */
typedef struct st_buf {
  uint8_t *p;
  size_t len, cap;
} st_buf_t;

typedef struct st_service {
  st_buf_t *buf; /* the encoding buffer, reused by every call */
  st_db_t *db;
  uint32_t delay_ms; /* the article's "heavy processing", as a timer */
} st_service_t;

/* Fills out[] (room for 1) with StorageService's method for svc (kept by
 * reference), every field it does not use zero, and sets *n to the count. */
void st_service_methods(st_service_t *svc, rpc_method_t *out, size_t *n);

#endif /* ST_SERVICE_H */
