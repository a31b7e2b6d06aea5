/*
 * rpc_opt.h - every tunable of the rpc runtime and the firmware client, with
 * its documented default (lwIP's opt.h, coreMQTT's config defaults).
 *
 * A board changes a value in its boards/<board>/board_config.h, which this
 * header includes first; nothing else may define these names. rpc.h includes
 * this header before anything else, and every header or file that depends on
 * a tunable includes rpc.h (or this header) first, so that one build sees one
 * value: a layout-changing size such as RPC_CLIENT_MSG_LEN cannot differ
 * between two files. Impossible combinations stop the build. The port's own
 * tunables (clock, UART, stack, command line) are in port/<port>/'s header;
 * docs/config.md lists them all.
 */
#ifndef RPC_OPT_H
#define RPC_OPT_H

#if defined(RPC_CLIENT_MSG_LEN) || defined(RPC_CLIENT_MAX_MD) || defined(RPC_PUMP_RX_LEN) ||       \
    defined(RPC_MD_BYTES) || defined(FC_STATUS_MSG_LEN) || defined(FC_ARENA_SIZE)
#error "a tunable was defined before rpc_opt.h: set it in the board's board_config.h"
#endif

#include "board_config.h"

/* --- the client core (rpc_client.h) ---------------------------------------- */

/* Bytes kept of a call's status message (grpc-message, or the transport's
 * reason), NUL included: the longest TLS refusal is about 150. Changes the
 * size of rpc_call_t. */
#ifndef RPC_CLIENT_MSG_LEN
#define RPC_CLIENT_MSG_LEN 160
#endif

/* Custom metadata pairs a call may send. */
#ifndef RPC_CLIENT_MAX_MD
#define RPC_CLIENT_MAX_MD 8
#endif

/* Bytes of the user-agent header, NUL included: the caller's prefix
 * (rpc_client_cfg_t.user_agent) and the stack's own name; a longer prefix
 * is cut. */
#ifndef RPC_CLIENT_UA_LEN
#define RPC_CLIENT_UA_LEN 64
#endif
/* The board pump's receive buffer (rpc_pump.h), in static memory. */
#ifndef RPC_PUMP_RX_LEN
#define RPC_PUMP_RX_LEN 1024
#endif

/* --- the server (host daemons) --------------------------------------------- */

/* Bytes of custom metadata kept per server call (request, and response
 * headers plus trailers); more is dropped. */
#ifndef RPC_MD_BYTES
#define RPC_MD_BYTES 1024
#endif

/* --- the firmware client (fc_client.h) ------------------------------------- */

/* Bytes of the status message a call reports (fc_status_t): the core's
 * message plus the call's own prefix ("connection error: ..."). */
#ifndef FC_STATUS_MSG_LEN
#define FC_STATUS_MSG_LEN 192
#endif

/* The fixed arena nghttp2 (and mbedtls) allocate from (fc_arena.h). Every
 * board sets it from a measured high-water mark (--arena-stats) plus 1 KB. */
#ifndef FC_ARENA_SIZE
#define FC_ARENA_SIZE (32u * 1024u)
#endif

/* Generic calls (fc_call.h): the largest response message a call
 * streams through in pieces (on_piece: nothing is held, so only the
 * protocol's 4 MiB default bounds it). */
#ifndef FC_CALL_STREAM_MAX
#define FC_CALL_STREAM_MAX (4u * 1024u * 1024u)
#endif
/* HPACK dynamic table of the client's decoder and encoder, in bytes: the
 * SETTINGS_HEADER_TABLE_SIZE it announces. Smaller saves arena, costs bytes
 * on the wire. */
#ifndef FC_HEADER_TABLE_SIZE
#define FC_HEADER_TABLE_SIZE 4096u
#endif

/* The client's per-stream receive window (SETTINGS_INITIAL_WINDOW_SIZE): how
 * much a server may send before the client's WINDOW_UPDATE. */
#ifndef FC_WINDOW_SIZE
#define FC_WINDOW_SIZE 65535u
#endif

/* TLS: the largest certificate or key file read (PEM), and the record size
 * the client asks the server for (0: none; else 512, 1024, 2048 or 4096,
 * TLS 1.2's max_fragment_length, which TLS 1.3's record_size_limit follows),
 * for boards whose mbedtls record buffers are small. */
