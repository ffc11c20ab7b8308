/* ops.c - the reports of the running daemon (see ops.h), served by the
 * main thread. Counters are read as the workers published them (relaxed
 * loads, at most one batch old) and summed here: the packet path never
 * adds anything up for a report. */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ct.h"
#include "flows.h"
#include "ops.h"
#include "set.h"
#include "trace.h"
#include "vocab.h"

#define FLOWS_DEFAULT 1000

/* The per-queue counters: the log line's name, the metric's, its help. */
static const struct {
	enum stat_id id;
	const char *name, *metric, *help;
} counters[] = {
	{ ST_PACKETS, "packets", "packets_received_total", "Packets received from the queue." },
	{ ST_ACCEPT, "accept", NULL, NULL },
	{ ST_DROP, "drop", NULL, NULL },
	{ ST_REJECT, "reject", NULL, NULL },
	{ ST_MARK, "mark", NULL, NULL },
	{ ST_DEFAULT, "default", "default_verdicts_total", "Packets judged by the policy's default." },
	{ ST_MALFORMED, "malformed", "packets_malformed_total", "Packets not judged: given the on-error verdict." },
	{ ST_CUT, "cut", "packets_cut_total", "Of which the copy range cut off headers a rule needed." },
	{ ST_SHORT, "short", "packets_short_total", "Packets dropped: a port or ICMP match met a short header." },
	{ ST_REPLY, "reply", "packets_reply_direction_total", "Packets judged as their flow's original direction." },
	{ ST_NO_ID, "no-id", "messages_without_id_total", "Packet messages without an id." },
	{ ST_LOOPS, "loops", "packets_looped_total", "Packets queued again after a verdict: dropped." },
	{ ST_VERDICT_MSGS, "verdict-msgs", "verdict_messages_total", "Verdict messages sent." },
	{ ST_BATCH_MSGS, "batch-msgs", "verdict_batch_messages_total", "Of which batch verdicts." },
	{ ST_RECV_CALLS, "recv-calls", "receive_calls_total", "Receive calls." },
	{ ST_SEND_CALLS, "send-calls", "send_calls_total", "Send calls." },
	{ ST_BATCHES, "batches", NULL, NULL },
	{ ST_LOGGED, "logged", "log_lines_total", "Verdicts of log rules written to the log." },
	{ ST_LOG_DROPPED, "log-dropped", "log_lines_dropped_total", "Verdicts of log rules not logged: over log-rate." },
	{ ST_ENOBUFS, "enobufs", "enobufs_total", "Receive overruns: the kernel dropped packets." },
	{ ST_TRUNCATED, "truncated", "truncated_total", "Messages cut by the receive buffer." },
	{ ST_SEND_ERRORS, "send-errors", "send_errors_total", "Verdict sends the kernel refused." },
	{ ST_KERNEL_ERRORS, "kernel-errors", "kernel_errors_total", "Error replies from the kernel." },
	{ ST_RING_EMPTY, "ring-empty", "ring_empty_total", "Ring transport: packets that found no free buffer." },
	{ ST_REARMS, "rearms", "ring_rearms_total", "Ring transport: multishot receives started again." },
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void ops_escape(struct control_reply *r, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			control_reply_printf(r, "\\%c", *s);
		else if (*s == '\n')
			control_reply_printf(r, "\\n");
		else if ((unsigned char)*s < 0x20)
			control_reply_printf(r, "\\u%04x", (unsigned char)*s);
		else
			control_reply_printf(r, "%c", *s);
	}
}

/* "-j" alone, or nothing: the JSON flag; else -1. */
static int json_flag(const char *args, struct control_reply *out)
{
	if (args[0] == '\0')
		return 0;
	if (strcmp(args, "-j") == 0)
		return 1;
	control_reply_printf(out, "unexpected '%s' (the only option is -j)", args);
	return -1;
}

static const char *policy_path(const struct gen *g)
{
	return g->conf->path ? g->conf->path : "policy";
}

/* A rule as its file has it, for the stats table. */
static void rule_text(const struct policy *pol, size_t i, char *buf, size_t len)
{
	FILE *f = fmemopen(buf, len, "w");

	buf[0] = '\0';
	if (!f)
		return;
	policy_write_rule(f, pol, &pol->rules[i]);
	fclose(f);
	buf[len - 1] = '\0';
}

/* --- ping, trace ------------------------------------------------------------ */

