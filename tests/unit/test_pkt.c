/* test_pkt.c - header parsing on hand-built packets, and on every
 * truncation of them (no read past the captured length: ASan checks). */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "pkt.h"

static size_t ipv4(uint8_t *b, uint8_t proto, const char *src, const char *dst, uint16_t frag)
{
	memset(b, 0, 20);
	b[0] = 0x45;
	b[6] = (uint8_t)(frag >> 8);
	b[7] = (uint8_t)frag;
	b[8] = 64;
	b[9] = proto;
	inet_pton(AF_INET, src, b + 12);
	inet_pton(AF_INET, dst, b + 16);
	return 20;
}

static size_t ipv6(uint8_t *b, uint8_t nh, const char *src, const char *dst)
{
	memset(b, 0, 40);
	b[0] = 0x60;
	b[6] = nh;
	b[7] = 64;
	inet_pton(AF_INET6, src, b + 8);
	inet_pton(AF_INET6, dst, b + 24);
	return 40;
}

static size_t ports(uint8_t *b, uint16_t s, uint16_t d)
{
	memset(b, 0, 20);
	b[0] = (uint8_t)(s >> 8); b[1] = (uint8_t)s;
	b[2] = (uint8_t)(d >> 8); b[3] = (uint8_t)d;
	return 20;
}

/* Every prefix of the packet must parse without reading past it. */
static void all_truncations(const uint8_t *pkt, size_t len)
{
	size_t n;

	for (n = 0; n <= len; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		struct pkt p = { 0 };

		memcpy(copy, pkt, n);
		pkt_parse(&p, copy, n);
		free(copy);
	}
}

static void test_ipv4_tcp(void)
{
	uint8_t b[64];
	size_t n = ipv4(b, IPPROTO_TCP, "10.0.0.1", "10.0.1.2", 0x4000);
	struct pkt p = { 0 };
	char s[128];

	n += ports(b + n, 40000, 80);
	CHECK(pkt_parse(&p, b, n) == 0, "parse");
	CHECK(p.family == AF_INET && p.proto == IPPROTO_TCP, "family %u proto %u", p.family, p.proto);
	CHECK(p.flags == PKT_F_PORTS, "flags 0x%x", p.flags);
	CHECK(p.sport == 40000 && p.dport == 80, "ports %u %u", p.sport, p.dport);
	pkt_format(&p, s, sizeof(s));
	CHECK(strcmp(s, "tcp 10.0.0.1:40000 -> 10.0.1.2:80") == 0, "format '%s'", s);
	all_truncations(b, n);
	/* A packet that ends inside the TCP header: network fields, no ports,
	 * and the kernel's tcp match would drop it. */
	CHECK(pkt_parse(&p, b, 22) == 0 && p.flags == PKT_F_SHORT, "flags 0x%x", p.flags);
	/* The same bytes cut by the copy range from a whole packet: not known. */
	CHECK(pkt_parse_captured(&p, b, 22, n) == 0 && p.flags == PKT_F_CUT, "flags 0x%x", p.flags);
	/* Cut after the ports of a whole header: the ports are known. */
	CHECK(pkt_parse_captured(&p, b, 24, n) == 0 && p.flags == PKT_F_PORTS && p.dport == 80,
	      "flags 0x%x", p.flags);
	CHECK(pkt_parse(&p, b, 19) == -1, "short IPv4 header");
}

static void test_ipv4_options_and_frag(void)
{
	uint8_t b[64];
	size_t n = ipv4(b, IPPROTO_UDP, "192.0.2.1", "192.0.2.2", 0);
	struct pkt p = { 0 };

	/* IHL 6: one option word before UDP. */
	b[0] = 0x46;
	memset(b + n, 1, 4);
	n += 4;
	n += ports(b + n, 53, 5353);
	CHECK(pkt_parse(&p, b, n) == 0 && p.sport == 53 && p.dport == 5353, "ports %u %u", p.sport, p.dport);
	/* A non-first fragment has no transport header. */
	n = ipv4(b, IPPROTO_UDP, "192.0.2.1", "192.0.2.2", 0x0010);
	n += ports(b + n, 1, 2);
	CHECK(pkt_parse(&p, b, n) == 0 && (p.flags & PKT_F_FRAG) && !(p.flags & PKT_F_PORTS), "flags 0x%x", p.flags);
	/* IHL below 5 is not IPv4. */
	b[6] = b[7] = 0;
	b[0] = 0x44;
	CHECK(pkt_parse(&p, b, n) == -1, "ihl 4");
	/* IHL longer than captured. */
	b[0] = 0x4f;
	CHECK(pkt_parse(&p, b, 30) == 0 && (p.flags & PKT_F_SHORT), "flags 0x%x", p.flags);
}

