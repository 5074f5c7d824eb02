# Owners creating and destroying domains while readers of the iommu-dirty
# family dump them, and (churn) owners remapping and ending domains while
# observers read them and die mid-dump: C helpers only, so it also runs on
# the debug kernel (KASAN, lockdep, kmemleak), where the Python client is
# far too slow.

setup() {
	load '../../helpers/common-setup'
	_common_setup
}

@test "owners' destroy and close never fail or crash while dumps run" {
	dump-loop --seconds 0 >"$BATS_TEST_TMPDIR/dumps" &
	local dumper=$! devs listener
	dump-loop --devices --seconds 0 >"$BATS_TEST_TMPDIR/devs" &
	devs=$!
	# A listener makes every owner path build notifications too.
	dump-loop --monitor --seconds 0 >"$BATS_TEST_TMPDIR/ntf" &
	listener=$!
	# Owners alternately destroy every object and just close the iommufd.
	local i
	for i in $(seq "${RACE_ITERATIONS:-200}"); do
		if ((i % 2)); then
			run -0 mock-owner --domains 4 --size 64K --no-enable --destroy
		else
			run -0 mock-owner --domains 4 --size 64K --rounds 1
		fi
	done
	kill -TERM "$dumper" "$devs" "$listener"
	local rc=0
	wait "$dumper" || rc=$?
	wait "$devs" || rc=$?
	wait "$listener" || rc=$?
	assert_equal "$rc" 0
	# The dumps really ran beside the owners and saw their domains.
	[ "$(jq .dumps "$BATS_TEST_TMPDIR/dumps")" -gt 10 ]
	[ "$(jq .seen "$BATS_TEST_TMPDIR/dumps")" -gt 0 ]
	[ "$(jq .seen "$BATS_TEST_TMPDIR/devs")" -gt 0 ]
	[ "$(jq .notifications "$BATS_TEST_TMPDIR/ntf")" -gt 0 ]
}

# churn_clean N ARGS...: churn of N domains; nothing unexpected, and the
# races really happened (reads, remaps, both ends, killed readers).
churn_clean() {
	run -0 churn --iterations "$1" "${@:2}"
	echo "# $output" >&3
	local json
	json=$(tail -1 <<<"$output")
	assert_equal "$(jq .unexpected <<<"$json")" 0
	assert_equal "$(jq .iterations <<<"$json")" "$1"
	[ "$(jq '[.reads, .remaps, .destroyed, .closed, .kills, .enables, .harvests] | all(. > 0)' <<<"$json")" = true ]
	CHURN_JSON=$json
}

@test "observers reading, toggling and dying race owners that remap, destroy and close" {
	# churn: RACE_ITERATIONS x 5 domains created, remapped and ended under
	# observer threads and killed observers; see tests/tools/churn.c
	churn_clean $(( ${RACE_ITERATIONS:-200} * 5 ))
	assert_equal "$(jq .huge <<<"$CHURN_JSON")" 0
}

@test "huge IOPTEs: observers whose windows split them race owners that remap, destroy and close" {
	# 1 MiB IOPTEs, each dirtied whole; a tracking owner's harvest is still
	# exactly what it marked
	churn_clean $(( ${RACE_ITERATIONS:-200} * 2 )) --huge
	assert_equal "$(jq .huge <<<"$CHURN_JSON")" 1
}

@test "a dump of thousands of domains through libnl sees every one of them" {
	mock-owner --domains 2000 --size 64K --no-enable --hold --ready "$BATS_TEST_TMPDIR/ready" >/dev/null &
	local owner=$!
	await "$owner" test -s "$BATS_TEST_TMPDIR/ready"
	run -0 dump-loop --count 1
	# the owner's 2000 domains and nothing else: one dump message each
	assert_equal "$(jq .seen <<<"$output")" 2000
	assert_equal "$(jq .errors <<<"$output")" 0
	# and they are its domains, each once: the HWPTs its ready file names
	local want got
	want=$(jq -c '[.domains[].hwpt] | sort' "$BATS_TEST_TMPDIR/ready")
	got=$(iommu-dirtyctl -j list | jq -c --argjson p "$owner" '[.[] | select(.owner_pid == $p) | .hwpt_id] | sort')
	assert_equal "$got" "$want"
	kill -TERM "$owner"
	wait "$owner"
}
