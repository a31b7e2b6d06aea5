/* Linux board configuration: the firmware client keeps its fixed arena (so the
 * board build behaves like a small device), but Linux has room to spare. */
#ifndef BOARD_CONFIG_H
#define BOARD_CONFIG_H
#define FC_ARENA_SIZE (64u * 1024u)
#endif
