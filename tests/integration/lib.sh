# lib.sh - shared setup for the integration tests, sourced by each.
#
# Topology, three network namespaces joined by veth pairs:
#
#   client (c0) 10.0.1.2, .3   fd00:1::2, ::3
#      |
#   firewall (f0) 10.0.1.1 fd00:1::1 | (f1) 10.0.2.1 fd00:2::1   verdictd runs here
#      |
#   server (s0) 10.0.2.2       fd00:2::2                         probe serve
#
# Every test gets namespaces of its own (named after its PID), so tests can
# run in parallel; the EXIT trap removes them, and everything in them
# (rules, sets, conntrack entries), and kills by PID what the test started,
# whether it passed, failed or was interrupted.

set -u

srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${top_builddir:-$srcdir}
VERDICTD=$(cd "$builddir" && pwd)/verdictd
PROBE=$(cd "$builddir" && pwd)/tests/probe
VERDICTCTL=$(cd "$builddir" && pwd)/verdictctl
RULES=$(cd "$srcdir" && pwd)/rules
IPT=${IPTABLES:-iptables}
IP6T=${IP6TABLES:-ip6tables}
TEST=$(basename "$0" .sh)
# Each test runs once per transport: the ring-*.sh wrappers set ring.
VD_TRANSPORT=${VD_TRANSPORT:-socket}

vd_passed=0
vd_failed=0
vd_pids=""
vd_extra_ns=""		# namespaces a test adds to the three below
NS_C=vd$$c
NS_F=vd$$f
NS_S=vd$$s
WORK=$(mktemp -d "${TMPDIR:-/tmp}/verdictd-$TEST.XXXXXX")

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: $TEST needs root (network namespaces, iptables, NFQUEUE)"
	exit 77
fi
for tool in ip "$IPT-restore" "$IP6T-restore" ipset conntrack ping setpriv; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		# In CI a missing tool is a broken setup, not a reason to skip.
		if [ -n "${CI:-}" ]; then
			echo "ERROR: $tool is not installed"
			exit 99
		fi
		echo "SKIP: $TEST needs $tool"
		exit 77
	fi
done

# vd_teardown: stops what the test started (by PID) and removes its
# namespaces, with everything in them; a test may build again after it.
vd_teardown() {
	local pid ns
	for pid in $vd_pids; do
		kill -TERM "$pid" 2>/dev/null
	done
	[ -z "$vd_pids" ] || sleep 0.2
	for pid in $vd_pids; do
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	vd_pids=""
	ip netns del "$NS_C" 2>/dev/null
	ip netns del "$NS_F" 2>/dev/null
	ip netns del "$NS_S" 2>/dev/null
	for ns in $vd_extra_ns; do
		ip netns del "$ns" 2>/dev/null
	done
}

vd_cleanup() {
	vd_teardown
	rm -rf "$WORK"
}
trap vd_cleanup EXIT
trap 'exit 130' INT TERM

ok() {
	vd_passed=$((vd_passed + 1))
	echo "ok $((vd_passed + vd_failed)) - $*"
}

not_ok() {
	vd_failed=$((vd_failed + 1))
	echo "not ok $((vd_passed + vd_failed)) - $*"
}

# check DESC CONDITION...: passes when the command succeeds.
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# expect_status WANT DESC CMD...: the command's exit status must be WANT.
expect_status() {
	local want=$1 desc=$2 got
	shift 2
	"$@" >"$WORK/last.out" 2>&1
	got=$?
	if [ "$got" = "$want" ]; then
		ok "$desc"
	else
		not_ok "$desc (exit $got, wanted $want)"
		sed 's/^/#   /' "$WORK/last.out"
	fi
}

vd_done() {
	echo "# $TEST ($VD_TRANSPORT transport): $vd_passed passed, $vd_failed failed"
	[ "$vd_failed" = 0 ]
	exit $?
}

in_c() { ip netns exec "$NS_C" "$@"; }
in_f() { ip netns exec "$NS_F" "$@"; }
in_s() { ip netns exec "$NS_S" "$@"; }

