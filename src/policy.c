/* policy.c - first-match evaluation of the policy, rule by rule.
 *
 * This linear scan is the reference semantics: a rule matches when every
 * field it names matches; a negated field matches when the positive one
 * does not. A field the packet does not have (ports of an ICMP packet, the
 * transport header of a fragment) never matches positively. */
#include "config.h"

#include <ctype.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

static bool prefix_has(const struct policy_prefix *pfx, uint8_t family,
		       const union vd_addr *a)
{
	union vd_addr m = *a;

	if (pfx->family != family)
		return false;
	set_addr_mask(&m, pfx->plen);
	return memcmp(&m, &pfx->addr, sizeof(m)) == 0;
}

static bool match_addr(const struct match_addr *m, const struct pkt *p, const union vd_addr *a)
{
	bool hit = false;
	size_t i;

	if (!m->present)
		return true;
	for (i = 0; !hit && i < m->n; i++)
		hit = prefix_has(&m->pfx[i], p->family, a);
	return hit != m->neg;
}

static bool match_ports(const struct match_ports *m, const struct pkt *p, uint16_t port)
{
	bool hit = false;
	size_t i;

	if (!m->present)
		return true;
	if (!(p->flags & PKT_F_PORTS))
		return false;
	for (i = 0; !hit && i < m->n; i++)
		hit = port >= m->range[i].lo && port <= m->range[i].hi;
	return hit != m->neg;
}

/* The port an ipset keys a packet by (the kernel's ip_set_get_ip4_port
 * and ip_set_get_ip6_port): the transport port, ICMP's type << 8 | code,
 * 0 for protocols without ports; false when the kernel finds none (a
 * later fragment of a protocol with ports, any later IPv6 fragment, a
 * header cut short). */
static bool set_port_key(const struct pkt *p, enum policy_dir dir, uint16_t *port)
{
	bool ported = p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP ||
		      p->proto == IPPROTO_SCTP || p->proto == IPPROTO_UDPLITE;
	bool icmp = p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6;

	*port = 0;
	if (p->flags & PKT_F_FRAG)
		return p->family == AF_INET && !ported && !icmp && p->proto != 0;
	if (p->family == AF_INET && p->proto == 0)
		return false;
	/* IPv6: ipv6_skip_exthdr() finds no protocol in a chain it cannot
	 * walk, nor behind "no next header". */
	if (p->family == AF_INET6 && ((p->flags & PKT_F_NOPROTO) || p->proto == IPPROTO_NONE))
		return false;
	if (ported) {
		*port = dir == POLICY_DIR_SRC ? p->sport : p->dport;
		return (p->flags & PKT_F_PORTS) != 0;
	}
	if (icmp) {
		*port = (uint16_t)(p->icmp_type << 8 | p->icmp_code);
		return (p->flags & PKT_F_ICMP) != 0;
	}
	return true;
}

static bool policy_set_has(const struct vset *s, const struct match_set *m, const struct pkt *p)
{
	const union vd_addr *a = m->dir[0] == POLICY_DIR_SRC ? &p->src : &p->dst;
	uint16_t port;

	switch (set_get_type(s)) {
	case SET_HASH_IP:
	case SET_HASH_NET:
		return set_has_addr(s, p->family, a);
	case SET_BITMAP_PORT:
		/* ip_set_get_ip_port: only TCP and UDP have ports for it */
		return (p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP) &&
		       set_port_key(p, m->dir[0], &port) && set_has_port(s, port);
	case SET_HASH_IPPORT:
	case SET_HASH_NETPORT:
		return set_port_key(p, m->dir[1], &port) &&
		       set_has_addr_port(s, p->family, a, p->proto, port);
	}
	return false;
}

bool policy_set_matches(const struct match_set *m, const struct policy_sets *sets,
			const struct pkt *p)
{
	bool in = policy_set_has(sets->set[m->set], m, p);

	/* A worker's own copy carries its counters; the main thread's
	 * (trace, conntrack re-judging) counts nothing. */
	if (sets->lookups) {
		stats_bump(&sets->lookups[m->set]);
		if (in)
			stats_bump(&sets->hits[m->set]);
	}
	return in != m->neg;
}

/* The index is read while the daemon's main thread may rewrite it (links
 * come and go: ifwatch.c): a relaxed atomic load, a plain load on x86. */
static bool match_iface(const struct match_iface *m, uint32_t ifindex)
{
	uint32_t want;

	if (!m->present)
		return true;
	want = __atomic_load_n(&m->ifindex, __ATOMIC_RELAXED);
	return (want != 0 && want == ifindex) != m->neg;
}

