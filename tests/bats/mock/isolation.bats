# One VM cannot stall or charge another, and a domain's messages hold all of
# it: an attach held in a userfaultfd fault while it pins its mapping, a
# harvest held in one while it pins its bitmap, a map held in one while an
# observer asks for precise tracking, the memory observers keep for a VM
# charged to whoever observes, and a domain with more devices and lease
# names than one page of netlink holds.

setup() {
	load '../../helpers/common-setup'
	_common_setup
	load '../../helpers/ynl'
	load '../../helpers/mock'
	mock_setup
}

teardown() {
	[ -z "${PENDING_MAX:-}" ] || echo "$PENDING_MAX" >"$PENDING_MAX_PARAM"
	[ -z "${STALL_PID:-}" ] || touch "$BATS_TEST_TMPDIR/release"
	local pid cg
	for pid in ${OWNER_PID:-} ${STALL_PID:-} ${MON_PID:-} ${WATCH_PID:-} ${DUMP_PID:-}; do
		reap "$pid"
	done
	# out of a group the test left this shell in, so that it can go
	[ "${#CGROUPS[@]}" -eq 0 ] || echo "$BASHPID" >/sys/fs/cgroup/cgroup.procs || true
	for cg in "${CGROUPS[@]}"; do rmdir "$cg" 2>/dev/null || true; done
	[ -z "${MEMCG_ON:-}" ] || echo -memory >/sys/fs/cgroup/cgroup.subtree_control || true
	[ -z "${CGROUP_MOUNTED:-}" ] || umount /sys/fs/cgroup || true
}

# reap PID: end PID, by SIGTERM then SIGKILL, and collect it; one stuck in
# the kernel is reported rather than waited for.
reap() {
	kill -TERM "$1" 2>/dev/null || return 0
	gone_within "$1" || { kill -KILL "$1" 2>/dev/null; gone_within "$1"; } ||
		{ echo "# pid $1 does not end" >&3; return 0; }
	wait "$1" 2>/dev/null || true
}

# memcg_setup: cgroup v2 with the memory controller, and two groups, $VMM
# for the owner and $ADMIN for the administrator's commands.
memcg_setup() {
	local root=/sys/fs/cgroup
	if ! mountpoint -q "$root"; then
		mount -t cgroup2 none "$root"
		CGROUP_MOUNTED=1
	fi
	if ! grep -qw memory "$root/cgroup.subtree_control"; then
		echo +memory >"$root/cgroup.subtree_control"
		MEMCG_ON=1
	fi
	VMM=$root/vmm-$BATS_TEST_NUMBER
	ADMIN=$root/admin-$BATS_TEST_NUMBER
	CGROUPS=("$VMM" "$ADMIN")
	mkdir "$VMM" "$ADMIN"
}

# in_cgroup CG CMD...: exec CMD in memory cgroup CG; call it in a subshell
# (`run`, `&` or parentheses).
in_cgroup() {
	echo "$BASHPID" >"$1/cgroup.procs"
	exec "${@:2}"
}

# unreclaimable CG: the bytes of unreclaimable slab charged to CG.
unreclaimable() {
	awk '$1 == "slab_unreclaimable" { print $2 }' "$1/memory.stat"
}

# pending_bytes ID: what every observer of domain ID holds, summed.
pending_bytes() {
	iommu-dirtyctl -j show "$1" | jq '[.observer[].pending_bytes] | add'
}

dom() {
	iommu-dirtyctl -j show pid "$OWNER_PID" | jq -r .id
}

# start_stall ARGS...: stall-owner in the background (STALL_PID), released
# by the test's release file.
start_stall() {
	stall-owner --ready "$BATS_TEST_TMPDIR/stall.ready" --release "$BATS_TEST_TMPDIR/release" \
		"$@" >"$BATS_TEST_TMPDIR/stall.out" 2>&1 3>&- &
	STALL_PID=$!
}

# wait_stalled: until stall-owner's ioctl waits in its fault.
wait_stalled() {
	for _ in $(seq 600); do
		[ -s "$BATS_TEST_TMPDIR/stall.ready" ] && return 0
		kill -0 "$STALL_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$BATS_TEST_TMPDIR/stall.out"
	return 1
}

# unstall: resolve the fault; until stall-owner printed what its ioctl did.
unstall() {
	touch "$BATS_TEST_TMPDIR/release"
	for _ in $(seq 600); do
		[ -s "$BATS_TEST_TMPDIR/stall.out" ] && return 0
		sleep 0.1
	done
	return 1
}

