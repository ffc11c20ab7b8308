#!/bin/bash
# Existing connections brought in line by a reload: a conntrack entry
# verdictd judged whose verdict now differs gets the new verdict in its
# mark (a connection the new policy drops stops at once), one whose verdict
# stays is not touched; TCP and UDP, IPv4 and IPv6; and thousands of
# entries at once, counted.
. "$(dirname "$0")/lib.sh"
VERDICTCTL=$(cd "$builddir" && pwd)/verdictctl
FLOWPUSH=$(cd "$builddir" && pwd)/tests/flowpush
BENCH=$(cd "$builddir" && pwd)/tests/bench

vd_topology
vd_spawn "$NS_S" "$WORK/push7100.log" serving "$FLOWPUSH" serve 7100
vd_spawn "$NS_S" "$WORK/push7101.log" serving "$FLOWPUSH" serve 7101
in_s iptables -t raw -A PREROUTING -p udp --dport 9 -j DROP	# the flood's sink
vd_rules
conf=$WORK/verdictd.conf
cat >"$conf" <<CONF
queue 0
accept proto tcp dport 7100,7101
accept proto udp dport 7100,7101
accept proto udp dport 9
default drop
CONF
vd_start "$conf" --control "$WORK/ctl.sock"

pids=""
for p in tcp udp; do
	for a in 10.0.2.2 fd00:2::2; do
		for port in 7100 7101; do
			ip netns exec "$NS_C" "$FLOWPUSH" $p $a $port 5 >"$WORK/$p-$a-$port.out" 2>&1 &
			pids="$pids $!"
		done
	done
done
vd_pids="$vd_pids $pids"
sleep 1.5
m_before=$(ct_mark -p tcp --orig-dst 10.0.2.2 --dport 7101 --state ESTABLISHED)

# The new policy drops 7100; 7101 stays accepted.
cat >"$conf" <<CONF
queue 0
drop proto tcp dport 7100
drop proto udp dport 7100
accept proto tcp dport 7101
accept proto udp dport 7101
accept proto udp dport 9
default drop
CONF
"$VERDICTCTL" reload -s "$WORK/ctl.sock" >"$WORK/reload.out" 2>&1
check "reload answers with the connections it revalidated: $(tr '\n' ' ' <"$WORK/reload.out")" \
	grep -q "existing connections revalidated .*: [1-9][0-9]* changed" "$WORK/reload.out"
for a in 10.0.2.2 fd00:2::2; do
	m=$(ct_mark -p tcp --orig-dst $a --dport 7100)
	check "the TCP connection to $a:7100 has the drop verdict once reload returns (mark $m)" test "$m" = 2
	m=$(ct_mark -p udp --orig-dst $a --dport 7100)
	check "the UDP flow to $a:7100 too (mark $m)" test "$m" = 2
done
m_after=$(ct_mark -p tcp --orig-dst 10.0.2.2 --dport 7101 --state ESTABLISHED)
check "the connection to 7101 kept its verdict, untouched ($m_before -> $m_after)" \
	test "$m_before" = 1 -a "$m_after" = 1
for pid in $pids; do wait "$pid"; done
for p in tcp udp; do
	for a in 10.0.2.2 fd00:2::2; do
		check "$p $a:7100 stopped after the reload: $(cat "$WORK/$p-$a-7100.out")" \
			awk '{ exit !($6 == 0) }' "$WORK/$p-$a-7100.out"
		check "$p $a:7101 kept flowing: $(cat "$WORK/$p-$a-7101.out")" \
			awk '{ exit !($6 >= 5) }' "$WORK/$p-$a-7101.out"
	done
done

# Many entries: 20,000 accepted UDP flows, then a policy that drops them.
ip netns exec "$NS_C" "$BENCH/flood" -s 10.0.1.100 -d 10.0.2.2 -p 9 -n 20000 -r 50000 >/dev/null
sleep 0.5
n=$(ct_entries -p udp --dport 9 | grep -c "mark=1 ")
sed -i 's/^accept proto udp dport 9$/drop proto udp dport 9/' "$conf"
"$VERDICTCTL" reload -s "$WORK/ctl.sock" >"$WORK/reload.out" 2>&1
left=$(ct_entries -p udp --dport 9 | grep -c "mark=1 ")
check "$n accepted flows, all re-judged: none left accepted ($left): $(tr '\n' ' ' <"$WORK/reload.out")" \
	test "$n" -ge 15000 -a "$left" = 0
vd_stop
check "verdictd exits 0" test "$VD_STATUS" = 0
vd_done
