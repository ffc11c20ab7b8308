/* verdictd.c - the daemon: reads the configuration, loads the sets,
 * starts one worker per queue and turns signals into events. It only wires
 * modules together; the packet path is in worker.c. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "classify.h"
#include "conf.h"
#include "control.h"
#include "ct.h"
#include "gen.h"
#include "ifwatch.h"
#include "log.h"
#include "notify.h"
#include "privs.h"
#include "ops.h"
#include "rules.h"
#include "set_kernel.h"
#include "setcmd.h"
#include "setwatch.h"
#include "stats.h"
#include "trace.h"
#include "transport.h"
#include "worker.h"

#define DEFAULT_CONFIG "/etc/verdictd.conf"

struct options {
	const char *config;
	const char *queues;
	const char *cpus;
	const char *print_rules;
	const char *transport;
	const char *trace;
	const char *control;	/* control socket path, "none" for none */
	int hook;		/* the tracer's chain for headers that name none */
	int test;
	int fail_open;		/* -1: as configured */
	int verbose;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: verdictd [OPTION]...\n"
		"Judge the new connections netfilter queues (iptables -j NFQUEUE) against an\n"
		"ipset-backed policy, and write each verdict into the conntrack mark.\n\n"
		"  -c, --config FILE       configuration and policy (default " DEFAULT_CONFIG ")\n"
		"  -t, --test              check the configuration, print a summary, exit\n"
		"  -q, --queue N|N-M       queue(s) to bind, one worker thread each\n"
		"      --cpus LIST         pin worker i to the i-th CPU of LIST (e.g. 0,1)\n"
		"      --fail-open         accept, not drop, when the queue is full\n"
		"      --transport auto|ring|socket  io_uring rings or sockets (default auto)\n"
		"      --print-rules=ipv4|ipv6  print the fixed iptables rule set and exit\n"
		"      --trace FILE        which rule each packet header of FILE (- for stdin)\n"
		"                          meets, without the kernel; see verdictd(8)\n"
		"      --hook input|forward|output  the tracer's chain for headers that name none\n"
		"      --control PATH      control socket (default " CONTROL_DEFAULT_PATH "; none: no socket)\n"
		"  -v, --verbose           log more\n"
		"  -h, --help              this help\n"
		"  -V, --version           print the version\n\n"
		"See verdictd(8) and verdictd.conf(5).\n");
}

static int parse_args(int argc, char **argv, struct options *o)
{
	enum { OPT_CPUS = 256, OPT_FAIL_OPEN, OPT_PRINT_RULES, OPT_TRANSPORT, OPT_TRACE, OPT_HOOK, OPT_CONTROL };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "test", no_argument, NULL, 't' },
		{ "queue", required_argument, NULL, 'q' },
		{ "cpus", required_argument, NULL, OPT_CPUS },
		{ "fail-open", no_argument, NULL, OPT_FAIL_OPEN },
		{ "print-rules", required_argument, NULL, OPT_PRINT_RULES },
		{ "transport", required_argument, NULL, OPT_TRANSPORT },
		{ "trace", required_argument, NULL, OPT_TRACE },
		{ "hook", required_argument, NULL, OPT_HOOK },
		{ "control", required_argument, NULL, OPT_CONTROL },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->fail_open = -1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":c:tq:vhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': o->config = optarg; break;
		case 't': o->test = 1; break;
		case 'q': o->queues = optarg; break;
		case OPT_CPUS: o->cpus = optarg; break;
		case OPT_FAIL_OPEN: o->fail_open = 1; break;
		case OPT_PRINT_RULES: o->print_rules = optarg; break;
		case OPT_TRANSPORT: o->transport = optarg; break;
		case OPT_TRACE: o->trace = optarg; break;
		case OPT_CONTROL: o->control = optarg; break;
		case OPT_HOOK:
			if (!(o->hook = policy_hook_parse(optarg))) {
				fprintf(stderr, "verdictd: --hook takes input, forward or output, not '%s'\n", optarg);
				return -1;
			}
			break;
		case 'v': o->verbose = 1; break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("verdictd %s\n", PACKAGE_VERSION); exit(0);
		case ':':
			fprintf(stderr, "verdictd: option '%s' needs a value; see verdictd --help\n",
				argv[optind - 1]);
			return -1;
		default:
			fprintf(stderr, "verdictd: unknown option '%s'; see verdictd --help\n",
				argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "verdictd: unexpected argument '%s'; see verdictd --help\n", argv[optind]);
		return -1;
	}
	return 0;
}

/* Command line options override the file's. */
static int apply_args(const struct options *o, struct conf *c)
{
	if (o->queues && conf_parse_queues(o->queues, &c->queue_first, &c->queue_last) < 0) {
		fprintf(stderr, "verdictd: --queue %s: expected N or N-M (at most %d queues)\n",
			o->queues, CONF_MAX_QUEUES);
		return -1;
	}
	if (o->cpus) {
		size_t bad;

		if (conf_parse_cpus(c, o->cpus, &bad) < 0) {
			fprintf(stderr, "verdictd: --cpus %s: '%.*s' is not a CPU number (a list like 0,1)\n",
				o->cpus, (int)strcspn(o->cpus + bad, ","), o->cpus + bad);
			return -1;
		}
	}
	if (o->fail_open >= 0)
		c->fail_open = o->fail_open;
	if (o->transport) {
		int k = transport_kind_parse(o->transport);

		if (k < 0) {
			fprintf(stderr, "verdictd: --transport takes auto, ring or socket, not '%s'\n",
				o->transport);
			return -1;
		}
		c->transport = (enum tp_kind)k;
	}
	return 0;
}

