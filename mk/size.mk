# make size: builds the bare-metal boards (with TLS, and lm3s6965evb's
# plaintext variant too), and their lwIP builds (NET=lwip), and writes docs/footprint.md from arm-none-eabi-size
# on those images (tools/footprint.sh).
SIZE_BOARDS := lm3s6965evb mps2-an385

size:
	for b in $(SIZE_BOARDS); do $(MAKE) --no-print-directory BOARD=$$b || exit 1; done
	$(MAKE) --no-print-directory BOARD=lm3s6965evb FC_TLS=no
	for b in $(SIZE_BOARDS); do $(MAKE) --no-print-directory BOARD=$$b NET=lwip || exit 1; done
	$(MAKE) --no-print-directory BOARD=lm3s6965evb NET=lwip FC_TLS=no
	bash tools/footprint.sh lm3s6965evb-notls $(SIZE_BOARDS) lm3s6965evb-lwip-notls \
	  $(patsubst %,%-lwip,$(SIZE_BOARDS)) > docs/footprint.md.tmp
	mv docs/footprint.md.tmp docs/footprint.md
	@cat docs/footprint.md
