# nspawn_root.sh - the Debian 12 root tree service.sh boots with
# systemd-nspawn, sourced. debootstrap takes a minute or more and 256 MB,
# so the tree is built once per package list and kept in
# /var/cache/verdictd-test/root-KEY (KEY: a hash of the suite and the
# packages); the container boots it with --volatile=overlay, so the cached
# tree is never written to, and make check, its ASan run and distcheck
# share it. A build is done under a lock (two test runs at once wait for
# one build) into a temporary name, renamed only when complete: an
# interrupted build leaves nothing that looks usable.

VD_ROOT_CACHE=${VD_ROOT_CACHE:-/var/cache/verdictd-test}
VD_ROOT_SUITE=bookworm
# What the unit needs inside: systemd itself, the tools the unit and the
# test run, and the libraries verdictd is linked with (it is built on the
# host, which is the same Debian release), the sanitizers' runtimes too
# (make check's AddressSanitizer run installs that build).
VD_ROOT_PACKAGES="systemd,systemd-sysv,dbus,iptables,ipset,conntrack,iproute2,\
libmnl0,libnetfilter-queue1,libnfnetlink0,libnetfilter-conntrack3,libipset13,\
liburing2,libsystemd0,libcap2,libasan8,libubsan1"

# vd_root_path: prints the cached tree's path (built when missing), or
# fails with the reason on stderr.
vd_root_path() {
	local key dir tmp
	key=$(printf '%s %s' "$VD_ROOT_SUITE" "$VD_ROOT_PACKAGES" | sha256sum | cut -c1-12)
	dir=$VD_ROOT_CACHE/root-$key
	mkdir -p "$VD_ROOT_CACHE" || return 1
	(
		flock 9 || exit 1
		[ -d "$dir" ] && exit 0
		tmp=$dir.tmp.$$
		rm -rf "$dir".tmp.*
		echo "# building the container's root tree (once): debootstrap $VD_ROOT_SUITE" >&2
		if ! debootstrap --variant=minbase --include="$VD_ROOT_PACKAGES" \
			"$VD_ROOT_SUITE" "$tmp" >"$VD_ROOT_CACHE/debootstrap.log" 2>&1; then
			echo "debootstrap failed; see $VD_ROOT_CACHE/debootstrap.log" >&2
			rm -rf "$tmp"
			exit 1
		fi
		# No getty, no waiting for a network the container does not manage.
		rm -f "$tmp"/etc/systemd/system/getty.target.wants/* 2>/dev/null
		mv "$tmp" "$dir"
	) 9>"$VD_ROOT_CACHE/lock" || return 1
	echo "$dir"
}
