#!/bin/bash
# verdictctl set: an edit made through verdictd is in force, in the kernel
# and in verdictd's copy, for new and existing connections, when the
# command returns; IPv4 and IPv6, hash:ip, hash:net with nomatch, timeouts
# that expire, restore and swap; and what an operator gets wrong.
. "$(dirname "$0")/lib.sh"
vd_start_sets

vctl() { in_f "$VERDICTCTL" set -s "$WORK/control.sock" "$@"; }
tcp_from() { in_c "$PROBE" -w 800 -b "$1" tcp "${2:-10.0.2.2}" 7000 1 >/dev/null 2>&1; }
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

# 1. An add through verdictd cuts the host's open connections (IPv4 and
#    IPv6, TCP and UDP) by the time the command returns.
pids=""
for f in "tcp 10.0.2.2" "udp 10.0.2.2" "tcp fd00:2::2" "udp fd00:2::2"; do
	set -- $f
	in_c "$FLOWPUSH" "$1" "$2" 7100 5 >"$WORK/$1-$2.out" 2>&1 &
	pids="$pids $!"
done
vd_pids="$vd_pids $pids"
sleep 1.5
t0=$(date +%s%N)
vctl add banned 10.0.1.2 >"$WORK/add.out" 2>&1
rc=$?
t4=$(ms_since "$t0")
m4=$(ct_mark -p tcp --orig-src 10.0.1.2 --dport 7100)
# The client's IPv6 source is the kernel's choice among its two addresses.
src6=$(ct_entries -f ipv6 -p tcp --dport 7100 | grep -o 'src=[^ ]*' | head -n 1 | cut -d= -f2)
t0=$(date +%s%N)
vctl add banned6 "$src6" >>"$WORK/add.out" 2>&1
rc6=$?
t6=$(ms_since "$t0")
m6=$(ct_mark -f ipv6 -p tcp --orig-src "$src6" --dport 7100)
check "verdictctl set add banned 10.0.1.2 exits 0 after $t4 ms: $(head -1 "$WORK/add.out")" test "$rc" = 0
check "... and the open TCP connection has the drop verdict when it returns (mark $m4)" test "$m4" = 2
check "verdictctl set add banned6 $src6: drop verdict after $t6 ms (mark $m6): $(tail -1 "$WORK/add.out")" \
	test "$rc6" = 0 -a "$m6" = 2
check "the kernel set has the element too" in_f ipset test banned 10.0.1.2
for pid in $pids; do wait "$pid"; done
for f in tcp-10.0.2.2 udp-10.0.2.2 tcp-fd00:2::2 udp-fd00:2::2; do
	check "$f flow stopped: $(cat "$WORK/$f.out")" awk '{ exit !($6 == 0) }' "$WORK/$f.out"
done
expect_status 2 "a new connection from 10.0.1.2 is refused" tcp_from 10.0.1.2
expect_status 2 "... and from $src6" tcp_from "$src6" fd00:2::2
expect_status 0 "10.0.1.3 still connects" tcp_from 10.0.1.3
expect_status 0 "verdictctl set test: in set, exit 0" vctl test banned 10.0.1.2
expect_status 1 "verdictctl set test: not in set, exit 1" vctl test banned 10.0.1.3

# 2. del lets it back at once, in the kernel and in verdictd.
expect_status 0 "verdictctl set del banned 10.0.1.2" vctl del banned 10.0.1.2
expect_status 0 "... 10.0.1.2 connects when it returns" tcp_from 10.0.1.2
expect_status 0 "del of an element not there is done (as ipset del -exist)" vctl del banned 10.0.1.2
vctl del banned6 "$src6" >/dev/null

# 3. timeout: the element leaves verdictd when it leaves the kernel.
t0=$(date +%s%N)
expect_status 0 "add with timeout 2" vctl add banned 10.0.1.3 timeout 2
expect_status 2 "10.0.1.3 refused while banned" tcp_from 10.0.1.3
gone=""
for i in $(seq 10); do
	sleep 0.1
	tcp_from 10.0.1.3 && { gone=$(ms_since "$t0"); break; }
