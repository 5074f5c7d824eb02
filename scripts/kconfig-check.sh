# Sourced by scripts/kernel.sh and scripts/compile-check.sh.
#
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
