#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make fuzz FUZZ_SECONDS=N [NEXUS_KERNELS=...]`: boot each kernel once in
# fuzz mode (guest-init.sh) to run selftests/nexus_fuzz for N seconds, then
# selftests/diff_test (the differential tester) for as long when it is
# built; print the operation counts and fail on any failure, kernel report
# or kmemleak report (qemu/parse-results.py, as for make check).
#
# Environment:
#   FUZZ_SECONDS        seconds per tool per kernel (default 60)
#   NEXUS_FUZZ_SEED     seed (default: each run picks one and prints it)
#   NEXUS_KERNELS       kernels, default "stock debug"
#   NEXUS_QEMU_TIMEOUT  seconds per boot (default: 2 x FUZZ_SECONDS + 1200)
#   NEXUS_SRC, ACCEL, NEXUS_STOCK_EXTRA as for check.sh
# Logs: build/fuzz/<kernel>/{console,results}.log.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

secs=${FUZZ_SECONDS:-60}
case $secs in '' | *[!0-9]*) die "FUZZ_SECONDS must be a number of seconds" ;; esac
kernels=${NEXUS_KERNELS:-stock debug}
src=${NEXUS_SRC:-$TOP_DIR}
out="$TOP_DIR/build/fuzz"
seed=${NEXUS_FUZZ_SEED:-}
export NEXUS_QEMU_TIMEOUT=${NEXUS_QEMU_TIMEOUT:-$((2 * secs + 1200))}

ensure_host_packages
ksrc=$(linux_source_dir)
[ -f "$ksrc/.unpacked" ] || "$QEMU_DIR/kernel-src.sh" >/dev/null
say "building the fuzzer (and diff_test if there is one) into $out/bin"
make -s -C "$src/selftests" O="$out/bin" fuzz >&2 || die "nexus_fuzz build failed"
tools=(-t "$out/bin/nexus_fuzz")
if [ -f "$src/selftests/diff_test.c" ]; then
	make -s -C "$src/selftests" O="$out/bin" KSRC="$ksrc" "$out/bin/diff_test" >&2 ||
		die "diff_test build failed"
	tools+=(-t "$out/bin/diff_test")
fi

status=0
summary=()
for k in $kernels; do
	say "=== $k kernel: fuzzing for ${secs}s ==="
	extra=() leak=()
	case $k in
	debug)
		kdir=$("$QEMU_DIR/kernel-debug.sh")
		image="$kdir/arch/x86/boot/bzImage"
		leak=(-l)
		;;
	stock)
		eval "$("$QEMU_DIR/kernel-stock.sh")"
		kdir=$KDIR image=$VMLINUZ
		mapfile -t extra < <(stock_extra_args "$MODDIR")
		;;
	*) die "unknown kernel '$k' in NEXUS_KERNELS (stock, debug)" ;;
	esac
	NEXUS_SRC=$src "$QEMU_DIR/build-module.sh" "$kdir" "$out/$k/module"
	"$QEMU_DIR/initramfs.sh" -o "$out/$k/initramfs.cpio.gz" \
		-m "$out/$k/module/nexus.ko" "${tools[@]}" "${extra[@]}"
	"$QEMU_DIR/run-guest.sh" "${leak[@]}" -m fuzz -k "$image" \
		-i "$out/$k/initramfs.cpio.gz" -d "$out/$k/boot" \
		-a "nexus.fuzz=$secs${seed:+:$seed}" || true
	"$QEMU_DIR/parse-results.py" "$out/$k/boot" --label "$k fuzz" \
		--counts "$out/$k/counts" || status=1
	ops=$(grep -a '^nexus_fuzz: seed .* operations' "$out/$k/boot/results.log" | tail -1 || true)
	summary+=("$k: ${ops:-nexus_fuzz printed no operation count}")
	diffops=$(grep -a -i 'operations\|sequences' "$out/$k/boot/results.log" |
		grep -av '^nexus_fuzz' | tail -1 || true)
	[ -n "$diffops" ] && summary+=("$k: diff_test: $diffops")
done

echo
echo "==== make fuzz (${secs}s per tool per kernel) ===="
for s in "${summary[@]}"; do
	echo "  $s"
done
exit $status
