# The no-loss race (tests/tools/noloss.c): the owner of a mock domain
# dirties random pages and harvests them while observers start, read
# (clearing or not, raw or extents), renew, expire and get killed mid-dump
# around it. Every harvest and every observer read is checked against the
# pages dirtied in the rounds it must cover. NOLOSS_ROUNDS sizes the run
# (make soak: 10000).

setup() {
	load '../../helpers/common-setup'
	_common_setup
}

@test "no consumer misses a page while observers start, read, expire and die around a tracking owner" {
	run -0 noloss --rounds "${NOLOSS_ROUNDS:-300}" --bound 2 --leased 2 --killers 1 --json
	local s=${lines[-1]}
	assert_equal "$(json_get "$s" '[.missing, .owner_missing, .leases_outlived] | @csv')" "0,0,0"
	(( $(json_get "$s" .sessions) > 2 && $(json_get "$s" .killed) > 0 ))
	(( $(json_get "$s" .pages_checked) > 0 && $(json_get "$s" .owner_harvests) > 0 ))
}

@test "no observer misses a page when they alone clear the hardware" {
	run -0 noloss --owner none --rounds "${NOLOSS_ROUNDS:-300}" --bound 2 --leased 1 --killers 1 --json
	local s=${lines[-1]}
	assert_equal "$(json_get "$s" '[.missing, .owner_harvests, .leases_outlived] | @csv')" "0,0,0"
	(( $(json_get "$s" .pages_checked) > 0 ))
}
