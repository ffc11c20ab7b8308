/* gen.c - publishing a generation to the workers (see gen.h). */
#include "config.h"

#include <time.h>

#include "gen.h"

void gen_slot_init(struct gen_slot *s, struct gen *first)
{
	atomic_init(&s->cur, first);
	atomic_init(&s->seq, 0);
}

void gen_reader_init(struct gen_reader *r)
{
	atomic_init(&r->seen, GEN_IDLE);
}

const struct gen *gen_enter(struct gen_slot *s, struct gen_reader *r)
{
	atomic_store(&r->seen, atomic_load(&s->seq));
	return atomic_load(&s->cur);
}

void gen_leave(struct gen_reader *r)
{
	atomic_store(&r->seen, GEN_IDLE);
}

struct gen *gen_publish(struct gen_slot *s, struct gen *g, struct gen_reader *const *r, size_t n)
{
	struct gen *old = atomic_exchange(&s->cur, g);
	uint64_t seq = atomic_fetch_add(&s->seq, 1) + 1;
	struct timespec tick = { 0, 100000 };
	size_t i;

	/* A reader that announced an older number may hold @old: wait for it
	 * to finish its batch. One that announced nothing (idle) or this
	 * number loads @g. A batch takes microseconds to milliseconds. */
	for (i = 0; i < n; i++) {
		uint64_t seen;

		while ((seen = atomic_load(&r[i]->seen)) != GEN_IDLE && seen < seq)
			nanosleep(&tick, NULL);
	}
	return old;
}
