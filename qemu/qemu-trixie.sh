#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A newer QEMU for the deterministic two-CPU benchmark boot (bench.sh's
# "icount2" boot): bookworm's QEMU 7.2 hangs at SMP bring-up ("x86: Booting
# SMP configuration") under -icount with -smp 2; trixie's QEMU 10 does not.
#
#   qemu-trixie.sh      prints the command prefix to run that QEMU, one word
#                       a line (read it with mapfile), after making it once
#
# It is a `debootstrap --variant=minbase trixie` root with qemu-system-x86
# added, under $NEXUS_CACHE/trixie-qemu (kept as a tarball beside it so that
# a broken tree is remade without the network), built under a flock. QEMU
# runs from the host through the root's own dynamic loader and libraries
# (no chroot, no mounts): -L points it at the root's firmware and
# QEMU_MODULE_DIR at its modules. This machine's apt is left alone.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

root="$NEXUS_CACHE/trixie-qemu"
tarball="$NEXUS_CACHE/trixie-qemu.tar.gz"
mirror=${NEXUS_DEBIAN_MIRROR:-}
if [ -z "$mirror" ]; then
	# The mirror this machine's apt uses (one-line or deb822 sources).
	mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		/etc/apt/sources.list.d/*.sources 2>/dev/null |
		sed -n -e 's|^deb \(\[[^]]*\] \)\{0,1\}\(https\{0,1\}://[^ ]*/debian\)/\{0,1\} .*|\2|p' \
		       -e 's|^URIs: *\(https\{0,1\}://[^ ]*/debian\)/\{0,1\}$|\1|p' | head -n 1) || true
fi
mirror=${mirror:-http://deb.debian.org/debian}

make_root() {
	[ -x "$root/usr/bin/qemu-system-x86_64" ] && [ -f "$root/.done" ] && return 0
	rm -rf "$root"
	if [ -f "$tarball" ]; then
		mkdir -p "$root"
		tar -C "$root" -xzf "$tarball" && [ -f "$root/.done" ] && return 0
		rm -rf "$root"
	fi
	command -v debootstrap >/dev/null || {
		[ "$(id -u)" = 0 ] || die "debootstrap is missing"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null ||
			die "apt-get install debootstrap failed"
	}
	say "making a trixie root with qemu-system-x86 in $root (once; $mirror)"
	debootstrap --variant=minbase --include=qemu-system-x86 \
		trixie "$root" "$mirror" >"$NEXUS_CACHE/trixie-qemu.log" 2>&1 ||
		die "debootstrap failed, see $NEXUS_CACHE/trixie-qemu.log"
	rm -rf "$root/var/cache/apt/archives/"*.deb
	touch "$root/.done"
	tar -C "$root" -czf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
}

mkdir -p "$NEXUS_CACHE/locks"
exec 9>"$NEXUS_CACHE/locks/trixie-qemu"
flock 9
make_root
flock -u 9

ld=$(find "$root/usr/lib/x86_64-linux-gnu" "$root/lib64" -maxdepth 1 \
	-name 'ld-linux-x86-64.so.2' 2>/dev/null | head -n 1)
[ -n "$ld" ] || die "no dynamic loader in $root"
printf '%s\n' env "QEMU_MODULE_DIR=$root/usr/lib/x86_64-linux-gnu/qemu" \
	"$ld" --library-path "$root/usr/lib/x86_64-linux-gnu:$root/lib/x86_64-linux-gnu" \
	"$root/usr/bin/qemu-system-x86_64" -L "$root/usr/share/qemu" -L "$root/usr/share/seabios"
