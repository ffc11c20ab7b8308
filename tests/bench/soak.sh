#!/bin/bash
# soak.sh - verdictd under sustained mixed load (make soak).
#
# client -> firewall (verdictd) -> server, as the integration tests build
# it. First the capacity is measured (new flows a second that verdictd
# judges with nothing else running); then for SOAK_SECONDS (default 600):
#   - new UDP flows at SOAK_LOAD percent of that capacity (default 80),
#   - 64 established flows (the kernel's fast path) at the same rate,
#   - TCP connections back to back (accepted and refused ports),
#   - malformed and cut packets (tests/hdrpkt: every header layout),
#   - control-socket clients (verdictctl trace) five times a second,
#   - ipset edits on the policy's set (add and del), twice a second,
#   - SIGUSR1 (counters) every 10 s.
# Every 10 s verdictd's RSS and open descriptors are sampled. At the end:
# a SIGTERM, then the checks: every queued id got its verdict (the
# kernel's id sequence equals the packets verdictd received, and each got
# one verdict), queue-dropped and user-dropped 0, nothing waiting, RSS and
# descriptors flat (the mean of the last minute at most 5% + 1 MiB over the
# first minute's; the fewest descriptors in each minute equal: a sample may
# catch a control client connected). Writes bench-results/soak.csv (one
# row per sample) and prints a summary; exits 1 if a check fails.
#
# SOAK_SECONDS=60 for a short run; VD_TRANSPORT=ring for the ring.
. "$(dirname "$0")/lib.sh"
SOAK_SECONDS=${SOAK_SECONDS:-600}
SOAK_LOAD=${SOAK_LOAD:-80}
OUT=${OUT:-$PWD/bench-results}
mkdir -p "$OUT"

vd_topology
in_f sysctl -qw net.netfilter.nf_conntrack_udp_timeout=5 net.ipv4.conf.all.rp_filter=0 \
	net.ipv4.conf.default.rp_filter=0 net.ipv4.conf.f0.rp_filter=0
# hdrpkt's packets: from 10.1.0.0/16 and fd00:1:0:1::/64 to 10.9.0.1-3 and
# fd00:9::1-3, routed to the server, which drops them.
ip -n "$NS_F" route add 10.9.0.0/16 via 10.0.2.2
ip -n "$NS_F" -6 route add fd00:9::/64 via fd00:2::2
ip -n "$NS_F" route add 10.1.0.0/16 via 10.0.1.2
ip -n "$NS_F" -6 route add fd00:1:0:1::/64 via fd00:1::2
in_s iptables -t raw -A PREROUTING -p udp --dport 9 -j DROP	# the sink counts, then drops
vd_rules
cat >"$WORK/soak.conf" <<CONF
queue 0
rcvbuf 64M
set soakban hash:ip family inet
drop src @soakban
accept proto udp dport 9
accept proto tcp dport 7000
reject proto tcp dport 7001
accept proto icmp icmp-type echo-request
accept proto icmpv6 icmp-type 128
default drop
CONF
vd_spawn "$NS_S" "$WORK/sink.log" serving "$TOOLS/flowpush" sink 7000
vd_start "$WORK/soak.conf"

flood() {
	ip netns exec "$NS_C" "$BENCH/flood" -s 10.0.1.100 -d 10.0.2.2 "$@" >/dev/null
}

# Capacity: new flows delivered a second, flooding without a limit for 3 s.
a=$(rx)
flood -p 9 -t 3
sleep 0.5
b=$(rx)
capacity=$(((b - a) / 3))
rate=$((capacity * SOAK_LOAD / 100))
echo "# capacity $capacity new flows/s; soak at $SOAK_LOAD%: $rate/s new + $rate/s established, ${SOAK_SECONDS}s"

# The 64 established flows, seen both ways first.
flood -p 9 -F 64 -n 64
ip netns exec "$NS_S" "$BENCH/flood" -s 10.0.2.2 -d 10.0.1.100 -p 9 -R -F 64 -n 64 >/dev/null

