#!/bin/bash
# reject is carried out by the kernel (TCP reset, ICMP error); mark VALUE
# lands in the conntrack mark under a custom mark-mask, and the mark bits
# outside verdictd's mask, set by another user, survive.
. "$(dirname "$0")/lib.sh"

vd_topology
cat >"$WORK/verdictd.conf" <<CONF
queue 0
mark-mask 0xff000000
reject proto tcp dport 23
reject proto udp dport 69
mark 0x44000000 proto tcp dport 80
mark 0x44000000 proto udp dport 80
accept proto icmp
accept proto icmpv6
default drop
CONF
"$VERDICTD" -c "$WORK/verdictd.conf" --print-rules=ipv4 >"$WORK/rules4" || exit 99
"$VERDICTD" -c "$WORK/verdictd.conf" --print-rules=ipv6 >"$WORK/rules6" || exit 99
in_f "$IPT-restore" --noflush <"$WORK/rules4" || exit 99
in_f "$IP6T-restore" --noflush <"$WORK/rules6" || exit 99
# Another user of the conntrack mark: its own bits, 0x5 in 0xff.
in_f "$IPT" -t mangle -A PREROUTING -j CONNMARK --set-xmark 0x5/0xff
in_f "$IP6T" -t mangle -A PREROUTING -j CONNMARK --set-xmark 0x5/0xff
vd_serve 23,69,80
vd_start "$WORK/verdictd.conf"

for srv in 10.0.2.2 fd00:2::2; do
	start=$(date +%s%N)
	expect_status 1 "tcp to $srv port 23 is refused (reset from the firewall)" \
		in_c "$PROBE" -w 3000 tcp $srv 23 1
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	check "the refusal came at once (${ms} ms), not after a timeout" test $ms -lt 1500
	expect_status 1 "udp to $srv port 69 gets an ICMP error" \
		in_c "$PROBE" -w 3000 udp $srv 69 1
	expect_status 0 "tcp to $srv port 80 (mark rule) gets through" \
		in_c "$PROBE" tcp $srv 80 10
	mark=$(ct_mark -p tcp --dport 80 --dst $srv)
	check "tcp 80 to $srv: conntrack mark $(printf 0x%x "${mark:-0}") = 0x5 (other user) | 0x44000000 | 0x1000000 (accept)" \
		test "${mark:-0}" = $((0x45000005))
done
vd_stop
check "verdictd exits 0" test "$VD_STATUS" = 0
check "rejects were counted" grep -q "reject [1-9]" "$VD_LOG"
check "no verdict came back as a loop" grep -q "loops 0 " "$VD_LOG"
sed 's/^/# /' "$VD_LOG"
vd_done
