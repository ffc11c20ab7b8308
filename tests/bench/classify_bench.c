/* classify_bench.c - the classifier benchmark on ClassBench filter sets,
 * side by side in one run, for 1k, 2k, 4k and 8k rules of acl1, fw1, ipc1:
 *   linear    verdictd's reference evaluator (policy_eval), rule by rule
 *   verdictd  the compiled classifier (classify_eval), one packet at a time,
 *             and in batches of 32 (classify_eval_batch, as the daemon
 *             judges a receive batch)
 *   rte_acl   DPDK's classifier (when configure found libdpdk), one packet
 *             at a time and in bursts of 32 as DPDK applications call it
 * ns per lookup (median of RUNS passes over the trace, replayed to at least
 * REPS lookups a pass; the sets of a family and the kinds take turns in
 * every run, and ratios are medians of the ratios within a run), build
 * time, memory, and verdictd's cost against its 1k-rule cost. Every
 * header's answer is checked: verdictd and rte_acl must name the rule the
 * linear scan names.
 *
 *   classify_bench CLASSBENCH_DIR [RUNS] [SETS...]   the table
 *   classify_bench --ir CLASSBENCH_DIR SET           one pass over SET's
 *       trace per classifier between callgrind client requests, so that
 *       `valgrind --tool=callgrind` counts instructions per lookup
 *       (tests/bench/classify.sh does this). */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <valgrind/callgrind.h>

#include "acl_ref.h"
#include "classify.h"
#include "conf.h"

#define REPS 200000
#define BURST 32
#define MAXRUNS 32

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The ClassBench rules, and as verdictd policy text. */
static char *load_rules(const char *path, struct cb_rule **out, size_t *n)
{
	FILE *f = fopen(path, "r"), *t;
	char *text = NULL;
	size_t len = 0, cap = 0;
	struct cb_rule r;
	unsigned int a[8];

	*n = 0;
	*out = NULL;
	if (!f)
		return NULL;
	t = open_memstream(&text, &len);
	while (fscanf(f, " @%u.%u.%u.%u/%u %u.%u.%u.%u/%u %u : %u %u : %u %x/%x %*x/%*x", &a[0], &a[1],
		      &a[2], &a[3], &r.slen, &a[4], &a[5], &a[6], &a[7], &r.dlen, &r.splo, &r.sphi,
		      &r.dplo, &r.dphi, &r.proto, &r.pmask) == 16) {
		r.src = a[0] << 24 | a[1] << 16 | a[2] << 8 | a[3];
		r.dst = a[4] << 24 | a[5] << 16 | a[6] << 8 | a[7];
		if (*n == cap) {
			cap = cap ? cap * 2 : 1024;
			*out = realloc(*out, cap * sizeof(**out));
		}
		(*out)[(*n)++] = r;
		fprintf(t, "accept src %u.%u.%u.%u/%u dst %u.%u.%u.%u/%u", a[0], a[1], a[2], a[3], r.slen,
			a[4], a[5], a[6], a[7], r.dlen);
		if (r.pmask == 0xff)
			fprintf(t, " proto %u", r.proto);
		if (r.pmask == 0xff && (r.proto == 6 || r.proto == 17)) {
			if (r.splo != 0 || r.sphi != 65535)
				fprintf(t, " sport %u-%u", r.splo, r.sphi);
			if (r.dplo != 0 || r.dphi != 65535)
				fprintf(t, " dport %u-%u", r.dplo, r.dphi);
		}
		fprintf(t, "\n");
	}
	fprintf(t, "default drop\n");
	fclose(t);
	fclose(f);
	return text;
}

