#!/bin/bash
# verdictd answers as the kernel's own matches would, for any header layout
# (issue 11, parts 1 and 4): a differential test through the real kernel.
#
# tests/hdrpkt makes pseudo-random packets of many layouts (IPv4 with and
# without options; IPv6 with hop-by-hop, destination options of 8 bytes to
# 2 KB, routing, fragment and AH headers, chains cut short, no next header;
# TCP, UDP, ICMP, SCTP, UDP-Lite, DCCP headers whole, truncated or with
# odd data offsets; other protocols) and sends each, as the same Ethernet
# frame, through two firewalls side by side:
#   - NS_F: verdictd with the policy (copy-range 128), behind the fixed
#     rules it prints (--print-rules, loaded with iptables-restore --noflush);
#   - NS_I: the same policy written as plain iptables-legacy/ip6tables-legacy
#     rules, the kernel's own matches (xt_tcpudp, xt_sctp, xt_dccp, icmp,
#     icmp6, xt_set), which hotdrop a packet whose transport header is
#     shorter than the protocol's and, in ip6tables, a -p rule's packet whose
#     extension header chain cannot be walked.
# The sink captures on both links which packets (tags) arrived. A packet
# whose headers lie within the copy range must get the same answer on both
# paths; one the copy range cuts (its needed headers end past byte 128)
# must get the same answer or the on-error verdict. Each round has its own
# tags, one flow each (the source address holds the tag), so no conntrack
# entry of one packet decides another.
#
# Topology:
#   C c0 --- f0 F f1 --- s0 S      10.0.1.0/24 10.0.2.0/24  fd00:1:: fd00:2::
#   C c1 --- i0 I i1 --- s1 S      10.0.3.0/24 10.0.4.0/24  fd00:3:: fd00:4::
# Sources 10.1.0.0/16 and fd00:1:0:1::/64, destinations 10.9.0.1-3 and
# fd00:9::1-3 (routed to the sink, which owns none of them: the capture
# sees them before IP does). MTU 9000: the 2 KB headers fit.
#
# HDR_SEEDS (default "1 2 3"), HDR_N (packets per round, default 1200),
# HDR_POLICIES (default "block allow"; "open" is below).
. "$(dirname "$0")/lib.sh"

HDRPKT=${HDRPKT:-$(cd "$builddir" && pwd)/tests/hdrpkt}
# The reference: x_tables, whose matches hotdrop (iptables-nft translates
# port matches to nft payload expressions, which do not).
REF4=iptables-legacy
REF6=ip6tables-legacy
SEEDS=${HDR_SEEDS:-1 2 3}
N=${HDR_N:-1200}
RANGE=128
for tool in "$REF4-restore" "$REF6-restore" "$HDRPKT"; do
	command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: $TEST needs $tool"; exit 77; }
done

vd_topology_pair

# The sets, the same in both firewalls.
for ns in "$NS_F" "$NS_I"; do
	ip netns exec "$ns" ipset restore <<SETS || exit 99
create svc hash:ip,port family inet
add svc 10.9.0.2,tcp:22
add svc 10.9.0.2,udp:53
add svc 10.9.0.1,icmp:echo-reply
add svc 10.9.0.2,sctp:9
add svc 10.9.0.1,udplite:9
add svc 10.9.0.1,33:0
add svc 10.9.0.3,253:0
create svc6 hash:ip,port family inet6
add svc6 fd00:9::3,tcp:22
add svc6 fd00:9::3,udp:53
add svc6 fd00:9::2,tcp:8080
add svc6 fd00:9::1,icmpv6:echo-reply
add svc6 fd00:9::2,udplite:9
add svc6 fd00:9::2,sctp:55
add svc6 fd00:9::3,253:0
SETS
done

