/* classify.c - the compiled classifier (bit-vector scheme of Lakshman and
 * Stiliadis, 1998).
 *
 * Per address family, each of five fields (source, destination, source
 * port, destination port, protocol) has its value domain cut into
 * elementary intervals at every rule boundary; each interval carries a bit
 * vector of the rules whose condition on that field holds there. A lookup
 * finds the packet's interval in each field (ports and protocol by direct
 * table, IPv4 addresses through a multibit trie, IPv6 addresses by binary
 * search), ANDs the five vectors word by word, and the lowest set bit is
 * the first rule that matches on all five fields. A rule that also needs
 * something the tables do not hold (set membership, interfaces, ICMP type
 * or code) is marked "residual" and confirmed with the reference matcher,
 * policy_rule_matches; if it fails, the scan goes on to the next bit. So
 * the answer is the linear scan's, by construction, and set contents never
 * enter the tables.
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
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "classify.h"

typedef unsigned __int128 u128;

enum { F_SRC, F_DST, F_SPORT, F_DPORT, F_PROTO, F_COUNT };

#define NO_PORTS 65536
#define PROTO_KEY_MAX ((POLICY_HOOK_MAX + 1) * 256 - 1)

struct interval {
	u128 lo, hi;		/* inclusive */
};

/* An index entry: a leaf names the few intervals (at most IDX_LEAF_MAX) that
 * meet its part of the domain, a node refines its part into 2^IDX_STRIDE
 * smaller ones, the next 8 bits of the key (see field_index). */
#define IDX_NODE (1u << 31)
#define IDX_LO_MASK 0xffffffu
#define IDX_COUNT_SHIFT 24
#define IDX_LEAF_MAX 4
#define IDX_STRIDE 8
/* A field's rows are packed when fewer than 1 word in SPARSE_BELOW is
 * non-zero (field_rows). */
#define SPARSE_BELOW 2

/* How a lookup finds a field's row depends on the field alone, never on
 * the policy, so the lookup is straight-line code: ports and protocol
 * (domains of at most 65,537 keys) take direct[key]; IPv4 addresses go
 * through the trie (field_index) to a few intervals compared branch-free;
 * IPv6 addresses take a start table, then a binary search. */
struct field {
	uint32_t *direct;	/* ports, protocol: key -> row */
	size_t ndirect;
	size_t nint;
	u128 *lo;		/* interval i is [lo[i], lo[i + 1] - 1] */
	uint32_t *lo32;		/* IPv4 addresses: the same in 32 bits */
	uint32_t *start;	/* IPv4 addresses: the index's top level, entry j
				 * for keys j << shift on; IPv6 addresses: the
				 * interval holding key j << shift */
	unsigned int shift;
	size_t nstart;
	uint32_t *pool;		/* the index's nodes, 2^IDX_STRIDE entries each */
	size_t npool;
	uint32_t *row;		/* interval -> its row (its offset in rows), for
				 * addresses; ports and protocol have direct */
	size_t nrows;
	uint64_t *bv;		/* while building: nrows vectors of words each */
	uint64_t *rows;		/* the rows, nrowwords in all, each aggwords
				 * aggregates (bit j: word j of the vector is not
				 * zero), then the vector: whole, or when sparse
				 * only its non-zero words, word j at the rank of
				 * bit j (see scan_rows) */
	size_t nrowwords;
	bool sparse;
};

struct probe;
typedef void scan_fn(const struct probe *q, const struct policy *pol,
		     const struct policy_sets *sets, const struct pkt *p, struct policy_verdict *v);

struct family_table {
	bool wide;		/* IPv6 */
	size_t nrules;		/* rules that apply to this family */
	size_t words;
	size_t aggwords;	/* words / 64, rounded up */
	uint32_t *rule;		/* family-local index -> policy rule index */
	uint8_t *residual;	/* confirm with policy_rule_matches */
	uint64_t whole[F_COUNT];	/* f[].sparse as scan_rows uses it: ~0 for a
					 * field whose rows are whole, 0 if packed */
	scan_fn *scan;		/* how to AND the rows (scan_pick) */
	struct field f[F_COUNT];
};

