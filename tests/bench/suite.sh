#!/bin/bash
# suite.sh - the benchmark suite (make bench): verdictd against what a
# firewall operator would do instead, side by side in one run, in network
# namespaces this script creates and removes (client -> firewall -> server,
# tests/integration/lib.sh).
#
# Rows (each on a fresh firewall namespace):
#   none            the kernel alone, no rules: the physical limit here
#   legacy-10k      10,000 linear iptables-legacy rules, none matching the
#                   test traffic until the last: stateless (every packet
#                   walks them) and -stateful (ESTABLISHED,RELATED first)
#   nft-10k         the same through iptables (nft backend)
#   ipset-10k       one -m set rule over a 10,000-entry ipset
#   loop            a per-packet NFQUEUE consumer like libnetfilter_queue's
#                   example (tests/bench/nfq_loop.c), behind the fixed rules
#   vd-set          verdictd, "drop src @set" over the same 10,000 entries
#   vd-10k          verdictd, the 10,000 rules of legacy-10k imported by
#                   verdictctl import
#   vd-10           verdictd, a 10-rule policy
#                   (vd-* once per transport: -sock and -ring)
# Columns:
#   steady          pps delivered to the server, 64 established flows
#                   (each seen both ways first: conntrack's ESTABLISHED)
#   new             pps delivered when every packet starts a connection
#   drain A / D     queue rows only: pps draining PACKETS queued while the
#                   consumer was stopped, ACCEPT and DROP verdicts
#   lat med / p99   microseconds from send to arrival for new flows sent at
#                   half of the row's "new" capacity (flood -T, lat)
#   Ir/pkt          queue rows: userspace instructions per packet
#                   (callgrind, difference of two drains)
# Each figure is the median of RUNS runs; "spread" is (max-min)/median.
# Traffic: tests/bench/flood (raw socket, sendmmsg; no package needed, and
# it outruns every firewall here) on CPU 0; consumers on CPU 1.
# Output: the table, OUT/suite.csv and OUT/suite.png (gnuplot).
. "$(dirname "$0")/lib.sh"

RUNS=${RUNS:-3}
SECONDS_RUN=${SECONDS_RUN:-3}
PACKETS=${PACKETS:-30000}
NRULES=${NRULES:-10000}
CALLGRIND=${CALLGRIND:-1}
# IR_ONLY=1: the Ir/pkt column alone (a short run, for before/after
# comparisons of the packet path's instructions; no flood at full speed).
IR_ONLY=${IR_ONLY:-0}
ROWS=${ROWS:-none legacy-10k legacy-10k-stateful nft-10k nft-10k-stateful ipset-10k loop vd-set-sock vd-set-ring vd-10k-sock vd-10k-ring vd-10-sock vd-10-ring}
OUT=${OUT:-$PWD/bench-results}
mkdir -p "$OUT"

# --- the rulesets ----------------------------------------------------------

# Rule i drops UDP from 198.18.i/32 to port 1000+i: the test traffic
# (10.0.1.100+, port 9) meets none of them. Then dport 10 is dropped and
# dport 9 accepted: the last two rules.
linear_rules() {
	local stateful=$1
	echo "*filter"
	echo ":INPUT ACCEPT [0:0]"
	echo ":FORWARD DROP [0:0]"
	echo ":OUTPUT ACCEPT [0:0]"
	[ "$stateful" = 1 ] && echo "-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"
	awk -v n="$NRULES" 'BEGIN { for (i = 0; i < n - 2; i++)
		printf "-A FORWARD -s 198.18.%d.%d/32 -p udp -m udp --dport %d -j DROP\n",
			int(i / 256) % 256, i % 256, 1000 + i }'
	echo "-A FORWARD -p udp -m udp --dport 10 -j DROP"
	echo "-A FORWARD -p udp -m udp --dport 9 -j ACCEPT"
	echo "COMMIT"
}

set_members() {
	echo "create vdbench hash:ip family inet hashsize 16384 maxelem 65536"
	awk -v n="$NRULES" 'BEGIN { for (i = 0; i < n; i++)
		printf "add vdbench 198.19.%d.%d\n", int(i / 256) % 256, i % 256 }'
}

policy_set() {
	printf 'queue 0\nrcvbuf 512M\nset vdbench hash:ip family inet\ndrop src @vdbench\n'
	printf 'drop proto udp dport 10\ndefault accept\n'
}

