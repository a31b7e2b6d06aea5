# make install [PREFIX=/usr/local] [DESTDIR=] [BOARDS="host armhf-linux ..."]
# (docs/build.md, "Installing"): what a packager takes, built first where
# it is missing:
#
#   SBINDIR/gateway, storage          the daemons, BOARD=host (-O2)
#   BINDIR/firmware-client            the host's client (BOARD=host)
#   BINDIR/protoc-gen-fc              the stub generator for the SDK
#   LIBDIR/grpc-fc/<board>/           each board's libgrpc-fc.a and the
#                                     libraries it needs (make BOARD=x lib);
#                                     link.ld, sections.ld on Cortex-M
#   INCLUDEDIR/grpc-fc/<board>/       each board's headers
#   LIBDIR/pkgconfig/grpc-fc-<board>.pc   Cflags and Libs of the installed
#                                     copy, every board (Cortex-M too)
#   MANDIR/man8/gateway.8, storage.8, MANDIR/man1/firmware-client.1
#                                     from --help and --version (help2man)
#   UNITDIR/grpc-fc-gateway.service, grpc-fc-storage.service
#   SYSCONFDIR/grpc-fc/gateway.conf, storage.conf   the units' options,
#                                     never overwritten once there
#
# Every board of BOARDS by default: after make deps the cross toolchains are
# there. BOARDS="host" installs the host's SDK alone. The plaintext and
# lwIP variants are not installed. Units, man pages and .pc files are made
# under build/install/ (the units and .pc files carry the paths, so they
# are made again at each install).
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
# /etc for /usr, as Debian's packages have it; PREFIX/etc elsewhere.
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
UNITDIR ?= $(PREFIX)/lib/systemd/system
INST := build/install
HOST_BIN := build/host/bin
# help2man's NAME line for each page
MAN_NAME_gateway := ProdService gRPC daemon, the devices' gateway to storage
MAN_NAME_storage := StorageService gRPC daemon, the product catalogue on SQLite or PostgreSQL
MAN_NAME_firmware-client := ProdService client, the host build of the boards' CLI
MAN_PAGES := $(INST)/man/gateway.8 $(INST)/man/storage.8 $(INST)/man/firmware-client.1
UNITS := grpc-fc-gateway.service grpc-fc-storage.service
# ${prefix} in a .pc file where a path is under PREFIX (pkg-config's
# --define-prefix, a relocated tree)
pc_path = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))

.PHONY: install install-host install-board
install:
	$(MAKE) --no-print-directory BOARD=host all
	$(MAKE) --no-print-directory BOARD=host install-host
	for b in $(BOARDS); do $(MAKE) --no-print-directory BOARD=$$b lib install-board || exit 1; done

# tools/man.sh PROGRAM SECTION NAME INCLUDE OUT (the NAME lines are here)
MAN_TOOLS := tools/man.sh tools/man/man-usage.awk mk/install.mk
$(INST)/man/%.8: $(HOST_BIN)/% tools/man/%.h2m $(MAN_TOOLS)
	@mkdir -p $(dir $@)
	bash tools/man.sh $< 8 "$(MAN_NAME_$*)" tools/man/$*.h2m $@
$(INST)/man/%.1: $(HOST_BIN)/% tools/man/%.h2m $(MAN_TOOLS)
	@mkdir -p $(dir $@)
	bash tools/man.sh $< 1 "$(MAN_NAME_$*)" tools/man/$*.h2m $@

