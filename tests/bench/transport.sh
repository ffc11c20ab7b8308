#!/bin/bash
# transport.sh - the transport benchmark (issue: ring transport).
#
# Packets per second through one queue, side by side in one run, for:
#   loop    a per-packet consumer like libnetfilter_queue's example
#           (tests/bench/nfq_loop.c: recv one, verdict one)
#   socket  verdictd, socket transport (recvmmsg, one sendmsg per batch)
#   ring    verdictd, ring transport (io_uring: buffer ring, multishot recv)
# each with DROP and ACCEPT verdicts, measured two ways:
#   drain   the consumer is stopped (SIGSTOP), PACKETS new flows are queued,
#           then it is resumed and timed until the queue is empty: the
#           consumer's cost alone
#   flood   a generator sends as fast as it can for a few seconds; verdicts
#           per second while the queue overflows
# and userspace instructions per packet (valgrind --tool=callgrind, DROP).
# Every figure is the median of RUNS runs; "spread" is (max-min)/median.
# Consumer on CPU 1, generator on CPU 0. Output: a table, and a CSV in
# OUT (default ./bench-results).
. "$(dirname "$0")/../integration/lib.sh"

RUNS=${RUNS:-5}
PACKETS=${PACKETS:-50000}
FLOOD_SECONDS=${FLOOD_SECONDS:-3}
OUT=${OUT:-$PWD/bench-results}
CALLGRIND=${CALLGRIND:-1}
BATCH=${BATCH:-256}		# verdictd's batch option
BENCH=$(cd "$builddir" && pwd)/tests/bench
mkdir -p "$OUT"

vd_topology
vd_rules
# The server side drops what arrives: only the firewall's work is measured.
in_s iptables -t raw -A PREROUTING -p udp --dport 9 -j DROP
in_s ip6tables -t raw -A PREROUTING -p udp --dport 9 -j DROP

CONS_PID=""
# start_consumer KIND VERDICT [WRAPPER...]: the consumer, on CPU 1.
start_consumer() {
	local kind=$1 verdict=$2 i
	shift 2
	CONS_LOG=$WORK/consumer.log
	if [ "$kind" = loop ]; then
		SPAWN_TRIES=300 vd_spawn "$NS_F" "$CONS_LOG" ": ready" taskset -c 1 "$@" \
			"$BENCH/nfq_loop" -q 0 -v "$verdict"
	else
		printf 'queue 0\nrcvbuf 512M\nbatch %s\ndefault %s\n' "$BATCH" "$verdict" >"$WORK/bench.conf"
		SPAWN_TRIES=300 vd_spawn "$NS_F" "$CONS_LOG" ": ready" taskset -c 1 "$@" \
			"$VERDICTD" -c "$WORK/bench.conf" --transport "$kind"
	fi
	CONS_PID=$BG_PID
}

stop_consumer() {
	kill -CONT "$CONS_PID" 2>/dev/null
	kill -TERM "$CONS_PID" 2>/dev/null
	wait "$CONS_PID" 2>/dev/null
	in_f conntrack -F >/dev/null 2>&1
}

flood() {
	ip netns exec "$NS_C" taskset -c 0 "$BENCH/flood" -s 10.0.1.100 -d 10.0.2.2 -p 9 "$@" >/dev/null
}

# drain_pps KIND VERDICT
drain_pps() {
	start_consumer "$1" "$2"
	kill -STOP "$CONS_PID"
	ip netns exec "$NS_F" "$BENCH/qwatch" drain 0 "$CONS_PID" >"$WORK/qwatch.out" &
	local watcher=$!
	flood -n "$PACKETS"
	wait $watcher
	stop_consumer
	sed -n 's/.*: \([0-9]*\) pps, \([0-9]*\) ns.*/\1 \2/p' "$WORK/qwatch.out"
}

# flood_pps KIND VERDICT
flood_pps() {
	start_consumer "$1" "$2"
	flood -t "$FLOOD_SECONDS" &
	local gen=$!
	sleep 0.5
	ip netns exec "$NS_F" "$BENCH/qwatch" rate 0 $((FLOOD_SECONDS - 1)) >"$WORK/qwatch.out"
	wait $gen
	stop_consumer
	sed -n 's/.*: \([0-9]*\) pps.*/\1 0/p' "$WORK/qwatch.out"
}

