#!/bin/bash
# Privileges: started as root, verdictd keeps CAP_NET_ADMIN alone (in the
# bounding, permitted and effective sets; nothing inheritable or ambient;
# no_new_privs) in every thread, and with 'user' runs as that user. It
# still judges traffic, reloads (creating a set), and its control socket
# has the configured owner, group and mode. Without 'user' it stays uid 0
# with CAP_NET_ADMIN alone. A user that does not exist stops the start.
. "$(dirname "$0")/lib.sh"
VERDICTCTL=$(cd "$builddir" && pwd)/verdictctl
SOCK=$WORK/control.sock

getent passwd nobody >/dev/null && getent group nogroup >/dev/null || {
	echo "# this test runs verdictd as nobody:nogroup, which this system lacks"
	exit 99
}
NOBODY=$(id -u nobody)
NOGROUP=$(getent group nogroup | cut -d: -f3)

vd_topology
vd_serve 7000,7001
vd_rules
# The user reads the configuration again at each reload.
chmod 755 "$WORK"
conf=$WORK/verdictd.conf
cat >"$conf" <<CONF
queue 0
user nobody
control-group nogroup
control-mode 0640
accept proto udp dport 7000
default drop
CONF
chmod 644 "$conf"
vd_start "$conf"

# task_field NAME: the field's values in every thread of verdictd, one
# line per distinct value.
task_field() {
	cat /proc/"$VD_PID"/task/*/status | awk -v f="$1:" '$1 == f { $1 = ""; print substr($0, 2) }' |
		sort -u
}
# tasks: how many threads verdictd has (main and one worker at least).
tasks=$(ls /proc/"$VD_PID"/task | wc -l)
check "verdictd has its worker thread ($tasks threads)" test "$tasks" -ge 2
check "every thread runs as nobody: Uid $(task_field Uid | tr '\n' '|')" \
	test "$(task_field Uid)" = "$NOBODY $NOBODY $NOBODY $NOBODY"
check "... group nogroup: Gid $(task_field Gid | tr '\n' '|')" \
	test "$(task_field Gid)" = "$NOGROUP $NOGROUP $NOGROUP $NOGROUP"
check "... supplementary groups nogroup alone: '$(task_field Groups | tr '\n' '|')'" \
	test "$(task_field Groups | tr -d ' ')" = "$NOGROUP"
for set in CapEff CapPrm CapBnd; do
	check "$set is CAP_NET_ADMIN alone in every thread: $(task_field $set | tr '\n' '|')" \
		test "$(task_field $set)" = 0000000000001000
done
for set in CapInh CapAmb; do
	check "$set is empty in every thread: $(task_field $set | tr '\n' '|')" \
		test "$(task_field $set)" = 0000000000000000
done
check "no_new_privs in every thread: $(task_field NoNewPrivs | tr '\n' '|')" test "$(task_field NoNewPrivs)" = 1
check "the log says so" grep -q "running as uid $NOBODY gid $NOGROUP with CAP_NET_ADMIN alone" "$VD_LOG"

udp() { in_c "$PROBE" -w 800 udp 10.0.2.2 "$1" 1 >/dev/null 2>&1; }
expect_status 0 "traffic judged as nobody: UDP to 7000 accepted" udp 7000
expect_status 2 "... UDP to 7001 dropped" udp 7001

check "control socket owner nobody, group nogroup, mode 640: $(stat -c '%U:%G %a' "$SOCK")" \
	test "$(stat -c '%u:%g %a' "$SOCK")" = "$NOBODY:$NOGROUP 640"
cat >"$conf" <<CONF
queue 0
user nobody
control-group nogroup
control-mode 0640
set vdprivs hash:ip family inet
drop src @vdprivs
accept proto udp dport 7001
default drop
CONF
in_f "$VERDICTCTL" reload -s "$SOCK" >"$WORK/reload.out" 2>&1
check "verdictctl reload as root through the socket: $(cat "$WORK/reload.out")" \
	grep -q "reloaded: 2 rules, 1 sets" "$WORK/reload.out"
check "... the set was created with CAP_NET_ADMIN alone" in_f ipset list -n vdprivs >/dev/null
expect_status 0 "... and the new policy is in force: UDP to 7001 accepted" udp 7001
expect_status 2 "... UDP to 7000 dropped" udp 7000
sed 's/^user nobody$/user root/' "$conf" >"$WORK/c2" && cp "$WORK/c2" "$conf"
expect_status 1 "a reload that changes the user is refused" \
	in_f "$VERDICTCTL" reload -s "$SOCK"
check "... saying it takes a restart" grep -q "'user' changed: that takes a restart" "$WORK/last.out"
vd_stop
check "verdictd as nobody stops cleanly (exit $VD_STATUS)" test "$VD_STATUS" = 0
check "... having answered everything queued" grep -q "final: queue 0:.*waiting 0 queue-dropped 0 user-dropped 0" "$VD_LOG"

# Without 'user': uid 0, CAP_NET_ADMIN alone; the socket's group is
# verdictd's if the system has one, else root's; mode 0660.
cat >"$conf" <<CONF
queue 0
accept proto udp dport 7000
default drop
CONF
vd_start "$conf"
check "without 'user': every thread uid 0: $(task_field Uid | tr '\n' '|')" \
	test "$(task_field Uid)" = "0 0 0 0"
check "... CapEff CAP_NET_ADMIN alone: $(task_field CapEff | tr '\n' '|')" \
	test "$(task_field CapEff)" = 0000000000001000
check "... CapBnd CAP_NET_ADMIN alone: $(task_field CapBnd | tr '\n' '|')" \
	test "$(task_field CapBnd)" = 0000000000001000
group=$(getent group verdictd >/dev/null && echo verdictd || echo root)
check "... control socket root:$group 660: $(stat -c '%U:%G %a' "$SOCK")" \
	test "$(stat -c '%U:%G %a' "$SOCK")" = "root:$group 660"
expect_status 0 "... traffic judged: UDP to 7000 accepted" udp 7000
vd_stop

# A user that does not exist: the start fails, and says why; -t too.
printf 'queue 0\nuser vd-no-such-user\ndefault accept\n' >"$conf"
expect_status 1 "verdictd -t: a user that does not exist is an error" "$VERDICTD" -t -c "$conf"
check "... naming it" grep -q "user 'vd-no-such-user' does not exist" "$WORK/last.out"
expect_status 1 "verdictd does not start as a user that does not exist" \
	in_f "$VERDICTD" -c "$conf" --control "$SOCK"
check "... saying so" grep -q "user 'vd-no-such-user' does not exist" "$WORK/last.out"
vd_done
