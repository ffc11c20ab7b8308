#!/bin/bash
# migrate_trace.sh - the offline tracer (verdictd --trace, README's
# migration step 3) judges iif/oif like the running daemon: positive and
# negated interface rules, on interfaces that exist (f0, f1, lo) and one
# that does not (wg9). Every header is asked of both; the answers must be
# the same line for line (before issue 15 the tracer never resolved
# interfaces: positive rules never matched, negated ones always did).
. "$(dirname "$0")/lib.sh"

VERDICTCTL=$(cd "$builddir" && pwd)/verdictctl

vd_topology
vd_rules
cat >"$WORK/trace.conf" <<'CONF'
accept hook input iif lo
drop hook forward iif f0 oif f1 proto tcp dport 23
accept hook forward iif f0 oif !f1 proto tcp dport 24
reject hook forward iif !f0 proto tcp dport 25
accept hook forward iif wg9 proto udp
drop hook forward iif !wg9 proto udp dport 53
accept hook input iif !f0 proto tcp
reject hook input iif f0 proto tcp dport 22
accept hook forward oif f1
default drop
CONF
vd_start "$WORK/trace.conf"

: >"$WORK/headers"
for ifs in "iif f0 oif f1" "iif f1 oif f0" "iif f0 oif lo" "iif lo" "iif f0" "iif f1" "" "oif f1"; do
	for h in "tcp 10.0.1.2:40000 10.0.2.2:23" "tcp 10.0.1.2:40000 10.0.2.2:24" \
		 "tcp 10.0.1.2:40000 10.0.2.2:25" "udp 10.0.1.2:40000 10.0.2.2:53" \
		 "udp 10.0.1.2:40000 10.0.2.2:54" "tcp 10.0.1.2:40000 10.0.1.1:22" \
		 "icmp 10.0.1.2 10.0.2.2 type 8"; do
		for hook in input forward; do
			echo "$h $ifs hook $hook" >>"$WORK/headers"
		done
	done
done
n=$(wc -l <"$WORK/headers")
in_f "$VERDICTD" -c "$WORK/trace.conf" --trace "$WORK/headers" >"$WORK/offline" 2>"$WORK/offline.err"
check "verdictd --trace read all $n headers" test "$(wc -l <"$WORK/offline")" = "$n"
in_f "$VERDICTCTL" trace -s "$WORK/control.sock" -f "$WORK/headers" >"$WORK/live" 2>"$WORK/live.err"
check "the daemon answered all $n headers" test "$(wc -l <"$WORK/live")" = "$n"
differ=$(paste -d '|' "$WORK/offline" "$WORK/live" | awk -F'|' '$1 != $2' | wc -l)
check "offline tracer and daemon agree on all $n headers ($differ differ)" test "$differ" = 0
paste -d '|' "$WORK/offline" "$WORK/live" | awk -F'|' '$1 != $2' | head -5 | sed 's/^/#   /'
# Each interface rule matched at least once, so the comparison means something.
for l in 2 3 4 6 7 8 9; do
	check "rule on line $l decided some header" grep -q "trace.conf:$l)" "$WORK/offline"
done
vd_stop
vd_done
