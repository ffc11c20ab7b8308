/* classify.h - the compiled classifier: the policy's rules turned into
 * per-field interval tables with a rule bit vector per interval, so a
 * lookup is five table lookups and an AND of bit vectors instead of a
 * walk over every rule. First-match semantics exactly as policy_eval().
 *
 * Built over set references, not set contents: a rule that names a set is
 * a wildcard in the field's table and its membership is checked at lookup
 * (as are interfaces and ICMP type/code), so a set edit never recompiles. */
#ifndef VD_CLASSIFY_H
#define VD_CLASSIFY_H

#include <stddef.h>

#include "policy.h"

struct classifier;

/* NULL with errno ENOMEM (or E2BIG: a field of over 16M intervals) on failure. */
struct classifier *classify_build(const struct policy *pol);

/* How the rule bit vectors are stored: classify_build chooses per field
 * (packed when mostly zero words, whole otherwise); the tests force each
 * way so that both lookups meet every kind of policy. */
enum classify_rows { CLASSIFY_ROWS_AUTO, CLASSIFY_ROWS_WHOLE, CLASSIFY_ROWS_SPARSE };
struct classifier *classify_build_rows(const struct policy *pol, enum classify_rows rows);
void classify_free(struct classifier *c);

/* The same verdict as policy_eval(pol, sets, p, v), for the policy the
 * classifier was built from. */
void classify_eval(const struct classifier *c, const struct policy *pol,
		   const struct policy_sets *sets, const struct pkt *p, struct policy_verdict *v);

/* classify_eval for @n packets at once (the daemon judges a receive
 * batch this way): the lookups' memory loads overlap. */
#define CLASSIFY_BATCH 16
void classify_eval_batch(const struct classifier *c, const struct policy *pol,
			 const struct policy_sets *sets, const struct pkt *const *p, size_t n,
			 struct policy_verdict *v);

size_t classify_memory(const struct classifier *c);

#endif
