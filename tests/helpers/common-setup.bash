# Loaded by every Bats suite: assertions, and our build outputs first in PATH.
_common_setup() {
	bats_require_minimum_version 1.5.0
	load '/usr/lib/bats/bats-support/load'
	load '/usr/lib/bats/bats-assert/load'
	TOP=$(cd "$BATS_TEST_DIRNAME/../../.." && pwd)
	export TOP
	PATH="$TOP/build/bin:$TOP/build/tests:$PATH"
}

# await PID COMMAND...: run COMMAND until it succeeds while process PID,
# which is to make it succeed, lives; once PID is gone, COMMAND's last try
# is the answer. No bound in seconds: a slow machine is not a failure, and
# a hang is the VM runner's timeout.
await() {
	local pid=$1
	shift
	until "$@"; do
		kill -0 "$pid" 2>/dev/null || { "$@"; return; }
		sleep 0.1
	done
}

# json_get FILE_OR_STRING FILTER: one value out of JSON with jq, failing loudly.
json_get() {
	jq -er "$2" <<<"$1"
}
