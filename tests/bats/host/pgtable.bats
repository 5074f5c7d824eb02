# io-pgtable-arm, the SMMUv3 page table, runs its boot-time selftest in our
# x86 guest (COMPILE_TEST, CONFIG_IOMMU_IO_PGTABLE_LPAE_SELFTEST). Among it:
# precise dirty tracking splits 1 GiB and 2 MiB blocks with dirty bits set
# as the SMMU sets them, and merges them back (kernel patch 0035). No QEMU
# emulates SMMUv3 HTTU, so this is the real code's only run here.
#
# Each test boots a guest; the test-only io_pgtable_arm.selftest_mutant=N
# plants a bug the selftest must catch (see io-pgtable-arm.c):
#   1  a split drops the block's dirty state
#   2  a merge drops its entries' dirty state
#   3  a merge of clean entries does not read them again after the
#      invalidation, losing a page DMA dirtied through a stale TLB entry

setup() {
	load '../../helpers/common-setup'
	_common_setup
}

# selftest MUTANT: boot with it planted (0: none); $log is the guest's
# serial log. The guest prints the parameter back, so a kernel that lacked
# it (an unknown parameter is ignored) cannot pass for a planted one. Only
# a planted boot may WARN: the selftest WARNs for each case it fails.
selftest() {
	local name=bats-pgtable-$1 splat=()
	[ "$1" = 0 ] || splat=(--allow-splat)
	run --separate-stderr "$TOP/tests/vm/run" --name "$name" "${splat[@]}" --timeout 300 \
		--append "io_pgtable_arm.selftest_mutant=$1" -- \
		cat /sys/module/io_pgtable_arm/parameters/selftest_mutant
	assert_success
	assert_output "$1"
	log=$TOP/build/vm/$name/serial.log
	grep -E 'arm-lpae io-pgtable: selftest: (precise|completed)|selftest: test failed' "$log" |
		sed 's/^/# /' >&3
}

# caught: the planted bug failed the split-and-merge case at both levels
caught() {
	grep -q 'arm-lpae io-pgtable: selftest: completed with 18 PASS 2 FAIL' "$log"
	grep -Eq 'selftest: test failed for fmt idx 1[[:space:]]*$' "$log"
	grep -Eq 'selftest: test failed for fmt idx 2[[:space:]]*$' "$log"
}

@test "io-pgtable-arm's selftest splits and merges 1 GiB and 2 MiB blocks without losing a dirty bit" {
	selftest 0
	grep -q 'selftest: precise dirty tracking, 1048576 KiB blocks' "$log"
	grep -q 'selftest: precise dirty tracking, 2048 KiB blocks' "$log"
	grep -q 'arm-lpae io-pgtable: selftest: completed with 20 PASS 0 FAIL' "$log"
	run grep -c 'selftest: test failed' "$log"
	assert_output 0
}

@test "the selftest catches a split that drops the dirty state (mutant 1)" {
	selftest 1
	caught
}

@test "the selftest catches a merge that drops the dirty state (mutant 2)" {
	selftest 2
	caught
}

@test "the selftest catches a merge that misses a write through a stale TLB entry (mutant 3)" {
	selftest 3
	caught
}
