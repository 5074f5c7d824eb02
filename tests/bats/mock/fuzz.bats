# The family under fuzzed messages (tests/tools/nlfuzz.c) while owners
# create, dirty, harvest and destroy mock domains beside it; then the same
# fuzzing without privileges and from another network namespace, where
# nothing may succeed. FUZZ_COUNT sets the messages per run (make check:
# 20000; make fuzz: 1000000). The kernel's survival is judged by the VM
# runner's splat scan and, on the debug kernel, kmemleak.

setup() {
	load '../../helpers/common-setup'
	_common_setup
	FUZZ_COUNT=${FUZZ_COUNT:-20000}
	CHURN_STOP=$BATS_TEST_TMPDIR/churn-stop
}

teardown() {
	touch "$CHURN_STOP"
	[ -z "${HOLD_PID:-}" ] || kill -TERM "$HOLD_PID" 2>/dev/null || true
	wait 2>/dev/null || true
}

# Owners that keep creating, dirtying, harvesting and destroying domains
# (some destroy object by object, the others just close the fd; one in three
# maps 1 MiB IOPTEs), and one that holds its domains, so live, stale and
# unknown ids all occur.
start_churn() {
	mock-owner --domains 2 --size 2M --every 5 --rounds 1 --hold >/dev/null &
	HOLD_PID=$!
	local i
	for i in 1 2; do
		(
			n=0
			while [ ! -e "$CHURN_STOP" ]; do
				n=$((n + 1))
				case $((n % 3)) in
				0) mock-owner --domains 3 --size 1M --random 40 --rounds 5 --destroy ;;
				1) mock-owner --domains 2 --size 512K --every 7 --rounds 3 ;;
				2) mock-owner --huge --domains 2 --size 4M --random 3 --rounds 3 ;;
				esac >/dev/null || { echo "owner failed in round $n" >"$CHURN_STOP.failed"; }
			done
		) &
	done
}

# fuzz_json [WRAPPER...]: run nlfuzz (under WRAPPER) and keep its JSON line.
fuzz() {
	run "$@" nlfuzz --count "$FUZZ_COUNT" --seed "${FUZZ_SEED:-$BATS_TEST_NUMBER}"
	echo "# $(tail -1 <<<"$output")" >&3
	FUZZ_JSON=$(tail -1 <<<"$output")
}

@test "every fuzzed message is answered while owners create and destroy domains" {
	start_churn
	fuzz
	assert_success
	[ "$(jq '.sent' <<<"$FUZZ_JSON")" = "$FUZZ_COUNT" ]
	[ "$(jq '.unanswered' <<<"$FUZZ_JSON")" = 0 ]
	[ "$(jq '.answered + .dropped == .sent' <<<"$FUZZ_JSON")" = true ]
	# the fuzzing reached the paths that succeed, not only the refusals:
	# domain-get, tracking-set and bitmap-get each succeeded some times
	[ "$(jq '[.ok_by_cmd["1"], .ok_by_cmd["6"], .ok_by_cmd["7"]] | all(. > 0)' <<<"$FUZZ_JSON")" = true ]
	[ "$(jq '.errno.EINVAL > 0 and .errno.ERANGE > 0' <<<"$FUZZ_JSON")" = true ]
	stop_churn
	# the fuzzer's socket-bound observers went with its socket
	run -0 iommu-dirtyctl -j list
	assert_output "[]"
}

# stop_churn: end the owners; each of them, the holding one too, must have
# lost nothing (mock-owner exits non-zero on a harvest that missed a page).
stop_churn() {
	local p rc=0
	touch "$CHURN_STOP"
	for p in $(jobs -p); do
		[ "$p" = "${HOLD_PID:-}" ] || wait "$p" || true
	done
	[ ! -e "$CHURN_STOP.failed" ] || { cat "$CHURN_STOP.failed"; return 1; }
	kill -TERM "$HOLD_PID"
	wait "$HOLD_PID" || rc=$?
	HOLD_PID=
	[ "$rc" = 0 ] || { echo "the holding owner exited $rc"; return 1; }
}

@test "without CAP_NET_ADMIN no fuzzed message succeeds" {
	start_churn
	fuzz setpriv --bounding-set -net_admin
	assert_success
	[ "$(jq '.unanswered' <<<"$FUZZ_JSON")" = 0 ]
	[ "$(jq '.ok_by_cmd | length' <<<"$FUZZ_JSON")" = 0 ]
	[ "$(jq '.errno.EPERM > 0' <<<"$FUZZ_JSON")" = true ]
	stop_churn
}

@test "without CAP_SYS_ADMIN no fuzzed tracking-set or bitmap-get succeeds" {
	start_churn
	fuzz setpriv --bounding-set -sys_admin
	assert_success
	[ "$(jq '.unanswered' <<<"$FUZZ_JSON")" = 0 ]
	[ "$(jq '[.ok_by_cmd["6"], .ok_by_cmd["7"]] | map(. // 0) | add' <<<"$FUZZ_JSON")" = 0 ]
	# reading stays allowed
	[ "$(jq '.ok_by_cmd["1"] > 0' <<<"$FUZZ_JSON")" = true ]
	stop_churn
}

@test "from another network namespace no fuzzed message succeeds" {
	start_churn
	fuzz unshare -n
	assert_success
	[ "$(jq '.unanswered' <<<"$FUZZ_JSON")" = 0 ]
	[ "$(jq '.ok_by_cmd | length' <<<"$FUZZ_JSON")" = 0 ]
	stop_churn
}