# The units and their option files: @SBINDIR@ and @SYSCONFDIR@ filled in.
INST_SUBST := sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g'
install-host: $(MAN_PAGES)
	@mkdir -p $(INST)/systemd
	for u in $(UNITS) gateway.conf storage.conf; do \
	  $(INST_SUBST) tools/systemd/$$u.in >$(INST)/systemd/$$u || exit 1; done
	install -d -m 0755 $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
	  $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/grpc-fc
	install -m 0755 $(HOST_BIN)/gateway $(HOST_BIN)/storage $(DESTDIR)$(SBINDIR)/
	install -m 0755 $(HOST_BIN)/firmware-client tools/protoc-gen-fc $(DESTDIR)$(BINDIR)/
	install -m 0644 $(INST)/man/gateway.8 $(INST)/man/storage.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(INST)/man/firmware-client.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 0644 $(addprefix $(INST)/systemd/,$(UNITS)) $(DESTDIR)$(UNITDIR)/
	@# an operator's options stay as they are
	for c in gateway.conf storage.conf; do [ -e $(DESTDIR)$(SYSCONFDIR)/grpc-fc/$$c ] || \
	  install -m 0644 $(INST)/systemd/$$c $(DESTDIR)$(SYSCONFDIR)/grpc-fc/ || exit 1; done

# One board's SDK (run with BOARD=x after make BOARD=x lib): the build tree's
# build/<board>/lib and include, and a .pc that points at the installed copy.
INST_LIBDIR := $(LIBDIR)/grpc-fc/$(BOARD)
INST_INCDIR := $(INCLUDEDIR)/grpc-fc/$(BOARD)
# Recursive (=): mk/lib.mk, read after this file, sets LIB_*; and ${libdir}
# must stay for pkg-config.
ifeq ($(PORT),cortex-m)
# the flags of docs/sdk.md's Cortex-M build: the CPU, what nanopb was built
# with, newlib-nano, the port's startup, the board's memory map through -L
INST_PC_CFLAGS = $(CPU_FLAGS) -ffunction-sections -fdata-sections $(LIB_CFLAGS)
INST_PC_LIBS = $(CPU_FLAGS) --specs=nano.specs -nostartfiles -L$${libdir} -T link.ld \
  -Wl,--gc-sections $(LIB_LIBS)
# QEMU's machine without the firmware client's own semihosting arguments:
# a program adds -semihosting-config, -serial and -kernel (docs/sdk.md)
INST_PC_RUNNER = $(filter-out -semihosting-config enable=%,$(RUNNER))
else
INST_PC_CFLAGS = $(LIB_CFLAGS)
INST_PC_LIBS = -L$${libdir} $(LIB_LIBS) $(BOARD_LDFLAGS)
INST_PC_RUNNER = $(RUNNER)
endif
define INST_PC
prefix=$(PREFIX)
libdir=$(call pc_path,$(INST_LIBDIR))
includedir=$(call pc_path,$(INST_INCDIR))
board=$(BOARD)
cc=$(CC)
runner=$(INST_PC_RUNNER)
protoc_gen_fc=$(call pc_path,$(BINDIR)/protoc-gen-fc)

Name: grpc-fc-$(BOARD)
Description: gRPC client SDK of the firmware client for $(BOARD) (docs/sdk.md)
Version: $(LIB_VERSION)
Cflags: $(strip -I$${includedir} $(INST_PC_CFLAGS))
Libs: $(strip $(INST_PC_LIBS))
endef

# $(file) runs before the recipe's first line: the folder comes first.
install-board: lib | $(INST)/pkgconfig/.dir
	$(file >$(INST)/pkgconfig/grpc-fc-$(BOARD).pc,$(INST_PC))
	install -d -m 0755 $(DESTDIR)$(INST_LIBDIR) $(DESTDIR)$(INST_INCDIR) $(DESTDIR)$(LIBDIR)/pkgconfig
	install -m 0644 $(wildcard $(LIB_DIR)/*.a $(LIB_DIR)/*.ld) $(DESTDIR)$(INST_LIBDIR)/
	rm -rf $(DESTDIR)$(INST_INCDIR) && cp -R $(LIB_INC) $(DESTDIR)$(INST_INCDIR)
	rm -f $(DESTDIR)$(INST_INCDIR)/.stamp
	find $(DESTDIR)$(INST_INCDIR) -type d -exec chmod 0755 {} + -o -type f -exec chmod 0644 {} +
	install -m 0644 $(INST)/pkgconfig/grpc-fc-$(BOARD).pc $(DESTDIR)$(LIBDIR)/pkgconfig/
$(INST)/pkgconfig/.dir:
	@mkdir -p $(dir $@) && touch $@
