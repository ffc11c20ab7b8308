/* flood.c - the benchmarks' traffic generator: UDP over IPv4 through a
 * raw socket (IP_HDRINCL), many packets per sendmmsg() call, every packet
 * its own flow (source port and address vary), so that every packet is
 * the first of a connection and goes to the queue.
 *
 *   flood -s SRC -d DST -p DPORT (-n COUNT | -t SECONDS) [-r PPS] [-S SRCS]
 *         [-F FLOWS] [-T] [-b BATCH] [-R] [-l LEN]
 *
 * SRC is the first source address; -S how many consecutive ones to use
 * (default 8): 8 x 60000 source ports before a flow repeats. -F cycles
 * FLOWS flows instead (after their first packets, established flows: the
 * steady state). -T writes the send time (CLOCK_REALTIME) into each
 * payload, for tests/bench/lat; -b packets per sendmmsg (default 64).
 * -R sends the replies of those flows instead: from SRC port DPORT to
 * DST(+n) port 1024+n, so that conntrack sees both directions and counts
 * the flows as ESTABLISHED. -l sets each packet's IP length (46-1500,
 * default 46). Our own tool
 * rather than trafgen: it needs no package and no packet-socket setup,
 * and sendmmsg() at 64 packets a call outruns any consumer here. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define PAYLOAD 18		/* the default: a 46-byte packet */
#define PAYLOAD_MAX 1472	/* a 1500-byte packet */

struct frame {
	struct iphdr ip;
	struct udphdr udp;
	char data[PAYLOAD_MAX];
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct frame f[BATCH];
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in dst = { .sin_family = AF_INET };
	uint32_t src = 0, nsrc = 8, flows = 0;
	int batch = BATCH, stamp = 0, reply = 0;
	uint32_t dst0;
	unsigned long count = 0, sent = 0, rate = 0, seq = 0;
	double seconds = 0, t0;
	int opt, fd, one = 1, i;
	uint16_t dport = 9;
	size_t payload = PAYLOAD, len;

	while ((opt = getopt(argc, argv, "s:d:p:n:t:r:S:F:Tb:Rl:")) != -1) {
		switch (opt) {
		case 's': src = ntohl(inet_addr(optarg)); break;
		case 'd': dst.sin_addr.s_addr = inet_addr(optarg); break;
		case 'p': dport = (uint16_t)atoi(optarg); break;
		case 'n': count = strtoul(optarg, NULL, 10); break;
		case 't': seconds = atof(optarg); break;
		case 'r': rate = strtoul(optarg, NULL, 10); break;
		case 'S': nsrc = (uint32_t)atoi(optarg); break;
		case 'F': flows = (uint32_t)atoi(optarg); break;
		case 'T': stamp = 1; break;
		case 'b': batch = atoi(optarg); break;
		case 'R': reply = 1; break;
		case 'l':
			len = strtoul(optarg, NULL, 10);
			if (len < sizeof(struct iphdr) + sizeof(struct udphdr) + PAYLOAD ||
			    len > sizeof(struct iphdr) + sizeof(struct udphdr) + PAYLOAD_MAX)
				goto usage;
			payload = len - sizeof(struct iphdr) - sizeof(struct udphdr);
			break;
		default: goto usage;
		}
	}
	if (!src || !dst.sin_addr.s_addr || (!count && seconds <= 0) || !nsrc || batch < 1 || batch > BATCH)
		goto usage;
	dst0 = ntohl(dst.sin_addr.s_addr);
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) < 0) {
		perror("flood: raw socket");
		return 1;
	}
	memset(f, 0, sizeof(f));
	for (i = 0; i < BATCH; i++) {
		f[i].ip.version = 4;
		f[i].ip.ihl = 5;
		f[i].ip.ttl = 64;
		f[i].ip.protocol = IPPROTO_UDP;
		f[i].ip.tot_len = htons((uint16_t)(sizeof(f[i].ip) + sizeof(f[i].udp) + payload));
		f[i].ip.daddr = dst.sin_addr.s_addr;
		f[i].udp.dest = htons(dport);
		f[i].udp.len = htons((uint16_t)(sizeof(f[i].udp) + payload));
		iov[i].iov_base = &f[i];
		iov[i].iov_len = sizeof(f[i].ip) + sizeof(f[i].udp) + payload;
		memset(&msg[i], 0, sizeof(msg[i]));
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
		msg[i].msg_hdr.msg_name = &dst;
		msg[i].msg_hdr.msg_namelen = sizeof(dst);
	}
	t0 = now();
	for (;;) {
		int n = batch, k;
		double t = now() - t0;

		if (count && sent + (unsigned long)n > count)
			n = (int)(count - sent);
		if (n <= 0 || (seconds > 0 && t >= seconds))
			break;
		if (rate && (double)sent > t * (double)rate) {
			struct timespec ts = { 0, 50000 };

			nanosleep(&ts, NULL);
			continue;
		}
		for (i = 0; i < n; i++, seq++) {
			unsigned long flow = flows ? seq % flows : seq;

			if (reply) {
				f[i].ip.saddr = htonl(src);
				f[i].ip.daddr = htonl(dst0 + (uint32_t)((flow / 60000) % nsrc));
				f[i].udp.source = htons(dport);
				f[i].udp.dest = htons((uint16_t)(1024 + flow % 60000));
			} else {
				f[i].ip.saddr = htonl(src + (uint32_t)((flow / 60000) % nsrc));
				f[i].udp.source = htons((uint16_t)(1024 + flow % 60000));
			}
			f[i].ip.id = htons((uint16_t)seq);
			if (stamp) {
				struct timespec ts;
				uint64_t ns;

				clock_gettime(CLOCK_REALTIME, &ts);
				ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
				memcpy(f[i].data, "VDLT", 4);
				memcpy(f[i].data + 4, &ns, sizeof(ns));
			}
		}
		k = sendmmsg(fd, msg, (unsigned int)n, 0);
		if (k > 0)
			sent += (unsigned long)k;
	}
	printf("sent %lu in %.3f s\n", sent, now() - t0);
	return 0;
usage:
	fprintf(stderr, "usage: flood -s SRC -d DST -p DPORT (-n COUNT | -t SECONDS) [-r PPS] [-S SRCS]"
		" [-F FLOWS] [-T] [-b BATCH] [-R] [-l LEN]\n");
	return 2;
}
