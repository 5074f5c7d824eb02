# Helpers of the suites on the emulated VT-d (guest booted with --iommu intel).

# bind_e1000: the e1000 at 00:05.0 on vfio-pci, once per file (setup_file).
bind_e1000() {
	vfio-owner --bind >/dev/null
}

# start_vfio_owner: vfio-owner holding its domain; sets OWNER_PID, OWNER (JSON).
start_vfio_owner() {
	local out=$BATS_TEST_TMPDIR/vfio.json
	vfio-owner --json --hold >"$out" &
	OWNER_PID=$!
	for _ in $(seq 300); do [ -s "$out" ] && break; sleep 0.1; done
	OWNER=$(cat "$out")
}
