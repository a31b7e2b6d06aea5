# fleet-sim: the fleet simulator (bench/fleet/), host boards only: many
# device channels on the project's client core and epoll, held open with
# keepalive against a gateway, a few of them calling (make bench's fleet
# runs, tests/perf/test_fleet_sim.sh). `make` builds it on the host boards.
#   make BOARD=host fleet-sim   -> build/host/bin/fleet-sim
ifneq ($(filter host host-asan,$(BOARD)),)
FLEET_OBJ := $(call obj,$(wildcard bench/fleet/*.c) rpc/host/src/channel.c rpc/host/src/loop.c \
  rpc/host/src/log.c rpc/host/src/sock.c rpc/host/src/tls.c rpc/src/tls_common.c $(RPC_CLIENT_CORE) \
  $(RPC_COMMON) $(PB_SRC) $(API_CLI))
.PHONY: fleet-sim
fleet-sim: $(B)/bin/fleet-sim
all: $(B)/bin/fleet-sim
$(B)/obj/bench/fleet/%.c.o: CFLAGS += -Ibench/fleet
$(B)/obj/bench/fleet/fleet_run.c.o: $(GEN)/api.cli.h $(GEN)/api.pb.h
$(B)/bin/fleet-sim: $(FLEET_OBJ) $(TLS_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(FLEET_OBJ) -lnghttp2 -lprotobuf-nanopb $(TLS_LIBS) $(BOARD_LIBS)
endif
