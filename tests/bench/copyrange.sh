#!/bin/bash
# copyrange.sh - what a larger copy-range costs (make bench-copyrange).
#
# verdictd judges a packet exactly only when its headers lie within the
# bytes the kernel copies to it (copy-range, default 256); a larger copy
# range covers longer IPv6 extension header chains, at the price of
# copying more of each queued packet. This measures that price: new UDP
# flows a second delivered through the firewall (every packet the first of
# its flow, so every one is queued), for packets of 46 and 1500 bytes, with
# copy-range 256, 1500 and 65535, and the kernel alone (no rules) in the
# same run. Each run measures every row in turn; ratios are taken within a
# run, and the table shows medians over RUNS (default 3) with the spread
# (min-max) of the pps.
. "$(dirname "$0")/lib.sh"
RUNS=${RUNS:-3}
SECONDS_RUN=${SECONDS_RUN:-3}
LENS="46 1500"
RANGES="256 1500 65535"

vd_topology
in_f sysctl -qw net.netfilter.nf_conntrack_udp_timeout=5
in_s iptables -t raw -A PREROUTING -p udp --dport 9 -j DROP	# the sink counts, then drops
# The payload is the point here: no GSO/GRO batching hides it.
in_c ip link set c0 mtu 1500

# pps LEN: new flows a second delivered while flooding for SECONDS_RUN.
# Each row floods from 16 source addresses of its own: the flows of the
# row before are still in the conntrack table, with their verdict, and
# would take the fast path.
row=0
pps() {
	local a b
	row=$(((row + 1) % 14))
	# and starts with the conntrack table as empty as the others found it.
	for i in $(seq 100); do
		[ "$(in_f conntrack -C 2>/dev/null || echo 0)" -lt 1000 ] && break
		sleep 0.2
	done
	a=$(rx)
	ip netns exec "$NS_C" "$BENCH/flood" -s "10.0.1.$((16 + 16 * row))" -S 16 -d 10.0.2.2 -p 9 \
		-l "$1" -t "$SECONDS_RUN" >/dev/null
	sleep 0.3
	b=$(rx)
	echo $(((b - a) / SECONDS_RUN))
}

: >"$WORK/rows"
for run in $(seq "$RUNS"); do
	for len in $LENS; do
		in_f "$IPT" -F; in_f "$IPT" -X; in_f "$IP6T" -F; in_f "$IP6T" -X
		echo "$run none $len $(pps "$len")" >>"$WORK/rows"
		vd_rules
		for cr in $RANGES; do
			printf 'queue 0\nrcvbuf 64M\ncopy-range %s\naccept proto udp dport 9\ndefault drop\n' \
				"$cr" >"$WORK/cr.conf"
			vd_start "$WORK/cr.conf"
			echo "$run cr$cr $len $(pps "$len")" >>"$WORK/rows"
			vd_stop
			grep -q "final: .* queue-dropped 0 user-dropped 0" "$VD_LOG" ||
				echo "# note: copy-range $cr, $len bytes: $(grep -o 'enobufs [0-9]*' "$VD_LOG" | tail -n 1), the kernel dropped packets"
		done
	done
done

echo "# new flows/s delivered, median of $RUNS runs (min-max); x = ratio to copy-range 256 in the same run"
printf "%-8s %6s %22s %8s\n" row bytes "pps (min-max)" "x cr256"
for len in $LENS; do
	for row in none $(for cr in $RANGES; do echo "cr$cr"; done); do
		awk -v row="$row" -v len="$len" '
			$2 == "cr256" && $3 == len { base[$1] = $4 }
			$2 == row && $3 == len { v[$1] = $4 }
			END {
				n = 0
				for (r in v) { p[n] = v[r]; x[n] = base[r] > 0 ? v[r] / base[r] : 0; n++ }
				# medians by sorting (n is small)
				for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) {
					if (p[j] < p[i]) { t = p[i]; p[i] = p[j]; p[j] = t }
					if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
				}
				printf "%-8s %6s %10d (%d-%d) %8.2f\n", row, len, p[int(n / 2)], p[0], p[n - 1], x[int(n / 2)]
			}' "$WORK/rows"
	done
done
