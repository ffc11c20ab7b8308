/* qwatch.c - times a queue from the kernel's side, reading
 * /proc/net/netfilter/nfnetlink_queue (run it in the queue's namespace).
 *
 *   qwatch drain QUEUE PID
 *       Waits until the queue stops growing (the consumer PID is stopped
 *       and the generator done), then sends SIGCONT to PID and times
 *       until the queue is empty: "drained N packets in S s: R pps, C ns
 *       CPU/packet", C being the CPU time all of PID's threads used (user
 *       and kernel, from /proc/PID/task/STAR/schedstat): the consumer's
 *       own cost, less sensitive than wall time to what else runs.
 *   qwatch rate QUEUE SECONDS
 *       Packets given a verdict per second over SECONDS, while a flood
 *       runs: id_sequence growth less the kernel's drops and the backlog. */
#include "config.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct q {
	unsigned long total, qdrop, udrop, seq;
};

static int qread(unsigned int queue, struct q *out)
{
	FILE *f = fopen("/proc/net/netfilter/nfnetlink_queue", "r");
	unsigned int num;
	unsigned long pid, total, mode, range, qd, ud, seq;
	int found = 0;

	if (!f)
		return -1;
	while (fscanf(f, "%u %lu %lu %lu %lu %lu %lu %lu %*u", &num, &pid, &total, &mode, &range,
		      &qd, &ud, &seq) == 8) {
		if (num == queue) {
			out->total = total;
			out->qdrop = qd;
			out->udrop = ud;
			out->seq = seq;
			found = 1;
		}
	}
	fclose(f);
	return found ? 0 : -1;
}

/* Nanoseconds on CPU, all threads of @pid together. */
static unsigned long long cpu_ns(pid_t pid)
{
	char path[64];
	unsigned long long sum = 0, ns;
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char file[400];
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(file, sizeof(file), "%s/%s/schedstat", path, de->d_name);
		f = fopen(file, "r");
		if (f) {
			if (fscanf(f, "%llu", &ns) == 1)
				sum += ns;
			fclose(f);
		}
	}
	closedir(d);
	return sum;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	unsigned int queue;
	struct q a, b;

	if (argc != 4)
		goto usage;
	queue = (unsigned int)atoi(argv[2]);
	if (strcmp(argv[1], "drain") == 0) {
		pid_t pid = atoi(argv[3]);
		unsigned long last = 0;
		double stable = now(), t0, deadline;
		unsigned long long cpu0;

		/* Loaded when the backlog has not grown for 300 ms. */
		for (;;) {
			if (qread(queue, &a) < 0)
				return 1;
			if (a.total != last) {
				last = a.total;
				stable = now();
			} else if (now() - stable > 0.3) {
				break;
			}
			usleep(1000);
		}
		cpu0 = cpu_ns(pid);
		t0 = now();
		kill(pid, SIGCONT);
		deadline = t0 + 60;
		/* Reading the /proc file takes the queue's lock: poll gently. */
		do {
			usleep(200);
			if (qread(queue, &b) < 0)
				return 1;
		} while (b.total > 0 && now() < deadline);
		t0 = now() - t0;
		cpu0 = cpu_ns(pid) - cpu0;
		printf("drained %lu packets in %.6f s: %.0f pps, %.0f ns CPU/packet\n", a.total, t0,
		       (double)a.total / t0, (double)cpu0 / (double)(a.total ? a.total : 1));
		return b.total == 0 ? 0 : 1;
	}
	if (strcmp(argv[1], "rate") == 0) {
		double secs = atof(argv[3]), t0;
		long done;

		if (qread(queue, &a) < 0)
			return 1;
		t0 = now();
		usleep((useconds_t)(secs * 1e6));
		if (qread(queue, &b) < 0)
			return 1;
		t0 = now() - t0;
		done = (long)(b.seq - a.seq) - (long)(b.qdrop - a.qdrop) - (long)(b.udrop - a.udrop) -
		       ((long)b.total - (long)a.total);
		printf("verdicts %ld in %.3f s: %.0f pps (kernel dropped %lu)\n", done, t0,
		       (double)done / t0, (b.qdrop - a.qdrop) + (b.udrop - a.udrop));
		return 0;
	}
usage:
	fprintf(stderr, "usage: qwatch drain QUEUE PID | qwatch rate QUEUE SECONDS\n");
	return 2;
}
