# report's views of a recording, on the host (report needs no kernel): a
# synthetic recording with a known shape (tests/helpers/make-recording,
# written apart from the C writer) drawn as a heatmap and a working-set
# plot, on the terminal, as PNG (decoded by tests/helpers/png-pixels) and
# as SVG; bad view options refused.

setup() {
	load '../../helpers/common-setup'
	_common_setup
	PATH="$TOP/tests/helpers:$PATH"
	REC=$BATS_TEST_TMPDIR/syn.idr
	make-recording "$REC" --intervals 20
}

# expect-cells JSON: every cell of the heatmap against what the synthetic
# shape puts there, computed here from the axis the JSON gives
expect_cells() {
	python3 - "$1" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
PAGE, FAR, W = 4096, 0x40100000, m["columns"]
def intervals_of(x):                   # interval n is (n - 1 s, n s]; column x is 20/W s
    lo, hi = x * 20 / W, (x + 1) * 20 / W
    return [n for n in range(1, 21) if n - 1 < hi and n > lo]
def pages_in(lo, hi, ranges):
    return sum(max(0, min(hi, b) - max(lo, a)) for a, b in ranges) / PAGE
bad = 0
for s in m["segments"]:
    for i in range(s["rows"]):
        y = s["row"] + i
        length = s["end"] - s["iova"]
        lo = s["iova"] + int(float(length) * i / s["rows"])
        hi = s["iova"] + int(float(length) * (i + 1) / s["rows"])
        for x in range(W):
            got = 0.0
            for n in intervals_of(x):
                ranges = [(32 * (n - 1) * PAGE, (32 * (n - 1) + 32) * PAGE), (1000 * PAGE, 1016 * PAGE)]
                if n % 2 == 0:
                    ranges.append((FAR, FAR + 64 * PAGE))
                got += pages_in(lo, hi, ranges)
            want = got / ((hi - lo) / PAGE * len(intervals_of(x)))
            if abs(m["cells"][y][x] - want) > 1e-5 * max(1, want):
                bad += 1
                if bad < 4:
                    print(f"cell {x},{y}: {m['cells'][y][x]} where {want}", file=sys.stderr)
assert not bad, f"{bad} cells differ"
assert abs(m["max"] - max(max(r) for r in m["cells"])) < 1e-5 and len(m["segments"]) == 2, m["max"]
PY
}

@test "every cell of the heatmap is what the shape puts there, one interval a column or two" {
	run -0 iommu-dirtyctl -j report "$REC" --heatmap --resolution 20x40
	validate-json report-heatmap <<<"$output"
	echo "$output" >"$BATS_TEST_TMPDIR/map"
	# the band and the fixed range, then 1 GiB never dirtied, then the far range
	assert_equal "$(jq -c '[.segments[] | [.iova, .end]]' "$BATS_TEST_TMPDIR/map")" \
		"[[0,$((1016 * 4096))],[$((0x40100000)),$((0x40100000 + 64 * 4096))]]"
	assert_equal "$(jq -c '[.start_ns, .end_ns, .max]' "$BATS_TEST_TMPDIR/map")" '[0,20000000000,1]'
	expect_cells "$BATS_TEST_TMPDIR/map"
	# two intervals a column: each cell their mean (the far range at a half)
	run -0 iommu-dirtyctl -j report "$REC" --heatmap --resolution 10x40
	echo "$output" >"$BATS_TEST_TMPDIR/map"
	expect_cells "$BATS_TEST_TMPDIR/map"
	assert_equal "$(jq -c '[.cells[.segments[1].row][]] | unique' "$BATS_TEST_TMPDIR/map")" '[0.5]'
	# more columns than intervals: each interval in every column it spans, a
	# column across two of them their mean
	run -0 iommu-dirtyctl -j report "$REC" --heatmap --resolution 40x40
	echo "$output" >"$BATS_TEST_TMPDIR/map"
	expect_cells "$BATS_TEST_TMPDIR/map"
	run -0 iommu-dirtyctl -j report "$REC" --heatmap --resolution 30x40
	echo "$output" >"$BATS_TEST_TMPDIR/map"
	expect_cells "$BATS_TEST_TMPDIR/map"
}

