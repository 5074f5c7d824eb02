# Observers of a mock domain through iommu-dirty (tracking-set, bitmap-get):
# they get every page, take none from the owner or from each other, and bad
# requests are refused with the documented errno and an extack message.
# `observe` runs several operations on one socket and prints a JSON line
# each; its exit status is the errno of the first that failed.

setup() {
	load '../../helpers/common-setup'
	_common_setup
	load '../../helpers/ynl'
	load '../../helpers/mock'
	mock_setup
}

teardown() {
	[ -z "${OWNER_PID:-}" ] || kill -TERM "$OWNER_PID" 2>/dev/null || true
	[ -z "${PLAIN_PID:-}" ] || kill -TERM "$PLAIN_PID" 2>/dev/null || true
	wait 2>/dev/null || true
}

# owner_domain: the registry id of the held owner's first domain.
owner_domain() {
	observe find "$OWNER_PID" "$(json_get "$READY" '.domains[0].hwpt')"
}

# stop_owner_exact: stop an --exact --json owner; it exited 0 and its
# harvests held its pages and nothing else.
stop_owner_exact() {
	stop_owner
	assert_equal "$(jq -s -c '.[-1].summary | [.missing, .extra]' "$BATS_TEST_TMPDIR/owner.out")" "[0,0]"
}

# read_iovas LINE: the dirty pages of one `observe` read line, as JSON.
read_iovas() {
	jq -c '.dirty | unique' <<<"$1"
}

@test "a socket-bound observer beside a tracking owner gets every page; the owner loses none" {
	start_owner --size 4M --random 200 --rounds 3 --exact --json --go "$GO" --done "$DONE" \
		--pages-log "$LOG" --hold
	local dom
	dom=$(owner_domain)
	run -0 observe "$dom" enable touch="$GO" wait="$DONE" read read
	assert_equal "$(read_iovas "${lines[1]}")" "$(logged_iovas)"
	assert_equal "$(json_get "${lines[2]}" .pages)" 0
	stop_owner_exact
}

@test "observers alone clear the hardware, and each still gets the pages the other took" {
	start_owner --size 4M --random 300 --rounds 2 --mark-only --go "$GO" --done "$DONE" \
		--pages-log "$LOG" --hold
	local dom
	dom=$(owner_domain)
	run -0 observe "$dom" enable=a enable=b
	touch "$GO"
	wait_done
	run -0 observe "$dom" read=a read=b read=a read=b disable=a disable=b
	assert_equal "$(read_iovas "${lines[0]}")" "$(logged_iovas)"
	assert_equal "$(read_iovas "${lines[1]}")" "$(logged_iovas)"
	assert_equal "$(json_get "${lines[2]}" .pages)" 0
	assert_equal "$(json_get "${lines[3]}" .pages)" 0
}

@test "an observer starting and reading between a tracking owner's marking and its harvest takes none of its pages" {
	# The owner marks, then waits (--harvest-go) while an observer starts
	# (no clear-on-enable may hit the owner's bits) and reads clearing
	# (what it clears is kept for the owner); then the owner harvests.
	local marked=$BATS_TEST_TMPDIR/marked harvest=$BATS_TEST_TMPDIR/harvest
	start_owner --size 4M --random 200 --rounds 1 --exact --json --go "$GO" --done "$DONE" \
		--marked "$marked" --harvest-go "$harvest" --pages-log "$LOG" --hold
	local dom
	dom=$(owner_domain)
	touch "$GO"
	await "$OWNER_PID" test -e "$marked"
	run -0 observe "$dom" enable read touch="$harvest" wait="$DONE" read disable
	# the observer saw the owner's pages, and exactly once: the harvest
	# hands it nothing it has read already
	assert_equal "$(read_iovas "${lines[1]}")" "$(logged_iovas)"
	assert_equal "$(json_get "${lines[2]}" .pages)" 0
	stop_owner_exact
}

