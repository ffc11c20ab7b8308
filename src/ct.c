/* ct.c - re-judging existing connections through libnetfilter_conntrack.
 *
 * Which entries: every entry with a verdict code in its mark (what
 * verdictd judged), from one dump of the table. (Three dumps filtered in
 * the kernel by code walk the table three times, and an entry updated
 * during the first came back in the next.)
 * How: the entry's original tuple becomes a packet (addresses, protocol,
 * ports or ICMP type and code) and is judged by the same first-match scan
 * as a packet missing headers (policy_eval_partial), because conntrack
 * keeps neither the interfaces nor the hook: the hook is told by the
 * original addresses (from one of this host's addresses: output, left to
 * the OUTPUT chain unless the policy has output rules; to one: input;
 * else forward), and a rule with an interface match may or may not hold, so an
 * entry whose verdict hangs on one is left alone and counted. What: the
 * verdict's bits are rewritten in the mark, the other bits kept; a
 * connection now dropped or rejected is cut by the fixed rules' connmark
 * fast path at its next packet. Rewriting rather than deleting keeps the
 * connection's direction: a deleted entry would be picked up again from
 * whichever packet came next, possibly the server's.
 *
 * Speed: entries are judged as the dump delivers them, and the updates go
 * out in batches of netlink messages without an acknowledgement each (the
 * kernel answers only the ones it refuses, an entry that went meanwhile):
 * about a million updates a second here, against 20k with one round trip
 * each (libnetfilter_conntrack's nfct_query waits for every ACK). Each
 * update carries CTA_MARK_MASK, so that only verdictd's bits change
 * even if something else writes the other bits meanwhile. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "ct.h"

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
	/* Opened by this host (from one of its addresses): its OUTPUT chain's;
	 * to one of them: input; else forward. */
	p->hook = local_addr_has(l, p->family, &p->src) ? NF_INET_LOCAL_OUT :
		  local_addr_has(l, p->family, &p->dst) ? NF_INET_LOCAL_IN : NF_INET_FORWARD;
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

/* Updates waiting to be sent, on a netlink socket of their own. */
struct ct_batch {
	struct mnl_socket *nl;
	struct mnl_nlmsg_batch *b;
	char *buf;
	size_t sent;
};

/* Under the socket's send buffer (one sendmsg must fit in it). */
#define CT_BATCH_BYTES (64 * 1024)

static int ct_batch_open(struct ct_batch *cb)
{
	int on = 1, size = 4 << 20;

	memset(cb, 0, sizeof(*cb));
	cb->buf = malloc(CT_BATCH_BYTES + MNL_SOCKET_BUFFER_SIZE);
	cb->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!cb->buf || !cb->nl || mnl_socket_bind(cb->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return -1;
	/* Refusals come back as errors; many at once (entries that went)
	 * must not overflow the socket unseen: a larger buffer, and an
	 * overflow reported rather than dropped silently. */
	setsockopt(mnl_socket_get_fd(cb->nl), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	setsockopt(mnl_socket_get_fd(cb->nl), SOL_NETLINK, NETLINK_BROADCAST_ERROR, &on, sizeof(on));
	cb->b = mnl_nlmsg_batch_start(cb->buf, CT_BATCH_BYTES);
	return cb->b ? 0 : -1;
}

/* Refusals read so far (the entry went, mostly): counted in @st. */
static void ct_batch_errors(struct ct_batch *cb, struct ct_stats *st)
{
	char buf[16384];		/* errors are small; many fit */
	ssize_t n;

	while ((n = mnl_socket_recvfrom(cb->nl, buf, sizeof(buf))) > 0) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int len = (int)n;

		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			if (nlh->nlmsg_type == NLMSG_ERROR && e->error) {
				st->failed++;
				st->changed--;
			}
		}
	}
}

