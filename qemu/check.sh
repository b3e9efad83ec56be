#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make check`: the kernel matrix. For each kernel, build nexus.ko for it,
# boot it once in QEMU in check mode with the whole selftest suite (and
# KUnit where the kernel has it), and summarise:
#
#   debug   Debian's 6.1 source with KASAN, lockdep, kmemleak, KUnit, ...
#           (kernel-debug.sh), module built by the host's gcc
#   stock   bookworm's (Debian 12) stock kernel (kernel-stock.sh), module
#           built by the host's gcc against its headers
#   trixie  Debian 13's and sid's stock kernels (kernel-stock.sh SUITE),
#   sid     module built inside a minimal chroot of that suite
#           (chroot.sh SUITE) by its own gcc against its own headers; then
#           `dkms add/build/install` there must produce the same module
#           (dkms-check.sh, one result per suite)
#
# The same rules everywhere: a failing test, a kernel report (WARN, BUG,
# KASAN, lockdep, hung task, ...), a bad taint or a hang fails.
#
# The last line printed is always "N passed, N failed, N skipped" (KUnit
# cases + selftests over all kernels, harness and kernel-report failures
# included, the DKMS checks, one result for docs/conformance.md being up to
# date and one for the tests of the result protocol reader); the exit
# status is non-zero on any failure.
#
# Environment:
#   NEXUS_KERNELS        kernels to test, default "debug stock trixie sid
#                        kcsan"; the kcsan kernel (KCSAN, lockdep, KUnit)
#                        runs KUnit and only the selftests named in
#                        qemu/kcsan.tests (or NEXUS_TESTS when set), and is
#                        not part of the conformance table
#   NEXUS_STOCK_EXTRA    modules (names; their dependencies are added) loaded
#                        before nexus.ko on the stock kernels; default the
#                        vsock loopback stack, tipc, sctp and qrtr, which the
#                        debug kernel has built in (lib.sh)
#   NEXUS_QEMU_TIMEOUT   seconds per boot (default 1800), ACCEL=kvm, ...
#                        (see run-guest.sh)
#   NEXUS_SRC            take Kbuild/kmod/uapi/selftests from this directory
#                        instead of the repo (for testing the harness)
#   NEXUS_TESTS          only these selftests (names, e.g. "dgram_test
#                        stream_data_test"); the conformance table check is
#                        then skipped (counted as one skip)
#   NEXUS_KCSAN_SKIP_WATCH  the kcsan kernel watches one access in this
#                        many (kcsan.skip_watch, default 200; the kernel's
#                        own default, 4000, found nothing in a few minutes)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kernels=${NEXUS_KERNELS:-debug stock trixie sid kcsan}
src=${NEXUS_SRC:-$TOP_DIR}
build="$TOP_DIR/build"
total_p=0 total_f=0 total_s=0
final_printed=0
check_start=$SECONDS

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

# Seconds per step, printed at the end (cold and warm runs differ here).
declare -a times=()
step_start=$SECONDS
step_done() {
	times+=("$(printf '%5ds  %s' $((SECONDS - step_start)) "$1")")
	step_start=$SECONDS
}

ensure_host_packages
[ -f "$src/Kbuild" ] || die "no $src/Kbuild"
[ -f "$src/selftests/Makefile" ] || die "no $src/selftests/Makefile"

# ---- kernels ----
# Per kernel: image (bzImage/vmlinuz), kdir (module build directory; inside
# root when root is set), root (a chroot to build in), moddir (a stock
# kernel's modules: its vsock stack is loaded first), desc (summary).
declare -A image kdir root moddir desc
# Debian suites whose stock kernel is tested, with the module built in the
# suite's chroot. Another suite (forky, ...) is one more name here.
debian_suites="trixie sid"
is_suite() {
	case " $debian_suites " in *" $1 "*) return 0 ;; esac
	return 1
}
# The chroots (network and disk bound) are made while the debug kernel
# builds (CPU bound).
declare -A chroot_pid
for k in $kernels; do
	if is_suite "$k"; then
		mkdir -p "$build/$k"
		"$QEMU_DIR/chroot.sh" "$k" "$build/$k/root" >"$build/$k/chroot.env" &
		chroot_pid[$k]=$!
	fi
