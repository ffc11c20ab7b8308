#!/bin/sh
# deps.sh - installs what building, running and testing verdictd needs on
# Debian 12 (as root). Installs only what is missing; safe to run again.
set -eu

PACKAGES="build-essential autoconf automake libtool pkg-config
	libmnl-dev libnetfilter-queue-dev libnfnetlink-dev libnetfilter-conntrack-dev
	libipset-dev liburing-dev libsystemd-dev
	iptables ipset conntrack iproute2 iputils-ping util-linux procps
	clang libclang-rt-14-dev valgrind
	ufw shorewall
	dpdk-dev gnuplot-nox mandoc fail2ban
	libcap-dev systemd systemd-container debootstrap curl jq"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "deps.sh: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# Daemons that come with packages (fail2ban) are for the tests to run
	# in their namespaces, not to start on this host: policy-rc.d says no
	# to every service start while installing.
	noop_rc=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod +x /usr/sbin/policy-rc.d
		noop_rc=1
	fi
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
	[ -z "$noop_rc" ] || rm -f /usr/sbin/policy-rc.d
fi

# promtool, the Prometheus text format's own parser, for
# tests/integration/metrics.sh: the binary alone (it needs only libc), from
# Debian's prometheus package, which installed would bring 96 MB and a
# server. Kept in PROMTOOL_DIR; the test looks there.
PROMTOOL_DIR=${PROMTOOL_DIR:-/var/cache/verdictd/promtool}
if [ ! -x "$PROMTOOL_DIR/promtool" ]; then
	echo "deps.sh: fetching promtool (prometheus package) into $PROMTOOL_DIR"
	tmp=$(mktemp -d)
	(cd "$tmp" && { apt-get download prometheus >/dev/null 2>&1 ||
		{ apt-get update -qq && apt-get download prometheus >/dev/null; }; }) &&
		mkdir -p "$PROMTOOL_DIR" &&
		dpkg-deb --fsys-tarfile "$tmp"/prometheus_*.deb |
			tar -x -O ./usr/bin/promtool >"$PROMTOOL_DIR/promtool.new" &&
		chmod 755 "$PROMTOOL_DIR/promtool.new" &&
		mv "$PROMTOOL_DIR/promtool.new" "$PROMTOOL_DIR/promtool"
	rm -rf "$tmp"
	[ -x "$PROMTOOL_DIR/promtool" ] || { echo "deps.sh: could not fetch promtool"; exit 1; }
fi
