/* set.c - in-memory address and port sets.
 *
 * Address sets keep one open-addressing hash table per prefix length that
 * occurs in the set; a lookup probes the tables from the longest prefix
 * down, so a hash:ip set costs one probe and a hash:net set one probe per
 * distinct prefix length (ipset's own hash:net does the same in the
 * kernel). ip,port sets are the same tables with the protocol and port in
 * the key. Port sets are a 64 Kibit bitmap. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "set.h"

/* An element: the (masked) address, and for ip,port sets protocol << 16 |
 * port (0 in address sets). */
struct set_key {
	union vd_addr addr;
	uint32_t pp;
};

/* A slot's state. A slot once used is never written again while the set
 * is sealed (workers read it): a deletion leaves a tombstone, and an
 * element that comes back takes an empty slot. Workers read the state with
 * acquire, the main thread stores it with release after the key: a reader
 * sees a whole key or none. */
enum {
	SLOT_EMPTY,
	SLOT_MATCH,
	SLOT_NOMATCH,		/* hash:net's "nomatch": an exception */
	SLOT_GONE,		/* a tombstone */
};

struct plen_table {
	unsigned int plen;
	size_t count;		/* elements */
	size_t gone;		/* tombstones */
	size_t mask;		/* capacity - 1; capacity is a power of two */
	struct set_key *slot;
	uint8_t *state;
};

struct vset {
	enum set_type type;
	uint8_t family;
	bool sealed;		/* workers may be reading: nothing moves */
	unsigned int refs;	/* generations holding it (main thread only) */
	size_t count;
	size_t ntables;
	struct plen_table table[129];	/* sorted by plen, longest first */
	uint64_t *ports;		/* bitmap:port */
};

static const char *const set_type_names[] = {
	[SET_HASH_IP] = "hash:ip",
	[SET_HASH_NET] = "hash:net",
	[SET_BITMAP_PORT] = "bitmap:port",
	[SET_HASH_IPPORT] = "hash:ip,port",
	[SET_HASH_NETPORT] = "hash:net,port",
};

const char *set_type_name(enum set_type t)
{
	return set_type_names[t];
}

int set_type_parse(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(set_type_names) / sizeof(set_type_names[0]); i++)
		if (strcmp(name, set_type_names[i]) == 0)
			return (int)i;
	return -1;
}

bool set_type_is_addr(enum set_type t)
{
	return t == SET_HASH_IP || t == SET_HASH_NET;
}

struct vset *set_new(enum set_type type, uint8_t family)
{
	struct vset *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->type = type;
	s->family = family;
	s->refs = 1;
	if (type == SET_BITMAP_PORT) {
		s->ports = calloc(65536 / 64, sizeof(uint64_t));
		if (!s->ports) {
			free(s);
			return NULL;
		}
	}
	return s;
}

struct vset *set_ref(struct vset *s)
{
	s->refs++;
	return s;
}

void set_seal(struct vset *s)
{
	s->sealed = true;
}

void set_free(struct vset *s)
{
	size_t i;

	if (!s || --s->refs > 0)
		return;
	for (i = 0; i < s->ntables; i++) {
		free(s->table[i].slot);
		free(s->table[i].state);
	}
	free(s->ports);
	free(s);
}

void set_addr_mask(union vd_addr *a, unsigned int plen)
{
	unsigned int i;

	for (i = 0; i < 16; i++) {
		if (plen >= 8) {
			plen -= 8;
			continue;
		}
		a->b[i] &= (uint8_t)(0xff00u >> plen);
		plen = 0;
	}
}

/* MurmurHash3's 64-bit finalizer over the address: every input bit
 * reaches the low bits the table index takes. (The multiply-only hash this
 * replaces left an IPv4 key's low three index bits zero: one slot in
 * eight used, long probe runs, a 10,000-entry set three times slower.) */
static size_t set_hash(const struct set_key *k)
{
	const union vd_addr *a = &k->addr;
	uint64_t h = ((uint64_t)a->w[0] << 32 | a->w[1]) ^
		     (((uint64_t)a->w[2] << 32 | a->w[3]) * 0xc2b2ae3d27d4eb4full) ^
		     ((uint64_t)k->pp * 0x9e3779b97f4a7c15ull);

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return (size_t)h;
}

