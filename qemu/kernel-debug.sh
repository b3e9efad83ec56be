#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build (once) a small test kernel from Debian's linux-source-6.1:
# qemu/base.config and the flavour's fragment merged over tinyconfig.
#   kernel-debug.sh [debug|kcsan]     (default debug)
#     debug  base.config + debug.config (KASAN, kmemleak, fault injection)
#     kcsan  base.config + kcsan.config (KCSAN)
# Prints the build directory (usable as KDIR for out-of-tree modules;
# bzImage is under arch/x86/boot), keyed by source version and the hash of
# both fragments.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ensure_host_packages
src=$("$QEMU_DIR/kernel-src.sh")
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
flavour=${1:-debug}
case $flavour in
debug|kcsan) ;;
*) die "unknown kernel flavour '$flavour' (debug, kcsan)" ;;
esac
fragments=("$QEMU_DIR/base.config" "$QEMU_DIR/$flavour.config")
cfghash=$(cat "${fragments[@]}" | sha256sum | cut -c1-12)
out="$NEXUS_CACHE/$flavour-6.1-$srcver-$cfghash"

build() {
	if [ ! -f "$out/.built" ]; then
		say "building $flavour kernel in $out (about 10 minutes on 2 cores)"
		mkdir -p "$out"
		make -s -C "$src" O="$out" tinyconfig >/dev/null
		"$src/scripts/kconfig/merge_config.sh" -m -O "$out" \
			"$out/.config" "${fragments[@]}" >/dev/null
		make -s -C "$src" O="$out" olddefconfig >/dev/null
		# Every fragment line must have survived olddefconfig.
		local bad=0 line
		while read -r line; do
			case "$line" in ''|'#'*) continue ;; esac
			if [[ $line == *=n ]]; then
				! grep -qx "${line%=n}=y" "$out/.config" || { say "not off: $line"; bad=1; }
			elif ! grep -qx "$line" "$out/.config"; then
				say "config lost: $line"; bad=1
			fi
		done < <(cat "${fragments[@]}")
		[ $bad = 0 ] || die "${fragments[*]##*/} do not apply to this source"
		make -s -C "$src" O="$out" -j"$(nproc)" bzImage modules >"$out/build.log" 2>&1 ||
			{ tail -30 "$out/build.log" >&2; die "kernel build failed"; }
		touch "$out/.built"
	fi
}
with_lock "$flavour-kernel" bash -c "$(declare -f build say die); $(declare -p src out srcver QEMU_DIR flavour fragments); build" >&2
echo "$out"
