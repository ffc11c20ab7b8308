#!/bin/bash
# ClassBench through the operator's tools, with no kernel involved: each
# filter set of ../shared/classbench as iptables-save output (tests/cbtool),
# then `verdictctl import`, then `verdictd --trace` on the set's trace (in
# ClassBench trace format); the rule each header meets must be the one a
# plain linear first-match scan of the ClassBench rules gives. A merged run
# of rules (one policy rule from iptables lines A-B) must hold that rule.
set -u
b=${top_builddir:-.}
dir=${CLASSBENCH_DIR:-}
if [ -z "$dir" ] || [ ! -d "$dir" ]; then
	echo "classbench_import: CLASSBENCH_DIR not set or absent; not run"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
sets=0
for f in "$dir"/*.rules; do
	name=$(basename "$f" .rules)
	"$b/tests/cbtool" ipt "$f" > "$tmp/rules.save" || { fail=1; continue; }
	# --set-min 0: merged runs stay literal lists, since the tracer runs
	# without the kernel's sets.
	if ! "$b/verdictctl" import --set-min 0 -o "$tmp" "$tmp/rules.save" 2> "$tmp/import.log"; then
		echo "FAIL $name: import reported lines:"; head -5 "$tmp/import.log"; fail=1; continue
	fi
	"$b/verdictd" -c "$tmp/verdictd.conf" --hook forward --trace "$dir/$name.trace" \
		> "$tmp/trace.out" 2> "$tmp/trace.err" || { echo "FAIL $name: tracer"; cat "$tmp/trace.err"; fail=1; continue; }
	"$b/tests/cbtool" scan "$f" "$dir/$name.trace" > "$tmp/want"
	# conf line -> origin comment; trace line k -> conf line; want line k.
	if ! awk -v name="$name" -v want="$tmp/want" -v implog="$tmp/import.log" '
		FILENAME != ARGV[2] { conf[FNR] = $0; next }
		{
			n++
			if ((getline w < want) <= 0) { print "FAIL " name ": scan ended early"; bad++; exit 1 }
			if (!match($0, /\(.*:[0-9]+\)/)) { print "FAIL " name ": " $0; bad++; next }
			ref = substr($0, RSTART + 1, RLENGTH - 2)
			sub(/.*:/, "", ref)
			origin = conf[ref]
			sub(/.*# [^:]*:/, "", origin)
			lo = origin; sub(/[^0-9].*/, "", lo)
			hi = lo
			if (origin ~ /^[0-9]+-[0-9]+/) { hi = origin; sub(/^[0-9]+-/, "", hi); sub(/[^0-9].*/, "", hi) }
			if (w + 0 < lo + 0 || w + 0 > hi + 0) {
				if (bad++ < 5) print "FAIL " name " header " n ": scan says line " w ", tracer says lines " lo "-" hi " (" $0 ")"
			}
		}
		END {
			getline summary < implog
			printf "%s: %d headers, %d differ (%s)\n", name, n, bad, summary
			exit bad > 0
		}' "$tmp/verdictd.conf" "$tmp/trace.out"; then
		fail=1
	fi
	sets=$((sets + 1))
done
[ "$sets" -gt 0 ] || { echo "FAIL: no ClassBench sets in $dir"; fail=1; }
exit $fail
