#!/bin/bash
# ipset edits made behind verdictd's back (what fail2ban and CrowdSec do):
# an add to a drop set cuts the host's open connections and refuses its new
# ones within about a second; a del lets it back; a swap counts too.
. "$(dirname "$0")/lib.sh"
vd_start_sets

tcp_from() { in_c "$PROBE" -w 800 -b "$1" tcp 10.0.2.2 7000 1 >/dev/null 2>&1; }

pids=""
for p in tcp udp; do
	ip netns exec "$NS_C" "$FLOWPUSH" $p 10.0.2.2 7100 5 >"$WORK/$p.out" 2>&1 &
	pids="$pids $!"
done
vd_pids="$vd_pids $pids"
sleep 1.5
t0=$(date +%s%N)
in_f ipset add banned 10.0.1.2
for i in $(seq 40); do
	[ "$(ct_mark -p tcp --orig-src 10.0.1.2 --dport 7100)" = 2 ] && break
	sleep 0.1
done
t1=$(date +%s%N)
check "ipset add behind verdictd's back: the host's open TCP connection has the drop verdict after $(((t1 - t0) / 1000000)) ms" \
	test "$(ct_mark -p tcp --orig-src 10.0.1.2 --dport 7100)" = 2
for pid in $pids; do wait "$pid"; done
for p in tcp udp; do
	check "its $p flow stopped: $(cat "$WORK/$p.out")" awk '{ exit !($6 == 0) }' "$WORK/$p.out"
done
expect_status 2 "a new connection from the banned host is refused" tcp_from 10.0.1.2
expect_status 0 "another host still connects" tcp_from 10.0.1.3

in_f ipset del banned 10.0.1.2
sleep 1.2
expect_status 0 "ipset del: the host connects again" tcp_from 10.0.1.2

in_f ipset create banned2 hash:ip family inet
in_f ipset add banned2 10.0.1.3
in_f ipset swap banned banned2
sleep 1.2
expect_status 2 "ipset swap: the swapped-in set's host is refused" tcp_from 10.0.1.3
expect_status 0 "... and the other one connects" tcp_from 10.0.1.2
check "the daemon read the sets again" grep -q "changed in the kernel: read again" "$VD_LOG"

# A ban made while no daemon runs (a restart, an upgrade): the next start
# judges the connections judged before it again.
in_c "$FLOWPUSH" tcp 10.0.2.2 7100 6 >"$WORK/restart.out" 2>&1 &
push=$!
vd_pids="$vd_pids $push"
sleep 1
vd_stop
in_f ipset add banned 10.0.1.2
vd_start "$WORK/verdictd.conf"
check "a ban made while verdictd was stopped: the open connection has the drop verdict once it is ready" \
	test "$(ct_mark -p tcp --orig-src 10.0.1.2 --dport 7100)" = 2
wait "$push"
check "... and it stopped: $(cat "$WORK/restart.out")" awk '{ exit !($6 == 0) }' "$WORK/restart.out"
in_f ipset del banned 10.0.1.2
vd_stop_clean
vd_done
