# iommu-dirtyctl: kernel series, library, CLI and tests.
#
#   make deps      install missing Debian packages (root)
#   make kernel    patched 6.12 kernel + uapi headers (KERNEL_VARIANT=debug too)
#   make           userspace against those headers
#   make check     unit tests, Bats suites and the upstream selftest in QEMU
#   make demo      boot the VM, run an owner workload, show it as an operator
#   make shell     interactive VM with a workload running
#   make soak      long no-loss run on the debug kernel
#   make bench     bitmap-get against the ioctl, observer cost, bytes on the wire, top's CPU
#   make fuzz      FUZZ_COUNT fuzzed messages and the fail-nth walk on the debug kernel
#   make install   PREFIX=/usr/local DESTDIR= (builds only the library and the CLI)
#   make clean     remove build/ except the unpacked kernel and its objects
#   make distclean remove build/

include kernel/source.env

TOP := $(CURDIR)
B := $(TOP)/build
KERNEL_VARIANT ?= default
PREFIX ?= /usr/local
DESTDIR ?=

HDR := $(B)/linux/hdr/include
KSRC := $(B)/linux/src
# CC, CFLAGS, CPPFLAGS and LDFLAGS from the environment or the command line
# reach every compile and link (a distribution's hardening flags).
# -Werror is the project's own builds' (and `make check`'s); a distribution
# drops it with `make WERROR=`.
ifeq ($(origin CC),default)
CC := gcc
endif
CFLAGS ?= -O2 -g
WERROR ?= -Werror
WARN := -Wall -Wextra $(WERROR)
CPPFLAGS_COMMON := -std=c11 -D_GNU_SOURCE -isystem $(HDR)
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

DEPS_OK := $(B)/.deps-ok
HDR_OK := $(B)/linux/hdr/include/linux/iommufd.h
# `make lib`, `make cli` and `make install` are what a distribution runs:
# they need a compiler, libnl-genl-3, libcap and ncurses, and never install
# packages or build a kernel. Any other goal checks the packages first.
PACKAGING_GOALS := lib cli install
DEPS := $(if $(filter-out $(PACKAGING_GOALS),$(or $(MAKECMDGOALS),all)),$(DEPS_OK))

# ---- libiommudirty (lib/) ------------------------------------------------------
# Built against its own copy of the family's uapi header (lib/uapi), since
# distributions' kernel headers lack it; `make check` compares the copy with
# what the series generates.
# The one version string: IOMMUDIRTY_VERSION in the public header.
LIB_VERSION := $(shell sed -n 's/^[#]define IOMMUDIRTY_VERSION "\([0-9.]*\)"$$/\1/p' \
	lib/include/iommudirty.h)
LIB_SONAME := libiommudirty.so.0
LIB_SRCS := lib/iommudirty.c lib/parse.c lib/reader.c lib/names.c
LIB_HDRS := lib/include/iommudirty.h lib/internal.h lib/uapi/linux/iommu_dirty.h
NL_CFLAGS = $$(pkg-config --cflags libnl-genl-3.0)
NL_LIBS = $$(pkg-config --libs libnl-genl-3.0)
LIB_CPPFLAGS := -std=c11 -D_GNU_SOURCE -Ilib/include -Ilib/uapi
LIB_SO := $(B)/lib/$(LIB_SONAME).$(LIB_VERSION:0.%=%)
LIB_A := $(B)/lib/libiommudirty.a
LIB_OBJS := $(LIB_SRCS:lib/%.c=$(B)/lib/obj/%.o)

$(B)/lib/obj/%.o: lib/%.c $(LIB_HDRS) | $(DEPS)
	@mkdir -p $(@D)
	$(CC) $(LIB_CPPFLAGS) $(CPPFLAGS) $(NL_CFLAGS) $(WARN) $(CFLAGS) -fPIC -fvisibility=hidden \
		-c -o $@ $<

$(LIB_SO): $(LIB_OBJS) lib/libiommudirty.map
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,$(LIB_SONAME) \
		-Wl,--version-script=lib/libiommudirty.map -Wl,--no-undefined -o $@ $(LIB_OBJS) \
		$(NL_LIBS)
	ln -sf $(@F) $(B)/lib/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(B)/lib/libiommudirty.so
	@# Exported symbols must be exactly those of the version script
	@nm -D --defined-only $@ | awk '$$2 == "T" { print $$3 }' | sed 's/@.*//' | sort \
		>$(B)/lib/obj/exports
	@sed -n 's/^[[:space:]]*\(iommudirty_[a-z_]*\);/\1/p' lib/libiommudirty.map | sort | \
		diff -u - $(B)/lib/obj/exports || \
		{ echo "exports differ from lib/libiommudirty.map" >&2; rm -f $@; exit 1; }

