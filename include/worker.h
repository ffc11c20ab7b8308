/* worker.h - one thread per queue: receive a batch, judge each packet,
 * send the batch's verdicts. */
#ifndef VD_WORKER_H
#define VD_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "classify.h"
#include "conf.h"
#include "nfq.h"
#include "policy.h"
#include "stats.h"
#include "transport.h"

/* A parsed packet waiting for the batch lookup (worker.c). */
#define WORKER_PENDING CLASSIFY_BATCH
enum worker_route {
	ROUTE_CLASSIFY,			/* whole headers: the compiled classifier */
	ROUTE_PARTIAL,			/* headers missing: policy_eval_partial */
	ROUTE_BAD,			/* unreadable: the on-error verdict */
};
struct worker_pending {
	struct nfq_packet np;		/* points into the receive batch */
	struct pkt p;
	uint8_t route;			/* enum worker_route */
};

struct worker {
	uint16_t queue;
	int cpu;			/* -1: no affinity */
	const struct conf *conf;	/* read-only while workers run */
	const struct policy_sets *sets;
	const struct classifier *cls;	/* compiled from conf->policy */
	struct mnl_socket *nl;
	struct transport *tp;
	const atomic_bool *stop;	/* set with the stop descriptor, seen between batches */
	pthread_t thread;
	struct stats stats;
	struct stats_kernel kernel_at_exit;
	char *vbuf;
	struct nfq_verdicts vd;
	uint64_t count[ST_COUNT];	/* the worker's own, published per batch */
	struct worker_pending pend[WORKER_PENDING];
	size_t npend;
};

/* Binds the queue and sets up the worker; the thread is not started. */
int worker_init(struct worker *w, uint16_t queue, int cpu, const struct conf *c,
		const struct policy_sets *sets, const struct classifier *cls, enum tp_kind kind, int stop_fd,
		const atomic_bool *stop, char *err, size_t errlen);
int worker_start(struct worker *w);
/* Joins the thread (after the stop descriptor fired) and frees everything. */
void worker_finish(struct worker *w);

/* What one packet gets: the decision in one place. Exposed for tests. */
struct worker_decision {
	uint32_t verdict;		/* NF_DROP or NF_REPEAT */
	int has_mark;
	uint32_t mark;			/* the packet's new mark */
	enum stat_id stat;
};
/* @pv NULL: the packet could not be judged (the on-error verdict). */
void worker_decide(const struct conf *c, const struct nfq_packet *np,
		   const struct policy_verdict *pv, struct worker_decision *d);

#endif
