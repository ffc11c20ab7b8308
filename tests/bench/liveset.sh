#!/bin/bash
# liveset.sh - live policy through ipsets (make bench-liveset): what an edit
# costs and how soon it is in force, in namespaces this script makes and
# removes (client -> firewall -> server, tests/integration/lib.sh).
#
# 1. New flows/s through the firewall (every packet the first of its flow)
#    with the kernel alone, and verdictd over a 10,000-entry set and over a
#    1,000,000-entry set, each with set following off (set-poll off) and on
#    (the default): what keeping verdictd's copies current costs a new
#    flow. Rows interleaved in each run; medians of RUNS with the spread;
#    x = ratio to set-poll off over the same set in the same run.
# 2. Edit to enforcement on an existing flow: an open TCP connection's
#    source added to a drop set, until its conntrack entry has the drop
#    verdict; through verdictctl (the command's own time: it returns once
#    in force) and with ipset behind verdictd's back (polled every 10 ms);
#    median and p99 over EDITS edits (EDITS_OOB out of band).
# 3. Revalidation: 10k, 100k and 1M conntrack entries (tests/bench/ctfill),
#    an edit that changes none of them, and one that changes all.
# 4. A 1,000,000-entry set (BIG): verdictd's start (to "ready") and its memory
#    per entry (RSS with it minus RSS with an empty set), an edit through
#    verdictctl, and an edit with ipset until verdictd has it.
. "$(dirname "$0")/lib.sh"
RUNS=${RUNS:-3}
SECONDS_RUN=${SECONDS_RUN:-3}
EDITS=${EDITS:-40}
EDITS_OOB=${EDITS_OOB:-20}
SIZES=${SIZES:-10000 100000 1000000}
BIG=${BIG:-1000000}		# the large set's members
FLOWPUSH=$TOOLS/flowpush

median_p99() {	# numbers on stdin -> "median p99 max n"
	sort -n | awk '{ v[NR] = $1 } END { if (!NR) { print "- - - 0"; exit }
		m = v[int((NR + 1) / 2)]; p = v[int(NR * 0.99 + 0.999)]; printf "%s %s %s %d\n", m, p, v[NR], NR }'
}
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }

# big_set NAME N: a hash:ip set of N addresses in the firewall (10.64.0.0/10).
big_set() {
	{
		echo "create $1 hash:ip family inet hashsize 1048576 maxelem $(($2 * 2)) timeout 0"
		awk -v n="$2" -v s="$1" 'BEGIN { for (i = 0; i < n; i++)
			printf "add %s 10.%d.%d.%d\n", s, 64 + int(i / 65536), int(i / 256) % 256, i % 256 }'
	} | in_f ipset restore
}

vd_topology
in_f sysctl -qw net.netfilter.nf_conntrack_udp_timeout=5
in_s iptables -t raw -A PREROUTING -p udp --dport 9 -j DROP	# the sink counts, then drops
vd_rules
big_set set10k 10000
big_set setbig "$BIG"

conf() {	# conf SET POLL: a policy over SET, set-poll POLL
	printf 'queue 0\nrcvbuf 64M\nset-poll %s\nset %s hash:ip family inet\nset banned hash:ip family inet\n' "$2" "$1"
	printf 'set nets hash:net family inet\ndrop src @%s\ndrop src @banned\ndrop src @nets\n' "$1"
	printf 'accept proto udp dport 9,53\naccept proto tcp dport 7100\ndefault drop\n'
}

# --- 1. new flows/s ---------------------------------------------------------
vd_row() {	# vd_row NAME SET POLL RUN
	conf "$2" "$3" >"$WORK/row.conf"
	vd_start "$WORK/row.conf"
	echo "$4 $1 - $(new_flows_pps)" >>"$WORK/rows"
	vd_stop
}
: >"$WORK/rows"
for run in $(seq "$RUNS"); do
	in_f "$IPT" -F; in_f "$IPT" -X; in_f "$IP6T" -F; in_f "$IP6T" -X
	echo "$run kernel-alone - $(new_flows_pps)" >>"$WORK/rows"
	vd_rules
	vd_row poll-off set10k off "$run"
	vd_row poll-on set10k 500 "$run"
	vd_row poll-off-big setbig off "$run"
	vd_row poll-on-big setbig 500 "$run"
done
{
	echo "# 1. new flows/s delivered, median of $RUNS runs (min-max); x = ratio to poll-off in the same run"
	echo "#    (poll-*: a 10,000-entry set; poll-*-big: a $BIG-entry set)"
	printf "%-14s %6s %22s %8s\n" row "" "pps (min-max)" "x off"
	for r in kernel-alone poll-off poll-on; do
		median_row "$WORK/rows" poll-off "$r"
	done
	printf "%-14s %6s %22s %8s\n" row "" "pps (min-max)" "x off-big"
	for r in poll-off-big poll-on-big; do
		median_row "$WORK/rows" poll-off-big "$r"
	done
} | tee "$WORK/out1"

