#!/bin/bash
# Flows that have no verdict yet: opened while verdictd was not running
# (the rules' --queue-bypass let them through), or before the fixed rules
# were loaded. Their conntrack mark is 0, and the next packet may come from
# the server. verdictd must judge such a packet as the flow's original
# direction (client -> server), so that an accepted flow keeps flowing and
# a refused one stops, TCP and UDP, IPv4 and IPv6.
. "$(dirname "$0")/lib.sh"
FLOWPUSH=$(cd "$builddir" && pwd)/tests/flowpush

vd_topology
cat >"$WORK/verdictd.conf" <<CONF
queue 0
accept proto tcp dport 7100
accept proto udp dport 7100
default drop
CONF

# push_server PORT: flowpush serve in the server namespace.
push_server() {
	vd_spawn "$NS_S" "$WORK/push$1.log" serving "$FLOWPUSH" serve "$1"
}

# flows TAG SECONDS: one TCP and one UDP flow each way of IPv4/IPv6 to
# port 7100 (accepted) and 7101 (dropped), in the background; the server
# sends, the client only reads.
flows() {
	local tag=$1 secs=$2 p a
	flow_pids=""
	for p in tcp udp; do
		for a in 10.0.2.2 fd00:2::2; do
			for port in 7100 7101; do
				ip netns exec "$NS_C" "$FLOWPUSH" $p $a $port "$secs" \
					>"$WORK/$tag-$p-$a-$port.out" 2>&1 &
				flow_pids="$flow_pids $!"
			done
		done
	done
	vd_pids="$vd_pids $flow_pids"
}

# judge TAG: the flows to 7100 kept flowing after verdictd took over, the
# ones to 7101 stopped.
judge() {
	local tag=$1 p a out
	for pid in $flow_pids; do wait "$pid"; done
	for p in tcp udp; do
		for a in 10.0.2.2 fd00:2::2; do
			out=$(cat "$WORK/$tag-$p-$a-7100.out")
			check "$tag: $p $a:7100 (accepted) kept flowing: $out" \
				awk '{ exit !($4 <= 700 && $6 >= 5) }' "$WORK/$tag-$p-$a-7100.out"
			out=$(cat "$WORK/$tag-$p-$a-7101.out")
			check "$tag: $p $a:7101 (dropped) stopped once judged: $out" \
				awk '{ exit !($6 == 0) }' "$WORK/$tag-$p-$a-7101.out"
		done
	done
}

push_server 7100
push_server 7101

# 1. An outage: the rules let new flows through while no daemon is bound.
vd_rules
flows outage 5
sleep 2
vd_start "$WORK/verdictd.conf"
sleep 1
for a in 10.0.2.2 fd00:2::2; do
	m=$(ct_mark -p tcp --orig-dst $a --dport 7100 --state ESTABLISHED)
	check "outage: the TCP flow to $a:7100 now has the accept verdict in its mark ($m)" \
		test "$m" = 1
done
judge outage
kill -USR1 "$VD_PID"
sleep 0.3
check "flows judged from their reply direction were counted" grep -q " reply [1-9]" "$VD_LOG"
vd_stop

# 2. A deployment: conntrack already tracks the flows (the firewall had
# stateful rules), then the fixed rules are loaded under a running daemon.
in_f "$IPT" -F; in_f "$IPT" -X; in_f "$IP6T" -F; in_f "$IP6T" -X
in_f conntrack -F 2>/dev/null
in_f "$IPT" -A FORWARD -m conntrack --ctstate INVALID -j DROP
in_f "$IP6T" -A FORWARD -m conntrack --ctstate INVALID -j DROP
flows deploy 5
sleep 1
vd_start "$WORK/verdictd.conf"
sleep 1
vd_rules
judge deploy

# 3. Connections the firewall itself opens are its OUTPUT chain's to judge:
# their replies pass, even to a port the policy refuses for forwarded
# traffic, whether they began under verdictd or before it ran.
ip netns exec "$NS_F" "$FLOWPUSH" tcp 10.0.2.2 7101 4 >"$WORK/own-before.out" 2>&1 &
own1=$!
vd_pids="$vd_pids $own1"
vd_stop
vd_start "$WORK/verdictd.conf"
sleep 0.5
ip netns exec "$NS_F" "$FLOWPUSH" tcp 10.0.2.2 7101 3 >"$WORK/own-new.out" 2>&1 &
own2=$!
sleep 1
m=$(ct_mark -p tcp --orig-src 10.0.2.1 --orig-dst 10.0.2.2 --dport 7101 --state ESTABLISHED)
check "the firewall's own connections carry the accept verdict in their mark ($m)" test "$m" = 1
wait "$own1" "$own2"
check "the firewall's own connection opened under verdictd flows: $(cat "$WORK/own-new.out")" \
	awk '{ exit !($6 >= 5) }' "$WORK/own-new.out"
check "the firewall's own connection opened while verdictd was down flows: $(cat "$WORK/own-before.out")" \
	awk '{ exit !($6 >= 5) }' "$WORK/own-before.out"
vd_stop
check "verdictd exits 0" test "$VD_STATUS" = 0
check "nothing lost in the kernel's queue" \
	grep -q "final: queue 0: .* kernel: waiting 0 queue-dropped 0 user-dropped 0" "$VD_LOG"
vd_done
