/* verdict.c - the decision: a policy verdict (or none) into a netfilter
 * verdict and a packet mark.
 *
 * The verdict travels as bits of the packet mark: the packet goes through
 * the hook again (NF_REPEAT), where the fixed rule set copies the bits
 * into the conntrack mark (CONNMARK --save-mark) and acts on them, so the
 * flow's later packets are judged by the kernel alone. Bits outside
 * mark_mask are left as they were: other users own them. A drop of a first
 * packet needs no mark: the conntrack entry dies with it. */
#include "config.h"

#include <linux/netfilter.h>

#include "verdict.h"

void verdict_decide(const struct verdict_params *vp, uint32_t pkt_mark,
		    const struct policy_verdict *pv, bool existing, struct verdict_decision *d)
{
	static const enum verdict_code code_of[] = {
		[ACT_ACCEPT] = VERDICT_ACCEPT, [ACT_MARK] = VERDICT_ACCEPT,
		[ACT_DROP] = VERDICT_DROP, [ACT_REJECT] = VERDICT_REJECT,
	};
	static const enum stat_id stat_of[] = {
		[ACT_ACCEPT] = ST_ACCEPT, [ACT_MARK] = ST_MARK,
		[ACT_DROP] = ST_DROP, [ACT_REJECT] = ST_REJECT,
	};
	uint32_t want;

	d->has_mark = false;
	/* Not judged: the on-error verdict, and no mark, so that the flow's
	 * next packet is judged again. */
	if (!pv) {
		d->stat = ST_MALFORMED;
		d->verdict = vp->on_error == ACT_ACCEPT ? NF_ACCEPT : NF_DROP;
		return;
	}
	/* Judged before yet queued again: the rule set does not act on our
	 * bits. Dropping breaks the loop; the counter tells the operator. */
	if (pkt_mark & verdict_code_mask(vp->mark_mask)) {
		d->stat = ST_LOOPS;
		d->verdict = NF_DROP;
		return;
	}
	want = verdict_code_bits(vp->mark_mask, code_of[pv->action]);
	if (pv->action == ACT_MARK)
		want |= pv->mark;
	d->stat = stat_of[pv->action];
	d->mark = (pkt_mark & ~vp->mark_mask) | want;
	/* A drop of a connection conntrack already holds is kept in its mark,
	 * so that its later packets are dropped by the kernel alone. */
	d->has_mark = pv->action != ACT_DROP || existing;
	d->verdict = d->has_mark ? NF_REPEAT : NF_DROP;
}