vd_topology() {
	ip netns add "$NS_C" && ip netns add "$NS_F" && ip netns add "$NS_S" || exit 99
	ip -n "$NS_C" link add c0 type veth peer name f0 netns "$NS_F" || exit 99
	ip -n "$NS_S" link add s0 type veth peer name f1 netns "$NS_F" || exit 99
	ip -n "$NS_C" addr add 10.0.1.2/24 dev c0
	ip -n "$NS_C" addr add 10.0.1.3/24 dev c0
	ip -n "$NS_C" addr add fd00:1::2/64 dev c0 nodad
	ip -n "$NS_C" addr add fd00:1::3/64 dev c0 nodad
	ip -n "$NS_F" addr add 10.0.1.1/24 dev f0
	ip -n "$NS_F" addr add fd00:1::1/64 dev f0 nodad
	ip -n "$NS_F" addr add 10.0.2.1/24 dev f1
	ip -n "$NS_F" addr add fd00:2::1/64 dev f1 nodad
	ip -n "$NS_S" addr add 10.0.2.2/24 dev s0
	ip -n "$NS_S" addr add fd00:2::2/64 dev s0 nodad
	local ns
	for ns in "$NS_C" "$NS_F" "$NS_S"; do
		ip -n "$ns" link set lo up
	done
	ip -n "$NS_C" link set c0 up
	ip -n "$NS_S" link set s0 up
	ip -n "$NS_F" link set f0 up
	ip -n "$NS_F" link set f1 up
	ip -n "$NS_C" route add default via 10.0.1.1
	ip -n "$NS_C" -6 route add default via fd00:1::1
	ip -n "$NS_S" route add default via 10.0.2.1
	ip -n "$NS_S" -6 route add default via fd00:2::1
	in_f sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 >/dev/null
	# Resolve neighbours now, before any rule, so that no test measures
	# address resolution.
	local src
	for src in 10.0.1.2 10.0.1.3; do
		in_c ping -c 1 -W 2 -I $src 10.0.2.2 >/dev/null 2>&1
	done
	for src in fd00:1::2 fd00:1::3; do
		in_c ping -c 1 -W 2 -I $src fd00:2::2 >/dev/null 2>&1
	done
}

# vd_topology_pair: the same traffic through two firewalls, to compare
# verdictd with the kernel's own rules of the same meaning:
#
#   client c0 -> f0 [NS_F: verdictd] f1 -> s0 \
#   client c1 -> i0 [NS_I: reference rules] i1 -> s1  server (the sink)
#
# 10.0.1-4.0/24 and fd00:1-4::/64 on the four links, MTU 9000. Both
# firewalls forward anything to the server (default routes, no reverse
# path filter), whose addresses stay resolved. MAC_F and MAC_I are the
# firewalls' client-side addresses, for raw frames (cbpkt, hdrpkt).
vd_topology_pair() {
	local ns l fw up down n
	NS_I=vd$$i
	vd_extra_ns="$vd_extra_ns $NS_I"
	ip netns add "$NS_C" && ip netns add "$NS_F" && ip netns add "$NS_S" &&
		ip netns add "$NS_I" || exit 99
	ip -n "$NS_C" link add c0 type veth peer name f0 netns "$NS_F" || exit 99
	ip -n "$NS_C" link add c1 type veth peer name i0 netns "$NS_I" || exit 99
	ip -n "$NS_S" link add s0 type veth peer name f1 netns "$NS_F" || exit 99
	ip -n "$NS_S" link add s1 type veth peer name i1 netns "$NS_I" || exit 99
	for l in "$NS_C c0 1.2 1::2" "$NS_F f0 1.1 1::1" "$NS_F f1 2.1 2::1" "$NS_S s0 2.2 2::2" \
		 "$NS_C c1 3.2 3::2" "$NS_I i0 3.1 3::1" "$NS_I i1 4.1 4::1" "$NS_S s1 4.2 4::2"; do
		set -- $l
		ip -n "$1" addr add "10.0.$3/24" dev "$2"
		ip -n "$1" addr add "fd00:$4/64" dev "$2" nodad
		ip -n "$1" link set "$2" mtu 9000 up
	done
	for ns in "$NS_C" "$NS_F" "$NS_S" "$NS_I"; do
		ip -n "$ns" link set lo up
	done
	for fw in "$NS_F f0 f1 2 s0" "$NS_I i0 i1 4 s1"; do
		set -- $fw
		ip netns exec "$1" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
			net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
			net.ipv4.conf."$2".rp_filter=0 net.ipv4.conf."$3".rp_filter=0 >/dev/null
		ip -n "$1" route add default via "10.0.$4.2"
		ip -n "$1" -6 route add default via "fd00:$4::2"
		ip -n "$1" neigh replace "10.0.$4.2" lladdr "$(vd_mac "$NS_S" "$5")" dev "$3" nud permanent
		ip -n "$1" -6 neigh replace "fd00:$4::2" lladdr "$(vd_mac "$NS_S" "$5")" dev "$3" nud permanent
	done
	MAC_F=$(vd_mac "$NS_F" f0)
	MAC_I=$(vd_mac "$NS_I" i0)
}

