#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make check`: build nexus.ko for the debug kernel (KASAN, lockdep,
# kmemleak, KUnit) and for Debian's stock kernel, build the selftests, boot
# each kernel once in QEMU in check mode, and summarise.
#
# The last line printed is always "N passed, N failed, N skipped" (KUnit
# cases + selftests over both kernels, harness and kernel-report failures
# included, and one result for docs/conformance.md being up to date); the
# exit status is non-zero on any failure.
#
# Environment:
#   NEXUS_KERNELS        kernels to test, default "stock debug kcsan"; the
#                        kcsan kernel (KCSAN, lockdep, KUnit) runs KUnit and
#                        only the selftests named in qemu/kcsan.tests (or
#                        NEXUS_TESTS when set), and is not part of the
#                        conformance table
#   NEXUS_STOCK_EXTRA    stock modules (paths under lib/modules/KREL/kernel/)
#                        loaded before nexus.ko; default the vsock loopback
#                        stack, which the debug kernel has built in
#   NEXUS_QEMU_TIMEOUT   seconds per boot (default 1200), ACCEL=kvm, ...
#                        (see run-guest.sh)
#   NEXUS_SRC            take Kbuild/kmod/uapi/selftests from this directory
#                        instead of the repo (for testing the harness)
#   NEXUS_TESTS          only these selftests (names, e.g. "dgram_test
#                        stream_data_test"); the conformance table check is
#                        then skipped (counted as one skip)
#   NEXUS_KCSAN_SKIP_WATCH  the kcsan kernel watches one access in this
#                        many (kcsan.skip_watch, default 200; the kernel's
#                        own default, 4000, found nothing in a few minutes)
#   NEXUS_COMPILE        newer Debian suites whose kernel headers nexus is
#                        compiled against (compile-newer.sh), default
#                        "trixie sid"; each counts as one test (skipped when
#                        the suite cannot be fetched)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kernels=${NEXUS_KERNELS:-stock debug kcsan}
src=${NEXUS_SRC:-$TOP_DIR}
build="$TOP_DIR/build"
total_p=0 total_f=0 total_s=0
final_printed=0

final_line() {
	[ $final_printed = 1 ] && return
	final_printed=1
	echo "$total_p passed, $total_f failed, $total_s skipped"
}
on_exit() {
	local rc=$?
	if [ $final_printed = 0 ]; then
		# Died before the end (a build failed): still close with the count.
		[ $rc != 0 ] && [ $total_f = 0 ] && total_f=1
		echo "check: aborted before all tests ran (see the errors above)"
		final_line
	fi
}
trap on_exit EXIT

ensure_host_packages
[ -f "$src/Kbuild" ] || die "no $src/Kbuild"
[ -f "$src/selftests/Makefile" ] || die "no $src/selftests/Makefile"

# ---- kernels ----
declare -A image kdir
for k in $kernels; do
	case $k in
	debug)
		d=$("$QEMU_DIR/kernel-debug.sh")
		image[debug]="$d/arch/x86/boot/bzImage"
		kdir[debug]=$d
		;;
	kcsan)
		d=$("$QEMU_DIR/kernel-debug.sh" kcsan)
		image[kcsan]="$d/arch/x86/boot/bzImage"
		kdir[kcsan]=$d
		;;
	stock)
		eval "$("$QEMU_DIR/kernel-stock.sh")"
		image[stock]=$VMLINUZ
		kdir[stock]=$KDIR
		stock_moddir=$MODDIR
		;;
	*) die "unknown kernel '$k' in NEXUS_KERNELS (stock, debug, kcsan)" ;;
	esac
done

# ---- selftests (static binaries, the same for both kernels) ----
ksrc=$(linux_source_dir)
if [ ! -f "$ksrc/.unpacked" ]; then
	# kernel-debug.sh unpacks the source; NEXUS_KERNELS=stock alone does not.
	"$QEMU_DIR/kernel-src.sh" >/dev/null
fi
say "building selftests into $build/selftests"
make -s -C "$src/selftests" O="$build/selftests" KSRC="$ksrc" >&2 ||
	die "selftests build failed"
