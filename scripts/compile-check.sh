#!/usr/bin/env bash
# Compile the series in configurations the test VM does not boot, and print
# TAP: one line per configuration.
#
#   arm64-smmuv3     arm64 defconfig with iommufd, VFIO cdev and the family:
#                    the SMMUv3 hw_info patch and the family on arm64
#   x86-amd-modular  x86_64 with the AMD IOMMU, iommufd as a module
#                    (MODULE_ALIAS_GENL_FAMILY and exports)
#   x86-family-off   our test config with CONFIG_IOMMUFD_DIRTY_NETLINK=n:
#                    iommufd must build as upstream
#
# Only the directories the series touches are built (drivers/iommu/...),
# after the kernel's prepare step, in build/linux/obj-cc-NAME.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
B=${BUILD_DIR:-$top/build}/linux
src=$B/src
jobs=${JOBS:-$(nproc)}
n=0 failed=0
# shellcheck source=kbuild-lib.sh
. "$top/scripts/kbuild-lib.sh"
kbuild_env "$top"

# variant NAME ARCH CROSS BASE-TARGET "SYMBOLS" DIRS...
#   SYMBOLS: space-separated NAME=y|m|n applied with scripts/config
variant() {
	local name=$1 arch=$2 cross=$3 base=$4 syms=$5
	shift 5
	local obj=$B/obj-cc-$name log=$B/obj-cc-$name.log s sym val
	local mk=(make -s -C "$src" O="$obj" ARCH="$arch" -j"$jobs")
	[ -n "$cross" ] && mk+=(CROSS_COMPILE="$cross" CC="ccache ${cross}gcc") || mk+=(CC="ccache gcc")
	n=$((n + 1))
	mkdir -p "$obj"
	{
		"${mk[@]}" "$base" &&
		if [ "$base" = tinyconfig ]; then
			merge_fragments "$src" "$obj" "$top/kernel/config/base.config"
		fi &&
		for s in $syms; do
			sym=${s%%=*} val=${s#*=}
			case $val in
			y) "$src/scripts/config" --file "$obj/.config" --enable "$sym" ;;
			m) "$src/scripts/config" --file "$obj/.config" --module "$sym" ;;
			n) "$src/scripts/config" --file "$obj/.config" --disable "$sym" ;;
			esac
		done &&
		"${mk[@]}" olddefconfig &&
		kconfig_check "$obj/.config" $(printf 'CONFIG_%s ' $syms) &&
		"${mk[@]}" prepare &&
		"${mk[@]}" "$@"
	} >"$log" 2>&1
	if [ $? -eq 0 ] && ! grep -q 'warning:' "$log"; then
		echo "ok $n - compile $name ($*)"
	else
		failed=$((failed + 1))
		echo "not ok $n - compile $name ($*), log $log"
		grep -E 'error|warning' "$log" | head -20 | sed 's/^/#   /'
	fi
}

variant arm64-smmuv3 arm64 aarch64-linux-gnu- defconfig \
	"IOMMUFD=y VFIO=y VFIO_DEVICE_CDEV=y IOMMUFD_DIRTY_NETLINK=y ARM_SMMU_V3=y" \
	drivers/iommu/arm/arm-smmu-v3/ drivers/iommu/iommufd/ drivers/iommu/io-pgtable-arm.o
variant x86-amd-modular x86_64 "" tinyconfig \
	"MODULES=y AMD_IOMMU=y IOMMUFD=m IOMMUFD_TEST=n VFIO=m VFIO_PCI=m IOMMUFD_DIRTY_NETLINK=y" \
	drivers/iommu/amd/ drivers/iommu/iommufd/
variant x86-family-off x86_64 "" tinyconfig "IOMMUFD_DIRTY_NETLINK=n" \
	drivers/iommu/iommufd/
echo "1..$n"
[ "$failed" -eq 0 ]