# --- the policies: verdictd's, and the same as x_tables rules --------------
# Policy "block": default accept, drop rules. A packet a port or ICMP rule
# reaches with its transport header cut short is dropped (hotdrop).
# Policy "allow": default drop, accept rules, proto-only rules after port
# rules (a truncated header hotdrops at the port rule before them).
# Both start IPv6 with a rule that drops what the fixed rules' neighbour
# discovery lines (-p ipv6-icmp -m icmp6) might drop before the queue: a
# truncated ICMPv6 header, so that this test is about the daemon.
# UDP-Lite ports go through the ip,port set only: iptables has no udplite
# match extension to write the reference with.
policy_block() {
	cat <<'CONF'
drop dst fd00:9::3 set !@svc6 dst,dst
drop proto tcp dport 80
drop src 10.1.0.0/18 proto udp dport 53
drop dst fd00:9::1 proto udp dport 53
drop proto tcp sport 1000-1999 dport !443
drop set @svc dst,dst
drop set @svc6 dst,dst
drop proto sctp dport 9
drop proto dccp sport 9
drop family inet proto icmp icmp-type echo-request
drop family inet proto icmp icmp-type destination-unreachable/1
drop family inet6 proto icmpv6 icmp-type echo-request
drop proto 253 dst 10.9.0.2
drop proto 253 dst fd00:9::2
drop dst 10.9.0.3 proto tcp
drop dst fd00:9::2 proto udp
default accept
CONF
}
ref_block4() {
	cat <<'RULES'
-A FORWARD -p tcp -m tcp --dport 80 -j DROP
-A FORWARD -s 10.1.0.0/18 -p udp -m udp --dport 53 -j DROP
-A FORWARD -p tcp -m tcp --sport 1000:1999 ! --dport 443 -j DROP
-A FORWARD -m set --match-set svc dst,dst -j DROP
-A FORWARD -p sctp -m sctp --dport 9 -j DROP
-A FORWARD -p dccp -m dccp --sport 9 -j DROP
-A FORWARD -p icmp -m icmp --icmp-type 8 -j DROP
-A FORWARD -p icmp -m icmp --icmp-type 3/1 -j DROP
-A FORWARD -d 10.9.0.2 -p 253 -j DROP
-A FORWARD -d 10.9.0.3 -p tcp -j DROP
-A FORWARD -j ACCEPT
RULES
}
ref_block6() {
	cat <<'RULES'
-A FORWARD -d fd00:9::3 -m set ! --match-set svc6 dst,dst -j DROP
-A FORWARD -p tcp -m tcp --dport 80 -j DROP
-A FORWARD -d fd00:9::1 -p udp -m udp --dport 53 -j DROP
-A FORWARD -p tcp -m tcp --sport 1000:1999 ! --dport 443 -j DROP
-A FORWARD -m set --match-set svc6 dst,dst -j DROP
-A FORWARD -p sctp -m sctp --dport 9 -j DROP
-A FORWARD -p dccp -m dccp --sport 9 -j DROP
-A FORWARD -p ipv6-icmp -m icmp6 --icmpv6-type 128 -j DROP
-A FORWARD -d fd00:9::2 -p 253 -j DROP
-A FORWARD -d fd00:9::2 -p udp -j DROP
-A FORWARD -j ACCEPT
RULES
}
policy_allow() {
	cat <<'CONF'
accept proto tcp dport 22,443
accept src 10.1.0.0/17 proto udp dport !50-60
accept family inet6 proto udp dport 53,5353
accept family inet6 proto icmpv6 icmp-type echo-reply
accept family inet proto icmp icmp-type echo-request
accept set @svc dst,dst
accept dst fd00:9::2 set !@svc6 dst,dst
accept proto sctp sport 9
accept proto dccp dport !9
accept proto tcp dst 10.9.0.1
accept proto tcp dst fd00:9::1
accept proto udplite
accept proto 253
accept dst 10.9.0.3
default drop
CONF
}
ref_allow4() {
	cat <<'RULES'
-A FORWARD -p tcp -m tcp --dport 22 -j ACCEPT
-A FORWARD -p tcp -m tcp --dport 443 -j ACCEPT
-A FORWARD -s 10.1.0.0/17 -p udp -m udp ! --dport 50:60 -j ACCEPT
-A FORWARD -p icmp -m icmp --icmp-type 8 -j ACCEPT
-A FORWARD -m set --match-set svc dst,dst -j ACCEPT
-A FORWARD -p sctp -m sctp --sport 9 -j ACCEPT
-A FORWARD -p dccp -m dccp ! --dport 9 -j ACCEPT
-A FORWARD -d 10.9.0.1 -p tcp -j ACCEPT
-A FORWARD -p udplite -j ACCEPT
-A FORWARD -p 253 -j ACCEPT
-A FORWARD -d 10.9.0.3 -j ACCEPT
-A FORWARD -j DROP
RULES
}
ref_allow6() {
	cat <<'RULES'
-A FORWARD -p tcp -m tcp --dport 22 -j ACCEPT
-A FORWARD -p tcp -m tcp --dport 443 -j ACCEPT
-A FORWARD -p udp -m udp --dport 53 -j ACCEPT
-A FORWARD -p udp -m udp --dport 5353 -j ACCEPT
-A FORWARD -p ipv6-icmp -m icmp6 --icmpv6-type 129 -j ACCEPT
-A FORWARD -d fd00:9::2 -m set ! --match-set svc6 dst,dst -j ACCEPT
-A FORWARD -p sctp -m sctp --sport 9 -j ACCEPT
-A FORWARD -p dccp -m dccp ! --dport 9 -j ACCEPT
-A FORWARD -d fd00:9::1 -p tcp -j ACCEPT
-A FORWARD -p udplite -j ACCEPT
-A FORWARD -p 253 -j ACCEPT
-A FORWARD -j DROP
RULES
}

