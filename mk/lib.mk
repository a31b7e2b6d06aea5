# make [BOARD=x] lib: the firmware client's SDK as a static library, for a
# program of one's own on the board (docs/sdk.md walks through one):
#
#   build/<board>/lib/libgrpc-fc.a   the SDK (fc_call, fc_channel, fc_arena,
#                                    fc_console, fc_tls or fc_tls_none), the
#                                    rpc client core (client, link, pump, b64
#                                    and the common files) and the board's port
#   build/<board>/lib/lib*.a         the libraries it needs that the board
#                                    compiles itself (mbedtls; on the cross
#                                    boards nghttp2 and nanopb too); the host
#                                    links Debian's -lnghttp2 -lprotobuf-nanopb
#   build/<board>/include/           the SDK's public headers, rpc_opt.h and
#                                    what it includes, the board's
#                                    board_config.h (with the library's build
#                                    flags written into it), mbedtls's and, on
#                                    the cross boards, nghttp2's and nanopb's
#   build/<board>/lib/pkgconfig/grpc-fc.pc   Linux boards: Cflags, Libs and the
#                                    variables cc, runner, protoc_gen_fc
#   build/<board>/lib/link.ld, sections.ld   Cortex-M boards: the memory map
#
# libgrpc-fc.a, not libfc.a: the name says what it is to a linker line that
# also holds the user's own libraries. The plaintext variant (FC_TLS=no)
# goes to build/<board>-notls/ as the rest of that build does. The board's
# main program (firmware-client's main.c, fc_client.c and the article's
# api.proto) is not in it: the user brings main() and the stubs of their
# own .proto (tools/protoc-gen-fc).
LIB_DIR := $(B)/lib
LIB_INC := $(B)/include
LIB_A := $(LIB_DIR)/libgrpc-fc.a
LIB_SRC := firmware-client/src/fc_call.c firmware-client/src/fc_channel.c \
  firmware-client/src/fc_arena.c firmware-client/src/fc_console.c $(FC_TLS_SRC) \
  $(RPC_CLIENT) $(RPC_COMMON) $(PORT_SRC)
LIB_OBJ := $(call obj,$(LIB_SRC))
LIB_AR := $(patsubst %gcc,%ar,$(CC))
LIB_VERSION := $(shell sed -n 's/^#define FC_VERSION "firmware-client \([0-9.]*\).*/\1/p' \
  firmware-client/src/main.c)

# The libraries: what the board links its firmware-client with (CLIENT_LIBS),
# the files copied beside libgrpc-fc.a, the system's as they are. In one
# group: mbedtls (and on Cortex-M nghttp2) calls back into libgrpc-fc.a (the
# arena's allocator, the TLS clock, the port's snprintf), which a program
# that calls mbedtls itself may not have pulled in yet.
LIB_DEP_FILES := $(filter %.a,$(CLIENT_LIBS))
LIB_DEP_COPIES := $(addprefix $(LIB_DIR)/,$(notdir $(LIB_DEP_FILES)))
LIB_LIBS := -Wl,--start-group -lgrpc-fc $(patsubst lib%.a,-l%,$(notdir $(LIB_DEP_FILES))) \
  $(filter -l%,$(CLIENT_LIBS)) -Wl,--end-group

# Headers: the public ones as they are; the board's with their "../"
# includes made flat; the libraries' from build/<board>/deps/include.
LIB_PUB_H := $(addprefix firmware-client/include/,fc_call.h fc_channel.h fc_arena.h fc_console.h \
  fc_tls.h) $(addprefix rpc/include/,rpc.h rpc_opt.h rpc_client.h rpc_link.h rpc_pump.h) \
  port/include/port.h
LIB_BOARD_H := $(patsubst %,boards/%,$(shell sed -n 's@^#include "\.\./\([^"/]*\)".*@\1@p' \
  boards/$(BOARD)/board_config.h))
ifeq ($(FC_TLS),yes)
# mbedtls's configuration: the board's, the shared one it names and what
# that one includes beside it.
LIB_MBED_H := $(shell sed -n 's@^#include "\(\.\./\)*mk/deps/\([^"]*\)".*@mk/deps/\2@p' \
  boards/$(BOARD)/mbedtls_board.h)
