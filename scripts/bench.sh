#!/usr/bin/env bash
# make bench: figures measured side by side in one guest run, printed as
# numbers and ratios; no pass/fail on speed (tests/tools/dirty_bench.c):
# bitmap-get (raw, extents, adaptive) against the owner's
# IOMMU_HWPT_GET_DIRTY_BITMAP on a 1.75 GiB mock mapping with one page in
# three dirty, the owner's harvest with one and 16 observers against none,
# the bytes on the wire in each format, the CLI's dump --format raw
# against the library's read (its start subtracted, in wall and CPU time),
# and the CLI's peak RSS on a large domain against a small one. Then
# tests/bench/top-cpu: the CPU `iommu-dirtyctl top` uses refreshing once a
# second over 256 domains (screen, batch, and batch observing them all).
# Then tests/bench/top-insns: the instructions top itself executes per
# refresh (callgrind), which the host's load hardly moves. Then
# tests/bench/record-cpu: what `record` costs beyond its reads.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tests/vm/run --name bench --timeout 1800 -- build/tests/dirty-bench 1792M 9 \
	build/bin/iommu-dirtyctl
tests/vm/run --name bench-top --timeout 900 -- tests/bench/top-cpu 256 30
tests/vm/run --name bench-top-insns --timeout 1800 -- tests/bench/top-insns 256
tests/vm/run --name bench-record --timeout 900 -- tests/bench/record-cpu 1792M 20
