/* ct.c - re-judging existing connections through libnetfilter_conntrack.
 *
 * Which entries: a dump filtered in the kernel by mark, once per verdict
 * code (accept, drop, reject) under mark_mask: only what verdictd judged.
 * How: the entry's original tuple becomes a packet (addresses, protocol,
 * ports or ICMP type and code) and is judged by the same first-match scan
 * as a packet missing headers (policy_eval_partial), because conntrack
 * keeps neither the interfaces nor the hook: the hook is told by the
 * original destination (one of this host's addresses: input; else
 * forward), and a rule with an interface match may or may not hold, so an
 * entry whose verdict hangs on one is left alone and counted. What: the
 * verdict's bits are rewritten in the mark, the other bits kept; a
 * connection now dropped or rejected is cut by the fixed rules' connmark
 * fast path at its next packet. Rewriting rather than deleting keeps the
 * connection's direction: a deleted entry would be picked up again from
 * whichever packet came next, possibly the server's. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "ct.h"

struct ct_dump {
	struct nf_conntrack **e;
	size_t n, cap;
};

static int collect_cb(enum nf_conntrack_msg_type type, struct nf_conntrack *ct, void *data)
{
	struct ct_dump *d = data;
	struct nf_conntrack **grown;

	(void)type;
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 1024;
		grown = realloc(d->e, d->cap * sizeof(*grown));
		if (!grown)
			return NFCT_CB_FAILURE;
		d->e = grown;
	}
	if (!(d->e[d->n] = nfct_clone(ct)))
		return NFCT_CB_FAILURE;
	d->n++;
	return NFCT_CB_CONTINUE;
}

/* This host's addresses: a connection to one came in through input. */
struct local_addrs {
	union vd_addr *a;
	uint8_t *family;
	size_t n;
};

static void local_addrs_read(struct local_addrs *l)
{
	struct ifaddrs *ifa, *i;
	size_t n = 0;

	memset(l, 0, sizeof(*l));
	if (getifaddrs(&ifa) < 0)
		return;
	for (i = ifa; i; i = i->ifa_next)
		n += i->ifa_addr && (i->ifa_addr->sa_family == AF_INET || i->ifa_addr->sa_family == AF_INET6);
	l->a = calloc(n ? n : 1, sizeof(*l->a));
	l->family = calloc(n ? n : 1, 1);
	for (i = ifa; l->a && l->family && i; i = i->ifa_next) {
		if (!i->ifa_addr)
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			memcpy(l->a[l->n].b, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, 4);
		else if (i->ifa_addr->sa_family == AF_INET6)
			memcpy(l->a[l->n].b, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, 16);
		else
			continue;
		l->family[l->n++] = (uint8_t)i->ifa_addr->sa_family;
	}
	freeifaddrs(ifa);
}

static bool local_addr_has(const struct local_addrs *l, uint8_t family, const union vd_addr *a)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->family[i] == family && memcmp(&l->a[i], a, family == AF_INET ? 4 : 16) == 0)
			return true;
	return false;
}

/* The connection an entry tracks, as the packet that opened it. */
static void ct_packet(const struct nf_conntrack *ct, const struct local_addrs *l, struct pkt *p)
{
	memset(p, 0, sizeof(*p));
	p->family = nfct_get_attr_u8(ct, ATTR_L3PROTO);
	p->proto = nfct_get_attr_u8(ct, ATTR_L4PROTO);
	if (p->family == AF_INET) {
		uint32_t s = nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_SRC);
		uint32_t d = nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_DST);

		memcpy(p->src.b, &s, 4);
		memcpy(p->dst.b, &d, 4);
	} else {
		memcpy(p->src.b, nfct_get_attr(ct, ATTR_ORIG_IPV6_SRC), 16);
		memcpy(p->dst.b, nfct_get_attr(ct, ATTR_ORIG_IPV6_DST), 16);
	}
	if (nfct_attr_is_set(ct, ATTR_ORIG_PORT_SRC) && pkt_l4_min(p->proto) &&
	    p->proto != IPPROTO_ICMP && p->proto != IPPROTO_ICMPV6) {
		p->sport = ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_SRC));
		p->dport = ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_DST));
		p->flags |= PKT_F_PORTS;
	} else if (nfct_attr_is_set(ct, ATTR_ICMP_TYPE)) {
		p->icmp_type = nfct_get_attr_u8(ct, ATTR_ICMP_TYPE);
		p->icmp_code = nfct_get_attr_u8(ct, ATTR_ICMP_CODE);
		p->flags |= PKT_F_ICMP;
	}
	p->hook = local_addr_has(l, p->family, &p->dst) ? NF_INET_LOCAL_IN : NF_INET_FORWARD;
	p->flags |= PKT_F_NOIFACE;
}

