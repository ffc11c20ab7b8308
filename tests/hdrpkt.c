/* hdrpkt.c - packets of many header layouts, for the differential test
 * tests/integration/headers.sh:
 *
 *   hdrpkt list SEED N BASE COPYRANGE
 *       one line per packet: TAG FAMILY in|cut len=L need=K LAYOUT.
 *       "need" is how many bytes from the network header on a parser must
 *       see to read every header byte the kernel's matches would read
 *       (the extension header chain as ipv6_find_hdr walks it, then the
 *       transport header the protocol's match needs: TCP 20, UDP and
 *       UDP-Lite 8, SCTP and DCCP 12, ICMP and ICMPv6 8 bytes), bounded
 *       by the packet's length; "cut" when a copy range of COPYRANGE
 *       bytes ends before that.
 *   hdrpkt send SEED N BASE IFACE DSTMAC [IFACE DSTMAC]
 *       sends the same N packets as Ethernet frames (AF_PACKET) on each
 *       IFACE, to DSTMAC.
 *   hdrpkt recv IFACE
 *       prints "listening", then, once SIGTERM or SIGINT arrives, every
 *       tag seen on IFACE, sorted, one a line.
 *
 * Packet i (0 <= i < N) carries tag BASE + i: as the IPv4 identification
 * and in the source address 10.1.0.0/16 (10.1.TAG>>8.TAG&255), or as the
 * IPv6 flow label and in the source address fd00:1:0:1::TAG. Each packet is
 * thus a flow of its own: no conntrack entry made by one packet decides
 * another. Destinations are 10.9.0.1-3 and fd00:9::1-3.
 *
 * Layouts (pseudo-random from SEED, the same for list and send):
 *   IPv4, header 20 bytes or 24-60 with NOP options, checksum right;
 *   IPv6 with 0-4 extension headers: hop-by-hop (first only), destination
 *   options (8 bytes to 2 KB, made of options the kernel skips: at most 8
 *   non-padding options, padding of at most 7 bytes in a row, as
 *   ip6_parse_tlv() wants), routing (type 253, segments left 0), fragment
 *   (offset 0; rarely with M set, which defrag keeps forever: it vanishes on
 *   both paths), AH (24 bytes); then TCP (0-40 bytes present, data offset
 *   sometimes under 5 or past the end), UDP (0-16), ICMP/ICMPv6 (0-12),
 *   SCTP, UDP-Lite, DCCP (0-16), another protocol, or no next header (59);
 *   and chains cut short (the packet ends inside the chain).
 * Ports, ICMP types and addresses come from small sets so that rules hit.
 * Transport checksums are right where the header holds them: conntrack
 * treats the packets as it would real ones. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rawpkt.h"

#define MAXPKT 2600

enum { P_HOP = 0, P_TCP = 6, P_UDP = 17, P_RT = 43, P_FRAG = 44, P_AH = 51, P_ICMP = 1,
       P_ICMP6 = 58, P_NONE = 59, P_DST = 60, P_SCTP = 132, P_UDPLITE = 136, P_DCCP = 33 };

struct gen {
	uint8_t b[MAXPKT];	/* the IP packet */
	size_t len;
	int v6;
	size_t need;
	char desc[600];
	size_t dlen;
};

/* --- pseudo-random numbers (xorshift64*) ------------------------------ */

static uint64_t rng;

static uint32_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545F4914F6CDD1DULL) >> 32);
}

static uint32_t below(uint32_t n)
{
	return n ? rnd() % n : 0;
}

static int chance(uint32_t percent)
{
	return below(100) < percent;
}

static uint32_t pick(const uint32_t *v, size_t n)
{
	return v[below((uint32_t)n)];
}

#define PICK(a) pick(a, sizeof(a) / sizeof(a[0]))

/* --- checksums ---------------------------------------------------------- */

