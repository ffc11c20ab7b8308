#!/bin/bash
# Two queues with --queue-balance, one pinned worker each: new flows are
# spread over both, every flow gets through, nothing is lost.
. "$(dirname "$0")/lib.sh"

vd_topology
cat >"$WORK/verdictd.conf" <<CONF
queue 0-1
cpus 0,1
accept proto udp dport 5000
accept proto tcp dport 5000
default drop
CONF
"$VERDICTD" -c "$WORK/verdictd.conf" --print-rules=ipv4 >"$WORK/rules4" || exit 99
"$VERDICTD" -c "$WORK/verdictd.conf" --print-rules=ipv6 >"$WORK/rules6" || exit 99
check "the generated rules balance over queues 0:1" grep -q -- "--queue-balance 0:1" "$WORK/rules4"
in_f "$IPT-restore" --noflush <"$WORK/rules4" || exit 99
in_f "$IP6T-restore" --noflush <"$WORK/rules6" || exit 99
vd_serve 5000
vd_start "$WORK/verdictd.conf"

# The kernel spreads flows by a hash of their addresses: use many sources.
for i in $(seq 10 49); do
	ip -n "$NS_C" addr add 10.0.1.$i/24 dev c0
	ip -n "$NS_C" addr add fd00:1::$i/64 dev c0 nodad
done
fails=0
for i in $(seq 10 49); do
	in_c "$PROBE" -b 10.0.1.$i udp 10.0.2.2 5000 1 >/dev/null || fails=$((fails + 1))
	in_c "$PROBE" -b fd00:1::$i tcp fd00:2::2 5000 1 >/dev/null || fails=$((fails + 1))
done
check "80 new flows (40 UDP/IPv4, 40 TCP/IPv6), $fails failed" test $fails = 0
q0=$(queue_field 0 8)
q1=$(queue_field 1 8)
check "both queues judged flows (queue 0: $q0, queue 1: $q1)" test "$q0" -gt 0 -a "$q1" -gt 0
check "queues 0 and 1 dropped nothing" \
	test "$(queue_field 0 6)$(queue_field 0 7)$(queue_field 1 6)$(queue_field 1 7)" = 0000
vd_stop
check "verdictd exits 0" test "$VD_STATUS" = 0
check "final counters for both queues" \
	sh -c "grep -q 'final: queue 0: packets [1-9]' '$VD_LOG' && grep -q 'final: queue 1: packets [1-9]' '$VD_LOG'"
sed 's/^/# /' "$VD_LOG"
vd_done
