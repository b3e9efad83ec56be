#!/bin/busybox sh
# shellcheck shell=dash
# SPDX-License-Identifier: GPL-2.0
# /init of the nexus test initramfs (PID 1 in the QEMU guest). Everything in
# the guest is busybox plus static binaries; see qemu/initramfs.sh.
#
# Kernel command line:
#   nexus.mode=check   run KUnit and /tests/*_test, report on /dev/ttyS1
#   nexus.mode=run     load the module, run /tests/nexus_demo on the console
#   nexus.mode=demo    same as run
#   nexus.interactive=1  (run mode) then give a shell on the console
#   nexus.mode=bench   load the module, run /tests/nexus_bench with the
#                      arguments of nexus.bench=ARG:ARG:... (colon-separated),
#                      its stdout on /dev/ttyS1 (qemu/bench.sh reads it)
#   nexus.mode=fuzz    load the module, run /tests/nexus_fuzz for the
#                      seconds of nexus.fuzz=SECONDS[:SEED], then
#                      /tests/diff_test (if present) as long; reports in the
#                      check-mode protocol below (qemu/fuzz.sh)
#
# Check-mode line protocol on ttyS1 (read by qemu/nexus_results.py):
#   @@ kernel <release>
#   @@ insmod nexus rc=N
#   @@ kunit <suite> begin / <KTAP results file> / @@ kunit <suite> end
#   @@ suite <name> begin / <TAP output> / @@ suite <name> end rc=N [timeout=S]
#   @@ rmmod nexus rc=N
#   @@ kmemleak begin / <report> / @@ kmemleak end
#   @@ tainted N
#   @@ done
# Lines starting with "@@ note" are informational.

/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin /proc /sys /dev /tmp /run /root
/bin/busybox --install -s
export PATH=/sbin:/bin:/usr/sbin:/usr/bin HOME=/root TERM=${TERM:-vt100}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts 2>/dev/null
mount -t tmpfs tmpfs /dev/shm 2>/dev/null
ip link set lo up
hostname nexus-guest
[ -w /proc/sys/kernel/hung_task_timeout_secs ] &&
	echo 60 >/proc/sys/kernel/hung_task_timeout_secs

