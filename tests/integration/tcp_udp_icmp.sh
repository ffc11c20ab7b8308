#!/bin/bash
# TCP, UDP and ICMP over IPv4 and IPv6 through the firewall: allowed flows
# arrive, denied ones do not, conntrack entries carry the verdict mark, only
# a flow's first packet is queued, and the queue loses nothing.
. "$(dirname "$0")/lib.sh"

vd_topology
vd_rules
vd_serve 80,81,53,5353

cat >"$WORK/verdictd.conf" <<CONF
queue 0
set blocked4 hash:ip family inet
set blocked6 hash:ip family inet6
set web bitmap:port
drop src @blocked4
drop src @blocked6
accept proto tcp dport @web
mark 0x100 proto udp dport 5353
accept proto udp dport 53
accept proto icmp icmp-type echo-request
accept proto icmpv6 icmp-type echo-request
default drop
CONF
# Sets filled before the start (the copy is loaded once, for now); the
# daemon creates "web" itself, so add after it starts is not seen: create it.
in_f ipset create blocked4 hash:ip family inet
in_f ipset add blocked4 10.0.1.3
in_f ipset create blocked6 hash:ip family inet6
in_f ipset add blocked6 fd00:1::3
in_f ipset create web bitmap:port range 0-65535
in_f ipset add web 80
vd_start "$WORK/verdictd.conf"

for fam in 4 6; do
	if [ $fam = 4 ]; then srv=10.0.2.2 c2=10.0.1.2 c3=10.0.1.3 ping_cmd="ping -I 10.0.1.2 -c 3 -i 0.2 -W 1"
	else srv=fd00:2::2 c2=fd00:1::2 c3=fd00:1::3 ping_cmd="ping -6 -I fd00:1::2 -c 3 -i 0.2 -W 1"; fi
	f="-f ipv$fam"

	seq0=$(queue_field 0 8)
	expect_status 0 "v$fam tcp to port 80 (in set web) gets through, 20 echoes" \
		in_c "$PROBE" -b $c2 tcp $srv 80 20
	seq1=$(queue_field 0 8)
	check "v$fam tcp flow: conntrack mark is accept (1)" \
		test "$(ct_mark $f -p tcp --dport 80 --src $c2)" = 1
	pk=$(ct_packets $f -p tcp --dport 80 --src $c2)
	check "v$fam tcp flow: $pk packets crossed, $((seq1 - seq0)) were queued (only the first)" \
		test "$pk" -ge 40 -a $((seq1 - seq0)) -le 2

	expect_status 2 "v$fam tcp to port 81 (default drop) times out" \
		in_c "$PROBE" -w 500 -b $c2 tcp $srv 81 1
	expect_status 2 "v$fam tcp from blocked address $c3 times out" \
		in_c "$PROBE" -w 500 -b $c3 tcp $srv 80 1

	expect_status 0 "v$fam udp to port 53 gets through, 10 echoes" \
		in_c "$PROBE" -b $c2 udp $srv 53 10
	check "v$fam udp 53 flow: mark 1" test "$(ct_mark $f -p udp --dport 53)" = 1
	expect_status 0 "v$fam udp to port 5353 gets through" \
		in_c "$PROBE" -b $c2 udp $srv 5353 10
	check "v$fam udp 5353 flow: mark 0x101 (accept code + 0x100)" \
		test "$(ct_mark $f -p udp --dport 5353)" = 257
	expect_status 2 "v$fam udp to port 81 (default drop) gets nothing back" \
		in_c "$PROBE" -w 300 -b $c2 udp $srv 81 2

	expect_status 0 "v$fam ping gets answers" in_c $ping_cmd $srv
	if [ $fam = 4 ]; then icmp="-p icmp"; else icmp="-p icmpv6"; fi
	check "v$fam ping flow: mark 1" test "$(ct_mark $f $icmp --src $c2)" = 1
done

check "queue_dropped is 0" test "$(queue_field 0 6)" = 0
check "user_dropped is 0" test "$(queue_field 0 7)" = 0
check "nothing left waiting in the queue" test "$(queue_field 0 3)" = 0
vd_stop
check "verdictd exits 0 on SIGTERM" test "$VD_STATUS" = 0
check "final counters logged, no errors or overruns" \
	grep -q "final: queue 0: packets [1-9].* enobufs 0 truncated 0 send-errors 0 kernel-errors 0" "$VD_LOG"
sed 's/^/# /' "$VD_LOG"
vd_done