static uint8_t slot_state(const struct plen_table *t, size_t i)
{
	return __atomic_load_n(&t->state[i], __ATOMIC_ACQUIRE);
}

static void slot_set_state(struct plen_table *t, size_t i, uint8_t st)
{
	__atomic_store_n(&t->state[i], st, __ATOMIC_RELEASE);
}

static bool key_eq(const struct set_key *a, const struct set_key *b)
{
	return a->pp == b->pp && memcmp(&a->addr, &b->addr, sizeof(a->addr)) == 0;
}

/* The slot holding @key (SLOT_MATCH or SLOT_NOMATCH), or -1. */
static ssize_t table_find(const struct plen_table *t, const struct set_key *key)
{
	size_t i = set_hash(key) & t->mask;
	uint8_t st;

	if (!t->state)
		return -1;
	while ((st = slot_state(t, i)) != SLOT_EMPTY) {
		if (st != SLOT_GONE && key_eq(&t->slot[i], key))
			return (ssize_t)i;
		i = (i + 1) & t->mask;
	}
	return -1;
}

/* Deletion leaves a tombstone: nothing moves under a reader. The next
 * copy (set_clone, or a growth while unsealed) drops the tombstones. */
static bool table_remove(struct plen_table *t, const struct set_key *key)
{
	ssize_t i = table_find(t, key);

	if (i < 0)
		return false;
	slot_set_state(t, (size_t)i, SLOT_GONE);
	t->count--;
	t->gone++;
	return true;
}

static void table_insert(struct plen_table *t, const struct set_key *key, uint8_t st)
{
	size_t i = set_hash(key) & t->mask;

	while (t->state[i] != SLOT_EMPTY)
		i = (i + 1) & t->mask;
	t->slot[i] = *key;
	slot_set_state(t, i, st);
	t->count++;
}

/* A table of @cap slots with @t's elements and no tombstones. */
static int table_copy(struct plen_table *dst, const struct plen_table *t, size_t cap)
{
	size_t i;

	*dst = (struct plen_table){ .plen = t->plen, .mask = cap - 1 };
	dst->slot = malloc(cap * sizeof(*dst->slot));
	dst->state = calloc(cap, 1);
	if (!dst->slot || !dst->state) {
		free(dst->slot);
		free(dst->state);
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; t->state && i <= t->mask; i++)
		if (t->state[i] == SLOT_MATCH || t->state[i] == SLOT_NOMATCH)
			table_insert(dst, &t->slot[i], t->state[i]);
	return 0;
}

/* The capacity for @n elements: load at most one half, and room for a
 * quarter more before the next growth (edits after a copy are amortised). */
static size_t table_cap(size_t n)
{
	size_t cap = 16;

	while (cap < n * 2 + n / 2)
		cap *= 2;
	return cap;
}

/* Keeps the load factor (elements and tombstones) at most one half. */
static int table_grow(struct plen_table *t)
{
	struct plen_table bigger;

	if (table_copy(&bigger, t, table_cap(t->count + 1)) < 0)
		return -1;
	free(t->slot);
	free(t->state);
	*t = bigger;
	return 0;
}

static struct plen_table *set_table_find(struct vset *s, unsigned int plen)
{
	size_t i;

	for (i = 0; i < s->ntables; i++)
		if (s->table[i].plen == plen)
			return &s->table[i];
	return NULL;
}

static struct plen_table *set_table_for(struct vset *s, unsigned int plen)
{
	size_t i;

	for (i = 0; i < s->ntables && s->table[i].plen >= plen; i++)
		if (s->table[i].plen == plen)
			return &s->table[i];
	memmove(&s->table[i + 1], &s->table[i], (s->ntables - i) * sizeof(s->table[0]));
	memset(&s->table[i], 0, sizeof(s->table[i]));
	s->table[i].plen = plen;
	s->ntables++;
	return &s->table[i];
}

static bool table_full(const struct plen_table *t)
{
	return !t->state || (t->count + t->gone + 1) * 2 > t->mask + 1;
}

