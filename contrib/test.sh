#!/bin/sh
# test.sh - on a fresh Debian 12, as root: installs what is needed, builds
# verdictd, and runs the whole test suite three ways:
#   1. make check (unit tests, and integration tests in network namespaces)
#   2. make check again in an AddressSanitizer + UndefinedBehaviorSanitizer build
#   3. make distcheck (the release tarball builds and passes its tests)
#   4. the libFuzzer targets (packets, queue messages, config), 20 s each
# Ends with one line "tests: N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
jobs=$(nproc 2>/dev/null || echo 2)

contrib/deps.sh || exit 1
autoreconf -fi >/dev/null 2>&1 || { echo "test.sh: autoreconf failed"; exit 1; }

status=0
rm -rf build build-asan
# The stages build out of tree; an in-tree build would be in the way.
[ ! -f config.status ] || make -s distclean >/dev/null 2>&1

# stage NAME FUNCTION: one stage, in a subshell of its own.
stage() {
	echo "=== $1"
	if ! ( "$2" ); then
		echo "=== $1: FAILED"
		status=1
	fi
}

# check_in DIR: make check there; the log of what failed is shown.
check_in() {
	make -s -j"$jobs" check || { cat test-suite.log; false; }
}

stage_plain() {
	mkdir -p build && cd build && ../configure -q && make -s -j"$jobs" && check_in
}
stage_asan() {
	mkdir -p build-asan && cd build-asan && ../configure -q --enable-sanitizers &&
		make -s -j"$jobs" && check_in
}
stage_distcheck() {
	# The tarball has no ClassBench (../shared): its tests get it from here.
	# Its results are not left behind to be summed below: a skip is
	# refused here.
	cd build || return 1
	CLASSBENCH_DIR=$(cd "$top/../shared/classbench" 2>/dev/null && pwd) \
		make -s -j"$jobs" distcheck >distcheck.log 2>&1
	r=$?
	cat distcheck.log
	[ $r = 0 ] && ! grep -q "^# SKIP: *[1-9]" distcheck.log
}
stage_fuzz() {
	sh tests/fuzz/run.sh 20
}

stage "make check" stage_plain
stage "make check (ASan+UBSan)" stage_asan
stage "make distcheck" stage_distcheck
stage "fuzz" stage_fuzz

# Sum the automake results of the first two stages (distcheck's own runs
# fail the stage on a failed test, and leave no results behind).
for log in $(find build build-asan -name '*.trs' 2>/dev/null); do
	sed -n 's/^:test-result: //p' "$log"
done | awk '
	$1 == "PASS" { p++ } $1 == "FAIL" || $1 == "ERROR" || $1 == "XPASS" { f++ } $1 == "SKIP" { s++ }
	END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' >summary.txt
cat summary.txt
grep -q " 0 failed" summary.txt || status=1
# Nothing may be skipped here: a skip would hide an untested part.
grep -q " 0 skipped" summary.txt || status=1
rm -f summary.txt
exit $status
