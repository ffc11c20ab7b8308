/* trace.c - the packet tracer (verdictd --trace): what Cisco's
 * packet-tracer gives ASA operators, for a policy file. It goes through
 * the same compiled classifier as the daemon. */
#include "config.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "classify.h"
#include "trace.h"

static int parse_proto(const char *s)
{
	static const struct { const char *name; int num; } names[] = {
		{ "tcp", IPPROTO_TCP }, { "udp", IPPROTO_UDP }, { "icmp", IPPROTO_ICMP },
		{ "icmpv6", IPPROTO_ICMPV6 }, { "sctp", IPPROTO_SCTP },
	};
	char *end;
	long v;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i].name) == 0)
			return names[i].num;
	v = strtol(s, &end, 10);
	return *end || v < 0 || v > 255 ? -1 : (int)v;
}

/* "10.0.0.1", "10.0.0.1:80", "2001:db8::1", "[2001:db8::1]:80". */
static int parse_endpoint(char *s, struct pkt *p, union vd_addr *a, uint16_t *port, bool *has_port)
{
	char *colon = NULL;
	uint8_t fam;

	if (*s == '[') {
		char *close = strchr(s, ']');

		if (!close)
			return -1;
		*close = '\0';
		colon = close[1] == ':' ? close + 1 : NULL;
		s++;
	} else if (strchr(s, '.') && (colon = strchr(s, ':'))) {
		*colon = '\0';
	} else {
		colon = NULL;
	}
	fam = strchr(s, ':') ? AF_INET6 : AF_INET;
	memset(a, 0, sizeof(*a));
	if (inet_pton(fam, s, a->b) != 1 || (p->family && p->family != fam))
		return -1;
	p->family = fam;
	if (colon) {
		char *end;
		long v = strtol(colon + 1, &end, 10);

		if (*end || v < 0 || v > 65535)
			return -1;
		*port = (uint16_t)v;
		*has_port = true;
	}
	return 0;
}

static int parse_classbench(char **w, struct pkt *p)
{
	unsigned long v[7];
	int i;

	for (i = 0; i < 7; i++) {
		char *end;

		v[i] = strtoul(w[i], &end, 10);
		if (*end)
			return -1;
	}
	memset(p, 0, sizeof(*p));
	p->family = AF_INET;
	p->src.w[0] = htonl((uint32_t)v[0]);
	p->dst.w[0] = htonl((uint32_t)v[1]);
	p->sport = (uint16_t)v[2];
	p->dport = (uint16_t)v[3];
	p->proto = (uint8_t)v[4];
	p->flags = PKT_F_PORTS;
	return 0;
}

static int parse_header(char **w, int n, int hook, struct pkt *p)
{
	bool sp = false, dp = false;
	int proto, i;

	if (n == 7 && parse_classbench(w, p) == 0) {
		p->hook = (uint8_t)hook;
		return 0;
	}
	memset(p, 0, sizeof(*p));
	p->hook = (uint8_t)hook;
	if (n < 3 || (proto = parse_proto(w[0])) < 0 ||
	    parse_endpoint(w[1], p, &p->src, &p->sport, &sp) < 0 ||
	    parse_endpoint(w[2], p, &p->dst, &p->dport, &dp) < 0 || sp != dp)
		return -1;
	p->proto = (uint8_t)proto;
	if (sp)
		p->flags |= PKT_F_PORTS;
	for (i = 3; i + 1 < n; i += 2) {
		if (strcmp(w[i], "type") == 0) {
			char *slash = strchr(w[i + 1], '/');

			p->flags |= PKT_F_ICMP;
			p->icmp_type = (uint8_t)atoi(w[i + 1]);
			p->icmp_code = slash ? (uint8_t)atoi(slash + 1) : 0;
		} else if (strcmp(w[i], "iif") == 0) {
			p->iif = if_nametoindex(w[i + 1]);
		} else if (strcmp(w[i], "oif") == 0) {
			p->oif = if_nametoindex(w[i + 1]);
		} else if (strcmp(w[i], "hook") == 0) {
			if (!(p->hook = (uint8_t)policy_hook_parse(w[i + 1])))
				return -1;
		} else {
			return -1;
		}
	}
	return i == n ? 0 : -1;
}

int trace_line(const struct trace_ctx *t, char *line, char *out, size_t len)
{
	char *w[16], *tok, *save = NULL, desc[160];
	struct policy_verdict v;
	struct pkt p;
	int n = 0;

	for (tok = strtok_r(line, " \t\r\n", &save); tok && n < 16; tok = strtok_r(NULL, " \t\r\n", &save))
		w[n++] = tok;
	if (n == 0 || w[0][0] == '#')
		return 1;
	if (parse_header(w, n, t->hook, &p) < 0) {
		snprintf(out, len, "cannot read this header (PROTO SRC[:PORT] DST[:PORT] [type N[/CODE]]"
			 " [iif NAME] [oif NAME] [hook NAME], or a ClassBench trace line)");
		return -1;
	}
	classify_eval(t->cl, t->pol, t->sets, &p, &v);
	pkt_format(&p, desc, sizeof(desc));
	if (v.rule < 0)
		snprintf(out, len, "%s => default %s", desc, policy_action_name(v.action));
	else if (v.action == ACT_MARK)
		snprintf(out, len, "%s => rule %d (%s:%u) mark 0x%x", desc, v.rule + 1, t->path,
			 t->pol->rules[v.rule].pos.line, v.mark);
	else
		snprintf(out, len, "%s => rule %d (%s:%u) %s", desc, v.rule + 1, t->path,
			 t->pol->rules[v.rule].pos.line, policy_action_name(v.action));
	return 0;
}

int trace_run(const struct conf *c, int hook, FILE *in, FILE *out, FILE *err)
{
	struct classifier *cl = classify_build(&c->policy);
	struct policy_sets sets = { 0 };
	struct vset **empty = calloc(c->policy.nsets + 1, sizeof(*empty));
	struct trace_ctx t = { &c->policy, c->path ? c->path : "policy", cl, &sets, hook };
	char line[1024], res[512];
	unsigned int lineno = 0;
	int bad = 0;
	size_t i;

	if (!cl || !empty) {
		fprintf(err, "verdictd: out of memory\n");
		bad = 1;
		goto out;
	}
	for (i = 0; i < c->policy.nsets; i++) {
		const struct policy_set *s = &c->policy.sets[i];

		empty[i] = set_new(s->type, s->family);
		if (!empty[i])
			goto out;
		sets.n++;
	}
	sets.set = empty;
	while (fgets(line, sizeof(line), in)) {
		int r;

		lineno++;
		r = trace_line(&t, line, res, sizeof(res));
		if (r < 0) {
			fprintf(err, "trace:%u: %s\n", lineno, res);
			bad++;
		} else if (r == 0) {
			fprintf(out, "%s\n", res);
		}
	}
out:
	for (i = 0; i < sets.n; i++)
		set_free(empty[i]);
	free(empty);
	classify_free(cl);
	return bad;
}
