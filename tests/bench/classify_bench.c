/* classify_bench.c - the classifier benchmark on ClassBench filter sets:
 * linear evaluator vs verdictd's compiled classifier, side by side in one
 * run: ns per lookup (median of RUNS passes over the trace, replayed to
 * at least REPS lookups a pass), build time and memory, for 1k, 2k, 4k and
 * 8k rules.
 *
 *   classify_bench CLASSBENCH_DIR [RUNS] */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "classify.h"
#include "conf.h"

#define REPS 200000

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

/* The ClassBench rules as verdictd policy text (see tests/unit/test_classify.c). */
static char *convert(const char *path, size_t *nrules)
{
	FILE *f = fopen(path, "r"), *t;
	char *text = NULL;
	size_t len = 0;
	unsigned int a[8], sl, dl, splo, sphi, dplo, dphi, proto, mask;

	*nrules = 0;
	if (!f)
		return NULL;
	t = open_memstream(&text, &len);
	while (fscanf(f, " @%u.%u.%u.%u/%u %u.%u.%u.%u/%u %u : %u %u : %u %x/%x %*x/%*x", &a[0], &a[1],
		      &a[2], &a[3], &sl, &a[4], &a[5], &a[6], &a[7], &dl, &splo, &sphi, &dplo, &dphi,
		      &proto, &mask) == 16) {
		fprintf(t, "accept src %u.%u.%u.%u/%u dst %u.%u.%u.%u/%u", a[0], a[1], a[2], a[3], sl,
			a[4], a[5], a[6], a[7], dl);
		if (mask == 0xff)
			fprintf(t, " proto %u", proto);
		if (mask == 0xff && (proto == 6 || proto == 17)) {
			if (splo != 0 || sphi != 65535)
				fprintf(t, " sport %u-%u", splo, sphi);
			if (dplo != 0 || dphi != 65535)
				fprintf(t, " dport %u-%u", dplo, dphi);
		}
		fprintf(t, "\n");
		(*nrules)++;
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

/* ns per lookup: median over runs. */
static double time_lookups(const struct conf *c, const struct classifier *cl, const struct pkt *tr,
			   size_t n, int runs)
{
	struct policy_sets sets = { 0 };
	double t[32], t0;
	volatile int sink = 0;
	size_t reps = cl ? REPS : REPS / 50, i;
	int r;

	for (r = 0; r < runs && r < 32; r++) {
		t0 = now();
		for (i = 0; i < reps; i++) {
			struct policy_verdict v;

			if (cl)
				classify_eval(cl, &c->policy, &sets, &tr[i % n], &v);
			else
				policy_eval(&c->policy, &sets, &tr[i % n], &v);
			sink += v.rule;
		}
		t[r] = (now() - t0) / (double)reps;
	}
	qsort(t, (size_t)r, sizeof(t[0]), dcmp);
	return t[r / 2];
}

int main(int argc, char **argv)
{
	static const char *const fams[] = { "acl1", "fw1", "ipc1" };
	static const char *const sizes[] = { "1k", "2k", "4k", "8k" };
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	size_t f, k;

	if (argc < 2) {
		fprintf(stderr, "usage: classify_bench CLASSBENCH_DIR [RUNS]\n");
		return 2;
	}
	printf("%-9s %6s | %12s %12s %8s | %10s %10s | %9s\n", "set", "rules", "linear ns", "compiled ns",
	       "speedup", "build ms", "memory KiB", "vs 1k");
	for (f = 0; f < 3; f++) {
		double base = 0;

		for (k = 0; k < 4; k++) {
			char path[1024], *text;
			size_t nrules, ntrace;
			struct classifier *cl;
			struct pkt *tr;
			struct conf c;
			double t0, build, lin, comp;

			snprintf(path, sizeof(path), "%s/%s_%s.rules", argv[1], fams[f], sizes[k]);
			text = convert(path, &nrules);
			snprintf(path, sizeof(path), "%s/%s_%s.trace", argv[1], fams[f], sizes[k]);
			tr = load_trace(path, &ntrace);
			conf_init(&c);
			if (!text || !ntrace || conf_load_string(&c, "bench", text, stderr) != 0) {
				fprintf(stderr, "%s_%s: cannot load\n", fams[f], sizes[k]);
				return 1;
			}
			t0 = now();
			cl = classify_build(&c.policy);
			build = (now() - t0) / 1e6;
			lin = time_lookups(&c, NULL, tr, ntrace, runs);
			comp = time_lookups(&c, cl, tr, ntrace, runs);
			if (k == 0)
				base = comp;
			printf("%-9s %6zu | %12.0f %12.1f %7.0fx | %10.1f %10zu | %8.2fx\n", fams[f], nrules, lin,
			       comp, lin / comp, build, classify_memory(cl) / 1024, comp / base);
			classify_free(cl);
			conf_free(&c);
			free(text);
			free(tr);
		}
	}
	return 0;
}