bool policy_rule_matches(const struct policy_rule *r, const struct policy_sets *sets,
			 const struct pkt *p)
{
	size_t i;

	if (r->family && r->family != p->family)
		return false;
	if (r->hook && r->hook != p->hook)
		return false;
	if (r->proto >= 0 && r->proto != p->proto)
		return false;
	if (r->icmp_type >= 0 &&
	    (!(p->flags & PKT_F_ICMP) || r->icmp_type != p->icmp_type))
		return false;
	if (r->icmp_code >= 0 &&
	    (!(p->flags & PKT_F_ICMP) || r->icmp_code != p->icmp_code))
		return false;
	if (!match_iface(&r->iif, p->iif) || !match_iface(&r->oif, p->oif) ||
	    !match_ports(&r->dport, p, p->dport) || !match_ports(&r->sport, p, p->sport) ||
	    !match_addr(&r->src, p, &p->src) || !match_addr(&r->dst, p, &p->dst))
		return false;
	for (i = 0; i < r->nsetm; i++)
		if (!policy_set_matches(&r->setm[i], sets, p))
			return false;
	return true;
}

/* --- packets missing some of their headers ---------------------------- */

/* What a rule makes of a packet that lacks part of its headers. */
enum policy_match { PM_NO, PM_YES, PM_HOTDROP, PM_UNKNOWN };

/* Whether a set match needs the transport header that the copy range cut
 * off: its key is then not known. */
static bool set_key_cut(const struct match_set *m, const struct policy_sets *sets,
			const struct pkt *p)
{
	enum set_type t = set_get_type(sets->set[m->set]);

	if (!(p->flags & PKT_F_CUT) || t == SET_HASH_IP || t == SET_HASH_NET)
		return false;
	if (p->flags & PKT_F_NOPROTO)
		return true;
	if (t == SET_BITMAP_PORT && p->proto != IPPROTO_TCP && p->proto != IPPROTO_UDP)
		return false;
	/* DCCP keys as port 0 in ipset, header or not. */
	return pkt_l4_min(p->proto) && p->proto != IPPROTO_DCCP &&
	       !(p->flags & (PKT_F_PORTS | PKT_F_ICMP));
}

/* The conditions on the transport header, for a packet without it: the
 * kernel's tcp, udp, sctp, dccp and icmp matches drop a packet whose
 * header is short (hotdrop); one the copy range cut is not known. */
static enum policy_match match_l4_partial(const struct policy_rule *r, const struct pkt *p)
{
	bool ports = r->sport.present || r->dport.present;
	bool icmp = r->icmp_type >= 0 || r->icmp_code >= 0;

	if (!ports && !icmp)
		return PM_YES;
	if (p->flags & PKT_F_FRAG)
		return PM_NO;
	if (!(p->flags & (ports ? PKT_F_PORTS : PKT_F_ICMP)))
		return (p->flags & PKT_F_CUT) ? PM_UNKNOWN : PM_HOTDROP;
	return PM_YES;
}

/* A rule against a packet missing some headers, in the order iptables
 * evaluates the same rule: addresses and interfaces, then the protocol
 * (ip6tables walks the extension headers here and drops a packet whose
 * chain it cannot walk), then set matches, then the transport match. */
static enum policy_match rule_match_partial(const struct policy_rule *r,
					    const struct policy_sets *sets, const struct pkt *p)
{
	enum policy_match m = PM_YES, l4;
	const struct policy_rule *rr = r;
	struct policy_rule known_rule;
	struct pkt known = *p;
	bool meta_unknown = false;
	size_t i;

	if ((r->family && r->family != p->family) ||
	    !match_addr(&r->src, p, &p->src) || !match_addr(&r->dst, p, &p->dst))
		return PM_NO;
	/* What a conntrack entry does not keep: such a rule may or may not
	 * hold, whatever else holds. */
	if (r->hook && r->hook != p->hook) {
		if (!(p->flags & PKT_F_NOHOOK))
			return PM_NO;
		meta_unknown = true;
	}
	if (r->iif.present || r->oif.present) {
		if (!(p->flags & PKT_F_NOIFACE) &&
		    (!match_iface(&r->iif, p->iif) || !match_iface(&r->oif, p->oif)))
			return PM_NO;
		meta_unknown |= (p->flags & PKT_F_NOIFACE) != 0;
	}
	if (r->proto >= 0) {
		if (p->flags & PKT_F_NOPROTO) {
			if (!(p->flags & PKT_F_CUT))
				return PM_HOTDROP;
			m = PM_UNKNOWN;
		} else if (r->proto != p->proto) {
			return PM_NO;
		}
	}
	for (i = 0; i < r->nsetm; i++) {
		if (set_key_cut(&r->setm[i], sets, p))
			m = PM_UNKNOWN;
		else if (!policy_set_matches(&r->setm[i], sets, p))
			return PM_NO;
	}
	if (m == PM_UNKNOWN)
		return m;
	l4 = match_l4_partial(r, p);
	if (l4 != PM_YES)
		return l4;
	/* The header is there: the ordinary matches decide, hook and
	 * interfaces aside where they are not known. */
	known.flags &= (uint8_t)~(PKT_F_PARTIAL | PKT_F_NOIFACE | PKT_F_NOHOOK);
	if (meta_unknown) {
		known_rule = *r;
		known_rule.hook = 0;
		known_rule.iif.present = known_rule.oif.present = false;
		rr = &known_rule;
	}
	if (!policy_rule_matches(rr, sets, &known))
		return PM_NO;
	return meta_unknown ? PM_UNKNOWN : PM_YES;
}