struct classifier {
	struct family_table fam[2];	/* AF_INET, AF_INET6 */
	char *arena;		/* every lookup table, once built (classify_pack) */
	size_t arena_size;
	bool arena_mapped;
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

static int pool_grow(struct field *f, size_t more)
{
	uint32_t *g = realloc(f->pool, (f->npool + more) * sizeof(*g));

	if (!g)
		return -1;
	f->pool = g;
	f->npool += more;
	return 0;
}

/* The index entry for keys [base, base + 2^bits - 1], @bits a multiple
 * of IDX_STRIDE: a leaf when few intervals meet them (always so for a
 * single key), else a node whose entries are built the same way. */
static int index_entry(struct field *f, uint32_t base, unsigned int bits, uint32_t *out)
{
	uint64_t last = (uint64_t)base + ((1ull << bits) - 1);
	size_t first = field_search(f, base, 0, f->nint);
	size_t end = field_search(f, last, first, f->nint), off, i;
	unsigned int sub = bits - IDX_STRIDE;

	if (end - first < IDX_LEAF_MAX) {
		*out = (uint32_t)first | (uint32_t)(end - first + 1) << IDX_COUNT_SHIFT;
		return 0;
	}
	off = f->npool;
	if (off >= IDX_NODE || pool_grow(f, 1u << IDX_STRIDE) < 0)
		return -1;
	for (i = 0; i < (1u << IDX_STRIDE); i++) {
		uint32_t e;

		if (index_entry(f, base + (uint32_t)(i << sub), sub, &e) < 0)
			return -1;
		f->pool[off + i] = e;
	}
	*out = IDX_NODE | (uint32_t)off;
	return 0;
}

/* IPv4 addresses get a multibit trie cut where the policy needs it: a top
 * level indexed by the first 8 or 16 bits (16 once the intervals outnumber
 * 128), and where an entry's part of the domain still holds more than
 * IDX_LEAF_MAX intervals (ClassBench's addresses cluster in a few /16s),
 * a node for the next 8 bits, and so on. A lookup is one to three
 * dependent loads and a few branch-free compares instead of a binary
 * search's mispredicted branches.
 * IPv6 addresses keep a start table and a binary search. Ports and
 * protocol get a direct table. */
static int field_index(struct field *f, u128 max)
{
	unsigned int bits = 0, want = 1;
	size_t j;

	if (max <= NO_PORTS) {
		/* One row (no rule looks at the field): a one-entry table
		 * that every key past it maps to (direct_entry). */
		f->ndirect = f->nrows == 1 ? 1 : (size_t)max + 1;
		f->direct = malloc(f->ndirect * sizeof(*f->direct));
		if (!f->direct)
			return -1;
		for (j = 0; j < f->nint; j++) {
			size_t k, end = j + 1 < f->nint ? (size_t)f->lo[j + 1] : f->ndirect;

			for (k = (size_t)f->lo[j]; k < end && k < f->ndirect; k++)
				f->direct[k] = f->row[j];
		}
		return 0;
	}
	while (bits < 128 && (max >> bits) != 0)
		bits++;
	if (bits == 32) {
		want = f->nint > 128 ? 16 : 8;
	} else {
		while (want < 16 && ((size_t)1 << want) < 2 * f->nint)
			want++;
	}
	f->shift = bits > want ? bits - want : 0;
	f->nstart = (size_t)(max >> f->shift) + 1;
	f->start = malloc(f->nstart * sizeof(*f->start));
	if (!f->start)
		return -1;
	if (max > UINT32_MAX) {
		for (j = 0; j < f->nstart; j++)
			f->start[j] = (uint32_t)field_search(f, (u128)j << f->shift, 0, f->nint);
		return 0;
	}
	if (f->nint > IDX_LO_MASK) {
		errno = E2BIG;	/* 16M intervals: far past any policy's */
		return -1;
	}
	f->lo32 = malloc(f->nint * sizeof(*f->lo32));
	if (!f->lo32)
		return -1;
	for (j = 0; j < f->nint; j++)
		f->lo32[j] = (uint32_t)f->lo[j];
	for (j = 0; j < f->nstart; j++)
		if (index_entry(f, (uint32_t)(j << f->shift), f->shift, &f->start[j]) < 0)
			return -1;
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

/* Aggregated bit vectors (Baboescu and Varghese): a lookup ANDs these
 * first and visits only words that can hold a match, so its cost follows
 * the matches, not the number of rules. They also make the rows sparse:
 * a row keeps only its non-zero words, which the aggregate bits index
 * (ClassBench acl1_8k's address rows are 4% non-zero words: 3 MiB of rows
 * become 0.3 MiB, and a large policy's lookups miss the caches less). */
static int field_rows(struct field *f, size_t words, size_t aggwords, enum classify_rows mode)
{
	uint32_t *off = malloc(f->nrows * sizeof(*off));
	size_t i, k, n = 0, nonzero = 0;

	if (!off)
		return -1;
	for (i = 0; i < f->nrows * words; i++)
		nonzero += f->bv[i] != 0;
	/* Finding a packed word costs a rank; a row mostly non-zero saves
	 * too little memory to pay for it. */
	f->sparse = mode == CLASSIFY_ROWS_SPARSE ||
		    (mode == CLASSIFY_ROWS_AUTO && nonzero < f->nrows * words / SPARSE_BELOW);
	for (i = 0; i < f->nrows; i++) {
		off[i] = (uint32_t)n;
		n += aggwords;
		for (k = 0; k < words; k++)
			n += !f->sparse || f->bv[i * words + k] != 0;
	}
	f->nrowwords = n;
	f->rows = calloc(n, sizeof(*f->rows));
	if (!f->rows || n > UINT32_MAX) {
		free(off);
		errno = f->rows ? E2BIG : ENOMEM;
		return -1;
	}
	for (i = 0; i < f->nrows; i++) {
		uint64_t *row = f->rows + off[i], *packed = row + aggwords;

		for (k = 0; k < words; k++) {
			if (f->bv[i * words + k])
				row[k / 64] |= 1ull << (k % 64);
			if (f->bv[i * words + k] || !f->sparse)
				*packed++ = f->bv[i * words + k];
		}
	}
	for (i = 0; i < f->nint; i++)
		f->row[i] = off[f->row[i]];
	free(off);
	free(f->bv);
	f->bv = NULL;
	return 0;
}

static int field_build(struct field *f, struct ivlist *per_rule, size_t nrules, size_t words,
		       size_t aggwords, u128 max, enum classify_rows mode)
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
			size_t first = field_search(f, per_rule[r].v[k].lo, 0, f->nint);
			size_t last = per_rule[r].v[k].hi == max ? f->nint - 1
								: field_search(f, per_rule[r].v[k].hi, 0, f->nint);

			for (i = first; i <= last; i++)
				f->bv[i * words + r / 64] |= 1ull << (r % 64);
		}
	}
	if (field_intern(f, words) < 0)
		return -1;
	if (field_rows(f, words, aggwords, mode) < 0)
		return -1;
	if (field_index(f, max) < 0)
		return -1;
	/* What only the build needed: the lookups of all but IPv6 addresses
	 * read lo32 or direct. */
	if (max <= UINT32_MAX) {
		free(f->lo);
		f->lo = NULL;
	}
	if (f->direct) {
		free(f->row);
		f->row = NULL;
	}
	return 0;
}

