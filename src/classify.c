/* classify.c - the compiled classifier (bit-vector scheme of Lakshman and
 * Stiliadis, 1998).
 *
 * Per address family, each of five fields (source, destination, source
 * port, destination port, protocol) has its value domain cut into
 * elementary intervals at every rule boundary; each interval carries a bit
 * vector of the rules whose condition on that field holds there. A lookup
 * finds the packet's interval in each field by binary search, ANDs the
 * five vectors word by word, and the lowest set bit is the first rule that
 * matches on all five fields. A rule that also needs something the tables
 * do not hold (set membership, interfaces, ICMP type or code) is marked
 * "residual" and confirmed with the reference matcher, policy_rule_matches;
 * if it fails, the scan goes on to the next bit. So the answer is the
 * linear scan's, by construction, and set contents never enter the tables.
 *
 * The protocol field also holds the netfilter hook the packet was queued
 * from: its key is hook * 256 + protocol, so a "hook" match costs no
 * extra field.
 *
 * Ports use the domain 0..65536: 65536 stands for "this packet has no
 * ports", which only rules without a port condition accept (a port match,
 * negated or not, never matches such a packet). */
#include "config.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "classify.h"

typedef unsigned __int128 u128;

enum { F_SRC, F_DST, F_SPORT, F_DPORT, F_PROTO, F_COUNT };

#define NO_PORTS 65536
#define PROTO_KEY_MAX ((POLICY_HOOK_MAX + 1) * 256 - 1)

struct interval {
	u128 lo, hi;		/* inclusive */
};

struct field {
	size_t nint;
	u128 *lo;		/* interval i is [lo[i], lo[i + 1] - 1] */
	uint32_t *lo32;		/* the same in 32 bits, when the domain fits (all
				 * but IPv6 addresses): the lookups search this */
	uint32_t *start;	/* start[j]: the interval holding key j << shift */
	unsigned int shift;
	size_t nstart;
	uint32_t *row;		/* interval -> its row of bv and agg */
	size_t nrows;
	uint64_t *bv;		/* nrows vectors of words each */
	uint64_t *agg;		/* nrows aggregates of aggwords: bit j = word j of bv not zero */
};

struct family_table {
	size_t nrules;		/* rules that apply to this family */
	size_t words;
	size_t aggwords;	/* words / 64, rounded up */
	uint32_t *rule;		/* family-local index -> policy rule index */
	uint8_t *residual;	/* confirm with policy_rule_matches */
	struct field f[F_COUNT];
};

struct classifier {
	struct family_table fam[2];	/* AF_INET, AF_INET6 */
	size_t memory;
};

/* --- building ----------------------------------------------------------- */

struct ivlist {
	size_t n, cap;
	struct interval *v;
};

static int iv_add(struct ivlist *l, u128 lo, u128 hi)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct interval *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n].lo = lo;
	l->v[l->n].hi = hi;
	l->n++;
	return 0;
}

