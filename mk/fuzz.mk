# libFuzzer targets (docs/fuzzing.md): clang -fsanitize=fuzzer,address,undefined,
# one binary per tests/fuzz/fuzz_*.c in build/fuzz/, with their own objects of
# the project's sources in build/fuzz/obj/ (BOARD=host, the default: they link
# its mbedtls).
#
#   make fuzz          each target for FUZZ_SECONDS (300), one after the other;
#                      new inputs go to build/fuzz/corpus/<target>/, crashes to
#                      build/fuzz/artifacts/<target>/
#   make fuzz-smoke    each target replays tests/fuzz/regressions/<target>/, then
#                      runs FUZZ_SMOKE_SECONDS (10) from its seed corpus; fails
#                      on any crash, leak, sanitizer report or timeout
#   make fuzz-build    the binaries only
#   make fuzz-<target> one target for FUZZ_SECONDS (e.g. make fuzz-server,
#                      make fuzz-server_core)
#
# FUZZ_TARGETS picks targets (default: all), FUZZ_ARGS adds libFuzzer flags.
# Host libraries: -lnghttp2 -lprotobuf-nanopb -luuid -lsqlite3, and the host
# board's mbedtls 3.6 (build/host/deps, mk/mbedtls.mk), not instrumented. nanopb's runtime is compiled instrumented from Debian's source
# tree when tools/deps-src.sh has fetched it into build/src/ (the cross boards
# do), which gives fuzz_pb coverage feedback inside the decoder.

FUZZ_DIR := build/fuzz
FUZZ_CC ?= clang
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_MBEDTLS := build/host/deps
FUZZ_INC := -Iport/include -Irpc/include -Irpc/host/include -Ifirmware-client/include -Idaemon/include -Iboards/host -I$(GEN) \
  -Igateway/src -Istorage/src -I/usr/include/postgresql -Itests/fuzz -isystem $(FUZZ_MBEDTLS)/include \
  -DMBEDTLS_CONFIG_FILE='"mbedtls_board.h"'
FUZZ_BASE := -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer $(FUZZ_SAN) \
  -fsanitize=fuzzer-no-link $(FUZZ_INC)
# The harnesses keep the house warnings as errors; the project's sources get
# the same warnings without -Werror, so clang's other opinions do not break
# the fuzz build of code this file does not own.
FUZZ_CFLAGS_HARNESS := $(FUZZ_BASE) $(WARN)
FUZZ_CFLAGS_SRC := $(FUZZ_BASE) $(filter-out -Werror,$(WARN))

FUZZ_ALL := server server_core client deframer pb codecs storage calls
FUZZ_TARGETS ?= $(FUZZ_ALL)
FUZZ_SECONDS ?= 300
FUZZ_SMOKE_SECONDS ?= 10
FUZZ_ARGS ?=

