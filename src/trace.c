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
#include "vocab.h"

/* "10.0.0.1", "10.0.0.1:80", "2001:db8::1", "[2001:db8::1]:80". */
static int parse_endpoint(char *s, struct pkt *p, union vd_addr *a, uint16_t *port, bool *has_port,
			  const char *what, char *why, size_t len)
{
	char *colon = NULL, *word = s;
	uint8_t fam;

	if (*s == '[') {
		char *close = strchr(s, ']');

		if (!close || (close[1] != '\0' && close[1] != ':')) {
			snprintf(why, len, "'%s': write an IPv6 address with a port as [ADDR]:PORT", word);
			return -1;
		}
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
	if (inet_pton(fam, s, a->b) != 1) {
		snprintf(why, len, "'%s' is not an IPv4 or IPv6 address (%s)", s, what);
		return -1;
	}
	if (p->family && p->family != fam) {
		snprintf(why, len, "the source is %s, the destination %s", p->family == AF_INET ? "IPv4" : "IPv6",
			 fam == AF_INET ? "IPv4" : "IPv6");
		return -1;
	}
	p->family = fam;
	if (colon) {
		char *end;
		long v = strtol(colon + 1, &end, 10);

		if (colon[1] == '\0' || *end || v < 0 || v > 65535) {
			snprintf(why, len, "'%s' is not a port (0-65535)", colon + 1);
			return -1;
		}
		*port = (uint16_t)v;
		*has_port = true;
	}
	return 0;
}

/* "N" or "N/CODE", 0-255 each. */
static int parse_icmp(const char *s, struct pkt *p)
{
	char *end;
	long t = strtol(s, &end, 10), c = 0;

	if (end == s || t < 0 || t > 255)
		return -1;
	if (*end == '/') {
		const char *cs = end + 1;

		c = strtol(cs, &end, 10);
		if (end == cs || c < 0 || c > 255)
			return -1;
	}
	if (*end)
		return -1;
	p->flags |= PKT_F_ICMP;
	p->icmp_type = (uint8_t)t;
	p->icmp_code = (uint8_t)c;
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

/* A header in @w; *@named tells whether it named its hook. -1 with the
 * reason in @why when it cannot be read. */
static int parse_header(char **w, int n, int hook, struct pkt *p, bool *named, char *why, size_t len)
{
	bool sp = false, dp = false;
	uint8_t implied;
	int proto, i;

	*named = false;
	if (n == 7 && parse_classbench(w, p) == 0) {
		p->hook = (uint8_t)hook;
		return 0;
	}
	memset(p, 0, sizeof(*p));
	p->hook = (uint8_t)hook;
	if (n < 3) {
		snprintf(why, len, "expected at least PROTO SRC DST");
		return -1;
	}
	if ((proto = vocab_proto_parse(w[0], &implied)) < 0) {
		snprintf(why, len, "unknown protocol '%s' (%s)", w[0], vocab_proto_list());
		return -1;
	}
	if (parse_endpoint(w[1], p, &p->src, &p->sport, &sp, "source", why, len) < 0 ||
	    parse_endpoint(w[2], p, &p->dst, &p->dport, &dp, "destination", why, len) < 0)
		return -1;
	if (implied && implied != p->family) {
		snprintf(why, len, "%s is for %s addresses (use %s)", w[0], implied == AF_INET ? "IPv4" : "IPv6",
			 implied == AF_INET ? "icmpv6" : "icmp");
		return -1;
	}
	p->proto = (uint8_t)proto;
	if ((sp || dp) && !vocab_proto_has_ports(proto)) {
		snprintf(why, len, "%s has no ports (tcp, udp, sctp, udplite and dccp have)", w[0]);
		return -1;
	}
	/* A port left out beside one given is 0 (the output shows it); with
	 * none at all the packet has no ports, like a later fragment. */
	if (sp || dp)
		p->flags |= PKT_F_PORTS;
	for (i = 3; i < n; i += 2) {
		if (i + 1 == n) {
			snprintf(why, len, "'%s' needs a value", w[i]);
			return -1;
		}
		if (strcmp(w[i], "type") == 0) {
			if (parse_icmp(w[i + 1], p) < 0) {
				snprintf(why, len, "'%s' is not an ICMP type N or N/CODE (0-255)", w[i + 1]);
				return -1;
			}
		} else if (strcmp(w[i], "iif") == 0) {
			p->iif = if_nametoindex(w[i + 1]);
		} else if (strcmp(w[i], "oif") == 0) {
			p->oif = if_nametoindex(w[i + 1]);
		} else if (strcmp(w[i], "hook") == 0) {
			if (!(p->hook = (uint8_t)policy_hook_parse(w[i + 1]))) {
				snprintf(why, len, "expected hook input, forward or output, not '%s'", w[i + 1]);
				return -1;
			}
			*named = true;
		} else {
			snprintf(why, len, "unexpected '%s' (type, iif, oif or hook may follow the addresses)",
				 w[i]);
			return -1;
		}
	}
	return 0;
}

/* Whether any rule has a hook match: only then does the hook a header is
 * taken from change its verdict. Remembered for the last policy asked
 * about (the tracer runs in one thread; a policy does not change while it
 * is traced). */
static bool policy_has_hooks(const struct policy *pol)
{
	static const struct policy *last_pol;
	static const struct policy_rule *last_rules;
	static size_t last_n;
	static bool last;
	size_t i;

	if (pol == last_pol && pol->rules == last_rules && pol->nrules == last_n)
		return last;
	last = false;
	for (i = 0; i < pol->nrules && !last; i++)
		last = pol->rules[i].hook != 0;
	last_pol = pol;
	last_rules = pol->rules;
	last_n = pol->nrules;
	return last;
}

int trace_line(const struct trace_ctx *t, char *line, char *out, size_t len)
{
	char *w[16], *tok, *save = NULL, desc[160], why[200], note[120];
	struct policy_verdict v;
	struct pkt p;
	bool named;
	int n = 0;

	for (tok = strtok_r(line, " \t\r\n", &save); tok; tok = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == 16) {
			snprintf(out, len, "cannot read this header: more than 16 words");
			return -1;
		}
		w[n++] = tok;
	}
	if (n == 0 || w[0][0] == '#')
		return 1;
	if (parse_header(w, n, t->hook, &p, &named, why, sizeof(why)) < 0) {
		snprintf(out, len, "cannot read this header: %s (PROTO SRC[:PORT] DST[:PORT] [type N[/CODE]]"
			 " [iif NAME] [oif NAME] [hook NAME], or a ClassBench trace line)", why);
		return -1;
	}
	classify_eval(t->cl, t->pol, t->sets, &p, &v);
	pkt_format(&p, desc, sizeof(desc));
	/* The hook assumed, where it matters: the header named none and some
	 * rule has a hook match. */
	note[0] = '\0';
	if (!named && policy_has_hooks(t->pol)) {
		if (t->hook)
			snprintf(note, sizeof(note), " (hook %s assumed: --hook)", policy_hook_name(t->hook));
		else
			snprintf(note, sizeof(note), " (no hook named: rules with a hook match were skipped;"
				 " add 'hook input' or 'hook forward')");
	}
	if (v.rule < 0)
		snprintf(out, len, "%s => default %s%s", desc, policy_action_name(v.action), note);
	else if (v.action == ACT_MARK)
		snprintf(out, len, "%s => rule %d (%s:%u) mark 0x%x%s", desc, v.rule + 1, t->path,
			 t->pol->rules[v.rule].pos.line, v.mark, note);
	else
		snprintf(out, len, "%s => rule %d (%s:%u) %s%s", desc, v.rule + 1, t->path,
			 t->pol->rules[v.rule].pos.line, policy_action_name(v.action), note);
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
