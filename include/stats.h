/* stats.h - per-queue counters. The worker counts in plain fields and
 * publishes them once per batch with relaxed atomic stores, so the packet
 * path takes no lock and no locked instruction; readers see values at most
 * one batch old. */
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
	ST_COUNT
};

struct stats {
	_Atomic uint64_t v[ST_COUNT];
};

/* The kernel's view of one queue, from /proc/net/netfilter/nfnetlink_queue. */
struct stats_kernel {
	int found;
	uint32_t portid, queue_total, queue_dropped, user_dropped, id_sequence;
};

void stats_publish(struct stats *s, const uint64_t local[ST_COUNT]);
/* Opens the kernel's queue counters for good, before the daemon gives up
 * root (the file is root's). 0, or -1 with errno. */
int stats_kernel_open(void);
int stats_kernel_read(uint16_t queue, uint32_t portid, struct stats_kernel *k);
void stats_format(const struct stats *s, uint16_t queue, const struct stats_kernel *k,
		  char *buf, size_t len);

#endif