LIB_MBED_H += $(shell sed -n 's@^#include "\(mbedtls-config-[^"/]*\)".*@mk/deps/\1@p' $(LIB_MBED_H))
LIB_BOARD_H += boards/$(BOARD)/mbedtls_board.h $(sort $(LIB_MBED_H))
LIB_DEPS_H := mbedtls psa
endif
ifeq ($(DEPS_FROM_SOURCE),yes)
LIB_DEPS_H += nghttp2 pb.h pb_common.h pb_encode.h pb_decode.h
endif
LIB_FLAT := sed -E -e 's@^(\#include ")(\.\./)+(mk/deps/)?([^"/]+")@\1\4@'

# What the library was compiled with and its users must see alike, with no
# flag to forget: our own switches are written into the installed
# board_config.h; mbedtls's configuration (-DMBEDTLS_CONFIG_FILE in the
# build) becomes the installed mbedtls/mbedtls_config.h, the file mbedtls's
# headers read when no MBEDTLS_CONFIG_FILE is given (mbedtls's default is
# kept as mbedtls_config_default.h, which the Linux configuration takes in):
# a computed include needs quotes or <>, which pkg-config's output escapes
# for a shell that then never unescapes them. nanopb's PB_NO_ERRMSG
# (board.mk) changes pb.h's streams and pb.h reads no header of ours, so it
# stays a flag, and board_config.h stops a build that disagrees.
LIB_BAKED := $(if $(filter yes,$(FC_TLS)),FC_TLS_BUILD) \
  $(if $(filter no,$(ERRSTR)),RPC_NO_ERRSTR PORT_NO_ERRSTR)
LIB_PB_NO_ERRMSG := $(filter -DPB_NO_ERRMSG,$(BOARD_CFLAGS))
LIB_CFLAGS := $(LIB_PB_NO_ERRMSG)
LIB_FLAT += -e 's@"mbedtls/mbedtls_config\.h"@"mbedtls/mbedtls_config_default.h"@'

.PHONY: lib
lib: $(LIB_A) $(LIB_DEP_COPIES) $(LIB_INC)/board_config.h

$(LIB_A): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "AR $@"
	@rm -f $@ && $(LIB_AR) rcs $@ $^

$(LIB_DEP_COPIES): $(LIB_DIR)/%: build/$(BOARD)/deps/lib/%
	@mkdir -p $(dir $@)
	cp $< $@

define LIB_CONFIG_HEAD
/* board_config.h - boards/$(BOARD)/board_config.h as $(LIB_A) was built by
 *   make BOARD=$(BOARD)$(if $(filter no,$(FC_TLS)), FC_TLS=no)$(if $(filter no,$(ERRSTR)), ERRSTR=no) lib
 * (mk/lib.mk, docs/sdk.md): the library's own build switches first, then the
 * board's tunables, so that a program sees the values the library was
 * compiled with. */
$(foreach d,$(LIB_BAKED),#ifndef $(d)
#define $(d) 1
#endif
)
endef

define LIB_MBEDTLS_CONFIG
/* mbedtls_config.h - installed by make lib (mk/lib.mk): the configuration
 * libmbedtls.a was built with, boards/$(BOARD)/mbedtls_board.h, so that
 * mbedtls's headers agree with the library without -DMBEDTLS_CONFIG_FILE.
 * mbedtls's own default is mbedtls_config_default.h. */
#include "mbedtls_board.h"
endef

ifneq ($(LIB_PB_NO_ERRMSG),)
define LIB_CONFIG_TAIL

/* nanopb's streams lose their errmsg under PB_NO_ERRMSG: every file that
 * includes pb.h must agree with the library. */
#ifndef PB_NO_ERRMSG
#error "libgrpc-fc.a for $(BOARD) was built with -DPB_NO_ERRMSG: compile with it (docs/sdk.md)"
#endif
endef
else
define LIB_CONFIG_TAIL

