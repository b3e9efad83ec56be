#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A minimal Debian chroot of SUITE (trixie, sid, ...) with what building an
# external module for that suite's current stock kernel needs: the
# kernel's headers and kbuild, the distribution's gcc that built the kernel,
# make, libc6-dev, libelf-dev, perl, and dkms (and the kernel image, which
# the headers depend on; the kernel that is booted comes from
# kernel-stock.sh).
#
#   chroot.sh SUITE [DIR]
#
# Made with `debootstrap --variant=minbase` from the Debian archive
# ($NEXUS_DEBIAN_MIRROR) and cached as
# $NEXUS_CACHE/chroot-SUITE-ABI.tar.zst, keyed by the kernel ABI that the
# suite's linux-image-amd64 depends on: when the suite moves to a new ABI
# (the apt lists are refreshed daily), a new chroot is made and the old
# tarball removed. With DIR, the tarball is also unpacked into DIR (again
# only when DIR holds another tarball's chroot). Prints, for eval:
#   SUITE=trixie
#   KREL=6.12.NN+deb13-amd64           the suite's stock kernel (uname -r)
#   CHROOT_TAR=.../chroot-SUITE-ABI.tar.zst
#   CHROOT=DIR                         (with DIR)
#   CHROOT_KDIR=/usr/src/linux-headers-KREL   KDIR inside the chroot
#   CHROOT_CC=x86_64-linux-gnu-gcc-N   the compiler the kernel was built with
set -euo pipefail
. "$(dirname "$0")/lib.sh"

suite=${1:?usage: chroot.sh SUITE [DIR]}
dest=${2:-}

ensure_host_packages
suite_apt_update "$suite"
img=$(suite_kernel_image)
[ -n "$img" ] || die "$suite: no linux-image-amd64 dependency in the apt lists"
krel=${img#linux-image-}
abi=${krel%-amd64}
tar="$NEXUS_CACHE/chroot-$suite-$abi.tar.zst"

create() {
	[ -f "$tar" ] && return 0
	local tmp="$NEXUS_CACHE/chroot-$suite-$abi.tmp" start=$SECONDS
	assert_nothing_mounted "$tmp"
	rm -rf "$tmp"
	say "making the $suite chroot for $krel (debootstrap --variant=minbase)"
	debootstrap --variant=minbase "$suite" "$tmp" "$NEXUS_DEBIAN_MIRROR" \
		>"$tmp.log" 2>&1 || { tail -30 "$tmp.log" >&2; die "debootstrap $suite failed"; }
	printf 'Acquire::Check-Valid-Until "false";\nAPT::Install-Recommends "false";\n' \
		>"$tmp/etc/apt/apt.conf.d/90nexus"
	# The headers depend on the kernel image; its initramfs is of no use
	# here and takes minutes to make.
	in_chroot "$tmp" dpkg-divert --local --rename --add /usr/sbin/update-initramfs \
		>>"$tmp.log" 2>&1 || die "$suite chroot: dpkg-divert failed"
	ln -s /bin/true "$tmp/usr/sbin/update-initramfs"
	in_chroot "$tmp" apt-get -qq update >>"$tmp.log" 2>&1 ||
		{ tail -30 "$tmp.log" >&2; die "$suite chroot: apt-get update failed"; }
	in_chroot "$tmp" apt-get -y -qq install make libc6-dev libelf-dev perl kmod \
		dkms "linux-headers-$krel" >>"$tmp.log" 2>&1 ||
		{ tail -30 "$tmp.log" >&2; die "$suite chroot: installing the headers failed"; }
	# The compiler the kernel was built with: CONFIG_CC_VERSION_TEXT names
	# it, e.g. "x86_64-linux-gnu-gcc-14 (Debian 14.2.0-19) 14.2.0"; its
	# package gcc-N must be there (the headers depend on it today).
	local cc
	cc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\([^ ]*gcc-[0-9]*\) .*/\1/p' \
		"$tmp/usr/src/linux-headers-$krel/.config" 2>/dev/null)
	[ -n "$cc" ] || die "$suite chroot: no gcc-N in CONFIG_CC_VERSION_TEXT of $krel"
	if [ ! -x "$tmp/usr/bin/$cc" ]; then
		in_chroot "$tmp" apt-get -y -qq install "gcc-${cc##*gcc-}" >>"$tmp.log" 2>&1 ||
			{ tail -30 "$tmp.log" >&2; die "$suite chroot: installing gcc-${cc##*gcc-} failed"; }
	fi
	[ -x "$tmp/usr/bin/$cc" ] || die "$suite chroot: no /usr/bin/$cc"
	echo "$cc" >"$tmp.cc"
	in_chroot "$tmp" apt-get clean
	rm -rf "$tmp"/var/lib/apt/lists/* "$tmp"/boot/initrd.img-*
	assert_nothing_mounted "$tmp"
	tar -C "$tmp" --numeric-owner -I 'zstd -T0 -10' -cf "$tar.tmp" . ||
		die "cannot write $tar"
	mv "$tar.tmp" "$tar"
	rm -rf "$tmp"
	mv "$tmp.log" "${tar%.tar.zst}.log"
	mv "$tmp.cc" "${tar%.tar.zst}.cc"
	# The suite's previous ABI is not needed any more.
	local old
	for old in "$NEXUS_CACHE/chroot-$suite-"*.tar.zst; do
		[ "$old" = "$tar" ] || rm -f "$old" "${old%.tar.zst}".{log,cc}
	done
	say "$suite chroot made in $((SECONDS - start)) s: $tar ($(du -h "$tar" | cut -f1))"
}

export -f create say die assert_nothing_mounted in_chroot
export suite abi krel tar NEXUS_DEBIAN_MIRROR
with_lock "chroot-$suite" bash -c create >&2

# Unpack (when DIR holds another chroot or none).
if [ -n "$dest" ]; then
	mkdir -p "$dest"
	dest=$(cd "$dest" && pwd)
	if [ "$(cat "$dest/.nexus-chroot" 2>/dev/null)" != "$(basename "$tar")" ]; then
		assert_nothing_mounted "$dest"
		say "unpacking $(basename "$tar") into $dest"
		rm -rf "$dest"
		mkdir -p "$dest"
		tar -C "$dest" --numeric-owner -I zstd -xf "$tar" || die "cannot unpack $tar"
		basename "$tar" >"$dest/.nexus-chroot"
	fi
fi

kdir="/usr/src/linux-headers-$krel"
cc=$(cat "${tar%.tar.zst}.cc")
printf 'SUITE=%q\n' "$suite"
printf 'KREL=%q\n' "$krel"
printf 'CHROOT_TAR=%q\n' "$tar"
[ -z "$dest" ] || printf 'CHROOT=%q\n' "$dest"
printf 'CHROOT_KDIR=%q\n' "$kdir"
printf 'CHROOT_CC=%q\n' "$cc"
