/*
 * rpc_server_pb.h - nanopb messages on a server call: what the host
 * skeletons that tools/protoc-gen-fc generates (build/gen/<x>.srv.c) call,
 * and what a handler may call itself.
 */
#ifndef RPC_SERVER_PB_H
#define RPC_SERVER_PB_H

#include <pb.h>

#include "rpc_server_core.h"

/* Decodes a request message into dst (prepared by the caller: zeroed, its
 * callbacks set). Returns 0; or -1 when it does not decode: the call has
 * then been finished with InvalidArgument "grpc: error unmarshalling
 * request: <nanopb's reason>", as grpc-go words it, and the line logged. */
int rpc_scall_decode(rpc_scall_t *call, const uint8_t *req, size_t len, const pb_msgdesc_t *fields,
                     void *dst);

/* Encodes msg and queues it on the call (a small message on the stack, a
 * larger one through the heap). Returns RPC_OK, RPC_ERR_ARG when it does
 * not encode (or the call is over), RPC_ERR_NOMEM. */
int rpc_scall_send_pb(rpc_scall_t *call, const pb_msgdesc_t *fields, const void *msg);

/* rpc_scall_send_pb, then the finish with OK: a unary answer. A message
 * that cannot be sent ends the call with Internal instead. */
int rpc_scall_reply_pb(rpc_scall_t *call, const pb_msgdesc_t *fields, const void *msg);

#endif /* RPC_SERVER_PB_H */
