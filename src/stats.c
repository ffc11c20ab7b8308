/* stats.c - counters, and the kernel's own counters for our queue. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "stats.h"

void stats_publish(struct stats *s, const uint64_t local[ST_COUNT])
{
	int i;

	for (i = 0; i < ST_COUNT; i++)
		atomic_store_explicit(&s->v[i], local[i], memory_order_relaxed);
}

#define KERNEL_QUEUES "/proc/net/netfilter/nfnetlink_queue"

/* The file is root's alone (0440): a daemon that gives up root keeps it
 * open from before (stats_kernel_open) and reads it with pread, which
 * threads may do side by side. */
static int kernel_fd = -1;

int stats_kernel_open(void)
{
	if (kernel_fd < 0)
		kernel_fd = open(KERNEL_QUEUES, O_RDONLY | O_CLOEXEC);
	return kernel_fd < 0 ? -1 : 0;
}

/* The file's text now, in *@buf (the caller frees it). */
static FILE *kernel_queues(char **buf)
{
	char chunk[4096];
	size_t len = 0;
	ssize_t n;
	FILE *m;

	*buf = NULL;
	if (kernel_fd < 0)
		return fopen(KERNEL_QUEUES, "r");
	if (!(m = open_memstream(buf, &len)))
		return NULL;
	while ((n = pread(kernel_fd, chunk, sizeof(chunk), (off_t)len)) > 0)
		if (fwrite(chunk, 1, (size_t)n, m) != (size_t)n || fflush(m) != 0)
			break;
	fputc('\n', m);	/* never empty: fmemopen refuses size 0 */
	fclose(m);
	return *buf ? fmemopen(*buf, len, "r") : NULL;
}

void stats_read(const struct stats *s, uint64_t v[ST_COUNT])
{
	int i;

	for (i = 0; i < ST_COUNT; i++)
		v[i] = atomic_load_explicit(&s->v[i], memory_order_relaxed);
}

/* Policies made so far: each gets the next number. Only the main thread
 * makes them (at start and at a reload), never the packet path. */
static uint32_t policies;

struct stats_policy *stats_policy_new(size_t nworkers, size_t nrules, size_t nsets)
{
	struct stats_policy *sp = calloc(1, sizeof(*sp));
	struct timespec ts;
	size_t per_line = 64 / sizeof(uint64_t), i, n;

	if (!sp)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	sp->born_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	sp->id = ++policies;
	sp->nworkers = nworkers;
	sp->nrules = nrules;
	sp->nsets = nsets;
	sp->stride = (nrules + 1 + 2 * nsets + per_line - 1) / per_line * per_line;
	n = sp->stride * (nworkers ? nworkers : 1);
	sp->v = aligned_alloc(64, n * sizeof(*sp->v));
	if (!sp->v) {
		free(sp);
		return NULL;
	}
	for (i = 0; i < n; i++)
		atomic_init(&sp->v[i], 0);
	return sp;
}

void stats_policy_free(struct stats_policy *sp)
{
	if (!sp)
		return;
	free(sp->v);
	free(sp);
}

uint64_t stats_policy_sum(const struct stats_policy *sp, size_t i)
{
	uint64_t sum = 0;
	size_t w;

	for (w = 0; w < sp->nworkers; w++)
		sum += atomic_load_explicit(&sp->v[w * sp->stride + i], memory_order_relaxed);
	return sum;
}

/* Columns: queue, portid, queue_total, copy_mode, copy_range,
 * queue_dropped, user_dropped, id_sequence, 1. Matching the portid too
 * makes sure the line is ours, not a queue someone else bound. */
int stats_kernel_read(uint16_t queue, uint32_t portid, struct stats_kernel *k)
{
	char *buf;
	FILE *f = kernel_queues(&buf);
	unsigned int q, pid, total, mode, range, qd, ud, seq;

	memset(k, 0, sizeof(*k));
	if (!f) {
		free(buf);
		return -1;
	}
	while (fscanf(f, "%u %u %u %u %u %u %u %u %*u", &q, &pid, &total, &mode, &range,
		      &qd, &ud, &seq) == 8) {
		if (q != queue || (portid && pid != portid))
			continue;
		k->found = 1;
		k->portid = pid;
		k->queue_total = total;
		k->queue_dropped = qd;
		k->user_dropped = ud;
		k->id_sequence = seq;
	}
	fclose(f);
	free(buf);
	return k->found ? 0 : -1;
}

void stats_format(const struct stats *s, uint16_t queue, const struct stats_kernel *k,
		  char *buf, size_t len)
{
	uint64_t v[ST_COUNT];
	int n;

	stats_read(s, v);
	n = snprintf(buf, len,
		     "queue %u: packets %lu accept %lu drop %lu reject %lu mark %lu default %lu"
		     " malformed %lu cut %lu short %lu reply %lu no-id %lu loops %lu | verdict-msgs %lu batch-msgs %lu"
		     " recv-calls %lu send-calls %lu batches %lu logged %lu log-dropped %lu | enobufs %lu truncated %lu send-errors %lu"
		     " kernel-errors %lu ring-empty %lu rearms %lu",
		     queue, v[ST_PACKETS], v[ST_ACCEPT], v[ST_DROP], v[ST_REJECT], v[ST_MARK],
		     v[ST_DEFAULT], v[ST_MALFORMED], v[ST_CUT], v[ST_SHORT], v[ST_REPLY], v[ST_NO_ID], v[ST_LOOPS],
		     v[ST_VERDICT_MSGS], v[ST_BATCH_MSGS], v[ST_RECV_CALLS], v[ST_SEND_CALLS],
		     v[ST_BATCHES], v[ST_LOGGED], v[ST_LOG_DROPPED],
		     v[ST_ENOBUFS], v[ST_TRUNCATED], v[ST_SEND_ERRORS], v[ST_KERNEL_ERRORS],
		     v[ST_RING_EMPTY], v[ST_REARMS]);
	if (k && k->found && n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n,
			 " | kernel: waiting %u queue-dropped %u user-dropped %u id-sequence %u",
			 k->queue_total, k->queue_dropped, k->user_dropped, k->id_sequence);
}
