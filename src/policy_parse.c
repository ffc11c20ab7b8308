/* policy_parse.c - the policy's grammar (verdictd.conf(5): SETS, RULES,
 * default): set declarations, rules and their matches, parsed from the
 * words of a line into the configuration's struct policy. The mirror of
 * policy_write.c; the words themselves are vocab.c's; lines, options and
 * messages are conf.c's. */
#include "config.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf.h"
#include "conf_parser.h"
#include "verdict.h"
#include "vocab.h"

static int rule_family(struct parser *ps, struct policy_rule *r, uint8_t family, unsigned int col);

static int find_set(const struct policy *pol, const char *name)
{
	size_t i;

	for (i = 0; i < pol->nsets; i++)
		if (strcmp(pol->sets[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int parse_family(struct parser *ps, const struct word *w, uint8_t *out)
{
	if (strcmp(w->s, "inet") == 0 || strcmp(w->s, "ipv4") == 0)
		*out = AF_INET;
	else if (strcmp(w->s, "inet6") == 0 || strcmp(w->s, "ipv6") == 0)
		*out = AF_INET6;
	else {
		parser_error(ps, w->col, "expected family inet or inet6, not '%s'", w->s);
		return -1;
	}
	return 0;
}

/* set NAME TYPE [family inet|inet6] [range LO-HI] */
int policy_parse_set(struct parser *ps)
{
	struct policy *pol = &ps->c->policy;
	struct policy_set s = { .family = AF_INET, .port_lo = 0, .port_hi = 65535 };
	struct policy_range r;
	struct policy_set *grown;
	size_t i;
	int t;

	if (ps->nw < 3) {
		parser_error(ps, ps->w[0].col, "expected 'set NAME TYPE', TYPE one of hash:ip, hash:net,"
		     " hash:ip,port, hash:net,port, bitmap:port");
		return -1;
	}
	if (!policy_name_ok(ps->w[1].s, POLICY_SET_NAME_MAX)) {
		parser_error(ps, ps->w[1].col, "'%s' is not a valid ipset name (1 to 31 letters, digits, _-.:)", ps->w[1].s);
		return -1;
	}
	if ((t = find_set(pol, ps->w[1].s)) >= 0) {
		parser_error(ps, ps->w[1].col, "set '%s' is already declared on line %u", ps->w[1].s, pol->sets[t].pos.line);
		return -1;
	}
	if ((t = set_type_parse(ps->w[2].s)) < 0) {
		parser_error(ps, ps->w[2].col, "unsupported set type '%s' (use hash:ip, hash:net, hash:ip,port,"
		     " hash:net,port or bitmap:port)", ps->w[2].s);
		return -1;
	}
	s.type = (enum set_type)t;
	for (i = 3; i < ps->nw; i += 2) {
		bool is_family = strcmp(ps->w[i].s, "family") == 0;
		bool is_range = strcmp(ps->w[i].s, "range") == 0;

		if ((!is_family && !is_range) || (is_family && s.type == SET_BITMAP_PORT) ||
		    (is_range && s.type != SET_BITMAP_PORT)) {
			parser_error(ps, ps->w[i].col, "unexpected '%s' (a %s set takes %s)", ps->w[i].s, ps->w[2].s,
			     s.type == SET_BITMAP_PORT ? "'range LO-HI'" : "'family inet|inet6'");
			return -1;
		}
		if (i + 1 >= ps->nw) {
			parser_error(ps, ps->w[i].col, "'%s' needs a value", ps->w[i].s);
			return -1;
		}
		if (is_family && parse_family(ps, &ps->w[i + 1], &s.family) < 0)
			return -1;
		if (is_range) {
			if (vocab_port_range(ps->w[i + 1].s, &r) < 0) {
				parser_error(ps, ps->w[i + 1].col, "'%s' is not a port range LO-HI", ps->w[i + 1].s);
				return -1;
			}
			s.port_lo = r.lo;
			s.port_hi = r.hi;
		}
	}
	if (s.type == SET_BITMAP_PORT)
		s.family = 0;
	grown = realloc(pol->sets, (pol->nsets + 1) * sizeof(*grown));
	s.name = strdup(ps->w[1].s);
	if (!grown || !s.name) {
		free(s.name);
		if (grown)
			pol->sets = grown;
		parser_error(ps, ps->w[0].col, "out of memory");
		return -1;
	}
	s.pos.line = ps->line;
	s.pos.col = ps->w[0].col;
	pol->sets = grown;
	pol->sets[pol->nsets++] = s;
	return 0;
}

/* Looks up "@name" and checks the set holds what the field needs: an
 * address (hash:ip, hash:net), a port (bitmap:port), or with @want_addr
 * < 0 any type (the "set" match, checked against its directions). */
static int ref_set(struct parser *ps, const struct word *w, const char *name, int want_addr)
{
	int i = find_set(&ps->c->policy, name);
	enum set_type t;

	if (i < 0) {
		parser_error(ps, w->col, "unknown set '%s' (declare it with 'set %s TYPE' on an earlier line)", name, name);
		return -1;
	}
	t = ps->c->policy.sets[i].type;
	if (want_addr >= 0 && (set_type_dims(t) != 1 || set_type_is_addr(t) != (want_addr > 0))) {
		parser_error(ps, w->col, "set '%s' is a %s set; this field needs %s%s", name, set_type_name(t),
		     want_addr ? "an address set (hash:ip or hash:net)" : "a port set (bitmap:port)",
		     set_type_dims(t) == 2 ? " (match an ip,port set with 'set @NAME src|dst,src|dst')" : "");
		return -1;
	}
	return i;
}

/* Appends a set match to the rule; an address set confines the rule to
 * its family, as ip(6)tables' --match-set does. */
static int add_setm(struct parser *ps, struct policy_rule *r, const struct word *v, int set,
		    bool neg, const uint8_t *dir)
{
	const struct policy_set *s = &ps->c->policy.sets[set];
	struct match_set *m;

	if (r->nsetm == POLICY_MAX_SETM) {
		parser_error(ps, v->col, "more than %d set matches in one rule", POLICY_MAX_SETM);
		return -1;
	}
	if (s->type != SET_BITMAP_PORT && rule_family(ps, r, s->family, v->col) < 0)
		return -1;
	m = &r->setm[r->nsetm++];
	m->set = set;
	m->neg = neg;
	m->dir[0] = dir[0];
	m->dir[1] = dir[1];
	return 0;
}

/* Splits "!x" / "!" "x" into negation and value word. Returns the index of
 * the value word, or -1. */
static int neg_value(struct parser *ps, size_t i, bool *neg, struct word *val)
{
	*neg = false;
	if (i + 1 >= ps->nw) {
		parser_error(ps, ps->w[i].col, "'%s' needs a value", ps->w[i].s);
		return -1;
	}
	*val = ps->w[i + 1];
	if (val->s[0] == '!') {
		*neg = true;
		val->s++;
		val->col++;
		if (val->s[0] == '\0') {
			if (i + 2 >= ps->nw) {
				parser_error(ps, ps->w[i + 1].col, "'!' needs a value after it");
				return -1;
			}
			*val = ps->w[i + 2];
			return (int)i + 2;
		}
	}
	return (int)i + 1;
}

/* Sets or checks the rule's address family from a field that implies one. */
static int rule_family(struct parser *ps, struct policy_rule *r, uint8_t family, unsigned int col)
{
	if (r->family && r->family != family) {
		parser_error(ps, col, "this rule mixes IPv4 and IPv6");
		return -1;
	}
	r->family = family;
	return 0;
}

/* The start of an address or port match, "[!]VALUE", at most once a
 * rule. Returns the index of the value word, or -1. */
static int match_begin(struct parser *ps, size_t i, bool *present, bool *neg, struct word *v)
{
	int next = neg_value(ps, i, neg, v);

	if (next < 0)
		return -1;
	if (*present) {
		parser_error(ps, ps->w[i].col, "'%s' given twice in one rule", ps->w[i].s);
		return -1;
	}
	*present = true;
	return next;
}

/* "src @SET", "dport @SET": a one-dimension set match, in the field's
 * direction. */
static int set_shorthand(struct parser *ps, struct policy_rule *r, const struct word *v, bool neg,
			 bool dst, int want_addr)
{
	uint8_t dir[2] = { dst ? POLICY_DIR_DST : POLICY_DIR_SRC, 0 };
	int set = ref_set(ps, v, v->s + 1, want_addr);

	return set < 0 ? -1 : add_setm(ps, r, v, set, neg, dir);
}

/* "src VALUE": a prefix list (at most one a rule) or "@SET" (a set
 * match, any number). */
static int parse_addr_match(struct parser *ps, struct policy_rule *r, size_t i,
			    struct match_addr *m)
{
	struct word v;
	char buf[4096], *tok, *save = NULL;
	bool neg;
	int next = neg_value(ps, i, &neg, &v);

	if (next >= 0 && v.s[0] == '@')
		return set_shorthand(ps, r, &v, neg, m == &r->dst, 1) < 0 ? -1 : next;
	if (next < 0 || (next = match_begin(ps, i, &m->present, &m->neg, &v)) < 0)
		return -1;
	if (strlen(v.s) >= sizeof(buf)) {
		parser_error(ps, v.col, "address list too long");
		return -1;
	}
	strcpy(buf, v.s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct policy_prefix *grown = realloc(m->pfx, (m->n + 1) * sizeof(*grown));
		unsigned int col = v.col + (unsigned int)(tok - buf);

		if (!grown) {
			parser_error(ps, col, "out of memory");
			return -1;
		}
		m->pfx = grown;
		if (vocab_prefix(tok, 0, &m->pfx[m->n]) < 0) {
			parser_error(ps, col, "'%s' is not an address or prefix (ADDR or ADDR/LEN), nor @set", tok);
			return -1;
		}
		if (rule_family(ps, r, m->pfx[m->n].family, col) < 0)
			return -1;
		m->n++;
	}
	if (m->n == 0) {
		parser_error(ps, v.col, "empty address list");
		return -1;
	}
	return next;
}

static int parse_port_match(struct parser *ps, struct policy_rule *r, size_t i,
			    struct match_ports *m)
{
	struct word v;
	char buf[4096], *tok, *save = NULL;
	bool neg;
	int next = neg_value(ps, i, &neg, &v);

	if (next >= 0 && v.s[0] == '@')
		return set_shorthand(ps, r, &v, neg, m == &r->dport, 0) < 0 ? -1 : next;
	if (next < 0 || (next = match_begin(ps, i, &m->present, &m->neg, &v)) < 0)
		return -1;
	if (strlen(v.s) >= sizeof(buf)) {
		parser_error(ps, v.col, "port list too long");
		return -1;
	}
	strcpy(buf, v.s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct policy_range *grown = realloc(m->range, (m->n + 1) * sizeof(*grown));

		if (!grown) {
			parser_error(ps, v.col, "out of memory");
			return -1;
		}
		m->range = grown;
		if (vocab_port_range(tok, &m->range[m->n]) < 0) {
			parser_error(ps, v.col + (unsigned int)(tok - buf),
			     "'%s' is not a port or range (0-65535, LO-HI)", tok);
			return -1;
		}
		m->n++;
	}
	if (m->n == 0) {
		parser_error(ps, v.col, "empty port list");
		return -1;
	}
	return next;
}

static int parse_proto(struct parser *ps, struct policy_rule *r, size_t i)
{
	const struct word *v;
	const char *near;
	uint8_t family;
	int num;

	if (i + 1 >= ps->nw) {
		parser_error(ps, ps->w[i].col, "'proto' needs a value");
		return -1;
	}
	v = &ps->w[i + 1];
	if (r->proto >= 0) {
		parser_error(ps, ps->w[i].col, "'proto' given twice in one rule");
		return -1;
	}
	num = vocab_proto_parse(v->s, &family);
	if (num < 0) {
		if ((near = parser_nearest(v->s, vocab_proto_names)))
			parser_error(ps, v->col, "unknown protocol '%s' (did you mean '%s'?)", v->s, near);
		else
			parser_error(ps, v->col, "unknown protocol '%s' (%s)", v->s, vocab_proto_list());
		return -1;
	}
	r->proto = num;
	if (family && rule_family(ps, r, family, v->col) < 0)
		return -1;
	return (int)i + 1;
}

/* icmp-type NAME|N[/CODE] */
static int parse_icmp_type(struct parser *ps, struct policy_rule *r, size_t i)
{
	char buf[64], *slash;
	const struct word *v;
	unsigned long num;
	int type = -1;

	if (r->proto != IPPROTO_ICMP && r->proto != IPPROTO_ICMPV6) {
		parser_error(ps, ps->w[i].col, "'icmp-type' needs 'proto icmp' or 'proto icmpv6' before it");
		return -1;
	}
	if (i + 1 >= ps->nw || strlen(ps->w[i + 1].s) >= sizeof(buf)) {
		parser_error(ps, ps->w[i].col, "'icmp-type' needs a type name or number");
		return -1;
	}
	v = &ps->w[i + 1];
	strcpy(buf, v->s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	type = vocab_icmp_type(buf, r->proto);
	if (type < 0 && vocab_uint(buf, 255, &num) == 0)
		type = (int)num;
	if (type < 0) {
		parser_error(ps, v->col, "unknown %s type '%s'", r->proto == IPPROTO_ICMP ? "icmp" : "icmpv6", buf);
		return -1;
	}
	r->icmp_type = type;
	if (slash) {
		if (vocab_uint(slash + 1, 255, &num) < 0) {
			parser_error(ps, v->col + (unsigned int)(slash + 1 - buf), "'%s' is not an icmp code (0-255)", slash + 1);
			return -1;
		}
		r->icmp_code = (int)num;
	}
	return (int)i + 1;
}

/* set [!]@NAME DIR[,DIR]: xt_set's --match-set, one direction (src or
 * dst) per dimension of the set. */
static int parse_set_match(struct parser *ps, struct policy_rule *r, size_t i)
{
	char buf[32], *tok, *save = NULL;
	struct word v;
	uint8_t dir[2] = { 0, 0 };
	unsigned int n = 0;
	bool neg;
	int next = neg_value(ps, i, &neg, &v), set;

	if (next < 0)
		return -1;
	if (v.s[0] != '@') {
		parser_error(ps, v.col, "expected @SET after 'set', not '%s'", v.s);
		return -1;
	}
	if ((set = ref_set(ps, &v, v.s + 1, -1)) < 0)
		return -1;
	if ((size_t)next + 1 >= ps->nw || strlen(ps->w[next + 1].s) >= sizeof(buf)) {
		parser_error(ps, v.col, "'set %s' needs its directions (src or dst for each of the set's %u"
		     " dimensions, e.g. src,dst)", v.s, set_type_dims(ps->c->policy.sets[set].type));
		return -1;
	}
	strcpy(buf, ps->w[next + 1].s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save), n++) {
		if ((strcmp(tok, "src") != 0 && strcmp(tok, "dst") != 0) || n >= 2) {
			parser_error(ps, ps->w[next + 1].col + (unsigned int)(tok - buf),
			     "'%s': expected src or dst, one per dimension of the set", tok);
			return -1;
		}
		dir[n] = strcmp(tok, "dst") == 0 ? POLICY_DIR_DST : POLICY_DIR_SRC;
	}
	if (n != set_type_dims(ps->c->policy.sets[set].type)) {
		parser_error(ps, ps->w[next + 1].col, "set '%s' is %s: give %u direction%s, not %u", v.s + 1,
		     set_type_name(ps->c->policy.sets[set].type), set_type_dims(ps->c->policy.sets[set].type),
		     set_type_dims(ps->c->policy.sets[set].type) == 1 ? "" : "s", n);
		return -1;
	}
	return add_setm(ps, r, &v, set, neg, dir) < 0 ? -1 : next + 1;
}

static int parse_iface(struct parser *ps, size_t i, struct match_iface *m)
{
	struct conf *c = ps->c;
	struct conf_iface_ref *grown;
	struct word v;
	int next = neg_value(ps, i, &m->neg, &v);

	if (next < 0)
		return -1;
	if (!policy_name_ok(v.s, IF_NAMESIZE - 1)) {
		parser_error(ps, v.col, "'%s' is not an interface name (1 to %d letters, digits, _-.:)", v.s,
		     IF_NAMESIZE - 1);
		return -1;
	}
	m->present = true;
	strcpy(m->name, v.s);
	grown = realloc(c->ifrefs, (c->nifrefs + 1) * sizeof(*grown));
	if (!grown) {
		parser_error(ps, v.col, "out of memory");
		return -1;
	}
	c->ifrefs = grown;
	grown[c->nifrefs] = (struct conf_iface_ref){ ps->line, v.col, strcmp(ps->w[i].s, "oif") == 0,
						      m->neg, "" };
	strcpy(grown[c->nifrefs].name, v.s);
	c->nifrefs++;
	return next;
}

/* hook input|forward|output: the chain whose packets the rule judges. */
static int parse_hook(struct parser *ps, struct policy_rule *r, size_t i)
{
	int h;

	if (i + 1 >= ps->nw) {
		parser_error(ps, ps->w[i].col, "'hook' needs a value (input, forward or output)");
		return -1;
	}
	if (r->hook) {
		parser_error(ps, ps->w[i].col, "'hook' given twice in one rule");
		return -1;
	}
	h = policy_hook_parse(ps->w[i + 1].s);
	if (!h) {
		parser_error(ps, ps->w[i + 1].col, "expected hook input, forward or output, not '%s'",
		     ps->w[i + 1].s);
		return -1;
	}
	r->hook = (uint8_t)h;
	return (int)i + 1;
}

/* Checks what a match word needs from the rest of the rule. */
static int check_rule(struct parser *ps, struct policy_rule *r)
{
	if ((r->sport.present || r->dport.present) && !vocab_proto_has_ports(r->proto)) {
		parser_error(ps, r->pos.col, "a port match needs 'proto tcp', 'udp', 'sctp', 'udplite' or 'dccp' in the rule");
		return -1;
	}
	return 0;
}

int policy_parse_rule(struct parser *ps)
{
	struct policy *pol = &ps->c->policy;
	struct policy_rule r;
	struct policy_rule *grown;
	size_t i = 1;
	int next = 0;

	memset(&r, 0, sizeof(r));
	r.proto = r.icmp_type = r.icmp_code = -1;
	r.pos.line = ps->line;
	r.pos.col = ps->w[0].col;
	if (strcmp(ps->w[0].s, "mark") == 0) {
		unsigned long v;

		if (ps->nw < 2 || vocab_uint(ps->w[1].s, UINT32_MAX, &v) < 0) {
			parser_error(ps, ps->nw < 2 ? ps->w[0].col : ps->w[1].col, "'mark' needs a value (0x...)");
			return -1;
		}
		r.action = ACT_MARK;
		r.mark = (uint32_t)v;
		r.mark_pos.line = ps->line;
		r.mark_pos.col = ps->w[1].col;
		i = 2;
	} else {
		parser_verdict(ps, &ps->w[0], true, &r.action);
	}
	while (i < ps->nw && next >= 0) {
		const char *k = ps->w[i].s;

		if (strcmp(k, "src") == 0)
			next = parse_addr_match(ps, &r, i, &r.src);
		else if (strcmp(k, "dst") == 0)
			next = parse_addr_match(ps, &r, i, &r.dst);
		else if (strcmp(k, "sport") == 0)
			next = parse_port_match(ps, &r, i, &r.sport);
		else if (strcmp(k, "dport") == 0)
			next = parse_port_match(ps, &r, i, &r.dport);
		else if (strcmp(k, "proto") == 0)
			next = parse_proto(ps, &r, i);
		else if (strcmp(k, "icmp-type") == 0)
			next = parse_icmp_type(ps, &r, i);
		else if (strcmp(k, "iif") == 0)
			next = parse_iface(ps, i, &r.iif);
		else if (strcmp(k, "oif") == 0)
			next = parse_iface(ps, i, &r.oif);
		else if (strcmp(k, "hook") == 0)
			next = parse_hook(ps, &r, i);
		else if (strcmp(k, "set") == 0)
			next = parse_set_match(ps, &r, i);
		else if (strcmp(k, "log") == 0) {
			/* a flag, not a match: the rule's verdicts are logged */
			if (r.log)
				parser_error(ps, ps->w[i].col, "'log' given twice in one rule");
			next = r.log ? -1 : (int)i;
			r.log = true;
		} else if (strcmp(k, "family") == 0 && i + 1 < ps->nw) {
			uint8_t fam;

			next = parse_family(ps, &ps->w[i + 1], &fam) < 0 ? -1 : (int)i + 1;
			if (next >= 0 && rule_family(ps, &r, fam, ps->w[i + 1].col) < 0)
				next = -1;
		} else if (strcmp(k, "family") == 0) {
			parser_error(ps, ps->w[i].col, "'family' needs a value (inet or inet6)");
			next = -1;
		} else {
			static const char *const matches[] = {
				"src", "dst", "proto", "sport", "dport", "icmp-type", "iif", "oif",
				"hook", "family", "set", "log", NULL,
			};
			const char *near = parser_nearest(k, matches);

			if (near)
				parser_error(ps, ps->w[i].col, "unknown match '%s' (did you mean '%s'?)", k, near);
			else
				parser_error(ps, ps->w[i].col, "unknown match '%s' (src, dst, proto, sport, dport,"
				     " icmp-type, iif, oif, hook, family, set; the flag log)", k);
			next = -1;
		}
		i = (size_t)next + 1;
	}
	if (next < 0 || check_rule(ps, &r) < 0)
		goto fail;
	grown = realloc(pol->rules, (pol->nrules + 1) * sizeof(*grown));
	if (!grown) {
		parser_error(ps, ps->w[0].col, "out of memory");
		goto fail;
	}
	pol->rules = grown;
	pol->rules[pol->nrules++] = r;
	return 0;
fail:
	policy_rule_free(&r);
	return -1;
}


int policy_parse_default(struct parser *ps)
{
	struct conf *c = ps->c;

	if (!parser_want(ps, 2))
		return -1;
	if (ps->have_default) {
		parser_error(ps, ps->w[0].col, "second 'default' (line %u has the first)",
			     c->policy.dflt_pos.line);
		return -1;
	}
	ps->have_default = true;
	c->policy.dflt_pos.line = ps->line;
	c->policy.dflt_pos.col = ps->w[0].col;
	return parser_verdict(ps, &ps->w[1], true, &c->policy.dflt);
}

/* Checks that need the whole file: mark values against the final mask. */
void policy_parse_check(struct parser *ps)
{
	const struct conf *c = ps->c;
	uint32_t user = c->mark_mask & ~verdict_code_mask(c->mark_mask);
	size_t i;

	for (i = 0; i < c->policy.nrules; i++) {
		const struct policy_rule *r = &c->policy.rules[i];

		if (r->action != ACT_MARK || (r->mark & ~user) == 0)
			continue;
		ps->line = r->mark_pos.line;
		parser_error(ps, r->mark_pos.col, "mark 0x%x has bits outside 0x%x (mark-mask 0x%x less its"
		     " two verdict bits 0x%x)", r->mark, user, c->mark_mask, verdict_code_mask(c->mark_mask));
	}
}

