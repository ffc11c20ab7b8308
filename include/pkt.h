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

/* What the parser found of the transport header. The kernel's matches
 * need a protocol's whole header (TCP 20 bytes, UDP and UDP-Lite 8, SCTP
 * and DCCP 12, ICMP and ICMPv6 8): xt_tcpudp, xt_sctp, xt_dccp and the
 * icmp matches drop a packet whose header is shorter ("hotdrop"), and
 * ipset finds no key in it. Two ways to lack a header are kept apart:
 * SHORT, the packet itself ends there (the kernel sees the same bytes, so
 * its answer is known), and CUT, the copy range ended there (the kernel
 * has bytes verdictd was not given, so its answer is not known). */
enum pkt_flag {
	PKT_F_PORTS   = 1 << 0,	/* sport/dport valid: the whole header is there */
	PKT_F_ICMP    = 1 << 1,	/* icmp_type/icmp_code valid: the whole header is there */
	PKT_F_FRAG    = 1 << 2,	/* a non-first fragment: no transport header */
	PKT_F_SHORT   = 1 << 3,	/* the packet ends inside its headers */
	PKT_F_CUT     = 1 << 4,	/* the captured bytes end inside its headers */
	PKT_F_NOPROTO = 1 << 5,	/* IPv6: the extension header chain could not be
				 * walked to its end, so proto is not known */
	/* Not from a packet: a conntrack entry re-judged (ct.c) has no
	 * interfaces (conntrack does not keep them), and may lack the hook. */
	PKT_F_NOIFACE = 1 << 6,
	PKT_F_NOHOOK  = 1 << 7,
};

/* A packet the compiled classifier cannot judge: some of its headers are
 * missing, and what a rule makes of that depends on the rule
 * (policy_judge_partial). */
#define PKT_F_PARTIAL (PKT_F_SHORT | PKT_F_CUT)

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

/* Parses an IPv4 or IPv6 packet of which @len bytes were captured out of
 * @wire (the packet's length in the kernel; NFQA_CAP_LEN when the copy
 * range cut it). Returns 0 when the network header was read (transport
 * fields may still be missing: see flags), -1 when the bytes are not a
 * readable IP header. Never reads past @len. Clears every field first,
 * interfaces included: the caller sets iif/oif, which the packet bytes do
 * not carry. */
int pkt_parse_captured(struct pkt *p, const uint8_t *data, size_t len, size_t wire);

/* pkt_parse_captured() of a whole packet. */
int pkt_parse(struct pkt *p, const uint8_t *data, size_t len);

/* The bytes of @proto's header that the kernel's matches and ipset read
 * (0: a protocol they take no ports or type from). */
size_t pkt_l4_min(uint8_t proto);

/* Turns a packet of a flow's reply direction into the flow's original
 * direction: addresses, ports and interfaces swapped, the hook the
 * original packets pass (input <-> output, forward stays), an ICMP reply
 * type into its request. Judging that is judging the connection. */
void pkt_reverse(struct pkt *p);


/* "tcp 10.0.0.1:1234 -> 10.0.0.2:80" into @buf, for logs and the tracer. */
void pkt_format(const struct pkt *p, char *buf, size_t len);

#endif
