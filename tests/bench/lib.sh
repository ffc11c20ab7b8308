# lib.sh - what the benchmarks share, on top of the integration tests'
# topology (tests/integration/lib.sh: client -> firewall -> server).
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"
BENCH=$(cd "$builddir" && pwd)/tests/bench
TOOLS=$(cd "$builddir" && pwd)/tests
VERDICTCTL=$(cd "$builddir" && pwd)/verdictctl

# New flows at full speed fill the conntrack table: room for a few seconds
# of them. A global setting, restored at exit with everything else.
CT_MAX_WAS=$(cat /proc/sys/net/netfilter/nf_conntrack_max)
bench_cleanup() {
	echo "$CT_MAX_WAS" >/proc/sys/net/netfilter/nf_conntrack_max
	vd_cleanup
}
trap bench_cleanup EXIT
echo 2000000 >/proc/sys/net/netfilter/nf_conntrack_max

# rx: packets the server's interface has received.
rx() { in_s cat /sys/class/net/s0/statistics/rx_packets; }