#ifndef FC_TLS_FILE_MAX
#define FC_TLS_FILE_MAX 4096
#endif
#ifndef FC_TLS_RECORD_LEN
#define FC_TLS_RECORD_LEN 0
#endif

/* TLS session resumption: the latest session, serialised
 * (mbedtls_ssl_session_save), is kept in a static buffer of FC_TLS_TICKET_MAX
 * bytes: a TLS 1.3 session with the gateway's ticket takes about 300; a TLS
 * 1.2 one carries the server's certificate too. A session that does not fit
 * is not kept (the next connection makes a full handshake).
 * FC_TLS_RESUME_DHE 1 resumes TLS 1.3 sessions with psk_dhe_ke (forward
 * secrecy for resumed sessions, at the cost of one ECDHE: nothing on Linux),
 * 0 with psk_ke (the ticket alone: the fast way on a slow core, which the
 * Cortex-M boards take; docs/boards.md). --resume-mode overrides it. */
#ifndef FC_TLS_TICKET_MAX
#define FC_TLS_TICKET_MAX 1024
#endif
#ifndef FC_TLS_RESUME_DHE
#define FC_TLS_RESUME_DHE 1
#endif

/* FC_RETRY 1 builds the firmware client's retry policy (fc_cfg_t's
 * retry_attempts, --retry N): gRPC's retryPolicy for Unavailable. 0 leaves
 * it out of a board whose flash is counted to the byte (lm3s6965evb's TLS
 * image). */
#ifndef FC_RETRY
#define FC_RETRY 1
#endif

/* --- a string-free build ------------------------------------------------- */

/* RPC_NO_ERRSTR (make ERRSTR=no, as nanopb's PB_NO_ERRMSG): the runtime's
 * and the client's own error texts compile out and their codes remain; a
 * failed call then reports its gRPC code with the server's grpc-message, or
 * with no words when the board itself noticed. The CLI's output lines and
 * gRPC code names stay. RPC_ERRSTR wraps a text, RPC_ERRF an snprintf of
 * one. */
#ifdef RPC_NO_ERRSTR
#define RPC_ERRSTR(s) ""
/* sizeof: the arguments count as used, nothing is evaluated or linked */
#define RPC_ERRF(buf, cap, ...)                                                                    \
  ((void)sizeof(snprintf(buf, cap, __VA_ARGS__)), (void)((buf)[0] = '\0'))
#else
#define RPC_ERRSTR(s) s
#define RPC_ERRF(buf, cap, ...) ((void)snprintf(buf, cap, __VA_ARGS__))
#endif

/* --- impossible combinations ----------------------------------------------- */

#if RPC_CLIENT_MSG_LEN < 64
#error "RPC_CLIENT_MSG_LEN: under 64 bytes a status message says nothing"
#endif
#if FC_STATUS_MSG_LEN < RPC_CLIENT_MSG_LEN + 32
#error "FC_STATUS_MSG_LEN must hold the core's message and the call's prefix"
#endif
#if RPC_CLIENT_UA_LEN < 24
#error "RPC_CLIENT_UA_LEN must hold the stack's own user-agent, grpc-c-embedded/0.1"
#endif
#if RPC_PUMP_RX_LEN < 64
#error "RPC_PUMP_RX_LEN: the pump needs room for at least a frame header and some bytes"
#endif
#if FC_WINDOW_SIZE < 1024 || FC_WINDOW_SIZE > 2147483647
#error "FC_WINDOW_SIZE must lie in 1024..2^31-1 (RFC 9113 6.9.2)"
#endif
#if FC_HEADER_TABLE_SIZE > 65536
#error "FC_HEADER_TABLE_SIZE over 64 KiB costs the arena more than any board has"
#endif
#if FC_TLS_RECORD_LEN != 0 && FC_TLS_RECORD_LEN != 512 && FC_TLS_RECORD_LEN != 1024 &&             \
    FC_TLS_RECORD_LEN != 2048 && FC_TLS_RECORD_LEN != 4096
#error "FC_TLS_RECORD_LEN: 0, 512, 1024, 2048 or 4096 (RFC 6066 max_fragment_length)"
#endif
#if FC_ARENA_SIZE < 16384
#error "FC_ARENA_SIZE: nghttp2's outbound buffer alone takes 16 KB"
#endif

#endif /* RPC_OPT_H */
