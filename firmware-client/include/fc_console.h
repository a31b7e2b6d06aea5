/* fc_console.h - printf to the port's console from a static line buffer:
 * no stdio streams, which would allocate on the bare-metal boards. */
#ifndef FC_CONSOLE_H
#define FC_CONSOLE_H

/* Formats one line (at most 511 bytes, cut beyond) to stream 1 (output) or
 * 2 (errors). */
void fc_say(int stream, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The strings of parts, up to a NULL entry, as one line (cut beyond 511
 * bytes): a line put together without a format, for a streamed call's
 * every message (vsnprintf took a quarter of a streaming client's time). */
void fc_say_strs(int stream, const char *const *parts);

#endif /* FC_CONSOLE_H */
