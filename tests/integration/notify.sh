#!/bin/bash
# sd_notify without systemd: a NOTIFY_SOCKET of the test's own
# (tests/notifylisten) gets READY=1 with a STATUS line only once the queue
# is bound (a packet is judged at once), RELOADING=1 then READY=1 around a
# reload, WATCHDOG=1 while every worker goes round its loop (idle too),
# none once a worker hangs (VERDICTD_TEST_HANG + SIGUSR2), and STOPPING=1
# at the stop, which still answers everything.
. "$(dirname "$0")/lib.sh"
VERDICTCTL=$(cd "$builddir" && pwd)/verdictctl
LISTEN=$(cd "$builddir" && pwd)/tests/notifylisten
NOTES=$WORK/notify.log

vd_topology
vd_serve 7000,7001
vd_rules
vd_spawn "$NS_F" "$NOTES" listening "$LISTEN" "$WORK/notify.sock"
conf=$WORK/verdictd.conf
printf 'queue 0-1\naccept proto udp dport 7000\ndefault drop\n' >"$conf"

# WATCHDOG_USEC as systemd sets it: 2 s, so checks every 500 ms.
export NOTIFY_SOCKET=$WORK/notify.sock WATCHDOG_USEC=2000000 VERDICTD_TEST_HANG=1
vd_start "$conf" --control "$WORK/ctl.sock"
unset NOTIFY_SOCKET WATCHDOG_USEC VERDICTD_TEST_HANG

# note PATTERN [TENTHS]: waits for a message matching PATTERN.
note() {
	local i
	for i in $(seq "${2:-30}"); do
		grep -q -e "$1" "$NOTES" && return 0
		sleep 0.1
	done
	return 1
}
pings() { grep -c " WATCHDOG=1" "$NOTES"; }

check "READY=1 with a STATUS line: $(grep READY "$NOTES" | head -n 1)" \
	note "READY=1 STATUS=judging queues 0-1: 1 rules, 0 sets (0 members), default drop"
# vd_start waited for the log's ready line, which comes just before.
check "... sent after the queues were bound (the log says ready first)" grep -q ": ready:" "$VD_LOG"
udp() { in_c "$PROBE" -w 800 udp 10.0.2.2 "$1" 1 >/dev/null 2>&1; }
expect_status 0 "a packet is judged once READY=1 came" udp 7000

sleep 3
n=$(pings)
check "WATCHDOG=1 while idle: $n pings in about 3 s (2 s watchdog)" test "$n" -ge 3
check "the log names the watchdog" grep -q "watchdog: every 2000 ms" "$VD_LOG"

printf 'queue 0-1\naccept proto udp dport 7001\ndefault drop\n' >"$conf"
"$VERDICTCTL" reload -s "$WORK/ctl.sock" >"$WORK/reload.out" 2>&1
check "verdictctl reload: $(cat "$WORK/reload.out")" grep -q "reloaded: 1 rules" "$WORK/reload.out"
check "RELOADING=1 then READY=1 with the new STATUS" \
	awk '/RELOADING=1/ { r = NR } r && NR > r && /READY=1 STATUS=judging queues 0-1: 1 rules/ { ok = 1 } END { exit !ok }' "$NOTES"
expect_status 0 "the new policy is in force when the reload returns: UDP to 7001 accepted" udp 7001

# A worker hangs: its heartbeat stands still, the pings stop.
kill -USR2 "$VD_PID"
for i in $(seq 30); do grep -q "hanging on request" "$VD_LOG" && break; sleep 0.1; done
check "the log says the worker of queue 0 hangs" grep -q "queue 0: hanging on request" "$VD_LOG"
sleep 1.5		# a ping may have been on its way
n=$(pings)
sleep 3
check "no WATCHDOG=1 while a worker hangs ($n, then $(pings) 3 s later)" test "$(pings)" = "$n"
check "the main loop still runs (the pings stop for the worker, not the loop)" \
	in_f "$VERDICTCTL" trace -s "$WORK/ctl.sock" udp 10.0.2.9:1 10.0.2.2:7001 >/dev/null

vd_stop
check "verdictd exits 0 (exit $VD_STATUS)" test "$VD_STATUS" = 0
check "STOPPING=1 at the stop" note "STOPPING=1"
check "... every queued packet answered" grep -q "final: queue 0:.*waiting 0 queue-dropped 0 user-dropped 0" "$VD_LOG"

# Without NOTIFY_SOCKET nothing is sent, nothing fails, no watchdog.
vd_start "$conf" --control "$WORK/ctl.sock"
check "without systemd no watchdog is armed" bash -c "! grep -q watchdog '$VD_LOG'"
vd_stop
check "... and it stops as before (exit $VD_STATUS)" test "$VD_STATUS" = 0
vd_done
