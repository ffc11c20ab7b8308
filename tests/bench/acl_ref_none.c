/* acl_ref_none.c - built when configure found no libdpdk: the classifier
 * benchmark then says rte_acl is missing instead of comparing. */
#include "config.h"

#include <stddef.h>

#include "acl_ref.h"

int acl_ref_init(void)
{
	return -1;
}

struct acl_ref *acl_ref_build(const struct cb_rule *rules, size_t n, size_t *memory)
{
	(void)rules;
	(void)n;
	*memory = 0;
	return NULL;
}

void acl_ref_free(struct acl_ref *a)
{
	(void)a;
}

void acl_ref_classify(const struct acl_ref *a, const struct pkt *p, size_t n, unsigned int burst, int *rule)
{
	(void)a;
	(void)p;
	(void)burst;
	while (n--)
		rule[n] = -1;
}
