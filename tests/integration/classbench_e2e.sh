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
# Topology (addresses in 100.64.0.0/10; headers touching it are skipped,
# as are martians the kernel drops before any rule, and ICMP, whose random
# types are not valid ICMP):
#   C c0 --- f0 F f1 --- s0 S
#   C c1 --- i0 I i1 --- s1 S
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
NS_I=vd$$i
vd_extra_ns=$NS_I

ip netns add "$NS_C" && ip netns add "$NS_F" && ip netns add "$NS_S" && ip netns add "$NS_I" || exit 99
ip -n "$NS_C" link add c0 type veth peer name f0 netns "$NS_F" || exit 99
ip -n "$NS_C" link add c1 type veth peer name i0 netns "$NS_I" || exit 99
ip -n "$NS_S" link add s0 type veth peer name f1 netns "$NS_F" || exit 99
ip -n "$NS_S" link add s1 type veth peer name i1 netns "$NS_I" || exit 99
ip -n "$NS_C" addr add 100.64.1.2/30 dev c0
ip -n "$NS_F" addr add 100.64.1.1/30 dev f0
ip -n "$NS_F" addr add 100.64.2.1/30 dev f1
ip -n "$NS_S" addr add 100.64.2.2/30 dev s0
ip -n "$NS_C" addr add 100.64.3.2/30 dev c1
ip -n "$NS_I" addr add 100.64.3.1/30 dev i0
ip -n "$NS_I" addr add 100.64.4.1/30 dev i1
ip -n "$NS_S" addr add 100.64.4.2/30 dev s1
for ns in "$NS_C" "$NS_F" "$NS_S" "$NS_I"; do
	ip -n "$ns" link set lo up
	for l in $(ip -n "$ns" -o link show | awk -F': ' '$2 != "lo" { sub(/@.*/, "", $2); print $2 }'); do
		ip -n "$ns" link set "$l" up
	done
done
for ns in "$NS_F" "$NS_I"; do
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0 >/dev/null
	for l in f0 f1 i0 i1; do
		ip netns exec "$ns" sysctl -qw net.ipv4.conf.$l.rp_filter=0 >/dev/null 2>&1
	done
done
ip -n "$NS_F" route add default via 100.64.2.2
ip -n "$NS_I" route add default via 100.64.4.2
ip netns exec "$NS_F" ping -c 1 -W 2 100.64.2.2 >/dev/null 2>&1
ip netns exec "$NS_I" ping -c 1 -W 2 100.64.4.2 >/dev/null 2>&1
MAC_F=$(ip -n "$NS_F" -o link show f0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
MAC_I=$(ip -n "$NS_I" -o link show i0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')

# hdrs TRACE: the headers a router forwards at all, then an even sample.
hdrs() {
	awk 'function bad(a,  o1, o2) { o1 = int(a / 16777216); o2 = int(a / 65536) % 256
		return o1 == 0 || o1 == 127 || o1 >= 224 || (o1 == 100 && o2 >= 64 && o2 < 128) }
	     !bad($1) && !bad($2) && $5 != 1 && $5 != 58' "$1" > "$WORK/usable"
	"$CBTOOL" sample "$WORK/usable" "$SAMPLE"
}

# capture IFACE OUT: the sink's capture, started and ready.
capture() {
	ip netns exec "$NS_S" "$CBPKT" recv "$1" 6 >"$2" 2>&1 &
	vd_pids="$vd_pids $!"
	CAP_PID=$!
	for i in $(seq 50); do
		grep -q listening "$2" && return 0
		sleep 0.1
	done
	echo "# capture on $1 did not start"; exit 99
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
