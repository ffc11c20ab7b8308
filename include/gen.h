/* gen.h - a generation: what the workers judge with (the configuration's
 * policy, the daemon's copies of its sets, the compiled classifier),
 * published to them in one step and freed only once no worker can still
 * be reading it. A reload builds a new generation off the packet path and
 * swaps it in; a packet is judged wholly by the old one or the new one.
 *
 * The scheme is a small epoch: each worker announces, before it touches a
 * generation, the publication number it saw (gen_enter), and that it holds
 * none (gen_leave) before it waits for packets. The publisher stores the
 * new generation, then its number (sequentially consistent, like the
 * workers' announcements), and waits until no worker announces an older
 * number: a worker that announced nothing yet will load the new one. */
#ifndef VD_GEN_H
#define VD_GEN_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "classify.h"
#include "conf.h"
#include "policy.h"
#include "stats.h"
#include "verdict.h"

struct gen {
	struct conf *conf;		/* owns the policy */
	struct policy_sets sets;	/* the daemon's copies of its sets */
	struct classifier *cls;		/* compiled from conf->policy */
	struct stats_policy *sp;	/* per-rule and per-set counters, a row a
					 * worker: they go with the policy */
	struct verdict_params vp;
	uint32_t reply_bit;		/* verdict_reply_bit(vp.mark_mask) */
	bool judges_output;		/* a rule names hook output */
	bool logs;			/* a rule has the log flag */
	bool owns;			/* conf, cls and sp are this generation's to free (a
					 * set refresh hands them on to the next) */
};

/* Where the current generation is published (one per daemon). */
struct gen_slot {
	_Atomic(struct gen *) cur;
	_Atomic uint64_t seq;		/* publications so far */
};

/* One worker's announcement. */
#define GEN_IDLE UINT64_MAX
struct gen_reader {
	_Atomic uint64_t seen;		/* GEN_IDLE: holds no generation */
};

void gen_slot_init(struct gen_slot *s, struct gen *first);
void gen_reader_init(struct gen_reader *r);

/* Worker: the generation to judge a batch with, until gen_leave. */
const struct gen *gen_enter(struct gen_slot *s, struct gen_reader *r);
void gen_leave(struct gen_reader *r);

/* Main thread: publishes @g and returns the previous generation once none
 * of the @n readers can hold it any more (for the caller to free). */
struct gen *gen_publish(struct gen_slot *s, struct gen *g, struct gen_reader *const *r, size_t n);

#endif
