# Man pages render cleanly and the bash completion offers what the CLI takes.

setup() {
	load '../../helpers/common-setup'
	_common_setup
}

@test "every man page renders without a groff warning" {
	local page
	for page in "$TOP"/man/*.[1-8]; do
		run -0 groff -man -ww -z "$page"
		assert_output ""
	done
	[ -f "$TOP/man/iommu-dirtyctl.8" ] && [ -f "$TOP/man/libiommudirty.3" ] && [ -f "$TOP/man/iommu-dirty.7" ] &&
		[ -f "$TOP/man/iommu-dirty-record.5" ]
}

@test "the man page's exit status table is the CLI's" {
	local status
	for status in 0 1 2 3 4 5 6; do
		grep -q "EXIT_[A-Z_]* = $status," "$TOP/cli/cli.h"
		sed -n '/^\.SH EXIT STATUS/,/^\.SH/p' "$TOP/man/iommu-dirtyctl.8" | grep -qx "\.B $status"
	done
}

# complete WORDS...: what the completion offers for the last word.
complete_words() {
	# shellcheck disable=SC1091
	source "$TOP/completions/iommu-dirtyctl"
	COMP_WORDS=("$@")
	COMP_CWORD=$(( $# - 1 ))
	COMPREPLY=()
	_iommu_dirtyctl
	printf '%s\n' "${COMPREPLY[@]}"
}

@test "bash completion offers subcommands, their options and format names" {
	# No kernel family on the host: the live-id helpers yield nothing
	PATH="$BATS_TEST_TMPDIR:$PATH"
	run complete_words iommu-dirtyctl d
	assert_output "$(printf 'devices\ndisable\ndump')"
	run complete_words iommu-dirtyctl -j ""
	assert_line list
	assert_line monitor
	run complete_words iommu-dirtyctl dump 3 --f
	assert_output --partial -- "--format"
	run complete_words iommu-dirtyctl dump 3 --format ""
	assert_output "$(printf 'extents\nhex\nraw')"
	run complete_words iommu-dirtyctl du 3 --no
	assert_output -- "--no-clear"
	run complete_words iommu-dirtyctl show ""
	assert_line pid
	assert_line dev
	run complete_words iommu-dirtyctl rate 3 --bandwidth 1
	assert_output "$(printf '1gbit\n10gbit\n100gbit')"
	run complete_words iommu-dirtyctl ra
	assert_output rate
	run complete_words iommu-dirtyctl re
	assert_output "$(printf 'record\nreport')"
	run complete_words iommu-dirtyctl record 3 -o x --d
	assert_output -- "--duration"
	run complete_words iommu-dirtyctl record a
	assert_output all
	run complete_words iommu-dirtyctl top --s
	assert_output -- "--sort"
	run complete_words iommu-dirtyctl top --sort m
	assert_output "$(printf 'mechanism\nmapped')"
	run complete_words iommu-dirtyctl top --observe a
	assert_output all
	# --color takes its value attached: it completes as one word
	run complete_words iommu-dirtyctl --col
	assert_output -- "--color="
	run complete_words iommu-dirtyctl --color=al
	assert_output always
	run complete_words iommu-dirtyctl list --color=n
	assert_output never
	# as bash splits it at '=' (COMP_WORDBREAKS), and the command after it
	run complete_words iommu-dirtyctl --color = a
	assert_output "$(printf 'auto\nalways')"
	run complete_words iommu-dirtyctl --color = always li
	assert_output list
	run complete_words iommu-dirtyctl rate 3 --cpu-dirty-rate 3
	assert_output 300MiB/s
}

@test "every subcommand has its man page section and its completion" {
	local cmd commands
	commands=$(iommu-dirtyctl help | awk '/^Commands/ { on = 1; next } on && !NF { exit } on { print $1 }')
	[ "$(wc -w <<<"$commands")" -ge 12 ]
	for cmd in $commands; do
		grep -Eq "^\.B[IR]* $cmd( |$)" "$TOP/man/iommu-dirtyctl.8" || { echo "man page lacks $cmd"; return 1; }
		run complete_words iommu-dirtyctl "$cmd"
		assert_output "$cmd"
	done
}

# The long options a command's --help lists (its own, not the global ones).
help_options() {
	iommu-dirtyctl "$1" --help | sed -n '/Global options:/q;p' | grep -o -- '--[a-z][a-z-]*' | sort -u
}

@test "every option of every command's help is in the man page and its completion" {
	local cmd opt commands
	commands=$(iommu-dirtyctl help | awk '/^Commands/ { on = 1; next } on && !NF { exit } on { print $1 }')
	for cmd in $commands; do
		for opt in $(help_options "$cmd"); do
			grep -qF -- "${opt//-/\\-}" "$TOP/man/iommu-dirtyctl.8" ||
				{ echo "man page lacks $cmd $opt"; return 1; }
			run complete_words iommu-dirtyctl "$cmd" "${opt:0:4}"
			assert_line -- "$opt"
		done
	done
	# disable ends a lease: it takes no lifetime, and refuses one
	run -0 iommu-dirtyctl disable --help
	refute_output --partial -- "--lease"
	run -2 iommu-dirtyctl disable 1 --lease 1h
}

@test "--help lists every command and names no bug-report address" {
	local cmd
	run -0 iommu-dirtyctl --help
	refute_output --partial "Report bugs"
	refute_output --regexp "https?://"
	for cmd in $(iommu-dirtyctl help | awk '/^Commands/ { on = 1; next } on && !NF { exit } on { print $1 }'); do
		assert_output --partial "$cmd"
	done
	assert_output --regexp "Commands: .*top"
}

@test "the man page lists every Prometheus metric with its type" {
	local name type n=0
	while read -r name type; do
		grep -qx ".BR $name \" ($type)\"" "$TOP/man/iommu-dirtyctl.8" ||
			{ echo "man page lacks $name ($type)"; return 1; }
		n=$((n + 1))
	done < <(sed -n 's/^[[:space:]]*{ "\(iommu_dirty_[a-z_]*\)", "\([a-z]*\)".*/\1 \2/p' "$TOP/cli/stats.c")
	[ "$n" -ge 9 ]
	# and the labels every sample carries
	sed -n '/^\.BR stats/,/^\.RE/p' "$TOP/man/iommu-dirtyctl.8" | grep -q '^\.B mechanism$'
}

@test "PRIVILEGES covers every command that needs CAP_SYS_ADMIN, top --observe too" {
	sed -n '/^\.SH PRIVILEGES/,/^\.SH/p' "$TOP/man/iommu-dirtyctl.8" | tr -d '\n' | grep -q 'top \\-\\-observe'
}
