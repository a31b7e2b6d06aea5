# Cross boards: nghttp2 and nanopb's runtime, compiled with the board's
# compiler and flags from Debian's source packages (fetched into build/src/ by
# tools/deps-src.sh, the same versions as the host's -dev packages) into
#   build/<board>/deps/include/   nghttp2/nghttp2.h, nghttp2/nghttp2ver.h, pb*.h
#   build/<board>/deps/lib/       libnghttp2.a, libnanopb.a
# and, with FC_TLS := yes, mbedtls (mk/mbedtls.mk) beside them, allocating from
# the firmware client's arena through its platform door (the board's
# mbedtls_board.h, mk/deps/mbedtls-config-arena.h).
#
# A cross board.mk sets DEPS_FROM_SOURCE := yes and includes this file, because
# the Makefile expands DEPS_CFLAGS, DEPS_STAMP and DEPS_LIBS as soon as it reads
# them, before its own -include mk/*.mk; that second inclusion does nothing.
# Host boards never set DEPS_FROM_SOURCE: they use the system libraries.
ifeq ($(DEPS_FROM_SOURCE)$(deps_mk_read),yes)
deps_mk_read := yes
# Read before the Makefile's "all": keep our targets from becoming the default.
deps_goal := $(.DEFAULT_GOAL)

# build/<board>/deps, also for the plaintext variant (FC_TLS=no, built into
# build/<board>-notls): the libraries do not depend on it.
DEPS_DIR := build/$(BOARD)/deps
DEPS_CFLAGS := -isystem $(DEPS_DIR)/include
DEPS_LIBS := $(DEPS_DIR)/lib/libnghttp2.a $(DEPS_DIR)/lib/libnanopb.a
DEPS_STAMP := $(DEPS_DIR)/stamp

# The source trees are named after the upstream version of the host packages.
deps_ver = $(shell dpkg-query -W -f='$${Version}' $(1) 2>/dev/null | sed 's/^[0-9]*://; s/-[^-]*$$//')
NGHTTP2_VERSION := $(call deps_ver,libnghttp2-dev)
NGHTTP2_SRC := build/src/nghttp2-$(NGHTTP2_VERSION)
NANOPB_VERSION := $(call deps_ver,nanopb)
NANOPB_SRC := build/src/nanopb-$(NANOPB_VERSION)
DEPS_FETCHED := build/src/.fetched-nghttp2-$(NGHTTP2_VERSION)-nanopb-$(NANOPB_VERSION)

ifeq ($(FC_TLS),yes)
MBEDTLS_FROM_SOURCE := yes
include mk/mbedtls.mk
DEPS_LIBS += $(MBEDTLS_LIB)
endif
CLIENT_LIBS := $(DEPS_LIBS)

# The whole library but nghttp2_queue.c (unused by the session); the linker's
# --gc-sections keeps what the client really calls.
NGHTTP2_C := $(patsubst %,$(NGHTTP2_SRC)/lib/nghttp2_%.c,buf callbacks debug extpri frame hd \
  hd_huffman hd_huffman_data helper http map mem npn option outbound_item pq priority_spec \
  ratelim rcbuf session stream submit time version)
NANOPB_C := $(patsubst %,$(NANOPB_SRC)/%.c,pb_common pb_encode pb_decode)
NANOPB_H := $(patsubst %,$(DEPS_DIR)/include/%.h,pb pb_common pb_encode pb_decode)
NGHTTP2_H := $(DEPS_DIR)/include/nghttp2/nghttp2.h $(DEPS_DIR)/include/nghttp2/nghttp2ver.h