static int cmd_ping(void *arg, const char *args, struct control_reply *out)
{
	(void)arg;
	(void)args;
	control_reply_printf(out, "verdictd %s", PACKAGE_VERSION);
	return 0;
}

static int cmd_trace(void *arg, const char *args, struct control_reply *out)
{
	const struct ops *o = arg;
	const struct gen *g = *o->gen;
	struct trace_ctx tc = { &g->conf->policy, policy_path(g), g->cls, &g->sets, 0 };
	char res[480], *line, *end;
	long hook = strtol(args, &end, 10);
	int r;

	if (end == args || hook < 0 || hook > POLICY_HOOK_MAX) {
		control_reply_printf(out, "trace needs a hook number (0-%d) before the header",
				     POLICY_HOOK_MAX);
		return -1;
	}
	if (!(line = strdup(end))) {
		control_reply_printf(out, "out of memory");
		return -1;
	}
	tc.hook = (int)hook;
	r = trace_line(&tc, line, res, sizeof(res));
	free(line);
	control_reply_printf(out, "%s", r == 1 ? "nothing to trace" : res);
	return r < 0 ? -1 : 0;
}

/* --- status ----------------------------------------------------------------- */

static void status_text(const struct ops *o, const struct gen *g, struct control_reply *out)
{
	const struct conf *c = g->conf;
	size_t i;

	control_reply_printf(out, "version %s\nuptime %.0f\ntransport %s\nqueues %u-%u\n"
			     "policy %s\nsha256 %s\nrules %zu\ndefault %s\n", PACKAGE_VERSION,
			     (double)(now_ns() - o->started_ns) / 1e9, o->transport, c->queue_first,
			     c->queue_last, policy_path(g), c->sha256[0] ? c->sha256 : "-",
			     c->policy.nrules, policy_action_name(c->policy.dflt));
	control_reply_printf(out, "policy-age %.0f\n", (double)(now_ns() - g->sp->born_ns) / 1e9);
	for (i = 0; i < c->policy.nsets && i < g->sets.n; i++)
		control_reply_printf(out, "set %s %s %zu\n", c->policy.sets[i].name,
				     set_type_name(c->policy.sets[i].type), set_count(g->sets.set[i]));
	control_reply_printf(out, "log %s\nmetrics-listen %s", o->log_to,
			     c->metrics_listen[0] ? c->metrics_listen : "none");
}

static void status_json(const struct ops *o, const struct gen *g, struct control_reply *out)
{
	const struct conf *c = g->conf;
	size_t i;

	control_reply_printf(out, "{\"version\":\"%s\",\"uptime\":%.3f,\"transport\":\"%s\","
			     "\"queues\":[%u,%u],\"policy\":\"", PACKAGE_VERSION,
			     (double)(now_ns() - o->started_ns) / 1e9, o->transport, c->queue_first,
			     c->queue_last);
	ops_escape(out, policy_path(g));
	control_reply_printf(out, "\",\"sha256\":\"%s\",\"rules\":%zu,\"default\":\"%s\","
			     "\"policy_age\":%.3f,\"sets\":[", c->sha256, c->policy.nrules,
			     policy_action_name(c->policy.dflt), (double)(now_ns() - g->sp->born_ns) / 1e9);
	for (i = 0; i < c->policy.nsets && i < g->sets.n; i++)
		control_reply_printf(out, "%s{\"name\":\"%s\",\"type\":\"%s\",\"members\":%zu}", i ? "," : "",
				     c->policy.sets[i].name, set_type_name(c->policy.sets[i].type),
				     set_count(g->sets.set[i]));
	control_reply_printf(out, "],\"log\":\"%s\",\"metrics_listen\":\"", o->log_to);
	ops_escape(out, c->metrics_listen);
	control_reply_printf(out, "\"}");
}

typedef void (*report_fn)(const struct ops *o, const struct gen *g, struct control_reply *out);

/* A report in text, or with "-j" in JSON. */
static int report(const struct ops *o, const char *args, struct control_reply *out,
		  report_fn text, report_fn json)
{
	int j = json_flag(args, out);

	if (j < 0)
		return -1;
	(j ? json : text)(o, *o->gen, out);
	return 0;
}

static int cmd_status(void *arg, const char *args, struct control_reply *out)
{
	return report(arg, args, out, status_text, status_json);
}

/* --- stats ------------------------------------------------------------------ */

