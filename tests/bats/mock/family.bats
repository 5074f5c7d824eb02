# The iommu-dirty netlink family, read through the kernel's YNL client, on
# domains of the mock IOMMU (guest booted with --iommu none).

setup() {
	load '../../helpers/common-setup'
	_common_setup
	load '../../helpers/ynl'
}

teardown() {
	[ -z "${OWNER_PID:-}" ] || kill -TERM "$OWNER_PID" 2>/dev/null || true
}

# mine: the dumped domains that belong to the owner started by the test.
mine() {
	jq -c --argjson pid "$OWNER_PID" '[.[] | select(."owner-pid" == $pid)]'
}

@test "the spec validates against the genetlink schema and lists its ops" {
	run -0 /usr/bin/python3 "$KSRC/tools/net/ynl/cli.py" --spec "$SPEC" --list-ops
	assert_output --partial "domain-get"
	assert_output --partial "dev-get"
}

@test "every mock domain shows its owner, device, mapping and mechanism" {
	start_owner --domains 2 --size 1M --rounds 0 --interval 200
	run -0 ynl --dump domain-get
	local doms
	doms=$(mine <<<"$output")
	assert_equal "$(jq length <<<"$doms")" 2
	assert_equal "$(jq -c '[.[]."hwpt-id"] | sort' <<<"$doms")" "$(jq -c '[.domains[].hwpt] | sort' <<<"$READY")"
	assert_equal "$(jq -c '[.[]."ioas-id"] | sort' <<<"$doms")" "$(jq -c '[.domains[].ioas] | sort' <<<"$READY")"
	assert_equal "$(jq -r '[.[]."owner-comm"] | unique | .[]' <<<"$doms")" mock-owner
	assert_equal "$(jq -r '[.[].mechanism] | unique | .[]' <<<"$doms")" mock
	assert_equal "$(jq -c '[.[] | [."dirty-alloc", .tracking, ."mapped-bytes", ."pgsize-bitmap"]] | unique' <<<"$doms")" \
		"[[1,1,1048576,$(( $(getconf PAGESIZE) / 2 ))]]"
	assert_equal "$(jq -c '[.[].dev | length] | unique' <<<"$doms")" "[1]"
	jq -e 'all(.[]; .dev[0] | test("^iommufd_mock[0-9]+$"))' <<<"$doms"
	stop_owner
}

# owner_domain ARGS...: mock-owner ARGS until its rounds are done, then
# domain-get of its domain by id, and the owner stopped (it must exit 0):
# $output is the reply, DOMAIN_ID the id the dump gave, DIRTY_PAGES the
# reply's dirty-pages and the pages the owner's harvests set, summed.
owner_domain() {
	start_owner "$@" --hold --json
	run -0 ynl --dump domain-get
	DOMAIN_ID=$(mine <<<"$output" | jq '.[0].id')
	run -0 ynl --do domain-get --json "{\"id\": $DOMAIN_ID}"
	DIRTY_PAGES="$(jq '."dirty-pages"' <<<"$output") $(jq -s '[.[] | select(.round) | .harvested] | add' "$BATS_TEST_TMPDIR/owner.out")"
	stop_owner
}

@test "domain-get by id returns that domain and counts the owner's harvests and pages" {
	owner_domain --size 1M --rounds 5
	assert_equal "$(jq .id <<<"$output")" "$DOMAIN_ID"
	assert_equal "$(jq .harvests <<<"$output")" 5
	local counted harvested
	read -r counted harvested <<<"$DIRTY_PAGES"
	assert_equal "$counted" "$harvested"
	[ "$(jq '."last-harvest"' <<<"$output")" -ge "$(jq .created <<<"$output")" ]
}

@test "dirty-pages counts the pages each harvest set, once, at its page size" {
	# One 2 KiB mock page dirty in each of three 16 KiB pages, two rounds
	owner_domain --size 1M --page-size 16K --pages 0,7,63 --rounds 2
	assert_equal "$DIRTY_PAGES" "6 6"
	# One 1 MiB IOPTE dirty in each of two 2 MiB pages
	owner_domain --huge --size 4M --page-size 2M --pages 0,1
	assert_equal "$DIRTY_PAGES" "2 2"
	# A 1 MiB IOPTE is 512 pages at the mock's own page size
	owner_domain --huge --size 4M --pages 0,1024
	assert_equal "$DIRTY_PAGES" "1024 1024"
}