static int iv_cmp(const void *a, const void *b)
{
	const struct interval *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Sorts and merges in place; with @neg, replaces by the complement within
 * [0, max]. */
static int iv_normalize(struct ivlist *l, bool neg, u128 max)
{
	struct ivlist out = { 0 };
	size_t i, n = 0;
	u128 next = 0;
	bool more = true;

	qsort(l->v, l->n, sizeof(*l->v), iv_cmp);
	for (i = 0; i < l->n; i++) {
		if (n > 0 && (l->v[n - 1].hi == max || l->v[i].lo <= l->v[n - 1].hi + 1)) {
			if (l->v[i].hi > l->v[n - 1].hi)
				l->v[n - 1].hi = l->v[i].hi;
			continue;
		}
		l->v[n++] = l->v[i];
	}
	l->n = n;
	if (!neg)
		return 0;
	for (i = 0; i < l->n && more; i++) {
		if (l->v[i].lo > next && iv_add(&out, next, l->v[i].lo - 1) < 0)
			goto fail;
		if (l->v[i].hi == max)
			more = false;
		else
			next = l->v[i].hi + 1;
	}
	if (more && iv_add(&out, next, max) < 0)
		goto fail;
	free(l->v);
	*l = out;
	return 0;
fail:
	free(out.v);
	return -1;
}

/* The address as a number, most significant byte first. */
static u128 addr_key(uint8_t family, const union vd_addr *a)
{
	uint64_t hi, lo;

	if (family == AF_INET)
		return ntohl(a->w[0]);
	memcpy(&hi, a->b, 8);
	memcpy(&lo, a->b + 8, 8);
	return (u128)be64toh(hi) << 64 | be64toh(lo);
}

static u128 addr_max(uint8_t family)
{
	return family == AF_INET ? (u128)0xffffffffu : ~(u128)0;
}

/* The intervals a rule accepts on @field (its set matches are left to
 * the residual check). */
static int rule_intervals(const struct policy_rule *r, uint8_t family, int field,
			  struct ivlist *l)
{
	const struct match_addr *ma = field == F_SRC ? &r->src : &r->dst;
	const struct match_ports *mp = field == F_SPORT ? &r->sport : &r->dport;
	u128 max = addr_max(family);
	size_t i;

	switch (field) {
	case F_SRC:
	case F_DST:
		if (!ma->present)
			return iv_add(l, 0, max);
		for (i = 0; i < ma->n; i++) {
			unsigned int bits = family == AF_INET ? 32 : 128;
			u128 net = addr_key(family, &ma->pfx[i].addr);
			u128 host = ma->pfx[i].plen >= bits ? 0 : max >> ma->pfx[i].plen;

			if (ma->pfx[i].family == family && iv_add(l, net, net | host) < 0)
				return -1;
		}
		return iv_normalize(l, ma->neg, max);
	case F_SPORT:
	case F_DPORT:
		if (!mp->present)
			return iv_add(l, 0, NO_PORTS);
		for (i = 0; i < mp->n; i++)
			if (iv_add(l, mp->range[i].lo, mp->range[i].hi) < 0)
				return -1;
		return iv_normalize(l, mp->neg, 65535);
	default:
		for (i = 0; i <= POLICY_HOOK_MAX; i++) {
			u128 base = (u128)i * 256;

			if (r->hook && r->hook != i)
				continue;
			if (iv_add(l, base + (r->proto < 0 ? 0 : (u128)r->proto),
				   base + (r->proto < 0 ? 255 : (u128)r->proto)) < 0)
				return -1;
		}
		return iv_normalize(l, false, PROTO_KEY_MAX);
	}
}

static int u128_cmp(const void *a, const void *b)
{
	u128 x = *(const u128 *)a, y = *(const u128 *)b;

	return x < y ? -1 : x > y;
}

/* Index of the interval holding @key: the last lo[i] <= key, searched
 * between lo and hi - 1. */
static size_t field_search(const struct field *f, u128 key, size_t lo, size_t hi)
{
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->lo[mid] <= key)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* The packet path's search: 32-bit keys where the domain allows, a
 * quarter of the memory and cheaper compares than 128-bit ones. */
static size_t field_search_fast(const struct field *f, u128 key, size_t lo, size_t hi)
{
	uint32_t k = (uint32_t)key;

	if (!f->lo32)
		return field_search(f, key, lo, hi);
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->lo32[mid] <= k)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static size_t start_bucket(const struct field *f, u128 key)
{
	return f->lo32 ? (size_t)((uint32_t)key >> f->shift) : (size_t)(key >> f->shift);
}

/* The start table narrows the search to the intervals that meet the key's
 * bucket of the domain (its top bits): usually one or two, so a lookup
 * touches a cache line or two a field instead of a binary search's path
 * through a large array. This is what keeps 8k rules close to 1k. */
static size_t field_find(const struct field *f, u128 key)
{
	size_t j;

	if (!f->start)
		return field_search(f, key, 0, f->nint);
	j = (size_t)(key >> f->shift);
	return field_search(f, key, f->start[j], j + 1 < f->nstart ? f->start[j + 1] + 1 : f->nint);
}

static int field_index(struct field *f, u128 max)
{
	unsigned int bits = 0, want = 1;
	size_t j;

	if (max <= UINT32_MAX) {
		f->lo32 = malloc(f->nint * sizeof(*f->lo32));
		if (!f->lo32)
			return -1;
		for (j = 0; j < f->nint; j++)
			f->lo32[j] = (uint32_t)f->lo[j];
	}
	if (f->nint <= 8)
		return 0;
	while (want < 16 && ((size_t)1 << want) < 2 * f->nint)
		want++;
	while (bits < 128 && (max >> bits) != 0)
		bits++;
	f->shift = bits > want ? bits - want : 0;
	f->nstart = (size_t)(max >> f->shift) + 1;
	f->start = malloc(f->nstart * sizeof(*f->start));
	if (!f->start)
		return -1;
	for (j = 0; j < f->nstart; j++)
		f->start[j] = (uint32_t)field_search(f, (u128)j << f->shift, 0, f->nint);
	return 0;
}

static uint64_t row_hash(const uint64_t *v, size_t words)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t k;

	for (k = 0; k < words; k++)
		h = (h ^ v[k]) * 0x100000001b3ull;
	return h ^ h >> 29;
}

