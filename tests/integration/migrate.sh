#!/bin/bash
# migrate.sh - rule sets nobody on this project wrote, through README's
# migration procedure, packet by packet against plain iptables:
#   - ufw 0.36 (Debian's ufw, driven in a namespace of its own with its
#     configuration copied to a temporary directory: --rootdir/--datadir),
#     a typical host: default deny, allow ssh, a source-limited database
#     port, deny, reject, an interface-bound web port, DNS;
#   - Shorewall 5.2 (Debian's shorewall) compiled from its two-interface
#     sample and started in a namespace of its own;
#   - a Docker host (tests/data/migrate/docker.save, from Docker's
#     documented chains, with the nat table's DNAT);
#   - fail2ban and CrowdSec ipset lines (tests/data/migrate/f2b.save).
# Each rule set runs in two firewall namespaces with the same interfaces
# and addresses: NS_I with iptables alone, NS_F after the documented
# procedure (iptables-save, verdictctl import -o, ipset restore, one
# iptables-restore of the written file, verdictd). The same first packets
# (TCP SYNs, UDP datagrams, to the firewall and through it, addresses and
# ports taken from the rule set) go through both; a packet is delivered
# when its connection is confirmed in conntrack. Any disagreement must be
# a packet that a reported line decides: it is sent again alone through
# NS_I, and among the lines its counters show it met, one must be named
# by the import's report (not translated, not exactly, not for all its
# packets).
. "$(dirname "$0")/lib.sh"

VERDICTCTL=$(cd "$builddir" && pwd)/verdictctl
CBPKT=$(cd "$builddir" && pwd)/tests/cbpkt
DATA=$(cd "$srcdir" && pwd)/tests/data/migrate
N=${MIGRATE_PACKETS:-1000}
NS_I=vd$$i
NS_C2=vd$$d
NS_S2=vd$$t
NS_G=vd$$g
vd_extra_ns="$NS_I $NS_C2 $NS_S2 $NS_G"
in_i() { ip netns exec "$NS_I" "$@"; }

