/* import.h - translating an iptables filter table into a verdictd policy:
 * user chains inlined, RETURNs turned into negations, the chains' policies
 * into closing rules, runs of rules that differ in one address merged
 * (into a new ipset when long), and every line that cannot be translated
 * reported with its number. */
#ifndef VD_IMPORT_H
#define VD_IMPORT_H

#include <stdio.h>

#include "ipt.h"
#include "policy.h"

/* An ipset known from `ipset save` output: what the policy needs to
 * declare it, and its lines for the restore file. */
struct import_ipset {
	char *name;
	char *type;		/* as ipset names it: "hash:net", "hash:ip,port", ... */
	uint8_t family;
	uint16_t port_lo, port_hi;
	char *lines;		/* "create ..." and its "add ..." lines */
	bool used;
};

struct import {
	struct policy pol;	/* the translation: sets and rules */
	char **origin;		/* per policy rule: where it came from ("FILE:LINE") */
	struct import_ipset *ipsets;
	size_t nipsets;
	char *new_sets;		/* restore lines of the sets made by merging */
	size_t new_sets_len;
	unsigned int nsets_made;
	unsigned int lines_translated;	/* -A lines of the filter table that made rules */
	unsigned int lines_fastpath;	/* ESTABLISHED/RELATED accepts: the fixed rules' job */
	unsigned int lines_reported;	/* not translated, each reported */
	unsigned int lines_empty;	/* can never match where they are */
};

void import_init(struct import *im);
void import_free(struct import *im);

/* Reads `ipset save` output: the sets rules may name. -1 on a malformed
 * file (reported as "name:line: ..."). */
int import_read_ipsets(struct import *im, FILE *in, const char *name, FILE *report);

/* Appends the translation of @rs (read from @name) to im->pol. Reports each
 * line it cannot translate to @report. -1 only when out of memory. */
int import_ruleset(struct import *im, const struct ipt_ruleset *rs, const char *name, FILE *report);

/* Merges runs of consecutive rules that differ only in one address field;
 * a run of @set_min or more prefixes becomes a new hash:net set. */
int import_merge(struct import *im, size_t set_min);

/* verdictd.conf(5) text for the translation. */
void import_write_policy(FILE *out, const struct import *im, const char *source);

/* ipset restore text: the sets the policy names (as read) and the ones
 * made by merging. */
void import_write_ipsets(FILE *out, const struct import *im);

#endif
