#!/usr/bin/env bash
# make check: build everything, run every suite, print one summary.
#
# Stages (each writes TAP to build/results/STAGE.tap):
#   compile     the series built for arm64/SMMUv3, x86/AMD with iommufd as
#               a module, and with our Kconfig option off
#   prefix      every prefix of the series built, one patch at a time, with
#               the family on and off (scripts/prefix-build.sh)
#   generated   YNL files match their spec (ynl-gen-c --cmp-out)
#   unit        host unit tests of the userspace, under ASan/UBSan
#   host        Bats suites that run on the host (tests/bats/host), but
#               for the tests tagged debug-kernel
#   mock        Bats suites in a guest without an IOMMU: mock domains
#   vtd         Bats suites in a guest with emulated VT-d and an e1000
#   selftest    upstream iommufd selftest; every case in
#               tests/selftest/expected-pass.txt must still pass
#   debug-mock  the mock suites again on the KASAN/lockdep/kmemleak kernel,
#               and upstream's iommufd_fail_nth, whose every case in
#               tests/selftest/expected-pass-fail-nth.txt must still pass;
#               the host tests tagged debug-kernel (TAP: debug-host)
#
# The debug kernel builds in the background from the end of the build
# stage; the debug stages wait for it (build-debug in the times). The
# compile and prefix stages run in the background, niced, beside the debug
# guest stages.
#
# CHECK_STAGES="unit mock" limits the run; SKIP_DEBUG=1 leaves out the debug
# kernel (a developer's shortcut; CI runs everything). A stage left out
# counts as skipped in the summary, which also gives each stage's time.
# The last line is "N passed, N failed, N skipped"; the exit status is 1 if
# anything failed.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
R=$top/build/results
all_stages="compile prefix generated unit host mock vtd selftest debug-mock"
stages=${CHECK_STAGES:-$all_stages}
[ "${SKIP_DEBUG:-0}" = 1 ] && stages=${stages//debug-mock/}
rm -rf "$R"
mkdir -p "$R"

say() { printf '\n== %s\n' "$*"; }
want() { [[ " $stages " == *" $1 "* ]]; }

# timed NAME COMMAND...: run a stage and note how long it took.
timed() {
	local t0=$SECONDS rc=0
	"${@:2}" || rc=$?
	printf '%-11s %5ds\n' "$1" $((SECONDS - t0)) >>"$R/times"
	return $rc
}

# A stage whose runner itself broke (VM timeout, splat, build error) must
# count as a failure even if it printed no TAP.
stage_failed() { printf 'not ok 1 - %s: %s\n' "$1" "$2" >>"$R/$1.tap"; }

# tap_guard STAGE RC: a non-zero exit without a failing TAP line is a failure.
tap_guard() {
	if [ "$2" -ne 0 ] && ! grep -qs '^not ok' "$R/$1.tap"; then
		stage_failed "$1" "runner exited $2 without a failing test (see above)"
	fi
}

build() {
	say "build: kernel (default), userspace, selftest"
	# the userspace on every core too (26 s serial, 16 s with -j2 here)
	scripts/kernel.sh default && make -s -j"$(nproc)" all selftest
}

# Background builds run in their own process groups, so that an
# interrupted make check stops them and all their children.
bg_groups=()
bg_stop() {
	local g
	for g in "${bg_groups[@]}"; do kill -- -"$g" 2>/dev/null; done
}
trap bg_stop EXIT

# bg_start COMMAND...: COMMAND in the background in a process group of its
# own, stopped with make check; its pid (and group) in bg_pid.
bg_start() {
	setsid "$@" &
	bg_pid=$!
	bg_groups+=("$bg_pid")
}

# A guest stage leaves part of the two cores idle (QEMU runs each vCPU on
# its own thread, and a test often has one busy process, or waits), so the
# debug kernel builds beside them, niced: it takes what the guest leaves.
# It only needs the series applied, which the default build did.
debug_build_start() {
	say "build-debug: kernel (debug) in the background, log $R/build-debug.log"
	debug_t0=$SECONDS
	bg_start nice -n 10 scripts/kernel.sh debug >"$R/build-debug.log" 2>&1
	debug_pid=$bg_pid
}

# debug_build_wait: how long the stages waited for it is the stage's time;
# the build's own time is in the log's last line.
debug_build_wait() {
	local rc=0
	say "build-debug: waiting for the background build"
	wait "$debug_pid" || rc=$?
	echo "  build-debug took $((SECONDS - debug_t0))s in all" | tee -a "$R/build-debug.log"
	if [ "$rc" -ne 0 ]; then
		tail -30 "$R/build-debug.log"
		return 1
	fi
}

run_unit() {
	local t
	for t in build/tests/unit/*; do
		say "unit: ${t##*/}"
		"$t" | tee -a "$R/unit.tap"
		tap_guard unit "${PIPESTATUS[0]}"
	done
}

