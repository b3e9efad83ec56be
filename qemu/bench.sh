#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# `make bench`: boot Debian's stock kernel (never the debug kernel: its
# sanitizers distort the ratios) with nexus.ko and the vsock loopback stack,
# run selftests/nexus_bench in it, and print the tables.
#
# Boots:
#   icount  -smp 1, TCG with -icount shift=0,sleep=off: the guest clock
#           advances 1 ns per guest instruction, so the figures are
#           instruction counts and repeat from run to run (primary figure)
#   icount2 -smp 2, single-threaded TCG with -icount shift=0,sleep=off, in
#           trixie's QEMU 10 (qemu-trixie.sh makes it once; bookworm's QEMU
#           7.2 hangs at SMP bring-up under -icount): instructions of both
#           vCPUs per operation, sample on CPU 0 and its peer on CPU 1 (-P)
#   icount2b the same boot again, to check that two runs agree (the report
#           prints the largest difference); not in the default
#   smp2    -smp 2, multi-threaded TCG without icount: wall-clock figures
#           (noisy: the host is shared); not in the default
# Results: build/bench/results.json (every sample, medians, ratios),
# build/bench/table.md, build/bench/<boot>/{console,results}.log.
#
# Environment:
#   NEXUS_BENCH_BOOTS      boots to run, default "icount icount2"
#   NEXUS_BENCH_ARGS       nexus_bench arguments for the icount boot,
#                          colon-separated (default "-r:10")
#   NEXUS_BENCH_DETERMINISM QEMU arguments that make every boot the same
#                          (default "-seed 1 -rtc base=2020-01-01T00:00:00,clock=vm";
#                          "" gives each boot its own random state)
#   NEXUS_BENCH_QEMU_EXTRA, NEXUS_BENCH_CMDLINE_EXTRA more QEMU arguments,
#                          more kernel command line, for every boot
#   NEXUS_BENCH_SMP2_ARGS  for the smp2 boot (default 20 rounds, without the
#                          100k-socket and memory workloads)
#   NEXUS_BENCH_ICOUNT2_ARGS for icount2/icount2b (default 10 rounds of the
#                          ping-pong, throughput, connect and storm rows)
#   NEXUS_QEMU_TIMEOUT     seconds per boot (default 2400: the icount boot
#                          takes about 16 minutes on 2 shared cores), NEXUS_STOCK_EXTRA
#                          as for check.sh
set -euo pipefail
. "$(dirname "$0")/lib.sh"

src=${NEXUS_SRC:-$TOP_DIR}
build="$TOP_DIR/build"
out="$build/bench"
boots=${NEXUS_BENCH_BOOTS:-icount icount2}
export NEXUS_QEMU_TIMEOUT=${NEXUS_QEMU_TIMEOUT:-2400}

ensure_host_packages
eval "$("$QEMU_DIR/kernel-stock.sh")"
mkdir -p "$out"
NEXUS_SRC=$src "$QEMU_DIR/build-module.sh" "$KDIR" "$out/module"
say "building nexus_bench"
make -s -C "$src/selftests" O="$out/bin" bench >&2 || die "nexus_bench build failed"

extra=()
mapfile -t extra < <(stock_extra_args "$MODDIR")
"$QEMU_DIR/initramfs.sh" -o "$out/initramfs.cpio.gz" \
	-m "$out/module/nexus.ko" -t "$out/bin/nexus_bench" "${extra[@]}"

# icount2: trixie's QEMU, first in PATH for run-guest.sh.
case " $boots " in
*" icount2"*)
	mapfile -t tq < <("$QEMU_DIR/qemu-trixie.sh")
	[ ${#tq[@]} -gt 0 ] || die "no QEMU for the icount2 boot"
	mkdir -p "$out/trixie-bin"
	{
		echo '#!/bin/sh'
		printf 'exec'
		printf ' %q' "${tq[@]}"
		printf ' "$@"\n'
	} >"$out/trixie-bin/qemu-system-x86_64"
	chmod +x "$out/trixie-bin/qemu-system-x86_64"
	;;
esac

# Every boot is the same boot: QEMU's random numbers (RDRAND, RDSEED and the
# RNG seed it hands the kernel at boot) come from a fixed seed, and the
# guest's RTC starts at a fixed time and follows the guest clock. Without
# this the kernel's random state (KASLR, hash seeds, SLUB freelist order,
# ASLR...) differs in every boot and moves whole boots' figures by 1-2% on
# two CPUs; with it two boots print the same samples (docs/performance.md).
det=${NEXUS_BENCH_DETERMINISM--seed 1 -rtc base=2020-01-01T00:00:00,clock=vm}
runs=()
for b in $boots; do
	path=$PATH
	case $b in
	icount)
		smp=1 qargs="-icount shift=0,sleep=off"
		args=${NEXUS_BENCH_ARGS:--r:10}
		;;
	icount2 | icount2b)
		smp=2 qargs="-icount shift=0,sleep=off"
		args=${NEXUS_BENCH_ICOUNT2_ARGS:--r:10:-P:-w:conn_xcpu,pingpong_1,pingpong_4k,stream_tput,msg_tput,storm}
		path="$out/trixie-bin:$PATH"
		;;
	smp2)
		smp=2 qargs=""
		args=${NEXUS_BENCH_SMP2_ARGS:--r:20:-S:50:-w:conn_cycle,pingpong_1,pingpong_4k,stream_tput,msg_tput,storm}
		;;
	*) die "unknown boot '$b' in NEXUS_BENCH_BOOTS (icount, icount2, icount2b, smp2)" ;;
	esac
	qargs+=" $det ${NEXUS_BENCH_QEMU_EXTRA:-}"
	PATH=$path NEXUS_QEMU_SMP=$smp "$QEMU_DIR/run-guest.sh" -m bench -k "$VMLINUZ" \
		-i "$out/initramfs.cpio.gz" -d "$out/$b" -q "$qargs" \
		-a "nexus.bench=$args ${NEXUS_BENCH_CMDLINE_EXTRA:-}" || true
	say "$b: $(grep -c '^@@ bench sample' "$out/$b/results.log" || true) samples in $(cat "$out/$b/seconds")s"
	runs+=("$b=$out/$b/results.log")
done

status=0
"$QEMU_DIR/bench-report.py" --json "$out/results.json" --md "$out/table.md" \
	--command "make bench (kernel $KREL)" "${runs[@]}" || status=$?
echo
echo "results: $out/results.json, $out/table.md; logs: $out/<boot>/{console,results}.log"
# A guest that died before '@@ done' is an error; slow figures never are.
exit $status