/* EAGAIN: a sealed set would have to move memory (a new prefix length, or
 * a growth): the caller edits a copy (set_clone) and publishes that. */
static int add_key(struct vset *s, const union vd_addr *a, unsigned int plen, uint32_t pp,
		   bool nomatch)
{
	unsigned int max = s->family == AF_INET ? 32 : 128;
	uint8_t st = nomatch ? SLOT_NOMATCH : SLOT_MATCH;
	struct plen_table *t;
	struct set_key key = { .addr = *a, .pp = pp };
	ssize_t i;

	if (plen > max || (nomatch && s->type != SET_HASH_NET && s->type != SET_HASH_NETPORT)) {
		errno = EINVAL;
		return -1;
	}
	set_addr_mask(&key.addr, plen);
	t = s->sealed ? set_table_find(s, plen) : set_table_for(s, plen);
	if (!t)
		goto again;
	if ((i = table_find(t, &key)) >= 0) {
		slot_set_state(t, (size_t)i, st);	/* ipset add -exist: the flag follows */
		return 0;
	}
	if (table_full(t)) {
		if (s->sealed)
			goto again;
		if (table_grow(t) < 0)
			return -1;
	}
	table_insert(t, &key, st);
	s->count++;
	return 0;
again:
	errno = EAGAIN;
	return -1;
}

static int del_key(struct vset *s, const union vd_addr *a, unsigned int plen, uint32_t pp)
{
	struct set_key key = { .addr = *a, .pp = pp };
	struct plen_table *t = set_table_find(s, plen);

	set_addr_mask(&key.addr, plen);
	if (t && table_remove(t, &key)) {
		s->count--;
		return 0;
	}
	errno = ENOENT;
	return -1;
}

struct vset *set_clone(const struct vset *s)
{
	struct vset *c = set_new(s->type, s->family);
	size_t i;

	if (!c)
		return NULL;
	if (s->ports)
		for (i = 0; i < 65536 / 64; i++)
			c->ports[i] = __atomic_load_n(&s->ports[i], __ATOMIC_RELAXED);
	for (i = 0; i < s->ntables; i++) {
		if (table_copy(&c->table[i], &s->table[i], table_cap(s->table[i].count)) < 0) {
			c->ntables = i;
			set_free(c);
			return NULL;
		}
	}
	c->ntables = s->ntables;
	c->count = s->count;
	return c;
}

int set_del_addr(struct vset *s, const union vd_addr *a, unsigned int plen)
{
	if (!set_type_is_addr(s->type)) {
		errno = EINVAL;
		return -1;
	}
	return del_key(s, a, plen, 0);
}

int set_del_addr_port(struct vset *s, const union vd_addr *a, unsigned int plen,
		      uint8_t proto, uint16_t port)
{
	if (set_type_dims(s->type) != 2) {
		errno = EINVAL;
		return -1;
	}
	return del_key(s, a, plen, (uint32_t)proto << 16 | port);
}

/* Sets (@add) or clears the bits of ports @lo..@hi; atomically, since
 * workers may be reading the bitmap. */
static int edit_ports(struct vset *s, uint16_t lo, uint16_t hi, bool add)
{
	uint32_t p;

	if (s->type != SET_BITMAP_PORT || lo > hi) {
		errno = EINVAL;
		return -1;
	}
	for (p = lo; p <= hi; p++) {
		uint64_t bit = 1ull << (p % 64);
		bool had = add ? __atomic_fetch_or(&s->ports[p / 64], bit, __ATOMIC_RELAXED) & bit
			       : __atomic_fetch_and(&s->ports[p / 64], ~bit, __ATOMIC_RELAXED) & bit;

		s->count += (size_t)(add && !had) - (size_t)(!add && had);
	}
	return 0;
}

int set_del_ports(struct vset *s, uint16_t lo, uint16_t hi)
{
	return edit_ports(s, lo, hi, false);
}

int set_add_addr(struct vset *s, const union vd_addr *a, unsigned int plen)
{
	if (!set_type_is_addr(s->type)) {
		errno = EINVAL;
		return -1;
	}
	return add_key(s, a, plen, 0, false);
}

