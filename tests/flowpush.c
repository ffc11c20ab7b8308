/* flowpush.c - long flows whose next packet comes from the server, and
 * connection storms, for the restart and outage tests.
 *
 *   flowpush serve PORT           TCP: every accepted connection gets a
 *                                 line every 100 ms until it closes;
 *                                 UDP: every datagram's sender gets one
 *                                 every 100 ms; both for 60 s at most
 *                                 (IPv4 and IPv6)
 *   flowpush tcp|udp ADDR PORT S  open one flow (UDP: one datagram), then
 *                                 only read for S seconds; prints
 *                                 "received N longest-gap-ms G last-second K"
 *   flowpush sink PORT            TCP: accepts and closes, as fast as it
 *                                 can (a storm's server: a slow one would
 *                                 overflow its listen queue and drop SYNs)
 *   flowpush storm ADDR PORT S    new TCP connections back to back for S
 *                                 seconds; prints "connects N failed F
 *                                 slowest-ms M over-900ms K"
 *
 * Exit status 0, or 3 on a usage or socket error. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "resolve.h"

#define TICK_MS 100
#define UDP_PUSH_S 60

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int listener(int type, const char *port)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT };
	int one = 1, fd = socket(AF_INET6, type, 0);

	a.sin6_port = htons((uint16_t)atoi(port));
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 4096) < 0)) {
		perror("flowpush: listen");
		return -1;
	}
	return fd;
}

/* One child per flow: it writes until the peer goes (TCP) or for
 * UDP_PUSH_S seconds (UDP). */
static void push(int fd, const struct sockaddr_storage *to, socklen_t tolen)
{
	int i;

	for (i = 0;; i++) {
		char line[32];
		int n = snprintf(line, sizeof(line), "%d\n", i);
		ssize_t w = to ? sendto(fd, line, (size_t)n, 0, (const struct sockaddr *)to, tolen)
			       : send(fd, line, (size_t)n, MSG_NOSIGNAL);

		if (w < 0 || i * TICK_MS >= UDP_PUSH_S * 1000)
			break;
		usleep(TICK_MS * 1000);
	}
	_exit(0);
}

static int cmd_serve(const char *port)
{
	int t = listener(SOCK_STREAM, port), u = listener(SOCK_DGRAM, port);

	if (t < 0 || u < 0)
		return 3;
	signal(SIGCHLD, SIG_IGN);
	printf("serving %s\n", port);
	fflush(stdout);
	for (;;) {
		struct pollfd p[2] = { { t, POLLIN, 0 }, { u, POLLIN, 0 } };
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		char buf[512];

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return 3;
		if (p[0].revents & POLLIN) {
			int c = accept(t, NULL, NULL);

			if (c >= 0 && fork() == 0)
				push(c, NULL, 0);
			if (c >= 0)
				close(c);
		}
		if ((p[1].revents & POLLIN) &&
		    recvfrom(u, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen) >= 0 &&
		    fork() == 0)
			push(u, &from, flen);
	}
}

static int cmd_sink(const char *port)
{
	int t = listener(SOCK_STREAM, port);

	if (t < 0)
		return 3;
	printf("serving %s\n", port);
	fflush(stdout);
	for (;;) {
		int c = accept(t, NULL, NULL);

		if (c >= 0)
			close(c);
		else if (errno != EINTR && errno != ECONNABORTED)
			return 3;
	}
}

static int cmd_flow(int type, const char *host, const char *port, int seconds)
{
	struct sockaddr_storage ss;
	socklen_t len;
	double start, last, gap = 0, end;
	long received = 0, last_second = 0;
	int fd;

	if (resolve(host, port, type, &ss, &len) < 0 ||
	    (fd = socket(ss.ss_family, type, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&ss, len) < 0 ||
	    (type == SOCK_DGRAM && send(fd, "go\n", 3, 0) < 0)) {
		perror("flowpush: open");
		return 3;
	}
	start = last = now_ms();
	end = start + seconds * 1000.0;
	while (now_ms() < end) {
		struct pollfd p = { fd, POLLIN, 0 };
		char buf[4096];
		ssize_t n;

		if (poll(&p, 1, 50) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		/* TCP may join lines; count lines. */
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] == '\n') {
				double t = now_ms();

				received++;
				if (t - last > gap)
					gap = t - last;
				last = t;
				if (t > end - 1000)
					last_second++;
			}
	}
	if (now_ms() - last > gap)
		gap = now_ms() - last;
	printf("received %ld longest-gap-ms %.0f last-second %ld\n", received, gap, last_second);
	close(fd);
	return 0;
}

static int cmd_storm(const char *host, const char *port, int seconds)
{
	struct sockaddr_storage ss;
	socklen_t len;
	double end = now_ms() + seconds * 1000.0, slowest = 0;
	long n = 0, failed = 0, slow = 0;

	if (resolve(host, port, SOCK_STREAM, &ss, &len) < 0)
		return 3;
	while (now_ms() < end) {
		int fd = socket(ss.ss_family, SOCK_STREAM, 0);
		struct timeval tv = { 5, 0 };
		double t0 = now_ms(), dt;

		if (fd < 0)
			return 3;
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, (struct sockaddr *)&ss, len) < 0)
			failed++;
		dt = now_ms() - t0;
		if (dt > slowest)
			slowest = dt;
		/* A lost SYN costs its retransmit timer: 1 s. */
		if (dt > 900)
			slow++;
		n++;
		close(fd);
	}
	printf("connects %ld failed %ld slowest-ms %.0f over-900ms %ld\n", n, failed, slowest, slow);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "serve") == 0)
		return cmd_serve(argv[2]);
	if (argc == 3 && strcmp(argv[1], "sink") == 0)
		return cmd_sink(argv[2]);
	if (argc == 5 && strcmp(argv[1], "tcp") == 0)
		return cmd_flow(SOCK_STREAM, argv[2], argv[3], atoi(argv[4]));
	if (argc == 5 && strcmp(argv[1], "udp") == 0)
		return cmd_flow(SOCK_DGRAM, argv[2], argv[3], atoi(argv[4]));
	if (argc == 5 && strcmp(argv[1], "storm") == 0)
		return cmd_storm(argv[2], argv[3], atoi(argv[4]));
	fprintf(stderr, "usage: flowpush serve|sink PORT | tcp|udp ADDR PORT SECONDS |"
		" storm ADDR PORT SECONDS\n");
	return 3;
}