# Policy "open" (not run unless HDR_POLICIES names it): "allow" after a
# first rule that accepts IPv6 to fd00:9::3 on the address alone. The
# kernel accepts a truncated ICMPv6 header there, and (no -p) a chain cut
# short; the fixed rules' neighbour discovery lines hotdrop the first
# before the queue (and, loaded with ip6tables-legacy, whose -p walks the
# chain, the second): disagreements that are the fixed rules', not the
# daemon's.
policy_open() { echo "accept dst fd00:9::3"; policy_allow; }
ref_open4() { ref_allow4; }
ref_open6() { echo "-A FORWARD -d fd00:9::3 -j ACCEPT"; ref_allow6; }

# capture IFACE OUT: the sink's capture, started and ready; CAP_PID.
capture() {
	vd_spawn "$NS_S" "$2" listening "$HDRPKT" recv "$1"
	CAP_PID=$BG_PID
}

# compare LIST REF VD ONERR: one line per disagreement, then a summary
# line "S fam class total refdelivered vddelivered agree onerror disagree".
compare() {
	awk -v onerr="$4" '
		FILENAME == ARGV[1] { ref[$1] = 1; next }
		FILENAME == ARGV[2] { vd[$1] = 1; next }
		{
			t = $1; k = $2 " " $3; total[k]++
			r = (t in ref); v = (t in vd)
			rd[k] += r; vdd[k] += v
			if (r == v) { agree[k]++; next }
			if ($3 == "cut" && v == (onerr == "accept")) { oe[k]++; next }
			dis[k]++
			line = $0; sub(/^[^ ]+ [^ ]+ [^ ]+ /, "", line)
			printf "D %s %s kernel=%s verdictd=%s %s\n", t, k, r ? "delivered" : "dropped", \
				v ? "delivered" : "dropped", line
		}
		END {
			for (k in total)
				printf "S %s %d %d %d %d %d %d\n", k, total[k], rd[k], vdd[k], agree[k], oe[k], dis[k]
		}' "$2" "$3" "$1"
}

