#!/usr/bin/env bash
# make bench: figures measured side by side in one guest run, printed as
# numbers and ratios; no pass/fail on speed. Today: the raw
# IOMMU_HWPT_GET_DIRTY_BITMAP harvest the iommu-dirty family will be
# compared against (one page in three dirty, mock pages).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tests/vm/run --name bench --timeout 1800 -- bash -c '
	set -euo pipefail
	for size in 64M 512M 1792M; do
		build/tests/mock-owner --size $size --chunk 64M --every 3 --rounds 3 --json |
		jq -rs --arg size "$size" "
			[.[] | select(.round)] as \$r |
			(\$r | map(.harvest_ns) | add / length) as \$ns |
			\"raw ioctl harvest of \(\$size) (1/3 dirty): \(\$ns / 1e6 | floor) ms, \" +
			\"\((\$r[0].harvested / (\$ns / 1e9)) | floor) dirty pages/s\""
	done'
