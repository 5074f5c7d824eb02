#!/usr/bin/env bash
# Work on the kernel series as git commits, then export them as patches.
#
#   scripts/kernel-dev.sh init     build/linux/dev: a git tree of the pinned
#                                  source with kernel/series applied (git am)
#   scripts/kernel-dev.sh export   kernel/patches + kernel/series from the
#                                  commits on top of the base commit
#   scripts/kernel-dev.sh gen      regenerate the YNL files from the specs
#   scripts/kernel-dev.sh check    checkpatch --strict on every patch, and cmp
#   scripts/kernel-dev.sh cmp      the generated YNL files in build/linux/src
#                                  are exactly what their spec generates
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dev=${BUILD_DIR:-$top/build}/linux/dev
cover=0000-cover-letter.patch
base_msg="pinned linux-source"
base_date="2026-01-01T00:00:00Z"

# Generated YNL files: spec, mode, kind, output (paths in the kernel tree).
ynl_outputs() {
	cat <<'EOT'
Documentation/netlink/specs/iommu-dirty.yaml uapi header include/uapi/linux/iommu_dirty.h
Documentation/netlink/specs/iommu-dirty.yaml kernel header drivers/iommu/iommufd/iommu_dirty_nl.h
Documentation/netlink/specs/iommu-dirty.yaml kernel source drivers/iommu/iommufd/iommu_dirty_nl.c
EOT
}

# Debian's tree is not a git tree, so ynl-regen.sh cannot find the files:
# call the generator directly. ynl_gen TREE [OUTDIR]: write into TREE, or
# into OUTDIR under the outputs' base names (the generated source includes
# its header by that name).
ynl_gen() {
	local spec mode kind out dest
	ynl_outputs | while read -r spec mode kind out; do
		[ -f "$1/$spec" ] || continue
		dest=$1/$out
		[ -n "${2:-}" ] && dest=$2/$(basename "$out")
		(cd "$1" && /usr/bin/python3 tools/net/ynl/ynl-gen-c.py \
			--mode "$mode" "--$kind" --spec "$spec" -o "$dest") || exit 1
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
	# A fixed identity and date make the base commit the same on every
	# machine, so the cover letter's base-commit: names it
	GIT_AUTHOR_DATE=$base_date GIT_COMMITTER_DATE=$base_date \
		git -c user.name=base -c user.email=base@localhost commit -q -m "$base_msg"
	git tag base
	sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$top/kernel/series" |
		while read -r p; do git am -q "$top/kernel/patches/$p"; done
	git log --oneline base..HEAD ;;
export)
	cd "$dev"
	# The cover letter is written by hand (its shortlog and diffstat from
	# git format-patch --cover-letter): kept, and never applied
	find "$top/kernel/patches" -name '*.patch' ! -name "$cover" -delete
	git format-patch -q --numbered --no-signature -o "$top/kernel/patches" base..HEAD
	{
		echo "# Patches against the pinned linux-source (kernel/source.env), applied in"
		echo "# this order by scripts/kernel.sh. One git format-patch file per line."
		(cd "$top/kernel/patches" && ls ./*.patch | sed 's|^\./||' | grep -vxF "$cover")
	} >"$top/kernel/series"
	cat "$top/kernel/series" ;;
gen)
	ynl_gen "$dev" ;;
check)
	# Generated YNL files are checked by cmp against their generator, not
	# for line length: ynl-gen-c names policies after ops and attributes.
	generated=$(ynl_outputs | awk '{print $4}' | paste -sd'|')
	rc=0
	for p in "$top"/kernel/patches/*.patch; do
		[ "$(basename "$p")" = "$cover" ] && continue
		# UNKNOWN_COMMIT_ID: the dev tree's history is one import of the
		# pinned source, so mainline hashes (Fixes:, backports) cannot
		# resolve in it. FILE_PATH_CHANGES asks of every added file
		# whether MAINTAINERS needs updating unless the patch touches it:
		# the loop below answers with get_maintainer.pl instead.
		out=$(cd "$dev" && PATH=/usr/bin:$PATH ./scripts/checkpatch.pl --strict --terse \
			--no-summary --showfile --show-types --ignore UNKNOWN_COMMIT_ID \
			--ignore FILE_PATH_CHANGES "$p" |
			grep -Ev "^($generated):[0-9]+: WARNING:LONG_LINE:" || true)
		[ -z "$out" ] || { printf '%s: %s\n' "$(basename "$p")" "$out"; rc=1; }
	done
	# Every file the series adds has a maintainer in the series' MAINTAINERS
	for f in $(sed -n '/^diff --git/{N;s|^diff --git a/[^ ]* b/\([^ ]*\)\nnew file mode.*|\1|p}' \
		"$top"/kernel/patches/0*.patch | sort -u); do
		(cd "$dev" && ./scripts/get_maintainer.pl --nogit --nogit-fallback --noroles -f "$f" |
			grep -q '(maintainer:') ||
			{ echo "kernel-dev.sh: no MAINTAINERS entry covers $f"; rc=1; }
	done
	"$0" cmp || rc=1
	exit $rc ;;
cmp)
	src=$top/build/linux/src
	[ -f "$src/Documentation/netlink/specs/iommu-dirty.yaml" ] || {
		echo "kernel-dev.sh: the series is not applied in $src (make kernel)" >&2; exit 1; }
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	ynl_gen "$src" "$tmp"
	rc=0
	while read -r spec mode kind out; do
		cmp -s "$tmp/$(basename "$out")" "$src/$out" ||
			{ echo "kernel-dev.sh: $out is not what $spec generates" >&2; rc=1; }
	done < <(ynl_outputs)
	exit $rc ;;
*) sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0"; exit 2 ;;
esac
