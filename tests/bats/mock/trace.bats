# The iommufd_dirty tracepoints, driven by the mock owner.

setup() {
	load '../../helpers/common-setup'
	_common_setup
	T=/sys/kernel/tracing
	[ -d "$T/events/iommufd_dirty" ] || fail "no iommufd_dirty events in $T (CONFIG_FTRACE off?)"
	echo 0 >"$T/tracing_on"
	echo >"$T/trace"
	echo 1 >"$T/events/iommufd_dirty/enable"
	echo 1 >"$T/tracing_on"
}

teardown() {
	echo 0 >"$T/events/iommufd_dirty/enable"
}

@test "tracepoints record a domain's life: add, attach, tracking, harvests, del" {
	run -0 mock-owner --size 64K --rounds 3 --destroy
	echo 0 >"$T/tracing_on"
	local trace
	trace=$(grep 'iommufd_dirty_' "$T/trace")
	# The dirty-tracking domain is the one that saw tracking=1.
	local id
	id=$(sed -n 's/.*iommufd_dirty_tracking: domain=\([0-9]*\) tracking=1$/\1/p' <<<"$trace")
	[ -n "$id" ]
	grep -q "iommufd_dirty_domain_add: domain=$id hwpt=[0-9]* pid=[0-9]* mechanism=1$" <<<"$trace"
	grep -q "iommufd_dirty_dev_attach: dev=iommufd_mock[0-9]* domain=[0-9]*->$id$" <<<"$trace"
	assert_equal "$(grep -c "iommufd_dirty_harvest: domain=$id " <<<"$trace")" 3
	# Round 3 dirties mock pages 0, 3, 6, ... of the 64K mapping.
	local pages=$(( 65536 / ($(getconf PAGESIZE) / 2) ))
	grep -q "iommufd_dirty_harvest: domain=$id harvests=3 pages=$(( (pages + 2) / 3 ))$" <<<"$trace"
	grep -q "iommufd_dirty_domain_del: domain=$id " <<<"$trace"
}
