#!/bin/bash
# Observability (issue 14, parts 3-5) against the running daemon: the
# control socket's reports (status, stats, flows, metrics, -j), its bounds
# (many clients, slow, oversized and malformed requests never hold up a
# signal, a reload or another client), the Prometheus text format checked
# by promtool (Prometheus' own parser) and scraped over HTTP with curl, and
# the rate-limited 'log' flag.
. "$(dirname "$0")/lib.sh"

VERDICTCTL=$(cd "$builddir" && pwd)/verdictctl
CTLPEER=$(cd "$builddir" && pwd)/tests/ctlpeer
SOCK=$WORK/control.sock
PROMTOOL=${PROMTOOL:-/var/cache/verdictd/promtool/promtool}
for tool in "$PROMTOOL" curl jq; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "ERROR: $tool is missing: contrib/deps.sh installs it"
		exit 99		# never a skip: the suite refuses them
	fi
done
ctl() { in_f "$VERDICTCTL" "$1" -s "$SOCK" "${@:2}"; }
jqt() { jq -e "$@" >/dev/null; }	# a jq condition on a JSON file

vd_topology_banned
cat >"$WORK/verdictd.conf" <<CONF
queue 0
set vdtest-banned hash:ip family inet
log-rate 5
metrics-listen 127.0.0.1:9474
drop src @vdtest-banned log
accept proto tcp dport 22
accept proto udp dport 53 log
default drop
CONF
vd_serve 22,53
vd_start "$WORK/verdictd.conf"

# --- traffic: one accepted TCP connection, a banned one, 40 UDP flows ---
expect_status 0 "TCP to 22 is accepted" in_c "$PROBE" tcp 10.0.2.2 22 3
expect_status 2 "TCP from the banned address is dropped" in_c "$PROBE" -b 10.0.1.3 -w 300 tcp 10.0.2.2 22 1
in_c "$PROBE" burst 10.0.2.2 53 40
sleep 0.5

# --- status ---
ctl status >"$WORK/status" 2>&1
check "status: exit 0, key value lines" grep -q "^version [0-9]" "$WORK/status"
check "status: the policy file's SHA-256 is sha256sum's" \
	grep -qx "sha256 $(sha256sum "$WORK/verdictd.conf" | cut -d' ' -f1)" "$WORK/status"
check "status: transport, queues, rules, the set and its size" \
	bash -c "grep -qx 'transport $VD_TRANSPORT' '$WORK/status' && grep -qx 'queues 0-0' '$WORK/status' &&
		grep -qx 'rules 3' '$WORK/status' && grep -qx 'set vdtest-banned hash:ip 1' '$WORK/status'"
ctl status -j >"$WORK/status.json"
check "status -j is JSON with the same facts" \
	test "$(jq -r '[.rules, .sets[0].name, .sets[0].members, .default] | join(" ")' "$WORK/status.json")" = \
	"3 vdtest-banned 1 drop"

# --- stats: hits per rule, lookups per set, log counters ---
ctl stats >"$WORK/stats"
hits() { awk -v r="$1" 'NF >= 4 && $2 == r { print $1 }' "$WORK/stats"; }
check "stats: rule 2 (TCP 22) judged 1 packet: $(hits 2)" test "$(hits 2)" = 1
# (two of the 40 datagrams may share a source port, and one be let
# through by the other's verdict: 39 judged)
check "stats: rule 3 (UDP 53) judged the 40 datagrams: $(hits 3)" test "$(hits 3)" -ge 39 -a "$(hits 3)" -le 40
check "stats: rule 1 (banned) judged the SYNs: $(hits 1)" test "$(hits 1)" -ge 1
ctl stats -j >"$WORK/stats.json"
check "stats -j: the set was looked up for every packet and hit by the banned ones" \
	jqt '.sets[0].lookups == (.rules | map(.hits) | add) + .default.hits and .sets[0].hits >= 1 and
		.sets[0].hits == .rules[0].hits' "$WORK/stats.json"
logged=$(jq '.queues[0].logged' "$WORK/stats.json")
dropped=$(jq '.queues[0]["log-dropped"]' "$WORK/stats.json")
check "log-rate 5: a burst of 5 logged, the rest counted as log-dropped ($logged, $dropped)" \
	test "$logged" -ge 5 -a "$logged" -le 7 -a $((logged + dropped)) = $(($(hits 3) + $(hits 1)))
check "each logged verdict is a line with rule, action and tuple" \
	test "$(grep -c ': rule [13] (line [57]) [a-z]*: [a-z]* 10.0.1.[23]:[0-9]* -> 10.0.2.2:[0-9]* iif f0 oif f1$' "$VD_LOG")" = "$logged"
