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

static bool set_has(const struct vset *s, const struct match_set *m, const struct pkt *p)
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
	return set_has(sets->set[m->set], m, p) != m->neg;
}

static bool match_iface(const struct match_iface *m, uint32_t ifindex)
{
	if (!m->present)
		return true;
	return (m->ifindex != 0 && m->ifindex == ifindex) != m->neg;
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

static void resolve_iface(struct match_iface *m)
{
	if (m->present)
		m->ifindex = if_nametoindex(m->name);
}

void policy_resolve_ifaces(struct policy *pol)
{
	size_t i;

	for (i = 0; i < pol->nrules; i++) {
		resolve_iface(&pol->rules[i].iif);
		resolve_iface(&pol->rules[i].oif);
	}
}

void policy_free(struct policy *pol)
{
	size_t i;

	for (i = 0; i < pol->nsets; i++)
		free(pol->sets[i].name);
	for (i = 0; i < pol->nrules; i++) {
		free(pol->rules[i].src.pfx);
		free(pol->rules[i].dst.pfx);
		free(pol->rules[i].sport.range);
		free(pol->rules[i].dport.range);
	}
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
