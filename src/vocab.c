/* vocab.c - the policy's vocabulary (vocab.h). */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vocab.h"

/* The first name of a number is the one written. */
static const struct { const char *name; int num; uint8_t family; } protos[] = {
	{ "tcp", IPPROTO_TCP, 0 }, { "udp", IPPROTO_UDP, 0 },
	{ "icmp", IPPROTO_ICMP, AF_INET }, { "icmpv6", IPPROTO_ICMPV6, AF_INET6 },
	{ "ipv6-icmp", IPPROTO_ICMPV6, AF_INET6 }, { "sctp", IPPROTO_SCTP, 0 },
	{ "udplite", IPPROTO_UDPLITE, 0 }, { "dccp", IPPROTO_DCCP, 0 },
	{ "gre", IPPROTO_GRE, 0 }, { "esp", IPPROTO_ESP, 0 }, { "ah", IPPROTO_AH, 0 },
};

const char *const vocab_proto_names[] = {
	"tcp", "udp", "icmp", "icmpv6", "sctp", "udplite", "dccp", "gre", "esp", "ah", NULL,
};

int vocab_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	*out = strtoul(s, &end, 0);
	if (errno || *end || *out > max)
		return -1;
	return 0;
}

int vocab_proto_parse(const char *s, uint8_t *family)
{
	unsigned long num;
	size_t k;

	if (family)
		*family = 0;
	for (k = 0; k < sizeof(protos) / sizeof(protos[0]); k++) {
		if (strcmp(s, protos[k].name) == 0) {
			if (family)
				*family = protos[k].family;
			return protos[k].num;
		}
	}
	return vocab_uint(s, 255, &num) < 0 ? -1 : (int)num;
}

const char *vocab_proto_name(int num)
{
	size_t k;

	for (k = 0; k < sizeof(protos) / sizeof(protos[0]); k++)
		if (protos[k].num == num)
			return protos[k].name;
	return NULL;
}

const char *vocab_proto_list(void)
{
	return "tcp, udp, icmp, icmpv6, sctp, udplite, dccp, gre, esp, ah, or a number 0-255";
}

bool vocab_proto_has_ports(int proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP ||
	       proto == IPPROTO_UDPLITE || proto == IPPROTO_DCCP;
}

static const struct { const char *name; int v4, v6; } icmp_names[] = {
	{ "echo-reply", 0, 129 }, { "destination-unreachable", 3, 1 },
	{ "echo-request", 8, 128 }, { "time-exceeded", 11, 3 },
	{ "parameter-problem", 12, 4 }, { "packet-too-big", -1, 2 },
	{ "redirect", 5, 137 }, { "router-advertisement", 9, 134 },
	{ "router-solicitation", 10, 133 }, { "neighbour-solicitation", -1, 135 },
	{ "neighbour-advertisement", -1, 136 },
	/* What iptables and ip6tables also print or accept. */
	{ "pong", 0, -1 }, { "ping", 8, -1 }, { "neighbor-solicitation", -1, 135 },
	{ "neighbor-advertisement", -1, 136 }, { "source-quench", 4, -1 },
	{ "timestamp-request", 13, -1 }, { "timestamp-reply", 14, -1 },
};

int vocab_icmp_type(const char *name, int proto)
{
	size_t k;

	for (k = 0; k < sizeof(icmp_names) / sizeof(icmp_names[0]); k++)
		if (strcmp(name, icmp_names[k].name) == 0)
			return proto == IPPROTO_ICMP ? icmp_names[k].v4 : icmp_names[k].v6;
	return -1;
}

int vocab_port_range(const char *s, struct policy_range *r)
{
	char buf[16], *dash;
	unsigned long lo, hi;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	if (vocab_uint(buf, 65535, &lo) < 0)
		return -1;
	hi = lo;
	if (dash && vocab_uint(dash + 1, 65535, &hi) < 0)
		return -1;
	if (hi < lo)
		return -1;
	r->lo = (uint16_t)lo;
	r->hi = (uint16_t)hi;
	return 0;
}

/* An IPv4 netmask (255.255.0.0) as a prefix length; -1 if not contiguous. */
static int mask_len(const char *s)
{
	struct in_addr m;
	uint32_t v;

	if (inet_pton(AF_INET, s, &m) != 1)
		return -1;
	v = ntohl(m.s_addr);
	if (v & (~v >> 1))
		return -1;
	return __builtin_popcount(v);
}

int vocab_prefix(const char *s, uint8_t family, struct policy_prefix *p)
{
	char buf[INET6_ADDRSTRLEN + INET_ADDRSTRLEN + 2], *slash;
	unsigned long plen;
	int bits, m;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	memset(p, 0, sizeof(*p));
	if (family != AF_INET6 && inet_pton(AF_INET, buf, p->addr.b) == 1)
		p->family = AF_INET;
	else if (family != AF_INET && inet_pton(AF_INET6, buf, p->addr.b) == 1)
		p->family = AF_INET6;
	else
		return -1;
	bits = p->family == AF_INET ? 32 : 128;
	plen = (unsigned long)bits;
	if (slash && p->family == AF_INET && strchr(slash, '.')) {
		if ((m = mask_len(slash)) < 0)
			return -1;
		plen = (unsigned long)m;
	} else if (slash && vocab_uint(slash, (unsigned long)bits, &plen) < 0) {
		return -1;
	}
	p->plen = (uint8_t)plen;
	set_addr_mask(&p->addr, p->plen);
	return 0;
}
