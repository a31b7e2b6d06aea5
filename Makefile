# One entry point. Everything builds into build/<board>/; see docs/build.md.
#   make [BOARD=name]   build one board (default host)
#   make test           install deps, build every board, run every test
#   make demo | run | deps | size | bench | fuzz | docs | install (mk/install.mk)
BOARD ?= host
BOARDS := host armhf-linux aarch64-linux lm3s6965evb mps2-an385
# The boards that also build with lwIP (NET=lwip, into build/<board>-lwip/).
LWIP_BOARDS := lm3s6965evb mps2-an385
# Boards build with TLS (FC_TLS := yes in board.mk); FC_TLS=no on the command
# line builds the plaintext variant, fc_tls_none.c and no mbedtls, into
# build/<board>-notls/ (the footprint budget compares the two).
# ERRSTR=no builds the string-free variant (RPC_NO_ERRSTR, docs/config.md):
# error texts compile out, codes remain; into build/<board>[-notls]-nostr/.
# NET=lwip (Cortex-M boards) carries gRPC over TCP/IP, lwIP on the board's
# Ethernet (mk/lwip.mk), instead of UART0; into build/<board>-lwip[-notls]/.
# ETH=polled (with NET=lwip) drives the Ethernet controller without its
# interrupt, for docs/boards.md's comparison; into build/<board>-lwip-polled/.
NET ?= uart
B := build/$(BOARD)$(if $(filter lwip,$(NET)),-lwip)$(if $(filter polled,$(ETH)),-polled)$(if $(filter no,$(FC_TLS)),-notls)$(if $(filter no,$(ERRSTR)),-nostr)
GEN := build/gen
PYGEN := build/py

include boards/$(BOARD)/board.mk
include mk/lwip.mk

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(BOARD_CFLAGS) \
  -Iport/include -Irpc/include -Irpc/host/include -Ifirmware-client/include -Idaemon/include -Iboards/$(BOARD) -I$(GEN) \
  $(DEPS_CFLAGS) $(if $(filter yes,$(FC_TLS)),-DFC_TLS_BUILD) \
  $(if $(filter no,$(ERRSTR)),-DRPC_NO_ERRSTR -DPORT_NO_ERRSTR) $(LWIP_CFLAGS)
LDFLAGS := $(BOARD_LDFLAGS)

RPC_COMMON := rpc/src/addr.c rpc/src/status.c rpc/src/timeout.c rpc/src/message.c rpc/src/frame.c \
  rpc/src/b64.c rpc/src/trace.c
# The client core (one connection) and its link (the connections' life).
RPC_CLIENT_CORE := rpc/src/client.c rpc/src/link.c
RPC_CLIENT := $(RPC_CLIENT_CORE) rpc/src/pump.c
# The server: the I/O-free core (and health on it), then its host driver and
# the host's loop, sockets, TLS and log.
RPC_SERVER := rpc/src/server_core.c rpc/src/server_stream.c rpc/src/server_call.c rpc/src/server_mem.c \
              rpc/src/server_keepalive.c rpc/src/health.c rpc/src/server_pb.c rpc/src/stats.c rpc/src/server_log.c
RPC_HOST := rpc/host/src/server_host.c rpc/host/src/loop.c rpc/host/src/log.c rpc/host/src/sock.c rpc/host/src/tls.c \
  rpc/src/tls_common.c
# What the daemons share outside the runtime: options and the process.
DM_SRC := daemon/src/dm_opts.c daemon/src/dm_process.c
# The gateway's and storage's metrics over HTTP/1.1 (libmicrohttpd).
DM_METRICS_SRC := daemon/src/dm_http.c daemon/src/dm_metrics.c
# A board with FC_TLS := yes links mbedtls (fc_tls.c, and tls_common.c, which
# it shares with the host's tls.c); others refuse --tls.
FC_TLS_SRC := $(if $(filter yes,$(FC_TLS)),firmware-client/src/fc_tls.c rpc/src/tls_common.c,\
  firmware-client/src/fc_tls_none.c)
