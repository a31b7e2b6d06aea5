# make bench: our stack against its peers (grpc-go, grpc C++, grpcio, nghttpd) on this
# machine, in one run; writes docs/benchmarks.md and docs/benchmarks.png, and the
# per-node figures of docs/scaling.md (SQLite and PostgreSQL, tools/bench-scaling.sh); then
# the channel on the Cortex-M boards at two QEMU clocks (tools/bench-boards.sh),
# into docs/boards.md, and over TCP/IP (tools/bench-boards-lwip.sh, in a
# network namespace of its own: as root).
# Not part of make test (the callgrind ceilings are: tests/perf/). Installs
# its packages first (tools/bench-deps.sh, as root), measures the host build
# (build/host/bin, -O2). Knobs: BENCH_RUNS, BENCH_SECONDS, ... (tools/bench.sh).
bench:
	bash tools/bench-deps.sh
	$(MAKE) --no-print-directory BOARD=host all
	bash tools/bench.sh
	bash tools/bench-fleet.sh --doc docs/benchmarks.md
	bash tools/bench-scaling.sh --doc docs/scaling.md
	$(MAKE) --no-print-directory boards
	bash tools/bench-boards.sh --doc docs/boards.md
	bash tools/bench-boards-lwip.sh --doc docs/boards.md
