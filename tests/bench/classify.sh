#!/bin/bash
# classify.sh - the classifier benchmark (make bench-classify): the timing
# table of classify_bench (linear, verdictd, rte_acl; ClassBench 1k-8k),
# then instructions per lookup counted by callgrind, which, unlike time on
# a shared VM, is the same from run to run (but does not see cache misses:
# read both).
set -u
b=${top_builddir:-.}
dir=${CLASSBENCH_DIR:?CLASSBENCH_DIR: the ClassBench directory}
RUNS=${RUNS:-5}
IR_SETS=${IR_SETS:-acl1_1k acl1_8k fw1_1k fw1_8k ipc1_1k ipc1_8k}

"$b/tests/bench/classify_bench" "$dir" "$RUNS" || exit 1
command -v valgrind >/dev/null || { echo "valgrind not installed: no instruction counts"; exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo
echo "instructions per lookup (valgrind --tool=callgrind, one pass over the trace)"
printf '%-8s | %10s %10s %10s %10s | %8s\n' set verdictd "vd x32" rte_acl "acl x32" "vs 1k"
for set in $IR_SETS; do
	out=$tmp/$set
	valgrind --tool=callgrind --callgrind-out-file="$out.%p" "$b/tests/bench/classify_bench" \
		--ir "$dir" "$set" >"$tmp/log" 2>&1 || { echo "$set: callgrind failed"; tail -5 "$tmp/log"; continue; }
	n=$(sed -n 's/^lookups //p' "$tmp/log")
	# One dump per classifier, in order (CALLGRIND_DUMP_STATS_AT).
	ir() {
		local f
		f=$(grep -l "^desc: Trigger: Client Request: $1\$" "$out".* | head -n 1)
		[ -n "$f" ] && awk -v n="$n" '/^totals:/ { printf "%.0f", $2 / n }' "$f"
	}
	vd=$(ir verdictd); vdb=$(ir verdictd_burst); acl=$(ir rte_acl); burst=$(ir rte_acl_burst)
	case $set in *_1k) base=$vd ;; esac
	printf '%-8s | %10s %10s %10s %10s | %7.2fx\n' "$set" "${vd:--}" "${vdb:--}" "${acl:--}" "${burst:--}" \
		"$(awk -v a="${vd:-0}" -v b="${base:-1}" 'BEGIN { print b ? a / b : 0 }')"
done
