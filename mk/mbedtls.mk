# mbedtls 3.6 (TLS 1.2 and 1.3) for every board, the host's daemons included:
# compiled with the board's compiler and flags from Debian 13's source package
# (tools/deps-src.sh fetches it into build/src/mbedtls; Debian 12's 2.28 has no
# TLS 1.3, see docs/design.md) into
#   build/<board>/deps/include/   mbedtls/*.h, psa/*.h
#   build/<board>/deps/lib/       libmbedtls.a (crypto, X.509 and TLS together)
# and configured by boards/<board>/mbedtls_board.h (MBEDTLS_CONFIG_FILE), for
# the library and for our code alike.
#
# A board.mk sets MBEDTLS_FROM_SOURCE := yes and includes this file (a cross
# board through mk/deps.mk), because the Makefile expands DEPS_CFLAGS and
# DEPS_STAMP as soon as it reads them; the Makefile's own -include mk/*.mk then
# does nothing. Where mbedtls allocates is the board's config's business: the
# cross boards give it the firmware client's arena through mbedtls's platform
# door (mk/deps/mbedtls-config-arena.h); the host's daemons keep the C
# library's allocator.
ifeq ($(MBEDTLS_FROM_SOURCE)$(mbedtls_mk_read),yes)
mbedtls_mk_read := yes
mbedtls_goal := $(.DEFAULT_GOAL)

MBEDTLS_DIR := build/$(BOARD)/deps
MBEDTLS_SRC := build/src/mbedtls
# Written by tools/deps-src.sh with the tree's name when it fetches one: a new
# version (rm -rf build/src/mbedtls* to take Debian's latest) is newer than
# every copied header and object, whatever dates its files carry.
MBEDTLS_FETCHED := build/src/mbedtls.version
MBEDTLS_CONFIG := -DMBEDTLS_CONFIG_FILE='"mbedtls_board.h"' -Iboards/$(BOARD)
MBEDTLS_LIB := $(MBEDTLS_DIR)/lib/libmbedtls.a
MBEDTLS_STAMP := $(MBEDTLS_DIR)/stamp-mbedtls
DEPS_CFLAGS += -isystem $(MBEDTLS_DIR)/include $(MBEDTLS_CONFIG)
DEPS_STAMP += $(MBEDTLS_STAMP)
TLS_LIBS := $(MBEDTLS_LIB)

# library/Makefile's OBJS_CRYPTO, OBJS_X509 and OBJS_TLS, all in one archive:
# what the board's config leaves out compiles to nothing, and the linker takes
# only what is reached.
MBEDTLS_MODULES := aes aesni aesce aria asn1parse asn1write base64 bignum bignum_core bignum_mod \
  bignum_mod_raw block_cipher camellia ccm chacha20 chachapoly cipher cipher_wrap cmac \
  constant_time ctr_drbg des dhm ecdh ecdsa ecjpake ecp ecp_curves ecp_curves_new entropy \
  entropy_poll error gcm hkdf hmac_drbg lmots lms md md5 memory_buffer_alloc nist_kw oid padlock \
  pem pk pk_ecc pk_wrap pkcs12 pkcs5 pkparse pkwrite platform platform_util poly1305 psa_crypto \
  psa_crypto_aead psa_crypto_cipher psa_crypto_client psa_crypto_driver_wrappers_no_static \
  psa_crypto_ecp psa_crypto_ffdh psa_crypto_hash psa_crypto_mac psa_crypto_pake psa_crypto_random \
  psa_crypto_rsa psa_crypto_se psa_crypto_slot_management psa_crypto_storage psa_its_file psa_util \
  ripemd160 rsa rsa_alt_helpers sha1 sha256 sha512 sha3 threading timing version \
  version_features x509 x509_create x509_crl x509_crt x509_csr x509write x509write_crt \
  x509write_csr pkcs7 debug mps_reader mps_trace net_sockets ssl_cache ssl_ciphersuites ssl_client \
  ssl_cookie ssl_debug_helpers_generated ssl_msg ssl_ticket ssl_tls ssl_tls12_client \
  ssl_tls12_server ssl_tls13_keys ssl_tls13_client ssl_tls13_server ssl_tls13_generic
MBEDTLS_OBJ := $(patsubst %,$(MBEDTLS_DIR)/obj/mbedtls/%.o,$(MBEDTLS_MODULES))
# Its headers, copied whole; build_info.h (new in 3.x) stands for them all.
MBEDTLS_H := $(MBEDTLS_DIR)/include/mbedtls/build_info.h
# The board's config, and what it includes.
MBEDTLS_CONFIG_H := $(wildcard boards/$(BOARD)/mbedtls_board.h \
  mk/deps/mbedtls-config-*.h)
# Third-party code: the board's CPU and optimisation flags, not our warnings.
MBEDTLS_CC := $(CC) $(BOARD_CFLAGS) -w -I$(MBEDTLS_DIR)/include -I$(MBEDTLS_SRC)/library \
  $(MBEDTLS_CONFIG)

$(MBEDTLS_STAMP): $(MBEDTLS_LIB) $(MBEDTLS_H)
	@touch $@

# Fetched (as root; otherwise the script says how) once, even under make -j;
# on the cross boards after nghttp2's and nanopb's (mk/deps.mk), so that two
# runs of the script never overlap.
$(MBEDTLS_FETCHED): | $(DEPS_FETCHED)
	bash tools/deps-src.sh

$(MBEDTLS_SRC)/%: | $(MBEDTLS_FETCHED)
	@test -f $@ || { echo "deps: $@ missing after tools/deps-src.sh" >&2; exit 1; }
.PRECIOUS: $(MBEDTLS_SRC)/%

$(MBEDTLS_H): $(MBEDTLS_SRC)/include/mbedtls/build_info.h $(MBEDTLS_FETCHED)
	@mkdir -p $(MBEDTLS_DIR)/include
	rm -rf $(MBEDTLS_DIR)/include/mbedtls $(MBEDTLS_DIR)/include/psa
	cp -r $(MBEDTLS_SRC)/include/mbedtls $(MBEDTLS_SRC)/include/psa $(MBEDTLS_DIR)/include/
	@touch $@

# A board may compile some modules with other flags (MBEDTLS_SPEED_MODULES
# with MBEDTLS_SPEED_CFLAGS, which come after the board's and so win):
# the Cortex-M boards build the bignum and curve arithmetic for speed.
$(MBEDTLS_DIR)/obj/mbedtls/%.o: $(MBEDTLS_SRC)/library/%.c $(MBEDTLS_H) $(MBEDTLS_CONFIG_H) \
  mk/mbedtls.mk boards/$(BOARD)/board.mk
	@mkdir -p $(dir $@)
	@echo "CC $<"
	@$(MBEDTLS_CC) $(if $(filter $*,$(MBEDTLS_SPEED_MODULES)),$(MBEDTLS_SPEED_CFLAGS)) -c $< -o $@

$(MBEDTLS_LIB): $(MBEDTLS_OBJ)
	@mkdir -p $(dir $@)
	@echo "AR $@"
	@rm -f $@ && $(patsubst %gcc,%ar,$(CC)) rcs $@ $^

.PHONY: mbedtls
mbedtls: $(MBEDTLS_STAMP)

.DEFAULT_GOAL := $(mbedtls_goal)
endif
