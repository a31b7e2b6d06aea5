# thermostat-server: the host side of the SDK's sample (examples/sdk/,
# docs/sdk.md), on the rpc runtime and the skeletons tools/protoc-gen-fc
# makes from thermostat.proto, generated with nanopb's messages into
# build/gen/examples/sdk/. Host boards only:
#   make [BOARD=host|host-asan] thermostat-server -> build/<board>/bin/thermostat-server
# The sample's board client is built from `make BOARD=x lib` alone, as a
# user builds one (docs/sdk.md; tests/examples/test_sdk.sh runs its commands).
ifneq ($(DEPS_FROM_SOURCE),yes)
EX_DIR := examples/sdk
EX_GEN := $(GEN)/examples/sdk
EX_OWN := $(call obj,$(EX_DIR)/server.c $(EX_GEN)/thermostat.pb.c $(EX_GEN)/thermostat.srv.c)
EX_OBJ := $(EX_OWN) $(call obj,$(DM_SRC) $(RPC_SERVER) $(RPC_HOST) $(RPC_COMMON) $(HEALTH_GEN))

.PHONY: thermostat-server
thermostat-server: $(B)/bin/thermostat-server

$(EX_GEN)/thermostat.pb.c $(EX_GEN)/thermostat.pb.h &: $(EX_DIR)/thermostat.proto \
  $(EX_DIR)/thermostat.options
	@mkdir -p $(EX_GEN)
	nanopb_generator.py -q -I $(EX_DIR) -D $(EX_GEN) $<
# the host half only (--fc_out=host:): the board's stubs are the user's
$(EX_GEN)/thermostat.srv.c $(EX_GEN)/thermostat.srv.h &: $(EX_DIR)/thermostat.proto tools/protoc-gen-fc
	@mkdir -p $(EX_GEN)
	$(PROTOC_FC) -I $(EX_DIR) --fc_out=host:$(EX_GEN) $<
.SECONDARY: $(EX_GEN)/thermostat.pb.c $(EX_GEN)/thermostat.pb.h $(EX_GEN)/thermostat.srv.c \
  $(EX_GEN)/thermostat.srv.h

$(EX_OWN): CFLAGS += -I$(EX_GEN)
$(EX_OWN): $(EX_GEN)/thermostat.pb.h $(EX_GEN)/thermostat.srv.h

$(B)/bin/thermostat-server: $(EX_OBJ) $(TLS_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(EX_OBJ) -lnghttp2 -lprotobuf-nanopb $(TLS_LIBS) $(BOARD_LIBS)
endif
