#!/bin/bash
# Interfaces that appear after verdictd started (a WireGuard or VLAN link,
# a Docker bridge): a rule naming one matches once it exists, again after
# it is deleted and created anew (with another index), and no longer while
# it is gone; a negated match follows it too.
. "$(dirname "$0")/lib.sh"

vd_topology
cat >"$WORK/verdictd.conf" <<CONF
queue 0
accept iif wg9 proto udp dport 7000
drop iif !wg9 proto udp dport 7001
accept proto udp dport 7001
default drop
CONF
vd_serve 7000,7001
vd_rules
vd_start "$WORK/verdictd.conf"
check "the missing interface is warned about at start" grep -q "wg9" "$VD_LOG"

# link_up: client c9 -- wg9 firewall, 10.0.9.0/24; the client reaches the
# server through it.
link_up() {
	ip -n "$NS_C" link add c9 type veth peer name wg9 netns "$NS_F" || exit 99
	ip -n "$NS_C" addr add 10.0.9.2/24 dev c9
	ip -n "$NS_F" addr add 10.0.9.1/24 dev wg9
	ip -n "$NS_C" link set c9 up
	ip -n "$NS_F" link set wg9 up
	ip -n "$NS_C" route replace 10.0.2.2/32 via 10.0.9.1 dev c9
	in_f sysctl -qw net.ipv4.conf.wg9.rp_filter=0 net.ipv4.conf.all.rp_filter=0 >/dev/null
	ip -n "$NS_S" route replace 10.0.9.0/24 via 10.0.2.1
	sleep 0.3	# the link event reaches the daemon
}
link_down() {
	ip -n "$NS_C" route del 10.0.2.2/32 2>/dev/null
	ip -n "$NS_C" link del c9 2>/dev/null
	sleep 0.3
}

# udp PORT: the exit status of one datagram's echo (0 answered, 2 timed out).
udp() { in_c "$PROBE" -w 800 udp 10.0.2.2 "$1" 1 >/dev/null 2>&1; }

expect_status 2 "before wg9 exists, UDP to 7000 (through f0) is not accepted by 'iif wg9'" udp 7000
expect_status 2 "... and UDP to 7001 through f0 meets 'drop iif !wg9'" udp 7001
link_up
expect_status 0 "wg9 appeared: UDP to 7000 through it is accepted" udp 7000
expect_status 0 "... and 7001 through wg9 meets 'accept' (the negated drop does not hold)" udp 7001
check "the daemon saw the link come" grep -q "interfaces came or went" "$VD_LOG"
link_down
expect_status 2 "wg9 deleted: UDP to 7000 via f0 is dropped again" udp 7000
expect_status 2 "... and 7001 via f0 meets 'drop iif !wg9'" udp 7001
link_up
expect_status 0 "wg9 created anew (another index): UDP to 7000 through it is accepted" udp 7000
check "no packet lost in the queue" test "$(queue_field 0 6)/$(queue_field 0 7)" = 0/0
vd_stop
check "verdictd exits 0" test "$VD_STATUS" = 0
vd_done