@test "one observer's end leaves the hardware tracking for the others" {
	start_owner --size 4M --random 300 --rounds 1 --mark-only --go "$GO" --done "$DONE" \
		--pages-log "$LOG" --hold
	local dom
	dom=$(owner_domain)
	run -0 observe "$dom" enable=a enable=b disable=a
	run -0 ynl --do domain-get --json "{\"id\": $dom}"
	assert_equal "$(json_get "$output" '[.tracking, .consumers] | @csv')" "1,1"
	# and b still gets what is dirtied after a went
	touch "$GO"
	wait_done
	run -0 observe "$dom" read=b disable=b
	assert_equal "$(read_iovas "${lines[0]}")" "$(logged_iovas)"
}

@test "raw and extents agree, extents are 10x smaller for sparse pages, no-clear keeps them" {
	start_owner --size 64M --pages 0,1,2,100,500-510 --mark-only --go "$GO" --done "$DONE" --hold
	local dom
	dom=$(owner_domain)
	run -0 observe "$dom" enable=x
	touch "$GO"
	wait_done
	run -0 observe "$dom" read=x,no-clear read=x,no-clear,extents read=x,no-clear,page-size=16K \
		read=x read=x disable=x
	assert_equal "$(json_get "${lines[0]}" .pages)" 15
	assert_equal "$(read_iovas "${lines[0]}")" "$(read_iovas "${lines[1]}")"
	assert_equal "$(json_get "${lines[1]}" .runs)" 3
	(( $(json_get "${lines[1]}" .bytes) * 10 < $(json_get "${lines[0]}" .bytes) ))
	# 16K pages: 0-2 -> 0, 100 -> 12, 500-510 -> 62 and 63
	local k=16384
	assert_equal "$(read_iovas "${lines[2]}")" "[$BASE,$((BASE + 12 * k)),$((BASE + 62 * k)),$((BASE + 63 * k))]"
	assert_equal "$(read_iovas "${lines[3]}")" "$(read_iovas "${lines[0]}")"
	assert_equal "$(json_get "${lines[4]}" .pages)" 0
}

@test "adaptive sends each chunk in its smaller form: bits where dense, runs where sparse" {
	# Two chunks of 32768 pages: every other page of the first 4000, then
	# 11 pages of the second
	start_owner --size 128M --pages "$(seq -s, 0 2 3998),40000,50000-50009" --mark-only \
		--go "$GO" --done "$DONE" --hold
	local dom half=$(( 32768 * MOCK_PAGE ))
	dom=$(owner_domain)
	run -0 observe "$dom" enable=x
	touch "$GO"
	wait_done
	run -0 observe "$dom" read=x,no-clear read=x,no-clear,extents read=x,no-clear,adaptive \
		read=x,no-clear,iova=$BASE,length=$half read=x,no-clear,adaptive,iova=$BASE,length=$half \
		read=x,no-clear,extents,iova=$((BASE + half)),length=$half \
		read=x,no-clear,adaptive,iova=$((BASE + half)),length=$half disable=x
	local bytes=() i
	for i in 0 1 2 3 4 5 6; do
		bytes[i]=$(json_get "${lines[$i]}" .bytes)
	done
	# The same pages in every format
	assert_equal "$(json_get "${lines[0]}" .pages)" 2011
	assert_equal "$(read_iovas "${lines[1]}")" "$(read_iovas "${lines[0]}")"
	assert_equal "$(read_iovas "${lines[2]}")" "$(read_iovas "${lines[0]}")"
	# Both extremes: the dense chunk alone goes as raw does, the sparse one as extents
	assert_equal "${bytes[4]}" "${bytes[3]}"
	assert_equal "${bytes[6]}" "${bytes[5]}"
	# Together, smaller than either: the dense chunk's 2000 runs would
	# take 16000 bytes, its bits take 4096; the sparse chunk's take 4096 too
	(( bytes[2] * 3 / 2 < bytes[0] && bytes[2] * 3 / 2 < bytes[1] ))
}

