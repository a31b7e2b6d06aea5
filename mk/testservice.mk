# interop-server: grpc.testing.TestService on the rpc runtime, the server
# side of the gRPC interop test cases (tests/interop/testservice/,
# tests/interop/test_testservice_*). Host boards only.
#   make BOARD=host-asan interop-server   -> build/host-asan/bin/interop-server
# make test builds it: it hangs off `unit`, which make test builds for
# host-asan.
TS_DIR := tests/interop/testservice
TS_GEN := $(GEN)/testservice
TS_OBJ := $(call obj,$(TS_DIR)/main.c $(TS_GEN)/test.pb.c $(TS_GEN)/test.srv.c $(DM_SRC) $(RPC_SERVER) $(RPC_HOST) \
  $(RPC_COMMON) $(HEALTH_GEN))

.PHONY: interop-server
interop-server: $(B)/bin/interop-server
unit: $(B)/bin/interop-server

$(TS_GEN)/test.pb.c $(TS_GEN)/test.pb.h: $(TS_DIR)/test.proto $(TS_DIR)/test.options
	@mkdir -p $(TS_GEN)
	nanopb_generator.py -q -I $(TS_DIR) -D $(TS_GEN) $<

$(B)/obj/$(TS_DIR)/main.c.o: $(TS_GEN)/test.pb.h $(TS_GEN)/test.srv.h
$(B)/obj/$(TS_GEN)/test.srv.c.o: $(TS_GEN)/test.pb.h $(TS_GEN)/test.srv.h

$(B)/bin/interop-server: $(TS_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(TS_OBJ) -lnghttp2 -lprotobuf-nanopb $(TLS_LIBS) $(BOARD_LIBS)
