#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Compile nexus against a newer Debian kernel's headers (trixie: 6.12,
# sid: the newest) to prove the compile-time API probes in kmod/probes/.
#
#   compile-newer.sh SUITE OUTDIR
#
# The headers come through a private apt configuration under the cache (its
# own SourceList, lists and state), which leaves this machine's apt alone;
# they are unpacked with dpkg -x, never installed. Those kernels are built
# by a newer gcc than Debian 12 has, and their kbuild host tools need a
# newer glibc, so this is a compile check only: every object is compiled
# with the host's gcc at W=1 and linked (nexus.o), flags that only the newer
# gcc knows are dropped, and modpost/objtool are not run. Nothing is loaded.
#
# Prints one line: "compile SUITE VERSION ok|FAIL|SKIP reason"; exit status
# 0 ok, 1 failed, 2 skipped (the suite could not be fetched).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

suite=${1:?usage: compile-newer.sh SUITE OUTDIR}
out=${2:?usage: compile-newer.sh SUITE OUTDIR}
src=${NEXUS_SRC:-$TOP_DIR}
apt="$NEXUS_CACHE/apt-$suite"

result() {
	echo "compile $suite ${ver:-?} $1"
	case $1 in ok*) exit 0 ;; SKIP*) exit 2 ;; *) exit 1 ;; esac
}

aptopts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o "Dir::State::Lists=$apt/lists" -o "Dir::State::status=$apt/status"
	-o "Dir::Cache=$apt/cache" -o Debug::NoLocking=1 -o APT::Sandbox::User=root)

fetch() {
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/debs"
	touch "$apt/status"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main" \
		>"$apt/sources.list"
	# Refresh the lists at most once a day; keep using old ones offline.
	if [ -z "$(find "$apt/lists" -name '*_Packages*' -mtime -1 2>/dev/null)" ]; then
		apt-get "${aptopts[@]}" -qq update >/dev/null 2>&1 || true
	fi
	local abi
	abi=$(apt-cache "${aptopts[@]}" depends linux-headers-amd64 2>/dev/null |
		sed -n 's/^ *Depends: linux-headers-\(.*\)-amd64$/\1/p' | head -n 1)
	[ -n "$abi" ] || return 1
	ver=$abi
	dir="$NEXUS_CACHE/headers-$suite-$abi"
	[ -f "$dir/.unpacked" ] && return 0
	local kbuild
	kbuild=$(apt-cache "${aptopts[@]}" depends "linux-headers-$abi-amd64" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-kbuild-[^ ]*\)$/\1/p' | head -n 1)
	[ -n "$kbuild" ] || return 1
	rm -rf "$dir" && mkdir -p "$dir/root"
	(cd "$apt/debs" && apt-get "${aptopts[@]}" -qq download \
		"linux-headers-$abi-amd64" "linux-headers-$abi-common" "$kbuild" >/dev/null 2>&1) ||
		return 1
	local d
	for d in "$apt/debs/linux-headers-$abi-amd64_"*.deb \
		 "$apt/debs/linux-headers-$abi-common_"*.deb "$apt/debs/${kbuild}_"*.deb; do
		dpkg -x "$d" "$dir/root"
	done
	# The headers' Makefile names /usr/src absolutely: point it here.
	sed -i "s|/usr/src/|$dir/root/usr/src/|g" \
		"$dir/root/usr/src/linux-headers-$abi-amd64/Makefile"
	touch "$dir/.unpacked"
}

ver=
dir=
mkdir -p "$NEXUS_CACHE/locks"
exec 9>"$NEXUS_CACHE/locks/apt-$suite"
flock 9
fetch || result "SKIP could not fetch linux-headers-amd64 from $suite"
flock -u 9
kdir="$dir/root/usr/src/linux-headers-$ver-amd64"

rm -rf "$out" && mkdir -p "$out"
rsync -a --delete "$src/Kbuild" "$src/kmod" "$src/uapi" "$out/"
log="$out/build.log"
if ! make -C "$kdir" M="$out" CC=gcc HOSTCC=gcc W=1 \
	CONFIG_CC_HAS_MIN_FUNCTION_ALIGNMENT= KCFLAGS=-Wno-attributes \
	objtool=/bin/true nexus.o >"$log" 2>&1; then
	grep -E 'error|Error' "$log" | head -n 20 >&2
	result "FAIL (see $log)"
fi
# Warnings from the kernel's own headers under an older gcc are not ours.
if grep -E '(^|/)kmod/.*(warning|error):' "$log" >&2; then
	result "FAIL warnings in kmod/ (see $log)"
fi
result ok
