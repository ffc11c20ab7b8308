/* probe.c - traffic for the integration tests, with exact answers.
 *
 *   probe serve PORT[,PORT...]  TCP and UDP echo on each PORT, IPv4 and IPv6
 *   probe tcp ADDR PORT [N]     connect, send N messages, read each echo
 *   probe udp ADDR PORT [N]     send N datagrams, read each echo
 *   probe burst ADDR PORT N     N datagrams, each from a new source port
 *                               (N new flows), no waiting for answers
 *
 * -b SRC binds the client to a source address; -w MS sets the timeout per
 * answer (default 1500); -o BYTES gives an IPv6 client's packets a
 * destination options header of BYTES bytes (IPV6_DSTOPTS; a multiple of
 * 8, 8-2040), made of options the receiver skips (tests/rawpkt.h). Exit status: 0 all answered, 1 refused or
 * rejected (RST or ICMP error), 2 timed out, 3 usage or other error.
 * "received N" is printed for udp. */
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
#include <unistd.h>

#include "resolve.h"

#include "rawpkt.h"

static int timeout_ms = 1500;
static const char *bind_src;
static size_t dstopts_len;

static int client_socket(int family, int type)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd = socket(family, type, 0);

	if (fd >= 0 && bind_src) {
		if (resolve(bind_src, "0", type & ~SOCK_NONBLOCK, &ss, &len) < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0) {
			perror("bind");
			close(fd);
			return -1;
		}
	}
	if (fd >= 0 && dstopts_len && family == AF_INET6) {
		uint8_t opts[2048] = { 0 };

		raw_ipv6_options(opts, dstopts_len);
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_DSTOPTS, opts, (socklen_t)dstopts_len) < 0) {
			perror("setsockopt(IPV6_DSTOPTS)");
			close(fd);
			return -1;
		}
	}
	return fd;
}

static int wait_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n = poll(&p, 1, timeout_ms);

	return n > 0 ? 0 : -1;
}

static int errno_status(int err)
{
	return (err == ECONNREFUSED || err == EHOSTUNREACH || err == ENETUNREACH ||
		err == EACCES || err == EPERM || err == ECONNRESET) ? 1 : 2;
}

static int do_tcp(const char *host, const char *port, int count)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char buf[100], in[100];
	int fd, i, err;
	struct pollfd p;
	socklen_t elen = sizeof(err);

	if (resolve(host, port, SOCK_STREAM, &ss, &len) < 0)
		return 3;
	fd = client_socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK);
	if (fd < 0)
		return 3;
	if (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS)
		return errno_status(errno);
	p.fd = fd;
	p.events = POLLOUT;
	if (poll(&p, 1, timeout_ms) <= 0) {
		fprintf(stderr, "tcp: connect timed out\n");
		return 2;
	}
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
	if (err) {
		fprintf(stderr, "tcp: connect: %s\n", strerror(err));
		return errno_status(err);
	}
	for (i = 0; i < count; i++) {
		size_t got = 0;

		memset(buf, 'a' + i % 26, sizeof(buf));
		if (send(fd, buf, sizeof(buf), MSG_NOSIGNAL) != (ssize_t)sizeof(buf))
			return errno_status(errno);
		while (got < sizeof(in)) {
			ssize_t n;

			if (wait_readable(fd) < 0) {
				fprintf(stderr, "tcp: echo %d timed out\n", i);
				return 2;
			}
			n = recv(fd, in + got, sizeof(in) - got, 0);
			if (n <= 0)
				return n == 0 ? 1 : errno_status(errno);
			got += (size_t)n;
		}
		if (memcmp(buf, in, sizeof(in)) != 0)
			return 3;
	}
	close(fd);
	return 0;
}

static int do_udp(const char *host, const char *port, int count)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char buf[64];
	int fd, i, received = 0, status = 0;

	if (resolve(host, port, SOCK_DGRAM, &ss, &len) < 0)
		return 3;
	fd = client_socket(ss.ss_family, SOCK_DGRAM);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) < 0)
		return 3;
	for (i = 0; i < count; i++) {
		snprintf(buf, sizeof(buf), "datagram %d", i);
		if (send(fd, buf, strlen(buf), 0) < 0) {
			status = errno_status(errno);
			continue;
		}
		if (wait_readable(fd) < 0) {
			status = 2;
			continue;
		}
		if (recv(fd, buf, sizeof(buf), 0) < 0) {
			status = errno_status(errno);
			continue;
		}
		received++;
	}
	printf("received %d\n", received);
	return received == count ? 0 : status ? status : 2;
}

