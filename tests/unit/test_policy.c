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

int main(void)
{
	struct policy_sets sets;
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