static void stats_text(const struct ops *o, const struct gen *g, struct control_reply *out)
{
	const struct policy *pol = &g->conf->policy;
	const struct stats_policy *sp = g->sp;
	char line[1024], rule[512];
	size_t i;

	for (i = 0; i < o->nw; i++) {
		worker_format_stats(o->w[i], false, line, sizeof(line));
		control_reply_printf(out, "%s\n", line);
	}
	control_reply_printf(out, "%10s  %5s  %5s  %s\n", "hits", "rule", "line", "rule text");
	for (i = 0; i < pol->nrules; i++) {
		rule_text(pol, i, rule, sizeof(rule));
		control_reply_printf(out, "%10lu  %5zu  %5u  %s\n", (unsigned long)stats_policy_sum(sp, i),
				     i + 1, pol->rules[i].pos.line, rule);
	}
	control_reply_printf(out, "%10lu  %5s  %5s  default %s\n",
			     (unsigned long)stats_policy_sum(sp, pol->nrules), "-", "-",
			     policy_action_name(pol->dflt));
	control_reply_printf(out, "%10s  %10s  %s", "lookups", "hits", "set");
	for (i = 0; i < pol->nsets; i++)
		control_reply_printf(out, "\n%10lu  %10lu  %s",
				     (unsigned long)stats_policy_sum(sp, stats_policy_lookups(sp, i)),
				     (unsigned long)stats_policy_sum(sp, stats_policy_hits(sp, i)),
				     pol->sets[i].name);
}

static void stats_json(const struct ops *o, const struct gen *g, struct control_reply *out)
{
	const struct policy *pol = &g->conf->policy;
	const struct stats_policy *sp = g->sp;
	char rule[512];
	size_t i, k;

	control_reply_printf(out, "{\"queues\":[");
	for (i = 0; i < o->nw; i++) {
		uint64_t v[ST_COUNT];
		struct stats_kernel kern;

		stats_read(worker_stats(o->w[i]), v);
		worker_kernel_stats(o->w[i], false, &kern);
		control_reply_printf(out, "%s{\"queue\":%u", i ? "," : "", worker_queue(o->w[i]));
		for (k = 0; k < sizeof(counters) / sizeof(counters[0]); k++)
			control_reply_printf(out, ",\"%s\":%lu", counters[k].name,
					     (unsigned long)v[counters[k].id]);
		if (kern.found)
			control_reply_printf(out, ",\"kernel\":{\"waiting\":%u,\"queue_dropped\":%u,"
					     "\"user_dropped\":%u,\"id_sequence\":%u}", kern.queue_total,
					     kern.queue_dropped, kern.user_dropped, kern.id_sequence);
		control_reply_printf(out, "}");
	}
	control_reply_printf(out, "],\"rules\":[");
	for (i = 0; i < pol->nrules; i++) {
		rule_text(pol, i, rule, sizeof(rule));
		control_reply_printf(out, "%s{\"rule\":%zu,\"line\":%u,\"hits\":%lu,\"text\":\"", i ? "," : "",
				     i + 1, pol->rules[i].pos.line, (unsigned long)stats_policy_sum(sp, i));
		ops_escape(out, rule);
		control_reply_printf(out, "\"}");
	}
	control_reply_printf(out, "],\"default\":{\"action\":\"%s\",\"hits\":%lu},\"sets\":[",
			     policy_action_name(pol->dflt), (unsigned long)stats_policy_sum(sp, pol->nrules));
	for (i = 0; i < pol->nsets; i++)
		control_reply_printf(out, "%s{\"name\":\"%s\",\"lookups\":%lu,\"hits\":%lu}", i ? "," : "",
				     pol->sets[i].name,
				     (unsigned long)stats_policy_sum(sp, stats_policy_lookups(sp, i)),
				     (unsigned long)stats_policy_sum(sp, stats_policy_hits(sp, i)));
	control_reply_printf(out, "]}");
}

static int cmd_stats(void *arg, const char *args, struct control_reply *out)
{
	return report(arg, args, out, stats_text, stats_json);
}

/* --- flows ------------------------------------------------------------------ */

struct flows_walk {
	const struct ops *o;
	const struct gen *g;
	struct control_reply *out;
	bool json;
	size_t n;
};

/* The rule that judged @f: a worker's note for this policy, else the
 * current policy's verdict ("re-judged": after a reload, or a note that
 * a newer connection took the place of), else -2 (not known: interfaces). */
