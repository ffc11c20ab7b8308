#!/bin/bash
# verdictctl trace's command line: each quoted argument is a header of its
# own, words run together split where a new protocol begins, every
# protocol the policy names is traced, a port may be left out on one side,
# and a header without a hook says which hook it was taken from.
. "$(dirname "$0")/lib.sh"

VERDICTCTL=$(cd "$builddir" && pwd)/verdictctl
SOCK=$WORK/control.sock
vd_topology
cat >"$WORK/verdictd.conf" <<CONF
queue 0
accept hook input proto tcp dport 22
accept proto gre
reject proto udplite dport 53
mark 0x100 proto udp dport 53
drop proto esp
accept proto ah
accept proto dccp dport 9
default drop
CONF
vd_start "$WORK/verdictd.conf"
trace() { in_f "$VERDICTCTL" trace -s "$SOCK" "$@" >"$WORK/out" 2>"$WORK/err"; }
show() { sed 's/^/#   /' "$WORK/out" "$WORK/err"; return 1; }
# lines N PATTERN...: N lines of output, the k-th matching the k-th pattern
# (else the output is shown).
lines() {
	local n=$1 k=1 p
	shift
	[ "$(wc -l <"$WORK/out")" = "$n" ] || show || return 1
	for p in "$@"; do
		sed -n "${k}p" "$WORK/out" | grep -q -- "$p" || show || return 1
		k=$((k + 1))
	done
}

trace "tcp 10.0.1.2:4000 10.0.2.2:22 hook input" "udp 10.0.1.2:1 10.0.2.2:53"
check "two quoted headers are traced one by one" \
	lines 2 "=> rule 1 (.*verdictd.conf:2) accept" "=> rule 4 (.*verdictd.conf:5) mark 0x100"
trace tcp 10.0.1.2:4000 10.0.2.2:22 hook input udp 10.0.1.2:1 10.0.2.2:53
check "words run together: a protocol where a keyword could come starts the next header" \
	lines 2 "=> rule 1 .* accept" "=> rule 4 .* mark 0x100"
trace "$(printf 'gre 10.0.1.2 10.0.2.2\nudp 10.0.1.2:1 10.0.2.2:53')"
check "a newline inside an argument separates headers" lines 2 "^gre .*=> rule 2" "=> rule 4"
trace gre 10.0.1.2 10.0.2.2
check "gre" lines 1 "^gre 10.0.1.2 -> 10.0.2.2 => rule 2 .* accept"
trace 47 10.0.1.2 10.0.2.2
check "a protocol number" lines 1 "^gre 10.0.1.2 -> 10.0.2.2 => rule 2 .* accept"
trace udplite 10.0.1.2 10.0.2.2:53
check "udplite, the source port left out (taken as 0)" \
	lines 1 "^udplite 10.0.1.2:0 -> 10.0.2.2:53 => rule 3 .* reject"
trace "esp fd00:1::2 fd00:2::2" "ah 10.0.1.2 10.0.2.2" "dccp [fd00:1::2]:5 [fd00:2::2]:9"
check "esp, ah, dccp" lines 3 "^esp .*=> rule 5 .* drop" "^ah .*=> rule 6 .* accept" \
	"^dccp .*=> rule 7 .* accept"
trace tcp 10.0.1.2:4000 10.0.2.2:22
check "no hook named: the line says the hook rules were skipped" \
	lines 1 "=> default drop (no hook named: rules with a hook match were skipped"
trace --hook input tcp 10.0.1.2:4000 10.0.2.2:22
check "--hook: the line says which hook was assumed" \
	lines 1 "=> rule 1 .* accept (hook input assumed: --hook)"
trace "tcp 10.0.1.2:1 10.0.2.2:22 hook input" "nonsense 10.0.1.2 10.0.2.2" "gre 10.0.1.2:5 10.0.2.2"
status=$?
check "one bad header among good ones: the good ones are traced, exit 1 (exit $status)" \
	sh -c "[ $status = 1 ] && [ \$(wc -l <'$WORK/out') = 1 ]"
check "... and each bad one says why" sh -c \
	"grep -q \"nonsense 10.0.1.2 10.0.2.2: cannot read this header: unknown protocol 'nonsense'\" '$WORK/err' &&
	 grep -q 'gre 10.0.1.2:5 10.0.2.2: cannot read this header: gre has no ports' '$WORK/err'"
vd_stop
check "verdictd exits 0" test "$VD_STATUS" = 0
vd_done
