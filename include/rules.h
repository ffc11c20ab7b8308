/* rules.h - the fixed kernel rule set that goes with a configuration. */
#ifndef VD_RULES_H
#define VD_RULES_H

#include <stdio.h>
#include <sys/socket.h>

#include "conf.h"

/* Writes the iptables-restore fragment for @family (AF_INET, AF_INET6). */
void rules_print(FILE *out, const struct conf *c, int family);

#endif