@test "more ranges than the axis holds are joined across their smallest holes" {
	python3 - "$BATS_TEST_TMPDIR/many.idr" <<'PY'
import struct, sys
def rec(f, t, p): f.write(struct.pack("<IHH", len(p), t, 0) + p)
def s(x): return struct.pack("<H", len(x)) + x.encode()
with open(sys.argv[1], "wb") as f:
    f.write(b"IOMMUDRC" + struct.pack("<HHI", 1, 0, 0))
    rec(f, 1, struct.pack("<QQQ", 0, 1, 10**9) + s("h") + s("k") + s("t"))
    rec(f, 2, struct.pack("<QQIIIBBHQQQQ", 0, 3, 1, 1, 1, 0, 0, 0, 4096, 1 << 40, 0, (1 << 48) - 1) + s("c"))
    # 20 single-page runs, the gap after run k growing with k: 4 GiB .. 80 GiB
    pages, at = [], 0
    for k in range(20):
        pages.append(at)
        at += (k + 1) * (1 << 20)
    runs, prev = bytearray(), pages[0]
    def leb(v):
        out = bytearray()
        while True:
            b, v = v & 0x7F, v >> 7
            out.append(b | (0x80 if v else 0))
            if not v: return bytes(out)
    for p in pages:
        runs += leb(p - prev) + leb(0)
        prev = p + 1
    rec(f, 3, struct.pack("<QQQQQQQBBHI", 3, 0, 10**9, 10**9 + 1, 4096, 20, 0, 0, 0, 0, 20) + bytes(runs))
PY
	run -0 iommu-dirtyctl -j report "$BATS_TEST_TMPDIR/many.idr" --heatmap --resolution 4x64
	# holes of under 1/64 of the span (after runs 0 and 1) are joined, then
	# the 2 smallest left (after runs 2 and 3), to keep 16 ranges
	assert_equal "$(jq -c '[(.segments | length), (.segments[0] | [.iova, .end])]' <<<"$output")" \
		"[16,[0,$(( (1 + 2 + 3 + 4) * (1 << 20) * 4096 + 4096 ))]]"
	assert_equal "$(jq '[.segments[].rows] | add' <<<"$output")" 64
}

@test "the PNG is drawn from the cells: every cell's pixel has its colour on the scale" {
	run -0 iommu-dirtyctl -j report "$REC" --heatmap --resolution 20x40 -o "$BATS_TEST_TMPDIR/map.png"
	validate-json report-heatmap <<<"$output"
	echo "$output" >"$BATS_TEST_TMPDIR/map"
	python3 - "$BATS_TEST_TMPDIR/map" "$BATS_TEST_TMPDIR/map.png" <<'PY'
import json, subprocess, sys
m = json.load(open(sys.argv[1]))
img = m["image"]
stops = [(0, 0, 4), (87, 16, 110), (188, 55, 84), (249, 142, 9), (252, 255, 164)]
def colour(v):
    at = max(0.0, min(1.0, v)) * 4
    i = min(int(at), 3)
    return [int(stops[i][c] + (stops[i + 1][c] - stops[i][c]) * (at - i) + 0.5) for c in range(3)]
seg_of = {}
for k, s in enumerate(m["segments"]):
    for y in range(s["row"], s["row"] + s["rows"]):
        seg_of[y] = k
points, want = [], []
for y in range(m["rows"]):
    for x in range(m["columns"]):
        px = img["x"] + (x + 0.5) * img["cell_width"]
        py = img["y"] + (y + 0.5) * img["cell_height"] + seg_of[y] * img["hole_height"]
        points.append(f"{px},{py}")
        want.append(colour(m["cells"][y][x] / m["max"]))
out = subprocess.run(["png-pixels", sys.argv[2], *points], check=True, capture_output=True, text=True).stdout
got = [list(map(int, l.split())) for l in out.splitlines()]
bad = [(p, w, g) for p, w, g in zip(points, want, got) if max(abs(a - b) for a, b in zip(w, g)) > 2]
assert not bad, f"{len(bad)} cells drawn in the wrong colour, e.g. {bad[:3]}"
assert sum(1 for w in want if w != colour(0)) > 40, "too few hot cells to tell"
PY
}

