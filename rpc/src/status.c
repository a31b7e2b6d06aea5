/* status.c - gRPC status codes: names, parsing, HTTP and HTTP/2 mappings. */
#include "rpc.h"

static const char *const names[] = {
    "OK",       "Canceled",       "Unknown",          "InvalidArgument",   "DeadlineExceeded",
    "NotFound", "AlreadyExists",  "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
    "Aborted",  "OutOfRange",     "Unimplemented",    "Internal",          "Unavailable",
    "DataLoss", "Unauthenticated"};

const char *rpc_code_name(int code) {
  if (code < 0 || code > RPC_CODE_UNAUTHENTICATED) return "Unknown";
  return names[code];
}

const char *rpc_strerror(int err) {
#ifdef RPC_NO_ERRSTR
  (void)err;
  return "";
#else
  switch (err) {
  case RPC_OK:
    return "ok";
  case RPC_ERR_ARG:
    return "bad argument";
  case RPC_ERR_NOMEM:
    return "out of memory";
  case RPC_ERR_TOO_LARGE:
    return "message over the size limit";
  case RPC_ERR_PROTO:
    return "protocol error";
  case RPC_ERR_COMPRESSED:
    return "compressed message not negotiated";
  case RPC_ERR_TRANSPORT:
    return "transport failed";
  case RPC_ERR_TIMEOUT:
    return "keepalive ping not answered";
  default:
    return "unknown error";
  }
#endif
}

int rpc_code_parse(const char *s, size_t len) {
  int v = 0;
  if (len == 0 || len > 2) return RPC_CODE_UNKNOWN;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9') return RPC_CODE_UNKNOWN;
    v = v * 10 + (s[i] - '0');
  }
  return v <= RPC_CODE_UNAUTHENTICATED ? v : RPC_CODE_UNKNOWN;
}

/* doc/http-grpc-status-mapping.md */
int rpc_code_from_http(int http_status) {
  switch (http_status) {
  case 400:
    return RPC_CODE_INTERNAL;
  case 401:
    return RPC_CODE_UNAUTHENTICATED;
  case 403:
    return RPC_CODE_PERMISSION_DENIED;
  case 404:
    return RPC_CODE_UNIMPLEMENTED;
  case 429:
  case 502:
  case 503:
  case 504:
    return RPC_CODE_UNAVAILABLE;
  default:
    return RPC_CODE_UNKNOWN;
  }
}

/* PROTOCOL-HTTP2.md, "Errors": RST_STREAM codes seen by a client. */
int rpc_code_from_h2(uint32_t e) {
  switch (e) {
  case 0x0: /* NO_ERROR before a status: the server gave up on the stream */
  case 0x1: /* PROTOCOL_ERROR */
  case 0x2: /* INTERNAL_ERROR */
  case 0x3: /* FLOW_CONTROL_ERROR */
  case 0x6: /* FRAME_SIZE_ERROR */
  case 0x9: /* COMPRESSION_ERROR */
  case 0xa: /* CONNECT_ERROR */
    return RPC_CODE_INTERNAL;
  case 0x7: /* REFUSED_STREAM: not processed, safe to retry */
    return RPC_CODE_UNAVAILABLE;
  case 0x8: /* CANCEL */
    return RPC_CODE_CANCELLED;
  case 0xb: /* ENHANCE_YOUR_CALM */
    return RPC_CODE_RESOURCE_EXHAUSTED;
  case 0xc: /* INADEQUATE_SECURITY */
    return RPC_CODE_PERMISSION_DENIED;
  default:
    return RPC_CODE_UNKNOWN;
  }
}