static uint32_t crc32c(const uint8_t *p, size_t len)
{
	uint32_t crc = 0xffffffff;
	size_t i;
	int k;

	for (i = 0; i < len; i++) {
		crc ^= p[i];
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78 & (0u - (crc & 1)));
	}
	return ~crc;
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static void say(struct gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct gen *g, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (g->dlen >= sizeof(g->desc) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(g->desc + g->dlen, sizeof(g->desc) - g->dlen, fmt, ap);
	va_end(ap);
	if (n > 0)
		g->dlen += (size_t)n;
	if (g->dlen >= sizeof(g->desc))
		g->dlen = sizeof(g->desc) - 1;
}

/* --- transport headers -------------------------------------------------- */

static const uint32_t dports[] = { 22, 53, 80, 443, 8080, 9, 55, 1234, 5353 };
static const uint32_t sports[] = { 1500, 1999, 2000, 53, 9, 1000 };

static uint16_t some_dport(void)
{
	return (uint16_t)(chance(85) ? PICK(dports) : 1 + below(65535));
}

static uint16_t some_sport(void)
{
	return (uint16_t)(chance(40) ? PICK(sports) : 30000 + below(30000));
}

/* How many header bytes of @want are present: mostly all of them (and up
 * to @extra more), else fewer. */
static size_t present(size_t want, size_t extra, int short_pct)
{
	if (chance((uint32_t)short_pct))
		return below((uint32_t)want);
	return want + below((uint32_t)extra + 1);
}

/* The minimum header a protocol's match reads (0: no match reads it). */
static size_t min_hdr(int proto)
{
	switch (proto) {
	case P_TCP: return 20;
	case P_UDP: case P_UDPLITE: return 8;
	case P_SCTP: case P_DCCP: return 12;
	case P_ICMP: case P_ICMP6: return 8;
	default: return 0;
	}
}

/* Writes the transport header of @proto at @l4 (room for 64 bytes) and
 * returns its length; checksums are filled in later, by finish_l4(). */
static size_t make_l4(struct gen *g, int proto, uint8_t *l4)
{
	uint16_t sp = some_sport(), dp = some_dport();
	size_t n = 0, i;

	memset(l4, 0, 64);
	switch (proto) {
	case P_TCP: {
		int doff;
		int odd = chance(12);

		n = present(20, 20, 30);
		n = odd ? 20 + below(21) : n;
		doff = (int)(n >= 20 ? n / 4 : 5);
		if (odd)
			doff = chance(50) ? (int)below(5) : (int)(n / 4) + 1 + (int)below(3);
		put16(l4, sp);
		put16(l4 + 2, dp);
		put32(l4 + 4, rnd());
		l4[12] = (uint8_t)(doff << 4);
		l4[13] = chance(85) ? 0x02 : (uint8_t)rnd();
		put16(l4 + 14, 65535);
		for (i = 20; i < n; i++)
			l4[i] = 1;	/* NOP options */
		say(g, "tcp[%zu/20 doff=%d flags=%#x %u->%u]", n, doff, l4[13], sp, dp);
		break;
	}
	case P_UDP:
	case P_UDPLITE:
		n = present(8, 8, 35);
		put16(l4, sp);
		put16(l4 + 2, dp);
		/* UDP: the length; UDP-Lite: checksum coverage, 0 = all */
		put16(l4 + 4, proto == P_UDP ? (uint32_t)n : 0);
		say(g, "%s[%zu/8 %u->%u]", proto == P_UDP ? "udp" : "udplite", n, sp, dp);
		break;
	case P_ICMP:
	case P_ICMP6: {
		static const uint32_t t4[] = { 8, 0, 3, 11, 13 }, t6[] = { 128, 129, 1, 2, 3, 4 };
		uint8_t type = (uint8_t)(proto == P_ICMP ? PICK(t4) : PICK(t6));
		uint8_t code = (uint8_t)(type == 8 || type == 0 || type == 128 || type == 129 ? 0 : below(4));

		n = present(8, 4, 35);
		l4[0] = type;
		l4[1] = code;
		put16(l4 + 4, rnd());
		put16(l4 + 6, 1);
		say(g, "%s[%zu/8 type=%u/%u]", proto == P_ICMP ? "icmp" : "icmpv6", n, type, code);
		break;
	}
	case P_SCTP: {
		n = present(12, 0, 35);
		if (n == 12 && chance(70))
			n = 32;		/* with an INIT chunk */
		put16(l4, sp);
		put16(l4 + 2, dp);
		if (n == 32) {
			put32(l4 + 4, 0);	/* verification tag 0 for INIT */
			l4[12] = 1;		/* INIT */
			put16(l4 + 14, 20);
			put32(l4 + 16, rnd() | 1);	/* initiate tag */
			put32(l4 + 20, 65536);	/* a_rwnd */
			put16(l4 + 24, 1);
			put16(l4 + 26, 1);
			put32(l4 + 28, rnd());	/* initial TSN */
		}
		say(g, "sctp[%zu/12 %u->%u]", n, sp, dp);
		break;
	}
	case P_DCCP:
		n = present(12, 4, 35);
		put16(l4, sp);
		put16(l4 + 2, dp);
		l4[4] = 3;		/* data offset, 32-bit words */
		l4[8] = 0;		/* type request, X = 0 */
		say(g, "dccp[%zu/12 %u->%u]", n, sp, dp);
		break;
	default:
		n = below(17);
		for (i = 0; i < n; i++)
			l4[i] = (uint8_t)rnd();
		say(g, "proto%d[%zu]", proto, n);
		break;
	}
	return n;
}

/* Checksum of the transport bytes @l4..@l4+@n, over a pseudo header of
 * @pseudo/@plen (already summed in @psum). */
static void finish_l4(int proto, uint8_t *l4, size_t n, uint32_t psum)
{
	uint16_t c;

	switch (proto) {
	case P_TCP:
		if (n >= 18) {
			c = raw_fold(raw_sum16(l4, n, psum));
			put16(l4 + 16, c);
		}
		break;
	case P_UDP:
	case P_UDPLITE:
		if (n >= 8) {
			c = raw_fold(raw_sum16(l4, n, psum));
			put16(l4 + 6, c ? c : 0xffff);
		}
		break;
	case P_ICMP:
		if (n >= 4)
			put16(l4 + 2, raw_fold(raw_sum16(l4, n, 0)));
		break;
	case P_ICMP6:
		if (n >= 4)
			put16(l4 + 2, raw_fold(raw_sum16(l4, n, psum)));
		break;
	case P_SCTP:
		if (n >= 12) {
			uint32_t crc = crc32c(l4, n);

			/* stored little-endian */
			l4[8] = (uint8_t)crc;
			l4[9] = (uint8_t)(crc >> 8);
			l4[10] = (uint8_t)(crc >> 16);
			l4[11] = (uint8_t)(crc >> 24);
		}
		break;
	default:
		break;
	}
}

static int some_proto(int v6)
{
	uint32_t r = below(100);

	if (r < 32)
		return P_TCP;
	if (r < 52)
		return P_UDP;
	if (r < 66)
		return v6 ? P_ICMP6 : P_ICMP;
	if (r < 74)
		return P_SCTP;
	if (r < 80)
		return P_UDPLITE;
	if (r < 88)
		return P_DCCP;
	if (r < 96)
		return 253;
	return v6 ? P_ICMP : P_ICMP6;	/* the other family's ICMP: just a protocol */
}

/* --- IPv4 --------------------------------------------------------------- */

static void gen_v4(struct gen *g, uint32_t tag)
{
	uint8_t *ip = g->b, *l4;
	size_t ihl = chance(70) ? 20 : 24 + 4 * below(10), n, i;
	int proto = some_proto(0), frag = chance(2);
	uint32_t dst = 0x0a090001 + below(3), psum;
	uint8_t pseudo[12];

	memset(ip, 0, ihl);
	say(g, "v4 dst=10.9.0.%u ihl=%zu ", dst & 0xff, ihl);
	l4 = ip + ihl;
	n = make_l4(g, proto, l4);
	ip[0] = (uint8_t)(0x40 | ihl / 4);
	put16(ip + 2, (uint32_t)(ihl + n));
	put16(ip + 4, tag);
	if (frag) {
		ip[6] = 0x20;	/* MF, offset 0: a first fragment that never completes */
		say(g, " frag(MF, lone)");
	}
	ip[8] = 64;
	ip[9] = (uint8_t)proto;
	put32(ip + 12, 0x0a010000 | (tag & 0xffff));
	put32(ip + 16, dst);
	for (i = 20; i < ihl; i++)
		ip[i] = 1;	/* NOP */
	if (ihl > 20 && chance(50))
		ip[ihl - 1] = 0;	/* EOL */
	put16(ip + 10, raw_fold(raw_sum16(ip, ihl, 0)));
	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = (uint8_t)proto;
	put16(pseudo + 10, (uint32_t)n);
	psum = raw_sum16(pseudo, 12, 0);
	finish_l4(proto, l4, n, psum);
	g->len = ihl + n;
	g->need = ihl + min_hdr(proto);
	if (g->need > g->len)
		g->need = g->len;
}

/* --- IPv6 --------------------------------------------------------------- */

static int is_ext(int nh)
{
	return nh == P_HOP || nh == P_RT || nh == P_FRAG || nh == P_AH || nh == P_DST;
}

static size_t opt_size(void)
{
	uint32_t r = below(100);

	if (r < 45)
		return 8 * (1 + below(8));		/* 8-64 */
	if (r < 75)
		return 8 * (9 + below(24));		/* 72-256 */
	return 8 * (33 + below(224));			/* 264-2048 */
}

/* The kernel's walk (ipv6_find_hdr with target -1) over @len bytes:
 * returns the protocol and sets *thoff, or -1 when a header it must read
 * is missing (*thoff then the offset it failed at). *maxread is how far it
 * read. */
static int walk6(const uint8_t *b, size_t len, size_t *thoff, size_t *maxread)
{
	int nh = b[6];
	size_t off = 40;

	*maxread = 40;
	for (;;) {
		size_t hl;

		if (!is_ext(nh) || nh == P_NONE) {
			*thoff = off;
			return nh;
		}
		if (off + (nh == P_RT ? 4 : nh == P_FRAG ? 4 : 2) > *maxread)
			*maxread = off + (nh == P_RT ? 4 : nh == P_FRAG ? 4 : 2);
		if (off + (nh == P_RT ? 4 : nh == P_FRAG ? 4 : 2) > len) {
			*thoff = off;
			return -1;
		}
		if (nh == P_FRAG) {
			if ((b[off + 2] << 8 | b[off + 3]) & ~7) {
				/* a later fragment: not made here */
				*thoff = off;
				return -1;
			}
			hl = 8;
		} else if (nh == P_AH) {
			hl = ((size_t)b[off + 1] + 2) * 4;
		} else {
			hl = ((size_t)b[off + 1] + 1) * 8;
		}
		nh = b[off];
		off += hl;
	}
}

static void gen_v6(struct gen *g, uint32_t tag)
{
	uint8_t *ip = g->b, *p, *nhp, *l4 = NULL;
	int chain[4], nchain = 0, i, proto, cut = 0, lonefrag = 0;
	size_t off = 40, n = 0, thoff, maxread, hl = 0;
	uint32_t r = below(100), dst = 1 + below(3), psum;
	uint8_t pseudo[40];

	if (r < 30)
		nchain = 0;
	else if (r < 60)
		nchain = 1;
	else if (r < 82)
		nchain = 2;
	else
		nchain = 3 + (int)below(2);
	for (i = 0; i < nchain; i++) {
		uint32_t k = below(100);

		if (i == 0 && k < 25)
			chain[i] = P_HOP;
		else if (k < 55)
			chain[i] = P_DST;
		else if (k < 72)
			chain[i] = P_RT;
		else if (k < 86)
			chain[i] = P_FRAG;
		else
			chain[i] = P_AH;
	}
	memset(ip, 0, 40);
	ip[0] = 0x60;
	ip[1] = (uint8_t)((tag >> 16) & 0x0f);
	ip[2] = (uint8_t)(tag >> 8);
	ip[3] = (uint8_t)tag;
	ip[7] = 64;
	ip[8] = 0xfd;		/* fd00:1:0:1::TAG */
	ip[11] = 1;
	ip[15] = 1;
	put32(ip + 20, tag);
	ip[24] = 0xfd;		/* fd00:9::DST */
	ip[27] = 9;
	ip[39] = (uint8_t)dst;
	say(g, "v6 dst=fd00:9::%u ", dst);
	nhp = ip + 6;
	for (i = 0; i < nchain; i++) {
		p = ip + off;
		*nhp = (uint8_t)chain[i];
		switch (chain[i]) {
		case P_HOP:
		case P_DST:
			hl = opt_size();
			while (hl > 8 && off + hl > 2200)	/* the whole packet within MAXPKT */
				hl = (hl / 16) * 8;
			raw_ipv6_options(p, hl);
			say(g, "%s(%zu) ", chain[i] == P_HOP ? "hbh" : "dst", hl);
			break;
		case P_RT:
			hl = 8 * (1 + below(4));
			memset(p, 0, hl);
			p[1] = (uint8_t)(hl / 8 - 1);
			p[2] = 253;	/* routing type: experimental */
			p[3] = 0;	/* segments left */
			say(g, "rt(%zu) ", hl);
			break;
		case P_FRAG:
			hl = 8;
			memset(p, 0, 8);
			put32(p + 4, rnd());
			if (chance(6)) {
				p[3] = 1;	/* M: a first fragment whose rest never comes */
				lonefrag = 1;
			}
			say(g, "frag(off=0%s) ", lonefrag ? " M, lone" : "");
			break;
		case P_AH:
			hl = 24;
			memset(p, 0, hl);
			p[1] = 4;	/* (4 + 2) * 4 = 24 bytes */
			put32(p + 4, 0x100 + below(1000));	/* SPI */
			put32(p + 8, 1);
			say(g, "ah(24) ");
			break;
		}
		nhp = p;
		off += hl;
	}
	if (chance(4)) {
		proto = P_NONE;
		*nhp = P_NONE;
		n = below(9);
		memset(ip + off, 0x5a, n);
		say(g, "none[%zu]", n);
	} else {
		proto = some_proto(1);
		*nhp = (uint8_t)proto;
		l4 = ip + off;
		n = make_l4(g, proto, l4);
	}
	g->len = off + n;
	/* A chain cut short: the packet ends inside it, past any hop-by-hop
	 * header (one cut short is dropped by ipv6_rcv on either path). */
	if (nchain > 0 && chance(10)) {
		size_t from = 40 + (chain[0] == P_HOP ? (size_t)((ip[41] + 1) * 8) : 0);

		if (from < off) {
			g->len = from + below((uint32_t)(off - from));
			cut = 1;
			l4 = NULL;
			say(g, " CUT at %zu (chain ends at %zu)", g->len, off);
		}
	}
	put16(ip + 4, (uint32_t)(g->len - 40));
	if (l4) {
		memcpy(pseudo, ip + 8, 32);
		put32(pseudo + 32, (uint32_t)n);
		pseudo[36] = pseudo[37] = pseudo[38] = 0;
		pseudo[39] = (uint8_t)proto;
		psum = raw_sum16(pseudo, 40, 0);
		finish_l4(proto, l4, n, psum);
	}
	/* What the filter sees: defrag has taken out an atomic fragment's
	 * header (offset 0, no M) when its chain can be walked to it. */
	{
		uint8_t view[MAXPKT];
		size_t vlen = g->len, o = 40;
		int nh = ip[6];
		uint8_t *prev = view + 6;

		memcpy(view, ip, g->len);
		while (is_ext(nh) && nh != P_FRAG && o + 2 <= vlen) {
			size_t h = nh == P_AH ? ((size_t)view[o + 1] + 2) * 4 : ((size_t)view[o + 1] + 1) * 8;

			prev = view + o;
			nh = view[o];
			o += h;
		}
		if (nh == P_FRAG && o + 8 <= vlen && !lonefrag) {
			*prev = view[o];
			memmove(view + o, view + o + 8, vlen - o - 8);
			vlen -= 8;
			put16(view + 4, (uint32_t)(vlen - 40));
		}
		proto = walk6(view, vlen, &thoff, &maxread);
		if (proto < 0)
			g->need = maxread;
		else
			g->need = thoff + min_hdr(proto);
		if (g->need > vlen)
			g->need = vlen;
		if (cut || proto < 0)
			say(g, " walk=%s", proto < 0 ? "fails" : "ok");
	}
}

static void gen_one(struct gen *g, uint32_t tag)
{
	memset(g, 0, sizeof(*g));
	g->v6 = chance(60);
	if (g->v6)
		gen_v6(g, tag);
	else
		gen_v4(g, tag);
}

/* --- commands ----------------------------------------------------------- */

static int cmd_list(uint64_t seed, uint32_t n, uint32_t base, size_t range)
{
	static struct gen g;
	uint32_t i;

	rng = seed * 0x9E3779B97F4A7C15ULL + 1;
	for (i = 0; i < n; i++) {
		gen_one(&g, base + i);
		printf("%u v%d %s len=%zu need=%zu %s\n", base + i, g.v6 ? 6 : 4,
		       g.len > range && g.need > range ? "cut" : "in", g.len, g.need, g.desc);
	}
	return 0;
}

static int parse_mac(const char *s, uint8_t *mac)
{
	unsigned int m[6];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
		return -1;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)m[i];
	return 0;
}