@test "a domain allocated without DIRTY_TRACKING shows mechanism none, not tracking" {
	start_owner --no-dirty-alloc --no-enable --hold
	run -0 ynl --dump domain-get
	run -0 jq -c '.[0] | [."dirty-alloc", .tracking, .mechanism, .harvests]' <<<"$(mine <<<"$output")"
	assert_output '[0,0,"none",0]'
	stop_owner
}

@test "tracking shows as off until the owner enables it" {
	start_owner --no-enable --hold
	run -0 ynl --dump domain-get
	assert_equal "$(mine <<<"$output" | jq '.[0] | [."dirty-alloc", .tracking]' -c)" "[1,0]"
	stop_owner
}

@test "dev-get reports the mock device, its domain and its dirty capability" {
	start_owner --size 64K --hold --no-enable
	run -0 ynl --dump domain-get
	local dom dev
	dom=$(mine <<<"$output" | jq -c '.[0]')
	dev=$(jq -r '.dev[0]' <<<"$dom")
	run -0 ynl --do dev-get --json "{\"name\": \"$dev\"}"
	assert_equal "$(jq -r .name <<<"$output")" "$dev"
	assert_equal "$(jq '."domain-id"' <<<"$output")" "$(jq .id <<<"$dom")"
	assert_equal "$(jq '."dev-id"' <<<"$output")" "$(jq '.domains[0].idev' <<<"$READY")"
	assert_equal "$(jq -c '[."iommu-type", ."dirty-cap", .mechanism, ."owner-pid"]' <<<"$output")" \
		"[\"mock\",1,\"mock\",$OWNER_PID]"
	# struct iommu_test_hw_info: flags 0, test_reg IOMMU_HW_INFO_SELFTEST_REGVAL
	assert_equal "$(jq -r '."hw-info"' <<<"$output")" 00000000efbeadde
	stop_owner
}

@test "unknown ids and names are refused with ENOENT/ENODEV and an extack message" {
	run -1 ynl --do domain-get --json '{"id": 18446744073709551615}'
	assert_output --partial "error: -2"
	assert_output --partial "'msg': 'no such domain', 'bad-attr': '.id'"
	run -1 ynl --do dev-get --json '{"name": "0000:99:00.0"}'
	assert_output --partial "error: -19"
	assert_output --partial "'msg': 'no such device bound to iommufd'"
}

@test "a lease name longer than IOMMU_DIRTY_LEASE_NAME_MAX_LEN is refused by the policy" {
	# 32 bytes, one over; isolation.bats sets and reads 31-byte names
	local long=01234567890123456789012345678901
	run -1 ynl --do tracking-set --json "{\"id\": 1, \"enable\": 1, \"observer-name\": \"$long\"}"
	assert_output --partial "error: -22"
	assert_output --partial "'bad-attr': '.observer-name'"
	run -1 ynl --dump bitmap-get --json "{\"domain-id\": 1, \"observer-name\": \"$long\"}"
	assert_output --partial "error: -22"
	assert_output --partial "'bad-attr': '.observer-name'"
}

@test "map-get lists a domain's areas in IOVA order, as they were mapped" {
	# one 2 MiB buffer mapped four times, back to back: four adjacent areas
	start_owner --size 8M --chunk 2M --rounds 0 --interval 200
	run -0 ynl --dump domain-get
	local id iova
	id=$(mine <<<"$output" | jq '.[0].id')
	iova=$(jq .iova <<<"$READY")
	run -0 ynl --dump map-get --json "{\"domain-id\": $id}"
	assert_equal "$(jq -c '[.[] | [."domain-id", .iova, .length, .writable]]' <<<"$output")" \
		"$(jq -nc --argjson id "$id" --argjson at "$iova" \
			'[range(4) | [$id, $at + . * 2097152, 2097152, 1]]')"
	# the areas add up to the domain's mapped bytes
	run -0 ynl --do domain-get --json "{\"id\": $id}"
	assert_equal "$(jq '."mapped-bytes"' <<<"$output")" $((8 << 20))
	stop_owner
	run -1 ynl --dump map-get --json "{\"domain-id\": $id}"
	assert_output --partial "error: -2"
	assert_output --partial "no such domain"
	run -1 ynl --dump map-get --json '{}'
	assert_output --partial "error: -22"
}

