# The kernel's generic YNL client, driven by our spec, as the tests' netlink
# client for the iommu-dirty family (independent of libiommudirty).
KSRC=$TOP/build/linux/src
SPEC=$KSRC/Documentation/netlink/specs/iommu-dirty.yaml

# ynl ARGS...: cli.py with JSON output; --no-schema skips validating the
# spec on every call (one test validates it), which is slow under TCG.
ynl() {
	/usr/bin/python3 "$KSRC/tools/net/ynl/cli.py" --spec "$SPEC" --no-schema --output-json "$@"
}

# start_owner ARGS...: mock-owner in the background until its domains exist.
# Sets OWNER_PID and READY (the ready file's JSON).
start_owner() {
	local ready=$BATS_TEST_TMPDIR/ready.$RANDOM
	mock-owner --ready "$ready" "$@" >"$BATS_TEST_TMPDIR/owner.out" 2>&1 &
	OWNER_PID=$!
	for _ in $(seq 300); do
		[ -s "$ready" ] && break
		kill -0 "$OWNER_PID" 2>/dev/null || break
		sleep 0.1
	done
	READY=$(cat "$ready")
}

# stop_owner: SIGTERM, then its exit status must be 0.
stop_owner() {
	local rc=0
	kill -TERM "$OWNER_PID"
	wait "$OWNER_PID" || rc=$?
	[ "$rc" -eq 0 ] || { cat "$BATS_TEST_TMPDIR/owner.out"; return 1; }
}

# wait_monitor_listener: until a netlink socket has joined a genetlink group
# (python's start-up under TCG takes seconds).
wait_monitor_listener() {
	for _ in $(seq 300); do
		awk '$2 == 16 && $4 != "00000000" { found = 1 } END { exit !found }' /proc/net/netlink && return 0
		sleep 0.1
	done
	return 1
}