int set_add_addr_port(struct vset *s, const union vd_addr *a, unsigned int plen,
		      uint8_t proto, uint16_t port)
{
	unsigned int host = s->family == AF_INET ? 32 : 128;

	if (set_type_dims(s->type) != 2 || (s->type == SET_HASH_IPPORT && plen != host)) {
		errno = EINVAL;
		return -1;
	}
	return add_key(s, a, plen, (uint32_t)proto << 16 | port, false);
}

int set_add_ports(struct vset *s, uint16_t lo, uint16_t hi)
{
	return edit_ports(s, lo, hi, true);
}

/* ipset's hash:net test: the prefix lengths from the longest down, and the
 * first that holds the address decides; a "nomatch" element there means
 * no match (the shorter prefixes are not looked at). */
static bool has_key(const struct vset *s, uint8_t family, const union vd_addr *a, uint32_t pp)
{
	struct set_key key = { .pp = pp };
	size_t i;
	ssize_t at;

	if (family != s->family)
		return false;
	for (i = 0; i < s->ntables; i++) {
		key.addr = *a;
		set_addr_mask(&key.addr, s->table[i].plen);
		if ((at = table_find(&s->table[i], &key)) >= 0)
			return slot_state(&s->table[i], (size_t)at) == SLOT_MATCH;
	}
	return false;
}

bool set_has_addr(const struct vset *s, uint8_t family, const union vd_addr *a)
{
	return set_type_is_addr(s->type) && has_key(s, family, a, 0);
}

bool set_has_addr_port(const struct vset *s, uint8_t family, const union vd_addr *a,
		       uint8_t proto, uint16_t port)
{
	return set_type_dims(s->type) == 2 && has_key(s, family, a, (uint32_t)proto << 16 | port);
}

bool set_has_port(const struct vset *s, uint16_t port)
{
	return s->ports && (__atomic_load_n(&s->ports[port / 64], __ATOMIC_RELAXED) >> (port % 64)) & 1;
}

enum set_type set_get_type(const struct vset *s)
{
	return s->type;
}

uint8_t set_get_family(const struct vset *s)
{
	return s->family;
}

size_t set_count(const struct vset *s)
{
	return s->count;
}

int set_elem_add(struct vset *s, const struct set_elem *e)
{
	if (s->type == SET_BITMAP_PORT)
		return e->nomatch ? (errno = EINVAL, -1) : set_add_ports(s, e->port, e->port_hi);
	if (set_type_dims(s->type) == 2) {
		unsigned int host = s->family == AF_INET ? 32 : 128;

		if (s->type == SET_HASH_IPPORT && e->plen != host) {
			errno = EINVAL;
			return -1;
		}
		return add_key(s, &e->addr, e->plen, (uint32_t)e->proto << 16 | e->port, e->nomatch);
	}
	return add_key(s, &e->addr, e->plen, 0, e->nomatch);
}

int set_elem_del(struct vset *s, const struct set_elem *e)
{
	if (s->type == SET_BITMAP_PORT)
		return set_del_ports(s, e->port, e->port_hi);
	return del_key(s, &e->addr, e->plen,
		       set_type_dims(s->type) == 2 ? (uint32_t)e->proto << 16 | e->port : 0);
}

/* Every element of @a is in @b, with the same nomatch flag. */
static bool set_within(const struct vset *a, const struct vset *b)
{
	size_t i, k;

	for (i = 0; i < a->ntables; i++) {
		const struct plen_table *t = &a->table[i];
		const struct plen_table *u = NULL;

		for (k = 0; k < b->ntables; k++)
			if (b->table[k].plen == t->plen)
				u = &b->table[k];
		for (k = 0; t->count && k <= t->mask; k++) {
			ssize_t at;

			if (t->state[k] != SLOT_MATCH && t->state[k] != SLOT_NOMATCH)
				continue;
			if (!u || (at = table_find(u, &t->slot[k])) < 0 || u->state[at] != t->state[k])
				return false;
		}
	}
	return true;
}

bool set_equal(const struct vset *a, const struct vset *b)
{
	if (a->type != b->type || a->family != b->family || a->count != b->count)
		return false;
	if (a->ports)
		return memcmp(a->ports, b->ports, 65536 / 8) == 0;
	return set_within(a, b);
}
