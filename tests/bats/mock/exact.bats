# Exact reads (tests/tools/exactread.c): the owner marks pages, then
# observers (leases) and the owner read random windows, clearing or not,
# raw or extents, in one thread so the truth is known. Every read must hold
# exactly the pages its reader is owed: none missing (a read cleared what it
# did not hand over or keep) and none extra (a read re-reported what its
# reader had already taken). Windows start and end anywhere: on huge IOPTEs
# (--huge, 1 MiB) they split them, and windows longer than a chunk put the
# kernel's chunk edges inside them. EXACT_ROUNDS sizes the runs.
# tests/bats/mock/mutants.bats proves these checks catch the bugs they exist for.

setup() {
	load '../../helpers/common-setup'
	_common_setup
}

# exact_clean ARGS...: one exactread run, exact, that read something.
exact_clean() {
	run -0 exactread --rounds "${EXACT_ROUNDS:-40}" --json "$@"
	local s=${lines[-1]}
	assert_equal "$(json_get "$s" '[.missing, .extra] | @csv')" "0,0"
	(( $(json_get "$s" .clearing_reads) > 0 && $(json_get "$s" .pages_checked) > 0 ))
	EXACT_JSON=$s
}

@test "base pages, tracking owner: every read of the owner and the observers is exact" {
	exact_clean --owner track
	(( $(json_get "$EXACT_JSON" .owner_reads) > 0 ))
}

@test "base pages, observers alone: every read is exact" {
	exact_clean --owner none
	assert_equal "$(json_get "$EXACT_JSON" .owner_reads)" 0
}

@test "huge IOPTEs, tracking owner: windows and chunk edges inside them lose nothing" {
	exact_clean --huge --owner track
	assert_equal "$(json_get "$EXACT_JSON" .huge)" 1
	(( $(json_get "$EXACT_JSON" .owner_reads) > 0 ))
}

@test "huge IOPTEs, observers alone: windows and chunk edges inside them lose nothing" {
	exact_clean --huge --owner none --observers 3 --seed 7
}

@test "a lease disabled and started again under its name while a dump of it runs is a new observer" {
	# The dump of the old lease must end with ENOENT, not go on as the new
	# one and clear the pages the new one is owed (a second lease keeps the
	# hardware tracking, so the new one starts with those pages dirty)
	run -0 exactread --lease-reuse --owner none --json
	assert_equal "$(json_get "${lines[-1]}" '[.missing, .extra] | @csv')" "0,0"
	(( $(json_get "${lines[-1]}" .pages_checked) > 0 ))
}

@test "exactread refuses bad usage with exit 2" {
	run -2 exactread --huge --size 3M
	assert_output --partial "--size must be a multiple of 2097152"
	run -2 exactread --observers 9
	run -2 exactread --owner both
}
