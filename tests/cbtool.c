/* cbtool.c - ClassBench filter sets for the tests (../shared/classbench,
 * formats in its README):
 *   cbtool ipt RULES          the rules as iptables-save output: FORWARD,
 *                             policy DROP, rule i -> ACCEPT if i is even,
 *                             DROP if odd, on line FIRST_LINE + i
 *   cbtool scan RULES TRACE   per trace header, the iptables-save line of the
 *                             first rule that matches (a plain linear scan),
 *                             or the FORWARD policy's line
 *   cbtool sample TRACE N     N headers spread evenly over the trace, for
 *                             sending as real packets
 * TCP flags are ignored, as the README allows. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POLICY_LINE 3
#define FIRST_LINE 5

struct cb_rule {
	uint32_t src, dst;
	unsigned int slen, dlen, splo, sphi, dplo, dphi, proto, pmask;
};

static size_t load(const char *path, struct cb_rule **out)
{
	FILE *f = fopen(path, "r");
	size_t n = 0, cap = 0;
	struct cb_rule r;
	unsigned int a[8];

	*out = NULL;
	if (!f) {
		perror(path);
		exit(2);
	}
	while (fscanf(f, " @%u.%u.%u.%u/%u %u.%u.%u.%u/%u %u : %u %u : %u %x/%x %*x/%*x",
		      &a[0], &a[1], &a[2], &a[3], &r.slen, &a[4], &a[5], &a[6], &a[7], &r.dlen,
		      &r.splo, &r.sphi, &r.dplo, &r.dphi, &r.proto, &r.pmask) == 16) {
		r.src = a[0] << 24 | a[1] << 16 | a[2] << 8 | a[3];
		r.dst = a[4] << 24 | a[5] << 16 | a[6] << 8 | a[7];
		if (n == cap) {
			cap = cap ? cap * 2 : 1024;
			*out = realloc(*out, cap * sizeof(**out));
			if (!*out)
				exit(2);
		}
		(*out)[n++] = r;
	}
	fclose(f);
	return n;
}

static bool match(const struct cb_rule *r, uint32_t s, uint32_t d, unsigned int sp, unsigned int dp,
		  unsigned int proto)
{
	uint32_t sm = r->slen ? ~0u << (32 - r->slen) : 0, dm = r->dlen ? ~0u << (32 - r->dlen) : 0;

	return (s & sm) == (r->src & sm) && (d & dm) == (r->dst & dm) && sp >= r->splo &&
	       sp <= r->sphi && dp >= r->dplo && dp <= r->dphi &&
	       (proto & r->pmask) == (r->proto & r->pmask);
}

static void addr(uint32_t a, unsigned int len)
{
	printf("%u.%u.%u.%u/%u", a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255, len);
}

static int cmd_ipt(const char *path)
{
	struct cb_rule *r;
	size_t n = load(path, &r), i;

	printf("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n");
	for (i = 0; i < n; i++) {
		const char *pn = r[i].proto == 6 ? "tcp" : r[i].proto == 17 ? "udp" : NULL;

		printf("-A FORWARD");
		if (r[i].slen) {
			printf(" -s ");
			addr(r[i].src, r[i].slen);
		}
		if (r[i].dlen) {
			printf(" -d ");
			addr(r[i].dst, r[i].dlen);
		}
		if (r[i].pmask == 0xff)
			printf(" -p %s", pn ? pn : "");
		if (r[i].pmask == 0xff && !pn)
			printf("%u", r[i].proto);
		if (pn && r[i].pmask == 0xff && (r[i].splo || r[i].sphi != 65535 || r[i].dplo || r[i].dphi != 65535)) {
			printf(" -m %s", pn);
			if (r[i].splo || r[i].sphi != 65535)
				printf(" --sport %u:%u", r[i].splo, r[i].sphi);
			if (r[i].dplo || r[i].dphi != 65535)
				printf(" --dport %u:%u", r[i].dplo, r[i].dphi);
		}
		printf(" -j %s\n", i % 2 ? "DROP" : "ACCEPT");
	}
	printf("COMMIT\n");
	free(r);
	return 0;
}

static int cmd_scan(const char *rules, const char *trace)
{
	struct cb_rule *r;
	size_t n = load(rules, &r), i;
	unsigned long s, d, sp, dp, proto, flags, gen;
	FILE *f = fopen(trace, "r");

	if (!f) {
		perror(trace);
		return 2;
	}
	while (fscanf(f, "%lu %lu %lu %lu %lu %lu %lu", &s, &d, &sp, &dp, &proto, &flags, &gen) == 7) {
		for (i = 0; i < n; i++)
			if (match(&r[i], (uint32_t)s, (uint32_t)d, (unsigned int)sp, (unsigned int)dp,
				  (unsigned int)proto))
				break;
		printf("%zu\n", i < n ? FIRST_LINE + i : (size_t)POLICY_LINE);
	}
	fclose(f);
	free(r);
	return 0;
}

static int cmd_sample(const char *trace, long want)
{
	FILE *f = fopen(trace, "r");
	char line[256];
	long n = 0, k = 0, step;

	if (!f) {
		perror(trace);
		return 2;
	}
	while (fgets(line, sizeof(line), f))
		n++;
	rewind(f);
	step = want > 0 && n > want ? n / want : 1;
	while (fgets(line, sizeof(line), f))
		if (k++ % step == 0 && want-- > 0)
			fputs(line, stdout);
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "ipt") == 0)
		return cmd_ipt(argv[2]);
	if (argc == 4 && strcmp(argv[1], "scan") == 0)
		return cmd_scan(argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "sample") == 0)
		return cmd_sample(argv[2], atol(argv[3]));
	fprintf(stderr, "usage: cbtool ipt RULES | scan RULES TRACE | sample TRACE N\n");
	return 2;
}
