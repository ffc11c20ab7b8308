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
void set_free(struct vset *s);

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

/* Lookups: a set of another family never contains the address. */
bool set_has_addr(const struct vset *s, uint8_t family, const union vd_addr *a);
bool set_has_port(const struct vset *s, uint16_t port);
bool set_has_addr_port(const struct vset *s, uint8_t family, const union vd_addr *a,
		       uint8_t proto, uint16_t port);

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
