/* vocab.h - the policy's vocabulary: protocol and ICMP type names, which
 * protocols have ports, numbers, ports and address prefixes as the policy
 * writes them. Whatever reads or writes policy words (the grammar, the
 * importer, the tracer, the policy writer, the logs) asks here, so that a
 * name means one thing everywhere. Adding a match field: a word here, its
 * grammar in policy_parse.c, its lookup in classify.c. */
#ifndef VD_VOCAB_H
#define VD_VOCAB_H

#include <stdbool.h>
#include <stdint.h>

#include "policy.h"

/* A protocol name ("tcp", "icmpv6", "ipv6-icmp", ...) or a number 0-255;
 * -1 if neither. @family (may be NULL): the family the name implies
 * (icmp: AF_INET, icmpv6: AF_INET6), 0 for none. */
int vocab_proto_parse(const char *s, uint8_t *family);
/* The protocol's name, NULL for one without (write its number). */
const char *vocab_proto_name(int num);
/* The names vocab_proto_parse() knows, NULL-terminated (for "did you
 * mean"), and the same as a sentence for messages. */
extern const char *const vocab_proto_names[];
const char *vocab_proto_list(void);
/* Whether a port match may name the protocol (the kernel's tcp, udp,
 * sctp, udplite and dccp matches). */
bool vocab_proto_has_ports(int proto);

/* An ICMP or ICMPv6 (@proto) type name ("echo-request", ...) into its
 * number; -1 for a name the family does not have. */
int vocab_icmp_type(const char *name, int proto);

/* A decimal number up to @max: 0, or -1 if malformed or larger. */
int vocab_uint(const char *s, unsigned long max, unsigned long *out);
/* "80" or "1000-2000" (lo <= hi): 0, or -1. */
int vocab_port_range(const char *s, struct policy_range *r);
/* "10.0.0.0/8", "2001:db8::/32", "192.0.2.1" (a whole address): 0, or -1.
 * The address is masked to the prefix. @family 0 takes either family. */
int vocab_prefix(const char *s, uint8_t family, struct policy_prefix *p);

#endif