static int flow_rule(const struct flows_walk *fw, const struct ct_flow *f, const char **how)
{
	uint32_t policy = fw->g->sp->id;
	struct pkt nat = f->p;
	size_t i;
	int rule;

	nat.dst = f->nat_dst;
	nat.dport = f->nat_dport;
	for (i = 0; i < fw->o->nw; i++) {
		const struct flow_table *t = worker_flows(fw->o->w[i]);

		if (flow_note_get(t, &f->p, policy, &rule) ||
		    (f->dnat && flow_note_get(t, &nat, policy, &rule))) {
			*how = "noted";
			return rule;
		}
	}
	*how = f->known ? "re-judged" : "unknown";
	return f->known ? f->now.rule : -2;
}

static void flow_one(void *arg, const struct ct_flow *f)
{
	static const char *const verdicts[] = { "none", "accept", "drop", "reject" };
	struct flows_walk *fw = arg;
	const struct policy *pol = &fw->g->conf->policy;
	uint32_t mask = fw->g->vp.mark_mask;
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], proto[8];
	const char *how, *pname = vocab_proto_name(f->p.proto);
	unsigned int code = (f->mark & verdict_code_mask(mask)) >> __builtin_ctz(mask);
	int rule = flow_rule(fw, f, &how);
	bool v6 = f->p.family == AF_INET6;

	snprintf(proto, sizeof(proto), "%s", pname ? pname : "?");
	if (!pname)
		snprintf(proto, sizeof(proto), "%u", f->p.proto);
	inet_ntop(f->p.family, f->p.src.b, src, sizeof(src));
	inet_ntop(f->p.family, f->p.dst.b, dst, sizeof(dst));
	if (fw->json) {
		control_reply_printf(fw->out, "%s{\"family\":\"%s\",\"proto\":\"%s\",\"src\":\"%s\","
				     "\"sport\":%u,\"dst\":\"%s\",\"dport\":%u,\"verdict\":\"%s\","
				     "\"mark\":%u,\"rule\":", fw->n ? "," : "", v6 ? "inet6" : "inet",
				     proto, src, f->p.sport, dst, f->p.dport, verdicts[code & 3],
				     f->mark & mask & ~verdict_code_mask(mask));
		if (rule >= 0)
			control_reply_printf(fw->out, "%d,\"line\":%u", rule + 1, pol->rules[rule].pos.line);
		else
			control_reply_printf(fw->out, "\"%s\"", rule == -1 ? "default" : "?");
		control_reply_printf(fw->out, ",\"how\":\"%s\"}", how);
	} else {
		control_reply_printf(fw->out, "%s %s%s%s:%u %s%s%s:%u %s mark 0x%x ", proto, v6 ? "[" : "",
				     src, v6 ? "]" : "", f->p.sport, v6 ? "[" : "", dst, v6 ? "]" : "",
				     f->p.dport, verdicts[code & 3], f->mark & mask & ~verdict_code_mask(mask));
		if (rule >= 0)
			control_reply_printf(fw->out, "rule %d line %u", rule + 1, pol->rules[rule].pos.line);
		else
			control_reply_printf(fw->out, "rule %s", rule == -1 ? "default" : "?");
		control_reply_printf(fw->out, " %s\n", how);
	}
	fw->n++;
}

static int cmd_flows(void *arg, const char *args, struct control_reply *out)
{
	const struct ops *o = arg;
	struct flows_walk fw = { o, *o->gen, out, false, 0 };
	char err[256], *end;
	size_t total, max = FLOWS_DEFAULT;

	if (strncmp(args, "-j", 2) == 0 && (args[2] == '\0' || args[2] == ' ')) {
		fw.json = true;
		args += 2 + strspn(args + 2, " ");
	}
	if (*args) {
		unsigned long v = strtoul(args, &end, 10);

		if (*end || v == 0 || v > 1000000) {
			control_reply_printf(out, "flows takes [-j] [N]: at most N entries, 1 to 1000000");
			return -1;
		}
		max = v;
	}
	if (fw.json)
		control_reply_printf(out, "{\"flows\":[");
	if (ct_flows(fw.g, max, &total, flow_one, &fw, err, sizeof(err)) < 0) {
		out->len = 0;
		control_reply_printf(out, "%s", err);
		return -1;
	}
	if (fw.json)
		control_reply_printf(out, "],\"shown\":%zu,\"total\":%zu}", fw.n, total);
	else
		control_reply_printf(out, "%zu of %zu connections", fw.n, total);
	return 0;
}

/* --- metrics ---------------------------------------------------------------- */

