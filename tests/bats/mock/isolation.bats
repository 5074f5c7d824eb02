# One VM cannot stall another, and a domain's messages hold all of it: an
# attach held in a userfaultfd fault while it pins its mapping, and a domain
# with more devices and lease names than one page of netlink holds.

setup() {
	load '../../helpers/common-setup'
	_common_setup
	load '../../helpers/ynl'
	load '../../helpers/mock'
	mock_setup
}

teardown() {
	[ -z "${OWNER_PID:-}" ] || kill -TERM "$OWNER_PID" 2>/dev/null || true
	[ -z "${STALL_PID:-}" ] || { touch "$BATS_TEST_TMPDIR/release"; kill -TERM "$STALL_PID" 2>/dev/null; } || true
	[ -z "${MON_PID:-}" ] || kill -TERM "$MON_PID" 2>/dev/null || true
	wait 2>/dev/null || true
}

dom() {
	iommu-dirtyctl -j show pid "$OWNER_PID" | jq -r .id
}

# start_monitor: iommu-dirtyctl -j monitor into $MON until the test ends.
start_monitor() {
	MON=$BATS_TEST_TMPDIR/monitor
	iommu-dirtyctl -j monitor >"$MON" &
	MON_PID=$!
	wait_monitor_listener
}

# monitor_sync ID: a change of domain ID through a lease named "sync", and
# then until the monitor has printed it: every notification sent before it
# has been printed too.
monitor_sync() {
	iommu-dirtyctl enable "$1" --name sync >/dev/null
	iommu-dirtyctl disable "$1" --name sync >/dev/null
	for _ in $(seq 600); do
		jq -e -s --argjson id "$1" 'map(select(.domain.id == $id and .domain.consumers == 0)) | length > 0' \
			"$MON" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# events PID EVENT: how many EVENT notifications the monitor printed of the
# domains of process PID.
events() {
	jq -s --argjson pid "$1" --arg ev "$2" \
		'map(select(.event == $ev and .domain.owner_pid == $pid)) | length' "$MON"
}

@test "an attach held pinning its memory stalls no other VM's reads, owners or destroys" {
	start_owner --size 1M --no-enable --hold
	local b ready=$BATS_TEST_TMPDIR/stall.ready
	b=$(dom)
	start_monitor
	stall-attach --size 4M --ready "$ready" --release "$BATS_TEST_TMPDIR/release" --hold \
		>"$BATS_TEST_TMPDIR/stall.out" 2>&1 &
	STALL_PID=$!
	for _ in $(seq 600); do
		[ -s "$ready" ] && break
		kill -0 "$STALL_PID" 2>/dev/null || break
		sleep 0.1
	done
	[ -s "$ready" ] || { cat "$BATS_TEST_TMPDIR/stall.out"; false; }

	# The attach now holds its IOAS's locks for as long as the test wants.
	# Everything else answers: the timeouts bound a hang, not a speed.
	run -0 timeout 60 iommu-dirtyctl -j list
	assert_equal "$(jq --argjson id "$b" 'map(select(.id == $id)) | length' <<<"$output")" 1
	# A domain whose creation has not finished is not listed
	assert_equal "$(jq --argjson pid "$STALL_PID" 'map(select(.owner_pid == $pid)) | length' <<<"$output")" 0
	run -0 timeout 60 iommu-dirtyctl -j show "$b"
	run -0 timeout 60 iommu-dirtyctl enable "$b" --name other-vm
	run -0 timeout 60 iommu-dirtyctl -j dump "$b" --name other-vm
	run -0 timeout 60 iommu-dirtyctl disable "$b" --name other-vm
	# Another VM binds, attaches, tracks, harvests and destroys meanwhile
	run -0 timeout 60 mock-owner --size 1M --rounds 2 --destroy
	# ... and the first one goes away
	kill -TERM "$OWNER_PID"
	run -0 timeout 60 tail --pid="$OWNER_PID" -f /dev/null
	OWNER_PID=
	start_owner --size 1M --no-enable --hold
	b=$(dom)
	monitor_sync "$b"
	assert_equal "$(events "$STALL_PID" domain-add)" 0

	touch "$BATS_TEST_TMPDIR/release"
	for _ in $(seq 600); do
		[ -s "$BATS_TEST_TMPDIR/stall.out" ] && break
		sleep 0.1
	done
	run -0 jq -e .attached "$BATS_TEST_TMPDIR/stall.out"
	# Listed and announced once it exists, with what it maps
	run -0 iommu-dirtyctl -j show pid "$STALL_PID"
	assert_equal "$(jq .mapped_bytes <<<"$output")" $((4 << 20))
	monitor_sync "$b"
	assert_equal "$(events "$STALL_PID" domain-add)" 1
	kill -TERM "$STALL_PID"
	wait "$STALL_PID"
	STALL_PID=
}

@test "a domain with 320 devices and 16 long lease names is set, read, dumped and announced whole" {
	start_owner --size 1M --no-enable --hold --devices 320
	local id name i
	id=$(dom)
	start_monitor
	for i in $(seq 16); do
		# 31 bytes, the longest a lease name may be
		name=$(printf 'lease-%02d-%s' "$i" 0123456789012345678901234567890 | cut -c1-31)
		run -0 iommu-dirtyctl -j enable "$id" --name "$name"
	done
	run -0 iommu-dirtyctl -j show "$id"
	assert_equal "$(jq '.observer | length' <<<"$output")" 16
	assert_equal "$(jq '[.observer[].name | length] | unique' <<<"$output" | jq -c .)" "[31]"
	assert_equal "$(jq '.dev | length' <<<"$output")" 320
	run -0 iommu-dirtyctl -j list
	assert_equal "$(jq --argjson id "$id" 'map(select(.id == $id))[0].dev | length' <<<"$output")" 320
	# One more is refused, and the domain is as it was
	run -1 iommu-dirtyctl enable "$id" --name one-too-many
	assert_output --partial "16 observers"
	assert_equal "$(iommu-dirtyctl -j show "$id" | jq '.observer | length')" 16
	# Every change was announced, each with the whole domain
	for _ in $(seq 600); do
		[ "$(jq -s --argjson id "$id" 'map(select(.domain.id == $id)) | length' "$MON")" -ge 16 ] && break
		sleep 0.1
	done
	assert_equal "$(jq -s -c --argjson id "$id" \
		'map(select(.domain.id == $id) | [.domain.consumers, (.domain.dev | length)])' "$MON")" \
		"$(jq -n -c '[range(1; 17) | [., 320]]')"
}
