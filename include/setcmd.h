/* setcmd.h - the control socket's set commands (verdictctl set ...): an
 * edit made in the kernel ipset and in verdictd's copy of it together.
 *
 * Request lines (after "set "):
 *   add NAME ELEM [timeout N] [nomatch]   ipset add -exist
 *   del NAME ELEM                         ipset del -exist
 *   test NAME ELEM                        ipset test
 *   list NAME                             ipset list NAME
 *   flush NAME                            ipset flush NAME
 *   swap NAME NAME2                       ipset swap NAME NAME2
 *   restore<TAB>LINE<TAB>LINE...          ipset restore of the lines
 * ELEM is in ipset's syntax for the set's type. NAME must be a set of the
 * running policy (swap: at least one of the two). */
#ifndef VD_SETCMD_H
#define VD_SETCMD_H

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"
#include "set.h"

enum setcmd_verb {
	SETCMD_ADD,
	SETCMD_DEL,
	SETCMD_TEST,
	SETCMD_LIST,
	SETCMD_FLUSH,
	SETCMD_SWAP,
	SETCMD_RESTORE,
};

#define SETCMD_RESTORE_MAX (4u << 20)	/* bytes of ipset restore a request carries */

struct setcmd {
	enum setcmd_verb verb;
	char name[32], name2[32];	/* ipset's names are at most 31 bytes */
	char elem[160];
	unsigned long timeout;
	bool has_timeout, nomatch;
	char *body;			/* restore: the lines, newline-separated (malloc'd) */
};

/* Reads @req (what follows "set "); 0, or -1 with why in @err. */
int setcmd_parse(const char *req, struct setcmd *c, char *err, size_t len);
void setcmd_free(struct setcmd *c);

/* What @c does, for a log line: "add banned 192.0.2.1", "restore (12 lines)". */
void setcmd_describe(const struct setcmd *c, char *out, size_t len);

/* Why @c names no set of @pol, with the sets it has. */
void setcmd_not_in_policy(const struct setcmd *c, const struct policy *pol, char *err, size_t len);

/* Whether @c suits set @i of @pol (nomatch only for hash:net sets); 0, or
 * -1 with why in @err. */
int setcmd_check(const struct setcmd *c, const struct policy *pol, size_t i, char *err, size_t len);

/* Appends to ipset's message in @err what set @i of @pol is ("(set 'banned'
 * is hash:ip family inet)"): a wrong family reads as a parse error. */
void setcmd_explain(const struct setcmd *c, const struct policy *pol, size_t i, char *err, size_t len);

/* The names of the policy's sets @c changes (their indexes in @pol, at
 * most two); restore: every set the lines name. Returns how many. */
size_t setcmd_sets(const struct setcmd *c, const struct policy *pol, size_t *idx, size_t max);

/* Carries @c out in the kernel. 0, or -1; what happened in @msg either
 * way (test: -1 when the element is not in the set; list: the listing,
 * tab-separated lines). */
int setcmd_kernel(const struct setcmd *c, char *msg, size_t len);

/* add or del in verdictd's copy @s, in place (see set_seal): 0 when done;
 * 2 when it could not be made in place: *@copy is then a new sealed set
 * with the edit, for a new generation; 1 when the set must be read again
 * from the kernel (flush, swap, restore, or an element verdictd cannot
 * read). */
int setcmd_copy(const struct setcmd *c, struct vset *s, struct vset **copy);

/* When @c adds or deletes one host's element (an address, or an address
 * with a port) in @s: that address, the only one whose connections the
 * edit can change. */
bool setcmd_host(const struct setcmd *c, const struct vset *s, uint8_t *family, union vd_addr *addr);

#endif
