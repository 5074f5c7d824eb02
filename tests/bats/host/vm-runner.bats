# The VM runner itself, on the host: every other suite trusts it to return
# the guest's status, output and kernel splats.

setup() {
	load '../../helpers/common-setup'
	_common_setup
	RUN=$TOP/tests/vm/run
}

@test "the guest command's output and exit status come back to the host" {
	run -7 "$RUN" --name bats-status -- sh -c 'echo "hello from $(uname -r)"; exit 7'
	assert_output "hello from 6.12.117"
}

@test "the guest runs our kernel with iommufd and sees the work tree at its host path" {
	run -0 "$RUN" --name bats-tree -- sh -c 'test -c /dev/iommu && pwd && test -w /tmp && echo writable && nproc'
	assert_line --index 0 "$PWD"
	assert_line --index 1 writable
	# both vCPUs: the races need two (without ACPI the guest finds one)
	assert_line --index 2 2
}

@test "--iommu intel adds a VT-d unit and the e1000 at 00:05.0" {
	run -0 "$RUN" --name bats-intel --iommu intel -- sh -c 'ls -1 /sys/class/iommu; cat /sys/bus/pci/devices/0000:00:05.0/device'
	assert_line dmar0
	assert_line 0x100e
}

@test "a kernel splat in the guest fails the run even when the command passed" {
	run -125 --separate-stderr "$RUN" --name bats-splat -- sh -c 'echo "WARNING: CPU: 0 PID: 1 at fake/splat.c:1 test" >/dev/kmsg'
	assert_equal "${stderr_lines[0]}" "vm/run: kernel splat in the guest (full log: $TOP/build/vm/bats-splat/serial.log, $TOP/build/vm/bats-splat/dmesg):"
	[[ $stderr == *"WARNING: CPU: 0 PID: 1 at fake/splat.c:1 test"* ]]
}

@test "a warning the ring buffer has long since overwritten still fails the run" {
	# Every level reaches the serial log as it happens (ignore_loglevel): a
	# KERN_WARNING line followed by more than the ring holds must still be
	# found, where a final dmesg alone would have lost it.
	run -125 --separate-stderr "$RUN" --name bats-splat-flood -- bash -c '
		echo "<4>WARNING: CPU: 0 PID: 1 at fake/flood.c:1 early" >/dev/kmsg
		for ((i = 0; i < 4000; i++)); do
			echo "<6>filler $i: a line of about one hundred bytes to push the warning out of the ring" >/dev/kmsg
		done
		echo "in the ring: $(dmesg | grep -c fake/flood.c)"'
	# the premise: the ring itself no longer holds the warning
	assert_output "in the ring: 0"
	[[ $stderr == *"WARNING: CPU: 0 PID: 1 at fake/flood.c:1 early"* ]]
}

# make check runs this one after the debug kernel, built beside the guest
# stages, is ready (stage debug-host)
# bats test_tags=debug-kernel
@test "a real WARN in the debug kernel fails the run" {
	[ -f "$TOP/build/linux/bzImage-debug" ] || skip "no debug kernel built (make kernel KERNEL_VARIANT=debug)"
	run -125 --separate-stderr "$RUN" --name bats-warn --variant debug -- sh -c \
		'nproc; echo WARNING >/sys/kernel/debug/provoke-crash/DIRECT'
	[[ $stderr == *"WARNING: CPU: "*"lkdtm"* ]]
	# the debug kernel's races run on both vCPUs too
	assert_output 2
}

@test "a hung guest is killed after the timeout with a clear message" {
	run -125 --separate-stderr "$RUN" --name bats-hang --timeout 15 -- sleep 600
	assert_equal "${stderr_lines[0]}" "vm/run: guest did not finish within 15s and was killed"
}

@test "bad runner options are refused with exit status 2" {
	run -2 "$RUN" --iommu amd -- true
	assert_output --partial "--iommu must be none or intel"
	run -2 "$RUN" --kernel /nonexistent -- true
	assert_output --partial "no kernel at /nonexistent"
	run -2 "$RUN" --iommu intel --variant debug -- true
	assert_output --partial "the debug kernel has no VT-d driver"
}