# --- 2. edit to enforcement -------------------------------------------------
conf set10k 500 >"$WORK/edit.conf"
vd_start "$WORK/edit.conf"
vd_spawn "$NS_S" "$WORK/push.log" serving "$FLOWPUSH" serve 7100
in_c "$FLOWPUSH" tcp 10.0.2.2 7100 300 >/dev/null 2>&1 &
vd_pids="$vd_pids $!"
sleep 1
mark() { in_f conntrack -L -p tcp --orig-src 10.0.1.2 --dport 7100 2>/dev/null | sed -n 's/.* mark=\([0-9]*\).*/\1/p' | head -n 1; }
wait_mark() {	# wait_mark WANT: polls every 10 ms, up to 10 s
	local i
	for i in $(seq 1000); do
		[ "$(mark)" = "$1" ] && return 0
		sleep 0.01
	done
	return 1
}
vctl() { in_f "$VERDICTCTL" set -s "$WORK/control.sock" "$@" >/dev/null; }
: >"$WORK/ctl.ms"; : >"$WORK/oob.ms"
for i in $(seq "$EDITS"); do
	t0=$(date +%s%N)
	vctl add banned 10.0.1.2
	ms=$(ms_since "$t0")
	[ "$(mark)" = 2 ] && echo "$ms" >>"$WORK/ctl.ms" || echo "# verdictctl edit $i: not in force when it returned"
	vctl del banned 10.0.1.2
	wait_mark 1 || echo "# verdictctl del $i: the accept verdict did not come back"
done
for i in $(seq "$EDITS_OOB"); do
	# A random moment of the poll period: the del before was seen at a
	# poll, and an add right after it would always wait a whole period.
	sleep "0.$(printf %03d $((RANDOM % 500)))"
	t0=$(date +%s%N)
	in_f ipset add banned 10.0.1.2
	wait_mark 2 && ms_since "$t0" >>"$WORK/oob.ms" || echo "# ipset add $i: not in force after 10 s"
	in_f ipset del banned 10.0.1.2
	wait_mark 1 || echo "# ipset del $i: the accept verdict did not come back"
done
vd_stop
{
	echo "# 2. edit to enforcement on an open TCP connection, ms: median p99 max (n)"
	read -r m p x n < <(median_p99 <"$WORK/ctl.ms")
	printf "%-28s %6s %6s %6s (%s)\n" "verdictctl set add" "$m" "$p" "$x" "$n"
	read -r m p x n < <(median_p99 <"$WORK/oob.ms")
	printf "%-28s %6s %6s %6s (%s)\n" "ipset add (set-poll 500)" "$m" "$p" "$x" "$n"
} | tee "$WORK/out2"

# --- 3. revalidation --------------------------------------------------------
conf set10k off >"$WORK/reval.conf"
vd_start "$WORK/reval.conf"
{
	echo "# 3. revalidation: conntrack entries verdictd judged, ms (the command's own report):"
	echo "#    one host's element (two filtered dumps), a prefix that changes none, one that changes all"
	printf "%-10s %12s %14s %18s %10s\n" entries "host edit" "none changes" "all change" "ctfill s"
	revalidated() {
		in_f "$VERDICTCTL" set -s "$WORK/control.sock" "$@" |
			sed -n 's/.*revalidated in \([0-9]*\) ms: \([0-9]*\) changed.*/\1 (\2)/p'
	}
	for n in $SIZES; do
		in_f conntrack -F >/dev/null 2>&1
		fill=$(in_f "$BENCH/ctfill" "$n" 1 | awk '{ print $6 }')
		host=$(revalidated add banned 10.8.0.5)
		none=$(revalidated add nets 192.0.2.0/24)
		all=$(revalidated add nets 10.8.0.0/16)
		vctl del nets 10.8.0.0/16
		vctl del nets 192.0.2.0/24
		vctl del banned 10.8.0.5
		printf "%-10s %12s %14s %18s %10s\n" "$n" "$host" "$none" "$all" "$fill"
	done
	in_f conntrack -F >/dev/null 2>&1
} | tee "$WORK/out3"
vd_stop

# --- 4. a large set ---------------------------------------------------------
conf set10k off | sed 's/set10k/empty/' >"$WORK/empty.conf"
vd_start "$WORK/empty.conf"
rss0=$(rss_kib "$VD_PID")
vd_stop
conf setbig 500 >"$WORK/big.conf"
t0=$(date +%s%N)
vd_start "$WORK/big.conf"
start_ms=$(ms_since "$t0")
rss1=$(rss_kib "$VD_PID")
t0=$(date +%s%N)
vctl add setbig 10.0.1.2
ctl_ms=$(ms_since "$t0")
vctl del setbig 10.0.1.2
t0=$(date +%s%N)
in_f ipset add setbig 10.0.1.3
oob_ms=""
for i in $(seq 1000); do
	in_f "$VERDICTCTL" trace -s "$WORK/control.sock" "udp 10.0.1.3:5 10.0.2.2:9" 2>/dev/null |
		grep -q drop && { oob_ms=$(ms_since "$t0"); break; }
	sleep 0.01
done
vd_stop
{
	echo "# 4. a $BIG-entry hash:ip set"
	echo "start to ready          $start_ms ms (includes the process start and the fixed work of an empty policy)"
	echo "memory                  $(((rss1 - rss0) * 1024 / BIG)) bytes per entry (RSS $rss0 -> $rss1 KiB)"
	echo "verdictctl set add      $ctl_ms ms (in force, revalidation included)"
	echo "ipset add, until seen   ${oob_ms:-not within 10 s} ms (header poll 500 ms, then the set read whole)"
} | tee "$WORK/out4"