# run_bats STAGE VM_ARGS... -- DIR: Bats in a guest (or on the host when no
# VM args), TAP into STAGE.tap, console shown as it runs.
run_bats() {
	local stage=$1 rc
	shift
	local vm=()
	while [ "$1" != -- ]; do vm+=("$1"); shift; done
	shift
	local dir=("$@")
	say "$stage: bats ${dir[*]} ${vm[*]}"
	if [ ${#vm[@]} -eq 0 ]; then
		bats --timing --formatter tap "${dir[@]}" | tee "$R/$stage.tap"
		rc=${PIPESTATUS[0]}
	else
		tests/vm/run --name "check-$stage" "${vm[@]}" -- \
			env RACE_ITERATIONS="${RACE_ITERATIONS:-}" NOLOSS_ROUNDS="${NOLOSS_ROUNDS:-}" \
			FUZZ_COUNT="${FUZZ_COUNT:-}" REQUIRE_FAULT_INJECTION="${REQUIRE_FAULT_INJECTION:-}" \
			bats --timing --formatter tap "${dir[@]}" | tee "$R/$stage.tap"
		rc=${PIPESTATUS[0]}
	fi
	tap_guard "$stage" "$rc"
}

# kselftest STAGE BINARY BASELINE VM_ARGS...: an upstream kselftest binary in
# the guest; one TAP line per case of BASELINE (cases that pass on the
# unpatched kernel), each of which must still pass. With KSELFTEST_RERUN=1 a
# baseline case that failed runs once more, alone, and must pass then:
# upstream's iommufd_fail_nth bounds each walk at 400 fault points, and on
# the debug kernel KASAN's stack-depot pools are refilled by whichever task
# runs out, so a case close to the bound crosses it now and then (seen: one
# run in three for map_two_domains at exactly 400). A case that fails twice
# fails; one that passed only on its rerun says so in its TAP line.
kselftest() {
	local stage=$1 bin=$2 baseline=$3 out=$R/$1.out pass=$R/$1.passed rc name n=0 again
	shift 3
	tests/vm/run --name "check-$stage" "$@" -- "$bin" >"$out" 2>&1
	rc=$?
	grep -E '^(not )?ok ' "$out" | tail -n 3
	grep '^# Totals' "$out"
	if [ "$rc" -eq 125 ]; then
		stage_failed "$stage" "guest failed (vm/run exit 125): $(grep '^vm/run' "$out" | head -1)"
		return
	fi
	sed -n 's/^ok [0-9]* //p' "$out" | sort >"$pass"
	while read -r name; do
		n=$((n + 1))
		if grep -qxF "$name" "$pass"; then
			echo "ok $n - $stage $name" >>"$R/$stage.tap"
		elif [ "${KSELFTEST_RERUN:-0}" = 1 ] &&
			again=$(tests/vm/run --name "check-$stage-rerun" "$@" -- "$bin" -r "$name" 2>&1 </dev/null) &&
			grep -qxF "ok 1 $name" <<<"$again"; then
			echo "ok $n - $stage $name (failed once, passed when run again alone; see $out)" >>"$R/$stage.tap"
		else
			echo "not ok $n - $stage $name (passed on the unpatched kernel)" >>"$R/$stage.tap"
		fi
	done < <(grep -v '^#' "$baseline")
	[ "$n" -gt 0 ] || stage_failed "$stage" "$baseline lists no case"
	grep '^not ok' "$R/$stage.tap"
	# Newly passing cases are news, not failures: print them for the list.
	comm -23 "$pass" <(grep -v '^#' "$baseline" | sort) |
		sed "s|^|# now passing too (add to $baseline): |"
}

run_selftest() {
	say "selftest: upstream iommufd selftest in the guest (hugetlbfs mounted)"
	kselftest selftest build/selftest/iommufd tests/selftest/expected-pass.txt --timeout 900
	# The series' own kselftest (patch 0037): every case must pass
	say "selftest: the iommu-dirty kselftest in the guest"
	kselftest iommu-dirty build/selftest/iommu_dirty tests/selftest/expected-pass-iommu-dirty.txt \
		--timeout 600
}

# Upstream's iommufd_fail_nth needs fault injection: the debug kernel.
run_fail_nth() {
	say "fail-nth: upstream iommufd_fail_nth on the debug kernel"
	KSELFTEST_RERUN=1 kselftest fail-nth build/selftest/iommufd_fail_nth \
		tests/selftest/expected-pass-fail-nth.txt --variant debug --timeout 1800
}

# The compile and prefix stages only build, so they run in the background
# beside the debug guest stages, niced (they take what the guest leaves);
# their times are their own, and their TAP is shown when collected at the
# end.
builds_start() {
	say "compile, prefix: the series in other configurations, and each of its prefixes, in the background"
	bg_start nice -n 10 bash -c '
		for s in $2; do
			t0=$SECONDS
			scripts/$s >"$1/${s%%-*}.tap" 2>"$1/${s%%-*}.log"
			echo $? >"$1/${s%%-*}.rc"
			echo $((SECONDS - t0)) >"$1/${s%%-*}.secs"
		done' builds "$R" "$(want compile && echo compile-check.sh) $(want prefix && echo prefix-build.sh)"
	builds_pid=$bg_pid
}

builds_wait() {
	local s
	say "compile, prefix: collecting the background builds"
	wait "$builds_pid"
	for s in compile prefix; do
		want "$s" || continue
		printf '%-11s %5ds\n' "$s" "$(cat "$R/$s.secs" 2>/dev/null || echo 0)" >>"$R/times"
		cat "$R/$s.tap" 2>/dev/null
		tap_guard "$s" "$(cat "$R/$s.rc" 2>/dev/null || echo 1)"
		# and one that stopped before its plan line failed, whatever it printed
		grep -qs '^1\.\.' "$R/$s.tap" ||
			stage_failed "$s" "the runner stopped before its plan line (see $R/$s.log)"
	done
}

# The generated YNL files in the patches must be what the spec generates.
run_generated() {
	say "generated: ynl-gen-c --cmp-out on the applied series"
	if scripts/kernel-dev.sh cmp; then
		echo "ok 1 - generated YNL files match Documentation/netlink/specs" >"$R/generated.tap"
	else
		echo "not ok 1 - generated YNL files differ from their spec (scripts/kernel-dev.sh gen)" >"$R/generated.tap"
	fi
	# libiommudirty ships the uapi header: it must be the series' own
	if cmp -s lib/uapi/linux/iommu_dirty.h build/linux/hdr/include/linux/iommu_dirty.h; then
		echo "ok 2 - lib/uapi/linux/iommu_dirty.h is the header the series exports" >>"$R/generated.tap"
	else
		echo "not ok 2 - lib/uapi/linux/iommu_dirty.h differs from the series' (copy it from build/linux/hdr)" >>"$R/generated.tap"
	fi
	cat "$R/generated.tap"
}

start=$(date +%s)
if ! timed build build; then
	stage_failed build "the build failed (see above)"
else
	want debug-mock && debug_build_start
	want generated && timed generated run_generated
	want unit && timed unit run_unit
	want host && timed host run_bats host -- --filter-tags '!debug-kernel' tests/bats/host
	# Bounded counts: the long runs are make soak and make fuzz
	want mock && RACE_ITERATIONS=100 NOLOSS_ROUNDS=200 FUZZ_COUNT=10000 \
		timed mock run_bats mock --iommu none --timeout 3600 -- tests/bats/mock
	want vtd && timed vtd run_bats vtd --iommu intel -- tests/bats/vtd
	want selftest && timed selftest run_selftest
	debug_built=0
	if want debug-mock; then
		if timed build-debug debug_build_wait; then
			debug_built=1
		else
			stage_failed debug-mock "the debug kernel did not build (see $R/build-debug.log)"
		fi
	fi
	{ want compile || want prefix; } && builds_start
	# The host suites' tests that boot the debug kernel
	[ "$debug_built" = 1 ] && want host &&
		timed debug-host run_bats debug-host -- --filter-tags debug-kernel tests/bats/host
	# The debug kernel is ~12x slower on these paths and Python crawls on
	# it: the C-driven suites only, with fewer race rounds, and without the
	# tests tagged userspace (they check a helper's own options and output).
	[ "$debug_built" = 1 ] && RACE_ITERATIONS=20 NOLOSS_ROUNDS=60 FUZZ_COUNT=5000 \
		REQUIRE_FAULT_INJECTION=1 timed debug-mock run_bats debug-mock \
		--iommu none --variant debug --timeout 3600 -- \
		--filter-tags '!userspace' tests/bats/mock/owner.bats \
		tests/bats/mock/race.bats tests/bats/mock/trace.bats tests/bats/mock/noloss.bats \
		tests/bats/mock/fuzz.bats tests/bats/mock/failnth.bats
	[ "$debug_built" = 1 ] && timed fail-nth run_fail_nth
	{ want compile || want prefix; } && builds_wait
fi
# Stages left out show in the summary as skipped, never as silence.
for s in $all_stages; do
	want "$s" || echo "ok 1 - $s # SKIP stage left out (CHECK_STAGES/SKIP_DEBUG)" >"$R/$s.tap"
done
# and what only runs with the debug kernel
if ! want debug-mock; then
	for s in debug-host fail-nth; do
		echo "ok 1 - $s # SKIP the debug kernel is left out (CHECK_STAGES/SKIP_DEBUG)" >"$R/$s.tap"
	done
fi

passed=$(cat "$R"/*.tap | grep -E '^ok ' | grep -vc '# [Ss][Kk][Ii][Pp]')
skipped=$(cat "$R"/*.tap | grep -E '^ok ' | grep -c '# [Ss][Kk][Ii][Pp]')
failed=$(cat "$R"/*.tap | grep -c '^not ok ')
say "summary ($(( $(date +%s) - start ))s; TAP in $R)"
sed 's/^/  /' "$R/times"
cat "$R"/*.tap | grep '^not ok ' | sed 's/^/  /'
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
