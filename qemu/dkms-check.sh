#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# DKMS as a user of a distribution runs it, in that distribution's chroot
# (chroot.sh), for its stock kernel:
#
#   dkms-check.sh ROOT KREL MATRIX_KO OUTDIR
#
#  1. from the source tree: `dkms add DIR` (a copy of Makefile, Kbuild,
#     dkms.conf, kmod/, uapi/ at /build/dkms-src), `dkms build`, `dkms
#     install`, then `modprobe -n -v net-pf-22` (the alias that loads the
#     module on the first socket(AF_NEXUS, ...)) must name the installed
#     module; `dkms remove`;
#  2. from the staging of `make install-dkms DESTDIR=/build/dkms-stage`:
#     `dkms add` of the staged /usr/src/nexus-VERSION, `dkms build`,
#     `dkms remove`.
# Both modules must be the one the matrix boots (MATRIX_KO, built by
# build-module.sh in the same chroot): same version (dkms.conf's), srcversion
# (a hash of the sources), vermagic and module info, and the same .text.
# They are copied to OUTDIR.
# Prints one line: "dkms SUITE-KREL ok" or "... FAIL reason" (exit 1).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# = 4 ] || die "usage: $0 ROOT KREL MATRIX_KO OUTDIR"
root=$(cd "$1" && pwd) krel=$2 ko=$3 out=$4
src=${NEXUS_SRC:-$TOP_DIR}
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$src/dkms.conf")
[ -n "$ver" ] || die "no PACKAGE_VERSION in $src/dkms.conf"

fail() {
	echo "dkms $krel FAIL $*"
	exit 1
}

rm -rf "$out" "$root/build/dkms-src" "$root/build/dkms-stage"
mkdir -p "$out" "$root/build/dkms-src"
rsync -a --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
	"$src/Makefile" "$src/Kbuild" "$src/dkms.conf" "$src/kmod" "$src/uapi" \
	"$root/build/dkms-src/"

log="$out/dkms.log"
# shellcheck disable=SC2016 # expanded inside the chroot
if ! in_chroot "$root" /bin/bash -c '
	set -ex
	ver=$1 krel=$2
	mod=nexus/$ver
	dkms remove "$mod" --all || true
	rm -rf "/usr/src/nexus-$ver" /var/lib/dkms/nexus /build/dkms-out
	mkdir -p /build/dkms-out
	# 1. from the source tree
	dkms add /build/dkms-src
	dkms build "$mod" -k "$krel"
	# dkms runs depmod only for an installed kernel (modules.dep there);
	# sid'"'"'s headers do not pull the kernel image into the chroot.
	[ -f "/lib/modules/$krel/modules.dep" ] || depmod -a "$krel"
	dkms install "$mod" -k "$krel"
	installed=$(modinfo -k "$krel" -n nexus)
	cp "$installed" /build/dkms-out/
	modprobe -n -v -S "$krel" net-pf-22 | tee /build/dkms-out/modprobe
	dkms remove "$mod" --all
	rm -rf "/usr/src/nexus-$ver"
	! modinfo -k "$krel" -n nexus 2>/dev/null
	# 2. from make install-dkms staging
	make -C /build/dkms-src install-dkms DESTDIR=/build/dkms-stage
	dkms add "/build/dkms-stage/usr/src/nexus-$ver"
	dkms build "$mod" -k "$krel"
	mkdir -p /build/dkms-out/staged
	cp /var/lib/dkms/nexus/"$ver"/"$krel"/*/module/nexus.ko* /build/dkms-out/staged/
	dkms remove "$mod" --all
	rm -rf "/usr/src/nexus-$ver"
' dkms-check "$ver" "$krel" >"$log" 2>&1; then
	tail -n 25 "$log" >&2
	fail "(see $log)"
fi
cp -r "$root/build/dkms-out/." "$out/"

# The installed module answers net-pf-22.
grep -q "insmod .*/nexus\.ko" "$out/modprobe" ||
	fail "modprobe net-pf-22 does not load nexus: $(cat "$out/modprobe")"

# modinfo (kmod reads .ko.xz/.ko.zst too) of the two DKMS modules against
# the matrix's: srcversion is a hash of the sources, so equal sources; and
# the same code (.text), so the same compiler and flags.
info() {
	modinfo "$1" | grep -E '^(version|srcversion|vermagic|alias|depends|name|license|parm):' |
		sed 's/  */ /g'
}
text_sum() {
	local t
	t=$(mktemp)
	case $1 in
	*.xz) xz -dc "$1" >"$t" ;;
	*.zst) zstd -qdc "$1" >"$t" ;;
	*) cp "$1" "$t" ;;
	esac
	objcopy -O binary -j .text "$t" "$t.text" && sha256sum <"$t.text" | cut -c1-16
	rm -f "$t" "$t.text"
}
[ "$(modinfo -F version "$ko")" = "$ver" ] ||
	fail "$ko has version '$(modinfo -F version "$ko")', dkms.conf PACKAGE_VERSION '$ver'"
srcv=$(modinfo -F srcversion "$ko")
[ -n "$srcv" ] || fail "$ko has no srcversion"
want=$(info "$ko")
want_text=$(text_sum "$ko")
for f in "$out"/nexus.ko* "$out"/staged/nexus.ko*; do
	[ -f "$f" ] || fail "no module in $(dirname "$f")"
	got=$(info "$f")
	[ "$got" = "$want" ] ||
		fail "$f differs from $ko: $(diff <(echo "$want") <(echo "$got") | grep '^[<>]' | tr '\n' ' ')"
	[ "$(text_sum "$f")" = "$want_text" ] || fail "$f: its .text differs from $ko's"
done
echo "dkms $krel ok (srcversion $srcv, .text sha256 $want_text)"