/* Root, or at least CAP_NET_ADMIN (bit 12 of the effective set). */
static int have_net_admin(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long eff = 0;

	if (geteuid() == 0 || !f) {
		if (f)
			fclose(f);
		return geteuid() == 0;
	}
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &eff) == 1)
			break;
	fclose(f);
	return (eff >> 12) & 1;
}

static void log_stats(struct worker *const *w, size_t n, bool at_exit)
{
	char line[1024];
	size_t i;

	for (i = 0; i < n; i++) {
		worker_format_stats(w[i], at_exit, line, sizeof(line));
		log_info("%s%s", at_exit ? "final: " : "", line);
	}
}

static double now_ms(void);

/* The daemon's resources, released in one place whatever was set up. */
struct daemon {
	const struct options *opts;	/* the command line, applied again at a reload */
	struct gen *gen;		/* what the workers judge with now */
	struct gen_slot slot;		/* where it is published to them */
	struct gen_reader *rd;		/* one announcement per worker */
	struct gen_reader **rdp;
	struct worker **w;
	size_t nw;			/* workers opened */
	struct control *ctl;		/* NULL: no control socket */
	struct ops ops;			/* what the control socket reports */
	struct ifwatch *iw;		/* NULL: interfaces are not followed */
	int sfd, stop_fd, tfd;		/* tfd: the sets' poll timer */
	struct setwatch *sw;		/* the current policy's sets, followed */
	atomic_bool stop;
	struct notify_watchdog wd;	/* systemd's watchdog, fed by the workers' heartbeats */
	bool test_hang;			/* VERDICTD_TEST_HANG: SIGUSR2 hangs a worker */
};

static struct setwatch *sets_watch(const struct policy *pol);
static void sets_watch_commit(struct daemon *d, struct setwatch *sw);
static void sets_poll_arm(struct daemon *d);

static size_t total_members(const struct policy_sets *sets)
{
	size_t i, sum = 0;

	for (i = 0; i < sets->n; i++)
		sum += set_count(sets->set[i]);
	return sum;
}

static void gen_free(struct gen *g)
{
	if (!g)
		return;
	set_kernel_free_all(&g->sets);
	if (g->owns) {
		stats_policy_free(g->sp);
		classify_free(g->cls);
		conf_free(g->conf);
		free(g->conf);
	}
	free(g);
}

/* A generation for @c (taken over): its sets loaded from the kernel, its
 * interfaces looked up, its policy compiled. NULL with a sentence. */
static struct gen *gen_build(struct conf *c, char *err, size_t len)
{
	struct gen *g = calloc(1, sizeof(*g));

	if (!g) {
		snprintf(err, len, "out of memory");
		conf_free(c);
		free(c);
		return NULL;
	}
	g->conf = c;
	g->owns = true;
	g->vp = (struct verdict_params){ c->mark_mask, c->on_error };
	g->reply_bit = verdict_reply_bit(c->mark_mask);
	for (size_t i = 0; i < c->policy.nrules; i++) {
		g->judges_output |= c->policy.rules[i].hook == POLICY_HOOK_OUTPUT;
		g->logs |= c->policy.rules[i].log;
	}
	if (set_kernel_load_all(&c->policy, &g->sets, err, len) < 0)
		goto fail;
	if (!(g->sp = stats_policy_new((size_t)(c->queue_last - c->queue_first) + 1, c->policy.nrules,
				       c->policy.nsets))) {
		snprintf(err, len, "out of memory");
		goto fail;
	}
	policy_resolve_ifaces(&c->policy);
	if (!(g->cls = classify_build(&c->policy))) {
		snprintf(err, len, "cannot compile the policy: %s", strerror(errno));
		goto fail;
	}
	return g;
fail:
	gen_free(g);
	return NULL;
}

/* Settings a running daemon cannot change: they shape the queues, the
 * sockets or the fixed rules. The first one that differs, or NULL. */
static const char *restart_only(const struct conf *a, const struct conf *b)
{
#define FIELD(name, f) { name, offsetof(struct conf, f), sizeof(((struct conf *)0)->f) }
	static const struct { const char *name; size_t off, len; } fields[] = {
		FIELD("queue", queue_first), FIELD("queue", queue_last),
		FIELD("cpus", ncpus), FIELD("cpus", cpus),	/* unused entries stay 0 */
		FIELD("mark-mask", mark_mask), FIELD("bypass", bypass),
		FIELD("fail-open", fail_open), FIELD("queue-maxlen", queue_maxlen),
		FIELD("rcvbuf", rcvbuf), FIELD("copy-range", copy_range), FIELD("batch", batch),
		FIELD("transport", transport), FIELD("ring-buffers", ring_buffers),
		FIELD("user", user), FIELD("control-owner", control_owner),
		FIELD("control-group", control_group), FIELD("control-mode", control_mode),
		FIELD("log-to", log_to), FIELD("log-level", log_level), FIELD("log-rate", log_rate),
		FIELD("metrics-listen", metrics_listen),
	};
#undef FIELD
	size_t i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (memcmp((const char *)a + fields[i].off, (const char *)b + fields[i].off,
			   fields[i].len) != 0)
			return fields[i].name;
	return NULL;
}

/* Parses @path into a fresh configuration, with the command line's
 * overrides; its messages (errors and warnings, file:line:col) in @msg,
 * tab-separated. NULL when the file has errors. */
