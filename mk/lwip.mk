# NET=lwip: lwIP 2.1.3, compiled for the board from Debian's source package
# (fetched into build/src/lwip by tools/deps-src.sh) with the board's
# lwipopts.h, into $(B)/lwip/liblwip.a: the raw API, NO_SYS, IPv4 with ARP,
# TCP, UDP, DHCP and DNS. The port's transport is then net_lwip.c and the
# board's Ethernet driver (port/cortex-m/eth_*.c) instead of net_uart.c.
# Read right after board.mk (the Makefile expands LWIP_CFLAGS, PORT_NET_OUT
# and CLIENT_LIBS as it reads them); the later -include mk/*.mk does nothing.
ifndef lwip_mk_read
lwip_mk_read := yes
lwip_goal := $(.DEFAULT_GOAL)

ifeq ($(NET),lwip)
ifneq ($(PORT),cortex-m)
$(error NET=lwip is for the Cortex-M boards; $(BOARD) has its OS's network)
endif
LWIP_SRC := build/src/lwip/src
LWIP_LIB := $(B)/lwip/liblwip.a
# Our code sees lwIP's headers as a system library's.
LWIP_CFLAGS := -DPORT_NET_LWIP -isystem $(LWIP_SRC)/include $(if $(filter polled,$(ETH)),-DNET_ETH_POLLED)
PORT_NET_OUT := port/cortex-m/net_uart.c
# What NO_SYS and the raw API use, and nothing of the sequential APIs.
LWIP_C := $(patsubst %,$(LWIP_SRC)/core/%.c,init def dns inet_chksum ip mem memp netif pbuf stats tcp \
  tcp_in tcp_out timeouts udp ipv4/dhcp ipv4/etharp ipv4/icmp ipv4/ip4 ipv4/ip4_addr) \
  $(LWIP_SRC)/netif/ethernet.c
LWIP_OBJ := $(patsubst $(LWIP_SRC)/%.c,$(B)/lwip/obj/%.o,$(LWIP_C))
# Third-party code: the board's CPU and optimisation flags, not our warnings;
# lwipopts.h (the board's) sizes it, TLS builds and plaintext builds alike.
# LWIP_NOASSERT as nghttp2's NDEBUG: its asserts check its own invariants.
LWIP_CC_FLAGS := $(BOARD_CFLAGS) -w -DLWIP_NOASSERT -Iboards/$(BOARD) -Iport/cortex-m \
  -I$(LWIP_SRC)/include $(if $(filter yes,$(FC_TLS)),-DFC_TLS_BUILD)
CLIENT_LIBS += $(LWIP_LIB)
DEPS_LIBS += $(LWIP_LIB)

$(LWIP_SRC)/%: | $(DEPS_FETCHED)
	@test -f $@ || { echo "lwip: $@ missing after tools/deps-src.sh" >&2; exit 1; }
.PRECIOUS: $(LWIP_SRC)/%

$(B)/lwip/obj/%.o: $(LWIP_SRC)/%.c boards/$(BOARD)/lwipopts.h port/cortex-m/lwipopts_cm.h \
  port/cortex-m/arch/cc.h mk/lwip.mk
	@mkdir -p $(dir $@)
	@echo "CC $<"
	@$(CC) $(LWIP_CC_FLAGS) -c $< -o $@

$(LWIP_LIB): $(LWIP_OBJ)
	@echo "AR $@"
	@rm -f $@ && $(DEPS_AR) rcs $@ $^
else
# The UART builds leave the lwIP transport and its drivers out.
PORT_NET_OUT := port/cortex-m/net_lwip.c $(wildcard port/cortex-m/eth_*.c)
endif

.DEFAULT_GOAL := $(lwip_goal)
endif
