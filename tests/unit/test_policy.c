/* test_policy.c - first-match evaluation, table-driven: a policy, then
 * packets and the rule (line) that must decide each. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "conf.h"
#include "policy.h"

static const char policy_text[] =
	"set bad hash:ip family inet\n"			/* 1 */
	"set nets hash:net family inet6\n"		/* 2 */
	"set web bitmap:port\n"				/* 3 */
	"drop src @bad\n"				/* 4 */
	"accept proto tcp dst 10.0.0.5 dport 22\n"	/* 5 */
	"reject proto tcp dport 23\n"			/* 6 */
	"mark 0x100 proto udp dport 53,5300-5399\n"	/* 7 */
	"accept proto tcp dport @web\n"			/* 8 */
	"accept proto icmp icmp-type echo-request\n"	/* 9 */
	"accept src @nets\n"				/* 10 */
	"drop proto udp sport !1-1023 dst 10.9.0.0/16\n"	/* 11 */
	"accept iif lo proto tcp\n"			/* 12 */
	"accept src !192.168.0.0/16 proto sctp\n"	/* 13 */
	"default drop\n";

struct tcase {
	const char *src, *dst;
	uint8_t proto;
	uint16_t sport, dport;	/* or ICMP type, code */
	int line;		/* deciding rule's line; 0: the default */
	enum policy_action action;
};

static const struct tcase cases[] = {
	{ "203.0.113.7", "10.0.0.5", IPPROTO_TCP, 1000, 22, 4, ACT_DROP },
	{ "203.0.113.8", "10.0.0.5", IPPROTO_TCP, 1000, 22, 5, ACT_ACCEPT },
	{ "203.0.113.8", "10.0.0.6", IPPROTO_TCP, 1000, 22, 0, ACT_DROP },
	{ "203.0.113.8", "10.0.0.6", IPPROTO_TCP, 1000, 23, 6, ACT_REJECT },
	{ "203.0.113.8", "10.0.0.6", IPPROTO_UDP, 1000, 53, 7, ACT_MARK },
	{ "203.0.113.8", "10.0.0.6", IPPROTO_UDP, 1000, 5399, 7, ACT_MARK },
	{ "203.0.113.8", "10.0.0.6", IPPROTO_UDP, 1000, 5400, 0, ACT_DROP },
	{ "203.0.113.8", "10.0.0.6", IPPROTO_TCP, 1000, 443, 8, ACT_ACCEPT },
	{ "203.0.113.8", "10.0.0.6", IPPROTO_TCP, 1000, 444, 0, ACT_DROP },
	{ "203.0.113.8", "10.0.0.6", IPPROTO_ICMP, 8, 0, 9, ACT_ACCEPT },
	{ "203.0.113.8", "10.0.0.6", IPPROTO_ICMP, 0, 0, 0, ACT_DROP },
	{ "2001:db8:1::9", "2001:db8::1", IPPROTO_TCP, 1, 1, 10, ACT_ACCEPT },
	{ "2001:db9::9", "2001:db8::1", IPPROTO_TCP, 1, 1, 0, ACT_DROP },
	{ "1.1.1.1", "10.9.3.3", IPPROTO_UDP, 5000, 9, 11, ACT_DROP },
	{ "1.1.1.1", "10.9.3.3", IPPROTO_UDP, 500, 9, 0, ACT_DROP },
	{ "1.1.1.1", "10.8.3.3", IPPROTO_UDP, 5000, 9, 0, ACT_DROP },
	{ "1.1.1.1", "10.8.3.3", IPPROTO_SCTP, 5, 9, 13, ACT_ACCEPT },
	{ "192.168.1.1", "10.8.3.3", IPPROTO_SCTP, 5, 9, 0, ACT_DROP },
	{ "2001:db9::1", "2001:db9::2", IPPROTO_SCTP, 5, 9, 0, ACT_DROP },
};

static void fill(struct pkt *p, const struct tcase *t)
{
	memset(p, 0, sizeof(*p));
	p->family = strchr(t->src, ':') ? AF_INET6 : AF_INET;
	inet_pton(p->family, t->src, p->src.b);
	inet_pton(p->family, t->dst, p->dst.b);
	p->proto = t->proto;
	if (t->proto == IPPROTO_ICMP || t->proto == IPPROTO_ICMPV6) {
		p->flags = PKT_F_ICMP;
		p->icmp_type = (uint8_t)t->sport;
		p->icmp_code = (uint8_t)t->dport;
	} else {
		p->flags = PKT_F_PORTS;
		p->sport = t->sport;
		p->dport = t->dport;
	}
}

/* Set matches follow the kernel's xt_set: which port an ip,port set is
 * keyed by for each protocol, fragments, bitmap:port for TCP and UDP
 * only, and a negated match that holds when the key cannot be made. */
