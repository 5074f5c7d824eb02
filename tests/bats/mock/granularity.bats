# Dirty granularity on huge-IOPTE mock domains (1 MiB IOPTEs of 2 KiB
# pages): domain-get counts dirty records by IOPTE size, owner and
# observers apart, and precise tracking splits the IOPTEs so a written page
# reads as that page, then merges them back without losing a dirty bit.

setup() {
	load '../../helpers/common-setup'
	_common_setup
	load '../../helpers/ynl'
	load '../../helpers/mock'
	mock_setup
	PATH="$TOP/tests/helpers:$PATH"
	STEP=$BATS_TEST_TMPDIR/step
}

teardown() {
	[ -z "${OWNER_PID:-}" ] || kill -TERM "$OWNER_PID" 2>/dev/null || true
	wait 2>/dev/null || true
}

dom() {
	iommu-dirtyctl -j show pid "$OWNER_PID" | jq -r .id
}

# start_page_owner SIZE ROUNDS: a huge-IOPTE owner that marks mock page 600
# (in the second 1 MiB IOPTE) in each round, a round per step, and never
# harvests
start_page_owner() {
	echo 0 >"$STEP"
	start_owner --huge --size "$1" --pages 600 --mark-only --rounds "$2" --step "$STEP" \
		--pages-log "$LOG" --hold
}

# step N: let the owner mark its pages for round N, and wait until it has
step() {
	echo "$1" >"$STEP"
	for _ in $(seq 600); do
		[ -f "$LOG" ] && [ "$(wc -l <"$LOG")" -ge "$1" ] && return 0
		sleep 0.1
	done
	echo "the owner did not mark round $1" >&2
	return 1
}

observers() {
	[ "$(iommu-dirtyctl -j show "$1" | jq '.observer | length')" = "$2" ]
}

gran_is() {
	[ "$(gran "$1")" = "$2" ]
}

lines_at_least() {
	[ "$(wc -l <"$1")" -ge "$2" ]
}

# extents DOMAIN NAME: a clearing dump as lease NAME, as [[iova, pages]...]
extents() {
	iommu-dirtyctl -j dump "$1" --name "$2" | jq -c '[.extents[] | [.iova, .pages]]'
}

# gran DOMAIN: [page size, owner records, owner bytes, observer records, observer bytes]...
gran() {
	iommu-dirtyctl -j show "$1" | jq -c '[.granularity[] | [.page_size, .owner_records,
		.owner_bytes, .observer_records, .observer_bytes]]'
}

@test "one page under a 1 MiB IOPTE reads as 1 MiB, as that page once precise, and merging keeps its dirty bit" {
	# mock page 600 lies in the domain's second 1 MiB IOPTE, which starts at BASE + 1 MiB
	local page=$((BASE + 600 * MOCK_PAGE)) block=$((BASE + (1 << 20))) id
	start_page_owner 4M 3
	id=$(dom)
	run -0 iommu-dirtyctl -j show "$id"
	validate-json show <<<"$output"
	assert_equal "$(jq -c '[.precise, .precise_cap, .granularity]' <<<"$output")" '[false,true,[]]'
	# its device's IOMMU says so too, and caps says it in words
	run -0 iommu-dirtyctl -j caps "$id"
	validate-json caps <<<"$output"
	assert_equal "$(jq -c '[.[].precise_cap] | unique' <<<"$output")" '[true]'
	run -0 iommu-dirtyctl caps "$id"
	assert_line "  precise tracking (huge IOPTEs split while asked for): possible"

	# without precise tracking: the whole IOPTE, one record of 1 MiB
	run -0 iommu-dirtyctl enable "$id" --name plain
	step 1
	assert_equal "$(extents "$id" plain)" "[[$block,512]]"
	assert_equal "$(gran "$id")" "[[1048576,0,0,1,1048576]]"

	# precise: the IOPTEs split (clean, as the block was), the page alone
	run -0 iommu-dirtyctl enable "$id" --name exact --precise
	assert_output --regexp "^domain $id: tracking on, 2 consumers, 2 observers, precise$"
	step 2
	assert_equal "$(extents "$id" exact)" "[[$page,1]]"
	# the other observer gets what the precise read took: the page too
	assert_equal "$(extents "$id" plain)" "[[$page,1]]"
	assert_equal "$(gran "$id")" "[[2048,0,0,1,2048],[1048576,0,0,1,1048576]]"
	run -0 iommu-dirtyctl -j show "$id"
	validate-json show <<<"$output"
	assert_equal "$(jq -c '[.precise, (.observer[] | [.name, .precise])]' <<<"$output")" \
		'[true,["plain",false],["exact",true]]'

	# the page dirtied while split; the last precise observer ends: merged,
	# the 1 MiB IOPTE dirty because its page was
	step 3
	run -0 iommu-dirtyctl disable "$id" --name exact
	assert_equal "$(iommu-dirtyctl -j show "$id" | jq .precise)" false
	assert_equal "$(extents "$id" plain)" "[[$block,512]]"
	assert_equal "$(gran "$id")" "[[2048,0,0,1,2048],[1048576,0,0,2,2097152]]"
	run -0 iommu-dirtyctl show "$id"
	assert_line --regexp '^  precise +off$'
	# of 2 MiB + 2 KiB dirty, the 2 KiB record is 0.1%
	assert_line --regexp '^    2K +0 +0 +1 +2K +0\.1%$'
	assert_line --regexp '^    1M +0 +0 +2 +2M +99\.9%$'
}

