#!/usr/bin/env bash
# Build every prefix of the kernel series, one patch at a time, and print
# TAP: one line per patch. A reviewer (and git bisect) meets each prefix on
# its own, so each must build: in our test configuration (tinyconfig +
# kernel/config/base.config, the family on) and with
# CONFIG_IOMMUFD_DIRTY_NETLINK=n. A warning counts as a failure, and the
# first patch that fails ends the run (the later ones are reported as not
# built). First, each patch marked for stable (Cc: stable) must apply to
# the pristine tree on its own, as a stable backport is taken.
#
# Incremental: build/linux/prefix-src starts as hard links to the pristine
# tree (scripts/kernel.sh unpacks it), each patch is applied in place (no
# fuzz), and kbuild rebuilds only what the patch changed. The object trees
# (build/linux/obj-px-on, obj-px-off) start empty at every run: a tree
# reset to pristine gets its old mtimes back, and an object left from an
# earlier run would pass for one whose source a prefix lacks (ccache keeps
# the rebuild cheap). Only the directories the series compiles are built:
# drivers/iommu/ (with the AMD IOMMU on) and net/netlink/ with the family
# on; with it off, drivers/iommu/iommufd/, the only place that reads it.
# Nothing is linked, so a symbol declared before the patch
# that defines it is not caught here; the arm64 SMMUv3 code is the compile
# stage's, on the whole series.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
B=${BUILD_DIR:-$top/build}/linux
pristine=$B/pristine
src=$B/prefix-src
jobs=${JOBS:-$(nproc)}

if [ ! -f "$pristine/.unpacked" ]; then
	echo "not ok 1 - prefix builds: no pristine tree (run scripts/kernel.sh first)"
	echo "1..1"
	exit 1
fi
mapfile -t patches < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$top/kernel/series")

kmake() { make -s -C "$src" O="$1" CC="ccache gcc" HOSTCC="ccache gcc" -j"$jobs" "${@:2}"; }
# shellcheck source=kbuild-lib.sh
. "$top/scripts/kbuild-lib.sh"
kbuild_env "$top"

# configure OBJ on|off: our test configuration with the family (once a
# patch adds its symbol) and the AMD IOMMU on, or the family off; checked
# after olddefconfig, which drops what it cannot satisfy without a word
configure() {
	local obj=$1 want=()
	kmake "$obj" tinyconfig >/dev/null &&
	merge_fragments "$src" "$obj" "$top/kernel/config/base.config" >/dev/null || return 1
	if [ "$2" = on ]; then
		"$src/scripts/config" --file "$obj/.config" --enable AMD_IOMMU
		want+=(CONFIG_AMD_IOMMU=y)
		grep -qs '^config IOMMUFD_DIRTY_NETLINK' "$src/drivers/iommu/iommufd/Kconfig" &&
			want+=(CONFIG_IOMMUFD_DIRTY_NETLINK=y)
	else
		"$src/scripts/config" --file "$obj/.config" --disable IOMMUFD_DIRTY_NETLINK
		want+=(CONFIG_IOMMUFD_DIRTY_NETLINK=n)
	fi
	kmake "$obj" olddefconfig >/dev/null && kconfig_check "$obj/.config" "${want[@]}"
}

# apply PATCH: into src/, first breaking the hard links of what it touches
apply() {
	local f
	for f in $(patch_files "$1"); do
		if [ -f "$src/$f" ]; then
			cp -p "$src/$f" "$src/$f.unlink" && mv -f "$src/$f.unlink" "$src/$f"
		fi
	done
	(cd "$src" && patch -p1 --batch --forward --fuzz=0 --no-backup-if-mismatch -s <"$1")
}

n=0 failed=0
for p in "${patches[@]}"; do
	grep -q '^Cc: stable@vger.kernel.org' "$top/kernel/patches/$p" || continue
	n=$((n + 1))
	if patch -p1 --dry-run --batch --forward --fuzz=0 -s -d "$pristine" \
		<"$top/kernel/patches/$p" >/dev/null; then
		echo "ok $n - $p applies alone to the pristine tree (Cc: stable)"
	else
		failed=$((failed + 1))
		echo "not ok $n - $p does not apply alone to the pristine tree, yet is marked for stable"
	fi
done

rm -rf "$src" "$B/obj-px-on" "$B/obj-px-off"
cp -al "$pristine" "$src"
rm -f "$src/.series-hash" "$src/.series-files"
broken=
for p in "${patches[@]}"; do
	n=$((n + 1))
	log=$B/prefix-$n.log
	if [ -n "$broken" ]; then
		echo "not ok $n - $p # not built: $broken does not"
		continue
	fi
	{
		apply "$top/kernel/patches/$p" &&
		# Kconfig may gain or lose a symbol: configure again when it changes
		if [ ! -f "$B/obj-px-on/.config" ] ||
			grep -q '^diff --git a/.*Kconfig' "$top/kernel/patches/$p"; then
			configure "$B/obj-px-on" on && configure "$B/obj-px-off" off
		fi &&
		kmake "$B/obj-px-on" drivers/iommu/ net/netlink/ &&
		# the option is read in drivers/iommu/iommufd/ only
		kmake "$B/obj-px-off" drivers/iommu/iommufd/
	} >"$log" 2>&1
	if [ $? -eq 0 ] && ! grep -q 'warning:' "$log"; then
		echo "ok $n - $p builds (family on and off)"
		rm -f "$log"
	else
		failed=$((failed + 1)) broken=$p
		echo "not ok $n - $p does not build, log $log"
		grep -E 'error|warning' "$log" | head -20 | sed 's/^/#   /'
	fi
done
echo "1..$n"
[ "$failed" -eq 0 ]
