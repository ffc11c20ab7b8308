#!/bin/bash
# Nothing lost while the policy changes under load: a storm of new TCP
# connections (IPv4 and IPv6) and established TCP and UDP flows, while set
# edits through verdictctl and with ipset behind verdictd's back (add, del,
# nomatch, swap, restore) and reloads (SIGHUP and verdictctl reload) come
# back to back. Every queued packet gets exactly one verdict; the kernel
# drops nothing; no connect fails; the established flows never stall.
. "$(dirname "$0")/lib.sh"
vd_start_sets
vd_spawn "$NS_S" "$WORK/sink.log" serving "$FLOWPUSH" sink 7200
SECONDS_STORM=6

# vctl ARGS...: verdictctl; a failure is recorded with what it said.
vctl() {
	in_f "$VERDICTCTL" "$@" >"$WORK/ctl.out" 2>&1 ||
		echo "verdictctl $* (exit $?): $(tr '\n' ' ' <"$WORK/ctl.out")" >>"$WORK/fail"
}
vset() { vctl set -s "$WORK/control.sock" "$@"; }

before=$(syn_retrans)
drops0=$(listen_drops)
pids=""
for a in 10.0.2.2 fd00:2::2; do
	for p in tcp udp; do
		in_c "$FLOWPUSH" "$p" "$a" 7100 $((SECONDS_STORM + 2)) >"$WORK/flow-$p-$a.out" 2>&1 &
		pids="$pids $!"
	done
	in_c "$FLOWPUSH" storm "$a" 7200 "$SECONDS_STORM" >"$WORK/storm-$a.out" 2>&1 &
	pids="$pids $!"
done
vd_pids="$vd_pids $pids"

# Edits of addresses no test traffic uses, so that every connect and flow
# must go through; what matters is that none of them loses a packet.
in_f ipset create spare hash:ip family inet timeout 0
end=$(($(date +%s) + SECONDS_STORM))
i=0
while [ "$(date +%s)" -lt "$end" ]; do
	i=$((i + 1))
	vset add banned "192.0.2.$((i % 250 + 1))"
	in_f ipset add -exist banned "198.51.100.$((i % 250 + 1))"
	vset add nets "203.0.$((i % 250)).7" nomatch
	in_f ipset add -exist nets "203.0.$((i % 250)).0/24"
	vset del banned "192.0.2.$((i % 250 + 1))"
	in_f ipset add -exist banned6 "2001:db8::$i"
	case $((i % 10)) in
	3) kill -HUP "$VD_PID" ;;
	6) vctl reload -s "$WORK/control.sock" ;;
	8) vset swap banned spare; vset swap banned spare ;;
	9) printf 'add banned 192.0.2.251\ndel banned 192.0.2.251\n' >"$WORK/r.restore"
	   vset restore "$WORK/r.restore" ;;
	esac
done
for pid in $pids; do wait "$pid"; done
check "$i rounds of edits ($((i * 6)) set edits) and reloads, every one through verdictctl answered ok" test ! -s "$WORK/fail"
[ -s "$WORK/fail" ] && sed 's/^/#   /' "$WORK/fail" | head -n 5
read -r n f s <<<"$(cat "$WORK"/storm-*.out | awk '{ n += $2; f += $4; s += $8 } END { print n, f, s }')"
# A SYN the server itself dropped (its listen queue full: a loaded
# machine) is retransmitted too; what the firewall lost is the rest.
drops=$(($(listen_drops) - drops0))
retrans=$(($(syn_retrans) - before))
check "the storm: $n connects, none failed ($f)" test "$f" = 0 -a "$n" -gt 100
check "no SYN lost by the firewall: $retrans retransmitted, $s connects over 900 ms, $drops dropped by the server itself" \
	test "$retrans" -le "$drops" -a "$s" -le "$drops"
for out in "$WORK"/flow-*.out; do
	check "$(basename "$out" .out) kept flowing: $(cat "$out")" \
		awk '{ exit !($2 >= 50 && $4 < 1000 && $6 > 0) }' "$out"
done
vd_stop
check "verdictd exits 0" test "$VD_STATUS" = 0
vd_check_answered
check "the daemon read sets and reloaded meanwhile" \
	sh -c "grep -q 'changed in the kernel' '$VD_LOG' && grep -q 'reload: .*reloaded' '$VD_LOG'"
vd_done
