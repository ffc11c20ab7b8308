/* transport_kind.c - the transports' names, for the configuration and the
 * log: apart from transport.c so that parsing a configuration links no
 * io_uring. */
#include "config.h"

#include <string.h>

#include "transport.h"

static const char *const kind_names[] = { "auto", "ring", "socket" };

int transport_kind_parse(const char *s)
{
	int i;

	for (i = 0; i < 3; i++)
		if (strcmp(s, kind_names[i]) == 0)
			return i;
	return -1;
}

const char *transport_kind_name(enum tp_kind k)
{
	return kind_names[k];
}
