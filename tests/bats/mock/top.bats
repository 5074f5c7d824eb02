# iommu-dirtyctl top against mock domains: batch snapshots whose per-interval
# pages add up to what the owner helper dirtied, domains that come and go by
# notification, and the curses screen driven through tmux (send-keys,
# capture-pane): sort, filter, observe, help, resize, quit and signals.

setup() {
	load '../../helpers/common-setup'
	_common_setup
	load '../../helpers/ynl'
	PATH="$TOP/tests/helpers:$PATH"
	load '../../helpers/mock'
	mock_setup
	TMUX_SOCKET=top-$BATS_TEST_NUMBER-$$
	export TERM=${TERM:-screen}
	[ "$TERM" != dumb ] && [ "$TERM" != linux ] || export TERM=screen
}

teardown() {
	tmux -L "$TMUX_SOCKET" kill-server 2>/dev/null || true
	[ -z "${OWNER_PID:-}" ] || kill -TERM "$OWNER_PID" 2>/dev/null || true
	[ -z "${OWNER2_PID:-}" ] || kill -TERM "$OWNER2_PID" 2>/dev/null || true
	wait 2>/dev/null || true
}

dom() {
	iommu-dirtyctl -j show pid "$1" | jq -r .id
}

# wait_lines FILE N: until FILE holds N lines.
wait_lines() {
	for _ in $(seq 300); do
		[ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# top_through_owner OUT ARGS...: `top -j ARGS` in batch mode from before the
# owner starts (GO) until a snapshot has ended after the owner said it was
# done, then SIGTERM (top exits 0): every interval that can hold the owner's
# work is in OUT, however slow the machine; the first one holds none of it.
top_through_owner() {
	local out=$1 t n
	shift
	iommu-dirtyctl -j top "$@" >"$out" &
	t=$!
	wait_lines "$out" 1
	touch "$GO"
	wait_done
	n=$(wc -l <"$out")
	wait_lines "$out" $((n + 1))
	kill -TERM "$t"
	wait "$t"
}

# Snapshot rows of domain ID, one JSON object per line.
rows_of() {
	jq -c --argjson id "$2" '.domains[] | select(.id == $id)' "$1"
}

# ---- tmux -------------------------------------------------------------------
# The screen runs in a detached tmux session, under a shell that writes its
# exit status to $STATUS (tmux in the guest never learns its panes' status)
# and ignores SIGINT, which C-c sends to it too.
start_screen() {
	STATUS=$BATS_TEST_TMPDIR/status
	rm -f "$STATUS"
	tmux -L "$TMUX_SOCKET" -f /dev/null new-session -d -s top -x "${COLS:-150}" -y 30 \
		sh -c 'trap "" INT; "$@"; echo $? >"$0"' "$STATUS" "$@"
	tmux -L "$TMUX_SOCKET" set-option -t top remain-on-exit on >/dev/null
}

# The pid of the command start_screen runs.
screen_pid() {
	pgrep -P "$(pane '#{pane_pid}')"
}

screen() {
	tmux -L "$TMUX_SOCKET" -f /dev/null new-session -d -s top -x "${COLS:-150}" -y 30 \
		"$@"
	tmux -L "$TMUX_SOCKET" set-option -t top remain-on-exit on >/dev/null
}

screen() {
	tmux -L "$TMUX_SOCKET" capture-pane -p -t top
}

keys() {
	tmux -L "$TMUX_SOCKET" send-keys -t top "$@"
}

pane() {
	tmux -L "$TMUX_SOCKET" display-message -p -t top "$1"
}

# wait_screen [--not] REGEX: until the screen shows (or stops showing) a
# line matching REGEX.
wait_screen() {
	local want=0 got
	if [ "$1" = --not ]; then
		want=1
		shift
	fi
	for _ in $(seq 200); do
		if screen | grep -Eq -- "$1"; then got=0; else got=1; fi
		[ $got = $want ] && return 0
		sleep 0.1
	done
	echo "the screen $([ $want = 0 ] && echo never showed || echo kept showing) /$1/:" >&2
	screen >&2
	return 1
}

# wait_exit STATUS: until the command exited, with STATUS.
wait_exit() {
	for _ in $(seq 100); do
		[ -s "$STATUS" ] && break
		sleep 0.1
	done
	assert_equal "$(cat "$STATUS")" "$1"
}

# The widest line on the screen.
screen_width() {
	screen | awk '{ if (length > m) m = length } END { print m + 0 }'
}

# screen_of_owner DELAY: an owner with one domain (ID), and top's screen showing it.
screen_of_owner() {
	start_owner --size 1M --no-enable --hold
	ID=$(dom "$OWNER_PID")
	start_screen iommu-dirtyctl top -d "$1"
	wait_screen "^ +$ID +$OWNER_PID "
}

# The domain rows on the screen, as "ID PID" in screen order.
screen_ids() {
	screen | awk 'seen && NF { print $1, $2 } /^ +ID +PID/ { seen = 1 }'
}

@test "batch snapshots count the pages the owner harvested in each interval" {
	start_owner --size 4M --random 300 --rounds 1 --go "$GO" --done "$DONE" --pages-log "$LOG" --hold
	local id out=$BATS_TEST_TMPDIR/top
	id=$(dom "$OWNER_PID")
	top_through_owner "$out" -b -d 1
	validate-json top --lines <"$out"
	# the first snapshot saw nothing; together the others saw the harvest
	assert_equal "$(rows_of "$out" "$id" | head -1 | jq .interval_dirty_pages)" 0
	assert_equal "$(rows_of "$out" "$id" | jq -s 'map(.interval_dirty_pages) | add')" \
		"$(logged_iovas | jq length)"
	assert_equal "$(rows_of "$out" "$id" | jq -s 'map(.interval_harvests) | add')" 1
	assert_equal "$(rows_of "$out" "$id" | jq -r -s 'map(.source) | unique | join(",")')" harvests
	# batch text is the same data
	run -0 iommu-dirtyctl top -b -n 1 -d 0.2
	assert_line --regexp '^iommu-dirtyctl top - [0-9:]+  every 0\.2 s  domains [0-9]+, tracking [0-9]+, observed by top 0$'
	assert_line --regexp '^ +ID +PID COMMAND +DEVICES +MECH +TRACK +MAPPED +PAGES/s +MiB/s +DIRTY% +HUGE% +HARVESTS +OBS +SRC$'
	assert_line --regexp "^ +$id +$OWNER_PID mock-owner +iommufd_mock[0-9]+ +mock +owner +4M +0 +0\.0 +0\.0 +- +1 +0 +own$"
	# -n ends batch mode after that many snapshots
	run -0 iommu-dirtyctl -j top -b -n 3 -d 0.2
	assert_equal "${#lines[@]}" 3
}

@test "with --observe, top measures distinct pages itself beside an owner that only marks" {
	start_owner --size 4M --random 300 --rounds 2 --mark-only --go "$GO" --done "$DONE" \
		--pages-log "$LOG" --hold
	local id out=$BATS_TEST_TMPDIR/top
	id=$(dom "$OWNER_PID")
	top_through_owner "$out" -d 3 --observe "$id"
	validate-json top --lines <"$out"
	assert_equal "$(rows_of "$out" "$id" | jq -r -s 'map(.source) | unique | join(",")')" observer
	assert_equal "$(rows_of "$out" "$id" | jq -s 'map(.interval_dirty_pages) | add')" \
		"$(logged_iovas | jq length)"
	assert_equal "$(rows_of "$out" "$id" | jq -s -c 'map(.observer | length) | unique')" '[1]'
	# top's observer was bound to its socket: gone with it
	assert_equal "$(iommu-dirtyctl -j show "$id" | jq '.observer | length')" 0
}

@test "top --observe beside an owner that tracks and harvests: the owner loses nothing, top misses nothing" {
	# --exact: each of the owner's harvests holds exactly what it dirtied
	start_owner --size 4M --random 300 --rounds 2 --exact --go "$GO" --done "$DONE" \
		--pages-log "$LOG" --hold
	local id out=$BATS_TEST_TMPDIR/top
	id=$(dom "$OWNER_PID")
	top_through_owner "$out" -d 3 --observe "$id"
	stop_owner
	validate-json top --lines <"$out"
	assert_equal "$(rows_of "$out" "$id" | jq -r -s 'map(.source) | unique | join(",")')" observer
	# every page the owner dirtied reached top as well
	(( $(rows_of "$out" "$id" | jq -s 'map(.interval_dirty_pages) | add') >= $(logged_iovas | jq length) ))
}

@test "a destroyed domain shows once as gone, with its last interval, then goes" {
	start_owner --size 1M --no-enable --hold
	local id out=$BATS_TEST_TMPDIR/top
	id=$(dom "$OWNER_PID")
	iommu-dirtyctl -j top -d 2 >"$out" &
	local t=$! n
	wait_lines "$out" 1
	kill -TERM "$OWNER_PID"
	wait "$OWNER_PID" || true
	OWNER_PID=
	# two snapshots that began after the domain went: however long its
	# notification took, the gone row and the row's absence are both in
	n=$(wc -l <"$out")
	wait_lines "$out" $((n + 2))
	kill -TERM "$t"
	wait "$t"
	validate-json top --lines <"$out"
	# alive, then gone exactly once, then absent
	[[ "$(jq -c --argjson id "$id" '[.domains[] | select(.id == $id) | .gone]' "$out" | tr -d '\n')" =~ ^(\[false\])+\[true\](\[\])+$ ]]
}

@test "bad options are refused with exit 2, --observe without CAP_SYS_ADMIN with 4" {
	start_owner --size 1M --no-enable --hold
	run -2 iommu-dirtyctl top -b -d 0
	assert_output --partial "--delay takes 0.1 to 3600 seconds, not '0'"
	run -2 iommu-dirtyctl top -b -d 0.05
	run -2 iommu-dirtyctl top -b -d 1.0001
	run -2 iommu-dirtyctl top -b -n 0
	run -2 iommu-dirtyctl top -b -s size
	assert_output --partial "--sort: no field 'size'"
	run -2 iommu-dirtyctl top -b -s p
	assert_output --partial "--sort: ambiguous field 'p'"
	run -2 iommu-dirtyctl top -b --observe some
	run -2 iommu-dirtyctl top -b extra
	run -5 iommu-dirtyctl top -b -n 1 --observe 999999
	assert_output --partial "domain 999999"
	run -4 setpriv --bounding-set -sys_admin iommu-dirtyctl top -b -n 1 --observe all
	assert_line --partial "lacks CAP_SYS_ADMIN"
	run -0 setpriv --bounding-set -sys_admin iommu-dirtyctl top -b -n 1 -d 0.1
	run -4 setpriv --bounding-set -net_admin iommu-dirtyctl top -b -n 1
}

@test "the screen shows domains as they come and go, without waiting for a refresh" {
	start_owner --size 1M --no-enable --hold
	local first=$OWNER_PID id1
	id1=$(dom "$first")
	start_screen iommu-dirtyctl top -d 3600
	wait_screen "^ +$id1 +$first "
	# a refresh is an hour away: only the notifications can show these
	# (as the last notification had it: mapped before or after it)
	OWNER2_PID=$OWNER_PID
	start_owner --size 2M --no-enable --hold
	wait_screen "^ +[0-9]+ +$OWNER_PID mock-owner .* off +(0|2M) "
	kill -TERM "$first"
	wait_screen "^ +$id1 +$first mock-owner .* gone "
	keys q
	wait_exit 0
}

@test "the screen sorts, filters, observes, helps, resizes and quits cleanly" {
	start_owner --size 1M --no-enable --hold
	OWNER2_PID=$OWNER_PID
	start_owner --size 2M --rounds 0 --interval 100 --random 50
	local busy=$OWNER_PID idle=$OWNER2_PID idle_id busy_id
	idle_id=$(dom "$idle")
	busy_id=$(dom "$busy")
	start_screen iommu-dirtyctl top -d 0.5
	wait_screen "^ +$busy_id +$busy mock-owner .* owner +2M +[1-9][0-9]* "
	# by bytes/s (the default): the busy domain first
	assert_equal "$(screen_ids | head -2 | tr '\n' ' ')" "$busy_id $busy $idle_id $idle "
	keys s id Enter
	wait_screen "sort id;|sort id$"
	assert_equal "$(screen_ids | head -2 | tr '\n' ' ')" \
		"$(printf '%s\n' "$idle_id $idle" "$busy_id $busy" | sort -n | tr '\n' ' ')"
	keys R
	wait_screen "sort id \(reversed\)"
	keys '>'
	wait_screen "sort pid \(reversed\)"
	keys s zz Enter
	wait_screen "no sort field 'zz'"
	# filter on the idle owner's pid
	keys / "$idle" Enter
	wait_screen "filter '$idle'"
	assert_equal "$(screen_ids | tr '\n' ' ')" "$idle_id $idle "
	# observe it (the only row, so selected); the owner does not track it
	keys e
	wait_screen "^ +$idle_id +$idle mock-owner .* obs +1M .* 1 top$"
	assert_equal "$(iommu-dirtyctl -j show "$idle_id" | jq -c '[.observer[].pid] | length')" 1
	keys x
	wait_screen "^ +$idle_id +$idle mock-owner .* off +1M .* 0 -$"
	keys / Enter
	wait_screen "^ +$busy_id +$busy "
	keys h
	wait_screen "iommu-dirtyctl top: keys"
	keys Space
	wait_screen --not "iommu-dirtyctl top: keys"
	tmux -L "$TMUX_SOCKET" resize-window -t top -x 60 -y 8
	wait_screen "^ +ID +PID COMMAND"
	[ "$(screen_width)" -le 60 ]
	tmux -L "$TMUX_SOCKET" resize-window -t top -x 150 -y 30
	wait_screen "SRC *$"
	keys q
	wait_exit 0
	assert_equal "$(pane '#{alternate_on}')" 0
}

@test "SIGTERM and SIGINT leave the screen restored and exit 0" {
	screen_of_owner 1
	assert_equal "$(pane '#{alternate_on}')" 1
	kill -TERM "$(screen_pid)"
	wait_exit 0
	assert_equal "$(pane '#{alternate_on}')" 0
	tmux -L "$TMUX_SOCKET" kill-server
	start_screen iommu-dirtyctl top -d 1
	wait_screen "^ +$ID +$OWNER_PID "
	keys C-c
	wait_exit 0
	assert_equal "$(pane '#{alternate_on}')" 0
}

@test "a resize redraws the screen at once, not at the next refresh" {
	# 50 columns cut the row short; only a redraw can fill the wider screen,
	# and the refresh that would also do it is an hour away
	COLS=50 screen_of_owner 3600
	[ "$(screen_width)" -le 50 ]
	tmux -L "$TMUX_SOCKET" resize-window -t top -x 150 -y 30
	for _ in $(seq 100); do
		[ "$(screen_width)" -gt 50 ] && break
		sleep 0.1
	done
	[ "$(screen_width)" -gt 50 ]
	wait_screen "^ +$ID +$OWNER_PID mock-owner .* off +1M "
	# and SIGTERM ends it as promptly
	kill -TERM "$(screen_pid)"
	wait_exit 0
}