static int ct_batch_send(struct ct_batch *cb, struct ct_stats *st)
{
	size_t len = mnl_nlmsg_batch_size(cb->b);
	int ret = 0;

	while (len && mnl_socket_sendto(cb->nl, mnl_nlmsg_batch_head(cb->b), len) < 0) {
		if (errno != EAGAIN && errno != ENOBUFS) {
			ret = -1;
			break;
		}
		ct_batch_errors(cb, st);	/* the socket is full: drain, retry */
	}
	ct_batch_errors(cb, st);
	mnl_nlmsg_batch_reset(cb->b);
	return ret;
}

static void ct_batch_close(struct ct_batch *cb)
{
	if (cb->b)
		mnl_nlmsg_batch_stop(cb->b);
	if (cb->nl)
		mnl_socket_close(cb->nl);
	free(cb->buf);
}

/* The update names the entry by its original tuple and carries the mark
 * alone (under CTA_MARK_MASK), as conntrack -U does: the dumped entry's
 * other attributes (status, timeouts, protocol state) are not all the
 * kernel's to be told. */
static int ct_queue_mark(struct ct_batch *cb, const struct nf_conntrack *ct, uint32_t mark,
			 uint32_t mask, struct ct_stats *st)
{
	struct nf_conntrack *u = nfct_new();
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	int ret = -1;

	if (!u)
		return -1;
	nfct_copy(u, ct, NFCT_CP_ORIG);
	if (nfct_attr_is_set(ct, ATTR_ZONE))
		nfct_set_attr_u16(u, ATTR_ZONE, nfct_get_attr_u16(ct, ATTR_ZONE));
	nfct_set_attr_u32(u, ATTR_MARK, mark & mask);
	nlh = mnl_nlmsg_put_header(mnl_nlmsg_batch_current(cb->b));
	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	nlh->nlmsg_flags = NLM_F_REQUEST;	/* no NLM_F_CREATE: an update only */
	nlh->nlmsg_seq = (uint32_t)++cb->sent;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = nfct_get_attr_u8(ct, ATTR_L3PROTO);
	nfg->version = NFNETLINK_V0;
	if (nfct_nlmsg_build(nlh, u) < 0)
		goto out;
	mnl_attr_put_u32(nlh, CTA_MARK_MASK, htonl(mask));
	ret = 0;
	if (!mnl_nlmsg_batch_next(cb->b))	/* full: this message starts the next batch */
		ret = ct_batch_send(cb, st);
out:
	nfct_destroy(u);
	return ret;
}

/* One dump's state: what the entries are judged with, where updates go. */
struct ct_run {
	const struct gen *g;
	struct local_addrs l;
	struct ct_batch cb;
	struct ct_stats *st;
	bool broken;			/* an update could not be queued */
};

/* Judges one dumped entry; queues its new mark when that differs. */
static int judge_cb(enum nf_conntrack_msg_type type, struct nf_conntrack *ct, void *data)
{
	struct ct_run *r = data;
	uint32_t mark = nfct_get_attr_u32(ct, ATTR_MARK), want;
	struct pkt p;

	(void)type;
	if (!(mark & verdict_code_mask(r->g->vp.mark_mask)))
		return NFCT_CB_CONTINUE;	/* not judged by verdictd */
	r->st->seen++;
	ct_packet(ct, &r->l, &p);
	/* A connection this host opened: its OUTPUT chain judged it (the
	 * fixed rules give it the accept verdict), unless the policy has
	 * rules of its own for hook output (as the worker does). */
	if (p.hook == NF_INET_LOCAL_OUT && !r->g->judges_output)
		return NFCT_CB_CONTINUE;
	if (!ct_wanted_mark(r->g, &p, mark, &want)) {
		r->st->unknown++;
		return NFCT_CB_CONTINUE;
	}
	if (want == mark)
		return NFCT_CB_CONTINUE;
	if (ct_queue_mark(&r->cb, ct, want, r->g->vp.mark_mask, r->st) < 0) {
		r->broken = true;
		return NFCT_CB_FAILURE;
	}
	r->st->changed++;
	return NFCT_CB_CONTINUE;
}