static struct pkt *load_trace(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	unsigned long s, d, sp, dp, proto, flags, gen;
	struct pkt *v = NULL;
	size_t cap = 0;

	*n = 0;
	while (f && fscanf(f, "%lu %lu %lu %lu %lu %lu %lu", &s, &d, &sp, &dp, &proto, &flags, &gen) == 7) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 1024;
			v = realloc(v, cap * sizeof(*v));
		}
		memset(&v[*n], 0, sizeof(v[*n]));
		v[*n].family = AF_INET;
		v[*n].proto = (uint8_t)proto;
		v[*n].flags = PKT_F_PORTS;
		v[*n].sport = (uint16_t)sp;
		v[*n].dport = (uint16_t)dp;
		v[*n].src.w[0] = htonl((uint32_t)s);
		v[*n].dst.w[0] = htonl((uint32_t)d);
		(*n)++;
	}
	if (f)
		fclose(f);
	return v;
}

enum kind { LINEAR, VERDICTD, VD_BURST, ACL_ONE, ACL_BURST, NKINDS };

struct bench {
	struct conf c;
	struct cb_rule *rules;
	size_t nrules;
	struct pkt *trace;
	size_t ntrace;
	struct classifier *cl;
	double build_ms;
	struct acl_ref *acl;
	double acl_build_ms;
	size_t acl_memory;
	int *out;		/* a pass's answers */
	double ns[NKINDS][MAXRUNS];	/* ns per lookup, by kind and run */
	size_t wrong;		/* answers that differ from the linear scan's */
};

/* One pass of @reps lookups; the answers of the first ntrace in b->out. */
static void pass(struct bench *b, enum kind k, size_t reps)
{
	struct policy_sets sets = { 0 };
	size_t i;

	if (k == ACL_ONE || k == ACL_BURST) {
		for (i = 0; i < reps; i += b->ntrace) {
			size_t m = reps - i < b->ntrace ? reps - i : b->ntrace;

			acl_ref_classify(b->acl, b->trace, m, k == ACL_BURST ? BURST : 1, b->out);
		}
		return;
	}
	if (k == VD_BURST) {
		const struct pkt *pp[BURST];
		struct policy_verdict v[BURST];
		size_t j, m;

		for (i = 0; i < reps; i += m) {
			m = reps - i < BURST ? reps - i : BURST;
			for (j = 0; j < m; j++)
				pp[j] = &b->trace[(i + j) % b->ntrace];
			classify_eval_batch(b->cl, &b->c.policy, &sets, pp, m, v);
			for (j = 0; j < m; j++)
				if (i + j < b->ntrace)
					b->out[i + j] = v[j].rule;
		}
		return;
	}
	for (i = 0; i < reps; i++) {
		struct policy_verdict v;

		if (k == VERDICTD)
			classify_eval(b->cl, &b->c.policy, &sets, &b->trace[i % b->ntrace], &v);
		else
			policy_eval(&b->c.policy, &sets, &b->trace[i % b->ntrace], &v);
		if (i < b->ntrace)
			b->out[i] = v.rule;
	}
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(v[0]), dcmp);
	return v[n / 2];
}

/* Run @r of every kind on @b: ns per lookup into b->ns[kind][r]. */
static void time_run(struct bench *b, int r)
{
	int k;

	for (k = 0; k < NKINDS; k++) {
		size_t reps = k == LINEAR ? REPS / 50 : REPS;
		double t0;

		if ((k == ACL_ONE || k == ACL_BURST) && !b->acl)
			continue;
		if (reps < b->ntrace)
			reps = b->ntrace;
		t0 = now();
		pass(b, (enum kind)k, reps);
		b->ns[k][r] = (now() - t0) / (double)reps;
	}
}

/* The median over runs of x[kx][r] / y[ky][r]: a ratio of two figures
 * measured moments apart, which the noise of this shared machine moves
 * far less than it moves either figure. */
static double paired(const struct bench *x, enum kind kx, const struct bench *y, enum kind ky,
		     int runs)
{
	double v[MAXRUNS];
	int r;

	for (r = 0; r < runs; r++)
		v[r] = y->ns[ky][r] > 0 ? x->ns[kx][r] / y->ns[ky][r] : 0;
	return median(v, runs);
}

