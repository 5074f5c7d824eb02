# iommu-dirtyctl on a real vendor driver: QEMU's VT-d with the e1000 on
# vfio-pci (guest booted with --iommu intel).

setup_file() {
	load '../../helpers/common-setup'
	_common_setup
	load '../../helpers/vfio'
	bind_e1000
}

setup() {
	load '../../helpers/common-setup'
	_common_setup
	load '../../helpers/vfio'
	PATH="$TOP/tests/helpers:$PATH"
	start_vfio_owner
}

teardown() {
	kill -TERM "$OWNER_PID" 2>/dev/null || true
	wait 2>/dev/null || true
}

@test "devices and caps show the e1000 behind VT-d without second-stage dirty bits" {
	run -0 iommu-dirtyctl -j devices
	validate-json devices <<<"$output"
	run -0 iommu-dirtyctl devices
	assert_line --regexp "^0000:00:05.0 +[0-9]+ +$OWNER_PID/vfio-owner +[0-9]+ +intel-vtd +no +none$"
	run -0 iommu-dirtyctl caps 0000:00:05.0
	assert_line "0000:00:05.0: intel-vtd IOMMU, dirty tracking not supported"
	assert_line --regexp "^  VT-d ecap.SLADS 0 \(second-stage accessed/dirty bits\), ecap.SMTS 1 \(scalable mode\); cap 0x[0-9a-f]+ ecap 0x[0-9a-f]+$"
	assert_line "  precise tracking (huge IOPTEs split while asked for): no: the IOMMU cannot track dirty pages for it at all"
	run -0 iommu-dirtyctl -j caps dev 0000:00:05.0
	validate-json caps <<<"$output"
	# always an array: for a domain, its devices
	assert_equal "$(json_get "$output" '[length, .[0].name, .[0].mechanism, .[0].precise_cap] | @csv')" \
		'1,"0000:00:05.0","none",false'
	run -0 iommu-dirtyctl caps dev 0000:00:05.0
	assert_line --regexp "^domain [0-9]+: none, not allocated for dirty tracking"
}

@test "the VMM's domain lists with its device and cannot be observed" {
	run -0 iommu-dirtyctl -j show dev 0000:00:05.0
	validate-json show <<<"$output"
	assert_equal "$(json_get "$output" '[.owner_pid, .dirty_alloc, .tracking] | @csv')" "$OWNER_PID,false,false"
	run -1 iommu-dirtyctl enable dev 0000:00:05.0
	assert_output --partial "domain was not allocated with IOMMU_HWPT_ALLOC_DIRTY_TRACKING"
}