/* The kernel's tuple filter bits (CTA_FILTER_ORIG_FLAGS): part of the
 * netlink ABI since Linux 5.8, but defined in the kernel's nf_internals.h,
 * not in its uapi headers, nor in libnetfilter_conntrack 1.0.9. */
#define CT_FILTER_IP_SRC (1u << 0)
#define CT_FILTER_IP_DST (1u << 1)

/* A dump request for the entries whose original source (@flag
 * CT_FILTER_IP_SRC) or destination is @scope's address, filtered by the
 * kernel (CTA_FILTER): it walks the table, but sends only those. */
static struct nlmsghdr *scoped_request(char *buf, const struct ct_scope *scope, uint32_t flag,
					uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;
	struct nlattr *orig, *ip, *filter;
	bool v4 = scope->family == AF_INET;
	uint16_t type = flag == CT_FILTER_IP_SRC ? (v4 ? CTA_IP_V4_SRC : CTA_IP_V6_SRC)
						  : (v4 ? CTA_IP_V4_DST : CTA_IP_V6_DST);

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = scope->family;
	nfg->version = NFNETLINK_V0;
	orig = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
	ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put(nlh, type, v4 ? 4 : 16, scope->addr.b);
	mnl_attr_nest_end(nlh, ip);
	mnl_attr_nest_end(nlh, orig);
	filter = mnl_attr_nest_start(nlh, CTA_FILTER);
	mnl_attr_put_u32(nlh, CTA_FILTER_ORIG_FLAGS, flag);
	mnl_attr_put_u32(nlh, CTA_FILTER_REPLY_FLAGS, 0);
	mnl_attr_nest_end(nlh, filter);
	return nlh;
}

static int scoped_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ct_run *r = data;
	struct nf_conntrack *ct = nfct_new();
	int ret = MNL_CB_ERROR;

	if (ct && nfct_nlmsg_parse(nlh, ct) >= 0)
		ret = judge_cb(NFCT_T_UNKNOWN, ct, r) == NFCT_CB_FAILURE ? MNL_CB_ERROR : MNL_CB_OK;
	if (ct)
		nfct_destroy(ct);
	return ret;
}

/* The entries whose original source or destination is @scope's address:
 * two filtered dumps. */
