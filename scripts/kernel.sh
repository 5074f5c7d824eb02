#!/usr/bin/env bash
# Build our patched kernel incrementally, out of tree, under build/linux/.
#
#   scripts/kernel.sh [VARIANT]     VARIANT: default (tinyconfig + base) or debug
#
# Layout:
#   build/linux/pristine/   Debian's linux-source tarball, unpacked once
#   build/linux/src/        pristine + kernel/series (hard links to pristine
#                           for every file no patch touches)
#   build/linux/obj-V/      the O= build tree of variant V, bzImage inside
#   build/linux/hdr/        headers_install of the default variant
#
# Re-applying a series would reset the mtime of every patched file and make
# kbuild rebuild them all, so the series is applied into a small staging tree
# holding only the files the old and new series touch, and only files whose
# content changed are copied into src/.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../kernel/source.env
. "$top/kernel/source.env"
# shellcheck source=kbuild-lib.sh
. "$top/scripts/kbuild-lib.sh"
variant=${1:-default}
case $variant in default|debug) ;; *) echo "kernel.sh: unknown variant '$variant' (default|debug)" >&2; exit 2 ;; esac

B=${BUILD_DIR:-$top/build}/linux
pristine=$B/pristine
src=$B/src
obj=$B/obj-$variant
jobs=${JOBS:-$(nproc)}
log() { printf '  %-8s %s\n' "$1" "$2"; }

kbuild_env "$top"
kmake() { make -s -C "$src" O="$1" CC="ccache gcc" HOSTCC="ccache gcc" -j"$jobs" "${@:2}"; }

unpack() {
	[ -f "$pristine/.unpacked" ] && return 0
	have=$(dpkg-query -W -f '${Version}' "$LINUX_SOURCE_PACKAGE" 2>/dev/null || true)
	if [ "$have" != "$LINUX_SOURCE_VERSION" ]; then
		echo "kernel.sh: $LINUX_SOURCE_PACKAGE is '${have:-not installed}', need $LINUX_SOURCE_VERSION (run make deps)" >&2
		exit 1
	fi
	log UNPACK "$LINUX_SOURCE_TARBALL"
	rm -rf "$pristine" "$src"
	mkdir -p "$pristine"
	tar -xf "$LINUX_SOURCE_TARBALL" -C "$pristine" --strip-components=1
	echo "$LINUX_SOURCE_VERSION" >"$pristine/.unpacked"
}

series_patches() {
	local p
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$top/kernel/series" | while read -r p; do
		[ -f "$top/kernel/patches/$p" ] || { echo "kernel.sh: kernel/series names missing patch $p" >&2; exit 1; }
		echo "$top/kernel/patches/$p"
	done
}

apply_series() {
	local patches hash union f
	mapfile -t patches < <(series_patches)
	hash=$(cat "$top/kernel/series" ${patches[@]+"${patches[@]}"} | sha256sum | cut -d' ' -f1)
	if [ ! -d "$src" ]; then
		log LINK "src/ from pristine/"
		cp -al "$pristine" "$src.tmp" && mv "$src.tmp" "$src"
		rm -f "$src/.series-hash" "$src/.series-files"
	fi
	[ "$(cat "$src/.series-hash" 2>/dev/null)" = "$hash" ] && return 0

	union=$( { patch_files ${patches[@]+"${patches[@]}"}; cat "$src/.series-files" 2>/dev/null || true; } | sort -u)
	rm -rf "$B/stage"
	mkdir -p "$B/stage"
	for f in $union; do
		[ -e "$pristine/$f" ] && (cd "$pristine" && cp --parents -p "$f" "$B/stage/")
	done
	for p in ${patches[@]+"${patches[@]}"}; do
		log PATCH "$(basename "$p")"
		if ! (cd "$B/stage" && patch -p1 --batch --forward --no-backup-if-mismatch -s <"$p"); then
			echo "kernel.sh: $(basename "$p") does not apply to $LINUX_SOURCE_VERSION" >&2
			exit 1
		fi
	done
	for f in $union; do
		if [ -e "$B/stage/$f" ]; then
			if ! cmp -s "$B/stage/$f" "$src/$f"; then
				log UPDATE "$f"
				mkdir -p "$(dirname "$src/$f")"
				# --remove-destination: never write through a hard link into pristine/
				cp --remove-destination -p "$B/stage/$f" "$src/$f"
				touch "$src/$f"
			fi
		elif [ -e "$src/$f" ]; then
			log REMOVE "$f"
			rm -f "$src/$f"
		fi
	done
	patch_files ${patches[@]+"${patches[@]}"} >"$src/.series-files"
	echo "$hash" >"$src/.series-hash"
	rm -rf "$B/stage"
}

configure() {
	local frags hash tmp wanted msg
	frags=("$top/kernel/config/base.config")
	[ "$variant" = debug ] && frags+=("$top/kernel/config/debug.config")
	hash=$(cat "$src/.series-hash" "${frags[@]}" | sha256sum | cut -d' ' -f1)
	[ -f "$obj/.config" ] && [ "$(cat "$obj/.config-hash" 2>/dev/null)" = "$hash" ] && return 0
	log CONFIG "tinyconfig + ${frags[*]##*/}"
	tmp=$B/cfg-$variant
	mkdir -p "$tmp" "$obj"
	kmake "$tmp" tinyconfig >/dev/null
	merge_fragments "$src" "$tmp" "${frags[@]}" >/dev/null
	kmake "$tmp" olddefconfig >/dev/null
	# A later fragment overrides an earlier one, as merge_config does: the
	# last setting of each symbol is the one checked
	mapfile -t wanted < <(sed -n -e 's/^# \(CONFIG_[A-Z0-9_]*\) is not set/\1=n/p' \
		-e '/^CONFIG_/p' "${frags[@]}" | awk -F= '{ last[$1] = $0; order[$1] = NR }
		END { for (s in last) print order[s], last[s] }' | sort -n | cut -d' ' -f2-)
	msg=$(kconfig_check "$tmp/.config" "${wanted[@]}") || { echo "kernel.sh: $msg" >&2; exit 1; }
	cmp -s "$tmp/.config" "$obj/.config" || cp "$tmp/.config" "$obj/.config"
	echo "$hash" >"$obj/.config-hash"
}

unpack
apply_series
configure
log MAKE "bzImage ($variant)"
kmake "$obj" bzImage
if [ "$variant" = default ]; then
	log HEADERS "$B/hdr"
	kmake "$obj" headers_install INSTALL_HDR_PATH="$B/hdr" >/dev/null
fi
ln -sf "obj-$variant/arch/x86/boot/bzImage" "$B/bzImage-$variant"
log DONE "$B/bzImage-$variant"