static void family(struct control_reply *out, const char *name, const char *type, const char *help)
{
	control_reply_printf(out, "# HELP verdictd_%s %s\n# TYPE verdictd_%s %s\n", name, help, name, type);
}

static void metrics_queues(const struct ops *o, uint64_t (*v)[ST_COUNT], struct control_reply *out)
{
	static const char *const verdicts[] = { "accept", "drop", "reject", "mark" };
	size_t i, k, b;

	family(out, "verdicts_total", "counter", "Verdicts by kind (mark: accept with a mark value).");
	for (i = 0; i < o->nw; i++)
		for (k = 0; k < 4; k++)
			control_reply_printf(out, "verdictd_verdicts_total{queue=\"%u\",verdict=\"%s\"} %lu\n",
					     worker_queue(o->w[i]), verdicts[k],
					     (unsigned long)v[i][ST_ACCEPT + k]);
	for (k = 0; k < sizeof(counters) / sizeof(counters[0]); k++) {
		if (!counters[k].metric)
			continue;
		family(out, counters[k].metric, "counter", counters[k].help);
		for (i = 0; i < o->nw; i++)
			control_reply_printf(out, "verdictd_%s{queue=\"%u\"} %lu\n", counters[k].metric,
					     worker_queue(o->w[i]), (unsigned long)v[i][counters[k].id]);
	}
	family(out, "batch_size_packets", "histogram", "Receive batches by the packets in them.");
	for (i = 0; i < o->nw; i++) {
		uint64_t cum = 0;
		unsigned int q = worker_queue(o->w[i]);

		for (b = 0; b < STATS_BATCH_BUCKETS - 1; b++) {
			cum += v[i][ST_BATCH_HIST + b];
			control_reply_printf(out, "verdictd_batch_size_packets_bucket{queue=\"%u\",le=\"%lu\"} %lu\n",
					     q, (unsigned long)stats_batch_bound((unsigned int)b), (unsigned long)cum);
		}
		control_reply_printf(out, "verdictd_batch_size_packets_bucket{queue=\"%u\",le=\"+Inf\"} %lu\n"
				     "verdictd_batch_size_packets_sum{queue=\"%u\"} %lu\n"
				     "verdictd_batch_size_packets_count{queue=\"%u\"} %lu\n", q,
				     (unsigned long)v[i][ST_BATCHES], q, (unsigned long)v[i][ST_PACKETS], q,
				     (unsigned long)v[i][ST_BATCHES]);
	}
	family(out, "packet_time_seconds", "histogram",
	       "Time a packet spends in verdictd: its batch's receive to the verdicts sent.");
	for (i = 0; i < o->nw; i++) {
		uint64_t cum = 0;
		unsigned int q = worker_queue(o->w[i]);

		for (b = 0; b < STATS_LAT_BUCKETS - 1; b++) {
			cum += v[i][ST_LAT_HIST + b];
			control_reply_printf(out, "verdictd_packet_time_seconds_bucket{queue=\"%u\",le=\"%g\"} %lu\n",
					     q, (double)stats_lat_bound((unsigned int)b) / 1e9, (unsigned long)cum);
		}
		cum += v[i][ST_LAT_HIST + STATS_LAT_BUCKETS - 1];
		control_reply_printf(out, "verdictd_packet_time_seconds_bucket{queue=\"%u\",le=\"+Inf\"} %lu\n"
				     "verdictd_packet_time_seconds_sum{queue=\"%u\"} %.9f\n"
				     "verdictd_packet_time_seconds_count{queue=\"%u\"} %lu\n", q,
				     (unsigned long)cum, q, (double)v[i][ST_LAT_SUM_NS] / 1e9, q,
				     (unsigned long)cum);
	}
}

/* The kernel's own counters of each queue (/proc/net/netfilter/nfnetlink_queue). */
static void metrics_kernel(const struct ops *o, struct control_reply *out)
{
	static const struct { const char *name, *type, *help; } f[] = {
		{ "kernel_queue_waiting", "gauge", "Packets waiting in the kernel's queue." },
		{ "kernel_queue_dropped_total", "counter", "Packets the kernel dropped: the queue was full." },
		{ "kernel_user_dropped_total", "counter", "Packets the kernel dropped: the socket buffer was full." },
		{ "kernel_id_sequence", "gauge", "The last packet id the kernel gave (packets queued since the bind)." },
	};
	struct stats_kernel *k = calloc(o->nw ? o->nw : 1, sizeof(*k));
	size_t i, m;

	if (!k)
		return;
	for (i = 0; i < o->nw; i++)
		worker_kernel_stats(o->w[i], false, &k[i]);
	for (m = 0; m < 4; m++) {
		family(out, f[m].name, f[m].type, f[m].help);
		for (i = 0; i < o->nw; i++) {
			uint32_t val[] = { k[i].queue_total, k[i].queue_dropped, k[i].user_dropped, k[i].id_sequence };

			if (k[i].found)
				control_reply_printf(out, "verdictd_%s{queue=\"%u\"} %u\n", f[m].name,
						     worker_queue(o->w[i]), val[m]);
		}
	}
	free(k);
}