static struct conf *daemon_parse(struct daemon *d, const char *path, char *msg, size_t len)
{
	struct conf *c = calloc(1, sizeof(*c));
	char *text = NULL;
	size_t tlen = 0;
	FILE *out = open_memstream(&text, &tlen);
	int errors = -1;

	if (c && out) {
		conf_init(c);
		errors = conf_load_file(c, path, out);
		if (!errors && apply_args(d->opts, c) < 0)
			errors = 1;
	}
	if (out)
		fclose(out);
	snprintf(msg, len, "%s", text ? text : "out of memory");
	for (char *p = msg; *p; p++)
		if (*p == '\n')
			*p = p[1] ? '\t' : '\0';
	free(text);
	if (errors && c) {
		conf_free(c);
		free(c);
		c = NULL;
	}
	return c;
}

/* Existing connections brought in line with the current generation (those
 * of @scope's address alone, when not NULL); what happened, in @out. */
static void daemon_revalidate(struct daemon *d, const struct ct_scope *scope, char *out, size_t len)
{
	struct ct_stats st;
	double t0 = now_ms();
	char err[200];

	if (ct_revalidate(d->gen, scope, &st, err, sizeof(err)) < 0) {
		snprintf(out, len, "existing connections not revalidated: %.200s", err);
		log_err("%s", out);
		return;
	}
	snprintf(out, len, "%zu existing connections revalidated in %.0f ms: %zu changed, %zu"
		 " depend on interfaces (left as they were)%s", st.seen, now_ms() - t0, st.changed,
		 st.unknown, st.failed ? ", some already gone" : "");
}

/* SIGHUP and verdictctl reload: the configuration read again, checked and
 * compiled off the packet path, swapped in for every worker at once; a bad
 * file changes nothing. 0, or -1; what happened in @msg either way. */
static int daemon_reload(void *arg, char *msg, size_t len)
{
	struct daemon *d = arg;
	const char *path = d->gen->conf->path, *what;
	char err[512], notes[4096] = "", flows[256];
	struct conf *c = daemon_parse(d, path, notes, sizeof(notes));
	struct gen *g, *old;
	struct setwatch *sw;

	if (!c) {
		snprintf(msg, len, "%s: not reloaded, the running policy stays:\t%s", path, notes);
		log_err("reload: %s: not reloaded, the running policy stays", path);
		log_lines(LOG_LVL_ERR, notes);
		return -1;
	}
	if ((what = restart_only(d->gen->conf, c))) {
		snprintf(msg, len, "%s: '%s' changed: that takes a restart (systemctl restart, or stop"
			 " and start verdictd); nothing reloaded", path, what);
		log_err("reload: %s", msg);
		conf_free(c);
		free(c);
		return -1;
	}
	sw = sets_watch(&c->policy);
	if (!sw || !(g = gen_build(c, err, sizeof(err)))) {
		snprintf(msg, len, "%s: not reloaded, the running policy stays: %s", path,
			 sw ? err : "out of memory");
		log_err("reload: %s", msg);
		setwatch_close(sw);
		return -1;
	}
	log_lines(LOG_LVL_WARN, notes);
	old = gen_publish(&d->slot, g, d->rdp, d->nw);
	d->gen = g;
	gen_free(old);
	sets_watch_commit(d, sw);
	sets_poll_arm(d);
	path = c->path;		/* the old one went with its generation */
	daemon_revalidate(d, NULL, flows, sizeof(flows));
	snprintf(msg, len, "%s: reloaded: %zu rules, %zu sets (%zu members), default %s; %s%s%s",
		 path, c->policy.nrules, g->sets.n, total_members(&g->sets),
		 policy_action_name(c->policy.dflt), flows, notes[0] ? "\t" : "", notes);
	log_info("reload: %s: reloaded: %zu rules, %zu sets (%zu members), default %s; %s", path,
		 c->policy.nrules, g->sets.n, total_members(&g->sets), policy_action_name(c->policy.dflt),
		 flows);
	return 0;
}

/* The sets' poll timer at the configuration's period (set-poll; 0: off). */
static void sets_poll_arm(struct daemon *d)
{
	uint32_t ms = d->gen->conf->set_poll_ms;
	struct timespec every = { ms / 1000, (long)(ms % 1000) * 1000000L };
	struct itimerspec its = { every, every };

	if (d->tfd >= 0)
		timerfd_settime(d->tfd, 0, &its, NULL);
}

/* A follower for @pol's sets, their headers taken before gen_build reads
 * them (an edit made while they are read shows at the next poll). */
static struct setwatch *sets_watch(const struct policy *pol)
{
	struct setwatch *sw = setwatch_open(pol->nsets);

	for (size_t i = 0; sw && i < pol->nsets; i++)
		setwatch_sign(sw, pol, i);
	return sw;
}

/* @sw follows the sets of the generation just published. */
static void sets_watch_commit(struct daemon *d, struct setwatch *sw)
{
	const struct policy *pol = &d->gen->conf->policy;

	for (size_t i = 0; i < pol->nsets; i++) {
		/* A set gen_build made did not exist when it was signed. */
		if (!setwatch_signed(sw, i))
			setwatch_sign(sw, pol, i);
		setwatch_commit(sw, i);
	}
	setwatch_close(d->sw);
	d->sw = sw;
}

/* Publishes a generation that shares the current policy and classifier,
 * with @sets (taken over) in place of the current sets; the workers judge
 * with it from their next batch. */
static int daemon_publish_sets(struct daemon *d, struct policy_sets *sets)
{
	struct gen *g = calloc(1, sizeof(*g)), *old;

	if (!g) {
		set_kernel_free_all(sets);
		return -1;
	}
	*g = *d->gen;
	g->sets = *sets;
	d->gen->owns = false;		/* the policy and the classifier go on */
	old = gen_publish(&d->slot, g, d->rdp, d->nw);
	d->gen = g;
	gen_free(old);
	return 0;
}

