#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fetch (once) a Debian suite's current stock kernel, unpacked into the
# cache (never installed on this machine):
#
#   kernel-stock.sh [SUITE]       SUITE: bookworm (default), trixie, sid, ...
#
# The kernel is the binary package that the suite's linux-image-amd64
# depends on now; its vmlinuz and lib/modules come from that package
# (dpkg -x). For bookworm, the host's own suite, the host's apt finds it and
# the headers and kbuild that build out-of-tree modules with the host's gcc
# are unpacked too (KDIR). Other suites are read through a private apt
# configuration under the cache (lib.sh: suite_apt_setup), and their
# modules are built in that suite's chroot (chroot.sh), so no KDIR.
# Prints, for eval:
#   KREL=6.1.0-NN-amd64          uname -r of the stock kernel
#   KDIR=.../usr/src/linux-headers-KREL   for make -C KDIR M=... (bookworm;
#                                empty for other suites)
#   VMLINUZ=.../boot/vmlinuz-KREL
#   MODDIR=.../lib/modules/KREL  its modules (vsock etc.)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

suite=${1:-bookworm}
host_suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
ensure_host_packages

if [ "$suite" = "$host_suite" ]; then
	suite_aptopts=()
	apt_update() { apt-get update -qq || die "apt-get update failed"; }
else
	suite_apt_update "$suite"
	apt_update() { suite_apt_update "$suite" force; }
fi

