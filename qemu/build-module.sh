#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Usage: build-module.sh [-r ROOT] KDIR OUTDIR [extra make args...]
# Copies Kbuild, kmod/ and uapi/ of the repo (or of $NEXUS_SRC when set, a
# directory with the same layout) into OUTDIR and builds them there against
# KDIR with W=1, so that builds for several kernels never share object files
# and never write into the source tree. Any compiler warning is an error.
# Produces OUTDIR/nexus.ko, and OUTDIR/nexus_kunit.ko when KDIR has
# CONFIG_KUNIT enabled.
#
# With -r ROOT (an unpacked chroot.sh chroot), the build runs inside that
# chroot, by its distribution's make and gcc against its headers: KDIR is a
# path inside ROOT, the sources are copied to ROOT/build/nexus and the
# products (*.ko, build.log) to OUTDIR.
#
# The module's .comment must name the compiler the kernel was built with
# (CONFIG_CC_VERSION_TEXT), so that a build by another gcc cannot pass.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

root=
if [ "${1:-}" = -r ]; then
	root=$(cd "${2:?usage: $0 [-r ROOT] KDIR OUTDIR}" && pwd)
	shift 2
fi
[ $# -ge 2 ] || die "usage: $0 [-r ROOT] KDIR OUTDIR [make args...]"
kdir=$1 out=$2
shift 2
src=${NEXUS_SRC:-$TOP_DIR}
[ -f "$root$kdir/Makefile" ] || die "KDIR $root$kdir has no Makefile"
[ -f "$src/Kbuild" ] || die "no $src/Kbuild (the module sources are not there yet)"

mkdir -p "$out"
out=$(cd "$out" && pwd)
products=$out
if [ -n "$root" ]; then
	# Build inside the chroot; OUTDIR receives the products.
	out="$root/build/nexus"
	mkdir -p "$out"
fi
# --delete keeps OUTDIR an exact copy of the sources (removed files
# disappear). Build products are excluded on both sides: an in-tree build
# in the repo is not copied, and OUTDIR's own objects stay for incremental
# builds. Content-compared and written with the current time (no -t), so a
# changed file is always newer than its old object, even when the source
# went back to an older version.
rsync -rlpc --delete \
	--exclude='*.o' --exclude='*.ko' --exclude='*.mod' --exclude='*.mod.c' \
	--exclude='.*.cmd' --exclude='*.a' --exclude='modules.order' \
	--exclude='Module.symvers' --exclude='.*.d' --exclude='/build.log' \
	--include=/Kbuild --include='/kmod/***' --include='/uapi/***' --exclude='*' \
	"$src/" "$out/"

# The compiler that built the kernel, as the top-level Makefile picks it
# (CONFIG_CC_VERSION_TEXT; e.g. x86_64-linux-gnu-gcc-14 where the chroot
# has no plain gcc).
cc_cmd=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\([^ ]*gcc[^ ]*\) .*/\1/p' "$root$kdir/.config" 2>/dev/null || true)
ccarg=()
if [ -n "$cc_cmd" ]; then
	if [ -n "$root" ]; then
		[ -x "$root/usr/bin/$cc_cmd" ] && ccarg=(CC="$cc_cmd")
	else
		command -v "$cc_cmd" >/dev/null && ccarg=(CC="$cc_cmd")
	fi
fi
log="$out/build.log"
status=0
if [ -n "$root" ]; then
	in_chroot "$root" make -C "$kdir" M=/build/nexus W=1 "${ccarg[@]}" "$@" modules >"$log" 2>&1 ||
		status=$?
	kdir="$root$kdir"
else
	make -C "$kdir" M="$out" W=1 "${ccarg[@]}" "$@" modules >"$log" 2>&1 || status=$?
fi
if [ $status != 0 ]; then
	cat "$log" >&2
	die "module build failed against $kdir"
fi
if grep -qi 'warning:' "$log"; then
	grep -i -B2 -A6 'warning:' "$log" >&2
	# Make the next run recompile everything, so the warning shows again.
	find "$out" \( -name '*.o' -o -name '*.ko' \) -delete
	die "module build against $kdir has warnings (they are errors here)"
fi
[ -f "$out/nexus.ko" ] || { cat "$log" >&2; die "no nexus.ko was built"; }
# modpost ran (it writes the module's .mod.c) and the compiler is the
# kernel's own.
[ -f "$out/nexus.mod.c" ] || die "modpost did not run (no nexus.mod.c)"
if grep -qx 'CONFIG_OBJTOOL=y' "$kdir/.config" 2>/dev/null; then
	grep -q objtool "$out/kmod/.af_nexus.o.cmd" || die "objtool did not run on kmod/af_nexus.o"
fi
cc_text=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="[^ ]* \(.*\)"$/\1/p' "$kdir/.config" 2>/dev/null || true)
if [ -n "$cc_text" ]; then
	readelf -p .comment "$out/nexus.ko" | grep -qF "GCC: $cc_text" ||
		die "nexus.ko was not built by the kernel's compiler ($cc_text): $(readelf -p .comment "$out/nexus.ko" | grep GCC)"
fi
if grep -qx 'CONFIG_KUNIT=[ym]' "$kdir/.config" 2>/dev/null || grep -qx 'CONFIG_KUNIT=[ym]' "$kdir/include/config/auto.conf" 2>/dev/null; then
	[ -f "$out/nexus_kunit.ko" ] || die "KDIR has CONFIG_KUNIT but no nexus_kunit.ko was built"
fi
if [ -n "$root" ]; then
	rm -f "$products"/*.ko
	cp "$out"/*.ko "$log" "$products/"
fi
say "built $(cd "$out" && ls -- *.ko | tr '\n' ' ')in $products${root:+ (in the chroot $root, ${cc_text:-?})}"