/* The current sets, as a new array sharing every set. */
static int sets_share(const struct policy_sets *cur, struct policy_sets *next)
{
	next->set = calloc(cur->n ? cur->n : 1, sizeof(*next->set));
	if (!next->set)
		return -1;
	for (next->n = 0; next->n < cur->n; next->n++)
		next->set[next->n] = set_ref(cur->set[next->n]);
	return 0;
}

/* Reads set @i again into @next (in place of its shared copy): 1 when its
 * members differ from the current copy's (taken as differing without a
 * comparison when @changed: its header said so), 0 when not, -1 on error. */
static int sets_read_one(struct daemon *d, size_t i, struct policy_sets *next, bool changed)
{
	const struct policy_set *decl = &d->gen->conf->policy.sets[i];
	char err[512];
	struct vset *s;

	if (set_kernel_load(decl, &s, err, sizeof(err)) < 0) {
		log_err("set '%s' changed, but %s; the copy verdictd has stays", decl->name, err);
		return -1;
	}
	if (!changed && set_equal(s, next->set[i])) {
		set_free(s);
		return 0;
	}
	set_free(next->set[i]);
	next->set[i] = s;
	return 1;
}

/* ipset edits made behind verdictd's back (see setwatch.h): each set due
 * is read whole, alone; when one's members changed, a generation with the
 * new copies is published and existing connections are brought in line. */
static void daemon_sets_poll(struct daemon *d)
{
	const struct policy *pol = &d->gen->conf->policy;
	struct policy_sets next;
	char flows[256], names[256] = "";
	size_t i, used = 0;
	bool changed = false;

	if (!pol->nsets || sets_share(&d->gen->sets, &next) < 0)
		return;
	for (i = 0; i < pol->nsets; i++) {
		enum setwatch_due due = setwatch_due(d->sw, pol, i, set_count(next.set[i]));

		if (due == SETWATCH_NOT_DUE)
			continue;
		if (sets_read_one(d, i, &next, due == SETWATCH_CHANGED) > 0) {
			changed = true;
			used += (size_t)snprintf(names + used, used < sizeof(names) ? sizeof(names) - used : 0,
						 "%s%s", used ? ", " : "", pol->sets[i].name);
		}
		setwatch_commit(d->sw, i);
	}
	if (!changed) {
		set_kernel_free_all(&next);
		return;
	}
	if (daemon_publish_sets(d, &next) < 0) {
		log_err("sets changed, but out of memory to publish them");
		return;
	}
	daemon_revalidate(d, NULL, flows, sizeof(flows));
	log_info("set%s %s changed in the kernel: read again (%zu members in all); %s",
		 strchr(names, ',') ? "s" : "", names, total_members(&d->gen->sets), flows);
}

/* Set @i of @next after @c, in the copy: edited in place, replaced by an
 * edited copy, or read again (*@reread then). 1 when @next must be
 * published. */
static int set_cmd_copy(struct daemon *d, const struct setcmd *c, size_t i, struct policy_sets *next,
			bool *reread)
{
	struct vset *copy = NULL;
	int r = setcmd_copy(c, next->set[i], &copy);

	if (r == 2) {
		set_free(next->set[i]);
		next->set[i] = copy;
		return 1;
	}
	if (r == 1) {
		*reread = true;
		setwatch_sign(d->sw, &d->gen->conf->policy, i);
		return sets_read_one(d, i, next, false) > 0;
	}
	return 0;
}

/* verdictctl set ...: the kernel's set edited, then verdictd's copy, then
 * the connections; the reply once the edit is in force for new and
 * existing connections. 0, or -1; what happened in @msg. */
