/* flows.h - which rule judged a connection, for verdictctl flows.
 *
 * The conntrack mark holds the verdict, not the rule (a rule index would
 * take 14 bits for 10,000 rules, bits that belong to 'mark' rules' values
 * and to other users of the mask). So each worker keeps a note per
 * judgement in a table of its own: direct-mapped, FLOW_NOTES entries keyed
 * by a hash of the connection's original tuple, a newer connection taking
 * the place of an older one. Written by its worker alone (a sequence
 * number around each entry: no lock, no locked instruction); read by the
 * main thread, which takes only an entry that was not being rewritten. */
#ifndef VD_FLOWS_H
#define VD_FLOWS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "pkt.h"

#define FLOW_NOTES (1u << 16)		/* per worker: 4 MiB */

struct flow_key {
	uint8_t family, proto;
	uint16_t sport, dport;		/* ICMP: type << 8 | code, 0 */
	union vd_addr src, dst;
};

struct flow_note {
	_Atomic uint32_t seq;		/* odd while the worker writes it */
	_Atomic uint64_t w[7];		/* the key (5 words), rule, policy */
};

struct flow_table {
	struct flow_note *e;
};

int flow_table_init(struct flow_table *t);
void flow_table_free(struct flow_table *t);

/* The key of a judged packet (its connection's original direction). */
void flow_key_of(const struct pkt *p, struct flow_key *k);

/* Worker: @rule (-1 the default) of policy @policy judged @k. */
void flow_note_put(struct flow_table *t, const struct flow_key *k, int rule, uint32_t policy);

/* Main thread: the note for @k, if the table still holds one. */
bool flow_note_get(const struct flow_table *t, const struct flow_key *k, int *rule,
		   uint32_t *policy);

#endif
