# The mock owner against CONFIG_IOMMUFD_TEST domains (guest booted with
# --iommu none). These prove the owner helper that later suites build on:
# what it dirties is what a clearing harvest returns, nothing more or less.

setup() {
	load '../../helpers/common-setup'
	_common_setup
	MOCK_PAGE=$(( $(getconf PAGESIZE) / 2 ))
}

# pages_every START STEP N: how many of pages 0..N-1 are START, START+STEP, ...
pages_every() { echo $(( ($3 - $1 + $2 - 1) / $2 )); }

@test "every page the owner dirties comes back in its clearing harvest, once" {
	run -0 mock-owner --size 8M --rounds 3 --verify-clear --exact --json
	local n=$(( 8 * 1024 * 1024 / MOCK_PAGE ))
	local want=$(( $(pages_every 1 3 $n) + $(pages_every 2 3 $n) + $(pages_every 0 3 $n) ))
	local summary=${lines[-1]}
	assert_equal "$(json_get "$summary" .summary.dirtied)" "$want"
	assert_equal "$(json_get "$summary" .summary.harvested)" "$want"
	assert_equal "$(json_get "$summary" .summary.missing)" 0
	assert_equal "$(json_get "$summary" .summary.stale)" 0
}

@test "a harvest at a coarser page size reports pages dirtied at mock granularity" {
	run -0 mock-owner --size 1M --page-size 16K --pages 0,7,63 --exact --json
	assert_equal "$(json_get "${lines[0]}" .dirtied)" 3
	assert_equal "$(json_get "${lines[0]}" .harvested)" 3
}

# bats test_tags=userspace
@test "random pages are distinct and the same for the same seed" {
	local log=$BATS_TEST_TMPDIR/pages
	run -0 mock-owner --size 4M --random 500 --seed 7 --rounds 2 --exact --json --pages-log "$log.7a"
	assert_equal "$(json_get "${lines[-1]}" .summary.harvested)" 1000
	run -0 mock-owner --size 4M --random 500 --seed 7 --rounds 2 --exact --pages-log "$log.7b"
	run -0 mock-owner --size 4M --random 500 --seed 8 --rounds 2 --exact --pages-log "$log.8"
	assert_equal "$(jq -s '[.[].pages | unique | length]' -c "$log.7a")" "[500,500]"
	# the pages, not the times they were marked at (t0, t1)
	cmp <(jq -c '[.round, .hwpt, .pages]' "$log.7a") <(jq -c '[.round, .hwpt, .pages]' "$log.7b")
	! cmp -s <(jq -c .pages "$log.7a") <(jq -c .pages "$log.8")
}

@test "several domains of one owner are each harvested completely" {
	run -0 mock-owner --domains 4 --size 2M --rounds 2 --exact --json
	assert_equal "$(jq -s '[.[] | select(.round and .missing == 0)] | length' <<<"$output")" 8
	assert_equal "$(json_get "${lines[-1]}" .summary.domains)" 4
}

@test "a 1 GiB mapping backed by one 64 MiB buffer is harvested completely" {
	run -0 mock-owner --size 1G --chunk 64M --every 1000 --exact --json
	assert_equal "$(json_get "${lines[-1]}" .summary.harvested)" \
		"$(pages_every 1 1000 $(( 1024 * 1024 * 1024 / MOCK_PAGE )))"
}

@test "a second consumer that clears the bitmap makes the owner lose every page" {
	# The trap the iommu-dirty family must never fall into: a naive
	# clearing read by anyone but the owner consumes the owner's bits.
	run -1 mock-owner --size 1M --steal --json
	local dirtied
	dirtied=$(json_get "${lines[-1]}" .summary.dirtied)
	[ "$dirtied" -gt 0 ]
	assert_equal "$(json_get "${lines[-1]}" .summary.missing)" "$dirtied"
	assert_equal "$(json_get "${lines[-1]}" .summary.harvested)" 0
}

@test "a harvest over a range with a hole is refused and clears nothing" {
	# The probe asks for one page past the mapping between marking and
	# harvesting; the real harvest after it must still see every page.
	run -0 mock-owner --size 1M --rounds 2 --probe hole --exact --json
	assert_equal "$(jq -s -c '[.[] | select(.round) | .probe_rc] | unique' <<<"$output")" "[-22]"
	assert_equal "$(json_get "${lines[-1]}" .summary.missing)" 0
	[ "$(json_get "${lines[-1]}" .summary.harvested)" -gt 0 ]
}

@test "a harvest at a page size that is not a power of two is refused" {
	run -0 mock-owner --size 1M --probe page-size=12K --exact --json
	assert_equal "$(json_get "${lines[0]}" .probe_rc)" -22
	assert_equal "$(json_get "${lines[-1]}" .summary.missing)" 0
	run -2 mock-owner --probe page-size=x
	assert_output --partial "--probe takes 'hole' or 'page-size=N'"
}

@test "a domain allocated without DIRTY_TRACKING refuses to enable it" {
	run -3 --separate-stderr mock-owner --no-dirty-alloc --rounds 1
	assert_equal "$stderr" "mock-owner: IOMMU_HWPT_SET_DIRTY_TRACKING: Operation not supported"
}

# bats test_tags=userspace
@test "the ready file names the held domains until the owner is signalled" {
	local ready=$BATS_TEST_TMPDIR/ready.json
	mock-owner --domains 2 --size 1M --rounds 0 --interval 50 --ready "$ready" >/dev/null &
	local pid=$!
	await "$pid" test -s "$ready"
	assert_equal "$(jq -r .pid "$ready")" "$pid"
	assert_equal "$(jq '.domains | length' "$ready")" 2
	assert_equal "$(jq '[.domains[].hwpt] | unique | length' "$ready")" 2
	kill -TERM "$pid"
	local rc=0
	wait "$pid" || rc=$?
	assert_equal "$rc" 0
}

# bats test_tags=userspace
@test "malformed options are refused with exit status 2 before touching iommufd" {
	run -2 mock-owner --size 3K
	assert_output --partial "multiple of"
	run -2 mock-owner --pages 1,99999999
	assert_output --partial "past the"
	run -2 mock-owner --page-size 3000
	assert_output --partial "power of two"
	run -2 mock-owner --rate 10
	assert_output --partial "--rate needs --interval"
	run -2 mock-owner --size 4G
	assert_output --partial "exceeds the mock aperture"
}
