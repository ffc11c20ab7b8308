#!/bin/bash
# ClassBench end to end, through the kernel: a sample of each trace's
# headers is sent as real packets (tests/cbpkt: TCP SYNs, UDP datagrams,
# other protocols bare) through two firewalls side by side:
#   - NS_F: the ruleset imported by `verdictctl import`, the fixed rules
#     it wrote, and verdictd judging each new flow;
#   - NS_I: the same ruleset as plain iptables rules (iptables-restore).
# Each firewall forwards to the sink namespace, where a capture on each
# link records which headers arrived. Both must deliver exactly the headers
# whose first matching ClassBench rule accepts (tests/cbtool scan).
#
# Topology: lib.sh's vd_topology_pair (addresses in 10.0.0.0/16: headers
# touching it are skipped, as are martians the kernel drops before any
# rule, and ICMP, whose random types are not valid ICMP).
. "$(dirname "$0")/lib.sh"

CBTOOL=$(cd "$builddir" && pwd)/tests/cbtool
CBPKT=$(cd "$builddir" && pwd)/tests/cbpkt
VERDICTCTL=$(cd "$builddir" && pwd)/verdictctl
dir=${CLASSBENCH_DIR:-}
SETS=${CB_SETS:-acl1_1k fw1_1k ipc1_1k}
SAMPLE=${CB_SAMPLE:-150}
if [ -z "$dir" ] || [ ! -d "$dir" ]; then
	echo "# CLASSBENCH_DIR not set or absent; not run"
	exit 77
fi
vd_topology_pair

# hdrs TRACE: the headers a router forwards at all, then an even sample.
hdrs() {
	awk 'function bad(a,  o1, o2) { o1 = int(a / 16777216); o2 = int(a / 65536) % 256
		return o1 == 0 || o1 == 127 || o1 >= 224 || (o1 == 10 && o2 == 0) }
	     !bad($1) && !bad($2) && $5 != 1 && $5 != 58' "$1" > "$WORK/usable"
	"$CBTOOL" sample "$WORK/usable" "$SAMPLE"
}

# capture IFACE OUT: the sink's capture, started and ready.
capture() {
	vd_spawn "$NS_S" "$2" listening "$CBPKT" recv "$1" 6
	CAP_PID=$BG_PID
}

for name in $SETS; do
	rules=$dir/$name.rules
	[ -f "$rules" ] || { not_ok "$name: $rules missing"; continue; }
	"$CBTOOL" ipt "$rules" >"$WORK/rules.save"
	mkdir -p "$WORK/$name"
	"$VERDICTCTL" import -o "$WORK/$name" "$WORK/rules.save" 2>"$WORK/import.log"
	check "$name: imported whole ($(tail -n 1 "$WORK/import.log"))" test $? = 0
	hdrs "$dir/$name.trace" >"$WORK/sample"
	"$CBTOOL" scan "$rules" "$WORK/sample" |
		awk '$1 != 3 && ($1 - 5) % 2 == 0 { print NR - 1 }' >"$WORK/want"
	n=$(wc -l <"$WORK/sample")

	# Fresh firewall state per set.
	ip netns exec "$NS_F" iptables -F; ip netns exec "$NS_F" iptables -X
	ip netns exec "$NS_F" conntrack -F >/dev/null 2>&1
	ip netns exec "$NS_I" conntrack -F >/dev/null 2>&1
	ip netns exec "$NS_I" "$IPT-restore" <"$WORK/rules.save" || exit 99
	ip netns exec "$NS_F" ipset restore -exist <"$WORK/$name/ipsets.restore" || exit 99
	ip netns exec "$NS_F" "$IPT-restore" --noflush <"$WORK/$name/verdictd-ipv4.rules" || exit 99
	ip netns exec "$NS_F" "$IPT" -P FORWARD DROP
	vd_start "$WORK/$name/verdictd.conf"
	seq0=$(queue_field 0 8)

	capture s0 "$WORK/got_vd"; cap_vd=$CAP_PID
	capture s1 "$WORK/got_ipt"; cap_ipt=$CAP_PID
	ip netns exec "$NS_C" "$CBPKT" send c0 "$MAC_F" "$WORK/sample" 2>/dev/null &
	s1=$!
	ip netns exec "$NS_C" "$CBPKT" send c1 "$MAC_I" "$WORK/sample" 2>/dev/null &
	s2=$!
	wait $s1 $s2 $cap_vd $cap_ipt
	grep -v listening "$WORK/got_vd" >"$WORK/got_vd.n"
	grep -v listening "$WORK/got_ipt" >"$WORK/got_ipt.n"
	queued=$(( $(queue_field 0 8) - seq0 ))

	want=$(wc -l <"$WORK/want")
	check "$name: $n headers; plain iptables delivered the $want the ClassBench scan accepts ($(wc -l <"$WORK/got_ipt.n") arrived)" \
		cmp -s "$WORK/want" "$WORK/got_ipt.n"
	check "$name: verdictd delivered the same $want ($(wc -l <"$WORK/got_vd.n") arrived, $queued queued)" \
		cmp -s "$WORK/want" "$WORK/got_vd.n"
	# One queued packet per new flow: at least one per delivered header, at
	# most one per header (a dropped flow's next packet is a new flow again).
	check "$name: $queued packets queued for $n headers, none judged twice in a flow" \
		test "$queued" -ge "$want" -a "$queued" -le "$n"
	check "$name: nothing dropped by the queue" test "$(queue_field 0 6)$(queue_field 0 7)" = 00
	if ! cmp -s "$WORK/want" "$WORK/got_vd.n"; then
		diff "$WORK/want" "$WORK/got_vd.n" | head -5 | sed 's/^/#   /'
	fi
	vd_stop
done
vd_done