/* Many intervals carry the same set of rules (a run of ports no rule
 * tells apart, addresses between two rules' prefixes): they share one row,
 * compacted in place, which cuts memory and the lookups' cache misses. */
static int field_intern(struct field *f, size_t words)
{
	size_t cap = 16, i, h;
	uint32_t *slot;
	uint64_t *shrunk;

	while (cap < 2 * f->nint)
		cap *= 2;
	slot = malloc(cap * sizeof(*slot));
	f->row = malloc(f->nint * sizeof(*f->row));
	if (!slot || !f->row) {
		free(slot);
		return -1;
	}
	memset(slot, 0xff, cap * sizeof(*slot));
	f->nrows = 0;
	for (i = 0; i < f->nint; i++) {
		const uint64_t *v = f->bv + i * words;

		for (h = row_hash(v, words) & (cap - 1); slot[h] != UINT32_MAX; h = (h + 1) & (cap - 1))
			if (memcmp(f->bv + (size_t)slot[h] * words, v, words * sizeof(*v)) == 0)
				break;
		if (slot[h] == UINT32_MAX) {
			if (f->nrows != i)
				memcpy(f->bv + f->nrows * words, v, words * sizeof(*v));
			slot[h] = (uint32_t)f->nrows++;
		}
		f->row[i] = slot[h];
	}
	free(slot);
	shrunk = realloc(f->bv, f->nrows * words * sizeof(*f->bv));
	if (shrunk)
		f->bv = shrunk;
	return 0;
}

static int field_build(struct field *f, struct ivlist *per_rule, size_t nrules, size_t words,
		       size_t aggwords, u128 max)
{
	size_t nb = 1, r, k, i;

	for (r = 0; r < nrules; r++)
		nb += 2 * per_rule[r].n;
	f->lo = malloc(nb * sizeof(*f->lo));
	if (!f->lo)
		return -1;
	nb = 0;
	f->lo[nb++] = 0;
	for (r = 0; r < nrules; r++) {
		for (k = 0; k < per_rule[r].n; k++) {
			f->lo[nb++] = per_rule[r].v[k].lo;
			if (per_rule[r].v[k].hi != max)
				f->lo[nb++] = per_rule[r].v[k].hi + 1;
		}
	}
	qsort(f->lo, nb, sizeof(*f->lo), u128_cmp);
	for (i = 1, f->nint = 1; i < nb; i++)
		if (f->lo[i] != f->lo[f->nint - 1])
			f->lo[f->nint++] = f->lo[i];
	f->bv = calloc(f->nint * words, sizeof(*f->bv));
	if (!f->bv)
		return -1;
	for (r = 0; r < nrules; r++) {
		for (k = 0; k < per_rule[r].n; k++) {
			size_t first = field_find(f, per_rule[r].v[k].lo);
			size_t last = per_rule[r].v[k].hi == max ? f->nint - 1
								: field_find(f, per_rule[r].v[k].hi);

			for (i = first; i <= last; i++)
				f->bv[i * words + r / 64] |= 1ull << (r % 64);
		}
	}
	if (field_intern(f, words) < 0)
		return -1;
	/* Aggregated bit vectors (Baboescu and Varghese): a lookup ANDs
	 * these first and visits only words that can hold a match, so its
	 * cost follows the matches, not the number of rules. */
	f->agg = calloc(f->nrows * aggwords, sizeof(*f->agg));
	if (!f->agg)
		return -1;
	for (i = 0; i < f->nrows; i++)
		for (k = 0; k < words; k++)
			if (f->bv[i * words + k])
				f->agg[i * aggwords + k / 64] |= 1ull << (k % 64);
	return field_index(f, max);
}