static int daemon_set_cmd(void *arg, const char *req, char *msg, size_t len)
{
	struct daemon *d = arg;
	const struct policy *pol = &d->gen->conf->policy;
	struct setcmd c;
	struct policy_sets next = { 0 };
	struct ct_scope scope;
	char err[CONTROL_MSG_MAX - 400], flows[256], what[96];
	size_t idx[64], n, k;
	int r, publish = 0;
	bool one_host, reread = false;

	if (setcmd_parse(req, &c, err, sizeof(err)) < 0) {
		snprintf(msg, len, "%s", err);
		return -1;
	}
	setcmd_describe(&c, what, sizeof(what));
	n = setcmd_sets(&c, pol, idx, 64);
	if ((!n && c.verb != SETCMD_RESTORE) || (n && setcmd_check(&c, pol, idx[0], err, sizeof(err)) < 0)) {
		if (!n)
			setcmd_not_in_policy(&c, pol, err, sizeof(err));
		snprintf(msg, len, "%s", err);
		setcmd_free(&c);
		return -1;
	}
	r = setcmd_kernel(&c, err, sizeof(err));
	/* A refused add or del changed nothing; a refused flush, swap or
	 * restore may have changed some: the sets it names are read again. */
	if ((r < 0 && (c.verb == SETCMD_ADD || c.verb == SETCMD_DEL)) || c.verb == SETCMD_TEST ||
	    c.verb == SETCMD_LIST || !n || sets_share(&d->gen->sets, &next) < 0) {
		if (r < 0 && n && c.verb != SETCMD_LIST)
			setcmd_explain(&c, pol, idx[0], err, sizeof(err));
		snprintf(msg, len, "%s%s", err, !n && r == 0 ? " (it names none of the policy's sets)" : "");
		if (r < 0 && c.verb != SETCMD_TEST)
			log_warn("set %s: refused: %s", what, msg);
		setcmd_free(&c);
		return r;
	}
	one_host = r == 0 && n == 1 && setcmd_host(&c, next.set[idx[0]], &scope.family, &scope.addr);
	for (k = 0; k < n; k++) {
		if (r < 0)
			setwatch_sign(d->sw, pol, idx[k]);
		publish |= r < 0 ? sets_read_one(d, idx[k], &next, false) > 0
				 : set_cmd_copy(d, &c, idx[k], &next, &reread);
		setwatch_sign(d->sw, pol, idx[k]);
		setwatch_commit(d->sw, idx[k]);
	}
	if (!publish)
		set_kernel_free_all(&next);
	else if (daemon_publish_sets(d, &next) < 0) {
		/* The kernel has the edit, the copy does not: the next poll
		 * reads the sets again. */
		for (k = 0; k < n; k++)
			setwatch_forget(d->sw, idx[k]);
		snprintf(msg, len, "%s, but verdictd is out of memory to use it: its copy follows at the"
			 " next poll", err);
		log_err("set %s: %s", what, msg);
		setcmd_free(&c);
		return -1;
	}
	/* One host's element: only its connections can change; a set read
	 * again may hold edits of others made behind verdictd's back. */
	daemon_revalidate(d, one_host && !reread ? &scope : NULL, flows, sizeof(flows));
	snprintf(msg, len, "%s%s; %s", err, r < 0 ? " (the sets it names were read again from the kernel)" : "",
		 flows);
	if (r < 0)
		log_warn("set %s: refused: %s", what, msg);
	else
		log_info("set %s: %s", what, msg);
	setcmd_free(&c);
	return r;
}

/* At start: connections judged before (by an earlier run, before a
 * restart or an upgrade) are judged again by this policy and these sets:
 * a host banned, or a rule changed, while no daemon ran loses its open
 * connections now, not at its next new one. */
static void daemon_start_revalidate(struct daemon *d)
{
	char flows[256];

	daemon_revalidate(d, NULL, flows, sizeof(flows));
	log_info("connections judged before this start: %s", flows);
}

/* Link events: the policy's interface names looked up again. */
static void daemon_links(struct daemon *d)
{
	int changed = ifwatch_read(d->iw, &d->gen->conf->policy);

	if (changed < 0)
		log_warn("reading link events: %s", strerror(errno));
	else if (changed > 0)
		log_info("interfaces came or went: %d interface match%s of the policy now %s",
			 changed, changed == 1 ? "" : "es", changed == 1 ? "resolves anew" : "resolve anew");
}

/* --- systemd: reload state, watchdog, the test-only hang ---------------- */

/* What systemctl status shows while the daemon runs. */
static void daemon_notify_ready(struct daemon *d)
{
	const struct conf *c = d->gen->conf;
	char status[256];

	snprintf(status, sizeof(status), "judging queues %u-%u: %zu rules, %zu sets (%zu members),"
		 " default %s", c->queue_first, c->queue_last, c->policy.nrules, d->gen->sets.n,
		 total_members(&d->gen->sets), policy_action_name(c->policy.dflt));
	notify_ready(status);
}

/* A reload, told to systemd (RELOADING=1, then READY=1), so that
 * systemctl reload returns once the new policy is in force or refused. */
static int daemon_reload_notify(void *arg, char *msg, size_t len)
{
	struct daemon *d = arg;
	int r;

	notify_reloading();
	r = daemon_reload(d, msg, len);
	daemon_notify_ready(d);
	return r;
}

/* WATCHDOG=1 only when every worker went round its loop since the last. */
static void daemon_watchdog(struct daemon *d)
{
	uint64_t beats[CONF_MAX_QUEUES];
	size_t i;

	for (i = 0; i < d->nw && i < CONF_MAX_QUEUES; i++)
		beats[i] = worker_heartbeat(d->w[i]);
	notify_watchdog_check(&d->wd, beats, i);
}

/* SIGUSR2, with VERDICTD_TEST_HANG set: the first worker hangs, so that a
 * test can see the watchdog catch it. */
static void daemon_test_hang(struct daemon *d)
{
	if (d->test_hang && d->nw > 0)
		worker_test_hang(d->w[0]);
}

/* Waits for signals (SIGUSR1 logs counters, SIGHUP reloads, SIGTERM and
 * SIGINT stop), control socket clients (non-blocking, each served when
 * ready: control.h), link events and watchdog checks. */
static void run_until_signal(struct daemon *d)
{
	struct signalfd_siginfo si;
	char msg[CONTROL_MSG_MAX];

	for (;;) {
		struct pollfd pfd[5 + CONTROL_MAX_FDS] = {
			{ d->sfd, POLLIN, 0 }, { -1, 0, 0 },
			{ d->iw ? ifwatch_fd(d->iw) : -1, POLLIN, 0 }, { d->tfd, POLLIN, 0 },
			{ d->wd.fd, POLLIN, 0 },
		};
		size_t nctl = d->ctl ? control_pollfds(d->ctl, pfd + 5) : 0;
		uint64_t ticks;
		ssize_t r;

		if (poll(pfd, 5 + nctl, d->ctl ? control_timeout(d->ctl) : -1) < 0 && errno != EINTR)
			return;
		if (pfd[4].revents & POLLIN)
			daemon_watchdog(d);
		if ((pfd[3].revents & POLLIN) && read(d->tfd, &ticks, sizeof(ticks)) > 0)
			daemon_sets_poll(d);
		if (d->ctl)
			control_handle(d->ctl, pfd + 5, nctl);
		if (pfd[2].revents & POLLIN)
			daemon_links(d);
		if (!(pfd[0].revents & POLLIN))
			continue;
		r = read(d->sfd, &si, sizeof(si));

		if (r < 0 && errno == EINTR)
			continue;
		if (r != (ssize_t)sizeof(si))
			return;
		if (si.ssi_signo == SIGUSR1)
			log_stats(d->w, d->nw, false);
		else if (si.ssi_signo == SIGHUP)
			daemon_reload_notify(d, msg, sizeof(msg));
		else if (si.ssi_signo == SIGUSR2)
			daemon_test_hang(d);
		else {
			log_info("signal %u: draining queues and stopping", si.ssi_signo);
			return;
		}
	}
}