MODE=check
INTERACTIVE=0
TEST_TIMEOUT=300
BENCH_ARGS=""
FUZZ_ARGS=60
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	nexus.mode=*) MODE=${arg#nexus.mode=} ;;
	nexus.interactive=*) INTERACTIVE=${arg#nexus.interactive=} ;;
	nexus.timeout=*) TEST_TIMEOUT=${arg#nexus.timeout=} ;;
	nexus.bench=*) BENCH_ARGS=${arg#nexus.bench=} ;;
	nexus.fuzz=*) FUZZ_ARGS=${arg#nexus.fuzz=} ;;
	esac
done

NEXUS_KO=/lib/modules/nexus.ko
export NEXUS_KO

finish() {
	sync
	# Give the UARTs a moment to drain before the machine goes away.
	sleep 1
	reboot -f
	sleep 10
}

# Extra kernel modules (e.g. vsock from the stock kernel), in the order
# listed by initramfs.sh.
load_extra_modules() {
	[ -f /lib/modules/extra/order ] || return 0
	while read -r m; do
		[ -n "$m" ] || continue
		insmod "/lib/modules/extra/$m" || echo "nexus-init: insmod $m failed"
	done </lib/modules/extra/order
}

nexus_loaded() { [ -d /sys/module/nexus ]; }

# The check-mode protocol on ttyS1, opened: "@@ kernel", kmemleak cleared,
# the extra modules and nexus.ko loaded ("@@ insmod nexus"). Ends the run
# (with "@@ done") when nexus.ko does not load. Defines r(), a line to ttyS1.
results_open() {
	if [ ! -c /dev/ttyS1 ]; then
		echo "nexus-init: no /dev/ttyS1, cannot report results"
		finish
	fi
	exec 3>/dev/ttyS1
	stty -F /dev/ttyS1 raw -echo 2>/dev/null
	r() { echo "$*" >&3; }
	r "@@ kernel $(uname -r)"
	kmemleak=0
	if [ -e /sys/kernel/debug/kmemleak ]; then
		kmemleak=1
		echo clear >/sys/kernel/debug/kmemleak
	fi
	load_extra_modules >&3 2>&1

	insmod "$NEXUS_KO" >&3 2>&1
	rc=$?
	r "@@ insmod nexus rc=$rc"
	if [ $rc != 0 ]; then
		r "@@ note nexus.ko did not load; nothing else can run"
		r "@@ done"
		exec 3>&-
		finish
	fi
}

# Run test program $1 as suite $2 (its output between the suite lines), for
# at most $3 seconds; the rest of the arguments are "NAME=VALUE" settings
# for its environment. A suite that unloaded nexus.ko leaves it loaded again.
run_suite() {
	prog=$1 name=$2 limit=$3
	shift 3
	r "@@ suite $name begin"
	start=$(date +%s)
	(cd /tmp && exec env "$@" timeout "$limit" "$prog") </dev/null >&3 2>&3
	rc=$?
	took=$(($(date +%s) - start))
	r ""
	if [ $rc != 0 ] && [ $took -ge "$limit" ]; then
		r "@@ suite $name end rc=$rc timeout=$limit"
	else
		r "@@ suite $name end rc=$rc"
	fi
	if ! nexus_loaded; then
		insmod "$NEXUS_KO" >&3 2>&1
		r "@@ note re-insmod nexus after $name rc=$?"
	fi
	return $rc
}

# The end of the protocol: nexus.ko unloaded, kmemleak's report, taint.
results_close() {
	rmmod nexus >&3 2>&1
	r "@@ rmmod nexus rc=$?"

	if [ $kmemleak = 1 ]; then
		echo scan >/sys/kernel/debug/kmemleak
		sleep 6
		echo scan >/sys/kernel/debug/kmemleak
		sleep 6
		r "@@ kmemleak begin"
		cat /sys/kernel/debug/kmemleak >&3
		r "@@ kmemleak end"
	fi
	r "@@ tainted $(cat /proc/sys/kernel/tainted)"
	r "@@ done"
	exec 3>&-
	finish
}

check_mode() {
	results_open

	if [ -f /lib/modules/nexus_kunit.ko ]; then
		before=" $(ls /sys/kernel/debug/kunit 2>/dev/null | tr '\n' ' ') "
		insmod /lib/modules/nexus_kunit.ko >&3 2>&1
		r "@@ note insmod nexus_kunit rc=$?"
		for d in /sys/kernel/debug/kunit/*/; do
			[ -f "$d/results" ] || continue
			s=$(basename "$d")
			case "$before" in *" $s "*) continue ;; esac
			r "@@ kunit $s begin"
			cat "$d/results" >&3
			r "@@ kunit $s end"
		done
		rmmod nexus_kunit >&3 2>&1
		r "@@ note rmmod nexus_kunit rc=$?"
	fi

	for t in /tests/*_test; do
		[ -x "$t" ] || continue
		run_suite "$t" "$(basename "$t")" "$TEST_TIMEOUT"
	done

	results_close
}

run_mode() {
	# Results protocol on ttyS1 too (demo rc, taint), for qemu/run.sh.
	if [ -c /dev/ttyS1 ]; then exec 3>/dev/ttyS1; else exec 3>/dev/null; fi
	stty -F /dev/ttyS1 raw -echo 2>/dev/null
	echo "@@ kernel $(uname -r)" >&3
	load_extra_modules
	echo "nexus-init: insmod $NEXUS_KO"
	insmod "$NEXUS_KO"
	rc=$?
	echo "@@ insmod nexus rc=$rc" >&3
	if [ $rc = 0 ] && [ -x /tests/nexus_demo ]; then
		echo "nexus-init: running /tests/nexus_demo"
		(cd /tmp && exec /tests/nexus_demo)
		rc=$?
		echo "nexus-init: nexus_demo exited with rc=$rc"
		echo "@@ demo rc=$rc" >&3
	elif [ $rc = 0 ]; then
		echo "nexus-init: no /tests/nexus_demo in this initramfs"
		echo "@@ note no demo" >&3
	fi
	if [ "$INTERACTIVE" = 1 ]; then
		echo "@@ interactive" >&3
		echo
		echo "nexus guest shell: nexus.ko is loaded; 'exit' (or Ctrl-A x) ends the VM."
		setsid cttyhack sh -l
	fi
	echo "@@ tainted $(cat /proc/sys/kernel/tainted)" >&3
	echo "@@ done" >&3
	exec 3>&-
	finish
}

bench_mode() {
	# Benchmark output on ttyS1, progress on the console. Timing is the
	# host's business (run-guest.sh timeout); nothing here is a test.
	if [ -c /dev/ttyS1 ]; then exec 3>/dev/ttyS1; else exec 3>/dev/null; fi
	stty -F /dev/ttyS1 raw -echo 2>/dev/null
	echo "@@ kernel $(uname -r)" >&3
	load_extra_modules >&3 2>&1
	insmod "$NEXUS_KO" >&3 2>&1
	rc=$?
	echo "@@ insmod nexus rc=$rc" >&3
	if [ $rc = 0 ] && [ -x /tests/nexus_bench ]; then
		# shellcheck disable=SC2046 # the arguments are meant to split
		(cd /tmp && exec /tests/nexus_bench $(echo "$BENCH_ARGS" | tr ':' ' ')) \
			</dev/null >&3
		echo "@@ bench rc=$?" >&3
	elif [ $rc = 0 ]; then
		echo "@@ note no /tests/nexus_bench in this initramfs" >&3
	fi
	echo "@@ tainted $(cat /proc/sys/kernel/tainted)" >&3
	echo "@@ done" >&3
	exec 3>&-
	finish
}

# The fuzzer (and the differential tester, when built) for a given time, with
# the check-mode protocol: the fuzzer is one suite whose result line is
# written here from its exit status; kmemleak after rmmod as in check mode.
fuzz_mode() {
	secs=${FUZZ_ARGS%%:*}
	seed=""
	case "$FUZZ_ARGS" in *:*) seed=${FUZZ_ARGS#*:} ;; esac
	results_open
	limit=$((secs + 600))
	r "@@ suite nexus_fuzz begin"
	# shellcheck disable=SC2086 # an empty seed is no argument
	(cd /tmp && exec env NEXUS_FUZZ_SECONDS="$secs" ${seed:+NEXUS_FUZZ_SEED=$seed} \
		timeout "$limit" /tests/nexus_fuzz) </dev/null >&3 2>&3
	rc=$?
	if [ $rc = 0 ]; then r "ok 1 nexus_fuzz"; else r "not ok 1 nexus_fuzz"; fi
	r "@@ suite nexus_fuzz end rc=$rc"
	nexus_loaded || insmod "$NEXUS_KO" >&3 2>&1
	if [ -x /tests/diff_test ]; then
		# shellcheck disable=SC2086
		run_suite /tests/diff_test diff_test "$limit" \
			NEXUS_DIFF_SECONDS="$secs" ${seed:+NEXUS_DIFF_SEED=$seed}
	fi
	results_close
}

case "$MODE" in
check) check_mode ;;
bench) bench_mode ;;
fuzz) fuzz_mode ;;
run|demo) run_mode ;;
*) echo "nexus-init: unknown nexus.mode=$MODE"; finish ;;
esac
finish