@test "a read of the whole 1.75 GiB mapping and of a window far larger than it" {
	start_owner --size 1792M --chunk 64M --every 3 --mark-only --go "$GO" --done "$DONE" --hold
	local dom n=$(( 1792 * 1024 * 1024 / MOCK_PAGE ))
	dom=$(owner_domain)
	run -0 observe "$dom" enable=big
	touch "$GO"
	wait_done
	# The whole domain by default; then [0, 2 GiB), the whole aperture
	# (round 1 of --every 3 dirties pages 1, 4, 7...: each read must hold
	# exactly those, in order, across every chunk edge)
	run -0 observe "$dom" read=big,no-clear,extents,quiet,every=3:1 \
		read=big,no-clear,quiet,iova=0,length=2G,every=3:1 \
		read=big,quiet,iova=0,length=2G,every=3:1 read=big,quiet disable=big
	local i
	for i in 0 1 2; do
		assert_equal "$(json_get "${lines[$i]}" '[.pages, .misplaced] | @csv')" "$(( (n + 1) / 3 )),0"
	done
	assert_equal "$(json_get "${lines[3]}" .pages)" 0
}

@test "holes are skipped: a sparse window costs what the mapping costs" {
	start_owner --size 4M --pages 7 --mark-only --go "$GO" --done "$DONE" --hold
	local dom
	dom=$(owner_domain)
	run -0 observe "$dom" enable=s
	touch "$GO"
	wait_done
	run -0 observe "$dom" read=s,no-clear,iova=$BASE,length=4M read=s,no-clear,iova=0,length=2G \
		read=s,no-clear disable=s
	assert_equal "$(read_iovas "${lines[0]}")" "[$((BASE + 7 * MOCK_PAGE))]"
	assert_equal "$(read_iovas "${lines[1]}")" "[$((BASE + 7 * MOCK_PAGE))]"
	assert_equal "$(json_get "${lines[1]}" .bytes)" "$(json_get "${lines[0]}" .bytes)"
	assert_equal "$(json_get "${lines[2]}" .bytes)" "$(json_get "${lines[0]}" .bytes)"
}

@test "domain-get lists observers and consumers; the hardware stops with the last one" {
	start_owner --size 1M --no-enable --hold
	local dom now
	dom=$(owner_domain)
	run -0 observe "$dom" enable=runbook:600
	now=$(date +%s)
	run -0 ynl --do domain-get --json "{\"id\": $dom}"
	assert_equal "$(json_get "$output" '[.tracking, ."owner-tracking", .consumers] | @csv')" "1,0,1"
	assert_equal "$(json_get "$output" '.observer[0].name')" runbook
	local expires=$(( $(json_get "$output" '.observer[0].expires') / 1000000000 - now ))
	(( expires > 580 && expires <= 600 ))
	# A socket-bound observer ends with its process's socket
	run -0 observe "$dom" enable read disable=runbook
	run -0 ynl --do domain-get --json "{\"id\": $dom}"
	assert_equal "$(json_get "$output" '[.tracking, ."owner-tracking", .consumers] | @csv')" "0,0,0"
	assert_equal "$(json_get "$output" '.observer // [] | length')" 0
	assert_equal "$(json_get "$output" '."observer-reads"')" 1
}

@test "a lease expires on time and a renewed one does not" {
	start_owner --size 1M --no-enable --hold
	local dom
	dom=$(owner_domain)
	run -0 observe "$dom" enable=short:1 enable=long:1 enable=long:60
	sleep 2.5
	run -2 observe "$dom" read=short
	assert_output --partial '"extack":"no lease of that name on the domain"'
	run -0 observe "$dom" read=long disable=long
}

@test "bad requests are refused with their errno and an extack message" {
	start_owner --size 1M --no-enable --hold
	local dom plain ready=$BATS_TEST_TMPDIR/plain.ready
	dom=$(owner_domain)
	mock-owner --no-dirty-alloc --no-enable --hold --ready "$ready" >/dev/null 2>&1 &
	PLAIN_PID=$!
	await "$PLAIN_PID" test -s "$ready"
	plain=$(observe find "$PLAIN_PID" "$(jq -r '.domains[0].hwpt' "$ready")")

	run -95 observe "$plain" enable
	assert_output --partial "domain was not allocated with IOMMU_HWPT_ALLOC_DIRTY_TRACKING"
	run -2 observe 999999 enable
	assert_output --partial '"extack":"no such domain"'
	run -22 observe "$dom" read
	assert_output --partial "a clearing read needs an observer"
	run -0 observe "$dom" read,no-clear
	run -22 observe "$dom" enable read,page-size=3K
	assert_output --partial "page size must be a power of two from $MOCK_PAGE"
	run -22 observe "$dom" enable read,page-size=1K
	assert_output --partial "page size must be a power of two from $MOCK_PAGE"
	run -22 observe "$dom" enable read,iova=1K,length=4K,page-size=2K
	assert_output --partial "window start is not aligned to the page size"
	run -34 observe "$dom" enable read,iova=0,length=4G
	assert_output --partial "window goes past the end of the domain's aperture"
	run -2 observe "$dom" disable=nope
	assert_output --partial "no lease of that name on the domain"
	run -2 observe "$dom" disable
	assert_output --partial "this socket does not observe the domain"
	run -28 observe "$dom" $(printf 'enable=o%d ' $(seq 17))
	assert_output --partial "the domain already has 16 observers"
	run -0 observe "$dom" $(printf 'disable=o%d ' $(seq 16))
}