# The binary package linux-image-amd64 currently depends on, e.g.
# linux-image-6.1.0-56-amd64.
meta_dep() {
	suite_kernel_image
}
updated=0
resolve() {
	img=$(meta_dep)
	if [ -z "$img" ] && [ $updated = 0 ]; then
		say "apt lists do not know linux-image-amd64; running apt-get update"
		apt_update
		updated=1
		img=$(meta_dep)
	fi
	[ -n "$img" ] || die "cannot resolve the dependency of linux-image-amd64"
	krel=${img#linux-image-}
	abi=${krel%-amd64}
	ver=$(apt-cache "${suite_aptopts[@]}" show --no-all-versions "$img" |
		sed -n 's/^Version: *//p' | head -n1)
	[ -n "$ver" ] || die "no version for $img"
	root_kdir=
	if [ "$suite" = "$host_suite" ]; then
		# The headers need the kbuild package they depend on: its
		# name is the upstream series (linux-kbuild-6.1 for 6.1.0-NN)
		# or, for newer series, the whole version
		# (linux-kbuild-6.12.117+deb12), so take it from the headers'
		# Depends rather than deriving it from the ABI.
		local kbuild
		kbuild=$(apt-cache "${suite_aptopts[@]}" show --no-all-versions \
			"linux-headers-$krel" | sed -n 's/^Depends: *//p' |
			tr ',' '\n' | sed -n 's/^ *\(linux-kbuild-[^ ]*\).*/\1/p' |
			head -n1)
		[ -n "$kbuild" ] || die "no linux-kbuild dependency of linux-headers-$krel"
		pkgs="$img linux-headers-$abi-amd64 linux-headers-$abi-common $kbuild"
		dir="$NEXUS_CACHE/stock-$abi-$ver"
		root_kdir=usr/src/linux-headers-$krel
	else
		pkgs=$img
		dir="$NEXUS_CACHE/stock-$suite-$abi-$ver"
	fi
	# Newer images are split (sid, 7.x): linux-image-KREL only depends on
	# linux-binary-KREL (vmlinuz), linux-modules-KREL, linux-base-KREL of
	# the same version; fetch those too.
	local d
	for d in $(apt-cache "${suite_aptopts[@]}" show --no-all-versions "$img" |
		sed -n 's/^Depends: *//p' | tr ',' '\n' |
		sed -n "s/^ *\(linux-[a-z]*-$krel\) (= $ver)\$/\1/p"); do
		pkgs="$pkgs $d"
	done
	root="$dir/root"
	kdir="$root/$root_kdir"
}

# The kernel image: boot/vmlinuz-KREL, or (split packages, 7.x)
# usr/lib/modules/KREL/vmlinuz.
find_vmlinuz() {
	local f
	for f in "$root/boot/vmlinuz-$krel" "$root/usr/lib/modules/$krel/vmlinuz" \
		"$root/lib/modules/$krel/vmlinuz"; do
		[ -f "$f" ] && { echo "$f"; return 0; }
	done
	return 0
}

# Point the headers into the cache and prove that they build a module.
check_kdir() {
	# The flavour's Makefile includes the common headers by absolute path;
	# point it into the cache. scripts/ and tools/ are relative symlinks
	# to ../../lib/linux-kbuild-6.1 and work inside $root as they are.
	local common="$root/usr/src/linux-headers-$abi-common"
	[ -d "$common" ] || die "no $common"
	sed -i "s#^include /usr/src/linux-headers-$abi-common/#include $common/#" "$kdir/Makefile"
	grep -q "^include $common/Makefile" "$kdir/Makefile" ||
		die "unexpected $kdir/Makefile: $(cat "$kdir/Makefile")"

	# Prove the KDIR works: build a trivial module against it.
	local t="$dir/selftest-module"
	mkdir -p "$t"
	cat >"$t/hello.c" <<'EOF'
#include <linux/module.h>
static int __init hello_init(void) { return 0; }
static void __exit hello_exit(void) { }
module_init(hello_init);
module_exit(hello_exit);
MODULE_LICENSE("GPL");
EOF
	echo 'obj-m := hello.o' >"$t/Kbuild"
	make -C "$kdir" M="$t" modules >"$t/build.log" 2>&1 ||
		{ tail -30 "$t/build.log" >&2; die "test module does not build against $kdir"; }
	[ -f "$t/hello.ko" ] || die "test module: no hello.ko"
	modinfo -F vermagic "$t/hello.ko" | grep -q "^$krel " ||
		die "test module has the wrong vermagic: $(modinfo -F vermagic "$t/hello.ko")"
}

fetch() {
	[ -f "$dir/.ready" ] && return 0
	say "fetching stock kernel $krel ($ver)"
	rm -rf "$dir"
	mkdir -p "$dir/debs" "$root"
	# Pin every package to the image's source version, so that a partial
	# archive update cannot mix versions.
	local p spec=""
	for p in $pkgs; do
		spec="$spec $p=$ver"
	done
	# shellcheck disable=SC2086 # $aptopts: options without spaces
	if ! (cd "$dir/debs" && apt-get $aptopts download -q -o APT::Sandbox::User=root $spec >/dev/null); then
		say "apt-get download failed:$spec"
		exit 3
	fi
	local deb
	for deb in "$dir"/debs/*.deb; do
		dpkg -x "$deb" "$root"
	done
	[ -n "$(find_vmlinuz)" ] || die "no vmlinuz in $pkgs"
	# Merged /usr (trixie on): the package ships usr/lib/modules.
	[ -d "$root/lib/modules/$krel" ] || [ -d "$root/usr/lib/modules/$krel" ] ||
		die "no modules in $img"
	if [ -n "$root_kdir" ]; then
		check_kdir
	fi
	rm -rf "$dir/debs"
	touch "$dir/.ready"
}

run_fetch() {
	export -f fetch check_kdir find_vmlinuz say die
	export dir root kdir krel abi ver pkgs img root_kdir
	aptopts="${suite_aptopts[*]}"
	export aptopts
	with_lock "stock-$abi-$ver" bash -c fetch >&2
}
resolve
status=0
run_fetch || status=$?
if [ $status = 3 ] && [ $updated = 0 ]; then
	# Stale apt lists name a kernel the archive no longer has.
	say "refreshing apt lists and retrying"
	apt_update
	updated=1
	resolve
	status=0
	run_fetch || status=$?
fi
[ $status = 0 ] || die "could not fetch the stock kernel"

printf 'KREL=%q\n' "$krel"
if [ -n "$root_kdir" ]; then
	printf 'KDIR=%q\n' "$kdir"
else
	printf 'KDIR=\n'
fi
printf 'VMLINUZ=%q\n' "$(find_vmlinuz)"
moddir="$root/lib/modules/$krel"
[ -d "$moddir" ] || moddir="$root/usr/lib/modules/$krel"
printf 'MODDIR=%q\n' "$moddir"