tests=()
for t in "$build"/selftests/*_test; do
	[ -x "$t" ] || continue
	if [ -n "${NEXUS_TESTS:-}" ]; then
		case " $NEXUS_TESTS " in *" $(basename "$t") "*) ;; *) continue ;; esac
	fi
	tests+=(-t "$t")
done
[ ${#tests[@]} -gt 0 ] || die "the selftests build produced no $build/selftests/*_test"
# The kcsan kernel: the race-finding subset (qemu/kcsan.tests), unless
# NEXUS_TESTS chose already.
kcsan_tests=("${tests[@]}")
if [ -z "${NEXUS_TESTS:-}" ]; then
	kcsan_tests=()
	while read -r name _; do
		case $name in ''|'#'*) continue ;; esac
		[ -x "$build/selftests/$name" ] ||
			die "qemu/kcsan.tests names $name, which the selftests build did not produce"
		kcsan_tests+=(-t "$build/selftests/$name")
	done <"$QEMU_DIR/kcsan.tests"
fi

# ---- per kernel: module, initramfs, boot, parse ----
for k in $kernels; do
	say "=== $k kernel ==="
	NEXUS_SRC=$src "$QEMU_DIR/build-module.sh" "${kdir[$k]}" "$build/$k/module"
	mods=(-m "$build/$k/module/nexus.ko")
	extra=() leak=() kargs=() ktests=("${tests[@]}")
	[ -f "$build/$k/module/nexus_kunit.ko" ] &&
		mods+=(-m "$build/$k/module/nexus_kunit.ko")
	case $k in
	stock) mapfile -t extra < <(stock_extra_args "$stock_moddir") ;;
	debug) leak=(-l) ;;
	kcsan)
		ktests=("${kcsan_tests[@]}")
		# KCSAN panics on its first report under panic_on_warn, and
		# the kernel has races of its own (APIC calibration at boot):
		# every report is logged instead, and parse-results.py fails
		# the boot on those that pass through nexus.
		# kcsan.skip_watch: a watchpoint every N accesses instead of the
		# default 4000, so that a few minutes of tests find races.
		kargs=(-a "panic_on_warn=0 kcsan.skip_watch=${NEXUS_KCSAN_SKIP_WATCH:-200}")
		;;
	esac
	"$QEMU_DIR/initramfs.sh" -o "$build/$k/initramfs.cpio.gz" "${mods[@]}" "${ktests[@]}" "${extra[@]}"
	"$QEMU_DIR/run-guest.sh" "${leak[@]}" "${kargs[@]}" -m check -k "${image[$k]}" \
		-i "$build/$k/initramfs.cpio.gz" -d "$build/$k/boot" || true
done

# ---- compile-only checks against newer kernels' headers ----
compile_results=()
for suite in ${NEXUS_COMPILE-trixie sid}; do
	say "=== compile against $suite's kernel headers ==="
	compile_results+=("$(NEXUS_SRC=$src "$QEMU_DIR/compile-newer.sh" "$suite" \
		"$build/compile-$suite" || true)")
done

# Summaries after all boots, so they stay together at the end of the log.
status=0
if [ ${#compile_results[@]} -gt 0 ]; then
	echo
	echo "==== compile only (W=1, probes in kmod/probes/) ===="
	for r in "${compile_results[@]}"; do
		echo "  $r"
		case $r in
		*" ok") total_p=$((total_p + 1)) ;;
		*" SKIP "*) total_s=$((total_s + 1)) ;;
		*) total_f=$((total_f + 1)) ;;
		esac
	done
fi
for k in $kernels; do
	echo
	kflag=()
	[ -f "$build/$k/module/nexus_kunit.ko" ] && kflag=(--expect-kunit)
	"$QEMU_DIR/parse-results.py" "$build/$k/boot" --label "$k" \
		--counts "$build/$k/counts" "${kflag[@]}" || status=1
	read -r p f s <"$build/$k/counts"
	total_p=$((total_p + p)) total_f=$((total_f + f)) total_s=$((total_s + s))
	echo "  logs: $build/$k/boot/{console,results}.log ($(cat "$build/$k/boot/seconds" 2>/dev/null || echo '?')s)"
done
# ---- docs/conformance.md must be what these boots produced (qemu/conformance.sh) ----
echo
rm -f "$build/conformance.counts"
if [ -n "${NEXUS_TESTS:-}" ]; then
	echo "==== conformance table: not checked (NEXUS_TESTS is set) ===="
	echo "0 0 1" >"$build/conformance.counts"
else
	# The table is the stock and debug kernels' (kcsan runs a subset).
	conf_kernels=()
	for k in $kernels; do
		[ "$k" = kcsan ] || conf_kernels+=("$k")
	done
	if [ ${#conf_kernels[@]} = 0 ]; then
		echo "==== conformance table: not checked (only the kcsan kernel booted) ===="
		echo "0 0 1" >"$build/conformance.counts"
	else
		"$QEMU_DIR/conformance.sh" --check "$build/conformance.counts" \
			"${conf_kernels[@]}" || status=1
	fi
fi
if [ -f "$build/conformance.counts" ]; then
	read -r p f s <"$build/conformance.counts"
else
	p=0 f=1 s=0
fi
total_p=$((total_p + p)) total_f=$((total_f + f)) total_s=$((total_s + s))

echo
[ $total_f = 0 ] || status=1
final_line
exit $status
