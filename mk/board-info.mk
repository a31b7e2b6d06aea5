# make BOARD=x board-info: what scripts need to know about a board, as shell
# assignments: to run its client (tests/qemu/: RUNNER and EXE, from its
# board.mk), and to read its objects (tests/style/test_layering.sh: NM, the
# board's nm beside its compiler, and PROGRAMS, what the board builds).
.PHONY: board-info
board-info:
	@echo "PORT='$(PORT)' EXE='$(EXE)' RUNNER='$(RUNNER)'" \
	  "NM='$(patsubst %gcc,%nm,$(CC))' PROGRAMS='$(notdir $(BOARD_PROGRAMS))'"
