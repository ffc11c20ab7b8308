/* set_dump.c - one kernel ipset's members read into a userspace copy,
 * from a netlink dump (IPSET_CMD_LIST) through libmnl.
 *
 * Written by hand because libipset hands a set's members only as text
 * (its "save" output through a print callback): formatting and parsing
 * that text costs about 1.5 s for 1,000,000 members here, the dump and
 * its attributes about 0.3 s. The messages are ipset's stable netlink
 * protocol (linux/netfilter/ipset/ip_set.h, protocol 7); libipset itself
 * is still used for everything that takes its syntax (edits, restore,
 * creating a set). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/ipset/ip_set.h>

#include "set_dump.h"

struct dump {
	const char *name;
	struct set_dump_header *hdr;	/* from the first message */
	struct vset *s;			/* made once the header is known */
	enum set_type type;
	uint8_t family;
	int bad;			/* an element that could not be read */
};

/* The attributes of one nest (or message), by type; NULL when absent. */
static void nest_attrs(const struct nlattr *nest, const struct nlattr **tb, unsigned int max)
{
	const struct nlattr *a;

	memset(tb, 0, (max + 1) * sizeof(*tb));
	mnl_attr_for_each_nested(a, nest)
		if (mnl_attr_get_type(a) <= max)
			tb[mnl_attr_get_type(a)] = a;
}

static int header(struct dump *d, const struct nlattr *const *tb)
{
	const struct nlattr *data[IPSET_ATTR_CREATE_MAX + 1];
	struct set_dump_header *h = d->hdr;
	uint8_t nfproto = tb[IPSET_ATTR_FAMILY] ? mnl_attr_get_u8(tb[IPSET_ATTR_FAMILY]) : 0;

	snprintf(h->type, sizeof(h->type), "%s", mnl_attr_get_str(tb[IPSET_ATTR_TYPENAME]));
	h->family = nfproto == NFPROTO_IPV4 ? AF_INET : nfproto == NFPROTO_IPV6 ? AF_INET6 : 0;
	if (tb[IPSET_ATTR_DATA]) {
		nest_attrs(tb[IPSET_ATTR_DATA], data, IPSET_ATTR_CREATE_MAX);
		if (data[IPSET_ATTR_PORT_FROM] && data[IPSET_ATTR_PORT_TO]) {
			h->port_lo = ntohs(mnl_attr_get_u16(data[IPSET_ATTR_PORT_FROM]));
			h->port_hi = ntohs(mnl_attr_get_u16(data[IPSET_ATTR_PORT_TO]));
			h->has_range = true;
		}
	}
	return 0;
}

