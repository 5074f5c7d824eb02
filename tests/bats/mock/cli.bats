# iommu-dirtyctl against mock domains: every subcommand, JSON validated
# against cli/schemas, exit status for bad input, privilege refusals, and
# dumps compared with what the owner helper dirtied.

setup() {
	load '../../helpers/common-setup'
	_common_setup
	load '../../helpers/ynl'
	PATH="$TOP/tests/helpers:$PATH"
	load '../../helpers/mock'
	mock_setup
}

teardown() {
	[ -z "${OWNER_PID:-}" ] || kill -TERM "$OWNER_PID" 2>/dev/null || true
	wait 2>/dev/null || true
}

# dom: the registry id of the held owner's first domain, through the CLI.
dom() {
	iommu-dirtyctl -j show pid "$OWNER_PID" | jq -r .id
}

# wait_observers ID N: until domain ID has N observers.
wait_observers() {
	for _ in $(seq 300); do
		[ "$(iommu-dirtyctl -j show "$1" | jq '.observer | length')" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

@test "list and show print every domain, as text and as JSON that fits the schema" {
	start_owner --size 4M --no-enable --hold
	local id
	id=$(dom)
	run -0 iommu-dirtyctl list
	assert_line --regexp "^ID +OWNER +HWPT +MECHANISM"
	assert_line --regexp "^$id +$OWNER_PID/mock-owner +[0-9]+ +mock +off +0 +4M +0 +0 +iommufd_mock"
	run -0 iommu-dirtyctl -j list
	validate-json list <<<"$output"
	run -0 iommu-dirtyctl -j show "$id"
	validate-json show <<<"$output"
	assert_equal "$(json_get "$output" '[.mapped_bytes, .dirty_alloc, .tracking] | @csv')" "4194304,true,false"
	run -0 iommu-dirtyctl -p show "$id"
	validate-json show <<<"$output"
	assert_line '    "mechanism": "mock",'
	run -0 iommu-dirtyctl show "$id"
	assert_line "domain $id"
	assert_line --regexp "^  mapped +4M in aperture 0x1000000-0x7fffffff, page sizes 2K$"
	run -0 iommu-dirtyctl --bytes show "$id"
	assert_line --regexp "^  mapped +4194304 in aperture"
}

@test "domains are selected by id, by owner pid and by device; ambiguity lists them" {
	start_owner --domains 2 --size 1M --no-enable --hold
	local ids dev
	ids=$(iommu-dirtyctl -j list | jq -c --argjson p "$OWNER_PID" '[.[] | select(.owner_pid == $p) | .id]')
	dev=$(iommu-dirtyctl -j show "$(jq '.[0]' <<<"$ids")" | jq -r '.dev[0]')
	run -2 iommu-dirtyctl show pid "$OWNER_PID"
	assert_output --partial "pid $OWNER_PID matches 2 domains; pick one by id:"
	assert_line "  $(jq '.[0]' <<<"$ids") (hwpt $(json_get "$READY" '.domains[0].hwpt'))"
	run -0 iommu-dirtyctl -j show dev "$dev"
	assert_equal "$(json_get "$output" .id)" "$(jq '.[0]' <<<"$ids")"
	run -5 iommu-dirtyctl show dev nosuchdev
	assert_output "iommu-dirtyctl show: no domain matches dev nosuchdev"
	run -5 iommu-dirtyctl show 999999
	assert_output "iommu-dirtyctl show: no such domain 999999"
	run -5 iommu-dirtyctl caps 999999
	assert_output "iommu-dirtyctl caps: no such domain 999999"
	run -5 iommu-dirtyctl enable 999999
	assert_output "iommu-dirtyctl enable: no such domain 999999"
	# decimal or 0x-hex, never octal: 0ID is domain ID
	run -0 iommu-dirtyctl -j show "0$(jq '.[0]' <<<"$ids")"
	assert_equal "$(json_get "$output" .id)" "$(jq '.[0]' <<<"$ids")"
	run -0 iommu-dirtyctl -j show "$(printf '0x%x' "$(jq '.[0]' <<<"$ids")")"
	assert_equal "$(json_get "$output" .id)" "$(jq '.[0]' <<<"$ids")"
	run -2 iommu-dirtyctl show 0x
	run -2 iommu-dirtyctl show pid x
	run -2 iommu-dirtyctl show frob
	assert_output --partial "'frob' is not a domain (ID | pid PID | dev NAME)"
	run -2 iommu-dirtyctl show
	assert_output --partial "which domain?"
}

@test "commands match by unique prefix, and help answers at every level" {
	run -0 iommu-dirtyctl li
	assert_line --regexp "^ID +OWNER"
	run -2 iommu-dirtyctl d
	assert_output "iommu-dirtyctl: 'd' is ambiguous: devices disable dump"
	run -2 iommu-dirtyctl frobnicate
	assert_line "iommu-dirtyctl: unknown command 'frobnicate'"
	run -0 iommu-dirtyctl help
	assert_line --regexp "^  dump +read a lease's dirty pages: DOMAIN$"
	run -0 iommu-dirtyctl dump help
	assert_line --partial "Usage: iommu-dirtyctl dump [OPTION...] DOMAIN"
	run -0 iommu-dirtyctl help enable
	assert_line --partial "Usage: iommu-dirtyctl enable [OPTION...] DOMAIN"
	run -0 iommu-dirtyctl list --help
	run -2 iommu-dirtyctl list --frob
	run -2 iommu-dirtyctl
}

@test "devices and caps show the mock device's capability" {
	start_owner --size 1M --no-enable --hold
	run -0 iommu-dirtyctl -j devices
	validate-json devices <<<"$output"
	local dev
	dev=$(jq -r --argjson p "$OWNER_PID" '.[] | select(.owner_pid == $p) | .name' <<<"$output")
	run -0 iommu-dirtyctl devices
	assert_line --regexp "^$dev +[0-9]+ +$OWNER_PID/mock-owner +[0-9]+ +mock +yes +mock$"
	run -0 iommu-dirtyctl caps "$dev"
	assert_output "$dev: mock IOMMU, dirty tracking supported (mock)
  precise tracking (huge IOPTEs split while asked for): possible"
	run -0 iommu-dirtyctl -j caps "$dev"
	validate-json caps <<<"$output"
	run -0 iommu-dirtyctl -j caps pid "$OWNER_PID"
	validate-json caps <<<"$output"
	assert_equal "$(json_get "$output" '[length, .[0].name] | @csv')" "1,\"$dev\""
	run -0 iommu-dirtyctl -j caps
	validate-json caps <<<"$output"
	run -5 iommu-dirtyctl caps nosuchdev
	assert_output "iommu-dirtyctl caps: no such device nosuchdev"
}

@test "a runbook enables a lease, dumps what the owner dirtied, and disables it; the owner loses nothing" {
	# --exact: each of the owner's harvests holds exactly what it dirtied
	start_owner --size 4M --random 100 --rounds 3 --exact --go "$GO" --done "$DONE" \
		--pages-log "$LOG" --hold
	local id
	id=$(dom)
	run -0 iommu-dirtyctl -j enable "$id" --name migrate --lease 10m
	validate-json enable <<<"$output"
	assert_equal "$(json_get "$output" '.observer[0].name')" migrate
	touch "$GO"
	wait_done
	run -0 iommu-dirtyctl -j dump "$id" --name migrate --no-clear
	validate-json dump <<<"$output"
	assert_equal "$(json_get "$output" '[.extents[] | range(.iova; .iova + .pages * '"$MOCK_PAGE"'; '"$MOCK_PAGE"')]')" \
		"$(logged_iovas | jq .)"
	run -0 iommu-dirtyctl -j dump "$id" --name migrate --format hex --no-clear
	validate-json dump <<<"$output"
	local raw=$BATS_TEST_TMPDIR/raw
	iommu-dirtyctl dump "$id" --name migrate --format raw --iova 16M --length 4M --no-clear >"$raw"
	assert_equal "$(stat -c %s "$raw")" $(( 4 * 1024 * 1024 / MOCK_PAGE / 8 ))
	# bit n of the window's bitmap is the page at 16M + n * page
	assert_equal "$(python3 -c 'import sys; b = open(sys.argv[1], "rb").read()
print([16777216 + i * int(sys.argv[2]) for i in range(len(b) * 8) if b[i // 8] >> (i % 8) & 1])' "$raw" "$MOCK_PAGE" | tr -d ' ')" \
		"$(logged_iovas)"
	local runs
	runs=$(iommu-dirtyctl -j dump "$id" --name migrate --no-clear | jq .runs)
	run -0 iommu-dirtyctl dump "$id" --name migrate
	assert_line "$(logged_iovas | jq length) dirty pages in $runs runs"
	run -0 iommu-dirtyctl dump "$id" --name migrate
	assert_output "0 dirty pages in 0 runs"
	run -0 iommu-dirtyctl -j disable "$id" --name migrate
	validate-json disable <<<"$output"
	assert_equal "$(json_get "$output" '.observer | length')" 0
	run -5 iommu-dirtyctl dump "$id" --name migrate
	assert_output "iommu-dirtyctl dump: no lease 'migrate' on domain $id (start one with \`iommu-dirtyctl enable\`)"
	stop_owner
}

@test "bad input is refused with exit status 2 before it reaches the kernel" {
	start_owner --size 1M --no-enable --hold
	local id
	id=$(dom)
	run -2 iommu-dirtyctl dump "$id" --page-size 3K
	assert_output --partial "--page-size: '3K' is not a power of two"
	run -2 iommu-dirtyctl dump "$id" --page-size 1K
	assert_output --partial "page size 1024 is not supported: the domain's smallest page is $MOCK_PAGE"
	run -2 iommu-dirtyctl dump "$id" --iova 0 --length 8G
	assert_output --partial "the window ends past the domain (its last IOVA is 0x7fffffff)"
	run -2 iommu-dirtyctl dump "$id" --iova 16M
	assert_output --partial "--iova needs --length"
	run -2 iommu-dirtyctl dump "$id" --iova 16M --length 1K
	assert_output --partial "the window must start and end on $MOCK_PAGE-byte pages"
	run -2 iommu-dirtyctl dump "$id" --length 12Q
	run -2 iommu-dirtyctl dump "$id" --format pdf
	run -2 iommu-dirtyctl dump "$id" --format raw
	assert_output --partial "--format raw needs a window"
	run -2 iommu-dirtyctl enable "$id" --lease 8d
	run -2 iommu-dirtyctl enable "$id" --lease 0
	run -2 iommu-dirtyctl enable "$id" --name ""
	assert_output --partial "a lease name has 1 to 31 bytes, not 0"
	# one byte over the kernel's IOMMU_DIRTY_LEASE_NAME_MAX_LEN (isolation.bats uses 31)
	run -2 iommu-dirtyctl dump "$id" --name 01234567890123456789012345678901
	assert_output --partial "a lease name has 1 to 31 bytes, not 32"
	run -2 iommu-dirtyctl watch "$id" --interval 0
	run -2 iommu-dirtyctl list extra
	run -2 iommu-dirtyctl disable "$id" --lease 1h
	assert_output --partial "unrecognized option '--lease'"
	# The kernel saw none of it: no observer ever started
	assert_equal "$(iommu-dirtyctl -j show "$id" | jq .observer_reads)" 0
	run -5 iommu-dirtyctl disable "$id" --name never-started
	assert_output "iommu-dirtyctl disable: no lease 'never-started' on domain $id (start one with \`iommu-dirtyctl enable\`)"
}

@test "a domain allocated without dirty tracking cannot be observed" {
	start_owner --size 1M --no-dirty-alloc --no-enable --hold
	run -1 iommu-dirtyctl enable "$(dom)"
	assert_output --partial "Operation not supported: domain was not allocated with IOMMU_HWPT_ALLOC_DIRTY_TRACKING"
}

@test "watch counts the pages dirtied in its intervals; the owner loses nothing" {
	start_owner --size 4M --random 300 --rounds 1 --exact --go "$GO" --done "$DONE" \
		--pages-log "$LOG" --hold
	local id out=$BATS_TEST_TMPDIR/watch
	id=$(dom)
	iommu-dirtyctl -j watch "$id" --interval 2 --count 2 >"$out" &
	local w=$!
	wait_observers "$id" 1
	touch "$GO"
	wait "$w"
	validate-json watch --lines <"$out"
	assert_equal "$(jq -s 'map(.dirty_pages) | add' "$out")" "$(logged_iovas | jq length)"
	# watch's observer was bound to its socket: gone with the process
	assert_equal "$(iommu-dirtyctl -j show "$id" | jq '.observer | length')" 0
	wait_done
	stop_owner
}

@test "monitor prints one JSON object per notification" {
	start_owner --size 1M --no-enable --hold
	local id out=$BATS_TEST_TMPDIR/mon
	id=$(dom)
	iommu-dirtyctl -j monitor --count 3 >"$out" &
	local m=$!
	wait_monitor_listener
	iommu-dirtyctl enable "$id" --name a >/dev/null
	iommu-dirtyctl disable "$id" --name a >/dev/null
	iommu-dirtyctl enable "$id" --name b >/dev/null
	wait "$m"
	validate-json monitor --lines <"$out"
	assert_equal "$(jq -s -c 'map(.event)' "$out")" '["domain-change","domain-change","domain-change"]'
	assert_equal "$(jq -s -c 'map([.domain.id, .domain.consumers])' "$out")" "[[$id,1],[$id,0],[$id,1]]"
	# each carries when it was printed, in order
	assert_equal "$(jq -s --argjson now "$(date +%s)" \
		'map(.time) | (. == sort) and all(. > ($now - 600) * 1e9 and . < ($now + 600) * 1e9)' "$out")" true
	iommu-dirtyctl monitor --count 1 >"$out" &
	m=$!
	wait_monitor_listener
	iommu-dirtyctl disable "$id" --name b >/dev/null
	wait "$m"
	run cat "$out"
	assert_output --regexp "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} domain-change +domain $id owner $OWNER_PID/mock-owner "
}

@test "without CAP_NET_ADMIN or CAP_SYS_ADMIN the CLI says which is missing, exit 4" {
	start_owner --size 1M --no-enable --hold
	local id
	id=$(dom)
	run -4 setpriv --bounding-set -net_admin iommu-dirtyctl list
	assert_line "iommu-dirtyctl list: this process lacks CAP_NET_ADMIN, which list needs."
	run -4 setpriv --bounding-set -sys_admin iommu-dirtyctl dump "$id"
	assert_line --partial "iommu-dirtyctl dump: this process lacks CAP_SYS_ADMIN, which dump needs"
	run -4 setpriv --bounding-set -sys_admin iommu-dirtyctl enable "$id"
	run -0 setpriv --bounding-set -sys_admin iommu-dirtyctl show "$id"
}

@test "bash completion offers the live domain ids and devices" {
	start_owner --size 1M --no-enable --hold
	local id dev
	id=$(dom)
	dev=$(iommu-dirtyctl -j show "$id" | jq -r '.dev[0]')
	source "$TOP/completions/iommu-dirtyctl"
	COMP_WORDS=(iommu-dirtyctl show "")
	COMP_CWORD=2
	_iommu_dirtyctl
	[[ " ${COMPREPLY[*]} " == *" $id "* ]]
	COMP_WORDS=(iommu-dirtyctl caps dev "")
	COMP_CWORD=3
	_iommu_dirtyctl
	[[ " ${COMPREPLY[*]} " == *" $dev "* ]]
}

@test "rate counts the DMA-dirtied pages of its window and its working set" {
	start_owner --size 4M --random 300 --rounds 2 --mark-only --go "$GO" --done "$DONE" \
		--pages-log "$LOG" --hold
	local id out=$BATS_TEST_TMPDIR/rate
	id=$(dom)
	iommu-dirtyctl -j rate "$id" --interval 4 --count 1 --bandwidth 10gbit --predict >"$out" &
	local r=$!
	wait_observers "$id" 1
	touch "$GO"
	wait "$r"
	validate-json rate <"$out"
	local distinct
	distinct=$(logged_iovas | jq length)
	assert_equal "$(jq '.windows[0].dirty_pages' "$out")" "$distinct"
	assert_equal "$(jq '.working_set_pages' "$out")" "$distinct"
	assert_equal "$(jq '[.estimate.converges, (.predict | length)] | @csv' "$out")" '"true,15"'
}

@test "rate is exact beside a tracking owner: what was dirtied before it started is not its, and nothing counts twice" {
	# The owner tracks and marks 1000 pages, then holds without harvesting,
	# as a VMM between migration passes: the hardware keeps them dirty.
	start_owner --size 4M --pages 0-999 --rounds 1 --no-harvest --done "$DONE" --hold
	local id
	id=$(dom)
	wait_done
	run -0 iommu-dirtyctl -j rate "$id" --interval 1 --count 2
	validate-json rate <<<"$output"
	assert_equal "$(json_get "$output" '[.windows[].dirty_pages] | @csv')" "0,0"
	# the owner tracks throughout (exact.bats checks what it then harvests)
	assert_equal "$(iommu-dirtyctl -j show "$id" | jq .owner_tracking)" true
}

@test "huge IOPTEs: a dump whose window splits them keeps the rest for the next dump" {
	# 1 MiB IOPTEs; the first mock page of huge pages 1..8 dirtied. The
	# window starts inside huge page 1 and ends inside huge page 5: the
	# hardware clears both whole, and what lies outside the window must come
	# with the next dump, whole huge pages from their heads.
	start_owner --huge --size 16M --pages 512,1024,1536,2048,2560,3072,3584,4096 --mark-only \
		--go "$GO" --done "$DONE" --hold
	local id
	id=$(dom)
	run -0 iommu-dirtyctl enable "$id"
	touch "$GO"
	wait_done
	run -0 iommu-dirtyctl -j dump "$id" --iova 0x1180000 --length 0x400000
	validate-json dump <<<"$output"
	assert_equal "$(json_get "$output" '[.extents[] | [.iova, .pages]] | @json')" \
		"[[$((0x1180000)),$((0x400000 / MOCK_PAGE))]]"
	run -0 iommu-dirtyctl -j dump "$id"
	assert_equal "$(json_get "$output" '[.extents[] | [.iova, .pages]] | @json')" \
		"[[$((0x1100000)),$((0x80000 / MOCK_PAGE))],[$((0x1580000)),$((0x380000 / MOCK_PAGE))]]"
	run -0 iommu-dirtyctl -j dump "$id"
	assert_equal "$(json_get "$output" '.extents | length')" 0
}

@test "rate's verdict: exit 0 when the migration converges, 3 when it does not" {
	start_owner --size 4M --no-enable --hold
	local id
	id=$(dom)
	# Nothing dirties by DMA here: the CPU's rate decides
	run -0 iommu-dirtyctl rate "$id" -i 1 -c 1 --bandwidth 1gbit --cpu-dirty-rate 10MiB/s
	assert_line --partial "converges after"
	assert_line --partial "the IOMMU sees DMA writes only, per domain"
	# 4 MiB at 1 Gbit/s is 34 ms: more than a 10 ms downtime, and all of it stays dirty
	run -3 iommu-dirtyctl rate "$id" -i 1 -c 1 --bandwidth 1gbit --cpu-dirty-rate 1GiB/s --downtime 10
	assert_line --partial "does not converge"
	run -3 iommu-dirtyctl -j rate "$id" -i 1 -c 1 --bandwidth 12.5MB/s --cpu-dirty-rate 20MiB/s --downtime 10
	validate-json rate <<<"$output"
	assert_equal "$(json_get "$output" .estimate.converges)" false
	run -0 iommu-dirtyctl rate "$id" -i 1 -c 1 --predict
	assert_line --regexp "^ +1 Gbit/s +[0-9.]+s +[0-9.]+s +[0-9.]+s$"
	run -2 iommu-dirtyctl rate "$id" --bandwidth 10gbps
	# 10G: GiB/s or Gbit/s? The unit must be spelled out
	run -2 iommu-dirtyctl rate "$id" --bandwidth 10G
	assert_output --partial "--bandwidth takes a rate with its unit, bits per second (10gbit, 100mbit) or bytes per second (1.25GB/s, 300MiB/s), not '10G'"
	run -2 iommu-dirtyctl rate "$id" --cpu-dirty-rate 300M
	run -2 iommu-dirtyctl rate "$id" --count 0
}

@test "stats writes Prometheus metrics that parse, atomically with -o" {
	start_owner --size 4M --rounds 2 --every 3 --hold
	local id file=$BATS_TEST_TMPDIR/iommu.prom
	id=$(dom)
	run -0 iommu-dirtyctl stats --prometheus
	local check='import sys
from prometheus_client.parser import text_string_to_metric_families as parse
want = {"domain": sys.argv[1], "pid": sys.argv[2], "comm": "mock-owner", "mechanism": "mock"}
types, values = {}, {}
for fam in parse(sys.stdin.read()):
    types[fam.name] = fam.type
    for s in fam.samples:
        if s.labels == want:
            values[s.name] = s.value
print(types["iommu_dirty_domain_harvests"], types["iommu_dirty_domain_mapped_bytes"],
      int(values["iommu_dirty_domain_harvests_total"]), int(values["iommu_dirty_domain_mapped_bytes"]),
      int(values["iommu_dirty_domain_tracking"]))'
	assert_equal "$(python3 -c "$check" "$id" "$OWNER_PID" <<<"$output")" "counter gauge 2 4194304 1"
	assert_line --regexp '^# TYPE iommu_dirty_domain_dirty_pages_total counter$'
	run -0 iommu-dirtyctl stats -o "$file"
	assert_output ""
	assert_equal "$(python3 -c "$check" "$id" "$OWNER_PID" <"$file")" "counter gauge 2 4194304 1"
	assert_equal "$(ls -A "$BATS_TEST_TMPDIR" | grep -c 'iommu.prom.')" 0
	# mkstemp's file, readable by a collector as a plain create would make it
	assert_equal "$(umask 022; iommu-dirtyctl stats -o "$file"; stat -c %a "$file")" 644
	run -2 iommu-dirtyctl -j stats
	run -1 iommu-dirtyctl stats -o /nonexistent/dir/x.prom
}

# no_raw_control: $output holds no control byte but newlines and is valid UTF-8.
no_raw_control() {
	python3 -c 'import sys
b = sys.stdin.buffer.read()
b.decode("utf-8")
bad = sorted({c for c in b if (c < 0x20 and c != 10) or c == 0x7f})
sys.exit("control bytes %s in the output" % bad if bad else 0)' <<<"$output"
}

@test "a comm with terminal escapes and bytes that are not UTF-8 is shown escaped, JSON stays UTF-8" {
	# 14 bytes: SGR red, an OSC title ended by BEL, two bytes that are not UTF-8
	local comm=$'\e[31m\e]0;x\a\xff\xfeq' shown='\x1b[31m\x1b]0;x\x07\xff\xfeq'
	start_owner --size 1M --no-enable --hold --comm "$comm"
	local id
	id=$(iommu-dirtyctl -j list | jq --argjson p "$OWNER_PID" '.[] | select(.owner_pid == $p) | .id')
	[ -n "$id" ]
	run -0 iommu-dirtyctl list
	no_raw_control
	assert_line --partial "$OWNER_PID/$shown "
	run -0 iommu-dirtyctl show "$id"
	no_raw_control
	assert_line --regexp "^  owner +pid $OWNER_PID \(\\\\x1b\[31m\\\\x1b\]0;x\\\\x07\\\\xff\\\\xfeq\), hwpt"
	run -0 iommu-dirtyctl -j list
	no_raw_control
	validate-json list <<<"$output"
	assert_equal "$(jq -r --argjson id "$id" '.[] | select(.id == $id) | .owner_comm == "\u001b[31m\u001b]0;x\u0007\ufffd\ufffdq"' <<<"$output")" true
	run -0 iommu-dirtyctl -j show "$id"
	no_raw_control
	validate-json show <<<"$output"
	run -0 iommu-dirtyctl top -b -n 1 -d 0.2
	no_raw_control
	assert_line --regexp "^ +$id +$OWNER_PID \\\\x1b\[31m\\\\x1b\]0"
	run -0 iommu-dirtyctl -j top -b -n 1 -d 0.2
	no_raw_control
	validate-json top --lines <<<"$output"
	run -0 iommu-dirtyctl stats
	no_raw_control
	assert_equal "$(python3 -c 'import sys
from prometheus_client.parser import text_string_to_metric_families as parse
print({s.labels["comm"] for f in parse(sys.stdin.read()) for s in f.samples if s.labels["domain"] == sys.argv[1]}.pop())' "$id" <<<"$output")" "$shown"
	run -0 iommu-dirtyctl devices
	no_raw_control
	# an observer's comm is the reader's: run iommu-dirtyctl under a hostile name
	local evil=$BATS_TEST_TMPDIR/$'\e[7mrdr\x9b'
	ln -s "$(command -v iommu-dirtyctl)" "$evil"
	"$evil" enable "$id" --name $'\e[5ml' >/dev/null
	run -0 iommu-dirtyctl show "$id"
	no_raw_control
	assert_line --regexp '^    \\x1b\[5ml +pid [0-9]+ \(\\x1b\[7mrdr\\x9b\) since '
	run -0 iommu-dirtyctl -j show "$id"
	assert_equal "$(json_get "$output" '.observer[0] | [.name, .comm] == ["\u001b[5ml", "\u001b[7mrdr\ufffd"]')" true
	run -0 iommu-dirtyctl -j caps "$id"
	no_raw_control
}

@test "colour only on a terminal that shows it, and columns line up with it" {
	start_owner --size 1M --no-enable --hold
	# what the columns hold, colour or not
	assert_equal "$(iommu-dirtyctl --color=always list | sed 's/\x1b\[[0-9;]*m//g')" \
		"$(iommu-dirtyctl --color=never list)"
	iommu-dirtyctl --color=always list | grep -q $'\e\\['
	# auto: a terminal (script(1) gives one), not TERM=dumb, not NO_COLOR
	run -0 env TERM=xterm script -qec "iommu-dirtyctl list" /dev/null
	assert_output --partial $'\e['
	run -0 env TERM=dumb script -qec "iommu-dirtyctl list" /dev/null
	refute_output --partial $'\e['
	run -0 env TERM=xterm NO_COLOR=1 script -qec "iommu-dirtyctl list" /dev/null
	refute_output --partial $'\e['
	run -0 env TERM=xterm NO_COLOR=1 script -qec "iommu-dirtyctl --color=always list" /dev/null
	assert_output --partial $'\e['
	run -0 env TERM=xterm iommu-dirtyctl list
	refute_output --partial $'\e['
}

@test "output that cannot be written fails the command" {
	start_owner --size 1M --no-enable --hold
	run -1 bash -c 'iommu-dirtyctl -j list >/dev/full'
	assert_output "iommu-dirtyctl list: cannot write the output: No space left on device"
	run -1 bash -c 'iommu-dirtyctl stats >/dev/full'
	assert_output --partial "cannot write the output"
	run -1 bash -c 'iommu-dirtyctl -j top -b -n 3 -d 0.1 >/dev/full'
	assert_output --partial "cannot write the output"
}

@test "monitor says in its stream when notifications were lost to an overrun" {
	local out=$BATS_TEST_TMPDIR/mon m
	# a buffer of a few notifications: a small flood overruns it
	iommu-dirtyctl -j monitor --rcvbuf 4K >"$out" &
	m=$!
	wait_monitor_listener
	# a stopped reader, and a flood of domain-add and domain-del notifications
	kill -STOP "$m"
	start_owner --domains 64 --size 64K --no-enable --hold
	stop_owner
	OWNER_PID=
	kill -CONT "$m"
	await "$m" grep -q '"event":"lost"' "$out"
	kill -TERM "$m"
	wait "$m"
	validate-json monitor --lines <"$out"
	assert_equal "$(jq -s 'map(select(.event == "lost")) | length > 0' "$out")" true
	assert_equal "$(jq -s 'map(select(.event == "lost")) | .[0].time > 0' "$out")" true
	run -2 iommu-dirtyctl monitor --rcvbuf 0
	assert_output --partial "--rcvbuf takes a size from 1 to 1073741823 bytes, not '0'"
	run -2 iommu-dirtyctl monitor --rcvbuf 4X
}
