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
	/* Cut inside the TCP header: network fields, no ports. */
	CHECK(pkt_parse(&p, b, 22) == 0 && p.flags == PKT_F_TRUNC, "flags 0x%x", p.flags);
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
	CHECK(pkt_parse(&p, b, 30) == 0 && (p.flags & PKT_F_TRUNC), "flags 0x%x", p.flags);
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
	CHECK(pkt_parse(&p, b, n) == 0 && (p.flags & PKT_F_TRUNC), "long ext header flags 0x%x", p.flags);
}

static void test_ipv6_chain_bound(void)
{
	uint8_t b[40 + 8 * 40];
	size_t n = ipv6(b, IPPROTO_DSTOPTS, "::1", "::2"), i;
	struct pkt p = { 0 };

	for (i = 0; i < 40; i++, n += 8) {
		memset(b + n, 0, 8);
		b[n] = IPPROTO_DSTOPTS;
	}
	CHECK(pkt_parse(&p, b, n) == 0 && (p.flags & PKT_F_TRUNC), "long chain flags 0x%x", p.flags);
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
	test_ipv6_chain_bound();
	test_garbage();
	return check_report("test_pkt");
}
