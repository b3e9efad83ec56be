#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The connect() conformance matrix (docs/conformance.md).
#
#   conformance.sh
#       `make conformance`: boot every kernel of the table once with only
#       selftests/conformance_test and conformance_ipc_test (through check.sh, so that any kernel
#       check.sh can boot works here too), and write docs/conformance.md
#       from their results (build/KERNEL/boot/results.log). The kernels are
#       NEXUS_KERNELS, default the table's list below: adding a kernel to the
#       table is adding its label there. Exit status non-zero if a boot
#       failed or an AF_NEXUS cell is not the specified one (the table is
#       still written when every kernel reported, so that it can be read);
#       other families' cells that are not the expected ones are listed.
#
#   conformance.sh --check COUNTS KERNEL...
#       Called by check.sh after its boots: compare the conformance_test
#       output of those boots (build/KERNEL/boot/results.log) with the
#       committed docs/conformance.md, cell by cell. An AF_NEXUS cell that
#       differs fails; another family's cell that differs (a kernel update,
#       a kernel not yet in the table) is printed with the hint to run
#       `make conformance`, and does not fail. The table's kernels not booted
#       are counted as skipped. A booted kernel without conformance output is
#       a failure. Writes "PASSED FAILED SKIPPED" to COUNTS.
#
# The clause list is docs/clauses.tsv; the generator is qemu/conformance.py.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# The kernels the table shows, in its order (labels as check.sh knows them).
CONFORMANCE_KERNELS="debug stock trixie sid"

src=${NEXUS_SRC:-$TOP_DIR}
build="$TOP_DIR/build"
gen=("$QEMU_DIR/conformance.py" --clauses "$src/docs/clauses.tsv")

if [ "${1:-}" = --check ]; then
	[ $# -ge 3 ] || die "usage: $0 --check COUNTS KERNEL..."
	counts=$2
	shift 2
	echo "==== conformance table (docs/conformance.md) ===="
	if [ ! -f "$src/selftests/conformance_run.h" ]; then
		echo "  no selftests/conformance_run.h in $src: not checked"
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

kernels=${NEXUS_KERNELS:-$CONFORMANCE_KERNELS}
status=0
# One boot per kernel with only the conformance binaries (a longer time
# limit per binary than make check's: the table is worth a slow guest); no
# compile-only checks.
NEXUS_KERNELS=$kernels NEXUS_TESTS="conformance_test conformance_ipc_test" \
	NEXUS_TEST_TIMEOUT=${NEXUS_TEST_TIMEOUT:-900} \
	NEXUS_QEMU_TIMEOUT=${NEXUS_QEMU_TIMEOUT:-2400} NEXUS_COMPILE='' \
	"$QEMU_DIR/check.sh" || status=1

args=()
for k in $kernels; do
	args+=(--kernel "$k=$build/$k/boot/results.log")
done
"${gen[@]}" "${args[@]}" --write "$src/docs/conformance.md" || status=1
exit $status
