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

@test "the heatmap's cells follow the moving band, the fixed range and the range beyond the hole" {
	run -0 iommu-dirtyctl -j report "$REC" --heatmap --resolution 20x40
	validate-json report-heatmap <<<"$output"
	echo "$output" >"$BATS_TEST_TMPDIR/map"
	python3 - "$BATS_TEST_TMPDIR/map" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
assert m["domain_id"] == 7 and m["columns"] == 20 and m["rows"] == 40, m
segs = m["segments"]
# the band and the fixed range, then 1 GiB never dirtied, then the far range
assert len(segs) == 2 and segs[0]["iova"] == 0 and segs[0]["end"] == 1016 * 4096, segs
assert segs[1]["iova"] == 0x40100000 and segs[1]["end"] == 0x40100000 + 64 * 4096, segs
cells, s0 = m["cells"], segs[0]
band_rows = range(s0["row"], s0["row"] + s0["rows"] - 1)
last = -1
for x in range(20):
    col = [cells[y][x] for y in band_rows]
    hot = max(range(len(col)), key=lambda y: col[y])
    assert col[hot] > 0, f"no band in column {x}"
    assert hot >= last, f"the band moved up in column {x}: row {hot} after {last}"
    last = hot
    # the fixed range: the segment's last row, dirty in every column
    assert cells[s0["row"] + s0["rows"] - 1][x] > 0, f"fixed range cold in column {x}"
    # beyond the hole: dirty in every other interval (the even ones)
    far = cells[segs[1]["row"]][x]
    assert (far > 0) == (x % 2 == 1), f"far range in column {x}: {far}"
assert last > len(band_rows) // 2, "the band never went down the range"
PY
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

@test "SVG output is well-formed XML with the axes' labels; the working set plots too" {
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
	assert_line --partial "~~ 1021.0 MiB never dirtied ~~"
	run -0 iommu-dirtyctl report "$REC" --heatmap --resolution 20x12 --color=never
	[[ "$output" != *$'\e'* ]]
	# 12 rows, two a line, the hole's line, the title, the time axis and the scale
	assert_equal "${#lines[@]}" $((12 / 2 + 1 + 3))
	assert_line --regexp '^ +0x40100000  ?[@ ]+$'
	run -0 iommu-dirtyctl report "$REC" --wss --color=never
	assert_line --index 0 "domain 7: working set (distinct pages dirtied)"
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
	run -1 iommu-dirtyctl report "$REC" --heatmap -o /proc/nonexistent/map.png
	assert_output --regexp "^iommu-dirtyctl report: cannot write /proc/nonexistent/map.png: "
}
