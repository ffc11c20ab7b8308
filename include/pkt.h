/* pkt.h - the header fields the policy looks at, parsed from a queued
 * packet's network header onwards. */
#ifndef VD_PKT_H
#define VD_PKT_H

#include <stddef.h>
#include <stdint.h>

/* An address of either family: IPv4 in the first four bytes, rest zero. */
union vd_addr {
	uint8_t  b[16];
	uint32_t w[4];		/* network byte order */
};

enum pkt_flag {
	PKT_F_PORTS = 1 << 0,	/* sport/dport are valid */
	PKT_F_ICMP  = 1 << 1,	/* icmp_type/icmp_code are valid */
	PKT_F_FRAG  = 1 << 2,	/* a non-first fragment: no transport header */
	PKT_F_TRUNC = 1 << 3,	/* captured bytes end inside a header */
};

struct pkt {
	uint8_t  family;	/* AF_INET or AF_INET6 */
	uint8_t  proto;		/* transport protocol, after IPv6 extension headers */
	uint8_t  flags;		/* enum pkt_flag */
	uint8_t  icmp_type;
	uint8_t  icmp_code;
	uint16_t sport;		/* host byte order */
	uint16_t dport;
	uint8_t  hook;		/* netfilter hook (NF_INET_LOCAL_IN...), 0 if unknown */
	uint32_t iif;		/* ifindex, 0 if none */
	uint32_t oif;
	union vd_addr src;
	union vd_addr dst;
};

/* Parses an IPv4 or IPv6 packet of @len captured bytes. Returns 0 when the
 * network header was read (transport fields may still be missing: see
 * flags), -1 when the bytes are not a readable IP header. Never reads past
 * @len. Clears every field first, interfaces included: the caller sets
 * iif/oif, which the packet bytes do not carry. */
int pkt_parse(struct pkt *p, const uint8_t *data, size_t len);

/* "tcp", "udp", "icmp", "icmpv6", "sctp"; NULL for other protocols. */
const char *pkt_proto_name(uint8_t proto);

/* "tcp 10.0.0.1:1234 -> 10.0.0.2:80" into @buf, for logs and the tracer. */
void pkt_format(const struct pkt *p, char *buf, size_t len);

#endif