static int cmd_send(uint64_t seed, uint32_t n, uint32_t base, int nif, char **ifs)
{
	static struct gen g;
	struct sockaddr_ll sll[2];
	uint8_t smac[2][6], dmac[2][6], frame[MAXPKT + 14];
	int fd[2], k;
	uint32_t i;

	for (k = 0; k < nif; k++) {
		fd[k] = raw_open(ifs[2 * k], 0, &sll[k], smac[k]);
		if (fd[k] < 0 || parse_mac(ifs[2 * k + 1], dmac[k]) < 0) {
			fprintf(stderr, "hdrpkt: bad interface or MAC\n");
			return 2;
		}
	}
	rng = seed * 0x9E3779B97F4A7C15ULL + 1;
	for (i = 0; i < n; i++) {
		struct timespec pause = { 0, 100000 };

		gen_one(&g, base + i);
		for (k = 0; k < nif; k++) {
			memcpy(frame, dmac[k], 6);
			memcpy(frame + 6, smac[k], 6);
			put16(frame + 12, g.v6 ? 0x86dd : 0x0800);
			memcpy(frame + 14, g.b, g.len);
			if (sendto(fd[k], frame, g.len + 14, 0, (struct sockaddr *)&sll[k], sizeof(sll[k])) < 0) {
				fprintf(stderr, "hdrpkt: sendto %s (%zu bytes): %s\n", ifs[2 * k], g.len + 14,
					strerror(errno));
				return 1;
			}
		}
		nanosleep(&pause, NULL);	/* no burst: this test is about answers */
	}
	fprintf(stderr, "hdrpkt: sent %u packets on %d interface(s)\n", n, nif);
	return 0;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int cmd_recv(const char *iface)
{
	struct sockaddr_ll sll;
	struct sigaction sa;
	uint8_t mac[6], buf[10000];
	struct raw_tags seen = { 0 };
	int fd = raw_open(iface, ETH_P_ALL, &sll, mac);

	if (fd < 0)
		return 2;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("listening\n");
	fflush(stdout);
	while (!stop) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		struct sockaddr_ll from;
		socklen_t flen = sizeof(from);
		ssize_t len;
		uint32_t tag;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		len = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &flen);
		if (len < 14 + 20 || from.sll_pkttype == PACKET_OUTGOING)
			continue;
		if (buf[12] == 0x08 && buf[13] == 0x00) {
			const uint8_t *ip = buf + 14;

			if (ip[12] != 10 || ip[13] != 1)
				continue;
			tag = (uint32_t)(ip[4] << 8 | ip[5]);
			if (tag != (uint32_t)(ip[14] << 8 | ip[15]))
				continue;
		} else if (buf[12] == 0x86 && buf[13] == 0xdd && len >= 14 + 40) {
			const uint8_t *ip = buf + 14;
			static const uint8_t pfx[8] = { 0xfd, 0, 0, 1, 0, 0, 0, 1 };

			if (memcmp(ip + 8, pfx, 8) != 0)
				continue;
			tag = (uint32_t)(ip[1] & 0x0f) << 16 | (uint32_t)ip[2] << 8 | ip[3];
			if (tag != ((uint32_t)ip[20] << 24 | (uint32_t)ip[21] << 16 | (uint32_t)ip[22] << 8 | ip[23]))
				continue;
		} else {
			continue;
		}
		if (raw_tags_add(&seen, tag) < 0)
			return 2;
	}
	raw_tags_print(&seen);
	close(fd);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: hdrpkt list SEED N BASE COPYRANGE\n"
		"       hdrpkt send SEED N BASE IFACE DSTMAC [IFACE DSTMAC]\n"
		"       hdrpkt recv IFACE\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc == 6 && strcmp(argv[1], "list") == 0)
		return cmd_list(strtoull(argv[2], NULL, 0), (uint32_t)strtoul(argv[3], NULL, 0),
				(uint32_t)strtoul(argv[4], NULL, 0), strtoul(argv[5], NULL, 0));
	if ((argc == 7 || argc == 9) && strcmp(argv[1], "send") == 0)
		return cmd_send(strtoull(argv[2], NULL, 0), (uint32_t)strtoul(argv[3], NULL, 0),
				(uint32_t)strtoul(argv[4], NULL, 0), (argc - 5) / 2, argv + 5);
	if (argc == 3 && strcmp(argv[1], "recv") == 0)
		return cmd_recv(argv[2]);
	return usage();
}
