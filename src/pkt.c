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
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "pkt.h"

/* Reads the first four bytes of the transport header: ports, or ICMP type
 * and code. */
static void pkt_parse_l4(struct pkt *p, const uint8_t *l4, size_t len)
{
	switch (p->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
		if (len < 4)
			break;
		p->sport = (uint16_t)(l4[0] << 8 | l4[1]);
		p->dport = (uint16_t)(l4[2] << 8 | l4[3]);
		p->flags |= PKT_F_PORTS;
		return;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (len < 2)
			break;
		p->icmp_type = l4[0];
		p->icmp_code = l4[1];
		p->flags |= PKT_F_ICMP;
		return;
	default:
		return;
	}
	p->flags |= PKT_F_TRUNC;
}

static int pkt_parse_ipv4(struct pkt *p, const uint8_t *d, size_t len)
{
	size_t hlen;
	uint16_t frag;

	if (len < 20)
		return -1;
	hlen = (size_t)(d[0] & 0x0f) * 4;
	if (hlen < 20)
		return -1;
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
	if (hlen > len) {
		p->flags |= PKT_F_TRUNC;
		return 0;
	}
	pkt_parse_l4(p, d + hlen, len - hlen);
	return 0;
}

/* Walks the IPv6 extension header chain to the transport header. */
static int pkt_parse_ipv6(struct pkt *p, const uint8_t *d, size_t len)
{
	size_t off = 40;
	uint8_t nh;
	int hops;

	if (len < 40)
		return -1;
	p->family = AF_INET6;
	memcpy(p->src.b, d + 8, 16);
	memcpy(p->dst.b, d + 24, 16);
	nh = d[6];
	/* Bounded: a chain of hundreds of empty headers is an attack, not a
	 * packet; what is past the bound is left unclassified. */
	for (hops = 0; hops < 16; hops++) {
		switch (nh) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if (off + 2 > len)
				goto truncated;
			nh = d[off];
			off += ((size_t)d[off + 1] + 1) * 8;
			continue;
		case IPPROTO_AH:
			if (off + 2 > len)
				goto truncated;
			nh = d[off];
			off += ((size_t)d[off + 1] + 2) * 4;
			continue;
		case IPPROTO_FRAGMENT:
			if (off + 8 > len)
				goto truncated;
			if ((d[off + 2] << 8 | d[off + 3]) & 0xfff8) {
				p->proto = d[off];
				p->flags |= PKT_F_FRAG;
				return 0;
			}
			nh = d[off];
			off += 8;
			continue;
		default:
			p->proto = nh;
			if (off > len)
				goto truncated;
			pkt_parse_l4(p, d + off, len - off);
			return 0;
		}
	}
	p->proto = nh;
truncated:
	p->flags |= PKT_F_TRUNC;
	return 0;
}

int pkt_parse(struct pkt *p, const uint8_t *data, size_t len)
{
	memset(p, 0, sizeof(*p));
	if (len < 1)
		return -1;
	switch (data[0] >> 4) {
	case 4:
		return pkt_parse_ipv4(p, data, len);
	case 6:
		return pkt_parse_ipv6(p, data, len);
	default:
		return -1;
	}
}

const char *pkt_proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:    return "tcp";
	case IPPROTO_UDP:    return "udp";
	case IPPROTO_ICMP:   return "icmp";
	case IPPROTO_ICMPV6: return "icmpv6";
	case IPPROTO_SCTP:   return "sctp";
	default:             return NULL;
	}
}

void pkt_format(const struct pkt *p, char *buf, size_t len)
{
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN], proto[8];
	const char *name = pkt_proto_name(p->proto);
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
