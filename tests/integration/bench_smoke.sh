#!/bin/bash
# The transport benchmark, cut to a few seconds, so that it cannot rot:
# it must run end to end and print a row per consumer with figures in it.
# (Speed is not judged here: the full run is `make bench-transport`.)
set -u
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
out=$(mktemp -d "${TMPDIR:-/tmp}/verdictd-bench-smoke.XXXXXX")
trap 'rm -rf "$out"' EXIT
RUNS=1 PACKETS=3000 FLOOD_SECONDS=2 CALLGRIND=0 OUT=$out \
	bash "$srcdir/tests/bench/transport.sh" >"$out/table" 2>"$out/log"
status=$?
[ $status = 77 ] && exit 77
cat "$out/table"
fail=0
[ $status = 0 ] || { echo "not ok - transport.sh exit $status"; sed 's/^/# /' "$out/log"; fail=1; }
for kind in loop socket ring; do
	if grep -Eq "^$kind +\| +[1-9][0-9]* " "$out/table"; then
		echo "ok - $kind row with a drain rate"
	else
		echo "not ok - no $kind row with a drain rate"
		fail=1
	fi
done
rows=$(grep -c . "$out/transport.csv" 2>/dev/null || echo 0)
if [ "$rows" = 13 ]; then echo "ok - CSV has 12 rows"; else echo "not ok - CSV has $rows lines"; fail=1; fi
exit $fail
