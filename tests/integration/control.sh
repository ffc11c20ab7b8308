#!/bin/bash
# The packet tracer against the running daemon: `verdictctl trace` asks
# verdictd, through its control socket, which rule a header meets with the
# live policy and the daemon's copies of the kernel sets; the offline
# tracer (verdictd --trace) has the policy file only, with empty sets.
. "$(dirname "$0")/lib.sh"

VERDICTCTL=$(cd "$builddir" && pwd)/verdictctl
SOCK=$WORK/control.sock
vd_topology_banned
cat >"$WORK/verdictd.conf" <<CONF
queue 0
set vdtest-banned hash:ip family inet
drop src @vdtest-banned
accept hook forward proto tcp dport 22
mark 0x100 proto udp dport 53
default drop
CONF
vd_start "$WORK/verdictd.conf"

check "the control socket exists, mode 660 (control-mode)" test "$(stat -c %a "$SOCK" 2>/dev/null)" = 660
in_f "$VERDICTCTL" trace -s "$SOCK" tcp 10.0.1.3:4000 10.0.2.2:22 hook forward >"$WORK/t1" 2>&1
check "a banned source meets the set rule in the running daemon: $(cat "$WORK/t1")" \
	grep -q "=> rule 1 (.*verdictd.conf:3) drop" "$WORK/t1"
echo "tcp 10.0.1.3:4000 10.0.2.2:22 hook forward" |
	"$VERDICTD" -c "$WORK/verdictd.conf" --trace - >"$WORK/t2" 2>/dev/null
check "the offline tracer, without the kernel's set, says rule 2: $(cat "$WORK/t2")" \
	grep -q "=> rule 2 .* accept" "$WORK/t2"
in_f "$VERDICTCTL" trace -s "$SOCK" --hook forward tcp 10.0.1.2:4000 10.0.2.2:22 >"$WORK/t3" 2>&1
check "--hook gives the chain: $(cat "$WORK/t3")" grep -q "=> rule 2 .* accept" "$WORK/t3"
in_f "$VERDICTCTL" trace -s "$SOCK" tcp 10.0.1.2:4000 10.0.2.2:22 >"$WORK/t4" 2>&1
check "without a hook the forward rule does not apply: $(cat "$WORK/t4")" grep -q "=> default drop" "$WORK/t4"
printf '# headers\nudp 10.0.1.2:999 10.0.2.2:53\nnonsense here\ntcp 10.0.1.3:1 10.0.2.2:22\n' >"$WORK/hdrs"
in_f "$VERDICTCTL" trace -s "$SOCK" -f "$WORK/hdrs" >"$WORK/t5" 2>"$WORK/t5.err"
status=$?
check "a file of headers: a mark rule, an error line, a drop (exit $status)" \
	test "$status" = 1 -a "$(wc -l <"$WORK/t5")" = 2
check "the mark value is shown" grep -q "rule 3 .* mark 0x100" "$WORK/t5"
check "the unreadable header is named" grep -q "nonsense here: cannot read this header" "$WORK/t5.err"
expect_status 2 "no daemon at a path: a clear error" in_f "$VERDICTCTL" trace -s "$WORK/nothing.sock" tcp 10.0.1.2:1 10.0.2.2:2
check "... saying so" grep -q "cannot reach verdictd at" "$WORK/last.out"
# The packet path still works while the socket was served.
check "the daemon is alive" kill -0 "$VD_PID"
vd_stop
check "verdictd exits 0" test "$VD_STATUS" = 0
check "the control socket is removed at exit" test ! -e "$SOCK"
sed 's/^/# /' "$VD_LOG"
vd_done
