/* flows.h - which rule judged a connection, for verdictctl flows.
 *
 * The conntrack mark holds the verdict, not the rule (a rule index would
 * take 14 bits for 10,000 rules, bits that belong to 'mark' rules' values
 * and to other users of the mask). So each worker keeps a note of each
 * judgement in a table of its own: FLOW_NOTES words, direct-mapped by a
 * hash of the connection's original tuple, a newer connection taking an
 * older one's place. A note is one 64-bit word, written with one relaxed
 * store (no lock, no locked instruction, nothing torn) by its worker alone
 * and read by the main thread:
 *   bits 63-32  a 32-bit tag, more bits of the tuple's hash (a note is
 *               taken for another connection's once in 2^32 collisions)
 *   bits 31-20  the policy's number, low 12 bits (stats_policy.id)
 *   bits 19-0   the rule index + 2 (1: the default; 0: no note)
 * Cost on the packet path: a hash of the tuple and one store. */
#ifndef VD_FLOWS_H
#define VD_FLOWS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "pkt.h"

#define FLOW_NOTES (1u << 18)		/* per worker: 2 MiB */
#define FLOW_RULE_MAX ((1 << 20) - 3)	/* rules beyond are not noted */

struct flow_table {
	_Atomic uint64_t *e;
};

int flow_table_init(struct flow_table *t);
void flow_table_free(struct flow_table *t);

/* The tuple's hash: the family, protocol, ports (or ICMP type and code)
 * and both addresses, whole 16 bytes each (pkt_parse zeroes what IPv4
 * leaves), mixed by one multiply. The table is a cache of notes, not an
 * index that must resist chosen collisions: colliding flows only take
 * each other's place, and flows then says the rule was re-judged. */
static inline uint64_t flow_hash(const struct pkt *p)
{
	uint64_t ports = (p->flags & PKT_F_PORTS) ? (uint64_t)p->sport << 16 | p->dport :
			 (p->flags & PKT_F_ICMP) ? (uint64_t)p->icmp_type << 8 | p->icmp_code : 0;
	uint64_t a[4], h;

	memcpy(a, p->src.b, 16);
	memcpy(a + 2, p->dst.b, 16);
	h = ((uint64_t)p->family | (uint64_t)p->proto << 8 | ports << 16) ^ a[0] ^
	    (a[1] << 21 | a[1] >> 43) ^ a[2] ^ (a[3] << 42 | a[3] >> 22);
	h *= 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

static inline size_t flow_slot(uint64_t h)
{
	return (size_t)(h >> 46) & (FLOW_NOTES - 1);
}

/* The slot is the hash's top 18 bits, the tag its low 32: apart. */
static inline uint64_t flow_word(uint64_t h, uint32_t policy, int rule)
{
	return h << 32 | (uint64_t)(policy & 0xfff) << 20 | (uint64_t)(rule + 2);
}

/* Worker: @rule (-1 the default) of policy @policy judged @p (as its
 * connection's original direction). Inline: it is on the packet path. */
static inline void flow_note_put(struct flow_table *t, const struct pkt *p, int rule,
				 uint32_t policy)
{
	uint64_t h = flow_hash(p);

	if (rule <= FLOW_RULE_MAX)
		atomic_store_explicit(&t->e[flow_slot(h)], flow_word(h, policy, rule),
				      memory_order_relaxed);
}

/* Main thread: the rule noted for a packet like @p by policy @policy, if
 * the table still holds its note. */
bool flow_note_get(const struct flow_table *t, const struct pkt *p, uint32_t policy, int *rule);

#endif
