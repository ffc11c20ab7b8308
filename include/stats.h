/* stats.h - per-queue counters. The worker counts in plain fields and
 * publishes them once per batch with relaxed atomic stores, so the packet
 * path takes no lock and no locked instruction; readers see values at most
 * one batch old. Per-rule and per-set counters (struct stats_policy) are
 * one row per worker, each written by its worker alone with a relaxed
 * load and store (no read-modify-write, so no locked instruction either);
 * the main thread sums the rows. */
#ifndef VD_STATS_H
#define VD_STATS_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

enum stat_id {
	ST_PACKETS,		/* packets received */
	ST_ACCEPT,		/* by verdict taken */
	ST_DROP,
	ST_REJECT,
	ST_MARK,
	ST_DEFAULT,		/* judged by the default action */
	ST_MALFORMED,		/* not judged: given the on-error verdict */
	ST_CUT,			/* of which headers past the copy range */
	ST_SHORT,		/* dropped: a port or ICMP match met a short header */
	ST_REPLY,		/* judged as their flow's original direction */
	ST_NO_ID,		/* packet messages without an id: nothing to answer */
	ST_LOOPS,		/* came back already judged: rules missing; dropped */
	ST_VERDICT_MSGS,	/* verdict messages sent */
	ST_BATCH_MSGS,		/* of which NFQNL_MSG_VERDICT_BATCH */
	ST_RECV_CALLS,
	ST_SEND_CALLS,
	ST_ENOBUFS,		/* receive overruns: the kernel lost packets */
	ST_TRUNCATED,
	ST_RING_EMPTY,		/* ring: a packet came with no free buffer (it waited) */
	ST_REARMS,		/* ring: multishot receives started again */
	ST_SEND_ERRORS,		/* verdict buffers the kernel refused */
	ST_KERNEL_ERRORS,	/* error replies from the kernel (e.g. unknown id) */
	ST_BATCHES,		/* receive batches judged */
	ST_LOGGED,		/* verdicts of 'log' rules written to the log */
	ST_LOG_DROPPED,		/* of those, lines the rate limit held back */
	/* Histograms, bucket i counting values up to stats_*_bound(i); the
	 * last bucket has no bound. */
	ST_BATCH_HIST,		/* receive batches by packets in them */
	ST_LAT_HIST = ST_BATCH_HIST + 10,	/* packets by time in verdictd */
	ST_LAT_SUM_NS = ST_LAT_HIST + 16,	/* their time in verdictd, summed */
	ST_COUNT
};

#define STATS_BATCH_BUCKETS 10		/* 1, 2, 4, ... 256, more */
#define STATS_LAT_BUCKETS 16		/* 1 us, 2 us, 4 us, ... 16.4 ms, more */

/* Bucket bounds: packets, nanoseconds. */
static inline uint64_t stats_batch_bound(unsigned int i)
{
	return 1ull << i;
}

static inline uint64_t stats_lat_bound(unsigned int i)
{
	return 1000ull << i;
}

/* The bucket of a batch of @n packets (n >= 1) and of @ns nanoseconds. */
static inline unsigned int stats_batch_bucket(uint64_t n)
{
	unsigned int b = n <= 1 ? 0 : 64 - (unsigned int)__builtin_clzll(n - 1);

	return b < STATS_BATCH_BUCKETS - 1 ? b : STATS_BATCH_BUCKETS - 1;
}

static inline unsigned int stats_lat_bucket(uint64_t ns)
{
	uint64_t us = (ns + 999) / 1000;
	unsigned int b = us <= 1 ? 0 : 64 - (unsigned int)__builtin_clzll(us - 1);

	return b < STATS_LAT_BUCKETS - 1 ? b : STATS_LAT_BUCKETS - 1;
}

struct stats {
	_Atomic uint64_t v[ST_COUNT];
};

/* The kernel's view of one queue, from /proc/net/netfilter/nfnetlink_queue. */
struct stats_kernel {
	int found;
	uint32_t portid, queue_total, queue_dropped, user_dropped, id_sequence;
};

/* Per-rule and per-set counters of one policy, one row per worker. Row w:
 * rule hits [0, nrules) and the default's [nrules], then set lookups
 * [nrules + 1 + i] and hits [nrules + 1 + nsets + i]. Rows are padded to
 * cache lines: no two workers write one line. */
struct stats_policy {
	size_t nworkers, nrules, nsets, stride;
	uint32_t id;			/* 1, 2, ...: tells policies apart (flows.h) */
	uint64_t born_ns;		/* CLOCK_MONOTONIC: counting since */
	_Atomic uint64_t *v;
};

struct stats_policy *stats_policy_new(size_t nworkers, size_t nrules, size_t nsets);
void stats_policy_free(struct stats_policy *sp);

/* Worker @w's row; its counters are bumped with stats_bump alone. */
static inline _Atomic uint64_t *stats_policy_row(const struct stats_policy *sp, size_t w)
{
	return sp->v + w * sp->stride;
}

/* One writer: a load and a store, never a locked instruction. */
static inline void stats_bump(_Atomic uint64_t *c)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
			      memory_order_relaxed);
}

/* Counter @i (row offset) summed over the workers. */
uint64_t stats_policy_sum(const struct stats_policy *sp, size_t i);

/* The set counters' row offsets. */
static inline size_t stats_policy_lookups(const struct stats_policy *sp, size_t set)
{
	return sp->nrules + 1 + set;
}

static inline size_t stats_policy_hits(const struct stats_policy *sp, size_t set)
{
	return sp->nrules + 1 + sp->nsets + set;
}

void stats_publish(struct stats *s, const uint64_t local[ST_COUNT]);
/* Opens the kernel's queue counters for good, before the daemon gives up
 * root (the file is root's). 0, or -1 with errno. */
int stats_kernel_open(void);
/* A consistent-enough copy of a worker's published counters. */
void stats_read(const struct stats *s, uint64_t v[ST_COUNT]);
int stats_kernel_read(uint16_t queue, uint32_t portid, struct stats_kernel *k);
void stats_format(const struct stats *s, uint16_t queue, const struct stats_kernel *k,
		  char *buf, size_t len);

#endif
