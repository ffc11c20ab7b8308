/* rawpkt.h - what the raw-packet test tools (tests/cbpkt.c, tests/hdrpkt.c)
 * share: Internet checksums, an AF_PACKET socket bound to one interface,
 * and the sorted list of tags a capture prints. */
#ifndef VD_TESTS_RAWPKT_H
#define VD_TESTS_RAWPKT_H

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* One's complement sum of @len bytes (big-endian words) onto @sum. */
static inline uint32_t raw_sum16(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	return sum;
}

/* The checksum field's value for a sum. */
static inline uint16_t raw_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* An AF_PACKET socket for @proto (host order: ETH_P_IP, ETH_P_ALL, 0 to
 * send only) bound to @iface; @sll is the address to send to, @mac gets
 * the interface's own address. -1 after a message on failure. */
static inline int raw_open(const char *iface, int proto, struct sockaddr_ll *sll, uint8_t *mac)
{
	int fd = socket(AF_PACKET, SOCK_RAW, htons((uint16_t)proto));
	struct ifreq ifr;

	if (fd < 0) {
		perror("socket(AF_PACKET)");
		return -1;
	}
	memset(sll, 0, sizeof(*sll));
	sll->sll_family = AF_PACKET;
	sll->sll_protocol = htons((uint16_t)proto);
	sll->sll_ifindex = (int)if_nametoindex(iface);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", iface);
	if (!sll->sll_ifindex || bind(fd, (struct sockaddr *)sll, sizeof(*sll)) < 0 ||
	    ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		perror(iface);
		close(fd);
		return -1;
	}
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return fd;
}

/* An IPv6 hop-by-hop or destination options header of @len bytes (a
 * multiple of 8, at most 2048) at @p, next header left to the caller:
 * options of type 0x1e (RFC 3692 experiment, "skip if unknown") of up to
 * 255 bytes of data, then padding for the last 1-7 bytes. Linux drops a
 * header with more than 7 bytes of padding in a row, or more than
 * net.ipv6.max_dst_opts_number (8) other options: this makes neither. */
static inline void raw_ipv6_options(uint8_t *p, size_t len)
{
	size_t off = 2, left = len - 2;

	p[1] = (uint8_t)(len / 8 - 1);
	while (left > 7) {
		size_t data = left - 2 > 255 ? 255 : left - 2;

		p[off] = 0x1e;
		p[off + 1] = (uint8_t)data;
		memset(p + off + 2, 0xa5, data);
		off += 2 + data;
		left -= 2 + data;
	}
	if (left == 1) {
		p[off] = 0;		/* Pad1 */
	} else if (left > 1) {
		p[off] = 1;		/* PadN */
		p[off + 1] = (uint8_t)(left - 2);
		memset(p + off + 2, 0, left - 2);
	}
}

/* Tags a capture saw, printed sorted, each once. */
struct raw_tags {
	uint32_t *v;
	size_t n, cap;
};

static inline int raw_tags_add(struct raw_tags *t, uint32_t tag)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		uint32_t *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return -1;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = tag;
	return 0;
}

static inline int raw_cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static inline void raw_tags_print(struct raw_tags *t)
{
	size_t i;

	if (t->n)
		qsort(t->v, t->n, sizeof(*t->v), raw_cmp_u32);
	for (i = 0; i < t->n; i++)
		if (i == 0 || t->v[i] != t->v[i - 1])
			printf("%u\n", t->v[i]);
	free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
}

#endif