static int do_burst(const char *host, const char *port, int count)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int i;

	if (resolve(host, port, SOCK_DGRAM, &ss, &len) < 0)
		return 3;
	for (i = 0; i < count; i++) {
		int fd = client_socket(ss.ss_family, SOCK_DGRAM);

		if (fd < 0 || sendto(fd, "burst", 5, 0, (struct sockaddr *)&ss, len) < 0)
			return 3;
		close(fd);
	}
	return 0;
}

/* Echo server on every port of a comma-separated list: a TCP listener and
 * a UDP socket each. */
static int do_serve(const char *ports)
{
	struct pollfd p[512];
	int kind[512];		/* 0 listener, 1 udp, 2 connection */
	int n = 0, off = 0, on = 1, i;
	char *list = strdup(ports), *tok, *save = NULL;

	for (tok = strtok_r(list, ",", &save); tok && n < 64; tok = strtok_r(NULL, ",", &save)) {
		struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)atoi(tok)) };

		for (i = 0; i < 2; i++, n++) {
			p[n].fd = socket(AF_INET6, i ? SOCK_DGRAM : SOCK_STREAM, 0);
			kind[n] = i;
			setsockopt(p[n].fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
			setsockopt(p[n].fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
			if (bind(p[n].fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
				perror("serve: bind");
				return 3;
			}
			if (!i)
				listen(p[n].fd, 128);
			p[n].events = POLLIN;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("serving\n");
	for (;;) {
		if (poll(p, (nfds_t)n, -1) < 0)
			continue;
		for (i = 0; i < n; i++) {
			char buf[2048];
			ssize_t r;

			if (!p[i].revents)
				continue;
			if (kind[i] == 0 && n < 512) {
				int fd = accept(p[i].fd, NULL, NULL);

				if (fd >= 0) {
					p[n].fd = fd;
					p[n].events = POLLIN;
					p[n].revents = 0;
					kind[n++] = 2;
				}
			} else if (kind[i] == 1) {
				struct sockaddr_storage from;
				socklen_t flen = sizeof(from);

				r = recvfrom(p[i].fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
				if (r >= 0) {
					sendto(p[i].fd, buf, (size_t)r, 0, (struct sockaddr *)&from, flen);
					printf("udp\n");
				}
			} else if (kind[i] == 2) {
				r = recv(p[i].fd, buf, sizeof(buf), 0);
				if (r <= 0 || send(p[i].fd, buf, (size_t)r, MSG_NOSIGNAL) != r) {
					close(p[i].fd);
					p[i] = p[n - 1];
					kind[i] = kind[n - 1];
					n--;
					i--;
				}
			}
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	int opt, count;

	while ((opt = getopt(argc, argv, "b:w:o:")) != -1) {
		if (opt == 'b') {
			bind_src = optarg;
		} else if (opt == 'w') {
			timeout_ms = atoi(optarg);
		} else if (opt == 'o') {
			dstopts_len = strtoul(optarg, NULL, 0);
			if (dstopts_len % 8 || dstopts_len > 2040) {
				fprintf(stderr, "probe: -o BYTES: a multiple of 8 up to 2040\n");
				return 3;
			}
		} else {
			return 3;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 2 && strcmp(argv[0], "serve") == 0)
		return do_serve(argv[1]);
	if (argc < 3)
		goto usage;
	count = argc > 3 ? atoi(argv[3]) : 1;
	if (strcmp(argv[0], "tcp") == 0)
		return do_tcp(argv[1], argv[2], count);
	if (strcmp(argv[0], "udp") == 0)
		return do_udp(argv[1], argv[2], count);
	if (strcmp(argv[0], "burst") == 0)
		return do_burst(argv[1], argv[2], count);
usage:
	fprintf(stderr, "usage: probe [-b SRC] [-w MS] [-o BYTES] serve PORT | tcp|udp ADDR PORT [N] | burst ADDR PORT N\n");
	return 3;
}