done
for k in $kernels; do
	case $k in
	debug)
		d=$("$QEMU_DIR/kernel-debug.sh") || die "no debug kernel"
		image[debug]="$d/arch/x86/boot/bzImage"
		kdir[debug]=$d
		desc[debug]="6.1 debug build, host gcc"
		;;
	kcsan)
		d=$("$QEMU_DIR/kernel-debug.sh" kcsan) || die "no kcsan kernel"
		image[kcsan]="$d/arch/x86/boot/bzImage"
		kdir[kcsan]=$d
		desc[kcsan]="6.1 KCSAN build, host gcc; qemu/kcsan.tests only"
		;;
	stock)
		env=$("$QEMU_DIR/kernel-stock.sh") || die "no stock kernel"
		eval "$env"
		image[stock]=$VMLINUZ
		kdir[stock]=$KDIR
		moddir[stock]=$MODDIR
		desc[stock]="bookworm $KREL, host gcc"
		;;
	*)
		is_suite "$k" ||
			die "unknown kernel '$k' in NEXUS_KERNELS (debug, stock, kcsan, $debian_suites)"
		# A Debian suite's stock kernel, its module built in the
		# suite's chroot.
		env=$("$QEMU_DIR/kernel-stock.sh" "$k") || die "no $k kernel"
		eval "$env"
		image[$k]=$VMLINUZ
		moddir[$k]=$MODDIR
		stock_krel=$KREL
		wait "${chroot_pid[$k]}" || die "no $k chroot"
		eval "$(cat "$build/$k/chroot.env")"
		[ "$KREL" = "$stock_krel" ] ||
			die "$k: the chroot's headers are for $KREL, the stock kernel is $stock_krel"
		root[$k]=$CHROOT
		kdir[$k]=$CHROOT_KDIR
		desc[$k]="$k $KREL, $CHROOT_CC"
		;;
	esac
	step_done "$k: kernel${root[$k]:+ and chroot}"
done

# ---- selftests (static binaries, the same for every kernel) ----
ksrc=$(linux_source_dir)
if [ ! -f "$ksrc/.unpacked" ]; then
	# kernel-debug.sh unpacks the source; the stock kernels alone do not.
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
step_done "selftests"

# ---- per kernel: module (and DKMS), initramfs, boot ----
declare -A dkms_result
for k in $kernels; do
	say "=== $k kernel (${desc[$k]}) ==="
	rootarg=()
	[ -n "${root[$k]:-}" ] && rootarg=(-r "${root[$k]}")
	NEXUS_SRC=$src "$QEMU_DIR/build-module.sh" "${rootarg[@]}" "${kdir[$k]}" "$build/$k/module"
	if [ -n "${root[$k]:-}" ]; then
		dkms_result[$k]=$(NEXUS_SRC=$src "$QEMU_DIR/dkms-check.sh" "${root[$k]}" \
			"${kdir[$k]#/usr/src/linux-headers-}" "$build/$k/module/nexus.ko" \
			"$build/$k/dkms" || true)
	fi
	step_done "$k: module build${root[$k]:+ and dkms}"
	mods=(-m "$build/$k/module/nexus.ko")
	extra=() leak=() kargs=() ktests=("${tests[@]}")
	[ -f "$build/$k/module/nexus_kunit.ko" ] &&
		mods+=(-m "$build/$k/module/nexus_kunit.ko")
	if [ -n "${moddir[$k]:-}" ]; then
		mapfile -t extra < <(stock_extra_args "${moddir[$k]}")
	elif [ "$k" = debug ]; then
		leak=(-l)
	fi
	if [ "$k" = kcsan ]; then
		ktests=("${kcsan_tests[@]}")
		# KCSAN panics on its first report under panic_on_warn, and
		# the kernel has races of its own (APIC calibration at boot):
		# every report is logged instead, and parse-results.py fails
		# the boot on those that pass through nexus.
		# kcsan.skip_watch: a watchpoint every N accesses instead of the
		# default 4000, so that a few minutes of tests find races.
		kargs=(-a "panic_on_warn=0 kcsan.skip_watch=${NEXUS_KCSAN_SKIP_WATCH:-200}")
	fi
	"$QEMU_DIR/initramfs.sh" -o "$build/$k/initramfs.cpio.gz" "${mods[@]}" "${ktests[@]}" "${extra[@]}"
	"$QEMU_DIR/run-guest.sh" "${leak[@]}" "${kargs[@]}" -m check -k "${image[$k]}" \
		-i "$build/$k/initramfs.cpio.gz" -d "$build/$k/boot" || true
	step_done "$k: boot"
