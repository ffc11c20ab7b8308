#!/bin/bash
# Reload (SIGHUP, verdictctl reload): the configuration read again and
# swapped in for new connections; a broken file changes nothing and says
# why with file:line:col; a change that needs a restart is refused; new
# sets are created; reloads under a storm of new flows lose no packet.
. "$(dirname "$0")/lib.sh"
VERDICTCTL=$(cd "$builddir" && pwd)/verdictctl

vd_topology
vd_serve 7000,7001
vd_rules
conf=$WORK/verdictd.conf
cat >"$conf" <<CONF
queue 0
accept proto udp dport 7000
default drop
CONF
vd_start "$conf" --control "$WORK/ctl.sock"

udp() { in_c "$PROBE" -w 800 udp 10.0.2.2 "$1" 1 >/dev/null 2>&1; }
reload() { "$VERDICTCTL" reload -s "$WORK/ctl.sock" >"$WORK/reload.out" 2>&1; }

expect_status 0 "policy A: UDP to 7000 accepted" udp 7000
expect_status 2 "policy A: UDP to 7001 dropped" udp 7001

cat >"$conf" <<CONF
queue 0
set newset hash:ip family inet
drop src @newset
accept proto udp dport 7001
default drop
CONF
kill -HUP "$VD_PID"
for i in $(seq 50); do grep -q "reload: .* reloaded" "$VD_LOG" && break; sleep 0.1; done
check "SIGHUP: reloaded (log)" grep -q "reload: .* reloaded: 2 rules, 1 sets" "$VD_LOG"
expect_status 0 "policy B after SIGHUP: UDP to 7001 accepted" udp 7001
expect_status 2 "policy B: UDP to 7000 dropped" udp 7000
check "a set declared by the new file was created in the kernel" in_f ipset list -n newset

# A broken file: refused with every file:line:col, the policy stays.
cp "$conf" "$WORK/good.conf"
cat >"$conf" <<CONF
queue 0
acept proto udp dport 7000
accept proto udp dport 70000
default drop
CONF
expect_status 1 "verdictctl reload of a broken file fails" reload
check "... naming each mistake with file:line:col" \
	grep -q "verdictd.conf:2:1: unknown keyword 'acept'" "$WORK/reload.out"
check "... the second one too" grep -q "verdictd.conf:3:" "$WORK/reload.out"
check "... and saying the running policy stays" grep -q "running policy stays" "$WORK/reload.out"
check "the log has the mistakes too" grep -q "verdictd.conf:2:1: unknown keyword" "$VD_LOG"
expect_status 0 "policy B still in force: UDP to 7001 accepted" udp 7001

# A change that only a restart can make.
sed 's/^queue 0$/queue 1/' "$WORK/good.conf" >"$conf"
expect_status 1 "a new queue number is refused by a reload" reload
check "... saying it takes a restart" grep -q "'queue' changed: that takes a restart" "$WORK/reload.out"

# Reloads during a storm of new flows: every packet gets one verdict.
cp "$WORK/good.conf" "$conf"
expect_status 0 "verdictctl reload of a good file succeeds" reload
check "... and says what is in force" grep -q "reloaded: 2 rules" "$WORK/reload.out"
in_c "$PROBE" burst 10.0.2.2 7001 20000 >/dev/null 2>&1 &
burst=$!
for i in $(seq 10); do reload; done
wait "$burst"
sleep 0.5
vd_stop
check "verdictd exits 0" test "$VD_STATUS" = 0
final=$(grep "final: queue 0:" "$VD_LOG")
field() { echo "$final" | grep -o " $1 [0-9]*" | head -n 1 | awk '{ print $2 }'; }
answered=$(($(field accept) + $(field drop) + $(field reject) + $(field mark) + $(field malformed) + $(field loops)))
check "every queued packet got one verdict across the reloads (id-sequence $(field id-sequence), answered $answered)" \
	test "$(field id-sequence)" = "$(field packets)" -a "$answered" = "$(field packets)"
check "nothing dropped in the kernel's queue" \
	test "$(field waiting)/$(field queue-dropped)/$(field user-dropped)" = 0/0/0
vd_done
