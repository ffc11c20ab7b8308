/* flows.c - the workers' notes of which rule judged a connection (see
 * flows.h). A seqlock per entry: the writer makes the sequence odd, writes
 * the words, makes it even; a reader that saw the same even number before
 * and after its copy has a whole entry. Every word is a relaxed atomic, so
 * a torn read is detected, never undefined. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "flows.h"

int flow_table_init(struct flow_table *t)
{
	/* a note a cache line: one write a judged packet touches one line */
	t->e = aligned_alloc(64, FLOW_NOTES * sizeof(*t->e));
	if (!t->e)
		return -1;
	memset(t->e, 0, FLOW_NOTES * sizeof(*t->e));
	return 0;
}

void flow_table_free(struct flow_table *t)
{
	free(t->e);
	t->e = NULL;
}

void flow_key_of(const struct pkt *p, struct flow_key *k)
{
	memset(k, 0, sizeof(*k));
	k->family = p->family;
	k->proto = p->proto;
	if (p->flags & PKT_F_PORTS) {
		k->sport = p->sport;
		k->dport = p->dport;
	} else if (p->flags & PKT_F_ICMP) {
		k->sport = (uint16_t)(p->icmp_type << 8 | p->icmp_code);
	}
	k->src = p->src;
	k->dst = p->dst;
}

static void key_words(const struct flow_key *k, uint64_t w[5])
{
	w[0] = (uint64_t)k->family | (uint64_t)k->proto << 8 | (uint64_t)k->sport << 16 |
	       (uint64_t)k->dport << 32;
	memcpy(&w[1], k->src.b, 16);
	memcpy(&w[3], k->dst.b, 16);
}

static size_t slot(const uint64_t w[5])
{
	uint64_t h = w[0];
	int i;

	for (i = 1; i < 5; i++)
		h = (h ^ w[i]) * 0x9e3779b97f4a7c15ull;
	return (size_t)(h >> 48) & (FLOW_NOTES - 1);
}

void flow_note_put(struct flow_table *t, const struct flow_key *k, int rule, uint32_t policy)
{
	uint64_t w[5];
	struct flow_note *e;
	uint32_t seq;
	int i;

	key_words(k, w);
	e = &t->e[slot(w)];
	seq = atomic_load_explicit(&e->seq, memory_order_relaxed);
	atomic_store_explicit(&e->seq, seq + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	for (i = 0; i < 5; i++)
		atomic_store_explicit(&e->w[i], w[i], memory_order_relaxed);
	atomic_store_explicit(&e->w[5], (uint64_t)(uint32_t)rule, memory_order_relaxed);
	atomic_store_explicit(&e->w[6], policy, memory_order_relaxed);
	atomic_store_explicit(&e->seq, seq + 2, memory_order_release);
}

bool flow_note_get(const struct flow_table *t, const struct flow_key *k, int *rule,
		   uint32_t *policy)
{
	uint64_t w[5], got[7];
	const struct flow_note *e;
	uint32_t s1, s2;
	int i;

	key_words(k, w);
	e = &t->e[slot(w)];
	s1 = atomic_load_explicit(&e->seq, memory_order_acquire);
	for (i = 0; i < 7; i++)
		got[i] = atomic_load_explicit(&e->w[i], memory_order_relaxed);
	atomic_thread_fence(memory_order_acquire);
	s2 = atomic_load_explicit(&e->seq, memory_order_relaxed);
	if (s1 != s2 || (s1 & 1) || s1 == 0 || memcmp(got, w, sizeof(w)) != 0)
		return false;
	*rule = (int)(uint32_t)got[5];
	*policy = (uint32_t)got[6];
	return true;
}
