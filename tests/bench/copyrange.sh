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

: >"$WORK/rows"
for run in $(seq "$RUNS"); do
	for len in $LENS; do
		in_f "$IPT" -F; in_f "$IPT" -X; in_f "$IP6T" -F; in_f "$IP6T" -X
		echo "$run none $len $(new_flows_pps "$len")" >>"$WORK/rows"
		vd_rules
		for cr in $RANGES; do
			printf 'queue 0\nrcvbuf 64M\ncopy-range %s\naccept proto udp dport 9\ndefault drop\n' \
				"$cr" >"$WORK/cr.conf"
			vd_start "$WORK/cr.conf"
			echo "$run cr$cr $len $(new_flows_pps "$len")" >>"$WORK/rows"
			vd_stop
			grep -q "final: .* queue-dropped 0 user-dropped 0" "$VD_LOG" ||
				echo "# note: copy-range $cr, $len bytes: $(grep -o 'enobufs [0-9]*' "$VD_LOG" | tail -n 1), the kernel dropped packets"
		done
	done
done

echo "# new flows/s delivered, median of $RUNS runs (min-max); x = ratio to copy-range 256 in the same run"
printf "%-14s %6s %22s %8s\n" row bytes "pps (min-max)" "x cr256"
for len in $LENS; do
	for row in none $(for cr in $RANGES; do echo "cr$cr"; done); do
		median_row "$WORK/rows" cr256 "$row" "$len"
	done
done