static void metrics_policy(const struct gen *g, struct control_reply *out)
{
	const struct policy *pol = &g->conf->policy;
	const struct stats_policy *sp = g->sp;
	size_t i;

	family(out, "rule_hits_total", "counter", "Packets each rule judged, since the policy was loaded.");
	for (i = 0; i < pol->nrules; i++)
		control_reply_printf(out, "verdictd_rule_hits_total{rule=\"%zu\",line=\"%u\",action=\"%s\"} %lu\n",
				     i + 1, pol->rules[i].pos.line, policy_action_name(pol->rules[i].action),
				     (unsigned long)stats_policy_sum(sp, i));
	control_reply_printf(out, "verdictd_rule_hits_total{rule=\"default\",line=\"%u\",action=\"%s\"} %lu\n",
			     pol->dflt_pos.line, policy_action_name(pol->dflt),
			     (unsigned long)stats_policy_sum(sp, pol->nrules));
	family(out, "set_lookups_total", "counter", "Lookups in verdictd's copy of each set.");
	for (i = 0; i < pol->nsets; i++)
		control_reply_printf(out, "verdictd_set_lookups_total{set=\"%s\"} %lu\n", pol->sets[i].name,
				     (unsigned long)stats_policy_sum(sp, stats_policy_lookups(sp, i)));
	family(out, "set_hits_total", "counter", "Lookups that found the packet in the set.");
	for (i = 0; i < pol->nsets; i++)
		control_reply_printf(out, "verdictd_set_hits_total{set=\"%s\"} %lu\n", pol->sets[i].name,
				     (unsigned long)stats_policy_sum(sp, stats_policy_hits(sp, i)));
	family(out, "set_members", "gauge", "Members of each set, as verdictd last read it.");
	for (i = 0; i < pol->nsets && i < g->sets.n; i++)
		control_reply_printf(out, "verdictd_set_members{set=\"%s\"} %zu\n", pol->sets[i].name,
				     set_count(g->sets.set[i]));
}

static int cmd_metrics(void *arg, const char *args, struct control_reply *out)
{
	const struct ops *o = arg;
	const struct gen *g = *o->gen;
	uint64_t (*v)[ST_COUNT] = calloc(o->nw ? o->nw : 1, sizeof(*v));
	size_t i;

	if (args[0]) {
		free(v);
		control_reply_printf(out, "metrics takes no argument");
		return -1;
	}
	if (!v) {
		control_reply_printf(out, "out of memory");
		return -1;
	}
	for (i = 0; i < o->nw; i++)
		stats_read(worker_stats(o->w[i]), v[i]);
	family(out, "build_info", "gauge", "The running verdictd's version.");
	control_reply_printf(out, "verdictd_build_info{version=\"%s\",transport=\"%s\"} 1\n",
			     PACKAGE_VERSION, o->transport);
	family(out, "start_time_seconds", "gauge", "When verdictd started, seconds since the epoch.");
	control_reply_printf(out, "verdictd_start_time_seconds %lld\n", (long long)o->started);
	family(out, "policy_rules", "gauge", "Rules of the policy running.");
	control_reply_printf(out, "verdictd_policy_rules %zu\n", g->conf->policy.nrules);
	metrics_queues(o, v, out);
	metrics_kernel(o, out);
	metrics_policy(g, out);
	free(v);
	return 0;
}

const struct control_cmd ops_commands[] = {
	{ "ping", cmd_ping, "ping", 0 },
	{ "status", cmd_status, "status [-j]", 0 },
	{ "stats", cmd_stats, "stats [-j]", 0 },
	{ "flows", cmd_flows, "flows [-j] [N]", 0 },
	{ "metrics", cmd_metrics, "metrics", 0 },
	{ "trace", cmd_trace, "trace HOOK HEADER", 0 },
};
const size_t ops_ncommands = sizeof(ops_commands) / sizeof(ops_commands[0]);
