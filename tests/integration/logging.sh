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

# logged NAME PREPARE SOCKET CONF LEAD [JOURNAL]: verdictd with CONF in a
# mount namespace of its own, where PREPARE (shell commands) made room for
# SOCKET, a stand-in (ctlpeer dgram) there collecting the datagrams in
# $WORK/NAME.out. LEAD: what begins each of verdictd's lines there (a
# regex). SIGUSR1 once ready, then SIGTERM; $WORK/NAME.exit gets the exit
# status, $WORK/NAME.err its stderr. JOURNAL: JOURNAL_STREAM names that
# stderr, as systemd does.
logged() {
	local name=$1 prepare=$2 sock=$3 conf=$4 lead=$5 out=$WORK/$1.out env=""
	[ -n "${6:-}" ] && env="JOURNAL_STREAM=\$(stat -c %d:%i $WORK/$name.err)"
	cat >"$WORK/$name.sh" <<RUN
$prepare || exit 99
"$CTLPEER" dgram "$sock" >"$out" &
peer=\$!
waitfor() { for i in \$(seq 100); do grep -q "\$1" "$out" && return; sleep 0.1; done; }
waitfor '^ready'
: >"$WORK/$name.err"
$env "$VERDICTD" -c "$conf" --transport "$VD_TRANSPORT" --control none 2>>"$WORK/$name.err" &
vd=\$!
waitfor "${lead}ready: "
kill -USR1 \$vd
waitfor "${lead}queue 0: packets"
kill -TERM \$vd
wait \$vd
echo "exit \$?" >"$WORK/$name.exit"
waitfor "${lead}final: queue 0"		# what is in its socket, read before it goes
kill \$peer
RUN
	in_f unshare -m bash "$WORK/$name.sh"
}

# The journal's socket in a private /run/systemd.
logged journal "mount -t tmpfs none /run/systemd && mkdir -p /run/systemd/journal" \
	/run/systemd/journal/socket "$WORK/verdictd.conf" "^MESSAGE=" yes
check "verdictd stopped cleanly: $(cat "$WORK/journal.exit" 2>/dev/null)" grep -qx "exit 0" "$WORK/journal.exit"
check "under systemd the lines go to the journal, none to stderr: $(head -c 200 "$WORK/journal.err")" \
	test ! -s "$WORK/journal.err"
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
logged syslog "mount -t tmpfs none /dev && mknod -m 666 /dev/null c 1 3" /dev/log "$WORK/syslog.conf" \
	"verdictd\[[0-9]*\]: "
check "log-to syslog: verdictd stopped cleanly: $(cat "$WORK/syslog.exit" 2>/dev/null)" grep -qx "exit 0" "$WORK/syslog.exit"
check "log-to syslog: every line there, none on stderr: $(head -c 200 "$WORK/syslog.err")" test ! -s "$WORK/syslog.err"
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
