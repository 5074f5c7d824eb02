#!/usr/bin/env bash
# make demo: boot our kernel, start an owner workload, and look at it the way
# an operator would with iommu-dirtyctl: list, show, caps, a runbook's lease,
# rate's migration verdict, a top snapshot, the Prometheus metrics, and the
# trap a naive second reader falls into (tests/vm/demo-guest).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
start=$(date +%s)
vm=${DEMO_VM_NAME:-demo}	# the guests' run directories: build/vm/$vm-mock, $vm-vtd
# The guest's console is a terminal whatever ours is: colour only if ours is
color=()
[ -t 1 ] || color=(env NO_COLOR=1)
echo "== guest without an IOMMU: CONFIG_IOMMUFD_TEST mock domains"
tests/vm/run --name "$vm-mock" -- "${color[@]}" bash tests/vm/demo-guest mock
# the recording and its heatmap, written by the guest to its share
cp "build/vm/$vm-mock/share/demo.idr" "build/vm/$vm-mock/share/demo-heatmap.png" build/
echo "  -> the recording: build/demo.idr (iommu-dirtyctl report build/demo.idr);"
echo "     its heatmap: build/demo-heatmap.png (open it with any image viewer)"
echo
echo "== guest with emulated Intel VT-d: an e1000 passed through with vfio-pci"
tests/vm/run --name "$vm-vtd" --iommu intel -- "${color[@]}" bash tests/vm/demo-guest vtd
echo
echo "== demo done in $(( $(date +%s) - start )) s"
