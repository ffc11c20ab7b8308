/* policy.h - the policy: named sets, ordered first-match rules, a default
 * action; and the reference judgement of a packet against it.
 *
 * policy_eval() is the linear first-match scan, the semantics the compiled
 * classifier (classify.h) must reproduce; the packet path calls the
 * classifier, and policy_eval_partial() for packets missing headers. */
#ifndef VD_POLICY_H
#define VD_POLICY_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pkt.h"
#include "set.h"
#include "stats.h"

enum policy_action {
	ACT_ACCEPT,
	ACT_DROP,
	ACT_REJECT,
	ACT_MARK,		/* accept, with a conntrack mark value */
};

/* A position in the policy file, for messages. */
struct policy_pos {
	unsigned int line;
	unsigned int col;
};

struct policy_set {
	char *name;		/* the kernel ipset's name */
	enum set_type type;
	uint8_t family;		/* address sets: AF_INET or AF_INET6 */
	uint16_t port_lo;	/* bitmap:port range */
	uint16_t port_hi;
	struct policy_pos pos;
};

struct policy_prefix {
	uint8_t family;
	uint8_t plen;
	union vd_addr addr;	/* masked to plen */
};

struct policy_range {
	uint16_t lo, hi;
};

struct match_addr {
	bool present, neg;
	size_t n;
	struct policy_prefix *pfx;
};

struct match_ports {
	bool present, neg;
	size_t n;
	struct policy_range *range;
};

/* A set match, as xt_set's --match-set NAME DIR[,DIR]: per dimension of
 * the set, whether it takes the packet's source or destination (address
 * or port, as the set's type says). Like xt_set, a packet without the
 * field a dimension needs is not in the set, so a negated match holds. */
enum policy_dir { POLICY_DIR_SRC, POLICY_DIR_DST };

struct match_set {
	int set;		/* index into policy.sets */
	bool neg;
	uint8_t dir[2];		/* enum policy_dir, one per dimension */
};

/* Set matches a rule may AND together (xt_set allows any number; rules
 * with more than a few are unheard of). */
#define POLICY_MAX_SETM 6

struct match_iface {
	bool present, neg;
	char name[IF_NAMESIZE];
	uint32_t ifindex;	/* resolved at load; 0 when absent */
};

/* The chains the fixed rules queue from, by netfilter hook number: iptables'
 * INPUT, FORWARD and OUTPUT (an imported ruleset keeps them apart). */
enum policy_hook {
	POLICY_HOOK_ANY = 0,
	POLICY_HOOK_INPUT = 1,		/* NF_INET_LOCAL_IN */
	POLICY_HOOK_FORWARD = 2,	/* NF_INET_FORWARD */
	POLICY_HOOK_OUTPUT = 3,		/* NF_INET_LOCAL_OUT */
	POLICY_HOOK_MAX = 3,
};

/* "input", "forward", "output" -> POLICY_HOOK_*, 0 if none of them. */
int policy_hook_parse(const char *s);
const char *policy_hook_name(int hook);

struct policy_rule {
	struct policy_pos pos;
	enum policy_action action;
	uint32_t mark;		/* ACT_MARK */
	struct policy_pos mark_pos;
	uint8_t family;		/* 0: both */
	uint8_t hook;		/* POLICY_HOOK_*: the iptables chain that queued it; 0: any */
	int proto;		/* -1: any */
	int icmp_type;		/* -1: any */
	int icmp_code;		/* -1: any */
	struct match_addr src, dst;
	struct match_ports sport, dport;
	struct match_iface iif, oif;
	struct match_set setm[POLICY_MAX_SETM];
	uint8_t nsetm;
	bool log;		/* its verdicts are logged (rate-limited) */
};

struct policy {
	struct policy_set *sets;
	size_t nsets;
	struct policy_rule *rules;
	size_t nrules;
	enum policy_action dflt;
	struct policy_pos dflt_pos;
};

/* What the policy decided, and why. */
struct policy_verdict {
	enum policy_action action;
	uint32_t mark;
	int rule;		/* index into rules, -1 for the default */
};

/* The userspace copies of the policy's sets, indexed like policy.sets. */
struct policy_sets {
	struct vset **set;
	size_t n;
	/* In a worker's own copy only: its counters (stats.h), lookups[i]
	 * and hits[i] of set i; NULL elsewhere (nothing counted). */
	_Atomic uint64_t *lookups, *hits;
};

/* The reference: a linear first-match scan. */
void policy_eval(const struct policy *pol, const struct policy_sets *sets,
		 const struct pkt *p, struct policy_verdict *v);
/* For a packet missing some of its headers (pkt.h: PKT_F_PARTIAL), the
 * verdict the kernel's own matches would reach. POLICY_DECIDED: @v as
 * policy_eval; POLICY_HOTDROP: a port or ICMP match met a header too short
 * and drops the packet, as xt_tcpudp and friends do (@v a drop, rule the
 * one whose match dropped it); POLICY_UNKNOWN: the copy range cut off what
 * the verdict depends on (@v->rule the first rule that cannot be told):
 * the packet gets the on-error verdict. For other packets, policy_eval.
 * PKT_F_NOIFACE and PKT_F_NOHOOK (a conntrack entry re-judged) make rules
 * with interface or hook matches unknown in the same way. */
enum policy_partial { POLICY_DECIDED, POLICY_HOTDROP, POLICY_UNKNOWN };
enum policy_partial policy_eval_partial(const struct policy *pol, const struct policy_sets *sets,
					const struct pkt *p, struct policy_verdict *v);
bool policy_rule_matches(const struct policy_rule *r, const struct policy_sets *sets,
			 const struct pkt *p);
bool policy_set_matches(const struct match_set *m, const struct policy_sets *sets,
			const struct pkt *p);

/* Resolves interface names to indexes (0 while an interface is absent, so
 * a positive match on it matches nothing until it appears). Safe while
 * workers read the policy: the indexes are written atomically. Returns how
 * many matches changed. */
size_t policy_resolve_ifaces(struct policy *pol);

/* Frees what a rule holds (its address and port lists), not the rule. */
void policy_rule_free(struct policy_rule *r);
void policy_free(struct policy *pol);

/* IPSET_MAXNAMELEN is 32 with the NUL. */
#define POLICY_SET_NAME_MAX 31

/* A set or interface name the policy can carry: 1 to @max letters, digits
 * and "_-.:" (nothing the parser reads as a comment, negation or list). */
bool policy_name_ok(const char *s, size_t max);

/* verdictd.conf(5) text: a set declaration line, a rule (no newline). */
void policy_write_set(FILE *out, const struct policy_set *s);
void policy_write_rule(FILE *out, const struct policy *pol, const struct policy_rule *r);
const char *policy_action_name(enum policy_action a);

#endif
