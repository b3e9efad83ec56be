#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The connect() conformance matrix (docs/conformance.md).
#
#   conformance.sh
#       `make conformance`: build nexus.ko for the stock and the debug
#       kernel and selftests/conformance_test, boot each kernel once running
#       only that test, and write docs/conformance.md from both runs. The
#       table needs both kernels: NEXUS_KERNELS must name both (the default).
#       Exit status non-zero if a test failed or a run is missing (the table
#       is still written when both runs reported, so that it can be read).
#
#   conformance.sh --check COUNTS KERNEL...
#       Called by check.sh after its boots: regenerate the table from the
#       conformance_test output of those boots (build/KERNEL/boot/results.log)
#       and compare it with the committed docs/conformance.md. Both kernels
#       booted: the regenerated file must be byte-identical. One kernel
#       booted (NEXUS_KERNELS=debug, ...): its outcomes must equal that
#       kernel's outcomes in the committed table, and the kernel not booted
#       is counted as skipped. A booted kernel without conformance output is
#       a failure. Writes "PASSED FAILED SKIPPED" to COUNTS.
#
# The clause list is docs/clauses.tsv; the generator is qemu/conformance.py.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

src=${NEXUS_SRC:-$TOP_DIR}
build="$TOP_DIR/build"
gen=("$QEMU_DIR/conformance.py" --clauses "$src/docs/clauses.tsv")

if [ "${1:-}" = --check ]; then
	[ $# -ge 3 ] || die "usage: $0 --check COUNTS KERNEL..."
	counts=$2
	shift 2
	echo "==== conformance table (docs/conformance.md) ===="
	if [ ! -f "$src/selftests/conformance_test.c" ]; then
		echo "  no selftests/conformance_test.c in $src: not checked"
		echo "0 0 1" >"$counts"
		exit 0
	fi
	args=()
	for k in "$@"; do
		args+=(--kernel "$k=$build/$k/boot/results.log")
	done
	rc=0
	"${gen[@]}" "${args[@]}" --check "$src/docs/conformance.md" \
		--counts "$counts" || rc=$?
	exit $rc
fi
[ $# = 0 ] || die "usage: $0 | $0 --check COUNTS KERNEL..."

kernels=${NEXUS_KERNELS:-stock debug}
for need in stock debug; do
	case " $kernels " in
	*" $need "*) ;;
	*) die "the table needs both kernels; NEXUS_KERNELS='$kernels' lacks $need" ;;
	esac
done

ensure_host_packages
out="$build/conformance"
ksrc=$(linux_source_dir)
[ -f "$ksrc/.unpacked" ] || "$QEMU_DIR/kernel-src.sh" >/dev/null
say "building conformance_test into $out/selftests"
make -s -C "$src/selftests" O="$out/selftests" KSRC="$ksrc" \
	"$out/selftests/conformance_test" >&2 || die "conformance_test build failed"

status=0
args=()
for k in $kernels; do
	say "=== conformance: $k kernel ==="
	extra=() leak=()
	case $k in
	debug)
		kd=$("$QEMU_DIR/kernel-debug.sh")
		img="$kd/arch/x86/boot/bzImage"
		leak=(-l)
		;;
	stock)
		eval "$("$QEMU_DIR/kernel-stock.sh")"
		kd=$KDIR img=$VMLINUZ
		mapfile -t extra < <(stock_extra_args "$MODDIR")
		;;
	*) die "unknown kernel '$k' in NEXUS_KERNELS (stock, debug)" ;;
	esac
	NEXUS_SRC=$src "$QEMU_DIR/build-module.sh" "$kd" "$out/$k/module"
	"$QEMU_DIR/initramfs.sh" -o "$out/$k/initramfs.cpio.gz" \
		-m "$out/$k/module/nexus.ko" -t "$out/selftests/conformance_test" \
		"${extra[@]}"
	"$QEMU_DIR/run-guest.sh" "${leak[@]}" -m check -k "$img" \
		-i "$out/$k/initramfs.cpio.gz" -d "$out/$k/boot" || true
	"$QEMU_DIR/parse-results.py" "$out/$k/boot" --label "$k" \
		--counts "$out/$k/counts" --quiet-reports || status=1
	args+=(--kernel "$k=$out/$k/boot/results.log")
done

"${gen[@]}" "${args[@]}" --write "$src/docs/conformance.md" || status=1
exit $status
