/* server_pb.c - nanopb on a server call: decode a request, encode and send
 * a response. See rpc_server_pb.h. */
#include <stdio.h>
#include <stdlib.h>

#include <pb_decode.h>
#include <pb_encode.h>

#include "rpc_log.h"
#include "rpc_server_pb.h"

#define RPC_PB_STACK 512 /* responses this small are encoded on the stack */

int rpc_scall_decode(rpc_scall_t *call, const uint8_t *req, size_t len, const pb_msgdesc_t *fields,
                     void *dst) {
  pb_istream_t in = pb_istream_from_buffer(req, len);
  if (pb_decode_noinit(&in, fields, dst)) return 0;
  char m[128];
  snprintf(m, sizeof(m), "grpc: error unmarshalling request: %s", PB_GET_ERROR(&in));
  rpc_scall_log(call, RPC_LOG_WARN, "%s", m);
  rpc_scall_finish(call, RPC_CODE_INVALID_ARGUMENT, m);
  return -1;
}

int rpc_scall_send_pb(rpc_scall_t *call, const pb_msgdesc_t *fields, const void *msg) {
  uint8_t small[RPC_PB_STACK];
  /* one pass for the common small message; a larger one is sized first */
  pb_ostream_t os = pb_ostream_from_buffer(small, sizeof(small));
  if (pb_encode(&os, fields, msg)) return rpc_scall_send(call, small, os.bytes_written);
  size_t n;
  if (!pb_get_encoded_size(&n, fields, msg)) return RPC_ERR_ARG;
  uint8_t *buf = malloc(n ? n : 1);
  if (!buf) return RPC_ERR_NOMEM;
  os = pb_ostream_from_buffer(buf, n);
  int r = pb_encode(&os, fields, msg) ? rpc_scall_send(call, buf, os.bytes_written) : RPC_ERR_ARG;
  free(buf);
  return r;
}

int rpc_scall_reply_pb(rpc_scall_t *call, const pb_msgdesc_t *fields, const void *msg) {
  int r = rpc_scall_send_pb(call, fields, msg);
  if (r == RPC_OK) return rpc_scall_finish(call, RPC_CODE_OK, NULL);
  rpc_scall_finish(call, RPC_CODE_INTERNAL, "cannot encode the response");
  return r;
}
