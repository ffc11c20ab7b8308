# lib.sh - what the benchmarks share, on top of the integration tests'
# topology (tests/integration/lib.sh: client -> firewall -> server).
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"
BENCH=$(cd "$builddir" && pwd)/tests/bench
TOOLS=$(cd "$builddir" && pwd)/tests
VERDICTCTL=$(cd "$builddir" && pwd)/verdictctl

# New flows at full speed fill the conntrack table: room for a few seconds
# of them. A global setting, restored at exit with everything else.
CT_MAX_WAS=$(cat /proc/sys/net/netfilter/nf_conntrack_max)
bench_cleanup() {
	echo "$CT_MAX_WAS" >/proc/sys/net/netfilter/nf_conntrack_max
	vd_cleanup
}
trap bench_cleanup EXIT
echo 2000000 >/proc/sys/net/netfilter/nf_conntrack_max

# rx: packets the server's interface has received.
rx() { in_s cat /sys/class/net/s0/statistics/rx_packets; }

# new_flows_pps [LEN]: new UDP flows a second (every packet the first of its
# flow) delivered to the server's port 9 while flooding for SECONDS_RUN,
# LEN-byte packets (default flood's). Each call floods from 16 source
# addresses of its own: the flows of the call before are still in the
# conntrack table, with their verdict, and would take the fast path; and
# it starts with the conntrack table as empty as the others found it.
bench_row=0
new_flows_pps() {
	local a b i
	bench_row=$(((bench_row + 1) % 14))
	for i in $(seq 100); do
		[ "$(in_f conntrack -C 2>/dev/null || echo 0)" -lt 1000 ] && break
		sleep 0.2
	done
	a=$(rx)
	ip netns exec "$NS_C" taskset -c 0 "$BENCH/flood" -s "10.0.1.$((16 + 16 * bench_row))" -S 16 \
		-d 10.0.2.2 -p 9 ${1:+-l "$1"} -t "$SECONDS_RUN" >/dev/null
	sleep 0.3
	b=$(rx)
	echo $(((b - a) / SECONDS_RUN))
}

# median_row FILE BASE ROW [KEY]: from FILE's lines "RUN ROW KEY PPS" (KEY
# "-" when there is none), ROW's median pps over the runs with its min-max,
# and the median of its ratio to BASE's pps in the same run.
median_row() {
	awk -v base="$2" -v row="$3" -v key="${4:--}" '
		$3 != key { next }
		$2 == base { b[$1] = $4 }
		$2 == row { v[$1] = $4 }
		END {
			n = 0
			for (r in v) { p[n] = v[r]; x[n] = b[r] > 0 ? v[r] / b[r] : 0; n++ }
			for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) {
				if (p[j] < p[i]) { t = p[i]; p[i] = p[j]; p[j] = t }
				if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
			}
			printf "%-14s %6s %10d (%d-%d) %8.2f\n", row, key, p[int(n / 2)], p[0], p[n - 1], x[int(n / 2)]
		}' "$1"
}
