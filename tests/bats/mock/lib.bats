# libiommudirty's promises that need the real family (tests/tools/lib_check.c,
# which owns a mock domain): the receive buffers it asks for are the ones it
# gets, past net.core.rmem_max; requests from inside callbacks on the same
# handle are refused with EBUSY and leave it working; monitor dispatch
# returns 0 or -errno; opts and callbacks carry their size and a struct
# from a newer header that sets an unknown field is refused; observers are
# reached through iommudirty_domain_observer(). The lost-ACK half of the
# library's sequence handling is failnth.bats (it needs fault injection).

setup() {
	load '../../helpers/common-setup'
	_common_setup
}

# lib_check CHECK [PREFIX...]: run one check, show its lines, expect no "not ok".
lib_check() {
	local check=$1
	shift
	run "$@" lib-check "$check"
	echo "$output" | sed 's/^/# /' >&3
	refute_output --partial 'not ok'
	assert_success
}

@test "the monitor socket gets the 4 MiB receive buffer it asks for, past net.core.rmem_max" {
	# meaningful only while rmem_max is below what the monitor asks for
	[ "$(cat /proc/sys/net/core/rmem_max)" -lt $(( 4 << 20 )) ]
	lib_check rcvbuf
	assert_output --partial 'ok the monitor socket got its 4 MiB receive buffer'
}

@test "without CAP_NET_ADMIN a handle still opens (SO_RCVBUF up to rmem_max) and monitoring is refused with EPERM" {
	lib_check rcvbuf-unprivileged setpriv --bounding-set -net_admin
	assert_output --partial 'ok open succeeds without CAP_NET_ADMIN'
}

@test "a request from inside a callback on the same handle is refused with EBUSY and the handle still works" {
	lib_check reentrant
	assert_output --partial 'ok the handle works after the refusals'
	assert_output --partial 'ok dispatch delivers the notification and returns 0'
}

@test "the last run, handed over after the dump, returns its callback's value and is still busy" {
	lib_check lastrun
	[ "$(grep -c "^ok" <<<"$output")" -eq 4 ]
}

@test "opts and callbacks carry their size; unknown non-zero fields are refused; observers through the accessor" {
	lib_check abi
	[ "$(grep -c "^ok" <<<"$output")" -eq 10 ]
}