/* The first generation (from @c, taken over) and the transport. */
static int daemon_prepare(struct daemon *d, struct conf *c, enum tp_kind *kind)
{
	char err[512];
	struct setwatch *sw;

	if (!have_net_admin()) {
		log_err("verdictd needs CAP_NET_ADMIN to bind queues and read ipsets: run it as root");
		conf_free(c);
		free(c);
		return -1;
	}
	/* Follow links from before the names are looked up, so that none
	 * that appears in between is missed. */
	if (!(d->iw = ifwatch_open(err, sizeof(err))))
		log_warn("%s", err);
	if (!(sw = sets_watch(&c->policy))) {
		log_err("out of memory");
		conf_free(c);
		free(c);
		return -1;
	}
	if (!(d->gen = gen_build(c, err, sizeof(err)))) {
		log_err("%s", err);
		setwatch_close(sw);
		return -1;
	}
	sets_watch_commit(d, sw);
	conf_warn_ifaces(c, stderr);
	gen_slot_init(&d->slot, d->gen);
	transport_probe_legacy_mmap(err, sizeof(err));
	log_info("%s", err);
	if (transport_choose(c->transport, kind, err, sizeof(err)) < 0) {
		log_err("the ring transport cannot run: %s; use --transport socket (or auto)", err);
		return -1;
	}
	log_info("transport %s (asked for %s): %s", transport_kind_name(*kind),
		 transport_kind_name(c->transport), err);
	return 0;
}

/* Signals are blocked in every thread and read from a signalfd; the
 * workers wait on an eventfd for the stop. */
