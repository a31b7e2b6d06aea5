# make BOARD=x board-info: what scripts need to know to run a board's client
# (tests/qemu/), as shell assignments; RUNNER and EXE come from its board.mk.
.PHONY: board-info
board-info:
	@echo "PORT='$(PORT)' EXE='$(EXE)' RUNNER='$(RUNNER)'"