static int bench_load(struct bench *b, const char *dir, const char *name, bool acl)
{
	char path[1024], *text;
	double t0;

	memset(b, 0, sizeof(*b));
	snprintf(path, sizeof(path), "%s/%s.rules", dir, name);
	text = load_rules(path, &b->rules, &b->nrules);
	snprintf(path, sizeof(path), "%s/%s.trace", dir, name);
	b->trace = load_trace(path, &b->ntrace);
	conf_init(&b->c);
	if (!text || !b->ntrace || conf_load_string(&b->c, name, text, stderr) != 0) {
		fprintf(stderr, "%s: cannot load\n", name);
		free(text);
		return -1;
	}
	free(text);
	b->out = calloc(b->ntrace, sizeof(*b->out));
	t0 = now();
	b->cl = classify_build(&b->c.policy);
	b->build_ms = (now() - t0) / 1e6;
	if (acl) {
		t0 = now();
		b->acl = acl_ref_build(b->rules, b->nrules, &b->acl_memory);
		b->acl_build_ms = (now() - t0) / 1e6;
	}
	return b->cl && b->out ? 0 : -1;
}

static void bench_free(struct bench *b)
{
	classify_free(b->cl);
	acl_ref_free(b->acl);
	conf_free(&b->c);
	free(b->rules);
	free(b->trace);
	free(b->out);
}

/* Headers where @k's answer differs from the linear scan's. */
static size_t disagreements(struct bench *b, enum kind k, const int *want)
{
	size_t i, bad = 0;

	pass(b, k, b->ntrace);
	for (i = 0; i < b->ntrace; i++)
		bad += b->out[i] != want[i];
	return bad;
}

static int run_ir(const char *dir, const char *name, bool acl)
{
	struct bench b;

	if (bench_load(&b, dir, name, acl) < 0)
		return 1;
	CALLGRIND_ZERO_STATS;
	pass(&b, VERDICTD, b.ntrace);
	CALLGRIND_DUMP_STATS_AT("verdictd");
	pass(&b, VD_BURST, b.ntrace);
	CALLGRIND_DUMP_STATS_AT("verdictd_burst");
	if (b.acl) {
		pass(&b, ACL_ONE, b.ntrace);
		CALLGRIND_DUMP_STATS_AT("rte_acl");
		pass(&b, ACL_BURST, b.ntrace);
		CALLGRIND_DUMP_STATS_AT("rte_acl_burst");
	}
	printf("lookups %zu\n", b.ntrace);
	bench_free(&b);
	return 0;
}

/* Sets of one filter family (acl1_1k ... acl1_8k) are next to each other
 * in the list: the first index past @s's family. */
static size_t end_of_family(const char *const *sets, size_t nsets, size_t s)
{
	size_t len = strcspn(sets[s], "_"), e = s + 1;

	while (e < nsets && strncmp(sets[e], sets[s], len) == 0 && sets[e][len] == '_')
		e++;
	return e;
}

/* One family's rows. Its sets are loaded together and timed in turns,
 * run by run, every kind of lookup in every run, so that each ratio
 * (against rte_acl, against the 1k set) is a median of paired figures. */