# gone_within PID: PID has ended within 60 s (a bound on a hang, not a speed).
gone_within() {
	for _ in $(seq 600); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# blocked_in_family PID: within 60 s PID sleeps in the iommu-dirty code
# (state D, uninterruptible or killable; wchan names the caller of the
# mutex sleep). A transient D elsewhere, such as a page of its binary read
# over 9p, does not count.
blocked_in_family() {
	for _ in $(seq 600); do
		[ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = D ] &&
			grep -q dirty "/proc/$1/wchan" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# show_until ID FILTER: until `show ID` satisfies the jq FILTER, 60 s at most.
show_until() {
	for _ in $(seq 600); do
		iommu-dirtyctl -j show "$1" | jq -e "$2" >/dev/null && return 0
		sleep 0.1
	done
	iommu-dirtyctl -j show "$1"
	return 1
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
	local b
	b=$(dom)
	start_monitor
	start_stall --in attach --size 4M --hold
	wait_stalled

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

	unstall
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

@test "observers' pending pages are charged to the administrator's memory cgroup, not the VM's, and freed once read" {
	memcg_setup
	# 256 MiB of 2 KiB pages: every lease needs about five pages of bits
	# The owner starts in $VMM: a child is born in its parent's group
	echo "$BASHPID" >"$VMM/cgroup.procs"
	start_owner --size 256M --random 500 --rounds 2 --go "$GO" --done "$DONE" --hold
	echo "$BASHPID" >/sys/fs/cgroup/cgroup.procs
	[ -n "$READY" ] || { cat "$BATS_TEST_TMPDIR/owner.out"; false; }
	local id i vmm0 admin0 want vmm1 admin1
	id=$(dom)
	for i in $(seq 16); do
		run -0 in_cgroup "$ADMIN" iommu-dirtyctl enable "$id" --name "lease-$i"
	done
	assert_equal "$(pending_bytes "$id")" 0
	vmm0=$(unreclaimable "$VMM")
	admin0=$(unreclaimable "$ADMIN")
	# The owner's clearing harvests make room for every lease
	touch "$GO"
	wait_done
	want=$(pending_bytes "$id")
	[ "$want" -ge $((16 * 4 * 4096)) ]
	# memory.stat is flushed at least every 2 s: wait for the charge, not a
	# speed. Per-CPU stocks and other slab of either group blur a page or
	# two: the margins are a quarter of what the leases hold.
	for _ in $(seq 600); do
		admin1=$(unreclaimable "$ADMIN")
		[ $((admin1 - admin0)) -ge $((want * 3 / 4)) ] && break
		sleep 0.1
	done
	vmm1=$(unreclaimable "$VMM")
	echo "# pending $want, admin +$((admin1 - admin0)), vmm +$((vmm1 - vmm0))" >&3
	[ $((admin1 - admin0)) -ge $((want * 3 / 4)) ]
	[ $((vmm1 - vmm0)) -lt $((want / 4)) ]

	# A lease's clearing reads empty its pages; those no harvest made room
	# in again since its previous read are freed: all of them at the second
	run -0 in_cgroup "$ADMIN" iommu-dirtyctl -j dump "$id" --name lease-1
	run -0 in_cgroup "$ADMIN" iommu-dirtyctl -j dump "$id" --name lease-1
	assert_equal "$(jq .dirty_pages <<<"$output")" 0
	run -0 iommu-dirtyctl -j show "$id"
	assert_equal "$(jq '.observer[] | select(.name == "lease-1") | .pending_bytes' <<<"$output")" 0
	assert_equal "$(jq '[.observer[] | select(.name != "lease-1") | .pending_bytes] | min > 0' <<<"$output")" true
	stop_owner
	OWNER_PID=
}

@test "an observer stops at dirty_pending_max, overflows, and its next read reports every mapped page" {
	PENDING_MAX_PARAM=/sys/module/iommufd/parameters/dirty_pending_max
	PENDING_MAX=$(cat "$PENDING_MAX_PARAM")
	[ "$PENDING_MAX" -eq $((64 << 20)) ]
	# 64 MiB of 2 KiB pages needs one page of bits, or two across a boundary
	start_owner --size 64M --random 100 --rounds 1 --go "$GO" --done "$DONE" --hold
	local id
	id=$(dom)
	run -0 iommu-dirtyctl enable "$id" --name capped
	echo 4096 >"$PENDING_MAX_PARAM"
	touch "$GO"
	wait_done
	run -0 iommu-dirtyctl -j show "$id"
	assert_equal "$(jq -c '.observer[0] | [.pending_bytes, .overflow]' <<<"$output")" "[4096,true]"
	# A superset, never a loss: every mapped page
	run -0 iommu-dirtyctl -j dump "$id" --name capped
	assert_equal "$(jq .dirty_pages <<<"$output")" $(((64 << 20) / MOCK_PAGE))
	run -0 iommu-dirtyctl -j show "$id"
	assert_equal "$(jq -c '.observer[0].overflow' <<<"$output")" false
	# ... and the next reports what was dirtied since: nothing; its page goes
	run -0 iommu-dirtyctl -j dump "$id" --name capped
	assert_equal "$(jq .dirty_pages <<<"$output")" 0
	run -0 iommu-dirtyctl -j show "$id"
	assert_equal "$(jq -c '.observer[0] | [.pending_bytes, .overflow]' <<<"$output")" "[0,false]"
	stop_owner
	OWNER_PID=
}

@test "an owner whose harvest waits in a fault stalls no administrator: requests die, closes and expiries go on, nothing is lost" {
	# The stalled domain first, so the reaper meets it before the other one
	start_stall --in harvest --size 4M --go "$GO" --hold
	local a b i rc=0
	for i in $(seq 600); do
		a=$(iommu-dirtyctl -j show pid "$STALL_PID" 2>/dev/null | jq -r .id) && [ -n "$a" ] && break
		sleep 0.1
	done
	[ -n "$a" ]
	start_owner --size 1M --no-enable --hold
	b=$(dom)
	run -0 iommu-dirtyctl enable "$a" --name kept
	iommu-dirtyctl -j watch "$a" -i 1 >/dev/null 2>&1 3>&- &
	WATCH_PID=$!
	show_until "$a" '.observer | length == 2'
	# The owner dirties every 16th page and harvests into a bitmap whose
	# page faults, holding the domain while it waits
	touch "$GO"
	wait_stalled

	# A request waiting for the domain dies with its process
	iommu-dirtyctl -j dump "$a" --name kept >/dev/null 2>&1 3>&- &
	DUMP_PID=$!
	blocked_in_family "$DUMP_PID"
	kill -KILL "$DUMP_PID"
	gone_within "$DUMP_PID"
	wait "$DUMP_PID" || rc=$?
	DUMP_PID=
	assert_equal "$rc" 137
	# So does a watcher, and closing its socket ends its observer at once,
	# though it can be unlinked only once the owner lets go
	kill -KILL "$WATCH_PID"
	gone_within "$WATCH_PID"
	WATCH_PID=
	show_until "$a" '[.observer[].name] == ["kept"] and .consumers == 2'
	# The reaper passes the busy domain (it holds that ended observer) and
	# unlinks another domain's expired lease: that domain's hardware stops
	run -0 iommu-dirtyctl enable "$b" --name brief --lease 1s
	show_until "$b" '.observer == [] and .tracking == false'
	run -0 timeout 60 iommu-dirtyctl -j list

	unstall
	run -0 jq -e '.exact and .pages == .dirtied' "$BATS_TEST_TMPDIR/stall.out"
	# The lease that waited has every page the harvest took, and no other
	run -0 iommu-dirtyctl -j dump "$a" --name kept
	assert_equal "$(jq -c '[.extents[] | [.iova, .pages]]' <<<"$output")" \
		"$(jq -n -c --argjson b "$BASE" --argjson p "$MOCK_PAGE" '[range(0; 128) | [$b + . * 16 * $p, 1]]')"
	show_until "$a" '[.observer[].name] == ["kept"]'
}

@test "precise tracking never waits for a map pinning the owner's pages: EBUSY, nothing changed, served once the map is done" {
	start_stall --in map --size 4M --hold
	wait_stalled
	local a
	a=$(iommu-dirtyctl -j show pid "$STALL_PID" | jq -r .id)
	# The map holds the IOAS's mapping lock while it waits in its fault.
	# Splitting the IOPTEs needs that lock; waiting for it under the
	# domain's lock would hold the owner's harvests as long. The timeout
	# bounds a hang, not a speed.
	run -1 timeout 60 iommu-dirtyctl enable "$a" --name exact --precise
	assert_output --partial "domain $a"
	assert_output --partial "a map, unmap or attach in the domain's IOAS is under way: try again"
	assert_equal "$(iommu-dirtyctl -j show "$a" | jq -c '[.precise, .consumers, (.observer | length)]')" \
		'[false,1,0]'
	# Observing and reading without precise need no mapping lock
	run -0 timeout 60 iommu-dirtyctl enable "$a" --name plain
	run -0 timeout 60 iommu-dirtyctl -j dump "$a" --name plain

	unstall
	run -0 jq -e .mapped "$BATS_TEST_TMPDIR/stall.out"
	run -0 iommu-dirtyctl enable "$a" --name exact --precise
	assert_output --regexp "^domain $a: tracking on, 3 consumers, 2 observers, precise$"
	assert_equal "$(iommu-dirtyctl -j show "$a" | jq .mapped_bytes)" $((8 << 20))
	kill -TERM "$STALL_PID"
	wait "$STALL_PID"
	STALL_PID=
}
