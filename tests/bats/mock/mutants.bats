# The no-loss checkers must catch the bugs they exist for. Each test plants
# one bug in the running kernel (the test-only iommufd.dirty_mutant
# parameter, CONFIG_IOMMUFD_TEST; see drivers/iommu/iommufd/dirty_observer.c)
# and runs checkers that must then fail, the way they would on a kernel
# that shipped that bug. The parameter is reset after every test.
#
#   1  the clearer hands nothing to the other observers
#   2  observers keep nothing for a tracking owner of what they clear
#   3  an observer's end stops the hardware while others still observe
#   4  an observer's enable clears the hardware (as the owner's first does)
#   5  a record that finds no pending memory is dropped silently (failnth.bats:
#      only fault injection reaches it)
#   6  a read keeps nothing of a huge IOPTE beyond its range (exactread)
#   7  a read frees the pending pages its range touches, bits and all
#      (exactread: what a window keeps beyond itself is lost)
#   8  the mock's merge of a split huge IOPTE drops its dirty state
#      (granularity.bats: the page dirtied while split is lost)

setup() {
	load '../../helpers/common-setup'
	_common_setup
	MUTANT=/sys/module/iommufd/parameters/dirty_mutant
	[ -w "$MUTANT" ] || fail "$MUTANT is missing: the kernel lacks the test-only mutants"
	SUITES=$BATS_TEST_DIRNAME
}

teardown() {
	echo 0 >"$MUTANT"
}

plant() {
	echo "$1" >"$MUTANT"
	assert_equal "$(cat "$MUTANT")" "$1"
}

# caught REGEX: the observer.bats tests matching REGEX fail on this kernel.
caught() {
	run bats --formatter tap -f "$1" "$SUITES/observer.bats"
	echo "$output" | grep '^\(not \)\?ok' | sed 's/^/# /' >&3
	assert_failure
	assert_line --regexp '^not ok '
}

# noloss_finds FIELD ARGS...: a short noloss run fails and counts FIELD > 0.
noloss_finds() {
	local field=$1
	shift
	run noloss --rounds 200 --json "$@"
	echo "# ${lines[-1]}" >&3
	assert_failure 1
	(( $(json_get "${lines[-1]}" ".$field") > 0 ))
}

@test "the unplanted kernel passes the checkers used below" {
	run -0 bats --formatter tap -f "tracking owner's marking|alone clear|one observer's end" \
		"$SUITES/observer.bats"
	run -0 noloss --rounds 200 --bound 2 --leased 0 --killers 0 --owner-toggle 0 --json
}

@test "mutant 1 (no hand-off) is caught by observer.bats and noloss" {
	plant 1
	caught "alone clear"
	noloss_finds missing --bound 2 --leased 0 --killers 0 --owner-toggle 0
}

@test "mutant 2 (observers keep nothing for a tracking owner) is caught by observer.bats" {
	plant 2
	caught "tracking owner's marking"
}

@test "mutant 2 (observers keep nothing for a tracking owner) is caught by churn on huge IOPTEs" {
	run -0 churn --iterations 100 --huge
	plant 2
	run churn --iterations 100 --huge
	echo "# ${lines[-1]}" >&3
	assert_failure 1
	assert_output --partial "marked pages missing"
	(( $(json_get "${lines[-1]}" .unexpected) > 0 ))
}

@test "mutant 3 (an observer's end stops the hardware under others) is caught by observer.bats and noloss" {
	plant 3
	caught "one observer's end"
	noloss_finds refused_live --owner none --bound 2 --leased 1 --killers 0
}

@test "mutant 4 (enabling clears the hardware) is caught by observer.bats" {
	plant 4
	caught "tracking owner's marking"
}

# exact_finds ARGS...: a short exactread run fails with pages missing.
exact_finds() {
	run exactread --rounds 20 --json "$@"
	echo "# ${lines[-1]}" >&3
	assert_failure 1
	(( $(json_get "${lines[-1]}" .missing) > 0 ))
}

@test "mutant 2 (observers keep nothing for a tracking owner) is caught by exactread" {
	plant 2
	exact_finds --owner track
}

@test "mutant 6 (a read keeps nothing of a huge IOPTE beyond its range) is caught by exactread" {
	run -0 exactread --rounds 20 --huge --owner none
	plant 6
	exact_finds --huge --owner none
	exact_finds --huge --owner track
}

@test "mutant 7 (a read frees pending pages that still hold bits) is caught by exactread" {
	plant 7
	exact_finds --huge --owner none
	exact_finds --huge --owner track
}

@test "mutant 8 (the mock's merge drops a block's dirty state) is caught by granularity.bats" {
	plant 8
	run bats --formatter tap -f "merging keeps its dirty bit" "$SUITES/granularity.bats"
	echo "$output" | grep '^\(not \)\?ok' | sed 's/^/# /' >&3
	assert_failure
	assert_line --regexp '^not ok 1 one page under a 1 MiB IOPTE'
}
