/* verdict.h - the mark layout, and every decision about what a queued
 * packet gets: the one owner of both, shared by the fixed rules (rules.c),
 * which act on the mark, and the worker (worker.c), which writes it.
 *
 * Layout: mark_mask (verdictd's bits, in the packet mark and in the
 * conntrack mark alike) holds the verdict code in its two lowest set bits
 * (0 not judged, 1 accept, 2 drop, 3 reject) and a "mark" rule's value in
 * the bits above them. Its highest bit, when the mask has more than the
 * code, is also the reply flag the fixed rules set on a queued packet
 * that travels in its flow's reply direction (read on the way in only). */
#ifndef VD_VERDICT_H
#define VD_VERDICT_H

#include <stdbool.h>
#include <stdint.h>

#include "policy.h"
#include "stats.h"

enum verdict_code { VERDICT_NONE, VERDICT_ACCEPT, VERDICT_DROP, VERDICT_REJECT };

static inline uint32_t verdict_code_mask(uint32_t mark_mask)
{
	return 3u << __builtin_ctz(mark_mask);
}

static inline uint32_t verdict_code_bits(uint32_t mark_mask, enum verdict_code code)
{
	return (uint32_t)code << __builtin_ctz(mark_mask);
}

/* 0 when the mask has no bit beyond the verdict code. The verdict's mark
 * replaces the flag, so "mark" values may use that bit too. */
static inline uint32_t verdict_reply_bit(uint32_t mark_mask)
{
	uint32_t top = 1u << (31 - __builtin_clz(mark_mask));

	return (top & verdict_code_mask(mark_mask)) ? 0 : top;
}

/* What the decision needs of the configuration. */
struct verdict_params {
	uint32_t mark_mask;
	enum policy_action on_error;	/* ACT_ACCEPT or ACT_DROP */
};

/* What one packet gets. */
struct verdict_decision {
	uint32_t verdict;		/* NF_ACCEPT, NF_DROP or NF_REPEAT */
	bool has_mark;
	uint32_t mark;			/* the packet's new mark */
	enum stat_id stat;		/* the counter it goes to */
};

/* The decision for a packet whose mark is @pkt_mark: from the policy's
 * verdict @pv, or, @pv NULL, for a packet that could not be judged.
 * @existing: its connection is in conntrack already (not a first packet),
 * so a drop is kept in the mark too. */
void verdict_decide(const struct verdict_params *vp, uint32_t pkt_mark,
		    const struct policy_verdict *pv, bool existing, struct verdict_decision *d);

#endif