FC_LIB := firmware-client/src/fc_client.c firmware-client/src/fc_call.c firmware-client/src/fc_channel.c firmware-client/src/fc_arena.c \
  firmware-client/src/fc_console.c $(FC_TLS_SRC)
FC_MAIN := firmware-client/src/main.c
PORT_SRC := $(filter-out $(PORT_NET_OUT),$(wildcard port/$(PORT)/*.c) $(wildcard port/$(PORT)/*.S))
# The REST bridge (jansson, libmicrohttpd, the in-process channel) links
# into the gateway alone, not into the tests and fuzzers of its services.
GW_REST_SRC := $(wildcard gateway/src/gw_rest*.c) rpc/host/src/inproc.c
GW_SRC := $(filter-out $(GW_REST_SRC),$(wildcard gateway/src/*.c))
ST_SRC := $(wildcard storage/src/*.c)
PB_SRC := $(GEN)/api.pb.c
# tools/protoc-gen-fc's stubs: the board's ProdService client, the daemons'
# skeletons (health's with the server runtime), the gateway's storage calls.
FC_GEN := $(GEN)/api.fc.c
HEALTH_GEN := $(GEN)/health.pb.c $(GEN)/health.srv.c
API_SRV := $(GEN)/api.srv.c
API_CLI := $(GEN)/api.cli.c
HEALTH_CLI := $(GEN)/health.cli.c

obj = $(patsubst %,$(B)/obj/%.o,$(1))

CLIENT_OBJ := $(call obj,$(FC_MAIN) $(FC_LIB) $(RPC_CLIENT) $(RPC_COMMON) $(PORT_SRC) $(PB_SRC) $(FC_GEN))
GW_OBJ := $(call obj,$(GW_SRC) $(GW_REST_SRC) $(DM_SRC) $(DM_METRICS_SRC) $(RPC_SERVER) $(RPC_HOST) rpc/host/src/channel.c \
  $(RPC_CLIENT_CORE) $(RPC_COMMON) $(PB_SRC) $(HEALTH_GEN) $(API_SRV) $(API_CLI) $(HEALTH_CLI))
ST_OBJ := $(call obj,$(ST_SRC) $(DM_SRC) $(DM_METRICS_SRC) $(RPC_SERVER) $(RPC_HOST) $(RPC_COMMON) $(PB_SRC) \
  $(HEALTH_GEN) $(API_SRV))

.PHONY: certs unit all deps test demo run size bench fuzz clean format boards
# a recipe that fails leaves no half-written target that looks up to date
.DELETE_ON_ERROR:
all: $(BOARD_PROGRAMS)

$(GEN)/%.pb.c $(GEN)/%.pb.h: proto/%.proto proto/%.options
	@mkdir -p $(GEN)
	nanopb_generator.py -q -I proto -D $(GEN) $<
# gRPC stubs from the same .proto (tools/protoc-gen-fc): board clients
# (.fc.c) and host skeletons (.srv.c), beside nanopb's messages.
PROTOC_FC := protoc --plugin=protoc-gen-fc=tools/protoc-gen-fc
$(GEN)/%.fc.c $(GEN)/%.fc.h $(GEN)/%.srv.c $(GEN)/%.srv.h $(GEN)/%.cli.c $(GEN)/%.cli.h: proto/%.proto \
  tools/protoc-gen-fc
	@mkdir -p $(GEN)
	$(PROTOC_FC) -I proto --fc_out=$(GEN) $<
# Shared by every board's build: never deleted as intermediates, or two
# builds at once would race on them.
.SECONDARY: $(GEN)/api.pb.c $(GEN)/api.pb.h $(GEN)/health.pb.c $(GEN)/health.pb.h \
  $(foreach p,api health,$(foreach k,fc srv cli,$(GEN)/$(p).$(k).c $(GEN)/$(p).$(k).h))

# board.mk: its flags (PB_NO_ERRMSG) change what pb.h lays out
$(B)/obj/%.c.o: %.c $(GEN)/api.pb.h $(GEN)/health.pb.h $(GEN)/api.fc.h $(GEN)/api.srv.h \
  $(GEN)/api.cli.h $(GEN)/health.srv.h $(GEN)/health.cli.h $(DEPS_STAMP) boards/$(BOARD)/board.mk
	@mkdir -p $(dir $@)
	@echo "CC $<"
	@$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(B)/obj/%.S.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/bin/firmware-client$(EXE): $(CLIENT_OBJ) $(DEPS_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CLIENT_OBJ) $(CLIENT_LIBS) $(BOARD_LIBS)

$(B)/bin/gateway: $(GW_OBJ) $(TLS_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(GW_OBJ) -lnghttp2 -lprotobuf-nanopb -luuid -lmicrohttpd -ljansson $(TLS_LIBS) $(BOARD_LIBS)

$(B)/bin/storage: $(ST_OBJ) $(TLS_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(ST_OBJ) -lnghttp2 -lprotobuf-nanopb -lsqlite3 -lmicrohttpd $(PG_LIBS) $(TLS_LIBS) $(BOARD_LIBS)
# PostgreSQL's client (Debian's libpq-dev), for storage's st_pg*.c only.
PG_CFLAGS := -I/usr/include/postgresql
PG_LIBS := -lpq -pthread
$(B)/obj/storage/src/st_pg.c.o $(B)/obj/storage/src/st_pg_lookup.c.o: CFLAGS += $(PG_CFLAGS)

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
-include mk/*.mk

deps:
	bash tools/deps.sh

boards:
	for b in $(BOARDS); do $(MAKE) --no-print-directory BOARD=$$b || exit 1; done
	$(MAKE) --no-print-directory BOARD=lm3s6965evb FC_TLS=no
	$(MAKE) --no-print-directory BOARD=lm3s6965evb FC_TLS=no ERRSTR=no
	$(MAKE) --no-print-directory BOARD=lm3s6965evb ERRSTR=no
	for b in $(LWIP_BOARDS); do $(MAKE) --no-print-directory BOARD=$$b NET=lwip || exit 1; done
	$(MAKE) --no-print-directory BOARD=lm3s6965evb NET=lwip FC_TLS=no

test: deps
	$(MAKE) --no-print-directory boards
	$(MAKE) --no-print-directory BOARD=host-asan all unit
	bash tests/run.sh

demo: deps
	$(MAKE) --no-print-directory BOARD=host
	bash tools/demo.sh

run: all
	bash tools/run.sh

# Test certificates for the README's TLS examples (never committed).
certs:
	bash tools/certs.sh build/certs

clean:
	rm -rf build

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

# Unit tests: host boards only, one binary per tests/unit/test_*.c.
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
UNIT_LIB_OBJ := $(call obj,$(RPC_COMMON) firmware-client/src/fc_arena.c)
unit: $(UNIT_BINS)
# The TLS module's shared file, over the board's mbedtls.
$(B)/tests/test_tls_common: UNIT_EXTRA = $(call obj,rpc/src/tls_common.c) $(TLS_LIBS)
$(B)/tests/test_tls_common: $(call obj,rpc/src/tls_common.c) $(TLS_LIBS)
$(B)/tests/%: tests/unit/%.c $(UNIT_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -Itests/unit -Igateway/src -Istorage/src -o $@ $< $(UNIT_LIB_OBJ) \
	  $(UNIT_EXTRA) $(BOARD_LIBS)
# Tests that need more than UNIT_LIB_OBJ: the server core alone (driven by
# bytes, no socket), and the daemons' services (their method tables).
UNIT_CORE_OBJ := $(call obj,$(RPC_SERVER) rpc/host/src/log.c $(HEALTH_GEN))
UNIT_SERVICE_OBJ := $(call obj,$(filter-out %_main.c,$(GW_SRC) $(ST_SRC)) $(RPC_SERVER) \
  $(RPC_HOST) rpc/host/src/channel.c $(RPC_CLIENT_CORE) $(PB_SRC) $(HEALTH_GEN) $(API_SRV) $(API_CLI) $(HEALTH_CLI))
$(B)/tests/test_server_core: $(UNIT_CORE_OBJ)
$(B)/tests/test_server_core: UNIT_EXTRA = $(UNIT_CORE_OBJ) -lnghttp2 -lprotobuf-nanopb
$(B)/tests/test_method_tables: $(UNIT_SERVICE_OBJ) $(TLS_LIBS)
$(B)/tests/test_method_tables: UNIT_EXTRA = $(UNIT_SERVICE_OBJ) -lnghttp2 -lprotobuf-nanopb \
  -luuid -lsqlite3 $(PG_LIBS) $(TLS_LIBS)
# Tests of the gateway's services link the gateway without its main.
GW_LIB_OBJ := $(filter-out %/gw_main.c.o $(call obj,$(DM_METRICS_SRC) $(GW_REST_SRC)),$(GW_OBJ))
$(B)/tests/test_stream_deadline: tests/unit/test_stream_deadline.c $(GW_LIB_OBJ) $(TLS_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -Itests/unit -Igateway/src -o $@ $< $(GW_LIB_OBJ) \
	  -lnghttp2 -lprotobuf-nanopb -luuid $(TLS_LIBS) $(BOARD_LIBS)
# The gateway's wire path against nanopb.
$(B)/tests/test_gw_wire: $(call obj,gateway/src/gw_wire.c $(PB_SRC))
$(B)/tests/test_gw_wire: UNIT_EXTRA = $(call obj,gateway/src/gw_wire.c $(PB_SRC)) -lprotobuf-nanopb
$(B)/tests/test_st_wire: $(call obj,storage/src/st_wire.c $(PB_SRC))
$(B)/tests/test_st_wire: UNIT_EXTRA = $(call obj,storage/src/st_wire.c $(PB_SRC)) -lprotobuf-nanopb
# The in-process channel (the test includes inproc.c): both cores on the loop.
INPROC_TEST_OBJ := $(call obj,$(RPC_SERVER) $(RPC_CLIENT_CORE) rpc/host/src/loop.c \
  rpc/host/src/log.c $(HEALTH_GEN))
$(B)/tests/test_inproc: $(INPROC_TEST_OBJ)
$(B)/tests/test_inproc: UNIT_EXTRA = $(INPROC_TEST_OBJ) -lnghttp2 -lprotobuf-nanopb
# A TLS 1.3 client that replays a device's ticket without its keys
# (tests/tls/test_tls_forged_resume.sh); not a unit test of its own.
unit: $(B)/tools/tls_forged_resume
$(B)/tools/tls_forged_resume: tests/tls/tls_forged_resume.c $(TLS_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(TLS_LIBS)
# The event loop alone.
$(B)/tests/test_loop: $(call obj,rpc/host/src/loop.c rpc/host/src/log.c)
$(B)/tests/test_loop: UNIT_EXTRA = $(call obj,rpc/host/src/loop.c rpc/host/src/log.c)
# The link's decisions over a client core with no transport.
$(B)/tests/test_link: tests/unit/test_link.c $(call obj,$(RPC_CLIENT_CORE) $(RPC_COMMON))
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -Itests/unit -o $@ $< $(call obj,$(RPC_CLIENT_CORE) $(RPC_COMMON)) \
	  -lnghttp2 $(BOARD_LIBS)
# The pump with a fake port (the test defines port_time_ms and port_strerror).
$(B)/tests/test_pump: tests/unit/test_pump.c $(call obj,$(RPC_CLIENT) $(RPC_COMMON))
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -Itests/unit -o $@ $< $(call obj,$(RPC_CLIENT) $(RPC_COMMON)) \
	  -lnghttp2 $(BOARD_LIBS)