@test "SVG output is well-formed XML; the working set plots too" {
	run -0 iommu-dirtyctl report "$REC" --heatmap -o "$BATS_TEST_TMPDIR/map.svg"
	assert_output ""
	python3 -c 'import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); assert r.tag.endswith("svg"), r.tag' \
		"$BATS_TEST_TMPDIR/map.svg"
	run -0 iommu-dirtyctl report "$REC" --wss -o "$BATS_TEST_TMPDIR/wss.svg"
	python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$BATS_TEST_TMPDIR/wss.svg"
	run -0 iommu-dirtyctl report "$REC" --wss -o "$BATS_TEST_TMPDIR/wss.png"
	run -0 png-pixels "$BATS_TEST_TMPDIR/wss.png" 0,0
	assert_output "255 255 255"
	# the working set after each interval: growing, to every distinct page
	run -0 iommu-dirtyctl -j report "$REC" --wss
	validate-json report-wss <<<"$output"
	assert_equal "$(jq -c '[.points | length, (map(.pages) | . == sort), .[-1].pages, .[0].pages]' <<<"$output")" \
		'[20,true,720,48]'
}

@test "on a terminal the heatmap is drawn with half blocks and colour, or shades without" {
	run -0 iommu-dirtyctl report "$REC" --heatmap --resolution 20x12 --color=always
	assert_line --index 0 "domain 7: DMA-dirtied pages by IOVA and time"
	[[ "$output" == *$'\e[38;2;'* && "$output" == *"▀"* ]]
	assert_line --partial "~~ 1021.0 MiB never dirtied (mapping not recorded) ~~"
	run -0 iommu-dirtyctl report "$REC" --heatmap --resolution 20x12 --color=never
	[[ "$output" != *$'\e'* ]]
	# 12 rows, two a line, the hole's line, the title, the time axis and the scale
	assert_equal "${#lines[@]}" $((12 / 2 + 1 + 3))
	assert_line --regexp '^ +0x40100000  ?[@ ]+$'
	run -0 iommu-dirtyctl report "$REC" --wss --color=never
	assert_line --index 0 "domain 7: working set (distinct pages dirtied)"
}

@test "with mapped areas recorded, a hole says how much of it was never mapped" {
	make-recording "$BATS_TEST_TMPDIR/wide.idr" --maps wide
	run -0 iommu-dirtyctl -j report "$BATS_TEST_TMPDIR/wide.idr" --heatmap --resolution 20x12
	validate-json report-heatmap <<<"$output"
	# [4 MiB - 32 KiB, 1 GiB + 1 MiB) never dirtied: 5 MiB of it in the two areas
	assert_equal "$(jq -c '[.segments[] | .hole_unmapped_bytes]' <<<"$output")" \
		"[$(((1 << 30) - (8 << 20))),null]"
	run -0 iommu-dirtyctl report "$BATS_TEST_TMPDIR/wide.idr" --heatmap --resolution 20x12 \
		--color=never
	assert_line --partial "~~ 1021.0 MiB never dirtied, 1016.0 MiB of it unmapped ~~"
	make-recording "$BATS_TEST_TMPDIR/tight.idr" --maps tight
	run -0 iommu-dirtyctl report "$BATS_TEST_TMPDIR/tight.idr" --heatmap --resolution 20x12 \
		--color=never
	assert_line --partial "~~ 1021.0 MiB unmapped ~~"
	run -0 iommu-dirtyctl -j report "$BATS_TEST_TMPDIR/tight.idr" --heatmap --resolution 20x12
	assert_equal "$(jq '.segments[0].hole_unmapped_bytes' <<<"$output")" \
		$((0x40100000 - 1016 * 4096))
	# a recording without areas says only what it knows
	run -0 iommu-dirtyctl -j report "$REC" --heatmap --resolution 20x12
	assert_equal "$(jq -c '[.segments[] | has("hole_unmapped_bytes")]' <<<"$output")" \
		'[false,false]'
}

