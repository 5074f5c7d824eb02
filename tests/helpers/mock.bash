# Helpers of the suites that read what mock-owner dirtied (--pages-log),
# after it was told to start (--go) and said it finished (--done).
mock_setup() {
	MOCK_PAGE=$(( $(getconf PAGESIZE) / 2 ))
	BASE=$(( 1 << 24 )) # MOCK_APERTURE_START
	GO=$BATS_TEST_TMPDIR/go
	DONE=$BATS_TEST_TMPDIR/done
	LOG=$BATS_TEST_TMPDIR/pages
}

wait_done() {
	for _ in $(seq 600); do [ -e "$DONE" ] && return 0; sleep 0.1; done
	return 1
}

# logged_iovas: the IOVAs of every page in the owner's pages log, as JSON.
logged_iovas() {
	jq -s -c --argjson b "$BASE" --argjson p "$MOCK_PAGE" '[.[].pages[] | $b + . * $p] | unique' "$LOG"
}

# until_true COMMAND...: poll for up to 60 s.
until_true() {
	for _ in $(seq 600); do
		"$@" && return 0
		sleep 0.1
	done
	echo "gave up waiting for: $*" >&2
	return 1
}
