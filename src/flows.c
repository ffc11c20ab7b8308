/* flows.c - the workers' notes of which rule judged a connection (see
 * flows.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "flows.h"

int flow_table_init(struct flow_table *t)
{
	size_t i;

	t->e = malloc(FLOW_NOTES * sizeof(*t->e));
	if (!t->e)
		return -1;
	for (i = 0; i < FLOW_NOTES; i++)
		atomic_init(&t->e[i], 0);
	return 0;
}

void flow_table_free(struct flow_table *t)
{
	free(t->e);
	t->e = NULL;
}

bool flow_note_get(const struct flow_table *t, const struct pkt *p, uint32_t policy, int *rule)
{
	uint64_t h = flow_hash(p);
	uint64_t w = atomic_load_explicit(&t->e[flow_slot(h)], memory_order_relaxed);

	if ((w & 0xfffff) == 0 || (w & ~0xfffffull) != (flow_word(h, policy, -2) & ~0xfffffull))
		return false;
	*rule = (int)(w & 0xfffff) - 2;
	return true;
}