@test "the summary gives the last layout and its hottest ranges never span a hole" {
	make-recording "$BATS_TEST_TMPDIR/wide.idr" --maps wide
	run -0 iommu-dirtyctl report "$BATS_TEST_TMPDIR/wide.idr"
	assert_line "  mapped areas     3 (10M, 10M writable) at the end; 2 layouts recorded"
	run -0 iommu-dirtyctl -j report "$BATS_TEST_TMPDIR/wide.idr" --top 256
	validate-json report <<<"$output"
	assert_equal "$(jq -c '.domains[0].mapped_areas' <<<"$output")" \
		"{\"areas\":3,\"bytes\":$(((10 << 20) + 4096)),\"writable_bytes\":$((10 << 20)),\"layouts\":2}"
	# the fixed range (pages 1000-1015, every interval) first, in pieces within it
	assert_equal "$(jq -c '[.domains[0].hottest[:2][] | [.iova >= 1000 * 4096,
		.iova + .length <= 1016 * 4096, .intervals]]' <<<"$output")" '[[true,true,20],[true,true,20]]'
	# every range lies on one side of the 1021 MiB hole, and is small: the axis, not the span
	assert_equal "$(jq '[.domains[0].hottest[] | select(.iova < 1016 * 4096 and
		.iova + .length > 1016 * 4096) ] | length' <<<"$output")" 0
	assert_equal "$(jq '[.domains[0].hottest[].length] | max <= 65536' <<<"$output")" true
	# the pages of the ranges add up to every page of every interval
	assert_equal "$(jq '[.domains[0].hottest[].dirty_pages] | add' <<<"$output")" \
		"$(jq '.domains[0].dirty_pages' <<<"$output")"
}

@test "the views' options are checked: ranges, resolution, output, domain" {
	run -0 iommu-dirtyctl -j report "$REC" --heatmap --resolution 10x8 --time-range 10-20
	assert_equal "$(jq -c '[.start_ns, .end_ns]' <<<"$output")" '[10000000000,20000000000]'
	run -0 iommu-dirtyctl -j report "$REC" --heatmap --resolution 10x8 --iova-range 0x40000000-0x50000000
	assert_equal "$(jq -c '[(.segments | length), .segments[0].iova]' <<<"$output")" "[1,$((0x40100000))]"
	run -1 iommu-dirtyctl report "$REC" --heatmap --iova-range 0x80000000-0x90000000
	assert_output "iommu-dirtyctl report: domain 7 has no dirty page in the range asked: nothing to draw"
	run -5 iommu-dirtyctl report "$REC" --heatmap --domain 99
	assert_output "iommu-dirtyctl report: the recording has no domain 99"
	run -2 iommu-dirtyctl report "$REC" --heatmap --resolution 3x3
	assert_output --partial "--resolution takes WIDTHxHEIGHT, 4 to 4096 each, not '3x3'"
	run -2 iommu-dirtyctl report "$REC" --heatmap -o map.jpg
	assert_output --partial "--output takes a file ending in .png or .svg, not 'map.jpg'"
	run -2 iommu-dirtyctl report "$REC" --heatmap --wss
	assert_output --partial "--heatmap, --wss and --intervals are views: pick one"
	run -2 iommu-dirtyctl report "$REC" -o map.png
	assert_output --partial "go with --heatmap or --wss"
	run -2 iommu-dirtyctl report "$REC" --heatmap --time-range 20-10
	assert_output --partial "--time-range takes START-END"
	run -2 iommu-dirtyctl report "$REC" --heatmap --time-range 99999999999999-999999999999999
	assert_output --partial "--time-range takes START-END"
	run -1 iommu-dirtyctl report "$REC" --heatmap --time-range 100-200
	assert_output "iommu-dirtyctl report: domain 7 has no interval in the time range asked: nothing to draw"
	run -1 iommu-dirtyctl report "$REC" --wss --time-range 100-200
	assert_output "iommu-dirtyctl report: domain 7 has no interval in the time range asked: nothing to draw"
	run -1 iommu-dirtyctl report "$REC" --heatmap -o /proc/nonexistent/map.png
	assert_output --regexp "^iommu-dirtyctl report: cannot write /proc/nonexistent/map.png: "
}