@test "the owner's harvests count their records by IOPTE size" {
	start_owner --huge --size 4M --pages 0,600,1100 --rounds 2 --hold --json
	local id
	id=$(dom)
	# three huge IOPTEs dirty in each of two harvests
	assert_equal "$(gran "$id")" "[[1048576,6,$((6 << 20)),0,0]]"
	# and Prometheus has them, one series per size and consumer
	run -0 iommu-dirtyctl stats --prometheus
	assert_equal "$(python3 -c 'import sys
from prometheus_client.parser import text_string_to_metric_families as parse
got = {}
for fam in parse(sys.stdin.read()):
    for s in fam.samples:
        if s.name == "iommu_dirty_domain_dirty_record_bytes_total" and s.labels["domain"] == sys.argv[1]:
            got[(s.labels["pgsize"], s.labels["consumer"])] = int(s.value)
        if s.name == "iommu_dirty_domain_precise" and s.labels["domain"] == sys.argv[1]:
            got["precise"] = int(s.value)
print(sorted(got.items(), key=str))' "$id" <<<"$output")" \
		"[('precise', 0), (('1048576', 'observer'), 0), (('1048576', 'owner'), 6291456)]"
	stop_owner
}

@test "precise tracking is asked for only when enabling, and ends with its observer" {
	start_owner --huge --size 2M --no-enable --hold
	local id
	id=$(dom)
	run -1 ynl --do tracking-set --json "{\"id\": $id, \"enable\": 0, \"precise\": 1}"
	assert_output --partial "error: -22"
	assert_output --partial "precise applies only to enabling"
	# a socket-bound precise observer: its socket closes, the domain merges back
	run -0 ynl --do tracking-set --json "{\"id\": $id, \"enable\": 1, \"precise\": 1}"
	assert_equal "$(jq .precise <<<"$output")" 1
	for _ in $(seq 100); do
		[ "$(iommu-dirtyctl -j show "$id" | jq .precise)" = false ] && break
		sleep 0.1
	done
	assert_equal "$(iommu-dirtyctl -j show "$id" | jq -c '[.precise, .consumers]')" '[false,0]'
}

@test "an IOPTE dirty when it is split reads dirty whole: nothing is lost across the split" {
	local block=$((BASE + (1 << 20))) id
	start_page_owner 2M 1
	id=$(dom)
	run -0 iommu-dirtyctl enable "$id" --name plain
	step 1
	# split while its 1 MiB IOPTE is dirty: each of its pages starts dirty
	run -0 iommu-dirtyctl enable "$id" --name exact --precise
	assert_equal "$(extents "$id" plain)" "[[$block,512]]"
	# the precise observer started after the write, but a block's bit cannot say when
	assert_equal "$(extents "$id" exact)" "[[$block,512]]"
	assert_equal "$(gran "$id")" "[[2048,0,0,512,1048576]]"
}

@test "rate and top say what share of the dirty bytes whole huge IOPTEs make" {
	local id out=$BATS_TEST_TMPDIR/rate.json tops=$BATS_TEST_TMPDIR/top.json pid n
	start_page_owner 2M 2
	id=$(dom)
	# rate's observer and top's both start before the page is written; each
	# is stopped once a clearing read took its record (the domain counts them)
	iommu-dirtyctl -j rate "$id" -i 1 -c 3600 >"$out" &
	pid=$!
	until_true observers "$id" 1
	step 1
	until_true gran_is "$id" "[[1048576,0,0,1,1048576]]"
	kill -INT "$pid"
	wait "$pid"
	validate-json rate <"$out"
	assert_equal "$(jq -c '[.huge_share, .page_size]' "$out")" '[1,2048]'

	iommu-dirtyctl -j top -d 0.2 --observe "$id" >"$tops" &
	pid=$!
	until_true observers "$id" 1
	step 2
	until_true gran_is "$id" "[[1048576,0,0,2,2097152]]"
	# the snapshot after the read that took it, then stop
	n=$(wc -l <"$tops")
	until_true lines_at_least "$tops" $((n + 1))
	kill -TERM "$pid"
	wait "$pid"
	validate-json top --lines <"$tops"
	assert_equal "$(jq -s -c --argjson id "$id" '[.[].domains[] | select(.id == $id) |
		.huge_share | select(. != null)] | unique' "$tops")" '[1]'
}

@test "two observers ask for precise tracking: the IOPTEs merge only when the last ends; peeks count nothing" {
	local page=$((BASE + 600 * MOCK_PAGE)) block=$((BASE + (1 << 20))) id
	start_page_owner 2M 2
	id=$(dom)
	run -0 iommu-dirtyctl enable "$id" --name a --precise
	run -0 iommu-dirtyctl enable "$id" --name b --precise
	run -0 iommu-dirtyctl disable "$id" --name a
	# b still asks: split still
	step 1
	assert_equal "$(iommu-dirtyctl -j show "$id" | jq .precise)" true
	# a peek takes nothing from the hardware: no record counted
	run -0 iommu-dirtyctl -j dump "$id" --name b --no-clear
	assert_equal "$(jq -c '[.extents[] | [.iova, .pages]]' <<<"$output")" "[[$page,1]]"
	assert_equal "$(gran "$id")" "[]"
	assert_equal "$(extents "$id" b)" "[[$page,1]]"
	assert_equal "$(gran "$id")" "[[2048,0,0,1,2048]]"
	# the last ends: merged, and the next write reads as its whole IOPTE
	run -0 iommu-dirtyctl enable "$id" --name plain
	run -0 iommu-dirtyctl disable "$id" --name b
	assert_equal "$(iommu-dirtyctl -j show "$id" | jq .precise)" false
	step 2
	assert_equal "$(extents "$id" plain)" "[[$block,512]]"
}
