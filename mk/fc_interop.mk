# fc-interop: the 14 gRPC interop test cases played by the firmware
# client's SDK (tests/interop/testservice/fc_interop.c) against a
# TestService. It links what the board's firmware-client links (the SDK's
# call and channel, rpc client core and pump, the board's port, fc_arena,
# nghttp2 and nanopb: CLIENT_LIBS) plus the TestService messages (nanopb)
# and stubs (tools/protoc-gen-fc), all generated into build/gen/testservice/.
# Plaintext: fc_tls_none.c. Every board:
#   make BOARD=armhf-linux fc-interop   -> build/armhf-linux/bin/fc-interop
#   make BOARD=lm3s6965evb fc-interop   -> build/lm3s6965evb/bin/fc-interop.elf
# `make` and `make boards` build it (a prerequisite of `all`).
comma := ,
FCI_GEN := $(GEN)/testservice
FCI_OBJ := $(call obj,tests/interop/testservice/fc_interop.c $(FCI_GEN)/test.pb.c $(FCI_GEN)/test.fc.c \
  firmware-client/src/fc_call.c firmware-client/src/fc_channel.c firmware-client/src/fc_tls_none.c \
  firmware-client/src/fc_arena.c firmware-client/src/fc_console.c $(RPC_CLIENT) $(RPC_COMMON) $(PORT_SRC))

.PHONY: fc-interop
fc-interop: $(B)/bin/fc-interop$(EXE)
all: $(B)/bin/fc-interop$(EXE)

$(FCI_GEN)/test.fc.c $(FCI_GEN)/test.fc.h $(FCI_GEN)/test.srv.c $(FCI_GEN)/test.srv.h \
  $(FCI_GEN)/test.cli.c $(FCI_GEN)/test.cli.h &: \
  tests/interop/testservice/test.proto tools/protoc-gen-fc
	@mkdir -p $(FCI_GEN)
	$(PROTOC_FC) -I tests/interop/testservice --fc_out=$(FCI_GEN) $<
.SECONDARY: $(FCI_GEN)/test.fc.c $(FCI_GEN)/test.fc.h $(FCI_GEN)/test.srv.c $(FCI_GEN)/test.srv.h \
  $(FCI_GEN)/test.cli.c $(FCI_GEN)/test.cli.h

$(B)/obj/tests/interop/testservice/fc_interop.c.o: $(FCI_GEN)/test.pb.h $(FCI_GEN)/test.fc.h
$(B)/obj/$(FCI_GEN)/test.fc.c.o: $(FCI_GEN)/test.pb.h $(FCI_GEN)/test.fc.h

ifeq ($(EXE)$(FC_TLS),.elfyes)
# fc-interop speaks plaintext, and a Cortex-M TLS build's RAM is TLS's
# arena: its image is the plaintext variant's, built there and copied here,
# so that build/<board>/bin/fc-interop.elf is where the tests look for it.
FCI_PLAIN := build/$(BOARD)$(if $(filter lwip,$(NET)),-lwip)$(if $(filter polled,$(ETH)),-polled)-notls$(if $(filter no,$(ERRSTR)),-nostr)/bin/fc-interop.elf
.PHONY: $(FCI_PLAIN)
# the board's nghttp2 and nanopb first: with -j the sub-make would otherwise
# build them into the same build/<board>/deps beside this make
$(FCI_PLAIN): $(DEPS_DIR)/lib/libnghttp2.a $(DEPS_DIR)/lib/libnanopb.a
	+$(MAKE) --no-print-directory BOARD=$(BOARD) FC_TLS=no ERRSTR=$(ERRSTR) fc-interop
$(B)/bin/fc-interop.elf: $(FCI_PLAIN)
	@mkdir -p $(dir $@)
	@cmp -s $< $@ || cp $< $@
else
$(B)/bin/fc-interop$(EXE): $(FCI_OBJ) $(DEPS_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) $(if $(filter .elf,$(EXE)),-Wl$(comma)-Map=$(B)/fc-interop.map) -o $@ \
	  $(FCI_OBJ) $(CLIENT_LIBS) $(BOARD_LIBS)
endif