load_pids=""
bg() { "$@" & load_pids="$load_pids $!"; vd_pids="$vd_pids $!"; }
bg flood -p 9 -t "$SOAK_SECONDS" -r "$rate"
bg flood -p 9 -F 64 -t "$SOAK_SECONDS" -r "$rate"
end=$(($(date +%s) + SOAK_SECONDS))
# loop_until_end CMD...: runs CMD again and again until the soak ends.
loop_until_end() {
	while [ "$(date +%s)" -lt "$end" ]; do "$@" >/dev/null 2>&1; done
}
storm_round() {
	ip netns exec "$NS_C" "$TOOLS/flowpush" storm 10.0.2.2 7000 1
	ip netns exec "$NS_C" "$TOOLS/flowpush" storm 10.0.2.2 7001 1
	sleep 1
}
FW_MAC=$(ip -n "$NS_F" -o link show f0 | grep -o 'link/ether [0-9a-f:]*' | awk '{ print $2 }')
seed=0
malformed_round() {
	seed=$((seed + 1))
	ip netns exec "$NS_C" "$TOOLS/hdrpkt" send "$seed" 200 1000 c0 "$FW_MAC"
	sleep 1
}
control_round() {
	"$VERDICTCTL" trace -s "$WORK/control.sock" "udp 10.0.1.2:5000 10.0.2.2:9" \
		"tcp 10.0.1.3:5000 10.0.2.2:7001"
	sleep 0.2
}
set_round() {
	in_f ipset add soakban 10.0.1.77 -exist
	sleep 0.25
	in_f ipset del soakban 10.0.1.77 -exist
	sleep 0.25
}
bg loop_until_end storm_round
bg loop_until_end malformed_round
bg loop_until_end control_round
bg loop_until_end set_round

echo "seconds,rss_kib,fds,packets,waiting,queue_dropped,user_dropped" >"$OUT/soak.csv"
t0=$(date +%s)
while [ "$(date +%s)" -lt "$end" ]; do
	sleep 10
	kill -USR1 "$VD_PID"
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$VD_PID/status")
	fds=$(ls "/proc/$VD_PID/fd" | wc -l)
	pk=$(grep -o "queue 0: packets [0-9]*" "$VD_LOG" | tail -n 1 | awk '{ print $4 }')
	echo "$(($(date +%s) - t0)),$rss,$fds,${pk:-0},$(queue_field 0 3),$(queue_field 0 6),$(queue_field 0 7)" \
		>>"$OUT/soak.csv"
done
for pid in $load_pids; do wait "$pid" 2>/dev/null; done
vd_stop
sleep 0.2

final=$(grep "final: queue 0:" "$VD_LOG")
field() { echo "$final" | grep -o " $1 [0-9]*" | head -n 1 | awk '{ print $2 }'; }
packets=$(field packets)
echo "# $final"
check "verdictd exits 0" test "$VD_STATUS" = 0
vd_check_answered
check "no receive overrun (enobufs $(field enobufs))" test "$(field enobufs)" = 0
read -r rss1 rss2 fd1 fd2 <<<"$(awk -F, -v last="$((SOAK_SECONDS - 60))" '
	NR > 1 && $1 <= 60 { r1 += $2; if (!n1 || $3 < f1) f1 = $3; n1++ }
	NR > 1 && $1 > last { r2 += $2; if (!n2 || $3 < f2) f2 = $3; n2++ }
	END { printf "%d %d %d %d\n", n1 ? r1 / n1 : 0, n2 ? r2 / n2 : 0, f1, f2 }' "$OUT/soak.csv")"
check "RSS flat: first minute $rss1 KiB, last minute $rss2 KiB" \
	test "$rss2" -le $((rss1 + rss1 / 20 + 1024))
check "descriptors flat: $fd1 then $fd2" test "$fd1" = "$fd2"
echo "# soak: ${SOAK_SECONDS}s at $SOAK_LOAD% of $capacity new flows/s ($VD_TRANSPORT transport);" \
	"$packets packets judged; RSS $rss1 -> $rss2 KiB; fds $fd1 -> $fd2; samples in $OUT/soak.csv"
vd_done
