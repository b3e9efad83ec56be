#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make run`: boot Debian's stock kernel in QEMU with nexus.ko loaded and run
# the demo (selftests/nexus_demo.c). No kernel is compiled: the stock kernel
# is downloaded once into the cache, so this takes a minute or two.
#
# On a terminal you get a shell in the guest afterwards (Ctrl-A x quits
# QEMU); otherwise the guest powers off after the demo and the exit status
# says whether the demo and the kernel were fine.
# Environment: NEXUS_INTERACTIVE=0|1 overrides the terminal detection;
# NEXUS_STOCK_EXTRA, ACCEL, NEXUS_QEMU_TIMEOUT as for check.sh/run-guest.sh.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

src=${NEXUS_SRC:-$TOP_DIR}
build="$TOP_DIR/build"
ensure_host_packages
eval "$("$QEMU_DIR/kernel-stock.sh")"

NEXUS_SRC=$src "$QEMU_DIR/build-module.sh" "$KDIR" "$build/stock/module"
say "building the demo"
make -s -C "$src/selftests" O="$build/selftests" demo >&2 || die "demo build failed"
[ -x "$build/selftests/nexus_demo" ] || die "no $build/selftests/nexus_demo was built"

extra=()
mapfile -t extra < <(stock_extra_args "$MODDIR")
"$QEMU_DIR/initramfs.sh" -o "$build/run/initramfs.cpio.gz" \
	-m "$build/stock/module/nexus.ko" -t "$build/selftests/nexus_demo" "${extra[@]}"

interactive=${NEXUS_INTERACTIVE:-}
if [ -z "$interactive" ]; then
	if [ -t 0 ] && [ -t 1 ]; then interactive=1; else interactive=0; fi
fi
out="$build/run/boot"
if [ "$interactive" = 1 ]; then
	say "interactive guest: a shell follows the demo; 'exit' or Ctrl-A x ends it"
	NEXUS_QEMU_TIMEOUT=${NEXUS_QEMU_TIMEOUT:-86400} \
		"$QEMU_DIR/run-guest.sh" -I -m run -k "$VMLINUZ" \
		-i "$build/run/initramfs.cpio.gz" -d "$out" || true
else
	NEXUS_QEMU_TIMEOUT=${NEXUS_QEMU_TIMEOUT:-600} \
		"$QEMU_DIR/run-guest.sh" -m run -k "$VMLINUZ" \
		-i "$build/run/initramfs.cpio.gz" -d "$out" || true
	# The boot messages are in the log; show what the guest did from /init on.
	echo "---- guest console from /init on (full log: $out/console.log) ----"
	sed -n '/Run \/init as init process/,$p' "$out/console.log" | tr -d '\r'
	echo "---- end of guest console ----"
fi
echo
"$QEMU_DIR/parse-results.py" "$out" --mode run --label run --quiet-reports >/dev/null || {
	"$QEMU_DIR/parse-results.py" "$out" --mode run --label run || true
	die "the demo or the kernel reported a problem (see above)"
}
say "demo finished cleanly"
