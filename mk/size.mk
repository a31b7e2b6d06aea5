# make size: builds the bare-metal boards and writes docs/footprint.md from
# arm-none-eabi-size on those images (tools/footprint.sh).
SIZE_BOARDS := lm3s6965evb mps2-an385

size:
	for b in $(SIZE_BOARDS); do $(MAKE) --no-print-directory BOARD=$$b || exit 1; done
	bash tools/footprint.sh $(SIZE_BOARDS) > docs/footprint.md.tmp
	mv docs/footprint.md.tmp docs/footprint.md
	@cat docs/footprint.md