policy_10() {
	printf 'queue 0\nrcvbuf 512M\n'
	for i in 1 2 3 4 5 6 7; do
		printf 'drop src 198.18.%d.0/24 proto udp dport %d\n' "$i" $((1000 + i))
	done
	printf 'reject proto tcp dport 23\ndrop proto udp dport 10\naccept proto udp dport 9\ndefault drop\n'
}

# --- rows ------------------------------------------------------------------

CONS_PID=""
CONS_KIND=""
# setup ROW: a fresh topology with the row's rules; starts its consumer.
setup() {
	local row=$1 i
	vd_teardown
	vd_topology
	in_s iptables -t raw -A PREROUTING -p udp -j DROP	# the sink counts, then drops
	CONS_PID=""
	CONS_KIND=""
	case $row in
	none) ;;
	legacy-10k) linear_rules 0 | in_f iptables-legacy-restore ;;
	legacy-10k-stateful) linear_rules 1 | in_f iptables-legacy-restore ;;
	nft-10k) linear_rules 0 | in_f iptables-nft-restore ;;
	nft-10k-stateful) linear_rules 1 | in_f iptables-nft-restore ;;
	ipset-10k)
		set_members | in_f ipset restore
		in_f iptables -A FORWARD -m set --match-set vdbench src -j DROP ;;
	loop)
		vd_rules
		CONS_KIND=loop ;;
	vd-set-*)
		set_members | in_f ipset restore
		vd_rules
		policy_set >"$WORK/bench.conf"
		CONS_KIND=vd ;;
	vd-10k-*)
		vd_rules
		linear_rules 0 >"$WORK/linear.save"
		"$VERDICTCTL" import -o "$WORK" "$WORK/linear.save" 2>"$WORK/import.log" ||
			{ echo "import failed:"; cat "$WORK/import.log"; exit 1; }
		{ printf 'queue 0\nrcvbuf 512M\n'; cat "$WORK/verdictd.conf"; } >"$WORK/bench.conf" ;;
	vd-10-*)
		vd_rules
		policy_10 >"$WORK/bench.conf"
		CONS_KIND=vd ;;
	esac
	case $row in vd-10k-*) CONS_KIND=vd ;; esac
	case $row in *-ring) TRANSPORT=ring ;; *) TRANSPORT=socket ;; esac
}

# start_consumer [VERDICT [WRAPPER...]]: the row's consumer on CPU 1.
start_consumer() {
	local verdict=${1:-accept}
	shift 2>/dev/null
	[ -n "$CONS_KIND" ] || return 0
	CONS_LOG=$WORK/consumer.log
	if [ "$CONS_KIND" = loop ]; then
		SPAWN_TRIES=600 vd_spawn "$NS_F" "$CONS_LOG" ": ready" taskset -c 1 "$@" \
			"$BENCH/nfq_loop" -q 0 -v "$verdict"
	else
		SPAWN_TRIES=600 vd_spawn "$NS_F" "$CONS_LOG" ": ready" taskset -c 1 "$@" \
			"$VERDICTD" -c "$WORK/bench.conf" --transport "$TRANSPORT" --control none
	fi
	CONS_PID=$BG_PID
}

stop_consumer() {
	[ -n "$CONS_PID" ] || return 0
	kill -CONT "$CONS_PID" 2>/dev/null
	kill -TERM "$CONS_PID" 2>/dev/null
	wait "$CONS_PID" 2>/dev/null
	CONS_PID=""
}

flood() {
	ip netns exec "$NS_C" taskset -c 0 "$BENCH/flood" -s 10.0.1.100 -d 10.0.2.2 "$@" >/dev/null
}

# established: the 64 flows of the steady state, each seen both ways, so
# that conntrack calls them ESTABLISHED (one-way UDP stays NEW), as the
# flows of a real established connection are.
established() {
	flood -p 9 -F 64 -n 64
	sleep 0.1
	ip netns exec "$NS_S" taskset -c 0 "$BENCH/flood" -s 10.0.2.2 -d 10.0.1.100 -p 9 -R -F 64 -n 64 >/dev/null
	sleep 0.1
}

