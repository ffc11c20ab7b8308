#!/bin/sh
# run.sh [SECONDS] - builds the libFuzzer targets with clang (ASan + UBSan)
# and runs each for SECONDS (default 20), starting from the corpus kept in
# tests/fuzz/corpus/TARGET (every input there runs first: a crash found
# once and saved there is a regression test from then on).
# FUZZ_RUNS=N runs each target for N executions instead (make fuzz-long:
# 10 million), and merges the inputs that found new coverage into the
# corpus in the tree, to be committed.
# Exits non-zero on the first crash, leak or sanitizer report.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out=${FUZZ_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/verdictd-fuzz.XXXXXX")}
mkdir -p "$out"
seconds=${1:-20}
CC=${FUZZ_CC:-clang}
libs=$(pkg-config --cflags --libs libmnl libnetfilter_queue libipset)
flags="-g -O1 -std=gnu11 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I$top/include"

# A stand-in config.h: the sources include it for autoconf's defines only.
printf '#define PACKAGE_VERSION "fuzz"\n#define _GNU_SOURCE 1\n' >"$out/config.h"

build() {
	name=$1
	shift
	$CC $flags -I"$out" "$here/$name.c" "$@" $libs -o "$out/$name"
}
# conf.c's own needs: its digest, and log.c's names of targets and levels
conf="$top/src/conf.c $top/src/policy_parse.c $top/src/sha256.c $top/src/log.c"
build fuzz_pkt "$top/src/pkt.c" "$top/src/policy.c" "$top/src/set.c" "$top/src/classify.c" \
	$conf "$top/src/transport_kind.c" "$top/src/vocab.c"
build fuzz_conf $conf "$top/src/policy.c" "$top/src/pkt.c" "$top/src/set.c" \
	"$top/src/transport_kind.c" "$top/src/vocab.c"
build fuzz_nfq "$top/src/nfq.c" "$top/src/pkt.c" "$top/src/stats.c" "$top/src/vocab.c" "$top/src/set.c"
build fuzz_setcmd "$top/src/setcmd.c" "$top/src/set_kernel.c" "$top/src/set_dump.c" "$top/src/set.c" \
	"$top/src/log.c" "$top/src/pkt.c" "$top/src/vocab.c"
build fuzz_import "$top/src/ipt.c" "$top/src/import.c" "$top/src/policy_write.c" "$top/src/pkt.c" \
	$conf "$top/src/policy.c" "$top/src/set.c" "$top/src/transport_kind.c" "$top/src/vocab.c"
build fuzz_control "$top/src/control.c"

for t in ${FUZZ_TARGETS:-pkt conf nfq import setcmd control}; do
	mkdir -p "$out/corpus-$t"
	echo "fuzz_$t: ${FUZZ_RUNS:+$FUZZ_RUNS runs}${FUZZ_RUNS:-${seconds}s}"
	if [ -n "${FUZZ_RUNS:-}" ]; then
		limit="-runs=$FUZZ_RUNS"
	else
		limit="-max_total_time=$seconds"
	fi
	"$out/fuzz_$t" "$limit" -print_final_stats=0 \
		-artifact_prefix="$out/crash-$t-" "$out/corpus-$t" "$here/corpus/$t" 2>"$out/fuzz_$t.log" || {
		tail -n 60 "$out/fuzz_$t.log"
		echo "fuzz_$t: FAILED; reproducer in $out"
		exit 1
	}
	grep -E "^Done|DONE" "$out/fuzz_$t.log" | tail -n 1
	if [ -n "${FUZZ_RUNS:-}" ]; then
		"$out/fuzz_$t" -merge=1 "$here/corpus/$t" "$out/corpus-$t" 2>"$out/merge_$t.log" ||
			{ tail -n 20 "$out/merge_$t.log"; exit 1; }
		echo "fuzz_$t: corpus $(ls "$here/corpus/$t" | wc -l) inputs in tests/fuzz/corpus/$t"
	fi
done
[ -n "${FUZZ_OUT:-}" ] || rm -rf "$out"