$(LIB_A): $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $(LIB_OBJS)

lib: $(LIB_SO) $(LIB_A)

# ---- iommu-dirtyctl (cli/) ----------------------------------------------------
# Linked against libiommudirty.so, so its symbol versions are what the CLI
# binds to. build/bin's copy finds build/lib through its RUNPATH; the one
# `make install` installs is linked without one.
CLI_SRCS := $(wildcard cli/*.c) common/opts.c
CLI_HDRS := $(wildcard cli/*.h) common/opts.h lib/include/iommudirty.h
CLI_OBJS := $(CLI_SRCS:%.c=$(B)/cli/obj/%.o)
CLI_LIBS := -L$(B)/lib -liommudirty -lcap $$(pkg-config --libs ncursesw cairo)

$(B)/cli/obj/%.o: %.c $(CLI_HDRS) | $(DEPS)
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE -Icli -Icommon -Ilib/include $$(pkg-config --cflags cairo) \
		$(CPPFLAGS) $(WARN) $(CFLAGS) -c -o $@ $<

$(B)/bin/iommu-dirtyctl: $(CLI_OBJS) $(LIB_SO)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(LDFLAGS) -Wl,-rpath,'$$ORIGIN/../lib' -o $@ $(CLI_OBJS) $(CLI_LIBS)

$(B)/cli/iommu-dirtyctl: $(CLI_OBJS) $(LIB_SO)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJS) $(CLI_LIBS)

cli: $(B)/bin/iommu-dirtyctl $(B)/cli/iommu-dirtyctl

# ---- test helpers (tests/tools) ---------------------------------------------
TOOLS_COMMON := tests/tools/iommufd.c common/opts.c
TOOLS_HDRS := $(wildcard tests/tools/*.h common/*.h)
TOOLS := $(B)/tests/mock-owner $(B)/tests/vfio-owner $(B)/tests/dump-loop $(B)/tests/noloss \
	$(B)/tests/observe $(B)/tests/dirty-bench $(B)/tests/nlfuzz $(B)/tests/failnth $(B)/tests/churn \
	$(B)/tests/lib-check $(B)/tests/exactread $(B)/tests/stall-owner
UNIT_TESTS := $(B)/tests/unit/test-opts $(B)/tests/unit/test-lib $(B)/tests/unit/test-cli \
	$(B)/tests/unit/test-recfile
# iommufd_test.h is not exported by headers_install; take it from our tree.
TOOLS_CPPFLAGS := $(CPPFLAGS_COMMON) -Icommon -I$(KSRC)/drivers/iommu/iommufd

.PHONY: all lib cli deps kernel check unit demo shell soak bench fuzz install clean distclean selftest
all: lib cli $(TOOLS) $(UNIT_TESTS)

$(DEPS_OK): scripts/deps.sh kernel/source.env
	@scripts/deps.sh check || scripts/deps.sh install
	@mkdir -p $(B) && touch $@

deps:
	scripts/deps.sh install
	@mkdir -p $(B) && touch $(DEPS_OK)

# Always run the kernel script: it decides in seconds whether anything changed.
kernel: $(DEPS_OK)
	scripts/kernel.sh $(KERNEL_VARIANT)

$(HDR_OK): | $(DEPS_OK)
	scripts/kernel.sh default

$(B)/tests/mock-owner: tests/tools/mock_owner.c $(TOOLS_COMMON) $(TOOLS_HDRS) $(HDR_OK)
	@mkdir -p $(@D)
	$(CC) $(TOOLS_CPPFLAGS) $(CPPFLAGS) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $< $(TOOLS_COMMON)

$(B)/tests/vfio-owner: tests/tools/vfio_owner.c $(TOOLS_COMMON) $(TOOLS_HDRS) $(HDR_OK)
	@mkdir -p $(@D)
	$(CC) $(TOOLS_CPPFLAGS) $(CPPFLAGS) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $< $(TOOLS_COMMON)

$(B)/tests/stall-owner: tests/tools/stall_owner.c $(TOOLS_COMMON) $(TOOLS_HDRS) $(HDR_OK)
	@mkdir -p $(@D)
	$(CC) $(TOOLS_CPPFLAGS) $(CPPFLAGS) $(WARN) $(CFLAGS) $(LDFLAGS) -pthread -o $@ $< \
		$(TOOLS_COMMON)

$(B)/tests/nlfuzz: tests/tools/nlfuzz.c common/opts.c $(TOOLS_HDRS) $(HDR_OK)
	@mkdir -p $(@D)
	$(CC) $(TOOLS_CPPFLAGS) $(CPPFLAGS) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $< common/opts.c

$(B)/tests/dump-loop: tests/tools/dump_loop.c common/opts.c $(TOOLS_HDRS) $(HDR_OK)
	@mkdir -p $(@D)
	$(CC) $(TOOLS_CPPFLAGS) $(CPPFLAGS) $(NL_CFLAGS) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $< \
		common/opts.c $(NL_LIBS)

# Tools that speak iommu-dirty through tests/tools/dirty_nl.c (libiommudirty)
NL_TOOLS := $(B)/tests/noloss $(B)/tests/observe $(B)/tests/dirty-bench $(B)/tests/failnth \
	$(B)/tests/churn $(B)/tests/lib-check $(B)/tests/exactread
NL_TOOL_SRCS := tests/tools/dirty_nl.c $(TOOLS_COMMON)
.SECONDEXPANSION:
$(NL_TOOLS): $(B)/tests/%: tests/tools/$$(subst -,_,$$*).c $(NL_TOOL_SRCS) $(TOOLS_HDRS) $(HDR_OK) $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(TOOLS_CPPFLAGS) -Ilib/include $(CPPFLAGS) $(WARN) $(CFLAGS) $(LDFLAGS) -pthread \
		-o $@ $< $(NL_TOOL_SRCS) $(LIB_A) $(NL_LIBS)

$(B)/tests/unit/test-opts: tests/unit/test_opts.c common/opts.c $(TOOLS_HDRS) tests/unit/tap.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS_COMMON) $(CPPFLAGS) $(WARN) $(CFLAGS) $(SAN) $(LDFLAGS) -o $@ $< \
		common/opts.c

# The library and the CLI's pure parts, rebuilt with the sanitizers
$(B)/tests/unit/test-lib: tests/unit/test_lib.c $(LIB_SRCS) $(LIB_HDRS) tests/unit/tap.h | $(DEPS)
	@mkdir -p $(@D)
	$(CC) $(LIB_CPPFLAGS) $(CPPFLAGS) $(NL_CFLAGS) $(WARN) $(CFLAGS) $(SAN) $(LDFLAGS) -o $@ $< \
		$(LIB_SRCS) $(NL_LIBS)

CLI_UNIT_SRCS := cli/json.c cli/text.c cli/pageset.c cli/print.c cli/status.c cli/model.c cli/top_view.c cli/sampler.c \
	cli/clock.c
$(B)/tests/unit/test-cli: tests/unit/test_cli.c $(CLI_UNIT_SRCS) $(CLI_HDRS) $(LIB_A) tests/unit/tap.h
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE -Icli -Icommon -Ilib/include $(CPPFLAGS) $(WARN) $(CFLAGS) \
		$(SAN) $(LDFLAGS) -o $@ $< $(CLI_UNIT_SRCS) $(LIB_A) $(NL_LIBS)

$(B)/tests/unit/test-recfile: tests/unit/test_recfile.c cli/recfile.c cli/recfile.h tests/unit/tap.h
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE $(CPPFLAGS) $(WARN) $(CFLAGS) $(SAN) $(LDFLAGS) -o $@ $< cli/recfile.c

unit: $(UNIT_TESTS)
	@for t in $(UNIT_TESTS); do $$t || exit 1; done

# ---- upstream iommufd selftest -----------------------------------------------
SELFTEST_OUT := $(B)/selftest
selftest: $(SELFTEST_OUT)/iommufd
$(SELFTEST_OUT)/iommufd: tests/selftest/compat.h $(HDR_OK) $(KSRC)/.series-hash
	@mkdir -p $(SELFTEST_OUT)
	@# the selftest's own make does not know compat.h or the series changed
	rm -f $(SELFTEST_OUT)/iommufd $(SELFTEST_OUT)/iommufd_fail_nth $(SELFTEST_OUT)/iommu_dirty
	$(MAKE) -s -C $(KSRC)/tools/testing/selftests/iommu OUTPUT=$(SELFTEST_OUT) \
		KHDR_INCLUDES="-isystem $(HDR)" \
		CFLAGS="-O2 -Wall -Wno-unused-function -D_GNU_SOURCE -isystem $(HDR) -include $(TOP)/tests/selftest/compat.h" \
		$(SELFTEST_OUT)/iommufd $(SELFTEST_OUT)/iommufd_fail_nth $(SELFTEST_OUT)/iommu_dirty

# ---- running ------------------------------------------------------------------
check: $(DEPS_OK)
	scripts/check.sh

# Both refresh the kernel first: a changed patch must not leave a stale guest.
demo: $(DEPS_OK)
	scripts/kernel.sh default
	$(MAKE) all
	scripts/demo.sh

shell: $(DEPS_OK)
	scripts/kernel.sh $(KERNEL_VARIANT)
	$(MAKE) all
	tests/vm/run --shell --iommu $(or $(IOMMU),none) --variant $(KERNEL_VARIANT)

# Long runs on the debug kernel: the owner's no-loss loop; thousands of
# owners destroying and closing while dumps race them and 12,500 churn
# iterations (owners remapping and ending domains under observers killed
# mid-dump); 4 x 250,000 fuzzed messages and the fail-nth walk. Then the
# 10,000-round no-loss races on the default kernel.
soak: $(DEPS_OK)
	scripts/kernel.sh debug
	$(MAKE) all
	tests/vm/run --name soak-owner --variant debug --timeout 3600 -- \
		$(B)/tests/mock-owner --domains 4 --size 32M --random 2000 --rounds 3000 \
		--verify-clear --exact
	tests/vm/run --name soak-race --variant debug --timeout 14400 -- \
		env RACE_ITERATIONS=2500 bats --formatter tap tests/bats/mock/race.bats
	tests/vm/run --name soak-fuzz --variant debug --timeout 14400 -- \
		env FUZZ_COUNT=250000 REQUIRE_FAULT_INJECTION=1 bats --formatter tap tests/bats/mock/fuzz.bats \
		tests/bats/mock/failnth.bats
	scripts/kernel.sh default
	tests/vm/run --name soak-noloss --timeout 5400 -- \
		env NOLOSS_ROUNDS=10000 EXACT_ROUNDS=2000 bats --formatter tap tests/bats/mock/noloss.bats \
		tests/bats/mock/exact.bats

bench: $(DEPS_OK) all
	scripts/bench.sh

# The fuzzer and the fault walk on the debug kernel: FUZZ_COUNT messages
# per run (four runs: privileged, without CAP_NET_ADMIN, without
# CAP_SYS_ADMIN, from another network namespace), then fail-nth.
FUZZ_COUNT ?= 1000000
fuzz: $(DEPS_OK)
	scripts/kernel.sh debug
	$(MAKE) all
	tests/vm/run --name fuzz --variant debug --timeout 21600 -- \
		env FUZZ_COUNT=$(FUZZ_COUNT) REQUIRE_FAULT_INJECTION=1 bats --formatter tap tests/bats/mock/fuzz.bats \
		tests/bats/mock/failnth.bats

# ---- install --------------------------------------------------------------------
# What a distribution packages, and nothing else: the CLI, the shared
# library (the file and its two links) and the static archive, the public
# headers (with the family's uapi header), the pkg-config file, man pages
# by section, bash completion and the CLI's JSON schemas. It builds only
# the library and the CLI (see PACKAGING_GOALS); the test helpers in
# build/tests are never installed.
SBINDIR ?= $(PREFIX)/sbin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
SCHEMADIR ?= $(DATADIR)/iommu-dirtyctl/schemas
install: lib $(B)/cli/iommu-dirtyctl
	@set -e; d='$(DESTDIR)'; \
	install -Dm755 $(B)/cli/iommu-dirtyctl "$$d$(SBINDIR)/iommu-dirtyctl"; \
	install -Dm644 $(LIB_SO) "$$d$(LIBDIR)/$(notdir $(LIB_SO))"; \
	ln -sfn $(notdir $(LIB_SO)) "$$d$(LIBDIR)/$(LIB_SONAME)"; \
	ln -sfn $(LIB_SONAME) "$$d$(LIBDIR)/libiommudirty.so"; \
	install -Dm644 $(LIB_A) "$$d$(LIBDIR)/$(notdir $(LIB_A))"; \
	mkdir -p "$$d$(LIBDIR)/pkgconfig"; \
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
		-e 's|@VERSION@|$(LIB_VERSION)|' lib/libiommudirty.pc.in \
		>"$$d$(LIBDIR)/pkgconfig/libiommudirty.pc"; \
	chmod 644 "$$d$(LIBDIR)/pkgconfig/libiommudirty.pc"; \
	for f in lib/include/*.h; do install -Dm644 $$f "$$d$(INCLUDEDIR)/$${f##*/}"; done; \
	install -Dm644 lib/uapi/linux/iommu_dirty.h "$$d$(INCLUDEDIR)/iommudirty/linux/iommu_dirty.h"; \
	for f in man/*.[1-8]; do install -Dm644 $$f "$$d$(MANDIR)/man$${f##*.}/$${f##*/}"; done; \
	for f in completions/*; do install -Dm644 $$f "$$d$(BASHCOMPDIR)/$${f##*/}"; done; \
	for f in cli/schemas/*.json; do install -Dm644 $$f "$$d$(SCHEMADIR)/$${f##*/}"; done; \
	echo "installed into $$d$(PREFIX)"

clean:
	rm -rf $(B)/tests $(B)/vm $(B)/selftest $(B)/results
distclean:
	rm -rf $(B)
