/* set_dump.h - a kernel ipset's members read into a userspace copy from a
 * netlink dump (libmnl); see set_dump.c for why not through libipset. */
#ifndef VD_SET_DUMP_H
#define VD_SET_DUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "set.h"

/* What the copy is made as: the policy's declaration. */
struct set_dump_want {
	enum set_type type;
	uint8_t family;
};

/* What the kernel says the set is. */
struct set_dump_header {
	char type[32];		/* "hash:ip", ...; "" when no header came */
	uint8_t family;		/* AF_INET, AF_INET6, 0 (bitmap:port) */
	bool has_range;		/* bitmap:port */
	uint16_t port_lo, port_hi;
	size_t bad;		/* members that could not be read as @want */
};

/* Reads set @name into a new sealed copy at *@out. 0, or -1 with errno
 * (ENOENT: no such set; EINVAL: members that cannot be read as @want,
 * counted in @hdr, which tells the kernel's type whenever a header came:
 * compare it with @want before anything else). */
int set_dump_read(const char *name, const struct set_dump_want *want, struct vset **out,
		  struct set_dump_header *hdr);

#endif
