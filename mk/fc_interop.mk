# fc-interop: the gRPC interop test cases played by the firmware client's
# stack (tests/interop/testservice/fc_interop.c) against a TestService. It
# links what the board's firmware-client links (rpc client core and pump, the
# board's port, fc_arena, nghttp2 and nanopb: CLIENT_LIBS, the cross deps on
# armhf-linux) plus the TestService messages that mk/testservice.mk generates.
# Boards: host, host-asan, armhf-linux (tests/interop/test_testservice_fc.sh).
#   make BOARD=armhf-linux fc-interop   -> build/armhf-linux/bin/fc-interop
# `make` and `make boards` build it on those boards (a prerequisite of `all`),
# and so does make test's `make BOARD=host-asan all unit`.
FCI_BOARDS := host host-asan armhf-linux
FCI_OBJ := $(call obj,tests/interop/testservice/fc_interop.c $(GEN)/testservice/test.pb.c \
  firmware-client/src/fc_arena.c firmware-client/src/fc_console.c $(RPC_CLIENT) $(RPC_COMMON) $(PORT_SRC))

.PHONY: fc-interop
fc-interop: $(B)/bin/fc-interop
ifneq ($(filter $(BOARD),$(FCI_BOARDS)),)
all: $(B)/bin/fc-interop
endif

$(B)/obj/tests/interop/testservice/fc_interop.c.o: $(GEN)/testservice/test.pb.h

$(B)/bin/fc-interop: $(FCI_OBJ) $(DEPS_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(FCI_OBJ) $(CLIENT_LIBS) $(BOARD_LIBS)