# vd_topology_banned: vd_topology with the fixed rules loaded and a kernel
# set vdtest-banned holding 10.0.1.3 (the control socket tests' policy).
vd_topology_banned() {
	vd_topology
	vd_rules
	in_f ipset create vdtest-banned hash:ip family inet || exit 99
	in_f ipset add vdtest-banned 10.0.1.3 || exit 99
}

# vd_mac NS IFACE: the interface's Ethernet address.
vd_mac() { ip -n "$1" -o link show "$2" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'; }

# vd_rules [SUFFIX]: the shipped fixed rule set (rules/verdictd-ipv4SUFFIX.rules
# and the IPv6 one) into the firewall namespace.
vd_rules() {
	local suffix=${1:-}
	in_f "$IPT-restore" --noflush <"$RULES/verdictd-ipv4$suffix.rules" || exit 99
	in_f "$IP6T-restore" --noflush <"$RULES/verdictd-ipv6$suffix.rules" || exit 99
	# Per-flow packet counters, to prove that only a flow's first packets
	# went through the queue.
	in_f sysctl -qw net.netfilter.nf_conntrack_acct=1
}

# vd_serve PORTS: echo server in the server namespace.
vd_serve() {
	vd_spawn "$NS_S" "$WORK/serve.log" serving "$PROBE" serve "$1"
}

# vd_spawn NS LOG PATTERN CMD...: CMD in namespace NS in the background
# (not through a shell function: BG_PID is the command's own PID, killed
# at cleanup), its output in LOG; waits for a line matching PATTERN, for
# SPAWN_TRIES tenths of a second (default 100).
vd_spawn() {
	local ns=$1 log=$2 pat=$3 i
	shift 3
	ip netns exec "$ns" "$@" >"$log" 2>&1 &
	BG_PID=$!
	vd_pids="$vd_pids $BG_PID"
	for i in $(seq "${SPAWN_TRIES:-100}"); do
		grep -q -e "$pat" "$log" && return 0
		kill -0 "$BG_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "# $* did not start:"; sed 's/^/#   /' "$log"
	exit 99
}

# vd_start CONF [ARGS...]: verdictd in the firewall namespace; waits for
# its "ready" line. VD_PID and VD_LOG are set. VD_TRANSPORT (ring,
# socket, auto) chooses the transport.
vd_start() {
	local conf=$1 i
	shift
	VD_LOG=$WORK/verdictd.$(date +%s%N).log
	# A control socket of its own: tests run side by side.
	ip netns exec "$NS_F" "$VERDICTD" -c "$conf" --transport "$VD_TRANSPORT" \
		--control "$WORK/control.sock" "$@" \
		>"$VD_LOG" 2>&1 &
	VD_PID=$!
	vd_pids="$vd_pids $VD_PID"
	for i in $(seq 100); do
		grep -q ": ready:" "$VD_LOG" && return 0
		kill -0 "$VD_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "# verdictd did not start:"; sed 's/^/#   /' "$VD_LOG"
	exit 99
}

# vd_start_sets: the set-editing tests' firewall: verdictd with a policy
# that drops sources in sets banned (IPv4), banned6 and nets (hash:net),
# accepts TCP and UDP to 7000 (probe's echo) and 7100 (flowpush's server),
# and TCP to 7200 (for a flowpush sink).
vd_start_sets() {
	FLOWPUSH=$(cd "$builddir" && pwd)/tests/flowpush
	vd_topology
	vd_spawn "$NS_S" "$WORK/push.log" serving "$FLOWPUSH" serve 7100
	vd_serve 7000
	vd_rules
	cat >"$WORK/verdictd.conf" <<CONF
queue 0
set banned hash:ip family inet
set banned6 hash:ip family inet6
set nets hash:net family inet
drop src @banned
drop src @banned6
drop src @nets
accept proto tcp dport 7000,7100,7200
accept proto udp dport 7000,7100
default drop
CONF
	vd_start "$WORK/verdictd.conf"
}

# vd_stop: SIGTERM, then the exit status in VD_STATUS.
vd_stop() {
	kill -TERM "$VD_PID"
	wait "$VD_PID"
	VD_STATUS=$?
}

# listen_drops: SYNs the server itself dropped (its listen queue was full:
# a loaded machine, not the firewall's doing).
listen_drops() {
	in_s awk '/^TcpExt:/ { if (!h) { for (i = 1; i <= NF; i++) n[$i] = i; h = 1 } else print $n["ListenDrops"] }' \
		/proc/net/netstat
}

# syn_retrans: the client's count of SYN retransmissions.
syn_retrans() {
	in_c awk '/^TcpExt:/ { if (!h) { for (i = 1; i <= NF; i++) n[$i] = i; h = 1 } else print $n["TCPSynRetrans"] }' \
		/proc/net/netstat
}

# vd_check_answered: from verdictd's final line (queue 0; after vd_stop),
# checks that every queued id got exactly one verdict (the kernel's
# id-sequence = packets received = verdicts of every kind) and that the
# kernel lost nothing (waiting, queue-dropped, user-dropped 0).
vd_check_answered() {
	local final packets answered
	final=$(grep "final: queue 0:" "$VD_LOG")
	vd_field() { echo "$final" | grep -o " $1 [0-9]*" | head -n 1 | awk '{ print $2 }'; }
	packets=$(vd_field packets)
	answered=$(($(vd_field accept) + $(vd_field drop) + $(vd_field reject) + $(vd_field mark) +
		$(vd_field malformed) + $(vd_field loops)))
	check "every queued id got its verdict (id-sequence $(vd_field id-sequence), received $packets, answered $answered)" \
		test -n "$packets" -a "$(vd_field id-sequence)" = "$packets" -a "$answered" = "$packets"
	check "nothing waiting, queue-dropped and user-dropped 0" \
		test "$(vd_field waiting)" = 0 -a "$(vd_field queue-dropped)" = 0 -a "$(vd_field user-dropped)" = 0
}

# vd_stop_clean: vd_stop, then checks that verdictd exited 0 and that the
# kernel's queue lost nothing (its final line).
vd_stop_clean() {
	vd_stop
	check "verdictd exits 0" test "$VD_STATUS" = 0
	check "nothing lost in the kernel's queue" \
		grep -q "final: queue 0: .* kernel: waiting 0 queue-dropped 0 user-dropped 0" "$VD_LOG"
}

# queue_field QUEUE N: column N of the queue's line in
# /proc/net/netfilter/nfnetlink_queue (3 waiting, 6 queue_dropped,
# 7 user_dropped, 8 id_sequence).
queue_field() {
	in_f awk -v q="$1" -v f="$2" '$1 == q { print $f; found = 1 } END { if (!found) print 0 }' \
		/proc/net/netfilter/nfnetlink_queue
}

# ct_entries ARGS...: conntrack -L filtered by ARGS, in the firewall.
ct_entries() {
	in_f conntrack -L "$@" 2>/dev/null
}

# ct_mark ARGS...: the mark of the one matching conntrack entry.
ct_mark() {
	ct_entries "$@" | sed -n 's/.* mark=\([0-9]*\).*/\1/p' | head -n 1
}

# ct_packets ARGS...: packets counted both ways on the matching entry.
ct_packets() {
	ct_entries "$@" | head -n 1 | grep -o 'packets=[0-9]*' | cut -d= -f2 |
		awk '{ s += $1 } END { print s + 0 }'
}
