/* pkt.c - IPv4/IPv6 header parsing for classification.
 *
 * The input is untrusted: every read is bounds-checked against the captured
 * length, which may be shorter than the packet (copy range) or than the
 * headers claim (malformed). Checksums are never checked nor relied upon:
 * with NFQA_CFG_F_GSO the kernel hands over packets whose checksum is not
 * computed yet (NFQA_SKB_CSUMNOTREADY), and verdictd never rewrites a packet,
 * so a partial checksum is the kernel's to finish. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netfilter.h>

#include "pkt.h"
#include "vocab.h"

size_t pkt_l4_min(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return 20;
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return 8;
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
		return 12;
	default:
		return 0;
	}
}

/* The transport header at @off, of which @len bytes were captured out of
 * @wire: ports, or ICMP type and code, when the whole header is there. */
static void pkt_parse_l4(struct pkt *p, const uint8_t *d, size_t off, size_t len, size_t wire)
{
	bool icmp = p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6;
	size_t need = pkt_l4_min(p->proto);
	const uint8_t *l4 = d + off;

	if (need == 0)
		return;
	if (off + need > wire) {
		p->flags |= PKT_F_SHORT;
		return;
	}
	/* The whole header is in the packet; what the policy reads of it
	 * (type and code, or the ports) must be in the copy. */
	if (off + (icmp ? 2 : 4) > len) {
		p->flags |= PKT_F_CUT;
		return;
	}
	if (icmp) {
		p->icmp_type = l4[0];
		p->icmp_code = l4[1];
		p->flags |= PKT_F_ICMP;
		return;
	}
	p->sport = (uint16_t)(l4[0] << 8 | l4[1]);
	p->dport = (uint16_t)(l4[2] << 8 | l4[3]);
	p->flags |= PKT_F_PORTS;
}

static int pkt_parse_ipv4(struct pkt *p, const uint8_t *d, size_t len, size_t wire)
{
	size_t hlen, tot;
	uint16_t frag;

	if (len < 20)
		return -1;
	hlen = (size_t)(d[0] & 0x0f) * 4;
	if (hlen < 20)
		return -1;
	/* The kernel trims a packet to its IP length (ip_rcv) before any
	 * hook: bytes past it are not the packet's. */
	tot = (size_t)(d[2] << 8 | d[3]);
	if (tot >= hlen && tot < wire)
		wire = tot;
	if (len > wire)
		len = wire;
	p->family = AF_INET;
	p->proto = d[9];
	memcpy(p->src.b, d + 12, 4);
	memcpy(p->dst.b, d + 16, 4);
	frag = (uint16_t)((d[6] & 0x1f) << 8 | d[7]);
	if (frag != 0) {
		/* Only the first fragment carries the transport header. */
		p->flags |= PKT_F_FRAG;
		return 0;
	}
	if (hlen > wire)
		p->flags |= PKT_F_SHORT;
	else if (hlen > len)
		p->flags |= PKT_F_CUT;
	else
		pkt_parse_l4(p, d, hlen, len, wire);
	return 0;
}

/* Walks the IPv6 extension header chain to the transport header, as
 * ipv6_find_hdr() does for ip6tables' -p: with no bound but the packet's
 * length (each header takes at least 8 bytes, so the walk ends). */
