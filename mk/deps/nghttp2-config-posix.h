/* nghttp2's config.h for Linux boards (what its configure finds on glibc). */
#ifndef NGHTTP2_BOARD_CONFIG_H
#define NGHTTP2_BOARD_CONFIG_H
#define HAVE_ARPA_INET_H 1
#define HAVE_NETINET_IN_H 1
#define HAVE_TIME_H 1
#define HAVE_CLOCK_GETTIME 1
#endif
