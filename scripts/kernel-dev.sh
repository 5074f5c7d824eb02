#!/usr/bin/env bash
# Work on the kernel series as git commits, then export them as patches.
#
#   scripts/kernel-dev.sh init     build/linux/dev: a git tree of the pinned
#                                  source with kernel/series applied (git am)
#   scripts/kernel-dev.sh export   kernel/patches + kernel/series from the
#                                  commits on top of the base commit
#   scripts/kernel-dev.sh gen      regenerate the YNL files from the specs
#   scripts/kernel-dev.sh check    checkpatch --strict on every patch and
#                                  ynl-gen-c --cmp-out on the generated files
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dev=${BUILD_DIR:-$top/build}/linux/dev
base_msg="pinned linux-source"

# Generated YNL files: spec, mode, kind, output (paths in the kernel tree).
ynl_outputs() {
	cat <<'EOT'
Documentation/netlink/specs/iommu-dirty.yaml uapi header include/uapi/linux/iommu_dirty.h
Documentation/netlink/specs/iommu-dirty.yaml kernel header drivers/iommu/iommufd/iommu_dirty_nl.h
Documentation/netlink/specs/iommu-dirty.yaml kernel source drivers/iommu/iommufd/iommu_dirty_nl.c
EOT
}

# Debian's tree is not a git tree, so ynl-regen.sh cannot find the files:
# call the generator directly. $1: extra flag (--cmp-out).
ynl_gen() {
	local spec mode kind out
	ynl_outputs | while read -r spec mode kind out; do
		[ -f "$1/$spec" ] || continue
		(cd "$1" && /usr/bin/python3 tools/net/ynl/ynl-gen-c.py ${2:-} \
			--mode "$mode" "--$kind" --spec "$spec" -o "$out")
	done
}

case ${1:-} in
init)
	"$top/scripts/kernel.sh" default >/dev/null # unpacks pristine/
	rm -rf "$dev"
	cp -a "$top/build/linux/pristine" "$dev"
	rm -f "$dev/.unpacked"
	cd "$dev"
	git init -q
	git add -A -f .
	git -c user.name=base -c user.email=base@localhost commit -q -m "$base_msg"
	git tag base
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$top/kernel/series" |
		while read -r p; do git am -q "$top/kernel/patches/$p"; done
	git log --oneline base..HEAD ;;
export)
	cd "$dev"
	rm -f "$top"/kernel/patches/*.patch
	git format-patch -q --no-signature -o "$top/kernel/patches" base..HEAD
	{
		echo "# Patches against the pinned linux-source (kernel/source.env), applied in"
		echo "# this order by scripts/kernel.sh. One git format-patch file per line."
		(cd "$top/kernel/patches" && ls ./*.patch | sed 's|^\./||')
	} >"$top/kernel/series"
	cat "$top/kernel/series" ;;
gen)
	ynl_gen "$dev" ;;
check)
	rc=0
	for p in "$top"/kernel/patches/*.patch; do
		(cd "$dev" && PATH=/usr/bin:$PATH ./scripts/checkpatch.pl --strict --terse --no-summary "$p") || rc=1
	done
	ynl_gen "$top/build/linux/src" --cmp-out || rc=1
	exit $rc ;;
*) sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0"; exit 2 ;;
esac
