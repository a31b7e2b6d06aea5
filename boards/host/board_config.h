/* Host board configuration: generous sizes, the heap is fine on the host. */
#ifndef BOARD_CONFIG_H
#define BOARD_CONFIG_H
#define FC_ARENA_SIZE (256u * 1024u)
/* a Linux host reads a stream in 16 KiB gulps, not the small boards' 1 KiB */
#define RPC_PUMP_RX_LEN 16384u
#endif