static int ct_dump_scoped(struct ct_run *r, const struct ct_scope *scope)
{
	static const uint32_t flags[] = { CT_FILTER_IP_SRC, CT_FILTER_IP_DST };
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	char *buf = malloc(65536);
	int ret = -1;

	if (!nl || !buf || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto out;
	for (size_t i = 0; i < 2; i++) {
		uint32_t seq = (uint32_t)i + 1, port = mnl_socket_get_portid(nl);
		struct nlmsghdr *nlh = scoped_request(buf, scope, flags[i], seq);
		ssize_t n = mnl_socket_sendto(nl, nlh, nlh->nlmsg_len);
		int cb = MNL_CB_OK;

		while (n >= 0 && cb > MNL_CB_STOP && (n = mnl_socket_recvfrom(nl, buf, 65536)) > 0)
			cb = mnl_cb_run(buf, (size_t)n, seq, port, scoped_cb, r);
		if (n < 0 || cb < 0)
			goto out;
	}
	ret = 0;
out:
	free(buf);
	if (nl)
		mnl_socket_close(nl);
	return ret;
}

/* Every entry: one dump of the table. */
static int ct_dump_all(struct ct_run *r)
{
	struct nfct_handle *h = nfct_open(CONNTRACK, 0);
	uint32_t family = AF_UNSPEC;
	int ret = -1;

	if (!h)
		return -1;
	nfct_callback_register(h, NFCT_T_ALL, judge_cb, r);
	ret = nfct_query(h, NFCT_Q_DUMP, &family);
	nfct_close(h);
	return ret;
}

int ct_revalidate(const struct gen *g, const struct ct_scope *scope, struct ct_stats *st,
		  char *err, size_t errlen)
{
	struct ct_run r = { .g = g, .st = st };
	int ret = -1;

	memset(st, 0, sizeof(*st));
	local_addrs_read(&r.l);
	if (ct_batch_open(&r.cb) < 0) {
		snprintf(err, errlen, "cannot open conntrack: %s", strerror(errno));
		goto out;
	}
	if ((scope ? ct_dump_scoped(&r, scope) : ct_dump_all(&r)) < 0 || r.broken) {
		snprintf(err, errlen, "cannot %s conntrack: %s", r.broken ? "update" : "read",
			 strerror(errno));
		goto out;
	}
	if (ct_batch_send(&r.cb, st) < 0) {
		snprintf(err, errlen, "cannot update conntrack: %s", strerror(errno));
		goto out;
	}
	ret = 0;
out:
	ct_batch_close(&r.cb);
	free(r.l.a);
	free(r.l.family);
	return ret;
}

/* The queued packet's tuple, where DNAT rewrote it: the reply comes from
 * the address and port the packet was sent on to. */
static void ct_nat(const struct nf_conntrack *ct, struct ct_flow *f)
{
	union vd_addr r = { 0 };
	uint16_t rport = 0;

	if (f->p.family == AF_INET) {
		uint32_t a = nfct_get_attr_u32(ct, ATTR_REPL_IPV4_SRC);

		memcpy(r.b, &a, 4);
	} else {
		memcpy(r.b, nfct_get_attr(ct, ATTR_REPL_IPV6_SRC), 16);
	}
	if (f->p.flags & PKT_F_PORTS)
		rport = ntohs(nfct_get_attr_u16(ct, ATTR_REPL_PORT_SRC));
	f->dnat = memcmp(&r, &f->p.dst, sizeof(r)) != 0 || ((f->p.flags & PKT_F_PORTS) && rport != f->p.dport);
	f->nat_dst = r;
	f->nat_dport = rport;
}

/* One dump's state for ct_flows. */
struct ct_list {
	const struct gen *g;
	struct local_addrs l;
	size_t max, *total;
	void (*fn)(void *arg, const struct ct_flow *f);
	void *arg;
};

/* Each entry verdictd judged, as the dump delivers it: counted, and the
 * first @max handed on. */
static int list_cb(enum nf_conntrack_msg_type type, struct nf_conntrack *ct, void *data)
{
	struct ct_list *r = data;
	uint32_t mark = nfct_get_attr_u32(ct, ATTR_MARK);
	struct ct_flow f;

	(void)type;
	if (!(mark & verdict_code_mask(r->g->vp.mark_mask)) || (*r->total)++ >= r->max)
		return NFCT_CB_CONTINUE;
	memset(&f, 0, sizeof(f));
	ct_packet(ct, &r->l, &f.p);
	f.mark = mark;
	ct_nat(ct, &f);
	f.known = policy_eval_partial(&r->g->conf->policy, &r->g->sets, &f.p, &f.now) != POLICY_UNKNOWN;
	r->fn(r->arg, &f);
	return NFCT_CB_CONTINUE;
}

int ct_flows(const struct gen *g, size_t max, size_t *total,
	     void (*fn)(void *arg, const struct ct_flow *f), void *arg, char *err, size_t errlen)
{
	struct nfct_handle *h = nfct_open(CONNTRACK, 0);
	struct ct_list r = { .g = g, .max = max, .total = total, .fn = fn, .arg = arg };
	uint32_t family = AF_UNSPEC;
	int ret = -1;

	*total = 0;
	local_addrs_read(&r.l);
	if (!h) {
		snprintf(err, errlen, "cannot open conntrack: %s", strerror(errno));
		goto out;
	}
	nfct_callback_register(h, NFCT_T_ALL, list_cb, &r);
	if (nfct_query(h, NFCT_Q_DUMP, &family) < 0) {
		snprintf(err, errlen, "cannot read conntrack: %s", strerror(errno));
		goto out;
	}
	ret = 0;
out:
	free(r.l.a);
	free(r.l.family);
	if (h)
		nfct_close(h);
	return ret;
}
