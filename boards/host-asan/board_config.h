/* Host board configuration: generous sizes, the heap is fine on the host. */
#ifndef BOARD_CONFIG_H
#define BOARD_CONFIG_H
#define FC_ARENA_SIZE (256u * 1024u)
#endif
