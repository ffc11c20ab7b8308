#!/bin/bash
# Debian's fail2ban with contrib/fail2ban/action.d/verdictd.conf: a jail on
# a log file this test writes bans an offender (IPv4 and IPv6) through
# verdictctl; the ban cuts its open connection and refuses new ones, the
# unban (bantime over) lets it back.
. "$(dirname "$0")/lib.sh"
command -v fail2ban-client >/dev/null || { echo "# fail2ban is not installed (contrib/deps.sh)"; exit 99; }
vd_start_sets

F2B=$WORK/f2b
mkdir -p "$F2B/action.d" "$F2B/filter.d"
cp "$srcdir/contrib/fail2ban/action.d/verdictd.conf" "$F2B/action.d/"
cat >"$F2B/fail2ban.conf" <<CONF
[Definition]
loglevel = INFO
logtarget = $F2B/fail2ban.log
syslogsocket = auto
socket = $F2B/fail2ban.sock
pidfile = $F2B/fail2ban.pid
allowipv6 = auto
dbfile = :memory:
dbpurgeage = 1d
CONF
cat >"$F2B/filter.d/vdtest.conf" <<'CONF'
[Definition]
failregex = ^login failed from <HOST>$
datepattern = {NONE}
CONF
cat >"$F2B/jail.conf" <<CONF
[DEFAULT]
backend = polling
[vdtest]
enabled = true
filter = vdtest
logpath = $WORK/auth.log
maxretry = 3
findtime = 60
bantime = 4
action = verdictd[verdictctl="$VERDICTCTL", socket="$WORK/control.sock"]
CONF
: >"$WORK/auth.log"
vd_spawn "$NS_F" "$WORK/fail2ban.out" "Server ready" fail2ban-client -c "$F2B" -f -x start
f2b() { in_f fail2ban-client -c "$F2B" "$@"; }
tcp_from() { in_c "$PROBE" -w 800 -b "$1" tcp "${2:-10.0.2.2}" 7000 1 >/dev/null 2>&1; }

in_c "$FLOWPUSH" tcp 10.0.2.2 7100 6 >"$WORK/tcp.out" 2>&1 &
push=$!
vd_pids="$vd_pids $push"
sleep 1
src6=fd00:1::3
for i in 1 2 3; do
	echo "login failed from 10.0.1.2" >>"$WORK/auth.log"
	echo "login failed from $src6" >>"$WORK/auth.log"
done
t0=$(date +%s%N)
for i in $(seq 50); do
	[ "$(ct_mark -p tcp --orig-src 10.0.1.2 --dport 7100)" = 2 ] && break
	sleep 0.1
done
banned_ms=$((($(date +%s%N) - t0) / 1000000))
check "fail2ban banned 10.0.1.2 through verdictctl: its open TCP connection has the drop verdict after $banned_ms ms" \
	test "$(ct_mark -p tcp --orig-src 10.0.1.2 --dport 7100)" = 2
check "the jail lists both offenders" sh -c "f2b() { ip netns exec $NS_F fail2ban-client -c $F2B \"\$@\"; };
	f2b status vdtest | grep -q '10.0.1.2' && f2b status vdtest | grep -q '$src6'"
check "the kernel sets hold them (banned, banned6)" \
	sh -c "ip netns exec $NS_F ipset test banned 10.0.1.2 && ip netns exec $NS_F ipset test banned6 $src6" 
expect_status 2 "a new connection from 10.0.1.2 is refused" tcp_from 10.0.1.2
expect_status 2 "... and from $src6" tcp_from "$src6" fd00:2::2
expect_status 0 "10.0.1.3 still connects" tcp_from 10.0.1.3
wait "$push"
# Cut for the ban (4 s): nothing arrives for most of it, whatever the
# moment fail2ban's unban lets the connection's retransmissions back.
check "the banned host's open connection was cut: $(cat "$WORK/tcp.out")" awk '{ exit !($4 >= 2500) }' "$WORK/tcp.out"

# bantime 4 s: fail2ban unbans through verdictctl.
back=""
for i in $(seq 40); do
	grep -q "Unban 10.0.1.2" "$F2B/fail2ban.log" && tcp_from 10.0.1.2 && { back=$i; break; }
	sleep 0.2
done
check "after the unban 10.0.1.2 connects again" test -n "$back"
expect_status 0 "... and $src6" tcp_from "$src6" fd00:2::2
check "fail2ban logged no error from the action" sh -c "! grep -q 'ERROR' '$F2B/fail2ban.log'"
grep "ERROR" "$F2B/fail2ban.log" | head -n 5 | sed 's/^/#   /'

# verdictd stopped (a restart, an upgrade): the action bans with plain
# ipset, and the next start has it in force.
vd_stop
f2b set vdtest banip 10.0.1.3 >/dev/null
check "with verdictd stopped, a ban still reaches the kernel set (plain ipset)" \
	in_f ipset test banned 10.0.1.3
vd_start "$WORK/verdictd.conf"
expect_status 2 "... and verdictd, started again, refuses the host" tcp_from 10.0.1.3
f2b set vdtest unbanip 10.0.1.3 >/dev/null
expect_status 0 "the unban through verdictctl lets it back" tcp_from 10.0.1.3
f2b stop >/dev/null 2>&1
vd_stop_clean
vd_done
