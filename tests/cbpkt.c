/* cbpkt.c - ClassBench trace headers as real packets, for the end-to-end
 * test (tests/integration/classbench_e2e.sh):
 *   cbpkt send IFACE DSTMAC TRACE   one IPv4 packet per trace line, sent on
 *                                   IFACE (AF_PACKET) to DSTMAC: a TCP SYN,
 *                                   a UDP datagram, or a bare payload for
 *                                   other protocols; the payload carries
 *                                   "VDCB" and the line's index
 *   cbpkt recv IFACE SECONDS        prints, sorted, the index of every
 *                                   tagged packet seen on IFACE
 * Checksums are right, since conntrack checks them before the rules run. */
#include "config.h"

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rawpkt.h"

#define MAGIC "VDCB"

/* Ethernet + IPv4 + transport header + tagged payload into @f. */
static size_t build(uint8_t *f, const uint8_t *dmac, const uint8_t *smac, uint32_t src, uint32_t dst,
		    uint16_t sport, uint16_t dport, uint8_t proto, uint32_t index)
{
	uint8_t *ip = f + 14, *l4 = ip + 20, *pl;
	size_t l4len, hdr = proto == IPPROTO_TCP ? 20 : proto == IPPROTO_UDP ? 8 : 0;
	uint32_t sum;

	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	pl = l4 + hdr;
	memcpy(pl, MAGIC, 4);
	pl[4] = (uint8_t)(index >> 24);
	pl[5] = (uint8_t)(index >> 16);
	pl[6] = (uint8_t)(index >> 8);
	pl[7] = (uint8_t)index;
	l4len = hdr + 8;
	memset(l4, 0, hdr);
	if (hdr) {
		l4[0] = (uint8_t)(sport >> 8);
		l4[1] = (uint8_t)sport;
		l4[2] = (uint8_t)(dport >> 8);
		l4[3] = (uint8_t)dport;
	}
	if (proto == IPPROTO_TCP) {
		l4[7] = 1;		/* sequence number 1 */
		l4[12] = 5 << 4;	/* data offset */
		l4[13] = 0x02;		/* SYN */
		l4[14] = 0xff;		/* window */
	} else if (proto == IPPROTO_UDP) {
		l4[4] = (uint8_t)(l4len >> 8);
		l4[5] = (uint8_t)l4len;
	}
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (uint8_t)((20 + l4len) >> 8);
	ip[3] = (uint8_t)(20 + l4len);
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	sum = raw_fold(raw_sum16(ip, 20, 0));
	ip[10] = (uint8_t)(sum >> 8);
	ip[11] = (uint8_t)sum;
	if (hdr) {
		uint8_t pseudo[12];
		int off = proto == IPPROTO_TCP ? 16 : 6;

		memcpy(pseudo, ip + 12, 8);
		pseudo[8] = 0;
		pseudo[9] = proto;
		pseudo[10] = (uint8_t)(l4len >> 8);
		pseudo[11] = (uint8_t)l4len;
		sum = raw_fold(raw_sum16(l4, l4len, raw_sum16(pseudo, 12, 0)));
		if (proto == IPPROTO_UDP && sum == 0)
			sum = 0xffff;
		l4[off] = (uint8_t)(sum >> 8);
		l4[off + 1] = (uint8_t)sum;
	}
	return 14 + 20 + l4len;
}

static int cmd_send(const char *iface, const char *macstr, const char *trace)
{
	struct sockaddr_ll sll;
	uint8_t smac[6], dmac[6], frame[128];
	unsigned long s, d, sp, dp, proto, flags, gen;
	unsigned int m[6];
	uint32_t index = 0;
	FILE *f = fopen(trace, "r");
	int fd = raw_open(iface, ETH_P_IP, &sll, smac), i;

	if (fd < 0 || !f || sscanf(macstr, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6) {
		fprintf(stderr, "cbpkt: bad interface, MAC or trace\n");
		return 2;
	}
	for (i = 0; i < 6; i++)
		dmac[i] = (uint8_t)m[i];
	while (fscanf(f, "%lu %lu %lu %lu %lu %lu %lu", &s, &d, &sp, &dp, &proto, &flags, &gen) == 7) {
		size_t len = build(frame, dmac, smac, htonl((uint32_t)s), htonl((uint32_t)d), (uint16_t)sp,
				   (uint16_t)dp, (uint8_t)proto, index++);
		struct timespec pause = { 0, 200000 };

		if (sendto(fd, frame, len, 0, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
			perror("sendto");
			return 1;
		}
		nanosleep(&pause, NULL);	/* no burst to overrun a queue: this test is about answers */
	}
	fprintf(stderr, "cbpkt: sent %u packets on %s\n", index, iface);
	fclose(f);
	close(fd);
	return 0;
}

static int cmd_recv(const char *iface, int seconds)
{
	struct sockaddr_ll sll;
	uint8_t mac[6], buf[2048];
	struct raw_tags seen = { 0 };
	time_t end = time(NULL) + seconds;
	int fd = raw_open(iface, ETH_P_IP, &sll, mac);

	if (fd < 0)
		return 2;
	printf("listening\n");
	fflush(stdout);
	while (time(NULL) < end) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		ssize_t len;
		uint8_t *tag;

		if (poll(&pfd, 1, 200) <= 0)
			continue;
		len = recv(fd, buf, sizeof(buf), 0);
		if (len < 8)
			continue;
		tag = memmem(buf, (size_t)len, MAGIC, 4);
		if (!tag || tag + 8 > buf + len)
			continue;
		if (raw_tags_add(&seen, (uint32_t)tag[4] << 24 | (uint32_t)tag[5] << 16 | (uint32_t)tag[6] << 8 | tag[7]) < 0)
			return 2;
	}
	raw_tags_print(&seen);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "send") == 0)
		return cmd_send(argv[2], argv[3], argv[4]);
	if (argc == 4 && strcmp(argv[1], "recv") == 0)
		return cmd_recv(argv[2], atoi(argv[3]));
	fprintf(stderr, "usage: cbpkt send IFACE DSTMAC TRACE | recv IFACE SECONDS\n");
	return 2;
}
