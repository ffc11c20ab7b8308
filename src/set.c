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

#include "set.h"

/* An element: the (masked) address, and for ip,port sets protocol << 16 |
 * port (0 in address sets). */
struct set_key {
	union vd_addr addr;
	uint32_t pp;
};

struct plen_table {
	unsigned int plen;
	size_t count;
	size_t mask;		/* capacity - 1; capacity is a power of two */
	struct set_key *slot;
	uint8_t *used;
};

struct vset {
	enum set_type type;
	uint8_t family;
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
	if (type == SET_BITMAP_PORT) {
		s->ports = calloc(65536 / 64, sizeof(uint64_t));
		if (!s->ports) {
			free(s);
			return NULL;
		}
	}
	return s;
}

void set_free(struct vset *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->ntables; i++) {
		free(s->table[i].slot);
		free(s->table[i].used);
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

static bool table_find(const struct plen_table *t, const struct set_key *key)
{
	size_t i = set_hash(key) & t->mask;

	if (!t->used)
		return false;
	while (t->used[i]) {
		if (t->slot[i].pp == key->pp && memcmp(&t->slot[i].addr, &key->addr, sizeof(key->addr)) == 0)
			return true;
		i = (i + 1) & t->mask;
	}
	return false;
}

/* Linear probing's deletion without tombstones (backward shift): the
 * entries after the hole that would no longer be reached move into it, so
 * lookups stay as short as if the key had never been added. */
static bool table_remove(struct plen_table *t, const struct set_key *key)
{
	size_t i = set_hash(key) & t->mask, j, home;

	if (!t->used)
		return false;
	while (t->used[i] && !(t->slot[i].pp == key->pp &&
			       memcmp(&t->slot[i].addr, &key->addr, sizeof(key->addr)) == 0))
		i = (i + 1) & t->mask;
	if (!t->used[i])
		return false;
	for (j = (i + 1) & t->mask; t->used[j]; j = (j + 1) & t->mask) {
		home = set_hash(&t->slot[j]) & t->mask;
		/* j stays unless its home lies cyclically outside (i, j] */
		if (((j - home) & t->mask) >= ((j - i) & t->mask)) {
			t->slot[i] = t->slot[j];
			i = j;
		}
	}
	t->used[i] = 0;
	t->count--;
	return true;
}

static void table_insert(struct plen_table *t, const struct set_key *key)
{
	size_t i = set_hash(key) & t->mask;

	while (t->used[i])
		i = (i + 1) & t->mask;
	t->slot[i] = *key;
	t->used[i] = 1;
	t->count++;
}

/* Keeps the load factor at most one half. */
static int table_grow(struct plen_table *t)
{
	struct plen_table bigger = *t;
	size_t cap = t->slot ? (t->mask + 1) * 2 : 16;
	size_t i;

	bigger.slot = calloc(cap, sizeof(*bigger.slot));
	bigger.used = calloc(cap, 1);
	if (!bigger.slot || !bigger.used) {
		free(bigger.slot);
		free(bigger.used);
		errno = ENOMEM;
		return -1;
	}
	bigger.mask = cap - 1;
	bigger.count = 0;
	for (i = 0; t->slot && i <= t->mask; i++)
		if (t->used[i])
			table_insert(&bigger, &t->slot[i]);
	free(t->slot);
	free(t->used);
	*t = bigger;
	return 0;
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

static int add_key(struct vset *s, const union vd_addr *a, unsigned int plen, uint32_t pp)
{
	unsigned int max = s->family == AF_INET ? 32 : 128;
	struct plen_table *t;
	struct set_key key = { .addr = *a, .pp = pp };

	if (plen > max) {
		errno = EINVAL;
		return -1;
	}
	set_addr_mask(&key.addr, plen);
	t = set_table_for(s, plen);
	if (t->slot && table_find(t, &key))
		return 0;
	if ((!t->slot || (t->count + 1) * 2 > t->mask + 1) && table_grow(t) < 0)
		return -1;
	table_insert(t, &key);
	s->count++;
	return 0;
}

static int del_key(struct vset *s, const union vd_addr *a, unsigned int plen, uint32_t pp)
{
	struct set_key key = { .addr = *a, .pp = pp };
	size_t i;

	set_addr_mask(&key.addr, plen);
	for (i = 0; i < s->ntables; i++)
		if (s->table[i].plen == plen && table_remove(&s->table[i], &key)) {
			s->count--;
			return 0;
		}
	errno = ENOENT;
	return -1;
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

/* Sets (@add) or clears the bits of ports @lo..@hi. */
static int edit_ports(struct vset *s, uint16_t lo, uint16_t hi, bool add)
{
	uint32_t p;

	if (s->type != SET_BITMAP_PORT || lo > hi) {
		errno = EINVAL;
		return -1;
	}
	for (p = lo; p <= hi; p++) {
		bool had = s->ports[p / 64] & (1ull << (p % 64));

		s->count += (size_t)(add && !had) - (size_t)(!add && had);
		if (add)
			s->ports[p / 64] |= 1ull << (p % 64);
		else
			s->ports[p / 64] &= ~(1ull << (p % 64));
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
	return add_key(s, a, plen, 0);
}

int set_add_addr_port(struct vset *s, const union vd_addr *a, unsigned int plen,
		      uint8_t proto, uint16_t port)
{
	unsigned int host = s->family == AF_INET ? 32 : 128;

	if (set_type_dims(s->type) != 2 || (s->type == SET_HASH_IPPORT && plen != host)) {
		errno = EINVAL;
		return -1;
	}
	return add_key(s, a, plen, (uint32_t)proto << 16 | port);
}

int set_add_ports(struct vset *s, uint16_t lo, uint16_t hi)
{
	return edit_ports(s, lo, hi, true);
}

static bool has_key(const struct vset *s, uint8_t family, const union vd_addr *a, uint32_t pp)
{
	struct set_key key = { .pp = pp };
	size_t i;

	if (family != s->family)
		return false;
	for (i = 0; i < s->ntables; i++) {
		key.addr = *a;
		set_addr_mask(&key.addr, s->table[i].plen);
		if (table_find(&s->table[i], &key))
			return true;
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
	return s->ports && (s->ports[port / 64] >> (port % 64)) & 1;
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