# delivered FLOOD-ARGS...: pps arriving at the server while flood runs
# (with -F: on established flows).
delivered() {
	local a b
	in_f conntrack -F >/dev/null 2>&1
	case " $* " in *" -F "*) established ;; esac
	a=$(rx)
	flood -p 9 -t "$SECONDS_RUN" "$@"
	sleep 0.2
	b=$(rx)
	echo $(( (b - a) / SECONDS_RUN ))
}

# drain VERDICT: pps of the consumer draining PACKETS queued while stopped.
drain() {
	local port=9 watcher
	[ "$1" = drop ] && port=10
	in_f conntrack -F >/dev/null 2>&1
	kill -STOP "$CONS_PID"
	ip netns exec "$NS_F" "$BENCH/qwatch" drain 0 "$CONS_PID" >"$WORK/qwatch.out" &
	watcher=$!
	flood -p $port -n "$PACKETS"
	wait $watcher
	sed -n 's/.*: \([0-9]*\) pps.*/\1/p' "$WORK/qwatch.out"
}

# latency RATE: "median p99" in microseconds at RATE new flows a second.
latency() {
	local rate=$1 i pid
	in_f conntrack -F >/dev/null 2>&1
	ip netns exec "$NS_S" "$BENCH/lat" s0 $((SECONDS_RUN + 1)) >"$WORK/lat.out" 2>&1 &
	pid=$!
	for i in $(seq 50); do grep -q listening "$WORK/lat.out" && break; sleep 0.1; done
	flood -p 9 -t "$SECONDS_RUN" -r "$rate" -T -b 1
	wait $pid
	tail -n 1 "$WORK/lat.out" | awk '{ print $2, $3 }'
}

# instructions N: userspace instructions of the consumer judging N new flows.
instructions() {
	local n=$1 out=$WORK/callgrind.out seq0 i
	start_consumer accept valgrind --tool=callgrind --callgrind-out-file="$out"
	kill -STOP "$CONS_PID"
	in_f conntrack -F >/dev/null 2>&1
	seq0=$(queue_field 0 8)
	flood -p 9 -n "$n"
	kill -CONT "$CONS_PID"
	for i in $(seq 900); do
		[ $(( $(queue_field 0 8) - seq0 )) -ge "$n" ] && [ "$(queue_field 0 3)" = 0 ] && break
		sleep 0.1
	done
	stop_consumer
	sed -n 's/^summary: //p' "$out"
}

# med FILE: "median spread%" of the numbers in FILE, one a line.
med() {
	sort -n "$1" | awk '{ v[NR] = $1 } END { if (!NR) { print 0, 0; exit }
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%d %.0f\n", m, m ? 100 * (v[NR] - v[1]) / m : 0 }'
}

declare -A M S
note() { echo "# $*" >&2; }

for row in $ROWS; do
	setup "$row"
	start_consumer accept
	for col in steady new; do
		[ "$IR_ONLY" = 1 ] && break
		: >"$WORK/runs"
		for r in $(seq "$RUNS"); do
			if [ $col = steady ]; then delivered -F 64 >>"$WORK/runs"; else delivered >>"$WORK/runs"; fi
		done
		read -r M[$row,$col] S[$row,$col] < <(med "$WORK/runs")
		note "$row $col: $(tr '\n' ' ' <"$WORK/runs")-> ${M[$row,$col]} pps (spread ${S[$row,$col]}%)"
	done
	rate=$(( ${M[$row,new]:-0} / 2 ))
	[ "$rate" -gt 0 ] || rate=1000
	: >"$WORK/runs.med"; : >"$WORK/runs.p99"
	for r in $(seq "$RUNS"); do
		[ "$IR_ONLY" = 1 ] && break
		read -r a b < <(latency "$rate")
		echo "${a%.*}" >>"$WORK/runs.med"; echo "${b%.*}" >>"$WORK/runs.p99"
	done
	read -r M[$row,latmed] S[$row,latmed] < <(med "$WORK/runs.med")
	read -r M[$row,latp99] S[$row,latp99] < <(med "$WORK/runs.p99")
	note "$row latency at $rate pps: median ${M[$row,latmed]} us, p99 ${M[$row,latp99]} us"
	if [ -n "$CONS_KIND" ]; then
		for v in accept drop; do
			: >"$WORK/runs"
			for r in $(seq "$RUNS"); do
				[ "$IR_ONLY" = 1 ] && break
				if [ "$CONS_KIND" = loop ]; then stop_consumer; start_consumer "$v"; fi
				drain $v >>"$WORK/runs"
			done
			read -r M[$row,drain-$v] S[$row,drain-$v] < <(med "$WORK/runs")
			note "$row drain $v: $(tr '\n' ' ' <"$WORK/runs")-> ${M[$row,drain-$v]} pps"
		done
		stop_consumer
		if [ "$CALLGRIND" = 1 ] && command -v valgrind >/dev/null; then
			a=$(instructions 2000); b=$(instructions 12000)
			M[$row,ir]=$(( (b - a) / 10000 ))
			note "$row callgrind: $a Ir for 2000 packets, $b for 12000 -> ${M[$row,ir]} per packet"
		fi
	fi
	stop_consumer