# instructions KIND N: userspace instructions of a consumer that judged N packets.
instructions() {
	local kind=$1 n=$2 out=$WORK/callgrind.$1.$2 seq0 i
	start_consumer "$kind" drop valgrind --tool=callgrind --callgrind-out-file="$out"
	# Pre-loaded, as in the drain: the consumer works in full batches.
	kill -STOP "$CONS_PID"
	seq0=$(queue_field 0 8)
	flood -n "$n"
	kill -CONT "$CONS_PID"
	for i in $(seq 600); do
		[ $(( $(queue_field 0 8) - seq0 )) -ge "$n" ] && [ "$(queue_field 0 3)" = 0 ] && break
		sleep 0.1
	done
	stop_consumer
	sed -n 's/^summary: //p' "$out"
}

# stats FILE: median and spread of column 1, and median of column 2
stats() {
	local med='sort -n | awk "{ v[NR] = \$1 } END { if (!NR) { print 0, 0; exit }
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf \"%d %.0f\\n\", m, m ? 100 * (v[NR] - v[1]) / m : 0 }"'
	echo "$(cut -d' ' -f1 "$1" | eval "$med") $(cut -d' ' -f2 "$1" | eval "$med" | cut -d' ' -f1)"
}

KINDS="loop socket ring"
declare -A MED SPR CPU
# Runs are interleaved (loop, socket, ring, loop, ...) so that a slow
# spell of the machine hits every consumer alike.
for mode in drain flood; do
	for verdict in drop accept; do
		for kind in $KINDS; do : >"$WORK/runs.$kind"; done
		for r in $(seq "$RUNS"); do
			for kind in $KINDS; do
				${mode}_pps $kind $verdict >>"$WORK/runs.$kind"
			done
		done
		for kind in $KINDS; do
			read -r m s c < <(stats "$WORK/runs.$kind")
			MED[$mode-$verdict-$kind]=$m
			SPR[$mode-$verdict-$kind]=$s
			CPU[$mode-$verdict-$kind]=$c
			echo "# $mode $verdict $kind: $(cut -d' ' -f1 "$WORK/runs.$kind" | tr '\n' ' ')-> median $m pps, spread $s%, ${c} ns CPU/packet" >&2
		done
	done
done

declare -A IR
if [ "$CALLGRIND" = 1 ] && command -v valgrind >/dev/null; then
	n1=2000 n2=12000
	for kind in $KINDS; do
		a=$(instructions $kind $n1)
		b=$(instructions $kind $n2)
		IR[$kind]=$(( (b - a) / (n2 - n1) ))
		echo "# callgrind $kind: $a Ir for $n1 packets, $b Ir for $n2 -> ${IR[$kind]} per packet" >&2
	done
fi

csv=$OUT/transport.csv
echo "consumer,measure,verdict,median_pps,spread_pct,ratio_to_loop,cpu_ns_per_packet,instructions_per_packet" >"$csv"
echo
echo "verdictd transport benchmark, $(date -u +%F), $(nproc) CPUs, $(uname -r), $RUNS runs each,"
echo "drain of $PACKETS pre-loaded packets; flood for $FLOOD_SECONDS s; verdictd batch $BATCH."
echo "Median pps (spread), x = ratio to loop."
echo
printf '%-8s | %-22s | %-22s | %-22s | %-22s | %s\n' consumer "drain DROP" "drain ACCEPT" "flood DROP" "flood ACCEPT" "Ir/packet"
printf '%s\n' "---------+------------------------+------------------------+------------------------+------------------------+----------"
for kind in $KINDS; do
	line=$(printf '%-8s' $kind)
	for mv in drain-drop drain-accept flood-drop flood-accept; do
		m=${MED[$mv-$kind]}
		base=${MED[$mv-loop]}
		ratio=$(awk -v a="$m" -v b="$base" 'BEGIN { printf "%.2f", b ? a / b : 0 }')
		line="$line | $(printf '%8d (%3d%%) %5sx' "$m" "${SPR[$mv-$kind]}" "$ratio")"
		echo "$kind,${mv%-*},${mv#*-},$m,${SPR[$mv-$kind]},$ratio,${CPU[$mv-$kind]},${IR[$kind]:-}" >>"$csv"
	done
	echo "$line | ${IR[$kind]:--}"
done
echo
echo "Consumer CPU time per packet in the drains (ns, user + kernel, all threads; lower is better):"
printf '%-8s | %12s | %12s\n' consumer "drain DROP" "drain ACCEPT"
for kind in $KINDS; do
	printf '%-8s | %12s | %12s\n' $kind "${CPU[drain-drop-$kind]}" "${CPU[drain-accept-$kind]}"
done
echo
echo "CSV: $csv"
