/* set.h - userspace copies of kernel ipsets, for membership lookups on the
 * packet path without a netlink round trip per packet. */
#ifndef VD_SET_H
#define VD_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkt.h"

enum set_type {
	SET_HASH_IP,		/* addresses */
	SET_HASH_NET,		/* prefixes, longest match */
	SET_BITMAP_PORT,	/* ports */
	SET_HASH_IPPORT,	/* address, protocol and port */
	SET_HASH_NETPORT,	/* prefix, protocol and port, longest match */
};

/* What a set's element holds besides an address (ipset's "dimensions"). */
static inline unsigned int set_type_dims(enum set_type t)
{
	return t == SET_HASH_IPPORT || t == SET_HASH_NETPORT ? 2 : 1;
}

struct vset;

struct vset *set_new(enum set_type type, uint8_t family);

/* Sets are shared by the generations that hold them (see gen.h): set_ref
 * takes one more reference, set_free drops one and frees with the last.
 * References are taken and dropped by the main thread only. */
struct vset *set_ref(struct vset *s);
void set_free(struct vset *s);

/* From now on workers may read @s while the main thread edits it: adds
 * and deletes are made in place without moving anything a reader may be
 * at (a deletion leaves a tombstone; a reader sees an element whole or not
 * at all). An add that would have to move memory (the table is full, or a
 * prefix length the set does not have yet) fails with EAGAIN: the caller
 * edits a copy (set_clone, unsealed, without tombstones) and publishes it
 * in a new generation. Either way an edit costs O(1) amortised. */
void set_seal(struct vset *s);
struct vset *set_clone(const struct vset *s);

/* Adds @a/@plen (address sets) or the port range @lo-@hi (port sets).
 * 0 on success, -1 with errno ENOMEM or EINVAL. */
int set_add_addr(struct vset *s, const union vd_addr *a, unsigned int plen);
int set_add_ports(struct vset *s, uint16_t lo, uint16_t hi);

/* ip,port sets: @port is the transport port, or for ICMP and ICMPv6
 * type << 8 | code, or 0 for a protocol without ports (ipset's key). */
int set_add_addr_port(struct vset *s, const union vd_addr *a, unsigned int plen,
		      uint8_t proto, uint16_t port);

/* Removes what the matching add put in (ipset del): 0, or -1 with errno
 * ENOENT when it is not there, EINVAL when the set holds another kind.
 * Adds and deletes are incremental (no rebuild), as ipset's own edits. */
int set_del_addr(struct vset *s, const union vd_addr *a, unsigned int plen);
int set_del_addr_port(struct vset *s, const union vd_addr *a, unsigned int plen,
		      uint8_t proto, uint16_t port);
int set_del_ports(struct vset *s, uint16_t lo, uint16_t hi);

/* One element as ipset writes it (ipset add/del). */
struct set_elem {
	union vd_addr addr;	/* address and ip,port sets (masked to plen on add) */
	unsigned int plen;
	uint8_t proto;		/* ip,port sets: as set_add_addr_port */
	uint16_t port;		/* ip,port sets; bitmap:port: the range's first */
	uint16_t port_hi;	/* bitmap:port: the range's last */
	bool nomatch;		/* hash:net and hash:net,port: an exception */
};

/* ipset add (an element already there takes @e's nomatch flag, as with
 * ipset add -exist) and ipset del; 0, or -1 with errno (see above). */
int set_elem_add(struct vset *s, const struct set_elem *e);
int set_elem_del(struct vset *s, const struct set_elem *e);

/* Lookups: a set of another family never contains the address. In a
 * hash:net the longest prefix that holds the address decides, and a
 * "nomatch" element there is no match, as in the kernel. */
bool set_has_addr(const struct vset *s, uint8_t family, const union vd_addr *a);
bool set_has_port(const struct vset *s, uint16_t port);
bool set_has_addr_port(const struct vset *s, uint8_t family, const union vd_addr *a,
		       uint8_t proto, uint16_t port);

/* The same elements (and nomatch flags): a whole read that found what
 * verdictd holds changes nothing. Main thread only. */
bool set_equal(const struct vset *a, const struct vset *b);

enum set_type set_get_type(const struct vset *s);
uint8_t set_get_family(const struct vset *s);
size_t set_count(const struct vset *s);

/* "hash:ip" etc.; set_type_parse returns -1 for an unsupported type. */
const char *set_type_name(enum set_type t);
int set_type_parse(const char *name);
bool set_type_is_addr(enum set_type t);	/* hash:ip or hash:net */

/* Masks @a to its first @plen bits (in place). */
void set_addr_mask(union vd_addr *a, unsigned int plen);

#endif