done
check "10.0.1.3 connects again once its entry expired (${gone:-never} ms after the add)" \
	test -n "$gone" -a "${gone:-0}" -ge 1900

# 4. hash:net with a nomatch exception, as the kernel honours it.
vctl add nets 10.0.1.0/24 >/dev/null
vctl add nets 10.0.1.2 nomatch >"$WORK/nm.out" 2>&1
check "add nets 10.0.1.2 nomatch: $(cat "$WORK/nm.out")" grep -q "^done" "$WORK/nm.out"
expect_status 0 "10.0.1.2 is the exception: it connects" tcp_from 10.0.1.2
expect_status 2 "10.0.1.3, in the /24, is refused" tcp_from 10.0.1.3
in_f ipset add nets 10.0.1.3 nomatch
sleep 1.3
expect_status 0 "a nomatch added with ipset behind verdictd's back is followed too" tcp_from 10.0.1.3
expect_status 0 "flush nets" vctl flush nets
check "the kernel set is empty" test "$(in_f ipset list -t nets | sed -n 's/^Number of entries: //p')" = 0

# 5. restore (one step) and swap.
printf 'add banned 10.0.1.2\nadd banned 10.0.1.3\n' >"$WORK/bans.restore"
expect_status 0 "set restore FILE" vctl restore "$WORK/bans.restore"
expect_status 2 "both restored hosts refused (10.0.1.2)" tcp_from 10.0.1.2
expect_status 2 "... (10.0.1.3)" tcp_from 10.0.1.3
in_f ipset create spare hash:ip family inet
in_f ipset add spare 10.0.1.3
expect_status 0 "set swap banned spare" vctl swap banned spare
expect_status 0 "after the swap 10.0.1.2 connects" tcp_from 10.0.1.2
expect_status 2 "... and 10.0.1.3 is still refused" tcp_from 10.0.1.3

# 6. What an operator gets wrong: a clear error, nothing changed.
expect_status 1 "a set the policy does not have" vctl add nosuch 10.0.1.2
check "... says so" grep -q "not a set of the running policy" "$WORK/last.out"
expect_status 1 "an element that is not an address" vctl add banned 10.0.1.300
check "... ipset's own message: $(cat "$WORK/last.out")" grep -qi "cannot parse\|syntax\|invalid" "$WORK/last.out"
expect_status 1 "an IPv6 address in an IPv4 set" vctl add banned fd00:1::9
expect_status 1 "a restore with a bad line" vctl restore <(printf 'add banned 10.0.1.9\nadd banned nonsense\nadd banned 10.0.1.10\n')
check "... names the line: $(head -n 1 "$WORK/last.out")" grep -q "line 2" "$WORK/last.out"
check "... stops there: the line before it is in force, the one after it is not" \
	sh -c "ip netns exec $NS_F ipset test banned 10.0.1.9 && ! ip netns exec $NS_F ipset test banned 10.0.1.10" 
in_f ipset save banned >"$WORK/saved.restore"
echo "add banned 10.0.1.9" >>"$WORK/saved.restore"
expect_status 0 "a restore of ipset save's output (a create of the set that exists, an element already there)" \
	vctl restore "$WORK/saved.restore"
expect_status 1 "nomatch in a hash:ip set: refused by verdictd, with why" vctl add banned 10.0.1.9 nomatch
check "... $(cat "$WORK/last.out")" grep -q "nomatch is for hash:net" "$WORK/last.out"
expect_status 2 "a usage mistake is verdictctl's own (exit 2)" vctl add banned
expect_status 0 "-s after the words works too" in_f "$VERDICTCTL" set test banned 10.0.1.9 -s "$WORK/control.sock"
expect_status 2 "no daemon at the socket: exit 2" in_f "$VERDICTCTL" set -s "$WORK/nosuch.sock" test banned 10.0.1.2
expect_status 2 "no verb: usage, exit 2" in_f "$VERDICTCTL" set -s "$WORK/control.sock"
check "the daemon still runs" kill -0 "$VD_PID"

vd_stop_clean
vd_done
