# iommu-dirtyctl record and report against mock domains: a recording holds
# exactly what the owner dirtied in each interval (checked by time, not by
# speed: tests/helpers/record-check), the summary names the hot range, a
# recorder killed mid-way leaves a readable file, domains that come and go
# are noted, and bad input is refused.

setup() {
	load '../../helpers/common-setup'
	_common_setup
	load '../../helpers/ynl'
	PATH="$TOP/tests/helpers:$PATH"
	load '../../helpers/mock'
	mock_setup
	REC=$BATS_TEST_TMPDIR/rec
	STEP=$BATS_TEST_TMPDIR/step
}

teardown() {
	[ -z "${REC_PID:-}" ] || kill -TERM "$REC_PID" 2>/dev/null || true
	[ -z "${OWNER_PID:-}" ] || kill -TERM "$OWNER_PID" 2>/dev/null || true
	[ -z "${OWNER2_PID:-}" ] || kill -TERM "$OWNER2_PID" 2>/dev/null || true
	wait 2>/dev/null || true
}

dom() {
	iommu-dirtyctl -j show pid "$1" | jq -r .id
}

rec_domains() {
	[ -s "$REC" ] && [ "$(iommu-dirtyctl -j report "$REC" 2>/dev/null | jq "$1")" = true ]
}

# an interval of the recording whose read began after CLOCK_MONOTONIC ns $1
read_after() {
	local clock
	clock=$(iommu-dirtyctl -j report "$REC" 2>/dev/null | jq .clock_monotonic_ns) || return 1
	iommu-dirtyctl -j report --intervals "$REC" 2>/dev/null |
		jq -e -s --argjson t "$1" --argjson c "$clock" 'any(.[]; .begin_ns + $c > $t)' >/dev/null
}

# record_rounds N: let the owner run rounds 1..N one at a time, each read
# by an interval of the recording that began after it
record_rounds() {
	for r in $(seq "$1"); do
		echo "$r" >"$STEP"
		until_true log_has "$r"
		until_true read_after "$(sed -n "${r}p" "$LOG" | jq .t1)"
	done
}

log_has() {
	[ -f "$LOG" ] && [ "$(wc -l <"$LOG")" -ge "$1" ]
}