static int pkt_parse_ipv6(struct pkt *p, const uint8_t *d, size_t len, size_t wire)
{
	size_t off = 40, plen, hdr, need;
	uint8_t nh;

	if (len < 40)
		return -1;
	p->family = AF_INET6;
	memcpy(p->src.b, d + 8, 16);
	memcpy(p->dst.b, d + 24, 16);
	plen = (size_t)(d[4] << 8 | d[5]);
	if (plen != 0 && 40 + plen < wire)	/* 0: a jumbogram, as long as it is */
		wire = 40 + plen;
	if (len > wire)
		len = wire;
	nh = d[6];
	for (;;) {
		switch (nh) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
		case IPPROTO_AH:
		case IPPROTO_FRAGMENT:
			/* The fragment header's offset is read too. */
			hdr = off;
			need = hdr + (nh == IPPROTO_FRAGMENT ? 4 : 2);
			if (need > len)
				goto partial;
			if (nh == IPPROTO_FRAGMENT && ((d[hdr + 2] << 8 | d[hdr + 3]) & 0xfff8)) {
				p->proto = d[hdr];
				p->flags |= PKT_F_FRAG;
				return 0;
			}
			if (nh == IPPROTO_FRAGMENT)
				off += 8;
			else if (nh == IPPROTO_AH)
				off += ((size_t)d[hdr + 1] + 2) * 4;
			else
				off += ((size_t)d[hdr + 1] + 1) * 8;
			nh = d[hdr];
			continue;
		default:
			p->proto = nh;
			pkt_parse_l4(p, d, off, len, wire);
			return 0;
		}
	}
partial:
	p->proto = nh;
	p->flags |= PKT_F_NOPROTO | (need > wire ? PKT_F_SHORT : PKT_F_CUT);
	return 0;
}

int pkt_parse_captured(struct pkt *p, const uint8_t *data, size_t len, size_t wire)
{
	memset(p, 0, sizeof(*p));
	if (len < 1)
		return -1;
	if (wire < len)
		wire = len;
	switch (data[0] >> 4) {
	case 4:
		return pkt_parse_ipv4(p, data, len, wire);
	case 6:
		return pkt_parse_ipv6(p, data, len, wire);
	default:
		return -1;
	}
}

int pkt_parse(struct pkt *p, const uint8_t *data, size_t len)
{
	return pkt_parse_captured(p, data, len, len);
}

/* The request an ICMP reply answers, as conntrack pairs them (its
 * invert maps); 0 for types that are not replies. */
static uint8_t icmp_request_of(uint8_t family, uint8_t type)
{
	if (family == AF_INET6)
		return type == 129 ? 128 : type == 140 ? 139 : 0;
	switch (type) {
	case 0:  return 8;	/* echo */
	case 14: return 13;	/* timestamp */
	case 16: return 15;	/* information */
	case 18: return 17;	/* address mask */
	default: return 0;
	}
}

void pkt_reverse(struct pkt *p)
{
	union vd_addr a = p->src;
	uint16_t port = p->sport;
	uint32_t ifindex = p->iif;
	uint8_t req;

	p->src = p->dst;
	p->dst = a;
	p->sport = p->dport;
	p->dport = port;
	p->iif = p->oif;
	p->oif = ifindex;
	/* A reply that comes in answers a connection this host opened, and the
	 * other way round; a forwarded one was forwarded the other way. */
	if (p->hook == NF_INET_LOCAL_IN)
		p->hook = NF_INET_LOCAL_OUT;
	else if (p->hook == NF_INET_LOCAL_OUT)
		p->hook = NF_INET_LOCAL_IN;
	if ((p->flags & PKT_F_ICMP) && (req = icmp_request_of(p->family, p->icmp_type)))
		p->icmp_type = req;
}

void pkt_format(const struct pkt *p, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN], proto[8];
	const char *name = vocab_proto_name(p->proto);
	const char *fmt = p->family == AF_INET6 ? "%s [%s]:%u -> [%s]:%u" : "%s %s:%u -> %s:%u";

	if (!name) {
		snprintf(proto, sizeof(proto), "%u", p->proto);
		name = proto;
	}
	inet_ntop(p->family, p->src.b, s, sizeof(s));
	inet_ntop(p->family, p->dst.b, d, sizeof(d));
	if (p->flags & PKT_F_PORTS)
		snprintf(buf, len, fmt, name, s, p->sport, d, p->dport);
	else if (p->flags & PKT_F_ICMP)
		snprintf(buf, len, "%s %s -> %s type %u code %u", name, s, d,
			 p->icmp_type, p->icmp_code);
	else
		snprintf(buf, len, "%s %s -> %s", name, s, d);
}
