# Loaded by every Bats suite: assertions, and our build outputs first in PATH.
_common_setup() {
	bats_require_minimum_version 1.5.0
	load '/usr/lib/bats/bats-support/load'
	load '/usr/lib/bats/bats-assert/load'
	TOP=$(cd "$BATS_TEST_DIRNAME/../../.." && pwd)
	export TOP
	PATH="$TOP/build/bin:$TOP/build/tests:$PATH"
}

# json_get FILE_OR_STRING FILTER: one value out of JSON with jq, failing loudly.
json_get() {
	jq -er "$2" <<<"$1"
}