done

# Summaries after all boots, so they stay together at the end of the log.
status=0
declare -A kline
for k in $kernels; do
	echo
	kflag=()
	[ -f "$build/$k/module/nexus_kunit.ko" ] && kflag=(--expect-kunit)
	"$QEMU_DIR/parse-results.py" "$build/$k/boot" --label "$k" \
		--counts "$build/$k/counts" "${kflag[@]}" || status=1
	read -r p f s <"$build/$k/counts"
	extra_note=
	if [ -n "${dkms_result[$k]+set}" ]; then
		echo "  ${dkms_result[$k]:-dkms FAIL (no result)}"
		case ${dkms_result[$k]} in
		*" ok"*) p=$((p + 1)) extra_note=", dkms ok" ;;
		*) f=$((f + 1)) extra_note=", dkms FAILED" ;;
		esac
	fi
	total_p=$((total_p + p)) total_f=$((total_f + f)) total_s=$((total_s + s))
	kline[$k]=$(printf '%-7s %4d passed, %d failed, %d skipped%s  (%s)' \
		"$k" "$p" "$f" "$s" "$extra_note" "${desc[$k]}")
	echo "  logs: $build/$k/boot/{console,results}.log ($(cat "$build/$k/boot/seconds" 2>/dev/null || echo '?')s)"
done
# ---- docs/conformance.md must be what these boots produced (qemu/conformance.sh) ----
# Every kernel of the matrix: AF_NEXUS cells strictly, other families'
# changed cells reported.
echo
rm -f "$build/conformance.counts"
conf_kernels=()
for k in $kernels; do
	case $k in kcsan) ;; *) conf_kernels+=("$k") ;; esac
done
if [ -n "${NEXUS_TESTS:-}" ]; then
	echo "==== conformance table: not checked (NEXUS_TESTS is set) ===="
	echo "0 0 1" >"$build/conformance.counts"
elif [ ${#conf_kernels[@]} = 0 ]; then
	echo "==== conformance table: not checked (no kernel of the table booted) ===="
	echo "0 0 1" >"$build/conformance.counts"
else
	"$QEMU_DIR/conformance.sh" --check "$build/conformance.counts" "${conf_kernels[@]}" || status=1
fi
if [ -f "$build/conformance.counts" ]; then
	read -r p f s <"$build/conformance.counts"
else
	p=0 f=1 s=0
fi
total_p=$((total_p + p)) total_f=$((total_f + f)) total_s=$((total_s + s))
step_done "summaries, conformance table"

# ---- the result protocol reader on recorded logs (qemu/testdata/) ----
echo
echo "==== result protocol reader (qemu/test_nexus_results.py) ===="
if python3 "$QEMU_DIR/test_nexus_results.py" >"$build/test_nexus_results.log" 2>&1; then
	echo "  ok ($(grep -m1 '^Ran ' "$build/test_nexus_results.log"))"
	total_p=$((total_p + 1))
else
	sed 's/^/  /' "$build/test_nexus_results.log"
	total_f=$((total_f + 1)) status=1
fi

echo
echo "==== time per step ===="
printf '  %s\n' "${times[@]}"
printf '%7ds  make check\n' $((SECONDS - check_start))
echo
echo "==== kernels ===="
for k in $kernels; do
	echo "  ${kline[$k]}"
done
printf '  %-7s %4d passed, %d failed, %d skipped\n' conform "$p" "$f" "$s"
echo
[ $total_f = 0 ] || status=1
final_line
exit $status
