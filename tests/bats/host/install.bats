# `make install` as a distribution runs it: from the sources alone (no
# kernel, no build/, no package installs), with dpkg's hardening flags and
# WERROR= into a DESTDIR; then what it installed, exactly, and programs
# built and run against it: one of ours through pkg-config, and the CLI.

setup_file() {
	load '../../helpers/common-setup'
	_common_setup
	local src=$BATS_FILE_TMPDIR/src
	mkdir -p "$src"
	# the sources as a release tarball has them: tracked and new files, no build/
	(cd "$TOP" && git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar --null -T - -cf -) | tar -C "$src" -xf -
	# a package build's environment, not that of a make running this suite
	unset MAKEFLAGS MFLAGS MAKELEVEL
	eval "$(DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --export=sh)"
	export CFLAGS="$CFLAGS -frecord-gcc-switches"
	make -C "$src" -j2 install PREFIX=/usr DESTDIR="$BATS_FILE_TMPDIR/dest" WERROR= \
		>"$BATS_FILE_TMPDIR/make.out" 2>&1 || { cat "$BATS_FILE_TMPDIR/make.out" >&3; return 1; }
	# one line per command: make echoes a recipe's continuation lines as written
	sed -e :a -e '/\\$/N; s/\\\n//; ta' "$BATS_FILE_TMPDIR/make.out" >"$BATS_FILE_TMPDIR/make.log"
}

setup() {
	load '../../helpers/common-setup'
	_common_setup
	SRC=$BATS_FILE_TMPDIR/src
	D=$BATS_FILE_TMPDIR/dest
	LOG=$BATS_FILE_TMPDIR/make.log
}

@test "make install builds only the library and the CLI: no kernel, no packages, no test helpers" {
	run grep -E 'kernel\.sh|deps\.sh|apt-get|tests/tools|build/tests' "$LOG"
	assert_failure
	[ ! -e "$SRC/build/linux" ] && [ ! -e "$SRC/build/tests" ] && [ ! -e "$SRC/build/.deps-ok" ]
}

@test "make install installs exactly the CLI, library, headers, pkg-config file, man pages, completion and schemas" {
	local f expected
	expected=$(
		{
			printf '%s\n' \
				'usr/include/iommudirty.h f' \
				'usr/include/iommudirty/linux/iommu_dirty.h f' \
				'usr/lib/libiommudirty.a f' \
				'usr/lib/libiommudirty.so l' \
				'usr/lib/libiommudirty.so.0 l' \
				'usr/lib/libiommudirty.so.0.1.0 f' \
				'usr/lib/pkgconfig/libiommudirty.pc f' \
				'usr/sbin/iommu-dirtyctl f' \
				'usr/share/bash-completion/completions/iommu-dirtyctl f' \
				'usr/share/man/man3/libiommudirty.3 f' \
				'usr/share/man/man5/iommu-dirty-record.5 f' \
				'usr/share/man/man7/iommu-dirty.7 f' \
				'usr/share/man/man8/iommu-dirtyctl.8 f'
			for f in "$TOP"/cli/schemas/*.json; do
				echo "usr/share/iommu-dirtyctl/schemas/${f##*/} f"
			done
		} | sort
	)
	run -0 bash -c "cd '$D' && find . -mindepth 1 ! -type d -printf '%P %y\n' | LC_ALL=C sort"
	assert_output "$(LC_ALL=C sort <<<"$expected")"
	# the links are links to the one file, as ldconfig would make them
	[ "$(readlink "$D/usr/lib/libiommudirty.so.0")" = libiommudirty.so.0.1.0 ]
	[ "$(readlink "$D/usr/lib/libiommudirty.so")" = libiommudirty.so.0 ]
	run -0 readelf -d "$D/usr/lib/libiommudirty.so.0.1.0"
	assert_output --partial 'Library soname: [libiommudirty.so.0]'
	[ "$(stat -c %a "$D/usr/sbin/iommu-dirtyctl")" = 755 ]
	[ "$(stat -c %a "$D/usr/include/iommudirty.h")" = 644 ]
}