@test "record writes what the owner dirtied, interval by interval; report names the fixed hot range first" {
	# a fixed hot range (pages 1024-1031) and a band of 8 pages moving by 8 each
	# round; the owner tracks and harvests every round and must lose nothing
	echo 0 >"$STEP"
	start_owner --size 4M --pages 1024-1031 --band 8 --rounds 8 --step "$STEP" --exact \
		--pages-log "$LOG" --hold
	local id
	id=$(dom "$OWNER_PID")
	iommu-dirtyctl record "$id" -i 1 -o "$REC" >"$BATS_TEST_TMPDIR/record.out" &
	REC_PID=$!
	until_true rec_domains '.domains | length == 1'
	# one round at a time, each read by an interval that began after it: no
	# interval holds two rounds, however fast or slow each side is
	record_rounds 8
	kill -TERM "$REC_PID"
	wait "$REC_PID"
	REC_PID=
	run -0 cat "$BATS_TEST_TMPDIR/record.out"
	assert_output --regexp "^recorded [0-9]+ intervals of 1 domain in [0-9.]+ s to $REC \([0-9.]+[KM]?\)$"
	stop_owner

	iommu-dirtyctl -j report "$REC" >"$BATS_TEST_TMPDIR/summary"
	validate-json report <"$BATS_TEST_TMPDIR/summary"
	iommu-dirtyctl -j report --intervals "$REC" >"$BATS_TEST_TMPDIR/intervals"
	validate-json report-intervals --lines <"$BATS_TEST_TMPDIR/intervals"
	run -0 record-check "$LOG" "$BATS_TEST_TMPDIR/intervals" "$BATS_TEST_TMPDIR/summary" "$BASE" "$MOCK_PAGE"
	assert_output --regexp "record-check: [0-9]+ intervals, 8 rounds checked, 0 errors"
	local s=$BATS_TEST_TMPDIR/summary lo=$((BASE + 1024 * MOCK_PAGE)) hi=$((BASE + 1032 * MOCK_PAGE))
	assert_equal "$(jq -c '[.complete, (.domains | length), .domains[0].id, .domains[0].dirty_pages]' "$s")" \
		"[true,1,$id,$((8 * 16))]"
	assert_equal "$(jq '.domains[0].working_set_pages' "$s")" $((8 + 8 * 8))
	# its one mapping, recorded once: nothing was mapped or unmapped meanwhile
	assert_equal "$(jq -c '.domains[0].mapped_areas' "$s")" \
		"{\"areas\":1,\"bytes\":$((4 << 20)),\"writable_bytes\":$((4 << 20)),\"layouts\":1}"
	# the hottest range lies in the fixed one, dirty in every round's interval
	assert_equal "$(jq --argjson lo $lo --argjson hi $hi -c \
		'.domains[0].hottest[0] | [.iova >= $lo and .iova + .length <= $hi, .intervals >= 8]' "$s")" '[true,true]'
	run -0 iommu-dirtyctl report "$REC"
	assert_line --regexp "^domain $id  owner mock-owner \(pid $OWNER_PID\)  mapped 4M  page 2K  recorded"
	assert_line --regexp "^  DMA dirty rate +min [0-9.]+[KM]?/s  median"
	local first
	first=$(printf '%s\n' "${lines[@]}" | grep -A1 'hottest IOVA ranges' | tail -1)
	[[ "$first" =~ ^\ +0x([0-9a-f]+)-0x[0-9a-f]+\ +[0-9]+\ pages ]]
	(( 16#${BASH_REMATCH[1]} >= lo && 16#${BASH_REMATCH[1]} < hi ))
	# the pre-copy verdict of rate's model: 4M over 10 Gbit/s converges
	run -0 iommu-dirtyctl report "$REC" --bandwidth 10gbit
	assert_line --regexp "^  pre-copy over 10000 Mbit/s, downtime 300 ms: converges"
	# the heatmap over the intervals that hold the rounds: the band's range and
	# the fixed one, a hole between; the band's hottest row moves down its
	# range as the rounds go, from the first column to the last
	local span
	span=$(jq -r -s 'map(select(.dirty_pages > 0)) |
		"\((.[0].since_ns / 1e6 | floor) / 1e3)-\((.[-1].begin_ns / 1e6 | ceil) / 1e3)"' \
		"$BATS_TEST_TMPDIR/intervals")
	run -0 iommu-dirtyctl -j report "$REC" --heatmap --resolution 16x32 --time-range "$span" \
		-o "$BATS_TEST_TMPDIR/map.png"
	validate-json report-heatmap <<<"$output"
	run -0 python3 - "$BASE" "$MOCK_PAGE" <<PY
import json, sys
m = json.loads('''$output''')
base, page = int(sys.argv[1]), int(sys.argv[2])
segs = [(s["iova"], s["end"]) for s in m["segments"]]
assert segs == [(base + 8 * page, base + 72 * page), (base + 1024 * page, base + 1032 * page)], segs
band, fixed = m["segments"]
rows = range(band["row"], band["row"] + band["rows"])
hot = [max(rows, key=lambda y: m["cells"][y][x]) for x in range(m["columns"])
       if any(m["cells"][y][x] for y in rows)]
assert len(hot) >= 2 and hot == sorted(hot) and hot[-1] > hot[0], hot
fixed_cols = sum(1 for x in range(m["columns"]) if m["cells"][fixed["row"]][x])
assert fixed_cols >= len(hot), (fixed_cols, hot)
# and in the image: the band's hottest cell of the first and of the last
# column with band, and where the band is not yet (the end of its range, in
# the first column): their points, and the colours the scale gives them
img, cols = m["image"], [x for x in range(m["columns"]) if any(m["cells"][y][x] for y in rows)]
stops = [(0, 0, 4), (87, 16, 110), (188, 55, 84), (249, 142, 9), (252, 255, 164)]
def colour(v):
    at = max(0.0, min(1.0, v)) * 4
    i = min(int(at), 3)
    return " ".join(str(int(stops[i][c] + (stops[i + 1][c] - stops[i][c]) * (at - i) + 0.5)) for c in range(3))
assert m["cells"][rows[-1]][cols[0]] == 0
cells = [(cols[0], max(rows, key=lambda y: m["cells"][y][cols[0]])),
         (cols[-1], max(rows, key=lambda y: m["cells"][y][cols[-1]])), (cols[0], rows[-1])]
print(" ".join(f'{img["x"] + (x + 0.5) * img["cell_width"]},{img["y"] + (y + 0.5) * img["cell_height"]}'
               for x, y in cells))
print("|".join(colour(m["cells"][y][x] / m["max"]) for x, y in cells))
PY
	local pts want
	pts=$(tail -2 <<<"$output" | head -1)
	want=$(tail -1 <<<"$output")
	# shellcheck disable=SC2086
	run -0 png-pixels "$BATS_TEST_TMPDIR/map.png" $pts
	# within 2 of the scale's colour for each (cairo rounds)
	run -0 awk -v want="$want" 'BEGIN { split(want, w, "|") }
		{ split(w[NR], c, " "); for (i = 1; i <= 3; i++) if ($i - c[i] > 2 || c[i] - $i > 2) bad++ }
		END { exit bad != 0 || NR != 3 }' <<<"$output"
	# the hole between the band and the fixed range is mapped: clean, not unmapped
	run -0 iommu-dirtyctl report "$REC" --heatmap --resolution 16x32 --time-range "$span" \
		--color=never
	assert_line --regexp '^ +~~ [0-9.]+ [KM]iB never dirtied ~~$'
}

@test "a layout that changes during the recording is recorded again, and the report follows it" {
	# four 1 MiB areas; before round 2 the owner unmaps the last one
	echo 0 >"$STEP"
	start_owner --size 4M --chunk 1M --pages 0,1600 --mark-only --rounds 2 --step "$STEP" \
		--unmap-last-at 2 --pages-log "$LOG" --hold
	local id
	id=$(dom "$OWNER_PID")
	iommu-dirtyctl record "$id" -i 1 -o "$REC" >/dev/null &
	REC_PID=$!
	until_true rec_domains '.domains | length == 1'
	record_rounds 2
	kill -TERM "$REC_PID"
	wait "$REC_PID"
	REC_PID=
	run -0 iommu-dirtyctl -j report "$REC"
	validate-json report <<<"$output"
	# the last layout: three areas of the four, and two layouts in all
	assert_equal "$(jq -c '.domains[0].mapped_areas' <<<"$output")" \
		"{\"areas\":3,\"bytes\":$((3 << 20)),\"writable_bytes\":$((3 << 20)),\"layouts\":2}"
	# page 1600 (in the area unmapped later) was dirtied in round 1 only
	run -0 iommu-dirtyctl -j report --intervals "$REC"
	assert_equal "$(jq -s -c --argjson p $((BASE + 1600 * MOCK_PAGE)) \
		'[.[] | select(any(.extents[]; .iova == $p))] | length' <<<"$output")" 1
}

@test "a recorder killed with SIGKILL leaves a file readable up to its last whole interval" {
	start_owner --size 4M --random 64 --rounds 0 --interval 100 --exact --pages-log "$LOG" --hold
	local id n
	id=$(dom "$OWNER_PID")
	iommu-dirtyctl record "$id" -i 1 -o "$REC" >/dev/null &
	REC_PID=$!
	until_true rec_domains '.intervals >= 3'
	kill -KILL "$REC_PID"
	wait "$REC_PID" || true
	REC_PID=
	# and a last record cut in the middle, as a kill during its write leaves it
	n=$(iommu-dirtyctl -j report "$REC" | jq .intervals)
	truncate -s -5 "$REC"
	run -0 --separate-stderr iommu-dirtyctl -j report "$REC"
	validate-json report <<<"$output"
	assert_equal "$(jq -c '[.complete, (.cut | type), .intervals >= 2, .intervals <= '"$n"']' <<<"$output")" \
		'[false,"string",true,true]'
	[[ "$stderr" == *"cut short at byte"* ]]
	run -0 iommu-dirtyctl report "$REC"
	assert_line --regexp "^cut short  at byte [0-9]+: the last record is cut short; reported up to there$"
	# what it holds is still exactly what the owner marked
	iommu-dirtyctl -j report "$REC" >"$BATS_TEST_TMPDIR/summary" 2>/dev/null
	iommu-dirtyctl -j report --intervals "$REC" >"$BATS_TEST_TMPDIR/intervals" 2>/dev/null
	run -0 record-check "$LOG" "$BATS_TEST_TMPDIR/intervals" "$BATS_TEST_TMPDIR/summary" "$BASE" "$MOCK_PAGE"
	stop_owner
}

@test "record all: domains that appear and end during the recording are noted, not fatal" {
	start_owner --size 1M --no-enable --hold
	local a b
	a=$(dom "$OWNER_PID")
	iommu-dirtyctl -j record all -i 1 -o "$REC" >"$BATS_TEST_TMPDIR/record.out" &
	REC_PID=$!
	until_true rec_domains "any(.domains[]; .id == $a)"
	mock-owner --size 2M --no-enable --hold --ready "$BATS_TEST_TMPDIR/ready2" >/dev/null 2>&1 &
	OWNER2_PID=$!
	until_true test -s "$BATS_TEST_TMPDIR/ready2"
	b=$(dom "$OWNER2_PID")
	until_true rec_domains "any(.domains[]; .id == $b and .appeared)"
	stop_owner
	OWNER_PID=
	until_true rec_domains "any(.domains[]; .id == $a and .ended)"
	kill -TERM "$REC_PID"
	wait "$REC_PID"
	REC_PID=
	validate-json record <"$BATS_TEST_TMPDIR/record.out"
	run -0 iommu-dirtyctl -j report "$REC"
	assert_equal "$(jq -c --argjson a "$a" --argjson b "$b" \
		'[.complete, (.domains[] | select(.id == $a) | [.appeared, .ended]),
		  (.domains[] | select(.id == $b) | [.appeared, .ended, .mapped_bytes])]' <<<"$output")" \
		'[true,[false,true],[true,false,2097152]]'
	run -0 iommu-dirtyctl report "$REC"
	assert_line --regexp "^domain $a  owner mock-owner .*\(ended\)$"
	assert_line --regexp "^domain $b  owner mock-owner .*\(appeared\)$"
}

@test "record and report refuse bad input with a message and a documented status" {
	start_owner --size 1M --no-enable --hold
	local id
	id=$(dom "$OWNER_PID")
	run -2 iommu-dirtyctl record "$id"
	assert_output --partial "where to? (-o FILE)"
	run -2 iommu-dirtyctl record "$id" -o "$REC" -c 2 -d 10s
	assert_output --partial "--count and --duration both say when to stop"
	run -2 iommu-dirtyctl record "$id" -o "$REC" -i 0
	assert_output --partial "--interval takes 1 to 3600 seconds, not '0'"
	run -2 iommu-dirtyctl record all "$id" -o "$REC"
	assert_output --partial "'all' records every domain: name no other"
	# a domain that cannot be recorded leaves a file of that name alone
	echo "an older recording" >"$REC"
	run -5 iommu-dirtyctl record 999999 -o "$REC"
	assert_output --partial "no such domain 999999"
	run -2 iommu-dirtyctl record "$id" "$id" -o "$REC" -c 1
	assert_output --partial "domain $id is named twice"
	assert_equal "$(cat "$REC")" "an older recording"
	run -2 iommu-dirtyctl record "$id" -o "$REC" -i 10 -d 5s
	assert_output --partial "--duration is shorter than one --interval"
	run -1 iommu-dirtyctl record "$id" -o /proc/nonexistent/rec -c 1
	assert_output "iommu-dirtyctl record: cannot create /proc/nonexistent/rec: No such file or directory"
	run -4 setpriv --bounding-set -sys_admin iommu-dirtyctl record "$id" -o "$REC" -c 1
	assert_line --partial "this process lacks CAP_SYS_ADMIN"
	run -0 iommu-dirtyctl record "$id" -o "$BATS_TEST_TMPDIR/rec0" -c 1
	run -5 iommu-dirtyctl report "$BATS_TEST_TMPDIR/none"
	assert_output "iommu-dirtyctl report: cannot open $BATS_TEST_TMPDIR/none: No such file or directory"
	printf 'not a recording at all\n' >"$BATS_TEST_TMPDIR/text"
	run -1 iommu-dirtyctl report "$BATS_TEST_TMPDIR/text"
	assert_output "iommu-dirtyctl report: $BATS_TEST_TMPDIR/text: not a record file (no IOMMUDRC at its start) (at byte 0)"
	run -2 iommu-dirtyctl report
	assert_output --partial "which recording? (FILE)"
	run -2 iommu-dirtyctl report "$BATS_TEST_TMPDIR/text" --bandwidth 10G
	assert_output --partial "--bandwidth takes a rate with its unit"
	# a recording cut before its first record holds nothing to report
	head -c 16 "$BATS_TEST_TMPDIR/rec0" >"$BATS_TEST_TMPDIR/header-only"
	run -1 iommu-dirtyctl report "$BATS_TEST_TMPDIR/header-only"
	assert_output "iommu-dirtyctl report: $BATS_TEST_TMPDIR/header-only: holds no recording (it was cut before its start record)"
}