FUZZ_NANOPB_C := $(wildcard $(addprefix $(firstword $(wildcard build/src/nanopb-*))/,pb_common.c pb_encode.c pb_decode.c))
ifeq ($(words $(FUZZ_NANOPB_C)),3)
FUZZ_NANOPB_SRC := $(FUZZ_NANOPB_C)
FUZZ_NANOPB_LIB :=
else
FUZZ_NANOPB_SRC :=
FUZZ_NANOPB_LIB := -lprotobuf-nanopb
endif
FUZZ_LIBS := -lnghttp2 $(FUZZ_NANOPB_LIB) -luuid -lsqlite3 -lpq -pthread $(FUZZ_MBEDTLS)/lib/libmbedtls.a
# The host's mbedtls, built first by this make, hence BOARD=host (the default).
ifneq ($(filter fuzz%,$(MAKECMDGOALS)),)
ifneq ($(BOARD),host)
$(error make fuzz links the host board's mbedtls: run it with BOARD=host, the default)
endif
endif
FUZZ_MBEDTLS_DEPS := $(MBEDTLS_STAMP) $(MBEDTLS_CONFIG_H)

fuzz_obj = $(patsubst %,$(FUZZ_DIR)/obj/%.o,$(1))
# Every proto's generated code (the Makefile's $(GEN)/%.pb.c rule makes it).
FUZZ_PB_SRC := $(patsubst proto/%.proto,$(GEN)/%.pb.c,$(wildcard proto/*.proto)) $(HEALTH_GEN) \
  $(API_SRV) $(API_CLI) $(HEALTH_CLI)
FUZZ_PB_H := $(FUZZ_PB_SRC:.c=.h)

# The daemons' objects as the Makefile lists them, less their main()s and the
# log (fuzz_log.c stands in for it).
FUZZ_SERVER_SRC := tests/fuzz/fuzz_server_harness.c tests/fuzz/fuzz_log.c $(RPC_COMMON) \
  $(RPC_SERVER) $(filter-out rpc/host/src/log.c,$(RPC_HOST)) rpc/host/src/channel.c $(RPC_CLIENT_CORE) \
  $(filter-out %_main.c,$(GW_SRC) $(ST_SRC)) $(FUZZ_PB_SRC) $(FUZZ_NANOPB_SRC)
FUZZ_SRC_server := $(FUZZ_SERVER_SRC)
FUZZ_SRC_storage := $(FUZZ_SERVER_SRC)
FUZZ_SRC_calls := $(FUZZ_SERVER_SRC)
FUZZ_SRC_client := rpc/src/client.c $(RPC_COMMON) $(PB_SRC) $(FUZZ_NANOPB_SRC)
# The server core alone, with no socket, loop or host file: its health
# service and the fuzzer's own handlers.
FUZZ_SRC_server_core := tests/fuzz/fuzz_log.c $(RPC_SERVER) $(RPC_COMMON) $(HEALTH_GEN) \
  $(FUZZ_NANOPB_SRC)
FUZZ_SRC_deframer := rpc/src/frame.c
FUZZ_SRC_codecs := $(RPC_COMMON)
FUZZ_SRC_pb := $(PB_SRC) $(FUZZ_NANOPB_SRC)

# libFuzzer flags per target: inputs as long as a few HTTP/2 frames need, and
# the HTTP/2 dictionary for those that speak it.
FUZZ_OPTS := -timeout=20 -rss_limit_mb=2048 -print_final_stats=1
FUZZ_OPTS_server := -max_len=16384 -dict=tests/fuzz/http2.dict
FUZZ_OPTS_server_core := -max_len=16384 -dict=tests/fuzz/http2.dict
FUZZ_OPTS_client := -max_len=16384 -dict=tests/fuzz/http2.dict
FUZZ_OPTS_storage := -max_len=1024
FUZZ_OPTS_calls := -max_len=1024
FUZZ_OPTS_deframer := -max_len=4096
FUZZ_OPTS_codecs := -max_len=512
FUZZ_OPTS_pb := -max_len=2048

FUZZ_BINS := $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_TARGETS))

.PHONY: fuzz fuzz-build fuzz-smoke $(patsubst %,fuzz-%,$(FUZZ_ALL))
fuzz-build: $(FUZZ_BINS)

# The objects of the project's sources and of the harnesses.
$(FUZZ_DIR)/obj/tests/fuzz/%.c.o: tests/fuzz/%.c $(FUZZ_PB_H)
	@mkdir -p $(dir $@)
	@echo "FUZZ CC $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS_HARNESS) -MMD -MP -c $< -o $@

$(FUZZ_DIR)/obj/build/src/%.c.o: build/src/%.c
	@mkdir -p $(dir $@)
	@echo "FUZZ CC $<"
	@$(FUZZ_CC) $(FUZZ_BASE) -w -c $< -o $@

$(FUZZ_DIR)/obj/%.c.o: %.c $(FUZZ_PB_H) $(FUZZ_MBEDTLS_DEPS)
	@mkdir -p $(dir $@)
	@echo "FUZZ CC $<"
	@$(FUZZ_CC) $(FUZZ_CFLAGS_SRC) -MMD -MP -c $< -o $@

define fuzz_link
$(FUZZ_DIR)/fuzz_$(1): $(FUZZ_DIR)/obj/tests/fuzz/fuzz_$(1).c.o $(call fuzz_obj,$(FUZZ_SRC_$(1))) \
  $(FUZZ_MBEDTLS)/lib/libmbedtls.a
	@echo "FUZZ LD $$@"
	@$$(FUZZ_CC) -fsanitize=fuzzer $$(FUZZ_SAN) -o $$@ $$(filter %.o,$$^) $$(FUZZ_LIBS)
endef
$(foreach t,$(FUZZ_ALL),$(eval $(call fuzz_link,$(t))))

# One target: build/fuzz/corpus/<t> is written, the seeds are only read.
fuzz_run = mkdir -p $(FUZZ_DIR)/corpus/$(1) $(FUZZ_DIR)/artifacts/$(1) && \
  echo "fuzz: fuzz_$(1) for $(2) s" && \
  $(FUZZ_DIR)/fuzz_$(1) $(FUZZ_OPTS) $(FUZZ_OPTS_$(1)) -max_total_time=$(2) \
    -artifact_prefix=$(FUZZ_DIR)/artifacts/$(1)/ $(FUZZ_ARGS) \
    $(FUZZ_DIR)/corpus/$(1) tests/fuzz/corpus/$(1)

fuzz: fuzz-build
	@set -e; $(foreach t,$(FUZZ_TARGETS),$(call fuzz_run,$(t),$(FUZZ_SECONDS));)

$(patsubst %,fuzz-%,$(FUZZ_ALL)): fuzz-%: $(FUZZ_DIR)/fuzz_%
	@$(call fuzz_run,$*,$(FUZZ_SECONDS))

# The smoke run, per target: the regressions replayed (each must pass), then a
# short run from the seeds into a scratch corpus emptied first, so that every
# smoke run starts from what is committed. Every target runs even when one
# fails; the run fails if any did.
fuzz_smoke = echo "fuzz-smoke: fuzz_$(1): regressions: $$(ls tests/fuzz/regressions/$(1) 2>/dev/null | wc -l) inputs"; \
  log=$(FUZZ_DIR)/smoke-$(1).log; rm -f $$log; \
  regs=$$(find tests/fuzz/regressions/$(1) -type f ! -name '.*' 2>/dev/null | sort); \
  mkdir -p $(FUZZ_DIR)/artifacts/$(1); \
  if [ -n "$$regs" ] && ! $(FUZZ_DIR)/fuzz_$(1) $(FUZZ_OPTS) $(FUZZ_OPTS_$(1)) \
      -artifact_prefix=$(FUZZ_DIR)/artifacts/$(1)/ $$regs >>$$log 2>&1; then \
    tail -40 $$log; echo "fuzz-smoke: fuzz_$(1): FAIL: a regression input fails (log: $$log)"; fails="$$fails $(1)"; \
  else \
    echo "fuzz-smoke: fuzz_$(1): $(FUZZ_SMOKE_SECONDS) s from tests/fuzz/corpus/$(1)"; \
    rm -rf $(FUZZ_DIR)/smoke/$(1); mkdir -p $(FUZZ_DIR)/smoke/$(1) $(FUZZ_DIR)/artifacts/$(1); \
    if $(FUZZ_DIR)/fuzz_$(1) $(FUZZ_OPTS) $(FUZZ_OPTS_$(1)) -max_total_time=$(FUZZ_SMOKE_SECONDS) \
        -artifact_prefix=$(FUZZ_DIR)/artifacts/$(1)/ $(FUZZ_ARGS) \
        $(FUZZ_DIR)/smoke/$(1) tests/fuzz/corpus/$(1) >>$$log 2>&1; then \
      echo "fuzz-smoke: fuzz_$(1): ok, $$(sed -n 's/^stat::number_of_executed_units: *//p' $$log | tail -1) runs"; \
    else \
      tail -40 $$log; echo "fuzz-smoke: fuzz_$(1): FAIL (log: $$log, input: $(FUZZ_DIR)/artifacts/$(1)/)"; fails="$$fails $(1)"; \
    fi; \
  fi;

fuzz-smoke: fuzz-build
	@fails=; $(foreach t,$(FUZZ_TARGETS),$(call fuzz_smoke,$(t))) \
	if [ -n "$$fails" ]; then echo "fuzz-smoke: FAILED:$$fails"; exit 1; fi; echo "fuzz-smoke: all passed"

ifneq ($(filter fuzz%,$(MAKECMDGOALS)),)
-include $(shell find $(FUZZ_DIR)/obj -name '*.d' 2>/dev/null)
endif
