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
linux-source-6.1 rsync debootstrap zstd"

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

# Modules of a stock kernel (bookworm, trixie, sid) loaded in the guest
# before nexus.ko: the vsock loopback stack (the conformance matrix and the
# benchmarks), and AF_TIPC, SCTP and AF_QIPCRTR for the conformance matrix.
# The debug kernel has all of them built in. NEXUS_STOCK_EXTRA overrides
# the list (module names). Their dependencies come from each kernel's own
# modules (`modinfo -F depends`, and `softdep pre:` names such as the
# crc32c that 6.1's libcrc32c asks the crypto API for), so the same list
# serves kernels whose module graphs differ (7.x has no libcrc32c).
NEXUS_STOCK_EXTRA=${NEXUS_STOCK_EXTRA-vsock_loopback tipc sctp qrtr}

# The file of module $2 under the modules dir $1 (kernel/**/NAME.ko, .ko.xz
# or .ko.zst; "-" and "_" are the same in module names), or nothing.
stock_module_file() {
	local pat=${2//[-_]/[-_]}
	find "$1/kernel" \( -name "$pat.ko" -o -name "$pat.ko.xz" -o -name "$pat.ko.zst" \) \
		-print -quit 2>/dev/null
}

# initramfs.sh -x arguments for those modules of the modules dir $1 and
# their dependencies, dependencies first, one word a line (read them with
# mapfile). Kernels that ship compressed modules (trixie on: .ko.xz) get
# them decompressed next to them once, as the guest's busybox insmod loads
# only plain .ko files.
stock_extra_args() {
	local dir=$1 m
	local -A seen=()
	local -a order=()
	add_module() {
		local name=$1 f d
		[ -n "${seen[$name]+set}" ] && return 0
		seen[$name]=1
		f=$(stock_module_file "$dir" "$name")
		if [ -z "$f" ]; then
			# A soft dependency may be provided by another module
			# (crc32c: crc32c_generic) or be built in.
			[ "${2:-}" = soft ] && { f=$(stock_module_file "$dir" "${name}_generic"); [ -n "$f" ] || return 0; }
			[ -n "$f" ] || die "no stock module $name under $dir/kernel"
		fi
		for d in $(modinfo -F softdep "$f" | sed -n 's/.*pre: *\([^:]*\).*/\1/p' | sed 's/post:.*//'); do
			add_module "$d" soft
		done
		for d in $(modinfo -F depends "$f" | tr ',' ' '); do
			add_module "$d"
		done
		case $f in
		*.ko.xz) [ -f "${f%.xz}" ] || { xz -dc "$f" >"${f%.xz}.tmp" && mv "${f%.xz}.tmp" "${f%.xz}"; }; f=${f%.xz} ;;
		*.ko.zst) [ -f "${f%.zst}" ] || { zstd -qdc "$f" >"${f%.zst}.tmp" && mv "${f%.zst}.tmp" "${f%.zst}"; }; f=${f%.zst} ;;
		esac
		order+=("$f")
	}
	for m in $NEXUS_STOCK_EXTRA; do
		add_module "$m"
	done
	for m in "${order[@]}"; do
		printf -- '-x\n%s\n' "$m"
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

# ---- Debian suites other than the host's (trixie, sid, ...) ----
# The archive the chroots and kernels come from (the host's own mirror).
NEXUS_DEBIAN_MIRROR=${NEXUS_DEBIAN_MIRROR:-http://deb.debian.org/debian}

# apt-get/apt-cache options for a private apt configuration of suite $1
# under the cache (its own sources, lists and state), so that this
# machine's apt is left alone. Sets the array suite_aptopts.
# Valid-Until is not checked: mirrors and snapshots frozen at a date keep
# working (the signatures still are).
suite_apt_setup() {
	local suite=$1 apt="$NEXUS_CACHE/apt-$1"
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial"
	touch "$apt/status"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $NEXUS_DEBIAN_MIRROR $suite main" \
		>"$apt/sources.list"
	suite_aptopts=(-o "Dir::Etc::SourceList=$apt/sources.list"
		-o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$apt/lists"
		-o "Dir::State::status=$apt/status" -o "Dir::Cache=$apt/cache"
		-o Debug::NoLocking=1 -o APT::Sandbox::User=root
		-o Acquire::Check-Valid-Until=false)
}

# Refresh suite $1's private apt lists: always with $2=force, else when
# they are older than a day (so a kernel ABI change is seen within a day).
suite_apt_update() {
	local apt="$NEXUS_CACHE/apt-$1"
	suite_apt_setup "$1"
	if [ "${2:-}" = force ] ||
		[ -z "$(find "$apt/lists" -name '*_Packages*' -mtime -1 2>/dev/null)" ]; then
		say "refreshing the apt lists of $1"
		with_lock "apt-$1" apt-get "${suite_aptopts[@]}" -qq update >&2 ||
			die "apt-get update of $1 ($NEXUS_DEBIAN_MIRROR) failed"
	fi
}

# The kernel image package that suite $1's linux-image-amd64 depends on
# now, e.g. linux-image-6.12.48+deb13-amd64 (after suite_apt_setup).
suite_kernel_image() {
	apt-cache "${suite_aptopts[@]}" show --no-all-versions linux-image-amd64 2>/dev/null |
		sed -n 's/^Depends: *//p' | tr ',' '\n' |
		sed -n 's/^ *\(linux-image-[0-9][^ ]*-amd64\).*/\1/p' | head -n1
}

# Run "$@" (a command and its arguments inside the chroot ROOT=$1) with
# /proc and /sys mounted there (kbuild's objtool reads /proc). The mounts
# live in a private mount namespace (unshare), so they vanish with it even
# when the command is killed; the trap unmounts them on every exit anyway.
# Nothing stays mounted under ROOT, and ROOT can be removed afterwards.
in_chroot() {
	local root=$1; shift
	unshare --mount --propagation private -- /bin/bash -c '
		root=$1; shift
		trap "umount -l \"\$root/sys\" \"\$root/proc\" 2>/dev/null" EXIT
		trap "exit 130" INT TERM HUP
		mount -t proc proc "$root/proc" || exit 1
		mount -t sysfs sysfs "$root/sys" || exit 1
		chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
	' in_chroot "$root" "$@"
}

# Fail when anything is mounted at or below directory $1 (before rm -rf).
assert_nothing_mounted() {
	local d
	d=$(realpath -m "$1")
	if findmnt -rn -o TARGET | grep -q -e "^$d\$" -e "^$d/"; then
		die "something is still mounted under $d; not touching it"
	fi
}