total_dis_in=0
total_dis_cut=0
round=0
for pol in ${HDR_POLICIES:-block allow}; do
	for onerr in drop accept; do
		for seed in $SEEDS; do
			# on-error accept once, with the first seed: it shows a packet
			# refused although its headers were all there.
			if [ "$onerr" = accept ] && [ "$seed" != "${SEEDS%% *}" ]; then continue; fi
			round=$((round + 1))
			base=$((1 + (round - 1) * N))
			name="$pol policy, on-error $onerr, seed $seed"
			{
				echo "queue 0"
				echo "copy-range $RANGE"
				echo "on-error $onerr"
				echo "set svc hash:ip,port family inet"
				echo "set svc6 hash:ip,port family inet6"
				policy_$pol
			} >"$WORK/verdictd.conf"
			"$VERDICTD" -t -c "$WORK/verdictd.conf" >"$WORK/t.out" 2>&1 ||
				{ not_ok "$name: verdictd -t accepts the policy"; sed 's/^/#   /' "$WORK/t.out"; continue; }
			# The reference firewall, from scratch.
			# A conntrack match (in mangle, changing nothing) turns on
			# conntrack and its defrag, as the fixed rules' connmark
			# matches do on the other path: both see reassembled packets
			# and neither a lone fragment.
			for f in 4 6; do
				{
					echo "*mangle"; echo ":PREROUTING ACCEPT [0:0]"
					echo "-A PREROUTING -m conntrack --ctstate INVALID"; echo COMMIT
					echo "*filter"; echo ":FORWARD ACCEPT [0:0]"; ref_$pol$f; echo COMMIT
				} >"$WORK/ref$f"
			done
			ip netns exec "$NS_I" "$REF4-restore" <"$WORK/ref4" || exit 99
			ip netns exec "$NS_I" "$REF6-restore" <"$WORK/ref6" || exit 99
			# verdictd's firewall, from scratch.
			for t in "$IPT" "$IP6T"; do
				ip netns exec "$NS_F" "$t" -F
				ip netns exec "$NS_F" "$t" -X
			done
			"$VERDICTD" --print-rules=ipv4 -c "$WORK/verdictd.conf" >"$WORK/fixed4" &&
				"$VERDICTD" --print-rules=ipv6 -c "$WORK/verdictd.conf" >"$WORK/fixed6" || exit 99
			ip netns exec "$NS_F" "$IPT-restore" --noflush <"$WORK/fixed4" || exit 99
			ip netns exec "$NS_F" "$IP6T-restore" --noflush <"$WORK/fixed6" || exit 99
			for ns in "$NS_F" "$NS_I"; do
				ip netns exec "$ns" conntrack -F >/dev/null 2>&1
			done
			vd_start "$WORK/verdictd.conf"
			seq0=$(queue_field 0 8)

			"$HDRPKT" list "$seed" "$N" "$base" "$RANGE" >"$WORK/list"
			capture s0 "$WORK/got_vd"; cap_vd=$CAP_PID
			capture s1 "$WORK/got_ref"; cap_ref=$CAP_PID
			t0=$(date +%s%N)
			ip netns exec "$NS_C" "$HDRPKT" send "$seed" "$N" "$base" c0 "$MAC_F" c1 "$MAC_I" 2>"$WORK/send.err" ||
				{ not_ok "$name: packets sent"; sed 's/^/#   /' "$WORK/send.err"; }
			sleep 1
			kill -TERM $cap_vd $cap_ref
			wait $cap_vd $cap_ref
			grep -v listening "$WORK/got_vd" >"$WORK/got_vd.n"
			grep -v listening "$WORK/got_ref" >"$WORK/got_ref.n"
			queued=$(( $(queue_field 0 8) - seq0 ))
			compare "$WORK/list" "$WORK/got_ref.n" "$WORK/got_vd.n" "$onerr" >"$WORK/cmp"

			dis_in=$(awk '$1 == "S" && $3 == "in" { s += $9 } END { print s + 0 }' "$WORK/cmp")
			dis_cut=$(awk '$1 == "S" && $3 == "cut" { s += $9 } END { print s + 0 }' "$WORK/cmp")
			ref_n=$(wc -l <"$WORK/got_ref.n")
			vd_n=$(wc -l <"$WORK/got_vd.n")
			echo "# $name: $N packets, $queued queued, kernel delivered $ref_n, verdictd $vd_n (sent and captured in $((($(date +%s%N) - t0) / 1000000)) ms)"
			sort -k2,3 "$WORK/cmp" | awk '$1 == "S" {
				printf "#   %s %-3s: %4d packets, kernel delivered %4d, verdictd %4d; agree %4d, on-error %3d, disagree %3d\n",
					$2, $3, $4, $5, $6, $7, $8, $9 }'
			check "$name: the kernel path delivered some and dropped some ($ref_n of $N)" \
				test "$ref_n" -gt $((N / 10)) -a "$ref_n" -lt $((N * 9 / 10))
			check "$name: every packet with its headers within $RANGE bytes judged as the kernel does ($dis_in disagree)" \
				test "$dis_in" = 0
			check "$name: every packet cut by the copy range judged as the kernel does or given on-error $onerr ($dis_cut otherwise)" \
				test "$dis_cut" = 0
			grep '^D' "$WORK/cmp" | sort -k3,4 -k1n | awk '{ n[$3 $4]++ } n[$3 $4] <= 12' |
				sed 's/^D /#     /'
			check "$name: queue_dropped 0, user_dropped 0" \
				test "$(queue_field 0 6)/$(queue_field 0 7)" = 0/0
			total_dis_in=$((total_dis_in + dis_in))
			total_dis_cut=$((total_dis_cut + dis_cut))
			vd_stop
			check "$name: verdictd exits 0" test "$VD_STATUS" = 0
			cp "$WORK/cmp" "$WORK/cmp.$round"
		done
	done
done
echo "# disagreements: $total_dis_in within the copy range, $total_dis_cut cut by it and not on-error"
vd_done