static void test_icmp(void)
{
	uint8_t b[64];
	size_t n = ipv4(b, IPPROTO_ICMP, "10.0.0.1", "10.0.0.2", 0);
	struct pkt p = { 0 };

	b[n] = 8; b[n + 1] = 0;
	n += 8;
	CHECK(pkt_parse(&p, b, n) == 0 && (p.flags & PKT_F_ICMP) && p.icmp_type == 8, "icmp");
	all_truncations(b, n);
	n = ipv6(b, IPPROTO_ICMPV6, "2001:db8::1", "2001:db8::2");
	b[n] = 128; b[n + 1] = 0;
	n += 8;
	CHECK(pkt_parse(&p, b, n) == 0 && p.family == AF_INET6 && p.proto == IPPROTO_ICMPV6 &&
	      p.icmp_type == 128, "icmpv6 type %u", p.icmp_type);
}

static void test_ipv6_ext(void)
{
	uint8_t b[128];
	size_t n = ipv6(b, IPPROTO_HOPOPTS, "2001:db8::1", "2001:db8::2");
	struct pkt p = { 0 };

	/* Hop-by-hop (8 bytes) -> routing (16 bytes) -> fragment (first) -> TCP */
	memset(b + n, 0, 8); b[n] = IPPROTO_ROUTING; b[n + 1] = 0; n += 8;
	memset(b + n, 0, 16); b[n] = IPPROTO_FRAGMENT; b[n + 1] = 1; n += 16;
	memset(b + n, 0, 8); b[n] = IPPROTO_SCTP; b[n + 3] = 1; /* M flag, offset 0 */ n += 8;
	n += ports(b + n, 9999, 443);
	CHECK(pkt_parse(&p, b, n) == 0, "parse");
	CHECK(p.proto == IPPROTO_SCTP && p.sport == 9999 && p.dport == 443,
	      "proto %u ports %u %u", p.proto, p.sport, p.dport);
	all_truncations(b, n);
	/* Same, non-first fragment. */
	b[40 + 8 + 16 + 2] = 0x01;
	CHECK(pkt_parse(&p, b, n) == 0 && (p.flags & PKT_F_FRAG) && p.proto == IPPROTO_SCTP, "frag");
	/* A routing header that claims more than was captured. */
	b[40 + 8 + 1] = 200;
	CHECK(pkt_parse(&p, b, n) == 0 && (p.flags & PKT_F_SHORT) && (p.flags & PKT_F_NOPROTO),
	      "long ext header flags 0x%x", p.flags);
	CHECK(pkt_parse_captured(&p, b, n, 2000) == 0 && (p.flags & PKT_F_CUT) &&
	      (p.flags & PKT_F_NOPROTO), "long ext header, cut: flags 0x%x", p.flags);
}

/* ip6tables walks a chain of any length (ipv6_find_hdr): so does the
 * parser, to the transport header after 40 options headers. */
static void test_ipv6_long_chain(void)
{
	uint8_t b[40 + 8 * 40 + 20];
	size_t n = ipv6(b, IPPROTO_DSTOPTS, "::1", "::2"), i;
	struct pkt p = { 0 };

	for (i = 0; i < 40; i++, n += 8) {
		memset(b + n, 0, 8);
		b[n] = i == 39 ? IPPROTO_TCP : IPPROTO_DSTOPTS;
	}
	n += ports(b + n, 1, 80);
	CHECK(pkt_parse(&p, b, n) == 0 && p.flags == PKT_F_PORTS && p.dport == 80,
	      "long chain flags 0x%x", p.flags);
	CHECK(pkt_parse_captured(&p, b, 256, n) == 0 && p.flags == (PKT_F_CUT | PKT_F_NOPROTO),
	      "long chain, 256 bytes copied: flags 0x%x", p.flags);
}