static int daemon_signals(struct daemon *d)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	/* Tests only; otherwise SIGUSR2 keeps its default action. */
	d->test_hang = getenv("VERDICTD_TEST_HANG") != NULL;
	if (d->test_hang)
		sigaddset(&mask, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	d->stop_fd = eventfd(0, EFD_CLOEXEC);
	d->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	sets_poll_arm(d);
	if (d->sfd < 0 || d->stop_fd < 0 || d->tfd < 0) {
		log_err("cannot set up signals: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* One worker per queue, each bound; daemon_start() starts them. */
static int daemon_workers(struct daemon *d, const struct conf *c, enum tp_kind kind)
{
	size_t nq = (size_t)(c->queue_last - c->queue_first) + 1, i;
	char err[512];

	d->w = calloc(nq, sizeof(*d->w));
	d->rd = calloc(nq, sizeof(*d->rd));
	d->rdp = calloc(nq, sizeof(*d->rdp));
	if (!d->w || !d->rd || !d->rdp) {
		log_err("out of memory");
		return -1;
	}
	for (i = 0; i < nq; i++) {
		gen_reader_init(&d->rd[i]);
		d->rdp[i] = &d->rd[i];
	}
	for (d->nw = 0; d->nw < nq; d->nw++) {
		struct worker_setup ws = {
			.queue = (uint16_t)(c->queue_first + d->nw),
			.cpu = c->ncpus ? c->cpus[d->nw % c->ncpus] : -1,
			.slot = &d->slot, .rd = &d->rd[d->nw], .kind = kind,
			.stop_fd = d->stop_fd, .stop = &d->stop,
		};

		if (!(d->w[d->nw] = worker_open(c, &ws, err, sizeof(err)))) {
			log_err("%s", err);
			return -1;
		}
	}
	return 0;
}

/* Privileges narrowed (privs.h), then the worker threads started: they
 * inherit the main thread's capabilities and user. */
static int daemon_start(struct daemon *d, const struct conf *c, const struct privs *p)
{
	char err[512];
	size_t i;
	int e;

	/* The kernel's queue counters (the lossless stop waits on them) are
	 * root's to open. */
	if (stats_kernel_open() < 0)
		log_warn("cannot open the kernel's queue counters: %s", strerror(errno));
	e = privs_drop(p, err, sizeof(err));
	if (e < 0) {
		log_err("%s", err);
		return -1;
	}
	if (e > 0)
		log_warn("%s", err);
	log_info("running as uid %u gid %u with CAP_NET_ADMIN alone", (unsigned)getuid(),
		 (unsigned)getgid());
	for (i = 0; i < d->nw; i++)
		if ((e = worker_start(d->w[i])) != 0) {
			log_err("cannot start the worker of queue %u: %s", c->queue_first + (unsigned)i,
				strerror(e));
			return -1;
		}
	if (notify_watchdog_open(&d->wd, d->nw) < 0)
		log_warn("cannot arm the watchdog: %s", strerror(errno));
	else if (d->wd.fd >= 0)
		log_info("watchdog: every %llu ms, while every worker shows it is alive",
			 (unsigned long long)(d->wd.usec / 1000));
	return 0;
}

/* reload, as a control command: the reply is daemon_reload's message. */
static int daemon_cmd_reload(void *arg, const char *args, struct control_reply *out)
{
	char msg[CONTROL_MSG_MAX];
	int r;

	if (args[0]) {
		control_reply_printf(out, "reload takes no argument");
		return -1;
	}
	r = daemon_reload_notify(arg, msg, sizeof(msg));
	control_reply_printf(out, "%s", msg);
	return r;
}

/* set ..., as a control command: the reply is daemon_set_cmd's message. */
static int daemon_cmd_set(void *arg, const char *args, struct control_reply *out)
{
	char *msg = malloc(CONTROL_MSG_MAX);
	int r = -1;

	if (!msg) {
		control_reply_printf(out, "out of memory");
		return -1;
	}
	r = daemon_set_cmd(arg, args, msg, CONTROL_MSG_MAX);
	control_reply_printf(out, "%s", msg);
	free(msg);
	return r;
}

/* The daemon's own commands; ops.c has the reports. A request as long as a
 * set restore (SETCMD_RESTORE_MAX of lines) is for "set" alone. */
static const struct control_cmd daemon_commands[] = {
	{ "reload", daemon_cmd_reload, "reload", 0 },
	{ "set", daemon_cmd_set, "set add|del|test|list|flush|swap|restore ...", SETCMD_RESTORE_MAX + 64 },
};

/* The control socket, its commands (the daemon's, then the reports of
 * ops.c), given to its owner, group and mode (the default one's directory
 * made when missing: the unit's RuntimeDirectory= makes it otherwise), and
 * the metrics listener when the configuration asks for one. */
static void daemon_control(struct daemon *d, const char *path, const struct privs *p,
			   enum tp_kind kind)
{
	const struct conf *c = d->gen->conf;
	char err[512];
	int cr = 0;

	d->ops = (struct ops){ &d->gen, d->w, d->nw, transport_kind_name(kind), d->ops.log_to,
			       d->ops.started_ns, d->ops.started };
	if (strcmp(path, "none") == 0 && !c->metrics_listen[0])
		return;
	if (!(d->ctl = control_new())) {
		log_err("control socket: out of memory");
		return;
	}
	control_add(d->ctl, daemon_commands, sizeof(daemon_commands) / sizeof(daemon_commands[0]), d);
	control_add(d->ctl, ops_commands, ops_ncommands, &d->ops);
	if (strcmp(path, CONTROL_DEFAULT_PATH) == 0) {
		char dir[sizeof(CONTROL_DEFAULT_PATH)] = CONTROL_DEFAULT_PATH;

		*strrchr(dir, '/') = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			log_warn("cannot make %s: %s", dir, strerror(errno));
	}
	if (strcmp(path, "none") != 0)
		cr = control_open(d->ctl, path, err, sizeof(err));
	else
		snprintf(err, sizeof(err), "no control socket (--control none)");
	if (cr < 0)
		log_err("%s", err);
	else if (cr > 0)
		log_warn("%s", err);
	else
		log_info("%s (verdictctl status, stats, flows, metrics, trace, reload, set)", err);
	if (cr == 0 && strcmp(path, "none") != 0 && privs_control_socket(p, path, err, sizeof(err)) < 0)
		log_err("%s", err);
	if (!c->metrics_listen[0])
		return;
	if (control_open_http(d->ctl, c->metrics_listen, err, sizeof(err)) < 0)
		log_err("%s: no metrics listener (verdictctl metrics still works)", err);
	else
		log_info("%s", err);
}

/* Stops the workers (each answers what is queued, then unbinds), logs
 * their final counters, frees everything. */
static void daemon_close(struct daemon *d)
{
	uint64_t one = 1;
	size_t i;

	control_close(d->ctl);
	atomic_store(&d->stop, true);
	if (d->stop_fd >= 0 && write(d->stop_fd, &one, sizeof(one)) < 0)
		log_err("cannot signal the workers: %s", strerror(errno));
	for (i = 0; i < d->nw; i++)
		worker_join(d->w[i]);
	log_stats(d->w, d->nw, true);
	for (i = 0; i < d->nw; i++)
		worker_close(d->w[i]);
	free(d->w);
	free(d->rd);
	free(d->rdp);
	if (d->sfd >= 0)
		close(d->sfd);
	if (d->stop_fd >= 0)
		close(d->stop_fd);
	if (d->tfd >= 0)
		close(d->tfd);
	setwatch_close(d->sw);
	notify_watchdog_close(&d->wd);
	ifwatch_close(d->iw);
	gen_free(d->gen);
}

/* Start-up lines: where the log goes (and why there), the policy file
 * with its digest, and each set with its size. */
static void daemon_log_start(struct daemon *d, const struct conf *c)
{
	char why[256];
	struct timespec ts;
	enum log_target t = log_open(c->log_to, why, sizeof(why));

	log_set_level(d->opts->verbose ? LOG_LVL_DEBUG : c->log_level);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	d->ops.started_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	d->ops.started = time(NULL);
	d->ops.log_to = log_target_name(t);
	log_info("verdictd %s: log to %s (%s)", PACKAGE_VERSION, log_target_name(t), why);
	log_info("policy %s (sha256 %s): %zu rules, %zu sets, default %s", c->path ? c->path : "-",
		 c->sha256[0] ? c->sha256 : "-", c->policy.nrules, c->policy.nsets,
		 policy_action_name(c->policy.dflt));
}

static void daemon_log_sets(struct daemon *d)
{
	const struct policy *pol = &d->gen->conf->policy;
	size_t i;

	for (i = 0; i < pol->nsets && i < d->gen->sets.n; i++)
		log_info("set %s %s: %zu members", pol->sets[i].name, set_type_name(pol->sets[i].type),
			 set_count(d->gen->sets.set[i]));
}

/* Runs until SIGTERM; takes over @c. */
static int run_daemon(const struct options *o, struct conf *c, const char *control_path)
{
	struct daemon d = { .opts = o, .sfd = -1, .stop_fd = -1, .tfd = -1, .wd = { .fd = -1 } };
	struct privs p;
	char err[512];
	enum tp_kind kind;
	int ret = 1;

	daemon_log_start(&d, c);
	if (privs_resolve(c, &p, err, sizeof(err)) < 0) {
		log_err("%s", err);
		conf_free(c);
		free(c);
		goto out;
	}
	if (daemon_prepare(&d, c, &kind) < 0 || daemon_signals(&d) < 0 ||
	    daemon_workers(&d, c, kind) < 0)
		goto out;
	daemon_control(&d, control_path, &p, kind);
	daemon_log_sets(&d);
	if (daemon_start(&d, c, &p) < 0)
		goto out;
	daemon_start_revalidate(&d);
	log_info("ready: queues %u-%u, transport %s, %zu rules, %zu sets (%zu members),"
		 " default %s, mark-mask 0x%x%s", c->queue_first, c->queue_last, transport_kind_name(kind),
		 c->policy.nrules, d.gen->sets.n, total_members(&d.gen->sets),
		 policy_action_name(c->policy.dflt), c->mark_mask, c->fail_open ? ", fail-open" : "");
	daemon_notify_ready(&d);
	run_until_signal(&d);
	notify_stopping();
	ret = 0;
out:
	daemon_close(&d);
	return ret;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* -t: the summary, and what compiling the policy costs. */
static int print_summary(const struct conf *c)
{
	int differ = set_kernel_check(&c->policy, c->path, stderr);
	double t0;
	struct classifier *cls;
	struct privs p;
	char err[512];

	conf_warn_ifaces(c, stderr);
	if (privs_resolve(c, &p, err, sizeof(err)) < 0) {
		fprintf(stderr, "verdictd: %s: %s\n", c->path, err);
		return 1;
	}
	if (differ) {
		fprintf(stderr, "verdictd: %s: %d set declaration%s differ%s from the kernel's sets; fix them\n",
			c->path, differ, differ == 1 ? "" : "s", differ == 1 ? "s" : "");
		return 1;
	}
	t0 = now_ms();
	cls = classify_build(&c->policy);
	if (!cls) {
		fprintf(stderr, "verdictd: %s: cannot compile the policy: %s\n", c->path, strerror(errno));
		return 1;
	}
	printf("%s: ok: queues %u-%u, %zu sets, %zu rules, default %s; compiled in %.1f ms,"
	       " %zu KiB\n", c->path, c->queue_first, c->queue_last, c->policy.nsets,
	       c->policy.nrules, policy_action_name(c->policy.dflt), now_ms() - t0,
	       classify_memory(cls) / 1024);
	classify_free(cls);
	return 0;
}

static int run_trace(struct conf *c, const char *path, int hook)
{
	FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	int bad;

	if (!in) {
		fprintf(stderr, "verdictd: %s: cannot open: %s\n", path, strerror(errno));
		return 1;
	}
	/* iif/oif as the daemon sees them: this host's interfaces now (the
	 * headers' "iif NAME" are looked up the same way) */
	policy_resolve_ifaces(&c->policy);
	if (c->policy.nsets)
		fprintf(stderr, "verdictd: note: the tracer does not read the kernel: its %zu sets are"
			" empty here\n", c->policy.nsets);
	bad = trace_run(c, hook, in, stdout, stderr);
	if (in != stdin)
		fclose(in);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct options o;
	struct conf c;
	int ret = 1;

	if (parse_args(argc, argv, &o) < 0)
		return 2;
	if (o.verbose)
		log_set_level(LOG_LVL_DEBUG);
	conf_init(&c);
	if (o.print_rules && strcmp(o.print_rules, "ipv4") != 0 && strcmp(o.print_rules, "ipv6") != 0) {
		fprintf(stderr, "verdictd: --print-rules takes ipv4 or ipv6, not '%s'\n", o.print_rules);
		return 2;
	}
	/* --print-rules works without a file: the defaults then. */
	if (!(o.print_rules && !o.config)) {
		const char *path = o.config ? o.config : DEFAULT_CONFIG;
		int errors = conf_load_file(&c, path, stderr);

		if (errors) {
			fprintf(stderr, "verdictd: %s: %d error%s; %s\n", path, errors, errors == 1 ? "" : "s",
				o.test ? "fix them" : "not starting");
			goto out;
		}
	}
	if (apply_args(&o, &c) < 0) {
		ret = 2;
		goto out;
	}
	if (o.print_rules) {
		rules_print(stdout, &c, strcmp(o.print_rules, "ipv6") == 0 ? AF_INET6 : AF_INET);
		ret = 0;
	} else if (o.trace) {
		ret = run_trace(&c, o.trace, o.hook);
	} else if (o.test) {
		ret = print_summary(&c);
	} else {
		struct conf *own = malloc(sizeof(*own));

		if (!own) {
			fprintf(stderr, "verdictd: out of memory\n");
			goto out;
		}
		*own = c;
		conf_init(&c);		/* the daemon owns what c held */
		ret = run_daemon(&o, own, o.control ? o.control : CONTROL_DEFAULT_PATH);
	}
out:
	conf_free(&c);
	return ret;
}
