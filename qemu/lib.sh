# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the qemu/ scripts. Source it; do not run it.
#
# Everything downloaded or built lives under $NEXUS_CACHE (default
# ~/.cache/nexus), keyed by version and configuration, so that CI and the
# next session reuse it. Nothing is installed into this machine's /boot and
# nothing is ever loaded into this machine's kernel.

NEXUS_CACHE=${NEXUS_CACHE:-$HOME/.cache/nexus}
QEMU_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP_DIR=$(cd "$QEMU_DIR/.." && pwd)
export TOP_DIR
export NEXUS_CACHE

say() { printf '[nexus] %s\n' "$*" >&2; }
die() { printf '[nexus] error: %s\n' "$*" >&2; exit 1; }

# Host packages the scripts need, as Debian package names.
NEXUS_HOST_PKGS="qemu-system-x86 busybox-static build-essential flex bison bc
libelf-dev libssl-dev cpio sparse kmod xz-utils python3 dwarves
linux-source-6.1 rsync"

# Install whatever is missing (as root, with apt-get). Quiet when all is there.
ensure_host_packages() {
	local missing="" p
	for p in $NEXUS_HOST_PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	[ "$(id -u)" = 0 ] || die "missing packages:$missing (run as root or install them)"
	say "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || die "apt-get update failed"
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
		die "apt-get install failed"
}

# Modules of the stock kernel loaded in the guest before nexus.ko, in
# dependency order (`modinfo -F depends`), paths under
# lib/modules/KREL/kernel/: the vsock loopback stack (the conformance matrix
# and the benchmarks), and AF_TIPC, SCTP (with libcrc32c and the crc32c it
# asks the crypto API for) and AF_QIPCRTR for the conformance matrix. The
# debug kernel has all of them built in. NEXUS_STOCK_EXTRA overrides the list.
NEXUS_STOCK_EXTRA=${NEXUS_STOCK_EXTRA-net/vmw_vsock/vsock.ko net/vmw_vsock/vmw_vsock_virtio_transport_common.ko net/vmw_vsock/vsock_loopback.ko net/ipv4/udp_tunnel.ko net/ipv6/ip6_udp_tunnel.ko net/tipc/tipc.ko crypto/crc32c_generic.ko lib/libcrc32c.ko net/sctp/sctp.ko net/qrtr/qrtr.ko}

# initramfs.sh -x arguments for those modules of the modules dir $1, one
# word a line (read them with mapfile).
stock_extra_args() {
	local m
	for m in $NEXUS_STOCK_EXTRA; do
		printf -- '-x\n%s\n' "$1/kernel/$m"
	done
}

# Run a command holding an exclusive lock in the cache, so that two
# concurrent make invocations do not build the same kernel twice.
with_lock() {
	local name=$1; shift
	mkdir -p "$NEXUS_CACHE/locks"
	flock "$NEXUS_CACHE/locks/$name" "$@"
}

# The unpacked Debian linux-source-6.1 tree that kernel-debug.sh builds from
# (also the KSRC for the selftests: tools/testing/selftests/ headers).
linux_source_dir() {
	local v
	v=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null) ||
		die "linux-source-6.1 is not installed"
	echo "$NEXUS_CACHE/src/linux-source-6.1-$v"
}