@test "observing needs CAP_SYS_ADMIN besides CAP_NET_ADMIN" {
	start_owner --size 1M --no-enable --hold
	local dom
	dom=$(owner_domain)
	run -1 setpriv --bounding-set -sys_admin observe "$dom" enable
	assert_output --partial '"extack":"CAP_SYS_ADMIN is required to observe a domain'"'"'s dirty pages"'
	run -1 setpriv --bounding-set -sys_admin observe "$dom" read,no-clear
	assert_output --partial "CAP_SYS_ADMIN is required"
}

@test "tracepoints record observers and their reads" {
	local T=/sys/kernel/tracing
	start_owner --size 1M --no-enable --hold
	local dom
	dom=$(owner_domain)
	echo >"$T/trace"
	echo 1 >"$T/events/iommufd_dirty/enable"
	run observe "$dom" enable=traced read=traced disable=traced
	echo 0 >"$T/events/iommufd_dirty/enable"
	assert_success
	grep -q "iommufd_dirty_observer: domain=$dom observer=traced pid=[0-9]* enable=1$" "$T/trace"
	grep -q "iommufd_dirty_observer_read: domain=$dom iova=0x$(printf %x "$BASE") pages=512 dirty=0 cleared_hw=1$" "$T/trace"
	grep -q "iommufd_dirty_observer: domain=$dom observer=traced pid=[0-9]* enable=0$" "$T/trace"
}

@test "observers starting, renewing, ending and expiring each send a domain-change notification" {
	start_owner --size 1M --no-enable --hold
	local dom
	dom=$(owner_domain)
	dump-loop --monitor --seconds 6 >"$BATS_TEST_TMPDIR/ntf" &
	local mon=$!
	wait_monitor_listener
	run -0 observe "$dom" enable=n enable=n disable=n enable=e:1
	wait "$mon"
	assert_equal "$(jq -c '[.notifications, .errors]' "$BATS_TEST_TMPDIR/ntf")" "[5,0]"
}

@test "a read walks at most 32768 of the domain's smallest pages at a time, at any page size" {
	local huge dom before after k=65536 want
	for huge in "" --huge; do
		start_owner --size 256M --chunk 2M $huge --pages 0,40000,131071 --mark-only \
			--go "$GO" --done "$DONE" --hold
		dom=$(owner_domain)
		run -0 observe "$dom" enable=x
		touch "$GO"
		wait_done
		before=$(ynl --do domain-get --json "{\"id\": $dom}" | jq '."observer-reads"')
		run -0 observe "$dom" read=x,page-size=64K disable=x
		after=$(ynl --do domain-get --json "{\"id\": $dom}" | jq '."observer-reads"')
		# 256 MiB of 2 KiB pages is 4 chunks of 32768, whatever a bit stands for
		assert_equal "$((after - before))" 4
		# 64 KiB pages 0, 1250 and 4095; on huge IOPTEs all 16 of each 1 MiB IOPTE
		if [ -n "$huge" ]; then
			want=$(jq -n -c --argjson b "$BASE" --argjson k "$k" \
				'[(0, 78, 255) as $h | range($h * 16; $h * 16 + 16) | $b + . * $k]')
		else
			want="[$BASE,$((BASE + 1250 * k)),$((BASE + 4095 * k))]"
		fi
		assert_equal "$(read_iovas "${lines[0]}")" "$want"
		stop_owner
		rm -f "$GO" "$DONE"
	done
}