static int family_build(struct family_table *t, const struct policy *pol, uint8_t family)
{
	struct ivlist *lists = NULL;
	size_t i, n = 0;
	int field, ret = -1;

	t->rule = malloc((pol->nrules ? pol->nrules : 1) * sizeof(*t->rule));
	t->residual = calloc(pol->nrules ? pol->nrules : 1, 1);
	if (!t->rule || !t->residual)
		return -1;
	for (i = 0; i < pol->nrules; i++) {
		const struct policy_rule *r = &pol->rules[i];

		if (r->family && r->family != family)
			continue;
		t->rule[n] = (uint32_t)i;
		t->residual[n] = r->iif.present || r->oif.present || r->icmp_type >= 0 ||
				 r->icmp_code >= 0 || r->nsetm > 0;
		n++;
	}
	t->nrules = n;
	t->words = (n + 63) / 64;
	if (t->words == 0)
		t->words = 1;
	t->aggwords = (t->words + 63) / 64;
	lists = calloc(n ? n : 1, sizeof(*lists));
	if (!lists)
		return -1;
	for (field = 0; field < F_COUNT; field++) {
		u128 max = field <= F_DST ? addr_max(family) : field == F_PROTO ? PROTO_KEY_MAX : NO_PORTS;

		for (i = 0; i < n; i++) {
			lists[i].n = 0;
			if (rule_intervals(&pol->rules[t->rule[i]], family, field, &lists[i]) < 0)
				goto out;
		}
		if (field_build(&t->f[field], lists, n, t->words, t->aggwords, max) < 0)
			goto out;
	}
	ret = 0;
out:
	for (i = 0; i < n; i++)
		free(lists[i].v);
	free(lists);
	return ret;
}

static void family_free(struct family_table *t)
{
	int f;

	for (f = 0; f < F_COUNT; f++) {
		free(t->f[f].lo);
		free(t->f[f].lo32);
		free(t->f[f].bv);
		free(t->f[f].agg);
		free(t->f[f].start);
		free(t->f[f].row);
	}
	free(t->rule);
	free(t->residual);
}

static size_t family_memory(const struct family_table *t)
{
	size_t sum = t->nrules * (sizeof(*t->rule) + 1);
	int f;

	for (f = 0; f < F_COUNT; f++)
		sum += t->f[f].nint * (sizeof(u128) + sizeof(uint32_t) + (t->f[f].lo32 ? 4 : 0)) +
		       t->f[f].nrows * (t->words + t->aggwords) * sizeof(uint64_t) +
		       t->f[f].nstart * sizeof(uint32_t);
	return sum;
}

struct classifier *classify_build(const struct policy *pol)
{
	struct classifier *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (family_build(&c->fam[0], pol, AF_INET) < 0 || family_build(&c->fam[1], pol, AF_INET6) < 0) {
		classify_free(c);
		errno = ENOMEM;
		return NULL;
	}
	c->memory = sizeof(*c) + family_memory(&c->fam[0]) + family_memory(&c->fam[1]);
	return c;
}

void classify_free(struct classifier *c)
{
	if (!c)
		return;
	family_free(&c->fam[0]);
	family_free(&c->fam[1]);
	free(c);
}

size_t classify_memory(const struct classifier *c)
{
	return c->memory;
}

/* --- lookup ------------------------------------------------------------- */

/* One packet's progress through a lookup: its keys, then the interval it
 * falls in on each field. */
struct probe {
	const struct family_table *t;
	u128 key[F_COUNT];
	size_t lo[F_COUNT], hi[F_COUNT];	/* the search range, from the start table */
};

static void probe_keys(const struct classifier *c, const struct pkt *p, struct probe *q)
{
	int f;

	q->t = &c->fam[p->family == AF_INET6];
	q->key[F_SRC] = addr_key(p->family, &p->src);
	q->key[F_DST] = addr_key(p->family, &p->dst);
	q->key[F_SPORT] = (p->flags & PKT_F_PORTS) ? p->sport : NO_PORTS;
	q->key[F_DPORT] = (p->flags & PKT_F_PORTS) ? p->dport : NO_PORTS;
	q->key[F_PROTO] = (u128)(p->hook <= POLICY_HOOK_MAX ? p->hook : 0) * 256 + p->proto;
	for (f = 0; f < F_COUNT; f++)
		if (q->t->f[f].start)
			__builtin_prefetch(&q->t->f[f].start[start_bucket(&q->t->f[f], q->key[f])]);
}