/* One element (an IPSET_ATTR_DATA nest of the ADT list). */
static int element(struct dump *d, const struct nlattr *nest)
{
	const struct nlattr *tb[IPSET_ATTR_ADT_MAX + 1], *ip[IPSET_ATTR_IPADDR_MAX + 1];
	struct set_elem e = { 0 };
	unsigned int host = d->family == AF_INET6 ? 128 : 32;

	nest_attrs(nest, tb, IPSET_ATTR_ADT_MAX);
	if (d->type == SET_BITMAP_PORT) {
		if (!tb[IPSET_ATTR_PORT])
			return -1;
		e.port = e.port_hi = ntohs(mnl_attr_get_u16(tb[IPSET_ATTR_PORT]));
		if (tb[IPSET_ATTR_PORT_TO])
			e.port_hi = ntohs(mnl_attr_get_u16(tb[IPSET_ATTR_PORT_TO]));
		return set_elem_add(d->s, &e);
	}
	if (!tb[IPSET_ATTR_IP])
		return -1;
	nest_attrs(tb[IPSET_ATTR_IP], ip, IPSET_ATTR_IPADDR_MAX);
	if (d->family == AF_INET && ip[IPSET_ATTR_IPADDR_IPV4])
		memcpy(e.addr.b, mnl_attr_get_payload(ip[IPSET_ATTR_IPADDR_IPV4]), 4);
	else if (d->family == AF_INET6 && ip[IPSET_ATTR_IPADDR_IPV6])
		memcpy(e.addr.b, mnl_attr_get_payload(ip[IPSET_ATTR_IPADDR_IPV6]), 16);
	else
		return -1;
	e.plen = tb[IPSET_ATTR_CIDR] ? mnl_attr_get_u8(tb[IPSET_ATTR_CIDR]) : host;
	if (tb[IPSET_ATTR_CADT_FLAGS])
		e.nomatch = ntohl(mnl_attr_get_u32(tb[IPSET_ATTR_CADT_FLAGS])) & IPSET_FLAG_NOMATCH;
	if (set_type_dims(d->type) == 2) {
		/* ICMP and ICMPv6: type << 8 | code in the port, as in our key. */
		e.proto = tb[IPSET_ATTR_PROTO] ? mnl_attr_get_u8(tb[IPSET_ATTR_PROTO]) : 0;
		e.port = tb[IPSET_ATTR_PORT] ? ntohs(mnl_attr_get_u16(tb[IPSET_ATTR_PORT])) : 0;
	}
	return set_elem_add(d->s, &e);
}

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump *d = data;
	const struct nlattr *tb[IPSET_ATTR_CMD_MAX + 1] = { 0 };
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(a) <= IPSET_ATTR_CMD_MAX)
			tb[mnl_attr_get_type(a)] = a;
	if (!tb[IPSET_ATTR_SETNAME] || strcmp(mnl_attr_get_str(tb[IPSET_ATTR_SETNAME]), d->name) != 0)
		return MNL_CB_OK;
	if (tb[IPSET_ATTR_TYPENAME] && !d->hdr->type[0])
		header(d, tb);
	if (!tb[IPSET_ATTR_ADT] || !d->s)
		return MNL_CB_OK;
	mnl_attr_for_each_nested(a, tb[IPSET_ATTR_ADT])
		if (mnl_attr_get_type(a) == IPSET_ATTR_DATA && element(d, a) < 0)
			d->bad++;
	return MNL_CB_OK;
}

static struct nlmsghdr *list_request(char *buf, const char *name, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_IPSET << 8) | IPSET_CMD_LIST;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = NFPROTO_UNSPEC;
	nfg->version = NFNETLINK_V0;
	mnl_attr_put_u8(nlh, IPSET_ATTR_PROTOCOL, IPSET_PROTOCOL);
	mnl_attr_put_strz(nlh, IPSET_ATTR_SETNAME, name);
	return nlh;
}

/* Runs the dump; the first message's header tells the type, and the copy
 * is made before the members are read (they may come in that message). */
static int dump_run(struct mnl_socket *nl, struct dump *d, const struct set_dump_want *want)
{
	static char buf[65536];		/* main thread only; big messages, fewer calls */
	uint32_t seq = (uint32_t)time(NULL), port = mnl_socket_get_portid(nl);
	struct nlmsghdr *nlh = list_request(buf, d->name, seq);
	ssize_t n;
	int r = MNL_CB_OK;

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	d->type = want->type;
	d->family = want->family;
	if (!(d->s = set_new(want->type, want->family)))
		return -1;
	while (r > MNL_CB_STOP && (n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0)
		r = mnl_cb_run(buf, (size_t)n, seq, port, dump_cb, d);
	return r < 0 || n < 0 ? -1 : 0;
}

int set_dump_read(const char *name, const struct set_dump_want *want, struct vset **out,
		  struct set_dump_header *hdr)
{
	struct dump d = { .name = name, .hdr = hdr };
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	int ret = -1, rcv = 4 << 20;

	memset(hdr, 0, sizeof(*hdr));
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto out;
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	if (dump_run(nl, &d, want) < 0)
		goto out;
	if (!hdr->type[0] || d.bad) {
		errno = d.bad ? EINVAL : ENOENT;
		goto out;
	}
	set_seal(d.s);
	*out = d.s;
	d.s = NULL;
	ret = 0;
out:
	hdr->bad = (size_t)d.bad;
	set_free(d.s);
	if (nl)
		mnl_socket_close(nl);
	return ret;
}