check "batches: at least one, at most one a packet" \
	jqt '.queues[0].batches >= 1 and .queues[0].batches <= .queues[0].packets' "$WORK/stats.json"

# --- flows: the rule that decided each connection ---
ctl flows >"$WORK/flows" 2>&1
check "flows: the TCP connection, accepted by rule 2, from the worker's note" \
	grep -q "^tcp 10.0.1.2:[0-9]* 10.0.2.2:22 accept mark 0x0 rule 2 line 6 noted$" "$WORK/flows"
# 40 datagrams from 40 sockets: two may get the same source port (the
# kernel picks them at random), and then share one conntrack entry.
udp=$(grep -c '^udp ' "$WORK/flows")
noted=$(grep -c '^udp .* 10.0.2.2:53 accept mark 0x0 rule 3 line 7 noted$' "$WORK/flows")
check "flows: each UDP flow by rule 3, from the worker's note: $noted of $udp (40 sent)" \
	test "$noted" = "$udp" -a "$udp" -ge 38
check "flows: the count line: $(tail -n 1 "$WORK/flows")" grep -q "^$((udp + 1)) of $((udp + 1)) connections$" "$WORK/flows"
grep -v ' noted$' "$WORK/flows" | head -n 5 | sed 's/^/#   /'
ctl flows -j 5 >"$WORK/flows.json"
check "flows -j 5: five shown of $((udp + 1))" jqt "(.flows | length) == 5 and .total == $((udp + 1))" "$WORK/flows.json"
cp "$WORK/verdictd.conf" "$WORK/v2.conf"
sed -i 's/^accept proto tcp dport 22$/accept proto tcp dport 21-22/' "$WORK/verdictd.conf"
ctl reload >/dev/null 2>&1
ctl flows >"$WORK/flows2" 2>&1
check "after a reload the rule is the new policy's, re-judged" \
	grep -q "^tcp .* 10.0.2.2:22 accept mark 0x0 rule 2 line 6 re-judged$" "$WORK/flows2"
check "after a reload the rule counters start again" test "$(ctl stats | awk 'NF >= 4 && $2 == 3 { print $1 }')" = 0
cp "$WORK/v2.conf" "$WORK/verdictd.conf"
ctl reload >/dev/null 2>&1

# --- metrics: promtool, and a scrape with curl ---
ctl metrics >"$WORK/metrics"
"$PROMTOOL" check metrics <"$WORK/metrics" >"$WORK/promtool.out" 2>&1
check "promtool check metrics: valid and lint-clean: $(head -c 300 "$WORK/promtool.out")" test $? = 0
sed '0,/^# TYPE verdictd_verdicts_total counter$/s//&\n&/' "$WORK/metrics" >"$WORK/metrics.bad"
"$PROMTOOL" check metrics <"$WORK/metrics.bad" >/dev/null 2>&1
check "promtool refuses a copy with a TYPE line twice (the check can fail)" test $? != 0
check "metrics: each rule's hits, the set's lookups and members, the kernel's counters" \
	bash -c "grep -q '^verdictd_rule_hits_total{rule=\"2\",line=\"6\",action=\"accept\"} 0$' '$WORK/metrics' &&
		grep -q '^verdictd_set_members{set=\"vdtest-banned\"} 1$' '$WORK/metrics' &&
		grep -q '^verdictd_kernel_user_dropped_total{queue=\"0\"} 0$' '$WORK/metrics' &&
		grep -q '^verdictd_packet_time_seconds_count{queue=\"0\"} [1-9]' '$WORK/metrics'"
in_f curl -s -D "$WORK/headers" -o "$WORK/scrape" --max-time 5 http://127.0.0.1:9474/metrics
check "curl scrapes /metrics: 200, the exposition format's content type" \
	bash -c "head -1 '$WORK/headers' | grep -q '^HTTP/1.0 200' && grep -qi '^Content-Type: text/plain; version=0.0.4' '$WORK/headers'"
"$PROMTOOL" check metrics <"$WORK/scrape" >/dev/null 2>&1
check "promtool accepts the scrape" test $? = 0
check "the scrape holds the same families as verdictctl metrics" \
	test "$(grep -c '^# TYPE' "$WORK/scrape")" = "$(grep -c '^# TYPE' "$WORK/metrics")" -a "$(grep -c '^# TYPE' "$WORK/scrape")" -ge 20