/* The start table's narrowing (see field_find), kept for the search. */
static void probe_range(struct probe *q)
{
	int f;

	for (f = 0; f < F_COUNT; f++) {
		const struct field *fd = &q->t->f[f];
		size_t j;

		if (!fd->start) {
			q->lo[f] = 0;
			q->hi[f] = fd->nint;
			continue;
		}
		j = start_bucket(fd, q->key[f]);
		q->lo[f] = fd->start[j];
		q->hi[f] = j + 1 < fd->nstart ? fd->start[j + 1] + 1 : fd->nint;
		if (fd->lo32)
			__builtin_prefetch(&fd->lo32[q->lo[f]]);
		else
			__builtin_prefetch(&fd->lo[q->lo[f]]);
	}
}

/* The search, then the row's first words, fetched ahead of the scan. */
static void probe_rows(struct probe *q, const uint64_t **bv, const uint64_t **agg)
{
	const struct family_table *t = q->t;
	int f;

	for (f = 0; f < F_COUNT; f++) {
		size_t r = t->f[f].row[field_search_fast(&t->f[f], q->key[f], q->lo[f], q->hi[f])];

		bv[f] = t->f[f].bv + r * t->words;
		agg[f] = t->f[f].agg + r * t->aggwords;
		__builtin_prefetch(agg[f]);
		__builtin_prefetch(bv[f]);
	}
}

/* The AND of the five rows: the first rule set in all of them that is
 * not a residual one failing its confirmation. */
static void scan(const struct family_table *t, const uint64_t *const *bv, const uint64_t *const *agg,
		 const struct policy *pol, const struct policy_sets *sets, const struct pkt *p,
		 struct policy_verdict *v)
{
	size_t a;

	for (a = 0; a < t->aggwords; a++) {
		uint64_t words = agg[F_SRC][a] & agg[F_DST][a] & agg[F_SPORT][a] & agg[F_DPORT][a] &
				 agg[F_PROTO][a];

		while (words) {
			size_t w = a * 64 + (size_t)__builtin_ctzll(words);
			uint64_t x = bv[F_SRC][w] & bv[F_DST][w] & bv[F_SPORT][w] & bv[F_DPORT][w] &
				     bv[F_PROTO][w];

			while (x) {
				size_t i = w * 64 + (size_t)__builtin_ctzll(x);
				const struct policy_rule *r = &pol->rules[t->rule[i]];

				if (!t->residual[i] || policy_rule_matches(r, sets, p)) {
					v->action = r->action;
					v->mark = r->mark;
					v->rule = (int)t->rule[i];
					return;
				}
				x &= x - 1;
			}
			words &= words - 1;
		}
	}
	v->action = pol->dflt;
	v->mark = 0;
	v->rule = -1;
}

void classify_eval(const struct classifier *c, const struct policy *pol,
		   const struct policy_sets *sets, const struct pkt *p, struct policy_verdict *v)
{
	const uint64_t *bv[F_COUNT], *agg[F_COUNT];
	struct probe q;

	probe_keys(c, p, &q);
	probe_range(&q);
	probe_rows(&q, bv, agg);
	scan(q.t, bv, agg, pol, sets, p, v);
}

/* The same, for many packets, stage by stage: each stage's loads for one
 * packet are prefetched while the others' go on, so the cache misses of a
 * large policy overlap instead of queueing one behind the other. */
void classify_eval_batch(const struct classifier *c, const struct policy *pol,
			 const struct policy_sets *sets, const struct pkt *const *p, size_t n,
			 struct policy_verdict *v)
{
	struct probe q[CLASSIFY_BATCH];
	const uint64_t *bv[CLASSIFY_BATCH][F_COUNT], *agg[CLASSIFY_BATCH][F_COUNT];
	size_t base, i, m;

	for (base = 0; base < n; base += m) {
		m = n - base < CLASSIFY_BATCH ? n - base : CLASSIFY_BATCH;
		for (i = 0; i < m; i++)
			probe_keys(c, p[base + i], &q[i]);
		for (i = 0; i < m; i++)
			probe_range(&q[i]);
		for (i = 0; i < m; i++)
			probe_rows(&q[i], bv[i], agg[i]);
		for (i = 0; i < m; i++)
			scan(q[i].t, bv[i], agg[i], pol, sets, p[base + i], &v[base + i]);
	}
}