@test "the distribution's CPPFLAGS, CFLAGS and LDFLAGS reach every compile and link, and WERROR= drops -Werror" {
	local compiles links
	compiles=$(grep -E -c -- '[[:space:]]-c -o ' "$LOG")
	# the library's files, the CLI's and common/opts.c
	[ "$compiles" -eq $(( $(ls "$TOP"/lib/*.c | wc -l) + $(ls "$TOP"/cli/*.c | wc -l) + 1 )) ]
	[ "$(grep -E -- '[[:space:]]-c -o ' "$LOG" | grep -- '-D_FORTIFY_SOURCE=2' | grep -c -- '-fstack-protector-strong')" -eq "$compiles" ]
	links=$(grep -E -c -- ' -o [^ ]*(libiommudirty\.so\.[0-9.]*|iommu-dirtyctl) ' "$LOG")
	# the shared library and the CLI that is installed
	[ "$links" -eq 2 ]
	[ "$(grep -E -- ' -o [^ ]*(libiommudirty\.so\.[0-9.]*|iommu-dirtyctl) ' "$LOG" | grep -c -- '-Wl,-z,now')" -eq 2 ]
	run grep -E -- '-Werror( |$)' "$LOG"
	assert_failure
	local f
	for f in "$D/usr/lib/libiommudirty.so.0.1.0" "$D/usr/sbin/iommu-dirtyctl"; do
		run -0 readelf -d "$f"
		assert_output --regexp 'BIND_NOW|FLAGS.*NOW'
		run -0 readelf -p .GCC.command.line "$f"
		assert_output --partial '-fstack-protector-strong'
		# _FORTIFY_SOURCE: the checked variants of libc's string and print calls
		run -0 objdump -T "$f"
		assert_output --regexp '__[a-z]*printf_chk'
	done
}

@test "the project's own build keeps -Werror" {
	run -0 make -C "$SRC" -n -B lib
	assert_output --regexp '-Wall -Wextra -Werror( |$)'
}

@test "a program builds with pkg-config --cflags --libs libiommudirty from the DESTDIR and runs on the installed library" {
	export PKG_CONFIG_PATH=$D/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$D
	run -0 pkg-config --cflags --libs libiommudirty
	assert_output --partial "-I$D/usr/include"
	assert_output --partial "-L$D/usr/lib -liommudirty"
	cat >"$BATS_TEST_TMPDIR/prog.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#include <iommudirty.h>

int main(void)
{
	printf("%s %s %s\n", iommudirty_version(), IOMMUDIRTY_VERSION,
	       iommudirty_mechanism_name(1));
	return strcmp(iommudirty_version(), IOMMUDIRTY_VERSION) != 0;
}
EOF
	# shellcheck disable=SC2046
	run -0 cc -std=c11 -Wall -Werror -o "$BATS_TEST_TMPDIR/prog" "$BATS_TEST_TMPDIR/prog.c" \
		$(pkg-config --cflags --libs libiommudirty)
	run -0 env LD_LIBRARY_PATH="$D/usr/lib" "$BATS_TEST_TMPDIR/prog"
	assert_output "$(pkg-config --modversion libiommudirty) $(pkg-config --modversion libiommudirty) mock"
	run -0 env LD_LIBRARY_PATH="$D/usr/lib" ldd "$BATS_TEST_TMPDIR/prog"
	assert_output --partial "libiommudirty.so.0 => $D/usr/lib/libiommudirty.so.0"
	# bound to the version node of the installed library's version script
	run -0 objdump -T "$BATS_TEST_TMPDIR/prog"
	assert_output --regexp 'LIBIOMMUDIRTY_0\.1\)? +iommudirty_version'
}

@test "the installed CLI runs on the installed shared library, through its symbol versions" {
	run -0 readelf -d "$D/usr/sbin/iommu-dirtyctl"
	assert_output --partial 'Shared library: [libiommudirty.so.0]'
	refute_output --regexp 'RPATH|RUNPATH'
	run -0 objdump -T "$D/usr/sbin/iommu-dirtyctl"
	assert_output --regexp 'LIBIOMMUDIRTY_0\.1\)? +iommudirty_read'
	run -0 env LD_LIBRARY_PATH="$D/usr/lib" ldd "$D/usr/sbin/iommu-dirtyctl"
	assert_output --partial "libiommudirty.so.0 => $D/usr/lib/libiommudirty.so.0"
	run -0 env LD_LIBRARY_PATH="$D/usr/lib" "$D/usr/sbin/iommu-dirtyctl" --version
	assert_output "iommu-dirtyctl $(PKG_CONFIG_PATH=$D/usr/lib/pkgconfig pkg-config --modversion libiommudirty)"
}

@test "one version string: the header's, in the library, the CLI, pkg-config and every man page" {
	local v page
	v=$(sed -n 's/^#define IOMMUDIRTY_VERSION "\(.*\)"$/\1/p' "$TOP/lib/include/iommudirty.h")
	[ -n "$v" ]
	grep -qx "Version: $v" "$D/usr/lib/pkgconfig/libiommudirty.pc"
	[ -f "$D/usr/lib/libiommudirty.so.$v" ]
	for page in "$D"/usr/share/man/man*/*; do
		grep -m1 "^\.TH" "$page" | grep -q "\"[a-z-]* $v\"" || { echo "$page: $(grep -m1 "^\.TH" "$page")"; return 1; }
	done
	run -0 grep -c 'iommudirty_version' "$TOP/man/libiommudirty.3"
	run -0 env LD_LIBRARY_PATH="$D/usr/lib" "$D/usr/sbin/iommu-dirtyctl" --version
	assert_output "iommu-dirtyctl $v"
}
