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
	bool reject_as_verdictd;	/* translate every REJECT as verdictd's reject */
	/* Per file, each -A line of the filter table counted once: */
	unsigned int lines_translated;	/* made rules */
	unsigned int lines_fastpath;	/* ESTABLISHED/RELATED: the fixed rules' job (noted) */
	unsigned int lines_logged;	/* LOG and friends: decide nothing (noted) */
	unsigned int lines_kept;	/* kept in the kernel by the restore file (noted) */
	unsigned int lines_partial;	/* made rules for some of their packets only (reported) */
	unsigned int lines_reported;	/* not translated, each reported */
	unsigned int lines_empty;	/* can never match where they are */
	unsigned int lines_other;	/* rules of other tables, kept as they are (noted) */
	/* What stays in the kernel, per family (0 IPv4, 1 IPv6), for
	 * import_write_restore(): */
	struct import_kernel {
		bool present;
		char *chains;		/* ":CHAIN POLICY [0:0]" lines of the filter table */
		char *input;		/* INPUT lines before the jump to VERDICTD */
		char *forward;		/* FORWARD lines before it */
		char *rest;		/* OUTPUT and the user chains kept */
		char *tables;		/* the other tables, as they were */
	} kernel[2];
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

/* iptables-restore text (no --noflush) for @family that replaces the old
 * tables in one go: the filter table as the fixed rules @fixed
 * (rules_print() output) plus the lines that stay in the kernel (INPUT's
 * and FORWARD's before the jump to VERDICTD, OUTPUT, the user chains they
 * need, with the chains' policies), and the other tables as they were. */
void import_write_restore(FILE *out, const struct import *im, int family, const char *fixed);

#endif