static void test_set_keys(void)
{
	static const struct {
		uint8_t proto, flags, type;
		uint16_t sport, dport;
		bool neg;
		bool want_ipport, want_ports;
	} k[] = {
		{ IPPROTO_TCP, PKT_F_PORTS, 0, 1000, 22, false, true, true },
		{ IPPROTO_TCP, PKT_F_PORTS, 0, 22, 1000, false, false, false },	/* dst direction */
		{ IPPROTO_UDP, PKT_F_PORTS, 0, 1000, 22, false, false, true },	/* set holds tcp:22 */
		{ IPPROTO_SCTP, PKT_F_PORTS, 0, 1000, 22, false, false, false },	/* bitmap: TCP, UDP only */
		{ IPPROTO_TCP, PKT_F_FRAG, 0, 0, 0, false, false, false },	/* no ports in a later fragment */
		{ IPPROTO_TCP, PKT_F_FRAG, 0, 0, 0, true, true, true },		/* ... so a negated match holds */
		{ IPPROTO_ICMP, PKT_F_ICMP, 8, 0, 0, false, true, false },	/* icmp:8/0 */
		{ IPPROTO_ICMP, PKT_F_ICMP, 0, 0, 0, false, false, false },
		{ 47, 0, 0, 0, 0, false, true, false },				/* gre:0 */
		{ 47, PKT_F_FRAG, 0, 0, 0, false, true, false },		/* IPv4 later fragment of GRE: port 0 */
	};
	struct vset *v[2] = { set_new(SET_HASH_IPPORT, AF_INET), set_new(SET_BITMAP_PORT, 0) };
	struct policy_sets sets = { .set = v, .n = 2 };
	struct match_set mi = { .set = 0, .dir = { POLICY_DIR_DST, POLICY_DIR_DST } };
	struct match_set mp = { .set = 1, .dir = { POLICY_DIR_DST, 0 } };
	union vd_addr a;
	size_t i;

	memset(&a, 0, sizeof(a));
	inet_pton(AF_INET, "192.0.2.1", a.b);
	set_add_addr_port(v[0], &a, 32, IPPROTO_TCP, 22);
	set_add_addr_port(v[0], &a, 32, IPPROTO_ICMP, 8 << 8);
	set_add_addr_port(v[0], &a, 32, 47, 0);
	set_add_ports(v[1], 22, 22);
	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		struct pkt p;

		memset(&p, 0, sizeof(p));
		p.family = AF_INET;
		p.dst = a;
		p.proto = k[i].proto;
		p.flags = k[i].flags;
		p.icmp_type = k[i].type;
		p.sport = k[i].sport;
		p.dport = k[i].dport;
		mi.neg = mp.neg = k[i].neg;
		CHECK(policy_set_matches(&mi, &sets, &p) == k[i].want_ipport, "case %zu: ip,port", i);
		CHECK(policy_set_matches(&mp, &sets, &p) == k[i].want_ports, "case %zu: bitmap:port", i);
	}
	set_free(v[0]);
	set_free(v[1]);
}

/* policy_eval_partial on packets missing headers: one policy, a packet,
 * what the kernel's matches would do. */
struct pcase {
	const char *policy;
	const char *src;
	uint8_t proto;
	uint8_t flags;
	enum policy_partial want;
	enum policy_action action;	/* when decided */
};