/* The bypass: a destination options header of 216 bytes puts the
 * TCP header exactly past a 256-byte copy range. */
static void test_ipv6_dstopts_cut(void)
{
	uint8_t b[40 + 216 + 20];
	size_t n = ipv6(b, IPPROTO_DSTOPTS, "2001:db8::1", "2001:db8::2");
	struct pkt p = { 0 };

	memset(b + n, 0, 216);
	b[n] = IPPROTO_TCP;
	b[n + 1] = 216 / 8 - 1;
	n += 216;
	n += ports(b + n, 40000, 80);
	CHECK(pkt_parse_captured(&p, b, 256, n) == 0 && p.proto == IPPROTO_TCP &&
	      p.flags == PKT_F_CUT, "flags 0x%x proto %u", p.flags, p.proto);
	CHECK(pkt_parse(&p, b, n) == 0 && p.flags == PKT_F_PORTS && p.dport == 80, "whole");
}

/* Each protocol's header must be whole, as the kernel's matches want it. */
static void test_l4_minimum(void)
{
	static const struct { uint8_t proto; size_t need; uint8_t flag; } t[] = {
		{ IPPROTO_TCP, 20, PKT_F_PORTS }, { IPPROTO_UDP, 8, PKT_F_PORTS },
		{ IPPROTO_UDPLITE, 8, PKT_F_PORTS }, { IPPROTO_SCTP, 12, PKT_F_PORTS },
		{ IPPROTO_DCCP, 12, PKT_F_PORTS }, { IPPROTO_ICMP, 8, PKT_F_ICMP },
		{ IPPROTO_GRE, 0, 0 },
	};
	uint8_t b[64];
	struct pkt p;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t n = ipv4(b, t[i].proto, "10.0.0.1", "10.0.0.2", 0), k;

		memset(b + n, 0, 24);
		for (k = 0; k <= 24; k++) {
			uint8_t want = k >= t[i].need ? t[i].flag : PKT_F_SHORT;

			b[2] = (uint8_t)((n + k) >> 8);
			b[3] = (uint8_t)(n + k);
			CHECK(pkt_parse(&p, b, n + k) == 0 && p.flags == want,
			      "proto %u, %zu bytes: flags 0x%x, want 0x%x", t[i].proto, k, p.flags, want);
		}
	}
	/* Bytes past the IP total length are not the packet's (ip_rcv trims). */
	i = ipv4(b, IPPROTO_UDP, "10.0.0.1", "10.0.0.2", 0);
	memset(b + i, 0, 20);
	b[3] = 24;
	CHECK(pkt_parse(&p, b, 40) == 0 && p.flags == PKT_F_SHORT, "padded: flags 0x%x", p.flags);
}

static void test_garbage(void)
{
	uint8_t b[256] = { 0 };
	struct pkt p = { 0 };
	unsigned int seed = 1, i, k;

	CHECK(pkt_parse(&p, b, 0) == -1, "empty");
	b[0] = 0x50;
	CHECK(pkt_parse(&p, b, 40) == -1, "version 5");
	for (i = 0; i < 20000; i++) {
		size_t len = rand_r(&seed) % sizeof(b);

		for (k = 0; k < len; k++)
			b[k] = (uint8_t)rand_r(&seed);
		if (len)
			b[0] = (uint8_t)((rand_r(&seed) & 1 ? 0x40 : 0x60) | (b[0] & 0x0f));
		pkt_parse(&p, b, len);
	}
}

int main(void)
{
	test_ipv4_tcp();
	test_ipv4_options_and_frag();
	test_icmp();
	test_ipv6_ext();
	test_ipv6_long_chain();
	test_ipv6_dstopts_cut();
	test_l4_minimum();
	test_garbage();
	return check_report("test_pkt");
}
