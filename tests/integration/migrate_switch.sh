#!/bin/bash
# migrate_switch.sh - README's switch-over ("Migrating an iptables
# firewall", step 4), for real in the firewall namespace: a host whose
# INPUT and OUTPUT policies are DROP, with a loopback accept, OUTPUT
# rules, an INVALID drop and a nat table (DNAT and MASQUERADE). Every
# check runs under the old iptables rules, then after the documented
# procedure (iptables-save, verdictctl import -o, ipset restore, ONE
# iptables-restore of the written file, verdictd) and must come out the
# same: loopback works, OUTPUT allows and blocks what it did, the nat
# table is kept and still translates, INPUT and FORWARD decide as before
# (now through verdictd).
. "$(dirname "$0")/lib.sh"

VERDICTCTL=$(cd "$builddir" && pwd)/verdictctl

vd_topology
cat >"$WORK/old.rules" <<'RULES'
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -i f0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.0.2.2:7001
-A POSTROUTING -o f1 -j MASQUERADE
COMMIT
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT DROP [0:0]
:out-allow - [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -m conntrack --ctstate INVALID -j DROP
-A INPUT -p tcp -m tcp --dport 7000 -j ACCEPT
-A INPUT -p icmp -m icmp --icmp-type 8 -j ACCEPT
-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -i f0 -o f1 -p tcp -m tcp --dport 7001 -j ACCEPT
-A FORWARD -i f0 -o f1 -p tcp -m tcp --dport 7002 -j REJECT --reject-with tcp-reset
-A OUTPUT -o lo -j ACCEPT
-A OUTPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A OUTPUT -j out-allow
-A out-allow -p tcp -m tcp --dport 7001 -j ACCEPT
-A out-allow -p icmp -j ACCEPT
COMMIT
RULES
in_f "$IPT-restore" <"$WORK/old.rules" || exit 99
vd_serve 7000,7001,7002,7003
ip netns exec "$NS_F" "$PROBE" serve 7000,7009 >"$WORK/serve_f.log" 2>&1 &
vd_pids="$vd_pids $!"
sleep 0.3

# probe_is WANT DESC CMD...: probe's exit status (0 answered, 1 refused or
# rejected, 2 timed out).
probe_is() {
	local want=$1 desc=$2 got
	shift 2
	"$@" >/dev/null 2>&1
	got=$?
	check "$phase: $desc (probe exit $got, want $want)" test "$got" = "$want"
}

checks() {
	probe_is 0 "loopback TCP to this host's own port 7009" in_f "$PROBE" -w 500 tcp 127.0.0.1 7009 1
	check "$phase: loopback ping" sh -c "ip netns exec $NS_F ping -c 1 -W 1 127.0.0.1 >/dev/null"
	probe_is 0 "OUTPUT: this host reaches the server's port 7001" in_f "$PROBE" -w 500 tcp 10.0.2.2 7001 1
	probe_is 2 "OUTPUT: port 7003 stays blocked (OUTPUT policy DROP)" in_f "$PROBE" -w 300 tcp 10.0.2.2 7003 1
	check "$phase: OUTPUT: ping out (OUTPUT rule)" sh -c "ip netns exec $NS_F ping -c 1 -W 1 10.0.2.2 >/dev/null"
	probe_is 0 "INPUT: the client reaches port 7000" in_c "$PROBE" -w 500 tcp 10.0.1.1 7000 1
	probe_is 2 "INPUT: port 7009 from the client dropped (policy DROP)" in_c "$PROBE" -w 300 tcp 10.0.1.1 7009 1
	probe_is 0 "FORWARD: the client reaches the server's 7001" in_c "$PROBE" -w 500 tcp 10.0.2.2 7001 1
	probe_is 1 "FORWARD: 7002 rejected with a reset" in_c "$PROBE" -w 500 tcp 10.0.2.2 7002 1
	probe_is 2 "FORWARD: 7003 dropped" in_c "$PROBE" -w 300 tcp 10.0.2.2 7003 1
	probe_is 0 "nat: the firewall's 8080 reaches the server's 7001 (DNAT)" in_c "$PROBE" -w 500 tcp 10.0.1.1 8080 1
}

phase="old iptables rules"
checks

# The procedure, as README gives it.
in_f iptables-save >"$WORK/fw.save"
in_f ipset save >"$WORK/sets.save"
"$VERDICTCTL" import --ipsets "$WORK/sets.save" -o "$WORK/etc" "$WORK/fw.save" 2>"$WORK/import.log"
check "import: exit 0, every line translated or kept ($(tail -n 2 "$WORK/import.log" | head -n 1))" test $? = 0
sed 's/^/#   /' "$WORK/import.log"
in_f ipset restore -exist <"$WORK/etc/ipsets.restore"
check "one iptables-restore of iptables.restore" in_f "$IPT-restore" <"$WORK/etc/iptables.restore"
"$VERDICTD" --print-rules=ipv4 -c "$WORK/etc/verdictd.conf" >"$WORK/fixed"
check "iptables.restore holds verdictd --print-rules=ipv4's rules, in order" \
	sh -c "grep -e '^-A VERDICTD' -e '^:VERDICTD' -e 'j VERDICTD' '$WORK/fixed' >'$WORK/f1';
	       grep -e '^-A VERDICTD' -e '^:VERDICTD' -e 'j VERDICTD' '$WORK/etc/iptables.restore' >'$WORK/f2';
	       cmp -s '$WORK/f1' '$WORK/f2'"
vd_start "$WORK/etc/verdictd.conf"
seq0=$(queue_field 0 8)

phase="verdictd"
checks
check "$phase: the nat table kept" sh -c "ip netns exec '$NS_F' iptables -t nat -S | grep -q 'DNAT --to-destination 10.0.2.2:7001'"
check "$phase: INPUT and OUTPUT policies kept DROP" sh -c "ip netns exec '$NS_F' iptables -S | grep -q -x -e '-P INPUT DROP' &&
	ip netns exec '$NS_F' iptables -S | grep -q -x -e '-P OUTPUT DROP'"
check "$phase: the INVALID drop kept before the jump to VERDICTD" sh -c "ip netns exec '$NS_F' iptables -S INPUT |
	grep -n -e INVALID -e VERDICTD | head -n 1 | grep -q INVALID"
queued=$(( $(queue_field 0 8) - seq0 ))
check "$phase: the client's new flows went through verdictd ($queued queued)" test "$queued" -ge 6
vd_stop
vd_done
