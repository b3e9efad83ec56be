#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Usage: build-module.sh KDIR OUTDIR [extra make args...]
# Copies Kbuild, kmod/ and uapi/ of the repo (or of $NEXUS_SRC when set, a
# directory with the same layout) into OUTDIR and builds them there against
# KDIR with W=1, so that builds for several kernels never share object files
# and never write into the source tree. Any compiler warning is an error.
# Produces OUTDIR/nexus.ko, and OUTDIR/nexus_kunit.ko when KDIR has
# CONFIG_KUNIT enabled.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# -ge 2 ] || die "usage: $0 KDIR OUTDIR [make args...]"
kdir=$1 out=$2
shift 2
src=${NEXUS_SRC:-$TOP_DIR}
[ -f "$kdir/Makefile" ] || die "KDIR $kdir has no Makefile"
[ -f "$src/Kbuild" ] || die "no $src/Kbuild (the module sources are not there yet)"

mkdir -p "$out"
out=$(cd "$out" && pwd)
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

log="$out/build.log"
status=0
make -C "$kdir" M="$out" W=1 "$@" modules >"$log" 2>&1 || status=$?
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
if grep -qx 'CONFIG_KUNIT=[ym]' "$kdir/.config" 2>/dev/null || grep -qx 'CONFIG_KUNIT=[ym]' "$kdir/include/config/auto.conf" 2>/dev/null; then
	[ -f "$out/nexus_kunit.ko" ] || die "KDIR has CONFIG_KUNIT but no nexus_kunit.ko was built"
fi
say "built $(cd "$out" && ls -- *.ko | tr '\n' ' ')in $out"