static int family_build(struct family_table *t, const struct policy *pol, uint8_t family,
			enum classify_rows mode)
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
	t->wide = family == AF_INET6;
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
		if (field_build(&t->f[field], lists, n, t->words, t->aggwords, max, mode) < 0)
			goto out;
		t->whole[field] = t->f[field].sparse ? 0 : ~0ull;
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
		free(t->f[f].rows);
		free(t->f[f].start);
		free(t->f[f].pool);
		free(t->f[f].direct);
		free(t->f[f].row);
	}
	free(t->rule);
	free(t->residual);
}

/* All lookup tables in one block: a large policy's tables (megabytes,
 * read at random) then sit on a few transparent huge pages instead of
 * thousands of small ones, which spares the lookups most TLB misses. The
 * block is filled in two passes over the same list: one counts (base is
 * NULL), one moves. */
struct arena {
	char *base;
	size_t used, size;
	bool mapped;		/* mmap'd, huge-page aligned */
};

#define ARENA_ALIGN 64
#define HUGE_PAGE (2u << 20)

static void *arena_move(struct arena *a, void *src, size_t bytes)
{
	size_t room = (bytes + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	void *dst;

	if (!src)
		return NULL;
	if (!a->base) {
		a->used += room;
		return src;
	}
	dst = a->base + a->used;
	memcpy(dst, src, bytes);
	a->used += room;
	free(src);
	return dst;
}

static void family_pack(struct family_table *t, struct arena *a)
{
	int f;

	t->rule = arena_move(a, t->rule, t->nrules * sizeof(*t->rule));
	t->residual = arena_move(a, t->residual, t->nrules);
	for (f = 0; f < F_COUNT; f++) {
		struct field *fd = &t->f[f];

		fd->rows = arena_move(a, fd->rows, fd->nrowwords * sizeof(*fd->rows));
		fd->direct = arena_move(a, fd->direct, fd->ndirect * sizeof(*fd->direct));
		fd->start = arena_move(a, fd->start, fd->nstart * sizeof(*fd->start));
		fd->pool = arena_move(a, fd->pool, fd->npool * sizeof(*fd->pool));
		fd->lo32 = arena_move(a, fd->lo32, fd->nint * sizeof(*fd->lo32));
		fd->lo = arena_move(a, fd->lo, fd->nint * sizeof(*fd->lo));
		fd->row = arena_move(a, fd->row, fd->nint * sizeof(*fd->row));
	}
}

/* Room for @size bytes: huge-page aligned and advised from one huge page
 * on (transparent huge pages are often "madvise" only; the last one is
 * rounded up, at most half the block), cache-line aligned below. NULL if
 * none: the tables then stay where they are. */
static char *arena_alloc(struct arena *a)
{
	size_t len = (a->size + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1), lead;
	char *m;

	if (a->size < HUGE_PAGE)
		return aligned_alloc(ARENA_ALIGN, a->size ? a->size : ARENA_ALIGN);
	m = mmap(NULL, len + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	lead = (HUGE_PAGE - (uintptr_t)m % HUGE_PAGE) % HUGE_PAGE;
	if (lead)
		munmap(m, lead);
	munmap(m + lead + len, HUGE_PAGE - lead);
	madvise(m + lead, len, MADV_HUGEPAGE);	/* advice: no huge pages is no error */
	a->size = len;
	a->mapped = true;
	return m + lead;
}

static void classify_pack(struct classifier *c)
{
	struct arena a = { 0 };

	family_pack(&c->fam[0], &a);
	family_pack(&c->fam[1], &a);
	a.size = a.used;
	a.used = 0;
	a.base = arena_alloc(&a);
	if (a.base) {
		family_pack(&c->fam[0], &a);
		family_pack(&c->fam[1], &a);
		c->arena = a.base;
		c->arena_size = a.size;
		c->arena_mapped = a.mapped;
	}
	c->memory = sizeof(*c) + a.size;
}

static scan_fn *scan_pick(const struct family_table *t);

struct classifier *classify_build(const struct policy *pol)
{
	return classify_build_rows(pol, CLASSIFY_ROWS_AUTO);
}

struct classifier *classify_build_rows(const struct policy *pol, enum classify_rows rows)
{
	struct classifier *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (family_build(&c->fam[0], pol, AF_INET, rows) < 0 ||
	    family_build(&c->fam[1], pol, AF_INET6, rows) < 0) {
		int err = errno;	/* ENOMEM, or E2BIG from field_index */

		classify_free(c);
		errno = err;
		return NULL;
	}
	classify_pack(c);
	c->fam[0].scan = scan_pick(&c->fam[0]);
	c->fam[1].scan = scan_pick(&c->fam[1]);
	return c;
}

void classify_free(struct classifier *c)
{
	if (!c)
		return;
	if (c->arena_mapped)
		munmap(c->arena, c->arena_size);
	else if (c->arena)
		free(c->arena);
	else {
		family_free(&c->fam[0]);
		family_free(&c->fam[1]);
	}
	free(c);
}

size_t classify_memory(const struct classifier *c)
{
	return c->memory;
}

/* --- lookup ------------------------------------------------------------- */

/* One packet's progress through a lookup: its keys, then what each field
 * leaves to search, then its rows. Stage by stage, so that a batch can
 * issue one stage's loads for many packets before it needs them
 * (classify_eval_batch). */
struct probe {
	const struct family_table *t;
	uint32_t key[F_COUNT];		/* all but IPv6 addresses */
	u128 key6[2];			/* IPv6 source and destination */
	uint32_t lo[2], hi[2];		/* addresses: the intervals left to search */
	const uint64_t *row[F_COUNT];
};

/* A port or protocol key's entry in the direct table (every key past a
 * one-entry table shares its entry, see field_index). */
static const uint32_t *direct_entry(const struct field *f, uint32_t key)
{
	return &f->direct[key < f->ndirect ? key : 0];
}

static void probe_keys(const struct classifier *c, const struct pkt *p, struct probe *q)
{
	const struct family_table *t = &c->fam[p->family == AF_INET6];
	int f;

	q->t = t;
	if (t->wide) {
		q->key6[F_SRC] = addr_key(AF_INET6, &p->src);
		q->key6[F_DST] = addr_key(AF_INET6, &p->dst);
		for (f = F_SRC; f <= F_DST; f++)
			__builtin_prefetch(&t->f[f].start[(size_t)(q->key6[f] >> t->f[f].shift)]);
	} else {
		q->key[F_SRC] = ntohl(p->src.w[0]);
		q->key[F_DST] = ntohl(p->dst.w[0]);
		for (f = F_SRC; f <= F_DST; f++)
			__builtin_prefetch(&t->f[f].start[q->key[f] >> t->f[f].shift]);
	}
	q->key[F_SPORT] = (p->flags & PKT_F_PORTS) ? p->sport : NO_PORTS;
	q->key[F_DPORT] = (p->flags & PKT_F_PORTS) ? p->dport : NO_PORTS;
	q->key[F_PROTO] = (uint32_t)(p->hook <= POLICY_HOOK_MAX ? p->hook : 0) * 256 + p->proto;
	for (f = F_SPORT; f <= F_PROTO; f++)
		__builtin_prefetch(direct_entry(&t->f[f], q->key[f]));
}

/* IPv4 addresses: the nodes followed down to the leaf, whose intervals
 * are the ones to compare with. */
static void index_range(const struct field *f, uint32_t key, uint32_t *lo, uint32_t *hi)
{
	unsigned int shift = f->shift;
	uint32_t e = f->start[key >> shift];

	while (e & IDX_NODE) {
		shift -= IDX_STRIDE;
		e = f->pool[(e & ~IDX_NODE) + ((key >> shift) & ((1u << IDX_STRIDE) - 1))];
	}
	*lo = e & IDX_LO_MASK;
	*hi = *lo + (e >> IDX_COUNT_SHIFT);
}

static const uint64_t *probe_fetch(const struct family_table *t, int f, size_t r)
{
	const uint64_t *row = t->f[f].rows + r;

	__builtin_prefetch(row);
	return row;
}

/* Ports and protocol: their rows. Addresses: the intervals to search. */
static void probe_range(struct probe *q)
{
	const struct family_table *t = q->t;
	int f;

	for (f = F_SPORT; f <= F_PROTO; f++)
		q->row[f] = probe_fetch(t, f, *direct_entry(&t->f[f], q->key[f]));
	for (f = F_SRC; f <= F_DST; f++) {
		const struct field *fd = &t->f[f];

		if (t->wide) {
			size_t j = (size_t)(q->key6[f] >> fd->shift);

			q->lo[f] = fd->start[j];
			q->hi[f] = j + 1 < fd->nstart ? fd->start[j + 1] + 1 : (uint32_t)fd->nint;
			__builtin_prefetch(&fd->lo[q->lo[f]]);
		} else {
			index_range(fd, q->key[f], &q->lo[f], &q->hi[f]);
			__builtin_prefetch(&fd->lo32[q->lo[f]]);
		}
	}
}

/* The addresses' rows. An IPv4 leaf's intervals are counted without a
 * branch (the bounds are sorted, so the interval is the first plus the
 * number of later bounds <= key). */
static void probe_rows(struct probe *q)
{
	const struct family_table *t = q->t;
	int f;

	for (f = F_SRC; f <= F_DST; f++) {
		const struct field *fd = &t->f[f];
		uint32_t i, at = q->lo[f];

		if (t->wide) {
			at = (uint32_t)field_search(fd, q->key6[f], q->lo[f], q->hi[f]);
		} else {
			for (i = q->lo[f] + 1; i < q->hi[f]; i++)
				at += fd->lo32[i] <= q->key[f];
		}
		q->row[f] = probe_fetch(t, f, fd->row[at]);
	}
}

/* A candidate rule: the answer unless it is residual and its
 * confirmation fails. */
static inline __attribute__((always_inline)) bool
scan_hit(const struct family_table *t, uint64_t x, size_t w, const struct policy *pol,
	 const struct policy_sets *sets, const struct pkt *p, struct policy_verdict *v)
{
	for (; x; x &= x - 1) {
		size_t i = w * 64 + (size_t)__builtin_ctzll(x);
		const struct policy_rule *r = &pol->rules[t->rule[i]];

		if (!t->residual[i] || policy_rule_matches(r, sets, p)) {
			v->action = r->action;
			v->mark = r->mark;
			v->rule = (int)t->rule[i];
			return true;
		}
	}
	return false;
}

static void scan_miss(const struct policy *pol, struct policy_verdict *v)
{
	v->action = pol->dflt;
	v->mark = 0;
	v->rule = -1;
}

/* The AND of the five rows: the first rule set in all of them that is
 * not a residual one failing its confirmation. Whole rows: word w of
 * each is at aggwords + w. */
static void scan_whole(const struct probe *q, const struct policy *pol,
		       const struct policy_sets *sets, const struct pkt *p, struct policy_verdict *v)
{
	const struct family_table *t = q->t;
	const uint64_t *s = q->row[F_SRC], *d = q->row[F_DST], *sp = q->row[F_SPORT],
		       *dp = q->row[F_DPORT], *pr = q->row[F_PROTO];
	size_t a, agg = t->aggwords;

	for (a = 0; a < agg; a++) {
		uint64_t words = s[a] & d[a] & sp[a] & dp[a] & pr[a];

		for (; words; words &= words - 1) {
			size_t w = a * 64 + (size_t)__builtin_ctzll(words), k = agg + w;

			if (scan_hit(t, s[k] & d[k] & sp[k] & dp[k] & pr[k], w, pol, sets, p, v))
				return;
		}
	}
	scan_miss(pol, v);
}

/* The same when some fields' rows are sparse (field_rows): word w =
 * 64a + j of such a row is its packed word number (bits set in
 * aggregates 0..a-1) + (bits set below j in aggregate a). The aggregates'
 * AND says which words to look at, and there every row has its word. A
 * whole row's rank word is all ones, so the same sum finds its word w. */
static inline __attribute__((always_inline)) void
scan_rows(const struct probe *q, const struct policy *pol, const struct policy_sets *sets,
	  const struct pkt *p, struct policy_verdict *v)
{
	const struct family_table *t = q->t;
	const uint64_t *s = q->row[F_SRC], *d = q->row[F_DST], *sp = q->row[F_SPORT],
		       *dp = q->row[F_DPORT], *pr = q->row[F_PROTO];
	size_t a, agg = t->aggwords;
	/* Where aggregate a's words start in each row. */
	const uint64_t *ws = s + agg, *wd = d + agg, *wsp = sp + agg, *wdp = dp + agg, *wpr = pr + agg;

	for (a = 0; a < agg; a++) {
		uint64_t words = s[a] & d[a] & sp[a] & dp[a] & pr[a];
		uint64_t rs = s[a] | t->whole[F_SRC], rd = d[a] | t->whole[F_DST],
			 rsp = sp[a] | t->whole[F_SPORT], rdp = dp[a] | t->whole[F_DPORT],
			 rpr = pr[a] | t->whole[F_PROTO];

		for (; words; words &= words - 1) {
			unsigned int j = (unsigned int)__builtin_ctzll(words);
			uint64_t below = (1ull << j) - 1;
			uint64_t x = ws[__builtin_popcountll(rs & below)] &
				     wd[__builtin_popcountll(rd & below)] &
				     wsp[__builtin_popcountll(rsp & below)] &
				     wdp[__builtin_popcountll(rdp & below)] &
				     wpr[__builtin_popcountll(rpr & below)];

			if (scan_hit(t, x, a * 64 + j, pol, sets, p, v))
				return;
		}
		ws += __builtin_popcountll(rs);
		wd += __builtin_popcountll(rd);
		wsp += __builtin_popcountll(rsp);
		wdp += __builtin_popcountll(rdp);
		wpr += __builtin_popcountll(rpr);
	}
	scan_miss(pol, v);
}

/* The ranks want a popcount instruction, which the baseline x86-64 the
 * distributions build for lacks (the builtin would be a libgcc call): an
 * x86 CPU that has one (all since 2008) gets a scan built with it. */
static void scan_sparse(const struct probe *q, const struct policy *pol,
			const struct policy_sets *sets, const struct pkt *p, struct policy_verdict *v)
{
	scan_rows(q, pol, sets, p, v);
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("popcnt"))) static void scan_sparse_popcnt(const struct probe *q,
		const struct policy *pol, const struct policy_sets *sets, const struct pkt *p,
		struct policy_verdict *v)
{
	scan_rows(q, pol, sets, p, v);
}
#endif

static scan_fn *scan_pick(const struct family_table *t)
{
	int f;

	for (f = 0; f < F_COUNT && !t->f[f].sparse; f++)
		;
	if (f == F_COUNT)
		return scan_whole;
#if defined(__x86_64__) || defined(__i386__)
	if (__builtin_cpu_supports("popcnt"))
		return scan_sparse_popcnt;
#endif
	return scan_sparse;
}

void classify_eval(const struct classifier *c, const struct policy *pol,
		   const struct policy_sets *sets, const struct pkt *p, struct policy_verdict *v)
{
	struct probe q;

	probe_keys(c, p, &q);
	probe_range(&q);
	probe_rows(&q);
	q.t->scan(&q, pol, sets, p, v);
}

/* The same, for many packets, stage by stage: each stage's loads for one
 * packet are prefetched while the others' go on, so the cache misses of a
 * large policy overlap instead of queueing one behind the other. */
void classify_eval_batch(const struct classifier *c, const struct policy *pol,
			 const struct policy_sets *sets, const struct pkt *const *p, size_t n,
			 struct policy_verdict *v)
{
	struct probe q[CLASSIFY_BATCH];
	size_t base, i, m;

	for (base = 0; base < n; base += m) {
		m = n - base < CLASSIFY_BATCH ? n - base : CLASSIFY_BATCH;
		for (i = 0; i < m; i++)
			probe_keys(c, p[base + i], &q[i]);
		for (i = 0; i < m; i++)
			probe_range(&q[i]);
		for (i = 0; i < m; i++)
			probe_rows(&q[i]);
		for (i = 0; i < m; i++)
			q[i].t->scan(&q[i], pol, sets, p[base + i], &v[base + i]);
	}
}