# topology IF2: client -- eth0 FIREWALL IF2 -- sink, twice (F and I),
# the same names and addresses on both sides.
topology() {
	local if2=$1 c fw s
	vd_teardown
	for ns in "$NS_C" "$NS_F" "$NS_S" "$NS_I" "$NS_C2" "$NS_S2"; do
		ip netns add "$ns" || exit 99
		ip -n "$ns" link set lo up
	done
	for t in "$NS_C $NS_F $NS_S" "$NS_C2 $NS_I $NS_S2"; do
		set -- $t
		c=$1 fw=$2 s=$3
		ip -n "$c" link add c0 type veth peer name eth0 netns "$fw" || exit 99
		ip -n "$s" link add s0 type veth peer name "$if2" netns "$fw" || exit 99
		ip -n "$c" addr add 100.64.1.2/24 dev c0
		ip -n "$fw" addr add 100.64.1.1/24 dev eth0
		ip -n "$fw" addr add 172.17.0.1/16 dev "$if2"
		ip -n "$s" addr add 172.17.0.2/16 dev s0
		ip -n "$s" addr add 172.17.0.3/16 dev s0
		ip -n "$c" link set c0 up
		ip -n "$s" link set s0 up
		ip -n "$fw" link set eth0 up
		ip -n "$fw" link set "$if2" up
		ip -n "$fw" route add default via 172.17.0.2
		ip -n "$s" route add default via 172.17.0.1
		ip netns exec "$fw" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
			net.ipv4.conf.default.rp_filter=0 net.ipv4.conf.eth0.rp_filter=0 >/dev/null
		ip netns exec "$fw" ping -c 1 -W 2 172.17.0.2 >/dev/null 2>&1
		ip netns exec "$fw" ping -c 1 -W 2 100.64.1.2 >/dev/null 2>&1
	done
	MAC_F=$(ip -n "$NS_F" -o link show eth0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
	MAC_I=$(ip -n "$NS_I" -o link show eth0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
}

# headers SAVE SETS: N first packets, "src dst sport dport proto 0 0" as
# numbers (tests/cbpkt): addresses and ports from the rule set and the
# sets, to the firewall (INPUT) or through it (FORWARD), each with a
# source port of its own. The ports the firewall is sent to go into
# $WORK/ports: it serves them (a SYN a closed port answers with a reset
# leaves no conntrack entry to count).
headers() {
	cat "$1" "$2" 2>/dev/null | awk -v n="$N" -v seed="${MIGRATE_SEED:-15}" -v portfile="$WORK/ports" '
	function ip2n(a,  o) { split(a, o, "."); return ((o[1] * 256 + o[2]) * 256 + o[3]) * 256 + o[4] }
	function host(i,  base, len, span) {
		base = ip2n(pa[i]); len = pl[i]; span = len >= 32 ? 1 : 2 ^ (32 - len)
		if (span > 256) span = 256
		return base + int(rand() * span) }
	function bad(a,  o1) { o1 = int(a / 16777216)
		return o1 == 0 || o1 == 127 || o1 >= 224 || int(a / 256) == ip2n("100.64.1.0") / 256 }
	{
		for (i = 1; i <= NF; i++) {
			w = $i
			if (w ~ /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+(\/[0-9]+)?(:[0-9]+)?$/) {
				sub(/:.*/, "", w); split(w, q, "/")
				np++; pa[np] = q[1]; pl[np] = (q[2] == "" ? 32 : q[2])
			}
			if ($(i - 1) ~ /^--(dport|dports|sport|sports|destination-port)$/ || $(i - 1) == "--to-ports") {
				gsub(/:/, ",", w); m = split(w, q, ",")
				for (k = 1; k <= m; k++) if (q[k] ~ /^[0-9]+$/) { nport++; port[nport] = q[k]; nport++; port[nport] = q[k] + 1 }
			}
		}
	}
	END {
		srand(seed)
		split("22 80 443 53 25 23 8080 3306 5432 5353 137 445 67", extra, " ")
		for (k in extra) { nport++; port[nport] = extra[k] }
		for (k = 1; k <= nport; k++) if (port[k] > 0 && port[k] < 65536 && !(port[k] in seen)) {
			seen[port[k]] = 1; list = list (list == "" ? "" : ",") port[k] }
		print list > portfile
		np++; pa[np] = "198.18.0.0"; pl[np] = 15
		np++; pa[np] = "203.0.113.0"; pl[np] = 24
		for (i = 0; i < n; i++) {
			do { s = host(1 + int(rand() * np)) } while (bad(s))
			r = rand()
			if (r < 0.45) d = ip2n("100.64.1.1")
			else if (r < 0.55) d = ip2n("172.17.0." (2 + int(rand() * 2)))
			else do { d = host(1 + int(rand() * np)) } while (bad(d) || d == s)
			if (s == ip2n("100.64.1.1") || s == ip2n("172.17.0.1")) s = ip2n("198.18.1.1")
			proto = rand() < 0.6 ? 6 : 17
			dp = rand() < 0.8 || d == ip2n("100.64.1.1") ? port[1 + int(rand() * nport)] : 1 + int(rand() * 65534)
			printf "%.0f %.0f %d %d %d 0 0\n", s, d, 20000 + i, dp, proto
		}
	}'
}

# accepted NS: the connections confirmed in conntrack, as headers.
accepted() {
	ip netns exec "$1" conntrack -L 2>/dev/null | awk '
	function ip2n(a,  o) { split(a, o, "."); return ((o[1] * 256 + o[2]) * 256 + o[3]) * 256 + o[4] }
	$1 == "tcp" || $1 == "udp" {
		s = d = sp = dp = ""
		for (i = 1; i <= NF; i++) {
			if (s == "" && $i ~ /^src=/) s = substr($i, 5)
			else if (d == "" && $i ~ /^dst=/) d = substr($i, 5)
			else if (sp == "" && $i ~ /^sport=/) sp = substr($i, 7)
			else if (dp == "" && $i ~ /^dport=/) dp = substr($i, 7)
		}
		printf "%.0f %.0f %d %d %d 0 0\n", ip2n(s), ip2n(d), sp, dp, $2
	}' | sort
}

# n2ip N: dotted quad.
n2ip() { echo "$(( $1 >> 24 )).$(( ($1 >> 16) & 255 )).$(( ($1 >> 8) & 255 )).$(( $1 & 255 ))"; }

# explain HEADER: whether a line the packet meets in NS_I is reported.
explain() {
	local h=$1 met
	echo "$h" >"$WORK/one"
	in_i iptables -Z
	in_i conntrack -F >/dev/null 2>&1
	ip netns exec "$NS_C2" "$CBPKT" send c0 "$MAC_I" "$WORK/one" 2>/dev/null
	sleep 0.05
	in_i iptables-save -c -t filter | sed -n 's/^\[\([0-9]*\):[0-9]*\] -A /\1 -A /p' |
		awk '$1 > 0 { $1 = ""; sub(/^ /, ""); print }' >"$WORK/met"
	met=$(wc -l <"$WORK/met")
	grep -qxF -f "$WORK/reported" "$WORK/met"
	local r=$?
	if [ $r != 0 ]; then
		echo "#     met in iptables ($met lines), none of them reported:"
		sed 's/^/#       /' "$WORK/met"
	fi
	return $r
}

# migrate NAME SAVE SETS [IMPORT OPTIONS]
migrate() {
	local name=$1 save=$2 sets=$3 if2 dis=0 unexplained=0 h
	shift 3
	if2=$(awk '/ -[io] docker0 /{ print "docker0"; exit } / -[io] eth1 /{ print "eth1"; exit }' "$save")
	topology "${if2:-eth1}"
	for ns in "$NS_I" "$NS_F"; do
		[ -s "$sets" ] && { ip netns exec "$ns" ipset restore -exist <"$sets" || exit 99; }
		ip netns exec "$ns" "$IPT-restore" <"$save" || { not_ok "$name: iptables-restore refused $save"; return; }
	done
	# README's procedure, in NS_F.
	in_f iptables-save >"$WORK/$name.save"
	in_f ipset save >"$WORK/$name.sets"
	"$VERDICTCTL" import --ipsets "$WORK/$name.sets" "$@" -o "$WORK/$name" "$WORK/$name.save" 2>"$WORK/$name.log"
	echo "# $name: $(grep '^verdictctl: .*rules;' "$WORK/$name.log" | sed 's/^verdictctl: [^ ]* //')"
	in_f ipset restore -exist <"$WORK/$name/ipsets.restore" || exit 99
	check "$name: one iptables-restore of the written iptables.restore" \
		in_f "$IPT-restore" <"$WORK/$name/iptables.restore"
	vd_start "$WORK/$name/verdictd.conf"
	# the reported lines, as iptables-save writes them
	grep -E '^[^ ]+:[0-9]+: not translated' "$WORK/$name.log" | sed 's/^[^:]*:\([0-9]*\):.*/\1/' |
		while read -r l; do sed -n "${l}p" "$WORK/$name.save"; done | sort -u >"$WORK/reported"

	headers "$WORK/$name.save" "$WORK/$name.sets" >"$WORK/hdrs"
	for ns in "$NS_I" "$NS_F"; do
		ip netns exec "$ns" "$PROBE" serve "$(cat "$WORK/ports")" >"$WORK/serve.$ns" 2>&1 &
		vd_pids="$vd_pids $!"
	done
	sleep 0.3
	in_f conntrack -F >/dev/null 2>&1
	in_i conntrack -F >/dev/null 2>&1
	ip netns exec "$NS_C" "$CBPKT" send c0 "$MAC_F" "$WORK/hdrs" 2>/dev/null &
	local p1=$!
	ip netns exec "$NS_C2" "$CBPKT" send c0 "$MAC_I" "$WORK/hdrs" 2>/dev/null &
	local p2=$!
	wait $p1 $p2
	sleep 0.3
	accepted "$NS_F" >"$WORK/acc_f"
	accepted "$NS_I" >"$WORK/acc_i"
	sort "$WORK/hdrs" >"$WORK/hdrs.s"
	comm -12 "$WORK/hdrs.s" "$WORK/acc_i" >"$WORK/want"
	comm -12 "$WORK/hdrs.s" "$WORK/acc_f" >"$WORK/got"
	comm -3 "$WORK/want" "$WORK/got" | tr -d '\t' >"$WORK/differ"
	dis=$(wc -l <"$WORK/differ")
	vd_stop
	while read -r h; do
		set -- $h
		if ! explain "$h"; then
			unexplained=$((unexplained + 1))
			echo "#   $name: $(n2ip "$1"):$3 -> $(n2ip "$2"):$4 proto $5: iptables $(grep -qxF "$h" "$WORK/want" && echo delivers || echo refuses), verdictd the opposite"
		fi
	done < <(head -n 40 "$WORK/differ")
	check "$name: $N first packets, iptables delivered $(wc -l <"$WORK/want"), verdictd $(wc -l <"$WORK/got"); $dis disagree, each decided by a reported line ($unexplained not)" \
		test "$unexplained" = 0 -a "$dis" -le 40
	echo "$name $N $(wc -l <"$WORK/want") $(wc -l <"$WORK/got") $dis" >>"$WORK/figures"
}

# ufw in a namespace of its own, its files in $WORK/ufw.
gen_ufw() {
	local d=$WORK/ufw u
	mkdir -p "$d/etc/default" "$d/lib"
	# the package's pristine files, whatever this host's ufw holds
	cp -a /etc/ufw "$d/etc/" && cp -a /etc/default/ufw "$d/etc/default/" && cp -a /lib/ufw "$d/lib/" || return 1
	for f in before.rules after.rules user.rules before6.rules after6.rules user6.rules ufw.conf; do
		[ -f "/usr/share/ufw/$f" ] && cp "/usr/share/ufw/$f" "$d/etc/ufw/$f"
	done
	: >"$d/etc/ufw/sysctl.conf"	# no sysctls: the namespace is thrown away anyway
	ip netns add "$NS_G" || return 1
	ip -n "$NS_G" link set lo up
	ip -n "$NS_G" link add eth0 type veth peer name eth1
	u="ip netns exec $NS_G ufw --rootdir=/ --datadir=$d"
	{
		$u default deny incoming && $u default allow outgoing &&
		$u allow 22/tcp && $u allow from 198.18.0.0/16 to any port 5432 proto tcp &&
		$u deny 23/tcp && $u reject 25/tcp && $u allow in on eth0 to any port 80 proto tcp &&
		$u allow 53/udp && $u deny from 203.0.113.0/24 && $u --force enable
	} >"$WORK/ufw.out" 2>&1 || { cat "$WORK/ufw.out"; return 1; }
	ip netns exec "$NS_G" iptables-save >"$WORK/ufw.rules"
	ip netns del "$NS_G"
}

# Shorewall's two-interface sample, compiled and started in a namespace
# of its own (its state in $WORK/shorewall).
gen_shorewall() {
	local d=$WORK/shorewall
	mkdir -p "$d/etc" "$d/var"
	cp /usr/share/doc/shorewall/examples/two-interfaces/* "$d/etc/" || return 1
	(cd "$d/etc" && for f in *.gz; do [ -e "$f" ] && gunzip -f "$f"; done; true)
	ip netns add "$NS_G" || return 1
	ip -n "$NS_G" link set lo up
	ip -n "$NS_G" link add eth0 type veth peer name eth1
	ip -n "$NS_G" addr add 100.64.1.1/24 dev eth0
	ip -n "$NS_G" addr add 172.17.0.1/16 dev eth1
	ip -n "$NS_G" link set eth0 up
	ip -n "$NS_G" link set eth1 up
	{
		echo "VARDIR=$d/var" >"$d/etc/vardir" &&
		ip netns exec "$NS_G" shorewall compile "$d/etc" "$d/firewall" &&
		VARDIR=$d/var ip netns exec "$NS_G" sh "$d/firewall" start
	} >"$WORK/shorewall.out" 2>&1 || { tail -5 "$WORK/shorewall.out"; return 1; }
	ip netns exec "$NS_G" iptables-save >"$WORK/shorewall.rules"
	ip netns del "$NS_G"
}

: >"$WORK/figures"
if command -v ufw >/dev/null 2>&1 && [ -d /etc/ufw ]; then
	if gen_ufw; then
		migrate ufw "$WORK/ufw.rules" /dev/null
	else
		not_ok "ufw: could not make its rule set"
	fi
else
	echo "# ufw not installed (contrib/deps.sh installs it): not run"
fi
if command -v shorewall >/dev/null 2>&1 && [ -d /usr/share/doc/shorewall/examples/two-interfaces ]; then
	if gen_shorewall; then
		migrate shorewall "$WORK/shorewall.rules" /dev/null
	else
		not_ok "shorewall: could not compile its two-interface sample"
	fi
else
	echo "# shorewall not installed (contrib/deps.sh installs it): not run"
fi
migrate docker "$DATA/docker.save" /dev/null
migrate f2b "$DATA/f2b.save" "$DATA/f2b.ipset"
awk '{ p += $2; d += $5; printf "# %s: %d packets, iptables delivered %d, verdictd %d, %d disagree\n", $1, $2, $3, $4, $5 }
     END { printf "# in all: %d packets a side, %d disagreements\n", p, d }' "$WORK/figures"
[ -n "${MIGRATE_DEBUG:-}" ] && rm -rf /tmp/mig-debug && cp -r "$WORK" /tmp/mig-debug
vd_done