/* The entry's mark as the policy would have it now; false when that
 * cannot be told. */
static bool ct_wanted_mark(const struct gen *g, const struct pkt *p, uint32_t mark, uint32_t *want)
{
	static const enum verdict_code code_of[] = {
		[ACT_ACCEPT] = VERDICT_ACCEPT, [ACT_MARK] = VERDICT_ACCEPT,
		[ACT_DROP] = VERDICT_DROP, [ACT_REJECT] = VERDICT_REJECT,
	};
	uint32_t mask = g->vp.mark_mask;
	struct policy_verdict v;

	if (policy_eval_partial(&g->conf->policy, &g->sets, p, &v) == POLICY_UNKNOWN)
		return false;
	*want = (mark & ~mask) | verdict_code_bits(mask, code_of[v.action]) |
		(v.action == ACT_MARK ? v.mark : 0);
	return true;
}

static int ct_dump_code(struct nfct_handle *h, uint32_t mask, enum verdict_code code)
{
	struct nfct_filter_dump *f = nfct_filter_dump_create();
	struct nfct_filter_dump_mark m = { verdict_code_bits(mask, code), verdict_code_mask(mask) };
	int ret;

	if (!f)
		return -1;
	nfct_filter_dump_set_attr(f, NFCT_FILTER_DUMP_MARK, &m);
	ret = nfct_query(h, NFCT_Q_DUMP_FILTER, f);
	nfct_filter_dump_destroy(f);
	return ret;
}

/* The update names the entry by its original tuple and carries the mark
 * alone, as conntrack -U does: the dumped entry's other attributes
 * (status, timeouts, protocol state) are not all the kernel's to be told. */
static int ct_set_mark(struct nfct_handle *h, const struct nf_conntrack *ct, uint32_t mark)
{
	struct nf_conntrack *u = nfct_new();
	int ret;

	if (!u)
		return -1;
	nfct_copy(u, ct, NFCT_CP_ORIG);
	if (nfct_attr_is_set(ct, ATTR_ZONE))
		nfct_set_attr_u16(u, ATTR_ZONE, nfct_get_attr_u16(ct, ATTR_ZONE));
	nfct_set_attr_u32(u, ATTR_MARK, mark);
	ret = nfct_query(h, NFCT_Q_UPDATE, u);
	nfct_destroy(u);
	return ret;
}

int ct_revalidate(const struct gen *g, struct ct_stats *st, char *err, size_t errlen)
{
	static const enum verdict_code codes[] = { VERDICT_ACCEPT, VERDICT_DROP, VERDICT_REJECT };
	struct nfct_handle *h = nfct_open(CONNTRACK, 0);
	struct ct_dump d = { 0 };
	struct local_addrs l;
	size_t i;
	int ret = -1;

	memset(st, 0, sizeof(*st));
	local_addrs_read(&l);
	if (!h) {
		snprintf(err, errlen, "cannot open conntrack: %s", strerror(errno));
		goto out;
	}
	nfct_callback_register(h, NFCT_T_ALL, collect_cb, &d);
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		if (ct_dump_code(h, g->vp.mark_mask, codes[i]) < 0) {
			snprintf(err, errlen, "cannot read conntrack: %s", strerror(errno));
			goto out;
		}
	}
	nfct_callback_unregister(h);
	for (i = 0; i < d.n; i++) {
		uint32_t mark = nfct_get_attr_u32(d.e[i], ATTR_MARK), want;
		struct pkt p;

		st->seen++;
		ct_packet(d.e[i], &l, &p);
		if (!ct_wanted_mark(g, &p, mark, &want)) {
			st->unknown++;
			continue;
		}
		if (want == mark)
			continue;
		if (ct_set_mark(h, d.e[i], want) < 0)
			st->failed++;
		else
			st->changed++;
	}
	ret = 0;
out:
	for (i = 0; i < d.n; i++)
		nfct_destroy(d.e[i]);
	free(d.e);
	free(l.a);
	free(l.family);
	if (h)
		nfct_close(h);
	return ret;
}