static void test_partial(void)
{
	static const struct pcase t[] = {
		/* The bypass: ports cut off by the copy range. */
		{ "drop proto tcp dport 80\ndefault accept\n", "10.0.0.1", IPPROTO_TCP, PKT_F_CUT,
		  POLICY_UNKNOWN, ACT_ACCEPT },
		/* ... with the same verdict either way, decided. */
		{ "drop proto tcp dport 80\ndefault drop\n", "10.0.0.1", IPPROTO_TCP, PKT_F_CUT,
		  POLICY_DECIDED, ACT_DROP },
		/* ... or an earlier rule that needs no ports. */
		{ "accept src 10.0.0.0/8\ndrop proto tcp dport 80\ndefault drop\n", "10.0.0.1",
		  IPPROTO_TCP, PKT_F_CUT, POLICY_DECIDED, ACT_ACCEPT },
		/* ... or a rule of another protocol. */
		{ "drop proto udp dport 53\naccept proto tcp\ndefault drop\n", "10.0.0.1",
		  IPPROTO_TCP, PKT_F_CUT, POLICY_DECIDED, ACT_ACCEPT },
		/* A header that is really short: the tcp match drops it, even
		 * for an accept rule and a negated port. */
		{ "accept proto tcp dport 80\ndefault accept\n", "10.0.0.1", IPPROTO_TCP,
		  PKT_F_SHORT, POLICY_HOTDROP, ACT_DROP },
		{ "accept proto tcp dport !80\ndefault accept\n", "10.0.0.1", IPPROTO_TCP,
		  PKT_F_SHORT, POLICY_HOTDROP, ACT_DROP },
		/* ... but only when the rule gets that far. */
		{ "accept src 192.0.2.0/24 proto tcp dport 80\ndefault accept\n", "10.0.0.1",
		  IPPROTO_TCP, PKT_F_SHORT, POLICY_DECIDED, ACT_ACCEPT },
		{ "accept proto tcp\ndefault drop\n", "10.0.0.1", IPPROTO_TCP, PKT_F_SHORT,
		  POLICY_DECIDED, ACT_ACCEPT },
		{ "accept proto icmp icmp-type echo-request\ndefault accept\n", "10.0.0.1",
		  IPPROTO_ICMP, PKT_F_SHORT, POLICY_HOTDROP, ACT_DROP },
		/* IPv6: a chain that cannot be walked drops at any -p. */
		{ "accept proto udp\ndefault accept\n", "2001:db8::1", IPPROTO_DSTOPTS,
		  PKT_F_SHORT | PKT_F_NOPROTO, POLICY_HOTDROP, ACT_DROP },
		{ "accept src 2001:db8::/32\ndefault drop\n", "2001:db8::1", IPPROTO_DSTOPTS,
		  PKT_F_SHORT | PKT_F_NOPROTO, POLICY_DECIDED, ACT_ACCEPT },
		{ "accept proto udp\ndefault accept\n", "2001:db8::1", IPPROTO_DSTOPTS,
		  PKT_F_CUT | PKT_F_NOPROTO, POLICY_UNKNOWN, ACT_ACCEPT },
		{ "mark 0x100 proto tcp dport 22\nmark 0x200 proto tcp\ndefault drop\n", "10.0.0.1",
		  IPPROTO_TCP, PKT_F_CUT, POLICY_UNKNOWN, ACT_MARK },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct policy_sets sets = { .set = NULL };
		struct policy_verdict v;
		enum policy_partial got;
		struct pkt p;
		struct conf c;

		conf_init(&c);
		if (conf_load_string(&c, "partial", t[i].policy, stderr) != 0) {
			CHECK(0, "case %zu parses", i);
			conf_free(&c);
			continue;
		}
		memset(&p, 0, sizeof(p));
		p.family = strchr(t[i].src, ':') ? AF_INET6 : AF_INET;
		inet_pton(p.family, t[i].src, p.src.b);
		p.proto = t[i].proto;
		p.flags = t[i].flags;
		got = policy_eval_partial(&c.policy, &sets, &p, &v);
		CHECK(got == t[i].want && (got == POLICY_UNKNOWN || v.action == t[i].action),
		      "partial case %zu: got %d %s, want %d %s", i, got, policy_action_name(v.action),
		      t[i].want, policy_action_name(t[i].action));
		conf_free(&c);
	}
}

int main(void)
{
	test_set_keys();
	test_partial();
	struct policy_sets sets = { 0 };
	struct vset *v[3];
	union vd_addr a;
	struct conf c;
	size_t i;
	int errors;

	conf_init(&c);
	errors = conf_load_string(&c, "policy", policy_text, stderr);
	CHECK(errors == 0, "policy parses");
	if (errors)
		return check_report("test_policy");
	v[0] = set_new(SET_HASH_IP, AF_INET);
	v[1] = set_new(SET_HASH_NET, AF_INET6);
	v[2] = set_new(SET_BITMAP_PORT, 0);
	memset(&a, 0, sizeof(a));
	inet_pton(AF_INET, "203.0.113.7", a.b);
	set_add_addr(v[0], &a, 32);
	memset(&a, 0, sizeof(a));
	inet_pton(AF_INET6, "2001:db8:1::", a.b);
	set_add_addr(v[1], &a, 48);
	set_add_ports(v[2], 443, 443);
	set_add_ports(v[2], 80, 80);
	sets.set = v;
	sets.n = 3;
	policy_resolve_ifaces(&c.policy);

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct policy_verdict pv;
		struct pkt p;
		int line;

		fill(&p, &cases[i]);
		policy_eval(&c.policy, &sets, &p, &pv);
		line = pv.rule < 0 ? 0 : (int)c.policy.rules[pv.rule].pos.line;
		CHECK(line == cases[i].line && pv.action == cases[i].action,
		      "case %zu: want line %d %s, got line %d %s", i, cases[i].line,
		      policy_action_name(cases[i].action), line, policy_action_name(pv.action));
		if (pv.action == ACT_MARK)
			CHECK(pv.mark == 0x100, "case %zu: mark 0x%x", i, pv.mark);
	}
	/* A packet without ports never matches a port rule, even negated. */
	{
		struct tcase t = { "1.1.1.1", "10.9.3.3", IPPROTO_UDP, 5000, 9, 0, ACT_DROP };
		struct policy_verdict pv;
		struct pkt p;

		fill(&p, &t);
		p.flags = PKT_F_FRAG;
		policy_eval(&c.policy, &sets, &p, &pv);
		CHECK(pv.rule == -1, "fragment without ports: rule %d", pv.rule);
	}
	/* Interface match: lo exists everywhere. */
	{
		struct tcase t = { "1.1.1.1", "10.9.3.3", IPPROTO_TCP, 5000, 9999, 12, ACT_ACCEPT };
		struct policy_verdict pv;
		struct pkt p;

		fill(&p, &t);
		p.iif = 1;
		policy_eval(&c.policy, &sets, &p, &pv);
		CHECK(pv.rule >= 0 && c.policy.rules[pv.rule].pos.line == 12, "iif lo: rule %d", pv.rule);
	}
	for (i = 0; i < 3; i++)
		set_free(v[i]);
	conf_free(&c);
	return check_report("test_policy");
}
