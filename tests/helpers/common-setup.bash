# Loaded by every Bats suite: assertions, and our build outputs first in PATH.
_common_setup() {
	bats_require_minimum_version 1.5.0
	# bats-support and bats-assert, sourced file by file: their load.bash
	# forks a dirname per file, about 4 s of every test under TCG.
	local lib
	for lib in /usr/lib/bats/bats-support/src/*.bash /usr/lib/bats/bats-assert/src/*.bash; do
		# shellcheck source=/dev/null
		source "$lib" || return
	done
	# the tree's top, without a subshell (the suites are in tests/bats/*/)
	TOP=${BATS_TEST_DIRNAME%/tests/bats/*}
	export TOP
	PATH="$TOP/build/bin:$TOP/build/tests:$PATH"
}

# await PID COMMAND...: run COMMAND until it succeeds while process PID,
# which is to make it succeed, lives; once PID is gone, COMMAND's last try
# is the answer. The bound, AWAIT_MAX seconds (default 600), is not a
# speed limit: it only stops one hung test from taking the rest of its
# stage down with it at the VM runner's timeout.
await() {
	local pid=$1 end=$((SECONDS + ${AWAIT_MAX:-600}))
	shift
	until "$@"; do
		kill -0 "$pid" 2>/dev/null || { "$@"; return; }
		if [ "$SECONDS" -ge "$end" ]; then
			echo "await: gave up after ${AWAIT_MAX:-600}s with process $pid alive: $*" >&2
			return 1
		fi
		sleep 0.1
	done
}

# json_get FILE_OR_STRING FILTER: one value out of JSON with jq, failing loudly.
json_get() {
	jq -er "$2" <<<"$1"
}