static bool same_outcome(enum policy_action a, uint32_t mark, const struct policy_verdict *v)
{
	return a == v->action && (a != ACT_MARK || mark == v->mark);
}

enum policy_partial policy_eval_partial(const struct policy *pol, const struct policy_sets *sets,
					const struct pkt *p, struct policy_verdict *v)
{
	/* Unknown rules, in order: any of them may be the one that matches. */
	size_t i, first = pol->nrules, unknown = 0;
	enum policy_partial ret = POLICY_DECIDED;

	v->action = pol->dflt;
	v->mark = 0;
	v->rule = -1;
	for (i = 0; i < pol->nrules; i++) {
		enum policy_match m = rule_match_partial(&pol->rules[i], sets, p);

		if (m == PM_UNKNOWN) {
			if (!unknown++)
				first = i;
			continue;
		}
		if (m == PM_NO)
			continue;
		v->action = m == PM_HOTDROP ? ACT_DROP : pol->rules[i].action;
		v->mark = m == PM_HOTDROP ? 0 : pol->rules[i].mark;
		v->rule = (int)i;
		ret = m == PM_HOTDROP ? POLICY_HOTDROP : POLICY_DECIDED;
		break;
	}
	/* Decided all the same when every rule that may match instead gives
	 * the same verdict (and a walk of a cut chain may also end in a
	 * hotdrop, a drop). */
	for (i = first; unknown && i < pol->nrules && (int)i != v->rule; i++) {
		if (rule_match_partial(&pol->rules[i], sets, p) != PM_UNKNOWN)
			continue;
		if (!same_outcome(pol->rules[i].action, pol->rules[i].mark, v) ||
		    ((p->flags & PKT_F_NOPROTO) && !same_outcome(ACT_DROP, 0, v))) {
			v->rule = (int)i;
			return POLICY_UNKNOWN;
		}
	}
	return ret;
}

void policy_eval(const struct policy *pol, const struct policy_sets *sets,
		 const struct pkt *p, struct policy_verdict *v)
{
	size_t i;

	for (i = 0; i < pol->nrules; i++) {
		if (policy_rule_matches(&pol->rules[i], sets, p)) {
			v->action = pol->rules[i].action;
			v->mark = pol->rules[i].mark;
			v->rule = (int)i;
			return;
		}
	}
	v->action = pol->dflt;
	v->mark = 0;
	v->rule = -1;
}

/* Returns whether the index changed. */
static bool resolve_iface(struct match_iface *m)
{
	uint32_t now, was;

	if (!m->present)
		return false;
	now = if_nametoindex(m->name);
	was = __atomic_exchange_n(&m->ifindex, now, __ATOMIC_RELAXED);
	return now != was;
}

size_t policy_resolve_ifaces(struct policy *pol)
{
	size_t i, changed = 0;

	for (i = 0; i < pol->nrules; i++) {
		changed += resolve_iface(&pol->rules[i].iif);
		changed += resolve_iface(&pol->rules[i].oif);
	}
	return changed;
}

void policy_rule_free(struct policy_rule *r)
{
	free(r->src.pfx);
	free(r->dst.pfx);
	free(r->sport.range);
	free(r->dport.range);
	r->src.pfx = r->dst.pfx = NULL;
	r->sport.range = r->dport.range = NULL;
}

void policy_free(struct policy *pol)
{
	size_t i;

	for (i = 0; i < pol->nsets; i++)
		free(pol->sets[i].name);
	for (i = 0; i < pol->nrules; i++)
		policy_rule_free(&pol->rules[i]);
	free(pol->sets);
	free(pol->rules);
	memset(pol, 0, sizeof(*pol));
}

const char *policy_action_name(enum policy_action a)
{
	static const char *const names[] = {
		[ACT_ACCEPT] = "accept", [ACT_DROP] = "drop",
		[ACT_REJECT] = "reject", [ACT_MARK] = "mark",
	};

	return names[a];
}

static const char *const hook_names[POLICY_HOOK_MAX + 1] = {
	[POLICY_HOOK_INPUT] = "input",
	[POLICY_HOOK_FORWARD] = "forward",
	[POLICY_HOOK_OUTPUT] = "output",
};

int policy_hook_parse(const char *s)
{
	int h;

	for (h = 1; h <= POLICY_HOOK_MAX; h++)
		if (strcmp(s, hook_names[h]) == 0)
			return h;
	return 0;
}

const char *policy_hook_name(int hook)
{
	return hook > 0 && hook <= POLICY_HOOK_MAX ? hook_names[hook] : "any";
}

bool policy_name_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_-.:", *s))
			return false;
	return true;
}
