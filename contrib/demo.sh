#!/bin/bash
# demo.sh - on a fresh Debian 12, as root: installs what is needed, builds
# verdictd, and shows it at work on a small firewall made of network
# namespaces (client -> firewall -> server). It prints what each connection
# attempt got, the conntrack mark the kernel keeps for it, and how few
# packets had to leave the kernel. Everything it creates is removed at exit.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

contrib/deps.sh || exit 1
if [ ! -x build/verdictd ] || [ ! -x build/tests/probe ]; then
	echo "demo: building verdictd ..."
	autoreconf -fi >/dev/null 2>&1 && mkdir -p build && cd build &&
		{ [ -f Makefile ] || ../configure -q; } && make -s -j"$(nproc)" >/dev/null &&
		make -s tests/probe >/dev/null || { echo "demo: build failed"; exit 1; }
	cd "$top"
fi
export top_srcdir=$top top_builddir=$top/build
# The test library builds the namespaces and cleans up on exit.
. "$top/tests/integration/lib.sh"

vd_topology
vd_rules
vd_serve 80,443,23,53,8080
cat >"$WORK/verdictd.conf" <<'CONF'
# A small office firewall. Sets live in the kernel (ipset): fail2ban or an
# operator edits them; the policy stays as it is.
queue 0
set banned  hash:ip family inet
set banned6 hash:ip family inet6
set web     bitmap:port
drop   src @banned
drop   src @banned6
accept proto tcp dport @web
reject proto tcp dport 23
mark   0x100 proto udp dport 53
accept proto icmp   icmp-type echo-request
accept proto icmpv6 icmp-type echo-request
default drop
CONF
in_f ipset -q create banned hash:ip family inet
in_f ipset -q create banned6 hash:ip family inet6
in_f ipset -q create web bitmap:port range 0-65535
in_f ipset add banned 10.0.1.3
in_f ipset add banned6 fd00:1::3
in_f ipset add web 80
in_f ipset add web 443

echo
echo "== The policy (verdictd.conf)"
sed -n '/^[a-z]/p' "$WORK/verdictd.conf" | sed 's/^/   /'
echo
echo "== The kernel rule set: $(grep -c '^-A' "$RULES/verdictd-ipv4.rules") iptables rules, whatever the policy's size"
echo "   (rules/verdictd-ipv4.rules; sets: banned = {10.0.1.3}, banned6 = {fd00:1::3}, web = {80, 443})"
vd_start "$WORK/verdictd.conf"
echo
echo "== Connection attempts from the client, through the firewall, to the server"
printf '   %-44s %-10s %s\n' "attempt" "result" "conntrack mark on the firewall"

mark_of() {
	local m
	m=$(ct_mark "$@")
	if [ -z "$m" ]; then echo "(no entry: nothing was let through)"; return; fi
	case $((m & 3)) in
	1) echo "$(printf 0x%x "$m") = accept$([ $((m & ~3)) != 0 ] && printf ' + mark 0x%x' $((m & ~3)))" ;;
	2) echo "$(printf 0x%x "$m") = drop" ;;
	3) echo "$(printf 0x%x "$m") = reject" ;;
	*) echo "$(printf 0x%x "$m") (not judged)" ;;
	esac
}

attempt() {
	local desc=$1 kind=$2 src=$3 dst=$4 port=${5:-} result
	case $kind in
	tcp) in_c "$PROBE" -w 800 -b "$src" tcp "$dst" "$port" 5 >/dev/null 2>&1 ;;
	udp) in_c "$PROBE" -w 800 -b "$src" udp "$dst" "$port" 3 >/dev/null 2>&1 ;;
	ping) in_c ping -c 2 -i 0.2 -W 1 -I "$src" "$dst" >/dev/null 2>&1 ;;
	esac
	case $? in
	0) result=delivered ;;
	1) result=refused ;;
	*) result=dropped ;;
	esac
	local ctargs="--src $src"
	[ "$kind" = ping ] || ctargs="$ctargs -p $kind --dport $port"
	if [ $result = refused ]; then
		printf '   %-44s %-10s %s\n' "$desc" "$result" "(none: the firewall sent a TCP reset)"
	else
		printf '   %-44s %-10s %s\n' "$desc" "$result" "$(mark_of $ctargs)"
	fi
}

attempt "TCP  10.0.1.2 -> 10.0.2.2:80   (web)"        tcp 10.0.1.2 10.0.2.2 80
attempt "TCP  fd00:1::2 -> [fd00:2::2]:443 (web)"     tcp fd00:1::2 fd00:2::2 443
attempt "TCP  10.0.1.2 -> 10.0.2.2:8080 (no rule)"    tcp 10.0.1.2 10.0.2.2 8080
attempt "TCP  10.0.1.3 -> 10.0.2.2:80   (banned)"     tcp 10.0.1.3 10.0.2.2 80
attempt "TCP  fd00:1::3 -> [fd00:2::2]:80 (banned6)"  tcp fd00:1::3 fd00:2::2 80
attempt "TCP  10.0.1.2 -> 10.0.2.2:23   (telnet)"     tcp 10.0.1.2 10.0.2.2 23
attempt "UDP  10.0.1.2 -> 10.0.2.2:53   (dns)"        udp 10.0.1.2 10.0.2.2 53
attempt "UDP  10.0.1.2 -> 10.0.2.2:8080 (no rule)"    udp 10.0.1.2 10.0.2.2 8080
attempt "ping 10.0.1.2 -> 10.0.2.2"                   ping 10.0.1.2 10.0.2.2
attempt "ping fd00:1::2 -> fd00:2::2"                 ping fd00:1::2 fd00:2::2

echo
echo "== A longer conversation: 200 messages on one TCP connection"
seq0=$(queue_field 0 8)
in_c "$PROBE" -b 10.0.1.2 tcp 10.0.2.2 443 200 >/dev/null 2>&1 && echo "   delivered: 200 echoes"
seq1=$(queue_field 0 8)
echo "   packets through the firewall: $(ct_packets -p tcp --dport 443 --src 10.0.1.2)," \
	"of which sent to verdictd: $((seq1 - seq0)); the kernel handled the rest by conntrack mark"

kill -TERM "$VD_PID"
wait "$VD_PID"
echo
echo "== verdictd's own account (its log)"
sed 's/^/   /' "$VD_LOG" | sed 's/ | /\n      /g'
echo
echo "   How to read it: 'packets' were queued to verdictd, each got one verdict"
echo "   (accept / drop / reject / mark); 'verdict-msgs' went out in 'send-calls'"
echo "   system calls; 'kernel:' is the queue as the kernel counts it: nothing"
echo "   waiting, nothing dropped."
