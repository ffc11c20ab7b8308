/* ctlpeer.c - control socket clients that misbehave, for the tests.
 *
 *   ctlpeer hold SOCK N      opens N clients that say nothing; prints
 *                            "ready N held B busy" (B: told "error busy"
 *                            within 300 ms), then waits to be killed
 *   ctlpeer send SOCK FILE   sends FILE's bytes (- for stdin) and prints
 *                            what comes back until the daemon closes or
 *                            -w MS pass (default 8000), then "closed after
 *                            MS ms" or "open after MS ms"
 *   ctlpeer dgram PATH       a datagram socket at PATH (a stand-in for the
 *                            journal's): prints "ready", then each datagram
 *                            and a line "--" after it, until killed
 * Exit status: 0, or 2 when the socket cannot be reached. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "ctlpeer: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	return fd;
}

static int hold(const char *path, int n)
{
	int *fd = calloc((size_t)n, sizeof(*fd)), i, busy = 0;
	char buf[128];

	if (!fd)
		return 2;
	for (i = 0; i < n; i++)
		fd[i] = connect_to(path);
	usleep(300000);
	for (i = 0; i < n; i++) {
		ssize_t r = recv(fd[i], buf, sizeof(buf) - 1, MSG_DONTWAIT);

		if (r > 0 && strncmp(buf, "error busy", 10) == 0)
			busy++;
	}
	printf("ready %d held %d busy\n", n - busy, busy);
	fflush(stdout);
	for (;;)
		pause();
}

static int send_file(const char *path, const char *file, int wait_ms)
{
	FILE *in = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
	char buf[65536];
	size_t n;
	long long t0;
	int fd = connect_to(path);

	if (!in)
		return 2;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (send(fd, buf, n, MSG_NOSIGNAL) < 0)
			break;
	t0 = now_ms();
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		long long left = wait_ms - (now_ms() - t0);
		ssize_t r;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
			printf("open after %lld ms\n", now_ms() - t0);
			return 0;
		}
		r = recv(fd, buf, sizeof(buf), 0);
		if (r <= 0) {
			printf("closed after %lld ms\n", now_ms() - t0);
			return 0;
		}
		fwrite(buf, 1, (size_t)r, stdout);
		fflush(stdout);
	}
}

static int dgram(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	static char buf[65536];

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		fprintf(stderr, "ctlpeer: %s: %s\n", path, strerror(errno));
		return 2;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0 && errno != EINTR)
			return 2;
		if (n > 0) {
			fwrite(buf, 1, (size_t)n, stdout);
			printf("\n--\n");
			fflush(stdout);
		}
	}
}

int main(int argc, char **argv)
{
	int wait_ms = 8000;

	if (argc > 2 && strcmp(argv[1], "-w") == 0) {
		wait_ms = atoi(argv[2]);
		argv += 2;
		argc -= 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (argc == 4 && strcmp(argv[1], "hold") == 0)
		return hold(argv[2], atoi(argv[3]));
	if (argc == 4 && strcmp(argv[1], "send") == 0)
		return send_file(argv[2], argv[3], wait_ms);
	if (argc == 3 && strcmp(argv[1], "dgram") == 0)
		return dgram(argv[2]);
	fprintf(stderr, "usage: ctlpeer [-w MS] hold SOCK N | send SOCK FILE | dgram PATH\n");
	return 2;
}