check "another path is 404" test "$(in_f curl -s -o /dev/null -w '%{http_code}' --max-time 5 http://127.0.0.1:9474/)" = 404
check "POST is 405" test "$(in_f curl -s -o /dev/null -w '%{http_code}' -X POST --max-time 5 http://127.0.0.1:9474/metrics)" = 405

# --- bounds: bad requests get an error, slow ones are dropped ---
head -c 5000 /dev/zero | tr '\0' a >"$WORK/big"
in_f "$CTLPEER" -w 2000 send "$SOCK" "$WORK/big" >"$WORK/big.out"
check "an oversized request: an error, then closed: $(tr '\n' ' ' <"$WORK/big.out")" \
	bash -c "grep -q '^error the request is longer than 4095 bytes' '$WORK/big.out' && grep -q '^closed after' '$WORK/big.out'"
awk 'BEGIN { for (i = 0; i < 5000; i++) printf "add vdtest-banned 10.9.%d.%d\n", i / 250, i % 250 }' >"$WORK/many"
expect_status 0 "a request may be longer where its command says so: set restore of $(wc -c <"$WORK/many") bytes" \
	in_f "$VERDICTCTL" set -s "$SOCK" restore "$WORK/many"
check "... and the 5000 members are in verdictd's copy" grep -qx "set vdtest-banned hash:ip 5001" <(ctl status)
printf 'pi\001ng\nfrobnicate\nping\n' >"$WORK/bad"
in_f "$CTLPEER" -w 1000 send "$SOCK" "$WORK/bad" >"$WORK/bad.out"
check "a control byte and an unknown command get errors; the next request is answered" \
	bash -c "grep -q '^error the request holds a control character' '$WORK/bad.out' &&
		grep -q \"^error unknown request 'frobnicate' (\" '$WORK/bad.out' && grep -q '^ok verdictd ' '$WORK/bad.out'"
printf 'stat' >"$WORK/slow"
in_f "$CTLPEER" -w 8000 send "$SOCK" "$WORK/slow" >"$WORK/slow.out" &
slow=$!
vd_pids="$vd_pids $slow"
sleep 0.3
# 31 silent clients and the slow one fill the 32 places; one more is told so.
SPAWN_TRIES=50 vd_spawn "$NS_F" "$WORK/hold.log" "^ready" "$CTLPEER" hold "$SOCK" 32
check "33 clients: 32 served, one told 'busy': $(cat "$WORK/hold.log")" grep -q "^ready 31 held 1 busy" "$WORK/hold.log"
in_f "$CTLPEER" -w 2000 send "$SOCK" - </dev/null >"$WORK/full.out"
check "while full, a new client is told so and closed" grep -q "^error busy" "$WORK/full.out"
t0=$(date +%s%N)
kill -HUP "$VD_PID"
kill -USR1 "$VD_PID"
sleep 0.3
check "with 32 stuck clients, SIGHUP reloads and SIGUSR1 logs at once" \
	bash -c "grep -q 'reload: .*: reloaded' '$VD_LOG' && test \$(grep -c ': queue 0: packets' '$VD_LOG') -ge 1"
expect_status 0 "and the packet path judges new flows" in_c "$PROBE" udp 10.0.2.2 53 1
wait "$slow"
check "the slow request is dropped after 5 s, with a word: $(tr '\n' ' ' <"$WORK/slow.out")" \
	bash -c "grep -q '^error timeout' '$WORK/slow.out' && grep -Eq '^closed after (4[5-9]|5[0-9])[0-9][0-9] ms' '$WORK/slow.out'"
kill -TERM "$BG_PID"; wait "$BG_PID" 2>/dev/null
sleep 0.2
ctl ping >"$WORK/ping" 2>&1
check "the silent clients gone, a new client is answered within the poll: $(cat "$WORK/ping")" \
	grep -q "^verdictd " "$WORK/ping"
expect_status 1 "an error reply is exit 1" ctl flows 0
expect_status 2 "no daemon at a path is exit 2" in_f "$VERDICTCTL" status -s "$WORK/nothing.sock"

# --- start-up lines ---
check "start-up: where the log goes and why" grep -q "log to stderr (log-to auto: stderr is no journal stream" "$VD_LOG"
check "start-up: the policy with its digest, the set with its size" \
	bash -c "grep -q 'policy .*verdictd.conf (sha256 [0-9a-f]\{64\}): 3 rules, 1 sets' '$VD_LOG' &&
		grep -q 'set vdtest-banned hash:ip: 1 members' '$VD_LOG'"
check "the daemon is alive" kill -0 "$VD_PID"
vd_stop
check "verdictd exits 0" test "$VD_STATUS" = 0
sed 's/^/# /' "$VD_LOG" | tail -n 20
vd_done
