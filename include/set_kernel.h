/* set_kernel.h - binding the policy's sets to kernel ipsets (libipset). */
#ifndef VD_SET_KERNEL_H
#define VD_SET_KERNEL_H

#include <stddef.h>

#include "policy.h"
#include "set.h"

/* Makes sure the kernel set @decl names exists with the declared type and
 * family (creating it when missing), then loads its members into a new
 * userspace copy at *@out. On failure returns -1 with a sentence in @err. */
int set_kernel_load(const struct policy_set *decl, struct vset **out, char *err, size_t errlen);

/* Loads every set of @pol into @sets (sets->set allocated here). */
int set_kernel_load_all(const struct policy *pol, struct policy_sets *sets, char *err, size_t errlen);
void set_kernel_free_all(struct policy_sets *sets);

#endif
