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
	# accounted allocations (GFP_KERNEL_ACCOUNT, all of ours) come from
	# kmalloc-cg-4k on a kernel with CONFIG_MEMCG, the others from kmalloc-4k
	FAILSLAB_4K=(/sys/kernel/slab/kmalloc-4k/failslab /sys/kernel/slab/kmalloc-cg-4k/failslab)
}

teardown() {
	[ ! -w "${MUTANT:-}" ] || echo 0 >"$MUTANT"
	# undo only_4k_objects
	[ -d "${D:-}/failslab" ] || return 0
	echo N >"$D/failslab/cache-filter"
	echo 1 >"$D/fail_page_alloc/min-order"
	local f
	for f in "${FAILSLAB_4K[@]}"; do
		[ ! -w "$f" ] || echo 0 >"$f"
	done
}

# Inject only into 4 KiB kmalloc objects (pending bitmaps and read chunks are
# such objects). Needed where a test aims at one allocation: on this kernel the
# count of fault points before it varies from run to run (KASAN and kmemleak
# allocate stack-depot pools whenever one fills, from whichever task is
# running), so a fault-point walk of every allocation may step over it.
only_4k_objects() {
	local f
	echo Y >"$D/failslab/cache-filter"
	for f in "${FAILSLAB_4K[@]}"; do
		[ ! -e "$f" ] || echo 1 >"$f"
	done
	echo 11 >"$D/fail_page_alloc/min-order"	# no page allocation at all
}

# walk_all [--huge]: every operation walked, each through several fault points.
walk_all() {
	run -0 failnth "$@"
	echo "$output" | sed 's/^/# /' >&3
	[ "$(grep -c 'fault points:' <<<"$output")" = 11 ]
	! grep -E ' [0-4] fault points' <<<"$output"
}

@test "every fault point of every operation fails cleanly, consistently, losing no page and leaving its handle usable" {
	walk_all
}

@test "on huge IOPTEs too: a faulted read, whole or splitting two IOPTEs, loses no page" {
	walk_all --huge
}

@test "failnth catches a planted bug: a record without room dropped silently (mutant 5)" {
	# see tests/bats/mock/mutants.bats; only fault injection exposes this one
	only_4k_objects
	# the same walk passes on the correct kernel, so what fails below is the bug
	run -0 failnth "bitmap-get raw"
	# and reaches the pending-page allocations the mutant is about
	if grep -q ' 0 fault points' <<<"$output"; then
		fail "no 4 KiB allocation was failed: the slab filter misses them ($output)"
	fi
	echo 5 >"$MUTANT"
	run failnth "bitmap-get raw"
	echo 0 >"$MUTANT"
	echo "$output" | sed 's/^/# /' >&3
	assert_failure 1
	assert_output --partial "the other observer lost"
}
