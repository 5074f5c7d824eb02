# Every allocation of every iommu-dirty operation failed in turn
# (tests/tools/failnth.c, after the manner of the upstream iommufd_fail_nth):
# each failure leaves the state consistent and loses no dirty page, and the
# handle it hit keeps working: a fault that loses a reply's ACK must not
# break the next requests on the same handle (libnl's own sequence check
# would: libiommudirty matches each request's own sequence number). Needs
# the debug kernel's fault injection (CONFIG_FAULT_INJECTION_DEBUG_FS,
# FAILSLAB, FAIL_PAGE_ALLOC); skipped on a kernel without it, except where
# the caller says it must be there (REQUIRE_FAULT_INJECTION=1: make check's
# debug stage, make fuzz, make soak), where its absence fails. kmemleak and
# the splat scan of tests/vm/run judge leaks and crashes.

setup() {
	load '../../helpers/common-setup'
	_common_setup
	D=/sys/kernel/debug
	if ! [ -e /proc/thread-self/fail-nth ] || ! [ -d "$D/failslab" ]; then
		[ "${REQUIRE_FAULT_INJECTION:-0}" != 1 ] ||
			fail "REQUIRE_FAULT_INJECTION=1 but this kernel has no fail-nth fault injection"
		skip "the kernel has no fail-nth fault injection (use KERNEL_VARIANT=debug)"
	fi
	# sleeping allocations too: failslab's defaults skip them
	echo N >"$D/failslab/ignore-gfp-wait"
	echo N >"$D/fail_page_alloc/ignore-gfp-wait"
	echo N >"$D/fail_page_alloc/ignore-gfp-highmem"
	local f
	for f in "$D"/fail*/verbose; do echo 0 >"$f"; done
	MUTANT=/sys/module/iommufd/parameters/dirty_mutant
}

teardown() {
	[ ! -w "${MUTANT:-}" ] || echo 0 >"$MUTANT"
}

@test "every fault point of every operation fails cleanly, consistently, losing no page and leaving its handle usable" {
	run -0 failnth
	echo "$output" | sed 's/^/# /' >&3
	# all nine operations were walked, each through several fault points
	[ "$(grep -c 'fault points:' <<<"$output")" = 9 ]
	! grep -E ' [0-4] fault points' <<<"$output"
}

@test "failnth catches a planted bug: a record without room dropped silently (mutant 5)" {
	# see tests/bats/mock/mutants.bats; only fault injection exposes this one
	echo 5 >"$MUTANT"
	run failnth "bitmap-get raw"
	echo 0 >"$MUTANT"
	echo "$output" | sed 's/^/# /' >&3
	assert_failure 1
	assert_output --partial "the other observer lost"
}
