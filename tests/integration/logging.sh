#!/bin/bash
# Where the log goes (issue 14, part 5): under systemd (stderr is the
# journal's stream: $JOURNAL_STREAM names its device and inode) each line
# goes to the journal with its priority through sd_journal_print; else to
# stderr; log-to syslog sends them to syslog(3). The journal and syslog
# here are stand-in datagram sockets at their paths, in mount namespaces of
# verdictd's own (no systemd or syslog daemon runs here).
. "$(dirname "$0")/lib.sh"

CTLPEER=$(cd "$builddir" && pwd)/tests/ctlpeer
vd_topology
vd_rules
printf 'queue 0\nlog-level info\naccept proto tcp dport 22\ndefault drop\n' >"$WORK/verdictd.conf"

# The journal's socket in a private /run/systemd, the daemon beside it,
# its stderr a file that JOURNAL_STREAM names (as systemd's would be).
cat >"$WORK/run.sh" <<RUN
mount -t tmpfs none /run/systemd || exit 99
mkdir -p /run/systemd/journal
"$CTLPEER" dgram /run/systemd/journal/socket >"$WORK/journal.out" &
journal=\$!
for i in \$(seq 50); do grep -q ready "$WORK/journal.out" && break; sleep 0.1; done
: >"$WORK/stderr"
JOURNAL_STREAM=\$(stat -c %d:%i "$WORK/stderr") "$VERDICTD" -c "$WORK/verdictd.conf" \
	--transport "$VD_TRANSPORT" --control none 2>>"$WORK/stderr" &
vd=\$!
echo \$vd >"$WORK/vd.pid"
for i in \$(seq 100); do grep -q "MESSAGE=ready: " "$WORK/journal.out" && break; sleep 0.1; done
kill -USR1 \$vd
for i in \$(seq 50); do grep -q "MESSAGE=queue 0: packets" "$WORK/journal.out" && break; sleep 0.1; done
kill -TERM \$vd
wait \$vd
echo "exit \$?" >"$WORK/vd.exit"
# The stand-in reads what is already in its socket before it goes.
for i in \$(seq 50); do grep -q "MESSAGE=final: queue 0" "$WORK/journal.out" && break; sleep 0.1; done
kill \$journal
RUN
in_f unshare -m bash "$WORK/run.sh"
check "verdictd stopped cleanly: $(cat "$WORK/vd.exit" 2>/dev/null)" grep -qx "exit 0" "$WORK/vd.exit"
check "under systemd the lines go to the journal, none to stderr: $(head -c 200 "$WORK/stderr")" \
	test ! -s "$WORK/stderr"
check "the first line says where the log goes and why" \
	grep -q "^MESSAGE=verdictd [0-9.]*: log to journal (log-to auto: stderr is the journal's stream" "$WORK/journal.out"
check "an info line has priority 6, the ready line among them" \
	bash -c "grep -B3 -A3 '^MESSAGE=ready: queues 0-0' '$WORK/journal.out' | grep -qx 'PRIORITY=6'"
check "the counters (SIGUSR1) and the stop are there" \
	bash -c "grep -q '^MESSAGE=queue 0: packets ' '$WORK/journal.out' && grep -q '^MESSAGE=final: queue 0' '$WORK/journal.out'"
check "no line carries the stderr prefix 'verdictd: ' twice" bash -c "! grep -q '^MESSAGE=verdictd: ' '$WORK/journal.out'"
check "the private /run/systemd went with its namespace" test ! -e /run/systemd/journal/socket

# log-to syslog: syslog(3)'s datagrams to /dev/log, facility daemon,
# each with its priority (<30> daemon.info); here a stand-in socket in a
# private /dev.
{ echo "log-to syslog"; cat "$WORK/verdictd.conf"; } >"$WORK/syslog.conf"
cat >"$WORK/run-syslog.sh" <<RUN
mount -t tmpfs none /dev && mknod -m 666 /dev/null c 1 3 || exit 99
"$CTLPEER" dgram /dev/log >"$WORK/syslog.out" &
syslogd=\$!
for i in \$(seq 50); do grep -q ready "$WORK/syslog.out" && break; sleep 0.1; done
"$VERDICTD" -c "$WORK/syslog.conf" --transport "$VD_TRANSPORT" --control none 2>"$WORK/stderr2" &
vd=\$!
for i in \$(seq 100); do grep -q "verdictd\[[0-9]*\]: ready: " "$WORK/syslog.out" && break; sleep 0.1; done
kill -TERM \$vd
wait \$vd
echo "exit \$?" >"$WORK/vd2.exit"
for i in \$(seq 50); do grep -q "verdictd\[[0-9]*\]: final: queue 0" "$WORK/syslog.out" && break; sleep 0.1; done
kill \$syslogd
RUN
in_f unshare -m bash "$WORK/run-syslog.sh"
check "log-to syslog: verdictd stopped cleanly: $(cat "$WORK/vd2.exit" 2>/dev/null)" grep -qx "exit 0" "$WORK/vd2.exit"
check "log-to syslog: every line there, none on stderr: $(head -c 200 "$WORK/stderr2")" test ! -s "$WORK/stderr2"
check "log-to syslog: daemon.info (<30>), tagged verdictd[PID], the first line saying so" \
	bash -c "grep -q '^<30>.* verdictd\[[0-9]*\]: verdictd [0-9.]*: log to syslog (log-to syslog)' '$WORK/syslog.out' &&
		grep -q '^<30>.* verdictd\[[0-9]*\]: ready: queues 0-0' '$WORK/syslog.out'"
check "the private /dev went with its namespace" test -c /dev/null

# Outside systemd: stderr, the reason said.
vd_start "$WORK/verdictd.conf"
check "without JOURNAL_STREAM: stderr, and why" \
	grep -q "^verdictd: verdictd [0-9.]*: log to stderr (log-to auto: stderr is no journal stream: stderr)" "$VD_LOG"
vd_stop
sed -i 's/^log-level info$/log-level warning/' "$WORK/verdictd.conf"
vd_start "$WORK/verdictd.conf" -v
check "-v overrides log-level" grep -q "^verdictd: ready: " "$VD_LOG"
vd_stop
sed -i '1i log-to stderr' "$WORK/verdictd.conf"
ip netns exec "$NS_F" "$VERDICTD" -c "$WORK/verdictd.conf" --transport "$VD_TRANSPORT" \
	--control none >"$WORK/quiet.log" 2>&1 &
VD_PID=$!
vd_pids="$vd_pids $VD_PID"
sleep 1
vd_stop
check "log-level warning: no info lines ($(wc -l <"$WORK/quiet.log") lines)" bash -c "! grep -q 'ready: ' '$WORK/quiet.log'"
vd_done
