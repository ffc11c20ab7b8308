#!/bin/bash
# The live-set benchmark (make bench-liveset), cut to seconds and small
# sets, so that it cannot rot: it must run end to end and print every
# table with figures in it. (Speed is not judged here.)
set -u
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
out=$(mktemp -d "${TMPDIR:-/tmp}/verdictd-liveset-smoke.XXXXXX")
trap 'rm -rf "$out"' EXIT
RUNS=1 SECONDS_RUN=1 EDITS=3 EDITS_OOB=2 SIZES=1000 BIG=20000 \
	bash "$srcdir/tests/bench/liveset.sh" >"$out/table" 2>"$out/log"
status=$?
sed 's/^/# /' "$out/table"
fail=0
[ $status = 0 ] || { echo "not ok - liveset.sh exit $status"; sed 's/^/# /' "$out/log" | tail -n 20; fail=1; }
for row in "^kernel-alone +- +[1-9]" "^poll-on +- +[1-9]" "^poll-on-big +- +[1-9]" \
	"^verdictctl set add +[0-9]" "^ipset add \(set-poll 500\) +[0-9]" "^1000 +[0-9]+ \(" \
	"^memory +[0-9]+ bytes per entry" "^ipset add, until seen +[0-9]+ ms"; do
	if grep -Eq "$row" "$out/table"; then
		echo "ok - a row matching '$row'"
	else
		echo "not ok - no row matching '$row'"
		fail=1
	fi
done
exit $fail
