#!/bin/bash
# The benchmark suite (make bench), cut to seconds, so that it cannot rot:
# every row must run end to end and print figures, the CSV and the chart
# must be written. Speed is not judged here. 1,000 rules instead of 10,000
# keep the iptables rows quick.
set -u
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
out=$(mktemp -d "${TMPDIR:-/tmp}/verdictd-suite-smoke.XXXXXX")
trap 'rm -rf "$out"' EXIT
RUNS=1 SECONDS_RUN=1 PACKETS=2000 NRULES=1000 CALLGRIND=0 OUT=$out \
	bash "$srcdir/tests/bench/suite.sh" >"$out/table" 2>"$out/log"
status=$?
[ $status = 77 ] && exit 77
cat "$out/table"
fail=0
[ $status = 0 ] || { echo "not ok - suite.sh exit $status"; sed 's/^/# /' "$out/log"; fail=1; }
for row in none legacy-10k legacy-10k-stateful nft-10k nft-10k-stateful ipset-10k loop \
	vd-set-sock vd-set-ring vd-10k-sock vd-10k-ring vd-10-sock vd-10-ring; do
	if grep -Eq "^$row +\| +[1-9][0-9]* .*\| +[1-9][0-9]* " "$out/table"; then
		echo "ok - $row: steady and new-flow rates"
	else
		echo "not ok - $row: no figures"
		fail=1
	fi
done
for row in loop vd-set-sock vd-10k-ring vd-10-sock; do
	if grep -Eq "^$row .*\| +[1-9][0-9]* \( *[0-9]+%\) L" "$out/table"; then echo "ok - $row: drain rates"
	else echo "not ok - $row: no drain rates"; fail=1; fi
done
if [ "$(grep -c ',new,' "$out/suite.csv" 2>/dev/null)" = 13 ]; then echo "ok - CSV rows"
else echo "not ok - CSV"; fail=1; fi
if [ -s "$out/suite.png" ]; then echo "ok - chart written"; else echo "not ok - no chart"; fail=1; fi
exit $fail
