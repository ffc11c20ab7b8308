/* lat.c - latency through the firewall, for the benchmark suite: reads
 * the packets flood -T sends as they arrive on IFACE (AF_PACKET, with the
 * kernel's receive time, SO_TIMESTAMPNS) and prints how many arrived and
 * the median and 99th percentile of arrival minus send time, in
 * microseconds. Both ends read CLOCK_REALTIME on the same host.
 *
 *   lat IFACE SECONDS */
#include "config.h"

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP) };
	double *lat = NULL, end;
	size_t n = 0, cap = 0;
	int fd, one = 1;
	struct timespec t;

	if (argc != 3) {
		fprintf(stderr, "usage: lat IFACE SECONDS\n");
		return 2;
	}
	sll.sll_ifindex = (int)if_nametoindex(argv[1]);
	fd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
	if (fd < 0 || !sll.sll_ifindex || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0) {
		perror("lat");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t);
	end = (double)t.tv_sec + (double)t.tv_nsec / 1e9 + atof(argv[2]);
	for (;;) {
		uint8_t buf[256], cbuf[256];
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };
		struct pollfd pfd = { fd, POLLIN, 0 };
		struct cmsghdr *cm;
		struct timespec rx = { 0, 0 };
		uint64_t sent;
		ssize_t len;

		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((double)t.tv_sec + (double)t.tv_nsec / 1e9 >= end)
			break;
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		len = recvmsg(fd, &mh, 0);
		/* IPv4 (20) + UDP (8) + "VDLT" + 8-byte time */
		if (len < 40 || (buf[0] & 0x0f) != 5 || buf[9] != IPPROTO_UDP || memcmp(buf + 28, "VDLT", 4))
			continue;
		for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS)
				memcpy(&rx, CMSG_DATA(cm), sizeof(rx));
		if (!rx.tv_sec)
			continue;
		memcpy(&sent, buf + 32, sizeof(sent));
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			lat = realloc(lat, cap * sizeof(*lat));
			if (!lat)
				return 1;
		}
		lat[n++] = ((double)rx.tv_sec * 1e9 + (double)rx.tv_nsec - (double)sent) / 1e3;
	}
	if (!n) {
		printf("0 0 0\n");
		return 0;
	}
	qsort(lat, n, sizeof(*lat), cmp);
	printf("%zu %.1f %.1f\n", n, lat[n / 2], lat[(size_t)((double)n * 0.99)]);
	free(lat);
	return 0;
}
