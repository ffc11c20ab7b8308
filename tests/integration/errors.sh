#!/bin/bash
# Every way verdictd can be started wrong gets one clear line and a
# non-zero exit; a missing set is created with its declared type, an
# existing set of another type is refused.
. "$(dirname "$0")/lib.sh"

vd_topology
chmod 755 "$WORK"
cat >"$WORK/good.conf" <<CONF
queue 7
set newset hash:net family inet6
accept src @newset
default accept
CONF
cat >"$WORK/bad.conf" <<CONF
queue 7
accept proto tcp dport 99999
CONF
chmod 644 "$WORK"/*.conf
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"; }

# expect_line STATUS PATTERN DESC CMD...: exit status and a matching line.
expect_line() {
	local want=$1 pattern=$2 desc=$3 got
	shift 3
	"$@" >"$WORK/out" 2>&1
	got=$?
	if [ "$got" = "$want" ] && grep -q -- "$pattern" "$WORK/out"; then
		ok "$desc"
	else
		not_ok "$desc (exit $got, wanted $want and /$pattern/)"
		sed 's/^/#   /' "$WORK/out"
	fi
}

expect_line 2 "unknown option '--bogus'; see verdictd --help" "unknown option" \
	"$VERDICTD" --bogus
expect_line 2 "option '-c' needs a value" "option without its value" "$VERDICTD" -c
expect_line 1 "bad.conf:2:24: '99999' is not a port or range" "bad config: file:line:col" \
	"$VERDICTD" -t -c "$WORK/bad.conf"
expect_line 1 "not starting" "the daemon refuses a bad config" in_f "$VERDICTD" -c "$WORK/bad.conf"
expect_line 1 "nothing.conf: cannot open: No such file or directory" "missing config file" \
	"$VERDICTD" -c "$WORK/nothing.conf"
expect_line 0 "good.conf: ok: queues 7-7, 1 sets, 1 rules, default accept; compiled in" \
	"-t checks without root" nobody "$VERDICTD" -t -c "$WORK/good.conf"
expect_line 1 "needs CAP_NET_ADMIN.*run it as root" "not root" \
	nobody "$VERDICTD" -c "$WORK/good.conf"
expect_line 2 "takes ipv4 or ipv6" "--print-rules with a bad family" "$VERDICTD" --print-rules=ipx
expect_line 2 "queue 0-99: expected N or N-M" "--queue out of range" "$VERDICTD" -q 0-99 -t -c "$WORK/good.conf"

vd_start "$WORK/good.conf"
check "the legacy mmap'd netlink ring probe is logged" grep -q "NETLINK_RX_RING" "$VD_LOG"
check "the transport and why are logged" grep -q "transport $VD_TRANSPORT (asked for $VD_TRANSPORT)" "$VD_LOG"
check "a missing set is created with the declared type" \
	sh -c "ip netns exec $NS_F ipset list newset -t | grep -q 'Type: hash:net' &&
	       ip netns exec $NS_F ipset list newset -t | grep -q 'family inet6'"
expect_line 1 "queue 7 is already bound by another process" "queue already bound" \
	in_f "$VERDICTD" -c "$WORK/good.conf"
vd_stop
check "the first daemon still stopped cleanly" test "$VD_STATUS" = 0
sed "s/^/# /" "$VD_LOG"

in_f ipset create clash hash:ip family inet
cat >"$WORK/clash.conf" <<CONF
queue 8
set clash bitmap:port
default accept
CONF
expect_line 1 "kernel set 'clash' is hash:ip family inet, but the policy declares bitmap:port" \
	"an existing set of another type is refused" in_f "$VERDICTD" -c "$WORK/clash.conf"
check "... and left as it was" sh -c "ip netns exec $NS_F ipset list clash -t | grep -q 'Type: hash:ip'"
# A bitmap:port whose kernel range differs from the declared one: used as
# it is, with a warning that names both ranges.
in_f ipset create narrow bitmap:port range 1000-2000
cat >"$WORK/range.conf" <<CONF
queue 8
set narrow bitmap:port
accept proto tcp dport @narrow
default accept
CONF
vd_start "$WORK/range.conf"
check "a bitmap:port range that differs from the kernel's is reported at start" \
	grep -q "line 2: kernel set 'narrow' has range 1000-2000, but the policy declares range 0-65535 (the default)" "$VD_LOG"
vd_stop
check "... and the daemon ran with the kernel set as it is" test "$VD_STATUS" = 0
check "... which is left as it was" sh -c "ip netns exec $NS_F ipset list narrow -t | grep -q 'range 1000-2000'"

# No rules and no 'default': a warning, at -t and at start.
: >"$WORK/empty.conf"
printf 'queue 10\n' >"$WORK/norules.conf"
chmod 644 "$WORK/empty.conf" "$WORK/norules.conf"
expect_line 0 "empty.conf: warning: no rules: every new connection gets the default verdict, drop" \
	"-t warns about an empty file" nobody "$VERDICTD" -t -c "$WORK/empty.conf"
vd_start "$WORK/norules.conf"
check "the daemon warns at start about a policy with no rules" \
	grep -q "norules.conf: warning: no rules: every new connection gets the default verdict, drop" "$VD_LOG"
vd_stop
printf 'queue 10\ndefault drop\n' >"$WORK/dropall.conf"
chmod 644 "$WORK/dropall.conf"
"$VERDICTD" -t -c "$WORK/dropall.conf" >"$WORK/out" 2>&1
check "an explicit 'default drop' without rules is not warned about" sh -c "! grep -q warning '$WORK/out'"

# A misspelt keyword is named as such, with the nearest one.
printf 'queue 11\nacept proto tcp\n' >"$WORK/typo.conf"
chmod 644 "$WORK/typo.conf"
expect_line 1 "typo.conf:2:1: unknown keyword 'acept' (did you mean 'accept'?)" "a misspelt keyword" \
	"$VERDICTD" -t -c "$WORK/typo.conf"

expect_line 2 "--transport takes auto, ring or socket" "a bad --transport" "$VERDICTD" --transport x -t -c "$WORK/good.conf"
# auto picks the ring here, where io_uring works; where a seccomp policy
# forbids io_uring it falls back to the socket, saying why, and an
# explicit ring refuses to start.
cat >"$WORK/auto.conf" <<CONF
queue 9
transport auto
default accept
CONF
VD_TRANSPORT=auto vd_start "$WORK/auto.conf"
check "transport auto chooses the ring where io_uring works" grep -q "transport ring (asked for auto)" "$VD_LOG"
vd_stop
NORING=$(cd "$builddir" && pwd)/tests/noring
expect_line 1 "the ring transport cannot run: io_uring is not permitted here (Operation not permitted: a seccomp or container policy forbids it)" \
	"--transport ring under a seccomp policy without io_uring: a clear refusal" \
	in_f "$NORING" "$VERDICTD" -c "$WORK/auto.conf" --transport ring
# Not through in_f: $! must be the daemon's own PID (ip netns exec and
# noring exec it), or the kill below would miss it.
ip netns exec "$NS_F" "$NORING" "$VERDICTD" -c "$WORK/auto.conf" >"$WORK/noring.log" 2>&1 &
pid=$!
vd_pids="$vd_pids $pid"
for i in $(seq 50); do grep -q ": ready:" "$WORK/noring.log" && break; sleep 0.1; done
kill -TERM $pid
wait $pid
check "transport auto falls back to the socket, saying why" \
	grep -q "transport socket (asked for auto): io_uring is not permitted here" "$WORK/noring.log"
sed 's/^/# /' "$WORK/noring.log"
vd_done
