/* setwatch.h - ipset edits made behind verdictd's back (fail2ban, CrowdSec,
 * people running ipset), noticed without a notification from the kernel
 * (ipset has none). Each set's header (ipset list -terse: entry count,
 * memory, initval, hashsize) is read at every poll; a set is read whole
 * again when its header changed (an add, del, flush, expiry, most swaps)
 * or when its last whole read is older than a period that grows with its
 * size (1 s up to 100,000 members, 10 s at 1,000,000): an edit that
 * leaves the header as it was (a del and an add between two polls, a
 * restore-then-swap of the same count) is seen then. A set whose header
 * keeps changing is read at most a quarter of the time (a read of a
 * million members costs ~0.5 s: with timeouts expiring all the time, it is
 * read every ~2 s, not back to back). Runs in the main thread; each set's header is taken just before it is read, so an edit
 * made during the read shows at the next poll. */
#ifndef VD_SETWATCH_H
#define VD_SETWATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "policy.h"

struct setwatch;

/* For the @n sets of a policy: nothing known yet (every set is due). */
struct setwatch *setwatch_open(size_t n);
void setwatch_close(struct setwatch *w);

enum setwatch_due {
	SETWATCH_NOT_DUE,
	SETWATCH_CHANGED,	/* its header changed (or cannot be read) */
	SETWATCH_PERIOD,	/* its period ran out: it may well be the same */
};

/* Whether set @i of @pol (@members in verdictd's copy) is to be read
 * whole now, and why; when it is, its header is taken for
 * setwatch_commit. */
enum setwatch_due setwatch_due(struct setwatch *w, const struct policy *pol, size_t i, size_t members);

/* Takes set @i's header now (before it is read, or after verdictd edited
 * it itself), for setwatch_commit. */
void setwatch_sign(struct setwatch *w, const struct policy *pol, size_t i);

/* Set @i's copy is not what the kernel holds: read it at the next poll. */
void setwatch_forget(struct setwatch *w, size_t i);

/* Whether set @i's header could be read when it was last taken (not: the
 * set did not exist yet). */
bool setwatch_signed(const struct setwatch *w, size_t i);

/* Set @i's copy that verdictd holds now is the one read (or edited) after
 * the last setwatch_due or setwatch_sign. */
void setwatch_commit(struct setwatch *w, size_t i);

#endif