static int bench_family(const char *dir, const char *const *sets, size_t n, bool acl, int runs)
{
	struct bench *b = calloc(n, sizeof(*b));
	size_t s, base = 0;
	int r, bad = 0;

	if (!b)
		return 1;
	for (s = 0; s < n; s++) {
		size_t wrong_vd, wrong_acl = 0;
		int *want;

		if (bench_load(&b[s], dir, sets[s], acl) < 0) {
			bad = 1;
			goto out;
		}
		want = calloc(b[s].ntrace, sizeof(*want));
		pass(&b[s], LINEAR, b[s].ntrace);
		memcpy(want, b[s].out, b[s].ntrace * sizeof(*want));
		wrong_vd = disagreements(&b[s], VERDICTD, want) + disagreements(&b[s], VD_BURST, want);
		if (b[s].acl)
			wrong_acl = disagreements(&b[s], ACL_ONE, want) + disagreements(&b[s], ACL_BURST, want);
		free(want);
		b[s].wrong = wrong_vd + wrong_acl;
		if (b[s].wrong) {
			fprintf(stderr, "%s: %zu verdictd and %zu rte_acl answers differ from the linear scan\n",
				sets[s], wrong_vd, wrong_acl);
			bad = 1;
		}
		if (strstr(sets[s], "_1k"))
			base = s;
	}
	for (r = 0; r < runs; r++)
		for (s = 0; s < n; s++)
			time_run(&b[s], r);
	for (s = 0; s < n; s++) {
		double t[NKINDS] = { 0 };
		int k;

		for (k = 0; k < NKINDS; k++)
			t[k] = median(b[s].ns[k], runs);
		printf("%-8s %5zu | %7.0f %8.1f %7.1f %8.1f %7.1f | %4.0fx %5.2fx %5.2fx | %5.2fx %5.2fx |"
		       " %8.1f %7.1f | %6zu %7zu | %s\n", sets[s], b[s].nrules, t[LINEAR], t[VERDICTD],
		       t[VD_BURST], t[ACL_ONE], t[ACL_BURST], paired(&b[s], LINEAR, &b[s], VERDICTD, runs),
		       paired(&b[s], VERDICTD, &b[s], ACL_ONE, runs), paired(&b[s], VD_BURST, &b[s], ACL_BURST, runs),
		       paired(&b[s], VERDICTD, &b[base], VERDICTD, runs),
		       paired(&b[s], VD_BURST, &b[base], VD_BURST, runs), b[s].build_ms, b[s].acl_build_ms,
		       classify_memory(b[s].cl) / 1024, b[s].acl_memory / 1024,
		       b[s].wrong ? "DIFFER" : "all agree");
	}
out:
	for (s = 0; s < n; s++)
		bench_free(&b[s]);
	free(b);
	return bad;
}

int main(int argc, char **argv)
{
	static const char *const all[] = {
		"acl1_1k", "acl1_2k", "acl1_4k", "acl1_8k", "fw1_1k", "fw1_2k", "fw1_4k", "fw1_8k",
		"ipc1_1k", "ipc1_2k", "ipc1_4k", "ipc1_8k",
	};
	const char *const *sets = all;
	size_t nsets = sizeof(all) / sizeof(all[0]), s;
	bool acl;
	int runs, bad = 0;
	size_t end;

	if (argc >= 4 && strcmp(argv[1], "--ir") == 0)
		return run_ir(argv[2], argv[3], acl_ref_init() == 0);
	if (argc < 2) {
		fprintf(stderr, "usage: classify_bench CLASSBENCH_DIR [RUNS] [SETS...] | --ir DIR SET\n");
		return 2;
	}
	runs = argc > 2 ? atoi(argv[2]) : 5;
	if (argc > 3) {
		sets = (const char *const *)argv + 3;
		nsets = (size_t)argc - 3;
	}
	acl = acl_ref_init() == 0;
	printf("ns per lookup: median of %d runs, every kind and every set of a family taking turns in each;"
	       " x32: in bursts of 32; ratios are medians of the ratios within each run: x: linear / verdictd;"
	       " vs acl: verdictd / rte_acl, one at a time and in bursts; vs 1k: verdictd / the family's"
	       " 1k set, one at a time and in bursts\n", runs);
	printf("%-8s %5s | %7s %8s %7s %8s %7s | %5s %6s %6s | %6s %6s | %8s %7s | %6s %7s | %s\n", "set",
	       "rules", "linear", "verdictd", "vd x32", "rte_acl", "acl x32", "x", "vs acl", "x32", "vs 1k",
	       "x32", "build ms", "acl ms", "KiB", "acl KiB", "answers");
	if (runs < 1)
		runs = 1;
	if (runs > MAXRUNS)
		runs = MAXRUNS;
	for (s = 0; s < nsets; s = end) {
		end = end_of_family(sets, nsets, s);
		bad |= bench_family(argv[1], sets + s, end - s, acl, runs);
	}
	if (!acl)
		printf("rte_acl: not built or cannot run here (configure with dpdk-dev installed)\n");
	return bad;
}
