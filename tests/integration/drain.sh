#!/bin/bash
# SIGTERM drains: packets that wait in the queue while the daemon is
# stopped all get their verdict when it is told to quit; none is abandoned.
# Also: a queue filled past its maximum length loses packets in the
# kernel, and verdictd's counters show it.
. "$(dirname "$0")/lib.sh"

vd_topology
vd_rules -failclosed
cat >"$WORK/verdictd.conf" <<CONF
queue 0
accept proto udp dport 7000
default drop
CONF
vd_serve 7000
vd_start "$WORK/verdictd.conf"

# Freeze the daemon, queue 200 new flows, then SIGTERM and thaw.
kill -STOP "$VD_PID"
in_c "$PROBE" burst 10.0.2.2 7000 200
for i in $(seq 50); do
	[ "$(queue_field 0 3)" -ge 200 ] && break
	sleep 0.1
done
check "200 packets wait in the queue while verdictd is stopped ($(queue_field 0 3))" \
	test "$(queue_field 0 3)" = 200
kill -TERM "$VD_PID"
kill -CONT "$VD_PID"
wait "$VD_PID"
VD_STATUS=$?
check "verdictd exits 0" test "$VD_STATUS" = 0
check "every waiting packet got its verdict before the unbind" \
	grep -q "final: queue 0: packets 200 accept 200 .* kernel: waiting 0 queue-dropped 0 user-dropped 0" "$VD_LOG"
sleep 0.5
got=$(grep -c udp "$WORK/serve.log")
check "the server received all 200 datagrams ($got)" test "$got" = 200

# Overrun: a queue of at most 50 packets, 300 sent while the daemon is
# stopped. Fail-closed: the kernel drops the rest and counts them.
cat >"$WORK/small.conf" <<CONF
queue 0
queue-maxlen 50
accept proto udp dport 7000
default drop
CONF
vd_start "$WORK/small.conf"
kill -STOP "$VD_PID"
in_c "$PROBE" burst 10.0.2.2 7000 300
sleep 0.3
kill -USR1 "$VD_PID"
kill -CONT "$VD_PID"
for i in $(seq 50); do
	grep -q "queue-dropped" "$VD_LOG" && break
	sleep 0.1
done
dropped=$(sed -n 's/.*queue-dropped \([0-9]*\).*/\1/p' "$VD_LOG" | tail -n 1)
check "the loss shows in verdictd's counters (queue-dropped ${dropped:-none} of 250 over the limit)" \
	test "${dropped:-0}" -ge 200
vd_stop
check "verdictd exits 0" test "$VD_STATUS" = 0
check "the 50 that fit were judged" grep -q "final: queue 0: packets 50 accept 50" "$VD_LOG"
sed 's/^/# /' "$VD_LOG"

# Socket overrun: a tiny receive buffer that 300 queued packets cannot
# fit. The kernel drops what it cannot deliver (user-dropped) and reports
# ENOBUFS on the socket: counted, survived, and the next flows still pass.
cat >"$WORK/tiny.conf" <<CONF
queue 0
rcvbuf 4k
accept proto udp dport 7000
default drop
CONF
vd_start "$WORK/tiny.conf"
kill -STOP "$VD_PID"
in_c "$PROBE" burst 10.0.2.2 7000 300
sleep 0.3
kill -CONT "$VD_PID"
sleep 0.3
expect_status 0 "after the overrun, new flows still get through" in_c "$PROBE" udp 10.0.2.2 7000 3
check "verdictd is still running" kill -0 "$VD_PID"
vd_stop
check "verdictd exits 0" test "$VD_STATUS" = 0
check "the overrun is in the counters (enobufs >= 1, user-dropped > 0)" \
	grep -q "final: queue 0: .* enobufs [1-9].* user-dropped [1-9]" "$VD_LOG"
sed 's/^/# /' "$VD_LOG"

if [ "$VD_TRANSPORT" = ring ]; then
	# Ring exhaustion: 64 receive buffers, 300 packets waiting. The
	# multishot receive runs out of buffers, is started again as they come
	# back, and every packet still gets its verdict.
	cat >"$WORK/ring.conf" <<CONF
queue 0
ring-buffers 64
batch 16
accept proto udp dport 7000
default drop
CONF
	vd_start "$WORK/ring.conf"
	kill -STOP "$VD_PID"
	in_c "$PROBE" burst 10.0.2.2 7000 300
	sleep 0.3
	kill -CONT "$VD_PID"
	for i in $(seq 50); do [ "$(queue_field 0 3)" = 0 ] && break; sleep 0.1; done
	vd_stop
	check "an empty buffer ring was met and counted (ring-empty >= 1, rearms >= 1)" \
		grep -q "final: queue 0: .* ring-empty [1-9][0-9]* rearms [1-9]" "$VD_LOG"
	# (The burst can lose a packet or two before the firewall; every
	# packet the kernel queued, its id-sequence, must have been judged.)
	final=$(grep "final: queue 0:" "$VD_LOG")
	judged=$(echo "$final" | sed -n 's/.* packets \([0-9]*\) accept.*/\1/p')
	queued=$(echo "$final" | sed -n 's/.* id-sequence \([0-9]*\).*/\1/p')
	check "every queued packet got its verdict ($judged of $queued, of 300 sent), none lost" \
		sh -c "[ '$judged' = '$queued' ] && [ '${queued:-0}' -ge 280 ] &&
		       echo '$final' | grep -q 'waiting 0 queue-dropped 0 user-dropped 0'"
	sed 's/^/# /' "$VD_LOG"
fi
vd_done