@test "map-get lists thousands of areas across many messages, each once, and needs CAP_SYS_ADMIN" {
	# 2048 areas of 4 KiB: far more than one message holds
	start_owner --size 8M --chunk 4K --rounds 0 --interval 200
	run -0 ynl --dump domain-get
	local id iova
	id=$(mine <<<"$output" | jq '.[0].id')
	iova=$(jq .iova <<<"$READY")
	run -0 ynl --dump map-get --json "{\"domain-id\": $id}"
	assert_equal "$(jq length <<<"$output")" 2048
	# ascending, adjacent, none twice or missing, all writable: exactly the mapping
	assert_equal "$(jq -c --argjson at "$iova" \
		'[to_entries[] | select(.value.iova != $at + .key * 4096 or .value.length != 4096 or
			.value.writable != 1)] | length' <<<"$output")" 0
	run -1 setpriv --bounding-set -sys_admin /usr/bin/python3 "$KSRC/tools/net/ynl/cli.py" \
		--spec "$SPEC" --no-schema --dump map-get --json "{\"domain-id\": $id}"
	assert_output --partial "Operation not permitted"
	assert_output --partial "CAP_SYS_ADMIN is required"
	stop_owner
}

@test "malformed requests are refused by the policy with an extack message" {
	run -1 ynl --do domain-get --json '{"id": 0}'
	assert_output --partial "error: -34"
	assert_output --partial "'bad-attr': '.id'"
	run -1 ynl --do domain-get --json '{}'
	assert_output --partial "error: -22"
	assert_output --partial "'miss-type': 'id'"
}

@test "notifications announce a domain's creation, changes and destruction" {
	local ntf=$BATS_TEST_TMPDIR/ntf
	ynl --subscribe monitor --sleep 20 >"$ntf" &
	local sub=$!
	wait_monitor_listener
	run -0 mock-owner --size 64K --rounds 2 --destroy
	wait "$sub"
	local id
	id=$(jq '[.[] | select(.name == "domain-add-ntf" and .msg.mechanism == "mock")][0].msg.id' "$ntf")
	[ "$id" != null ]
	# add, attach, enable, map and harvests change it, destroy ends it
	assert_equal "$(jq -c --argjson id "$id" '[.[] | select(.msg.id == $id) | .name] | unique' "$ntf")" \
		'["domain-add-ntf","domain-change-ntf","domain-del-ntf"]'
	assert_equal "$(jq -c --argjson id "$id" '[.[] | select(.msg.id == $id)][-1] | [.name, .msg.harvests, .msg.tracking]' "$ntf")" \
		'["domain-del-ntf",2,1]'
}

@test "a dump across more domains than fit in one message is complete" {
	start_owner --domains 600 --size 64K --no-enable --hold
	# About 250 bytes a domain: far more than one dump message holds.
	run -0 ynl --dump domain-get
	assert_equal "$(mine <<<"$output" | jq length)" 600
	assert_equal "$(mine <<<"$output" | jq '[.[].id] | unique | length')" 600
	run -0 ynl --dump dev-get
	assert_equal "$(jq --argjson pid "$OWNER_PID" '[.[] | select(."owner-pid" == $pid)] | length' <<<"$output")" 600
	stop_owner
}

@test "a caller without CAP_NET_ADMIN is refused" {
	run -1 setpriv --bounding-set -net_admin /usr/bin/python3 "$KSRC/tools/net/ynl/cli.py" \
		--spec "$SPEC" --no-schema --dump domain-get
	assert_output --partial "Operation not permitted"
	assert_output --partial "'msg': 'CAP_NET_ADMIN is required'"
	run -1 setpriv --reuid 65534 --regid 65534 --clear-groups /usr/bin/python3 "$KSRC/tools/net/ynl/cli.py" \
		--spec "$SPEC" --no-schema --do domain-get --json '{"id": 1}'
	assert_output --partial "Operation not permitted"
	assert_output --partial "'msg': 'CAP_NET_ADMIN is required'"
}

@test "another network namespace is refused and its listener hears nothing" {
	run -1 unshare -n /usr/bin/python3 "$KSRC/tools/net/ynl/cli.py" --spec "$SPEC" --no-schema --dump domain-get
	assert_output --partial "'msg': 'iommu-dirty is only available in the initial network namespace'"
	run -1 unshare -n /usr/bin/python3 "$KSRC/tools/net/ynl/cli.py" --spec "$SPEC" --no-schema --do dev-get --json '{"name": "x"}'
	assert_output --partial "initial network namespace"
	# The listener and the wait for it share the new namespace's
	# /proc/net/netlink; the domain is created from there too.
	run -0 unshare -n bash -c '
		. "$1"
		ynl --subscribe monitor --sleep 15 >"$2" &
		wait_monitor_listener || exit 9
		mock-owner --size 64K --destroy >/dev/null || exit 8
		wait $!
		cat "$2"' _ "$TOP/tests/helpers/ynl.bash" "$BATS_TEST_TMPDIR/ntf"
	assert_output "[]"
}
