#!/usr/bin/env bash
# The Debian packages this project needs, in one list.
#   scripts/deps.sh check     exit 1 and name what is missing
#   scripts/deps.sh install   install what is missing (root), else print how
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../kernel/source.env
. "$top/kernel/source.env"

packages=(
	# kernel build
	"$LINUX_SOURCE_PACKAGE=$LINUX_SOURCE_VERSION" build-essential bc bison flex
	libelf-dev libssl-dev cpio ccache rsync kmod python3 python3-yaml
	python3-jsonschema python3-ply python3-git gcc-aarch64-linux-gnu
	# userspace
	pkg-config libnl-3-dev libnl-genl-3-dev libnl-utils libcap-dev libncurses-dev
	libcairo2-dev
	# tests and the VM
	qemu-system-x86 bats bats-assert bats-support tmux jq groff-base util-linux
	python3-prometheus-client
	# make bench
	valgrind
)

missing() {
	local p name want have
	for p in "${packages[@]}"; do
		name=${p%%=*}
		want=${p#*=}
		have=$(dpkg-query -W -f '${db:Status-Abbrev}${Version}' "$name" 2>/dev/null || true)
		case $have in
		ii*) [ "$p" = "$name" ] || [ "${have:3}" = "$want" ] || echo "$p" ;;
		*) echo "$p" ;;
		esac
	done
}

case ${1:-check} in
check)
	m=$(missing)
	[ -z "$m" ] && exit 0
	echo "missing packages: $(echo $m)" >&2
	echo "run 'make deps' as root to install them" >&2
	exit 1 ;;
install)
	m=$(missing)
	[ -z "$m" ] && { echo "all packages present"; exit 0; }
	if [ "$(id -u)" != 0 ]; then
		echo "as root, run: apt-get update && apt-get install --allow-downgrades $(echo $m)" >&2
		exit 1
	fi
	echo "installing: $(echo $m)"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2046
	apt-get install -y -q --no-install-recommends --allow-downgrades $(echo $m)
	m=$(missing)
	[ -z "$m" ] || { echo "still missing after install: $(echo $m)" >&2; exit 1; } ;;
*) echo "usage: $0 check|install" >&2; exit 2 ;;
esac
