#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Unpack (once) Debian's linux-source-6.1 into the cache and print the tree's
# path. It is the source of the debug kernel and the KSRC of the selftests.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ensure_host_packages
tarball=/usr/src/linux-source-6.1.tar.xz
[ -f "$tarball" ] || die "no $tarball (package linux-source-6.1)"
src=$(linux_source_dir)

unpack() {
	[ -f "$src/.unpacked" ] && return 0
	say "unpacking linux-source-6.1 into $src"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -C "$src.tmp" -xf "$tarball"
	mv "$src.tmp/linux-source-6.1" "$src"
	rmdir "$src.tmp"
	touch "$src/.unpacked"
}
export -f unpack say die
export src tarball
with_lock linux-source bash -c unpack >&2
echo "$src"