done
vd_teardown

# --- the table ---------------------------------------------------------------

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a != "") printf "%.2f", a / b; else printf "-" }'; }
base=none; [ -n "${M[none,new]:-}" ] || base=$(echo $ROWS | cut -d' ' -f1)
ref=loop
csv=$OUT/suite.csv
echo "row,column,median,spread_pct,ratio_to_none,ratio_to_loop" >"$csv"
echo
echo "verdictd benchmark suite, $(date -u +%F), $(nproc) CPUs, $(uname -r), commit" \
     "$(cd "$srcdir" && git rev-parse --short HEAD 2>/dev/null || echo unknown), $RUNS runs each, ${SECONDS_RUN} s a run."
echo "pps: median (spread); xN: ratio to the row 'none'; L: ratio to 'loop'. Latency in us. Ir: instructions/packet."
echo
printf '%-20s | %-24s | %-30s | %-21s | %-21s | %-13s | %s\n' row "steady pps" "new flows pps" "drain ACCEPT" "drain DROP" "lat med/p99" "Ir/pkt"
printf '%s\n' "---------------------+--------------------------+--------------------------------+-----------------------+-----------------------+---------------+-------"
for row in $ROWS; do
	st="${M[$row,steady]:-0}"; nw="${M[$row,new]:-0}"
	line=$(printf '%-20s | %9s (%3s%%) x%-5s | %9s (%3s%%) x%-5s L%-5s' "$row" \
		"$st" "${S[$row,steady]:-0}" "$(ratio "$st" "${M[$base,steady]:-}")" \
		"$nw" "${S[$row,new]:-0}" "$(ratio "$nw" "${M[$base,new]:-}")" "$(ratio "$nw" "${M[$ref,new]:-}")")
	for v in accept drop; do
		d=${M[$row,drain-$v]:-}
		if [ -n "$d" ]; then
			line="$line | $(printf '%7s (%3s%%) L%-5s' "$d" "${S[$row,drain-$v]:-0}" "$(ratio "$d" "${M[$ref,drain-$v]:-}")")"
		else
			line="$line | $(printf '%21s' -)"
		fi
	done
	line="$line | $(printf '%5s / %-5s' "${M[$row,latmed]:-}" "${M[$row,latp99]:-}") | ${M[$row,ir]:--}"
	echo "$line"
	for col in steady new drain-accept drain-drop latmed latp99 ir; do
		[ -n "${M[$row,$col]:-}" ] || continue
		echo "$row,$col,${M[$row,$col]},${S[$row,$col]:-},$(ratio "${M[$row,$col]}" "${M[$base,$col]:-}"),$(ratio "${M[$row,$col]}" "${M[$ref,$col]:-}")" >>"$csv"
	done
done
echo
echo "CSV: $csv"

if command -v gnuplot >/dev/null; then
	awk -F, '$2 == "steady" { s[$1] = $3 } $2 == "new" { n[$1] = $3; order[++k] = $1 }
		END { for (i = 1; i <= k; i++) print order[i], s[order[i]] + 0, n[order[i]] + 0 }' "$csv" >"$WORK/plot.dat"
	gnuplot <<PLOT 2>"$WORK/gnuplot.err" && echo "Chart: $OUT/suite.png" || sed 's/^/# gnuplot: /' "$WORK/gnuplot.err"
set terminal png size 1100,550
set output "$OUT/suite.png"
set title "verdictd benchmark suite ($(date -u +%F), $(nproc) CPUs): packets per second through the firewall"
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel "packets/s (log)"
set xtics rotate by -35 scale 0
set key top right
plot "$WORK/plot.dat" using 2:xtic(1) title "steady (established flows)", "" using 3 title "new flows (every packet a connection)"
PLOT
fi
