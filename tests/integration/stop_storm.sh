#!/bin/bash
# Stops and restarts under a storm of new connections lose no first
# packet: SIGTERM closes the queue to new packets (they pass, as the
# rules' --queue-bypass says for a stopped daemon), answers everything
# queued, then unbinds. The clients see no SYN retransmission and the
# kernel's counters no loss. Fail-closed, what arrives while no daemon
# runs is dropped (the documented window), and still nothing that was
# queued is lost.
. "$(dirname "$0")/lib.sh"
FLOWPUSH=$(cd "$builddir" && pwd)/tests/flowpush

vd_topology
cat >"$WORK/verdictd.conf" <<CONF
queue 0
accept proto tcp dport 7000
default drop
CONF
vd_spawn "$NS_S" "$WORK/sink.log" serving "$FLOWPUSH" sink 7000

# storm SECONDS: three clients connecting back to back, IPv4 and IPv6.
storm() {
	storm_pids=""
	local i a
	for i in 1 2 3; do
		for a in 10.0.2.2 fd00:2::2; do
			ip netns exec "$NS_C" "$FLOWPUSH" storm $a 7000 "$1" >"$WORK/storm-$i-$a.out" 2>&1 &
			storm_pids="$storm_pids $!"
		done
	done
	vd_pids="$vd_pids $storm_pids"
}

# storm_wait: n, f, s = connects, failed, slow (over 900 ms) of all clients.
storm_wait() {
	local pid
	for pid in $storm_pids; do wait "$pid"; done
	read -r n f s <<<"$(cat "$WORK"/storm-*.out | awk '{ n += $2; f += $4; s += $8 } END { print n, f, s }')"
	rm -f "$WORK"/storm-*.out
}

# 1. Fail-open (--queue-bypass): three restarts and a stop in 6 s.
vd_rules
vd_start "$WORK/verdictd.conf"
before=$(syn_retrans)
drops0=$(listen_drops)
storm 6
finals=""
for step in 1 2 3; do
	sleep 1
	vd_stop
	finals="$finals $VD_LOG"
	check "restart $step: verdictd exits 0" test "$VD_STATUS" = 0
	vd_start "$WORK/verdictd.conf"
done
sleep 1
vd_stop
finals="$finals $VD_LOG"
storm_wait
after=$(syn_retrans)
# A SYN the server itself dropped (its listen queue full: a loaded
# machine) is retransmitted too; what the firewall lost is the rest.
drops=$(($(listen_drops) - drops0))
check "fail-open: $n connects, none failed ($f)" test "$f" = 0 -a "$n" -gt 100
check "fail-open: no connect waited for a retransmission the firewall caused ($s over 900 ms, $drops SYNs dropped by the server itself)" \
	test "$s" -le "$drops"
check "fail-open: the clients retransmitted no SYN the firewall lost ($before -> $after, $drops dropped by the server)" \
	test $((after - before)) -le "$drops"
for log in $finals; do
	check "fail-open: $(basename "$log"): nothing waiting or dropped at the unbind" \
		grep -q "final: queue 0: .* kernel: waiting 0 queue-dropped 0 user-dropped 0" "$log"
done

# 2. Fail-closed: a stop under the storm; nothing queued is lost, and the
# connects made while no daemon runs wait (the documented window).
in_f "$IPT" -F; in_f "$IPT" -X; in_f "$IP6T" -F; in_f "$IP6T" -X
vd_rules -failclosed
cat >"$WORK/closed.conf" <<CONF
queue 0
bypass no
accept proto tcp dport 7000
default drop
CONF
vd_start "$WORK/closed.conf"
storm 3
sleep 1
vd_stop
check "fail-closed: verdictd exits 0" test "$VD_STATUS" = 0
check "fail-closed: every packet queued before the stop was answered" \
	grep -q "final: queue 0: .* kernel: waiting 0 queue-dropped [0-9]* user-dropped 0" "$VD_LOG"
vd_start "$WORK/closed.conf"
storm_wait
check "fail-closed: the connects of the stop window waited and then went through ($n connects, $f failed)" \
	test "$f" = 0 -a "$n" -gt 10
vd_stop
vd_done
