#!/bin/bash
# verdictd -t against the kernel: each set declaration is compared with the
# kernel set of its name (another type or family is an error, as it is at
# start; a bitmap:port range that differs is a warning; a missing set is
# noted), an iif/oif naming an interface that does not exist is warned
# about, and without CAP_NET_ADMIN -t says in one line that the sets were
# not compared. Each line is file:line:col, in line order.
. "$(dirname "$0")/lib.sh"

vd_topology
chmod 755 "$WORK"
in_f ipset create clash hash:ip family inet
in_f ipset create narrow bitmap:port range 1000-2000
in_f ipset create six hash:net family inet6
in_f ipset create same hash:net family inet
cat >"$WORK/k.conf" <<CONF
queue 0
set clash bitmap:port
set narrow bitmap:port
set six hash:net family inet
set fresh hash:ip
set same hash:net
accept iif vd-nosuch0 proto tcp dport @narrow
accept oif f1 src @same
CONF
cat >"$WORK/ok.conf" <<CONF
queue 0
set narrow bitmap:port range 1000-2000
set same hash:net family inet
accept proto tcp dport @narrow iif f0
default drop
CONF
chmod 644 "$WORK"/*.conf

in_f "$VERDICTD" -t -c "$WORK/k.conf" >"$WORK/out" 2>&1
status=$?
sed 's/^/#   /' "$WORK/out"
check "sets that differ from the kernel's fail -t (exit $status)" test "$status" = 1
expect() { grep -q -- "$2" "$WORK/out" && ok "$1" || not_ok "$1 (no /$2/)"; }
expect "another type: file:line:col and what to do" \
	"k.conf:2:1: kernel set 'clash' is hash:ip family inet, but the policy declares bitmap:port; rename one of them or destroy the kernel set (ipset destroy clash)"
expect "a bitmap:port range that differs: a warning naming both" \
	"k.conf:3:1: warning: kernel set 'narrow' has range 1000-2000, but the policy declares range 0-65535 (the default)"
expect "another family" \
	"k.conf:4:1: kernel set 'six' is hash:net family inet6, but the policy declares hash:net family inet"
expect "a set that does not exist yet is noted" \
	"k.conf:5:1: note: there is no kernel set 'fresh' yet; verdictd makes it (hash:ip family inet) when it starts"
expect "a missing interface: a warning at its name" \
	"k.conf:7:12: warning: no interface 'vd-nosuch0' exists now"
expect "the count of declarations that differ" "k.conf: 2 set declarations differ from the kernel's sets; fix them"
check "a set that agrees, and an interface that exists, say nothing" \
	sh -c "! grep -q \"'same'\\|'f1'\" '$WORK/out'"
check "file:line:col lines come in line order" \
	sh -c "grep -o '^[^ ]*k.conf:[0-9]*' '$WORK/out' | sed 's/.*://' | sort -c -n"
in_f "$VERDICTD" -t -c "$WORK/ok.conf" >"$WORK/out" 2>&1
status=$?
check "sets that agree with the kernel's pass -t, silently (exit $status)" \
	sh -c "[ $status = 0 ] && [ \$(wc -l <'$WORK/out') = 1 ] && grep -q 'ok.conf: ok:' '$WORK/out'"
in_f setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$VERDICTD" -t -c "$WORK/k.conf" >"$WORK/out" 2>&1
status=$?
sed 's/^/#   /' "$WORK/out"
check "without CAP_NET_ADMIN, -t still passes what it can check (exit $status)" test "$status" = 0
expect "... and says in one line that the sets were not compared" \
	"k.conf: note: the 5 set declarations were not compared with the kernel's ipsets: reading them needs root or CAP_NET_ADMIN"
check "... never that a set differs" sh -c "! grep -q \"kernel set '\" '$WORK/out'"
vd_done
