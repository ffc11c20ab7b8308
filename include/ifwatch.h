/* ifwatch.h - the policy's interface names followed as links come and go
 * (rtnetlink link events): a rule naming wg9, a Docker bridge or a VLAN
 * matches once the interface exists, and again after it is re-created
 * with another index. Runs in the daemon's main thread. */
#ifndef VD_IFWATCH_H
#define VD_IFWATCH_H

#include <stddef.h>

#include "policy.h"

struct ifwatch;

/* Subscribes to link events. NULL with a sentence in @err. */
struct ifwatch *ifwatch_open(char *err, size_t errlen);
/* The descriptor to poll for reading. */
int ifwatch_fd(const struct ifwatch *iw);
/* Reads the pending events; when any link came, went or was renamed,
 * resolves @pol's interface names again. Returns how many interface
 * matches changed, or -1 with errno (events were lost: everything is
 * resolved again anyway). */
int ifwatch_read(struct ifwatch *iw, struct policy *pol);
void ifwatch_close(struct ifwatch *iw);

#endif
