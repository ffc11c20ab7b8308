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
	libcap-dev systemd systemd-container debootstrap"

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
