# What the kernel builds of scripts/kernel.sh, compile-check.sh and
# prefix-build.sh share; sourced by each.

# kbuild_env TOP: a reproducible build identity, so that ccache hits across
# clean clones of TOP on one machine
kbuild_env() {
	export KBUILD_BUILD_TIMESTAMP='Thu Jan  1 00:00:00 UTC 2026'
	export KBUILD_BUILD_USER=iommu-dirtyctl KBUILD_BUILD_HOST=build
	export CCACHE_BASEDIR=$1 CCACHE_NOHASHDIR=1
}

# patch_files PATCH...: the files git format-patch files create, modify or
# delete, one per line
patch_files() {
	[ $# -eq 0 ] && return 0
	sed -n 's|^diff --git a/\([^ ]*\) b/\([^ ]*\)$|\1\n\2|p' "$@" | sort -u
}

# merge_fragments SRC OBJ FRAGMENT...: merge config fragments into
# OBJ/.config, which a base target (tinyconfig) has written; a later
# fragment overrides an earlier one
merge_fragments() {
	local src=$1 obj=$2
	shift 2
	(cd "$src" && KCONFIG_CONFIG="$obj/.config" scripts/kconfig/merge_config.sh \
		-m -O "$obj" "$obj/.config" "$@")
}

# kconfig_check CONFIG CONFIG_NAME=VALUE...: every requested value survived
# olddefconfig (VALUE n: the symbol must be unset). merge_config.sh and
# scripts/config only warn, or say nothing, when Kconfig drops a symbol.
# Prints what differs and returns 1.
kconfig_check() {
	local cfg=$1 s sym val
	shift
	for s in "$@"; do
		sym=${s%%=*} val=${s#*=}
		if [ "$val" = n ]; then
			grep -q "^$sym=" "$cfg" && { echo "$sym must be off but is on"; return 1; }
		elif ! grep -qx "$sym=$val" "$cfg"; then
			echo "$sym=$val was requested but Kconfig gave '$(grep "^$sym=" "$cfg" || echo unset)'"
			return 1
		fi
	done
	return 0
}
