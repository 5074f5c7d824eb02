#!/usr/bin/env bash
# make demo: boot our kernel, start an owner workload, and look at it the way
# an operator would. Until iommu-dirtyctl lands this shows what a host offers
# today (who holds /dev/iommu, what the owner alone can see) and the trap
# the tool must avoid; each later issue moves the demo onto the tool.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
echo "== guest without an IOMMU: CONFIG_IOMMUFD_TEST mock domains"
tests/vm/run --name demo-mock -- bash tests/vm/demo-guest mock
echo
echo "== guest with emulated Intel VT-d: an e1000 passed through with vfio-pci"
tests/vm/run --name demo-vtd --iommu intel -- bash tests/vm/demo-guest vtd
