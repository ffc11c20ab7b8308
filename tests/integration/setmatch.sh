#!/bin/bash
# Set matches against the kernel's own ipsets: an ip,port set (hash:ip,port,
# elements read through libipset, ICMP by name) decides by destination
# address, protocol and port; an address set beside a prefix on one field
# narrows it (src 10.0.1.0/24 AND in @banned).
. "$(dirname "$0")/lib.sh"

vd_topology
vd_rules
vd_serve 80,81,53

in_f ipset create svc hash:ip,port family inet || exit 99
in_f ipset add svc 10.0.2.2,tcp:80
in_f ipset add svc 10.0.2.2,udp:53
in_f ipset add svc 10.0.2.2,icmp:echo-request
in_f ipset create svc6 hash:ip,port family inet6
in_f ipset add svc6 fd00:2::2,tcp:80
in_f ipset create banned hash:ip family inet
in_f ipset add banned 10.0.1.3
in_f ipset add banned 10.0.9.9
cat >"$WORK/verdictd.conf" <<CONF
queue 0
set svc hash:ip,port family inet
set svc6 hash:ip,port family inet6
set banned hash:ip family inet
drop src 10.0.1.0/24 src @banned
accept set @svc dst,dst
accept set @svc6 dst,dst
default drop
CONF
vd_start "$WORK/verdictd.conf"

expect_status 0 "tcp to 10.0.2.2:80 (svc holds tcp:80) gets through" \
	in_c "$PROBE" -b 10.0.1.2 tcp 10.0.2.2 80 5
expect_status 2 "tcp to port 81 (not in svc) times out" \
	in_c "$PROBE" -w 500 -b 10.0.1.2 tcp 10.0.2.2 81 1
expect_status 0 "udp to port 53 (svc holds udp:53) gets through" \
	in_c "$PROBE" -b 10.0.1.2 udp 10.0.2.2 53 5
expect_status 2 "udp to port 80 (svc holds tcp:80 only) gets nothing back" \
	in_c "$PROBE" -w 300 -b 10.0.1.2 udp 10.0.2.2 80 2
expect_status 0 "ping (svc holds icmp:echo-request) gets answers" \
	in_c ping -I 10.0.1.2 -c 2 -i 0.2 -W 1 10.0.2.2
expect_status 2 "tcp to port 80 from 10.0.1.3 (in 10.0.1.0/24 and in banned) times out" \
	in_c "$PROBE" -w 500 -b 10.0.1.3 tcp 10.0.2.2 80 1
expect_status 0 "v6 tcp to [fd00:2::2]:80 (svc6) gets through" \
	in_c "$PROBE" -b fd00:1::2 tcp fd00:2::2 80 5
expect_status 2 "v6 tcp to port 81 times out" \
	in_c "$PROBE" -w 500 -b fd00:1::2 tcp fd00:2::2 81 1
check "conntrack: the tcp 80 flow's mark is accept (1)" \
	test "$(ct_mark -f ipv4 -p tcp --dport 80 --src 10.0.1.2)" = 1
check "queue_dropped is 0" test "$(queue_field 0 6)" = 0
check "the daemon read every element (3 sets, 6 members)" grep -q "3 sets (6 members)" "$VD_LOG"
vd_stop
check "verdictd exits 0" test "$VD_STATUS" = 0
sed 's/^/# /' "$VD_LOG"
vd_done