# Third-party code: the board's CPU and optimisation flags, not our warnings.
DEPS_CC_FLAGS := $(BOARD_CFLAGS) -w -I$(DEPS_DIR)/include
NGHTTP2_FLAGS := -DHAVE_CONFIG_H -DBUILDING_NGHTTP2 -I$(DEPS_DIR)/nghttp2 -I$(NGHTTP2_SRC)/lib
NGHTTP2_OBJ := $(patsubst $(NGHTTP2_SRC)/lib/%.c,$(DEPS_DIR)/obj/%.o,$(NGHTTP2_C))
NGHTTP2_FIXUP := true
ifeq ($(PORT),cortex-m)
# No heap and no stdio. nghttp2 calls the libc allocator directly for its
# callbacks and options objects and for its default nghttp2_mem: those calls
# are renamed in the objects to the firmware client's arena (fc_arena.h), so
# that no nghttp2 source is touched and the image links no malloc. nghttp2 has
# no door for them, unlike mbedtls (MBEDTLS_PLATFORM_MEMORY): its sessions
# take an nghttp2_mem, but nghttp2_session_callbacks_new and nghttp2_option_new
# call calloc themselves and have no variant that takes one (1.52). NDEBUG as
# in a release build: nghttp2's asserts check its own invariants and cost flash.
NGHTTP2_FLAGS += -DNDEBUG
NGHTTP2_FIXUP := $(patsubst %gcc,%objcopy,$(CC)) \
  $(foreach f,malloc calloc realloc free,--redefine-sym $(f)=fc_arena_$(f))
endif
NANOPB_OBJ := $(patsubst $(NANOPB_SRC)/%.c,$(DEPS_DIR)/obj/%.o,$(NANOPB_C))
DEPS_AR := $(patsubst %gcc,%ar,$(CC))

$(DEPS_DIR)/stamp: $(DEPS_LIBS) $(NGHTTP2_H) $(NANOPB_H)
	@touch $@

# Missing source trees are fetched (as root; otherwise the script says how),
# once even under make -j: every source file waits for the one stamp.
$(DEPS_FETCHED):
	bash tools/deps-src.sh
	@touch $@

$(NGHTTP2_SRC)/% $(NANOPB_SRC)/%: | $(DEPS_FETCHED)
	@test -f $@ || { echo "deps: $@ missing after tools/deps-src.sh" >&2; exit 1; }
# Made by a pattern rule, they would count as intermediate files, which make
# deletes when it is done.
.PRECIOUS: $(NGHTTP2_SRC)/% $(NANOPB_SRC)/%

$(DEPS_DIR)/include/nghttp2/nghttp2.h: $(NGHTTP2_SRC)/lib/includes/nghttp2/nghttp2.h
	@mkdir -p $(dir $@)
	cp $< $@

# configure's work for nghttp2ver.h: the version as text and as 0xMMmmpp.
$(DEPS_DIR)/include/nghttp2/nghttp2ver.h: $(NGHTTP2_SRC)/lib/includes/nghttp2/nghttp2ver.h.in
	@mkdir -p $(dir $@)
	sed -e 's/@PACKAGE_VERSION@/$(NGHTTP2_VERSION)/' \
	  -e "s/@PACKAGE_VERSION_NUM@/$$(printf '0x%02x%02x%02x' $(subst ., ,$(NGHTTP2_VERSION)))/" $< > $@

$(DEPS_DIR)/nghttp2/config.h: mk/deps/nghttp2-config-$(PORT).h
	@mkdir -p $(dir $@)
	cp $< $@

$(DEPS_DIR)/include/%.h: $(NANOPB_SRC)/%.h
	@mkdir -p $(dir $@)
	cp $< $@

$(DEPS_DIR)/obj/nghttp2_%.o: $(NGHTTP2_SRC)/lib/nghttp2_%.c $(DEPS_DIR)/nghttp2/config.h $(NGHTTP2_H) \
  mk/deps.mk
	@mkdir -p $(dir $@)
	@echo "CC $<"
	@$(CC) $(DEPS_CC_FLAGS) $(NGHTTP2_FLAGS) -c $< -o $@
	@$(NGHTTP2_FIXUP) $@

$(DEPS_DIR)/obj/pb_%.o: $(NANOPB_SRC)/pb_%.c $(NANOPB_H) mk/deps.mk boards/$(BOARD)/board.mk
	@mkdir -p $(dir $@)
	@echo "CC $<"
	@$(CC) $(DEPS_CC_FLAGS) -c $< -o $@

$(DEPS_DIR)/lib/libnghttp2.a: $(NGHTTP2_OBJ)
	@mkdir -p $(dir $@)
	@echo "AR $@"
	@rm -f $@ && $(DEPS_AR) rcs $@ $^

$(DEPS_DIR)/lib/libnanopb.a: $(NANOPB_OBJ)
	@mkdir -p $(dir $@)
	@echo "AR $@"
	@rm -f $@ && $(DEPS_AR) rcs $@ $^

.PHONY: deps-build
deps-build: $(DEPS_STAMP)

.DEFAULT_GOAL := $(deps_goal)
endif
