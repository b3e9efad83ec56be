#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Usage: initramfs.sh -o OUT.cpio.gz [-m MODULE.ko]... [-t TESTBIN]... [-x EXTRA.ko]...
#   -m  nexus module(s), copied to /lib/modules/ (nexus.ko, nexus_kunit.ko)
#   -t  statically linked test binaries, copied to /tests/
#   -x  extra kernel modules (e.g. vsock from the stock kernel), copied to
#       /lib/modules/extra/ and loaded by /init in the order given, before
#       nexus.ko
# The image holds busybox (static, from busybox-static), the files above and
# qemu/guest-init.sh as /init. Nothing from the host's libraries is needed:
# every binary must be static (checked).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out="" mods=() tests=() extras=()
while getopts "o:m:t:x:" opt; do
	case $opt in
	o) out=$OPTARG ;;
	m) mods+=("$OPTARG") ;;
	t) tests+=("$OPTARG") ;;
	x) extras+=("$OPTARG") ;;
	*) die "usage: $0 -o OUT.cpio.gz [-m ko]... [-t bin]... [-x ko]..." ;;
	esac
done
[ -n "$out" ] || die "initramfs.sh: -o OUT is required"

busybox=/bin/busybox
[ -x "$busybox" ] || die "no $busybox (package busybox-static)"

is_static() {
	# A static binary has no program interpreter.
	! LC_ALL=C readelf -lW "$1" 2>/dev/null | grep -q 'Requesting program interpreter'
}
is_static "$busybox" || die "$busybox is not static (install busybox-static)"

mkdir -p "$(dirname "$out")"
stage=$(mktemp -d "$(dirname "$out")/.initramfs.XXXXXX")
# mktemp makes it 0700: as the guest's / it would lock out every non-root user.
chmod 755 "$stage"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,root,etc,lib/modules/extra,tests}
cp "$busybox" "$stage/bin/busybox"
install -m 755 "$QEMU_DIR/guest-init.sh" "$stage/init"
# Usually provided by the kernel's built-in initramfs; harmless to repeat.
if [ "$(id -u)" = 0 ]; then
	mknod -m 600 "$stage/dev/console" c 5 1
	mknod -m 666 "$stage/dev/null" c 1 3
fi
echo 'root:x:0:0:root:/root:/bin/sh' >"$stage/etc/passwd"
echo 'root:x:0:' >"$stage/etc/group"

f=""
for f in "${mods[@]}"; do
	[ -f "$f" ] || die "no module $f"
	cp "$f" "$stage/lib/modules/"
done
for f in "${extras[@]}"; do
	[ -f "$f" ] || die "no module $f"
	cp "$f" "$stage/lib/modules/extra/"
	basename "$f" >>"$stage/lib/modules/extra/order"
done
for f in "${tests[@]}"; do
	[ -f "$f" ] || die "no test binary $f"
	is_static "$f" || die "$f is not statically linked (the guest has no libraries)"
	install -m 755 "$f" "$stage/tests/"
done

(cd "$stage" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc -R 0:0 --quiet) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
say "initramfs $out: $(du -h "$out" | cut -f1)," \
	"modules: $(cd "$stage/lib/modules" && find . -name '*.ko' | sed 's#^\./##' | tr '\n' ' ')" \
	"tests: $(ls "$stage/tests" | tr '\n' ' ')"
