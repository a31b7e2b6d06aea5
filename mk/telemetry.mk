# The telemetry example (examples/telemetry/): telemetry-device, a board
# program on the SDK (every board, as part of `all`), and telemetry-server,
# its host server on the generated skeletons and SQLite (host boards: it
# hangs off `unit`, which make test builds for host-asan). Messages
# (nanopb), board stubs and host skeletons (tools/protoc-gen-fc) are
# generated into build/gen/telemetry/.
#   make BOARD=armhf-linux telemetry-device -> build/armhf-linux/bin/telemetry-device
#   make BOARD=lm3s6965evb telemetry-device -> build/lm3s6965evb/bin/telemetry-device.elf
#   make BOARD=host-asan telemetry-server   -> build/host-asan/bin/telemetry-server
# The device links what fc-interop links (mk/fc_interop.mk): the SDK's call
# and channel, the rpc client core and pump, the port, the arena; plaintext.
comma := ,
TELE_DIR := examples/telemetry
TELE_GEN := $(GEN)/telemetry
TELE_DEV_OBJ := $(call obj,$(TELE_DIR)/device.c $(TELE_GEN)/telemetry.pb.c $(TELE_GEN)/telemetry.fc.c \
  firmware-client/src/fc_call.c firmware-client/src/fc_channel.c firmware-client/src/fc_tls_none.c \
  firmware-client/src/fc_arena.c firmware-client/src/fc_console.c $(RPC_CLIENT) $(RPC_COMMON) $(PORT_SRC))
# The server calls nobody: the skeletons (.srv.c), the runtime and health's
# generated code (HEALTH_GEN), which RPC_SERVER needs.
TELE_SRV_OBJ := $(call obj,$(TELE_DIR)/server.c $(TELE_GEN)/telemetry.pb.c $(TELE_GEN)/telemetry.srv.c \
  $(DM_SRC) $(RPC_SERVER) $(RPC_HOST) $(RPC_COMMON) $(HEALTH_GEN))

.PHONY: telemetry-device telemetry-server
telemetry-device: $(B)/bin/telemetry-device$(EXE)
telemetry-server: $(B)/bin/telemetry-server
all: $(B)/bin/telemetry-device$(EXE)
unit: $(B)/bin/telemetry-server

# One recipe makes each group (&:), so that two jobs never write them at once.
$(TELE_GEN)/telemetry.pb.c $(TELE_GEN)/telemetry.pb.h &: $(TELE_DIR)/telemetry.proto \
  $(TELE_DIR)/telemetry.options
	@mkdir -p $(TELE_GEN)
	nanopb_generator.py -q -I $(TELE_DIR) -D $(TELE_GEN) $<
$(TELE_GEN)/telemetry.fc.c $(TELE_GEN)/telemetry.fc.h $(TELE_GEN)/telemetry.srv.c \
  $(TELE_GEN)/telemetry.srv.h &: $(TELE_DIR)/telemetry.proto tools/protoc-gen-fc
	@mkdir -p $(TELE_GEN)
	$(PROTOC_FC) -I $(TELE_DIR) --fc_out=$(TELE_GEN) $<
.SECONDARY: $(TELE_GEN)/telemetry.pb.c $(TELE_GEN)/telemetry.pb.h $(TELE_GEN)/telemetry.fc.c \
  $(TELE_GEN)/telemetry.fc.h $(TELE_GEN)/telemetry.srv.c $(TELE_GEN)/telemetry.srv.h

$(B)/obj/$(TELE_DIR)/device.c.o: $(TELE_GEN)/telemetry.pb.h $(TELE_GEN)/telemetry.fc.h
$(B)/obj/$(TELE_DIR)/server.c.o: $(TELE_GEN)/telemetry.pb.h $(TELE_GEN)/telemetry.srv.h
$(B)/obj/$(TELE_GEN)/telemetry.fc.c.o: $(TELE_GEN)/telemetry.pb.h $(TELE_GEN)/telemetry.fc.h
$(B)/obj/$(TELE_GEN)/telemetry.srv.c.o: $(TELE_GEN)/telemetry.pb.h $(TELE_GEN)/telemetry.srv.h

ifeq ($(EXE)$(FC_TLS),.elfyes)
# As fc-interop: the device speaks plaintext, and a Cortex-M TLS build's
# RAM is TLS's arena, so its image is the plaintext variant's, built there
# and copied here, where the test and the README look for it.
TELE_PLAIN := build/$(BOARD)$(if $(filter lwip,$(NET)),-lwip)$(if $(filter polled,$(ETH)),-polled)-notls$(if $(filter no,$(ERRSTR)),-nostr)/bin/telemetry-device.elf
.PHONY: $(TELE_PLAIN)
# after fc-interop's sub-make (mk/fc_interop.mk), which builds the same
# plaintext variant's objects: with -j the two would write them at once
$(TELE_PLAIN): $(FCI_PLAIN)
	+$(MAKE) --no-print-directory BOARD=$(BOARD) FC_TLS=no ERRSTR=$(ERRSTR) telemetry-device
$(B)/bin/telemetry-device.elf: $(TELE_PLAIN)
	@mkdir -p $(dir $@)
	@cmp -s $< $@ || cp $< $@
else
$(B)/bin/telemetry-device$(EXE): $(TELE_DEV_OBJ) $(DEPS_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) $(if $(filter .elf,$(EXE)),-Wl$(comma)-Map=$(B)/telemetry-device.map) \
	  -o $@ $(TELE_DEV_OBJ) $(CLIENT_LIBS) $(BOARD_LIBS)
endif

$(B)/bin/telemetry-server: $(TELE_SRV_OBJ) $(TLS_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(TELE_SRV_OBJ) -lnghttp2 -lprotobuf-nanopb -lsqlite3 \
	  $(TLS_LIBS) $(BOARD_LIBS)
