#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot one QEMU guest on an initramfs made by initramfs.sh.
# Usage: run-guest.sh -k KERNEL -i INITRD -d OUTDIR [-m check|run|bench] [-I] [-l] [-a "cmdline"] [-q "qemu args"] [-s]
#   -d  OUTDIR receives console.log (ttyS0: kernel console) and results.log
#       (ttyS1: the test protocol, see guest-init.sh)
#   -m  nexus.mode (default check)
#   -I  interactive: ttyS0 on this terminal (Ctrl-A x quits QEMU), also
#       logged to console.log
#   -l  kmemleak=on (debug kernel)
#   -a  more kernel command line
#   -q  more QEMU arguments (split on spaces), e.g. "-icount shift=0,sleep=off";
#       with -icount the TCG accelerator runs single-threaded, as QEMU requires
#   -s  show the console live on stdout while the guest runs
# Environment: ACCEL=tcg|kvm (default tcg), NEXUS_QEMU_TIMEOUT seconds
# (default 1800), NEXUS_QEMU_MEM (default 2G), NEXUS_QEMU_SMP (default 2),
# NEXUS_TEST_TIMEOUT per test binary in the guest (default 300).
# Exit status: QEMU's; 124 (with a message) if the guest hit the timeout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kernel="" initrd="" outdir="" mode=check interactive=0 kmemleak=0 extra="" show=0
qemu_extra=""
while getopts "k:i:d:m:Ila:q:s" opt; do
	case $opt in
	k) kernel=$OPTARG ;;
	i) initrd=$OPTARG ;;
	d) outdir=$OPTARG ;;
	m) mode=$OPTARG ;;
	I) interactive=1 ;;
	l) kmemleak=1 ;;
	a) extra=$OPTARG ;;
	q) qemu_extra=$OPTARG ;;
	s) show=1 ;;
	*) die "usage: $0 -k KERNEL -i INITRD -d OUTDIR [-m MODE] [-I] [-l] [-a ARGS] [-q QEMU_ARGS] [-s]" ;;
	esac
done
[ -f "$kernel" ] || die "no kernel image '$kernel'"
[ -f "$initrd" ] || die "no initramfs '$initrd'"
[ -n "$outdir" ] || die "-d OUTDIR is required"
mkdir -p "$outdir"
console="$outdir/console.log" results="$outdir/results.log"
rm -f "$console" "$results"
: >"$console"
: >"$results"

accel=${ACCEL:-tcg}
case $accel in
tcg) accel_opt="tcg,thread=multi" ;;
kvm) accel_opt=kvm ;;
*) die "ACCEL must be tcg or kvm, not '$accel'" ;;
esac
case " $qemu_extra " in
*" -icount "*)
	[ "$accel" = tcg ] || die "-icount needs ACCEL=tcg"
	accel_opt=tcg	# icount is incompatible with multi-threaded TCG
	;;
esac
limit=${NEXUS_QEMU_TIMEOUT:-1800}

# no_timer_check: under TCG on a loaded host the IO-APIC timer check can
# miss its window and panic ("IO-APIC + timer doesn't work!") before any
# test runs; the check proves nothing about the module.
cmdline="console=ttyS0 panic_on_warn=1 oops=panic panic=-1 softlockup_panic=1 no_timer_check"
cmdline+=" nexus.mode=$mode nexus.timeout=${NEXUS_TEST_TIMEOUT:-300}"
[ $kmemleak = 1 ] && cmdline+=" kmemleak=on"
[ $interactive = 1 ] && cmdline+=" nexus.interactive=1"
[ -n "$extra" ] && cmdline+=" $extra"

qemu=(qemu-system-x86_64 -nodefaults -no-user-config -accel "$accel_opt"
	-cpu max -smp "${NEXUS_QEMU_SMP:-2}" -m "${NEXUS_QEMU_MEM:-2G}"
	-display none -no-reboot
	-kernel "$kernel" -initrd "$initrd" -append "$cmdline")
# shellcheck disable=SC2206 # split on purpose
[ -n "$qemu_extra" ] && qemu+=($qemu_extra)
if [ $interactive = 1 ]; then
	# shellcheck disable=SC2054 # commas belong to the QEMU options
	qemu+=(-chardev "stdio,id=con0,mux=on,signal=off,logfile=$console"
		-serial chardev:con0 -mon chardev=con0,mode=readline
		-serial "file:$results")
else
	qemu+=(-serial "file:$console" -serial "file:$results")
fi

say "booting $(basename "$kernel") ($accel, mode=$mode, timeout ${limit}s), logs in $outdir"
start=$(date +%s)
tailpid=""
if [ $show = 1 ] && [ $interactive = 0 ]; then
	tail -n +1 -f "$console" &
	tailpid=$!
fi
status=0
if [ $interactive = 1 ]; then
	timeout --foreground "$limit" "${qemu[@]}" || status=$?
else
	timeout "$limit" "${qemu[@]}" </dev/null || status=$?
fi
if [ -n "$tailpid" ]; then
	sleep 0.5
	kill "$tailpid" 2>/dev/null || true
	wait "$tailpid" 2>/dev/null || true
fi
elapsed=$(($(date +%s) - start))
echo "$elapsed" >"$outdir/seconds"
if [ $status = 124 ]; then
	say "TIMEOUT: the guest did not finish within ${limit}s (NEXUS_QEMU_TIMEOUT); see $console"
	echo "@@ host-timeout ${limit}" >>"$results"
	exit 124
fi
[ $status = 0 ] || say "qemu exited with status $status"
say "guest finished in ${elapsed}s"
exit $status
