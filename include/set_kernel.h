/* set_kernel.h - binding the policy's sets to kernel ipsets (libipset, and
 * set_dump.h for the members). */
#ifndef VD_SET_KERNEL_H
#define VD_SET_KERNEL_H

#include <stddef.h>
#include <stdio.h>

#include "policy.h"
#include "set.h"

/* Makes sure the kernel set @decl names exists with the declared type and
 * family (creating it when missing), then loads its members into a new
 * userspace copy at *@out, sealed (set_seal). On failure returns -1 with a sentence in @err.
 * A bitmap:port whose kernel range differs from the declared one is used
 * as it is, with a warning logged. */
int set_kernel_load(const struct policy_set *decl, struct vset **out, char *err, size_t errlen);

/* What the kernel says of set @name without listing its members (ipset
 * list -terse): type, header, memory and entry count, as a string that an
 * add, del, flush, swap or timeout expiry changes (a del and an add between
 * two calls may leave it as it was). 0, or -1 (the set cannot be read). */
int set_kernel_header(const char *name, char *sig, size_t len);

/* Reads @text, one element in ipset's syntax, for set @s ("10.0.0.0/8",
 * "10.0.0.1,tcp:80", "22-23"): 0, or -1 when it is not one. */
int set_kernel_elem(const struct vset *s, const char *text, struct set_elem *e);

/* Runs one ipset command (argv[0] is "ipset") through libipset: 0, or -1
 * with libipset's message in @err (for "test", -1 says "not in set"); a
 * message on success (ipset's warnings) is in @err too. The command's
 * output, when @out is not NULL, in *@out (malloc'd, may be NULL). */
int set_kernel_cmd(const char *const *argv, int argc, char **out, char *err, size_t errlen);

/* Applies @text, in ipset restore's syntax, as ipset -exist restore does,
 * line by line: 0, or -1 with the first failing line and why in @err (it
 * stops there; the lines before it are in force). */
int set_kernel_restore(const char *text, char *err, size_t errlen);

/* Loads every set of @pol into @sets (sets->set allocated here). */
int set_kernel_load_all(const struct policy *pol, struct policy_sets *sets, char *err, size_t errlen);
void set_kernel_free_all(struct policy_sets *sets);

/* verdictd -t: compares each set declaration of @pol (from @path) with the
 * kernel set of its name, changing nothing. Prints to @out, in declaration
 * order, "path:line:col: ..." for a kernel set of another type or family
 * (an error: verdictd would not start), a warning for a bitmap:port range
 * that differs, a note for a set that does not exist yet; and one line,
 * instead, when the kernel's sets cannot be read (no CAP_NET_ADMIN).
 * Returns the number of errors. */
int set_kernel_check(const struct policy *pol, const char *path, FILE *out);

#endif
