/* ct.h - existing connections brought in line with the policy: after a
 * reload, every conntrack entry verdictd judged (a verdict code in its
 * mark) is judged again as its connection (original direction), and the
 * entries whose verdict now differs get the new one in their mark; the
 * others are not touched. */
#ifndef VD_CT_H
#define VD_CT_H

#include <stddef.h>

#include "gen.h"

struct ct_stats {
	size_t seen;		/* entries with a verdict code */
	size_t changed;		/* whose mark was rewritten */
	size_t unknown;		/* left as they were: the verdict depends on
				 * the interfaces, which conntrack does not keep */
	size_t failed;		/* updates the kernel refused (the entry went) */
};

/* Only the entries whose original source or destination is one address
 * (an edit of a set element of one host can change no other). */
struct ct_scope {
	uint8_t family;
	union vd_addr addr;
};

/* Every entry verdictd judged (@scope NULL), or those of @scope's address.
 * 0, or -1 with a sentence in @err (conntrack could not be read). */
int ct_revalidate(const struct gen *g, const struct ct_scope *scope, struct ct_stats *st,
		  char *err, size_t errlen);

/* One connection verdictd judged, for verdictctl flows. */
struct ct_flow {
	struct pkt p;			/* its original direction, as a packet */
	uint32_t mark;			/* the conntrack mark */
	/* The tuple its first packet had at the queue when NAT rewrote the
	 * destination before (DNAT): the original source, the reply's source
	 * as destination. */
	bool dnat;
	union vd_addr nat_dst;
	uint16_t nat_dport;
	/* The current policy's verdict for it, when interfaces do not matter. */
	bool known;
	struct policy_verdict now;
};

/* Calls @fn for each entry with a verdict code in its mark, at most @max
 * (the count of all in *@total). 0, or -1 with a sentence in @err. */
int ct_flows(const struct gen *g, size_t max, size_t *total,
	     void (*fn)(void *arg, const struct ct_flow *f), void *arg, char *err, size_t errlen);

#endif