/* nanopb's streams keep their errmsg (no PB_NO_ERRMSG): every file that
 * includes pb.h must agree with the library. */
#ifdef PB_NO_ERRMSG
#error "libgrpc-fc.a for $(BOARD) was built without PB_NO_ERRMSG (docs/sdk.md)"
#endif
endef
endif

# $(file) is expanded with the whole recipe, before its first line runs:
# what it writes into goes in a rule of its own, after the folder exists.
$(LIB_INC)/.stamp: $(LIB_PUB_H) $(LIB_BOARD_H) $(DEPS_STAMP) mk/lib.mk boards/$(BOARD)/board.mk
	@echo "INSTALL $(LIB_INC)"
	@rm -rf $(LIB_INC) && mkdir -p $(LIB_INC)
	@cp $(LIB_PUB_H) $(LIB_INC)/
	@for h in $(LIB_BOARD_H); do $(LIB_FLAT) $$h >$(LIB_INC)/$${h##*/}; done
	@for d in $(LIB_DEPS_H); do cp -r build/$(BOARD)/deps/include/$$d $(LIB_INC)/; done
	@if [ -d $(LIB_INC)/mbedtls ]; then mv $(LIB_INC)/mbedtls/mbedtls_config.h \
	  $(LIB_INC)/mbedtls/mbedtls_config_default.h; fi
	@touch $@

$(LIB_INC)/board_config.h: $(LIB_INC)/.stamp boards/$(BOARD)/board_config.h mk/lib.mk
	$(if $(filter yes,$(FC_TLS)),$(file >$(LIB_INC)/mbedtls/mbedtls_config.h,$(LIB_MBEDTLS_CONFIG)))
	$(file >$@.head,$(LIB_CONFIG_HEAD))
	$(file >$@.tail,$(LIB_CONFIG_TAIL))
	@{ cat $@.head; $(LIB_FLAT) boards/$(BOARD)/board_config.h; cat $@.tail; } >$@
	@rm -f $@.head $@.tail

ifeq ($(PORT),posix)
# pkg-config: Cflags and Libs as the build uses them, the board's link flags
# (-static on the cross boards, the sanitizers on host-asan) included; the
# compiler, QEMU's runner and the stub generator as variables:
#   pkg-config --variable=cc grpc-fc
define LIB_PC
prefix=$(abspath $(B))
libdir=$${prefix}/lib
includedir=$${prefix}/include
board=$(BOARD)
cc=$(CC)
runner=$(RUNNER)
protoc_gen_fc=$(abspath tools/protoc-gen-fc)

Name: grpc-fc
Description: gRPC client SDK of the firmware client for $(BOARD) (docs/sdk.md)
Version: $(LIB_VERSION)
Cflags: $(strip -I$${includedir} $(LIB_CFLAGS))
Libs: -L$${libdir} $(strip $(LIB_LIBS) $(BOARD_LDFLAGS))
endef
lib: $(LIB_DIR)/pkgconfig/grpc-fc.pc
$(LIB_DIR)/pkgconfig/grpc-fc.pc: mk/lib.mk boards/$(BOARD)/board.mk firmware-client/src/main.c \
  | $(LIB_DIR)/pkgconfig/.dir
	@echo "PC $@"
	$(file >$@,$(LIB_PC))
$(LIB_DIR)/pkgconfig/.dir:
	@mkdir -p $(dir $@) && touch $@
endif

ifeq ($(PORT),cortex-m)
# The memory map: the board's link.ld, its INCLUDE made relative to the -L
# folder (ld looks there for -T and INCLUDE files alike).
lib: $(LIB_DIR)/link.ld $(LIB_DIR)/sections.ld
$(LIB_DIR)/link.ld: boards/$(BOARD)/link.ld
	@mkdir -p $(dir $@)
	sed 's@^INCLUDE .*/sections\.ld@INCLUDE sections.ld@' $< >$@
$(LIB_DIR)/sections.ld: port/cortex-m/sections.ld
	@mkdir -p $(dir $@)
	cp $< $@
endif
