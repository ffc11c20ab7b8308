#!/bin/bash
# Real IPv6 TCP connections whose packets carry a large destination options
# header (issue 11, part 1): the client sets IPV6_DSTOPTS (probe -o BYTES),
# so the TCP header of every packet, the SYN verdictd judges included,
# starts at byte 40 + BYTES. With the default copy range (256) and BYTES of
# 216 or more, verdictd is not given the ports at all.
#
# Policy: drop proto tcp dport 80, accept proto tcp dport 8080, default
# accept. The kernel's own rules would drop port 80 whatever the headers;
# a daemon that judged the cut packet as portless would let it through
# (the default). It must drop it, and can only refuse the port 8080 SYN
# (on-error drop: the missing bytes decide between rule 1 and rule 2);
# with copy-range 4096 it sees the ports: 80 dropped, 8080 connects.
# A rule with no target counts, on the firewall, the SYNs that carry a
# destination options header of exactly BYTES (-m dst --dst-len): the
# header really is on the wire, at that size.
. "$(dirname "$0")/lib.sh"

vd_topology
vd_rules
vd_serve 80,8080

# conf RANGE ONERR: the policy, with copy-range and on-error.
conf() {
	cat >"$WORK/verdictd.conf" <<CONF
queue 0
copy-range $1
on-error $2
drop proto tcp dport 80
accept proto tcp dport 8080
default accept
CONF
}

# counted BYTES PORT: SYNs to PORT seen with a BYTES-long dstopts header.
counted() {
	in_f "$IP6T" -L FORWARD -v -x -n | awk -v c="/* dst$1-$2 */" 'index($0, c) { print $1; f = 1 } END { if (!f) print 0 }'
}
for b in 208 256 1024; do
	for p in 80 8080; do
		in_f "$IP6T" -I FORWARD 1 -p tcp --dport $p --tcp-flags SYN,ACK SYN -m dst --dst-len $b \
			-m comment --comment "dst$b-$p" || exit 99
	done
done

# try WANT DESC BYTES PORT: probe with -o BYTES to port PORT, expect WANT
# (0 connected and echoed, 2 timed out), and the SYN on the wire with it.
try() {
	local want=$1 desc=$2 b=$3 p=$4 before
	before=$(counted "$b" "$p")
	if [ "$b" = 0 ]; then
		expect_status "$want" "$desc" in_c "$PROBE" -w 1500 -b fd00:1::2 tcp fd00:2::2 "$p" 3
	else
		expect_status "$want" "$desc" in_c "$PROBE" -w 1500 -o "$b" -b fd00:1::2 tcp fd00:2::2 "$p" 3
		check "  its SYN crossed the firewall with a $b-byte destination options header" \
			test "$(counted "$b" "$p")" -gt "$before"
	fi
}

# finish: the queue lost nothing, the daemon stops cleanly; its counters.
finish() {
	check "queue_dropped 0, user_dropped 0" test "$(queue_field 0 6)/$(queue_field 0 7)" = 0/0
	vd_stop
	check "verdictd exits 0" test "$VD_STATUS" = 0
	grep "final:" "$VD_LOG" | sed 's/^/# /'
}

conf 256 drop
vd_start "$WORK/verdictd.conf"
try 2 "no dstopts: tcp to port 80 is dropped" 0 80
try 0 "no dstopts: tcp to port 8080 connects" 0 8080
try 2 "dstopts 256 (TCP header at 296, past copy-range 256): port 80 does not connect" 256 80
try 2 "dstopts 1024: port 80 does not connect" 1024 80
try 2 "dstopts 256: port 8080 is refused too (ports not seen: on-error drop)" 256 8080
# TCP header at 248: the ports are within the copy range, the rest of the
# 20-byte header is not, but the packet holds it (its length says so):
# the ports are known, and the packet is judged exactly.
try 2 "dstopts 208 (ports at 248-251, header end 268): port 80 does not connect" 208 80
try 0 "dstopts 208: port 8080 connects (ports seen, the whole header in the packet)" 208 8080
finish
check "the refused SYNs are counted as cut by the copy range" \
	grep -q "final:.* cut [1-9]" "$VD_LOG"

conf 4096 drop
vd_start "$WORK/verdictd.conf"
try 2 "copy-range 4096, dstopts 256: port 80 does not connect" 256 80
try 0 "copy-range 4096, dstopts 256: port 8080 connects" 256 8080
try 2 "copy-range 4096, dstopts 1024: port 80 does not connect" 1024 80
try 0 "copy-range 4096, dstopts 1024: port 8080 connects" 1024 8080
finish

# on-error accept lets what cannot be judged through, without a verdict
# for its flow: the port 80 SYN gets to the server, but the SYN-ACK (no
# destination options: the server sets none) is judged as its flow's
# original direction, port 80, and dropped. The connection still fails.
conf 256 accept
vd_start "$WORK/verdictd.conf"
try 2 "on-error accept, dstopts 256: port 80 still does not connect (SYN passes unjudged, its SYN-ACK is dropped)" 256 80
try 0 "on-error accept, dstopts 256: port 8080 connects" 256 8080
finish
check "the SYN-ACKs were judged as replies" grep -q "final:.* reply [1-9]" "$VD_LOG"
vd_done
