/* conf.c - the verdictd.conf(5) parser.
 *
 * The file is line oriented: one option, set declaration or rule a line,
 * words separated by blanks, '#' to the end of the line a comment. Every
 * error is reported with its line and column, and parsing goes on to the
 * next line so that one run shows every mistake. Messages are kept until
 * the whole file is read (some checks need all of it) and printed in line
 * and column order. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf.h"
#include "transport.h"
#include "verdict.h"
#include "vocab.h"

#define MAX_WORDS 64

struct word {
	const char *s;		/* NUL-terminated copy inside the line buffer */
	unsigned int col;
};

/* One message, held until the file is read. */
struct diag {
	unsigned int line, col;
	size_t seq;		/* order of reporting: keeps the sort stable */
	char *text;		/* NULL when out of memory */
};

struct parser {
	struct conf *c;
	const char *name;
	FILE *err;
	unsigned int line;
	int errors;
	bool have_default;
	struct word w[MAX_WORDS];
	size_t nw;
	struct diag *diags;
	size_t ndiags;
};

static void perr(struct parser *ps, unsigned int col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void perr(struct parser *ps, unsigned int col, const char *fmt, ...)
{
	struct diag *grown;
	va_list ap;

	ps->errors++;
	if (!ps->err)
		return;
	grown = realloc(ps->diags, (ps->ndiags + 1) * sizeof(*grown));
	if (!grown)
		return;		/* still counted; printed as a number */
	ps->diags = grown;
	grown[ps->ndiags] = (struct diag){ ps->line, col, ps->ndiags, NULL };
	va_start(ap, fmt);
	if (vasprintf(&grown[ps->ndiags].text, fmt, ap) < 0)
		grown[ps->ndiags].text = NULL;
	va_end(ap);
	ps->ndiags++;
}

static int diag_cmp(const void *a, const void *b)
{
	const struct diag *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Prints the held messages in line and column order. */
static void flush_diags(struct parser *ps)
{
	size_t i;

	if (ps->ndiags)
		qsort(ps->diags, ps->ndiags, sizeof(*ps->diags), diag_cmp);
	for (i = 0; i < ps->ndiags; i++) {
		fprintf(ps->err, "%s:%u:%u: %s\n", ps->name, ps->diags[i].line, ps->diags[i].col,
			ps->diags[i].text ? ps->diags[i].text : "(out of memory for this message)");
		free(ps->diags[i].text);
	}
	if (ps->err && (size_t)ps->errors > ps->ndiags)
		fprintf(ps->err, "%s: %zu more error%s (out of memory for their messages)\n", ps->name,
			(size_t)ps->errors - ps->ndiags, (size_t)ps->errors - ps->ndiags == 1 ? "" : "s");
	free(ps->diags);
	ps->diags = NULL;
	ps->ndiags = 0;
}

/* Optimal string alignment distance (Levenshtein plus swapping two
 * neighbours), for "did you mean". Words longer than 31 are never near. */
static unsigned int edit_distance(const char *a, const char *b)
{
	unsigned int d[33][33];
	size_t la = strlen(a), lb = strlen(b), i, j;

	if (la > 31 || lb > 31)
		return UINT_MAX;
	for (i = 0; i <= la; i++)
		d[i][0] = (unsigned int)i;
	for (j = 0; j <= lb; j++)
		d[0][j] = (unsigned int)j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			unsigned int cost = a[i - 1] != b[j - 1], v = d[i - 1][j - 1] + cost;

			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	}
	return d[la][lb];
}

/* The word of @names (NULL-terminated) nearest to @s, when it is near
 * enough to be a slip of the keyboard (at most 2 edits, fewer than the
 * word has letters); else NULL. */
static const char *nearest(const char *s, const char *const *names)
{
	unsigned int best = UINT_MAX, d, max = strlen(s) <= 3 ? 1 : 2;
	const char *found = NULL;

	for (; *names; names++) {
		d = edit_distance(s, *names);
		if (d < best) {
			best = d;
			found = *names;
		}
	}
	return best <= max ? found : NULL;
}

void conf_init(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->mark_mask = 0x0000ffff;
	c->queue_maxlen = 65536;
	c->rcvbuf = 16u << 20;
	c->copy_range = 256;
	c->batch = 256;
	c->on_error = ACT_DROP;
	c->bypass = true;
	c->transport = TP_AUTO;
	c->ring_buffers = 1024;
	c->policy.dflt = ACT_DROP;
}

void conf_free(struct conf *c)
{
	policy_free(&c->policy);
	free(c->ifrefs);
	c->ifrefs = NULL;
	c->nifrefs = 0;
	free(c->path);
	c->path = NULL;
}

int conf_parse_queues(const char *s, uint16_t *first, uint16_t *last)
{
	struct policy_range r;

	if (vocab_port_range(s, &r) < 0 || r.hi - r.lo + 1 > CONF_MAX_QUEUES)
		return -1;
	*first = r.lo;
	*last = r.hi;
	return 0;
}

/* Splits the line in place into words; strips comments. */
static int split_words(struct parser *ps, char *line)
{
	char *p = line;

	ps->nw = 0;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			p++;
		if (*p == '\0' || *p == '#' || *p == '\n')
			break;
		if (ps->nw == MAX_WORDS) {
			perr(ps, (unsigned int)(p - line) + 1, "line has more than %d words", MAX_WORDS);
			return -1;
		}
		ps->w[ps->nw].s = p;
		ps->w[ps->nw].col = (unsigned int)(p - line) + 1;
		ps->nw++;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n' && *p != '#')
			p++;
		if (*p == '#' || *p == '\n') {
			*p = '\0';
			break;
		}
		if (*p)
			*p++ = '\0';
	}
	return 0;
}

/* Expects exactly @n words on an option line. */
static bool want_words(struct parser *ps, size_t n)
{
	if (ps->nw < n) {
		perr(ps, ps->w[ps->nw - 1].col + (unsigned int)strlen(ps->w[ps->nw - 1].s),
		     "'%s' needs a value", ps->w[0].s);
		return false;
	}
	if (ps->nw > n) {
		perr(ps, ps->w[n].col, "unexpected '%s' after '%s'", ps->w[n].s, ps->w[0].s);
		return false;
	}
	return true;
}

static int parse_bool(struct parser *ps, const struct word *w, bool *out)
{
	if (strcmp(w->s, "yes") == 0 || strcmp(w->s, "on") == 0) {
		*out = true;
		return 0;
	}
	if (strcmp(w->s, "no") == 0 || strcmp(w->s, "off") == 0) {
		*out = false;
		return 0;
	}
	perr(ps, w->col, "expected yes or no, not '%s'", w->s);
	return -1;
}

static int parse_u32(struct parser *ps, const struct word *w, unsigned long lo,
		     unsigned long hi, uint32_t *out)
{
	unsigned long v;

	if (vocab_uint(w->s, hi, &v) < 0 || v < lo) {
		perr(ps, w->col, "'%s' is not a number from %lu to %lu", w->s, lo, hi);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

/* A byte count with an optional k/M/G suffix. */
static int parse_size(struct parser *ps, const struct word *w, uint32_t *out)
{
	char buf[32];
	size_t n = strlen(w->s);
	unsigned long v, mult = 1;

	if (n > 0 && n < sizeof(buf)) {
		memcpy(buf, w->s, n + 1);
		switch (buf[n - 1]) {
		case 'k': case 'K': mult = 1ul << 10; buf[n - 1] = '\0'; break;
		case 'M': mult = 1ul << 20; buf[n - 1] = '\0'; break;
		case 'G': mult = 1ul << 30; buf[n - 1] = '\0'; break;
		}
		if (vocab_uint(buf, UINT32_MAX, &v) == 0 && v * mult <= INT_MAX && v * mult >= 4096) {
			*out = (uint32_t)(v * mult);
			return 0;
		}
	}
	perr(ps, w->col, "'%s' is not a size from 4k to 2047M", w->s);
	return -1;
}

int conf_parse_cpus(struct conf *c, const char *list, size_t *bad)
{
	char buf[1024], *tok, *save = NULL;
	unsigned long v;

	*bad = 0;
	if (strlen(list) >= sizeof(buf))
		return -1;
	strcpy(buf, list);
	c->ncpus = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (vocab_uint(tok, CONF_MAX_CPUS - 1, &v) < 0 || c->ncpus == CONF_MAX_CPUS) {
			*bad = (size_t)(tok - buf);
			return -1;
		}
		c->cpus[c->ncpus++] = (int)v;
	}
	return 0;
}

static int parse_cpus(struct parser *ps, const struct word *w)
{
	size_t bad;

	if (conf_parse_cpus(ps->c, w->s, &bad) == 0)
		return 0;
	perr(ps, w->col + (unsigned int)bad, "'%.*s' is not a CPU number (a list like 0,1)",
	     (int)strcspn(w->s + bad, ","), w->s + bad);
	return -1;
}

static int parse_verdict_word(struct parser *ps, const struct word *w, bool allow_reject,
			      enum policy_action *out)
{
	if (strcmp(w->s, "accept") == 0)
		*out = ACT_ACCEPT;
	else if (strcmp(w->s, "drop") == 0)
		*out = ACT_DROP;
	else if (allow_reject && strcmp(w->s, "reject") == 0)
		*out = ACT_REJECT;
	else {
		perr(ps, w->col, "expected %s, not '%s'",
		     allow_reject ? "accept, drop or reject" : "accept or drop", w->s);
		return -1;
	}
	return 0;
}

static int parse_option(struct parser *ps)
{
	const char *k = ps->w[0].s;
	struct conf *c = ps->c;

	if (!want_words(ps, 2))
		return -1;
	if (strcmp(k, "queue") == 0) {
		if (conf_parse_queues(ps->w[1].s, &c->queue_first, &c->queue_last) < 0) {
			perr(ps, ps->w[1].col, "'%s' is not a queue number or range (N or N-M, at most %d queues)",
			     ps->w[1].s, CONF_MAX_QUEUES);
			return -1;
		}
		return 0;
	}
	if (strcmp(k, "cpus") == 0)
		return parse_cpus(ps, &ps->w[1]);
	if (strcmp(k, "mark-mask") == 0) {
		if (parse_u32(ps, &ps->w[1], 3, UINT32_MAX, &c->mark_mask) < 0)
			return -1;
		if (((c->mark_mask >> __builtin_ctz(c->mark_mask)) & 3) != 3) {
			perr(ps, ps->w[1].col, "mark-mask %s must have its two lowest set bits adjacent"
			     " (they hold the verdict)", ps->w[1].s);
			return -1;
		}
		return 0;
	}
	if (strcmp(k, "fail-open") == 0)
		return parse_bool(ps, &ps->w[1], &c->fail_open);
	if (strcmp(k, "transport") == 0) {
		int kind = transport_kind_parse(ps->w[1].s);

		if (kind < 0) {
			perr(ps, ps->w[1].col, "expected auto, ring or socket, not '%s'", ps->w[1].s);
			return -1;
		}
		c->transport = (enum tp_kind)kind;
		return 0;
	}
	if (strcmp(k, "ring-buffers") == 0) {
		if (parse_u32(ps, &ps->w[1], 64, 32768, &c->ring_buffers) < 0)
			return -1;
		if (c->ring_buffers & (c->ring_buffers - 1)) {
			perr(ps, ps->w[1].col, "ring-buffers %u is not a power of two", c->ring_buffers);
			return -1;
		}
		return 0;
	}
	if (strcmp(k, "bypass") == 0)
		return parse_bool(ps, &ps->w[1], &c->bypass);
	if (strcmp(k, "queue-maxlen") == 0)
		return parse_u32(ps, &ps->w[1], 1, UINT32_MAX, &c->queue_maxlen);
	if (strcmp(k, "rcvbuf") == 0)
		return parse_size(ps, &ps->w[1], &c->rcvbuf);
	if (strcmp(k, "copy-range") == 0)
		return parse_u32(ps, &ps->w[1], 64, 65535, &c->copy_range);
	if (strcmp(k, "batch") == 0)
		return parse_u32(ps, &ps->w[1], 1, 1024, &c->batch);
	if (strcmp(k, "on-error") == 0)
		return parse_verdict_word(ps, &ps->w[1], false, &c->on_error);
	if (strcmp(k, "default") == 0) {
		if (ps->have_default) {
			perr(ps, ps->w[0].col, "second 'default' (line %u has the first)", c->policy.dflt_pos.line);
			return -1;
		}
		ps->have_default = true;
		c->policy.dflt_pos.line = ps->line;
		c->policy.dflt_pos.col = ps->w[0].col;
		return parse_verdict_word(ps, &ps->w[1], true, &c->policy.dflt);
	}
	perr(ps, ps->w[0].col, "unknown keyword '%s'", k);	/* not reached: see parse_line */
	return -1;
}

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
		perr(ps, w->col, "expected family inet or inet6, not '%s'", w->s);
		return -1;
	}
	return 0;
}

/* set NAME TYPE [family inet|inet6] [range LO-HI] */
static int parse_set(struct parser *ps)
{
	struct policy *pol = &ps->c->policy;
	struct policy_set s = { .family = AF_INET, .port_lo = 0, .port_hi = 65535 };
	struct policy_range r;
	struct policy_set *grown;
	size_t i;
	int t;

	if (ps->nw < 3) {
		perr(ps, ps->w[0].col, "expected 'set NAME TYPE', TYPE one of hash:ip, hash:net,"
		     " hash:ip,port, hash:net,port, bitmap:port");
		return -1;
	}
	if (!policy_name_ok(ps->w[1].s, POLICY_SET_NAME_MAX)) {
		perr(ps, ps->w[1].col, "'%s' is not a valid ipset name (1 to 31 letters, digits, _-.:)", ps->w[1].s);
		return -1;
	}
	if ((t = find_set(pol, ps->w[1].s)) >= 0) {
		perr(ps, ps->w[1].col, "set '%s' is already declared on line %u", ps->w[1].s, pol->sets[t].pos.line);
		return -1;
	}
	if ((t = set_type_parse(ps->w[2].s)) < 0) {
		perr(ps, ps->w[2].col, "unsupported set type '%s' (use hash:ip, hash:net, hash:ip,port,"
		     " hash:net,port or bitmap:port)", ps->w[2].s);
		return -1;
	}
	s.type = (enum set_type)t;
	for (i = 3; i < ps->nw; i += 2) {
		bool is_family = strcmp(ps->w[i].s, "family") == 0;
		bool is_range = strcmp(ps->w[i].s, "range") == 0;

		if ((!is_family && !is_range) || (is_family && s.type == SET_BITMAP_PORT) ||
		    (is_range && s.type != SET_BITMAP_PORT)) {
			perr(ps, ps->w[i].col, "unexpected '%s' (a %s set takes %s)", ps->w[i].s, ps->w[2].s,
			     s.type == SET_BITMAP_PORT ? "'range LO-HI'" : "'family inet|inet6'");
			return -1;
		}
		if (i + 1 >= ps->nw) {
			perr(ps, ps->w[i].col, "'%s' needs a value", ps->w[i].s);
			return -1;
		}
		if (is_family && parse_family(ps, &ps->w[i + 1], &s.family) < 0)
			return -1;
		if (is_range) {
			if (vocab_port_range(ps->w[i + 1].s, &r) < 0) {
				perr(ps, ps->w[i + 1].col, "'%s' is not a port range LO-HI", ps->w[i + 1].s);
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
		perr(ps, ps->w[0].col, "out of memory");
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
		perr(ps, w->col, "unknown set '%s' (declare it with 'set %s TYPE' on an earlier line)", name, name);
		return -1;
	}
	t = ps->c->policy.sets[i].type;
	if (want_addr >= 0 && (set_type_dims(t) != 1 || set_type_is_addr(t) != (want_addr > 0))) {
		perr(ps, w->col, "set '%s' is a %s set; this field needs %s%s", name, set_type_name(t),
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
		perr(ps, v->col, "more than %d set matches in one rule", POLICY_MAX_SETM);
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
		perr(ps, ps->w[i].col, "'%s' needs a value", ps->w[i].s);
		return -1;
	}
	*val = ps->w[i + 1];
	if (val->s[0] == '!') {
		*neg = true;
		val->s++;
		val->col++;
		if (val->s[0] == '\0') {
			if (i + 2 >= ps->nw) {
				perr(ps, ps->w[i + 1].col, "'!' needs a value after it");
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
		perr(ps, col, "this rule mixes IPv4 and IPv6");
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
		perr(ps, ps->w[i].col, "'%s' given twice in one rule", ps->w[i].s);
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
		perr(ps, v.col, "address list too long");
		return -1;
	}
	strcpy(buf, v.s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct policy_prefix *grown = realloc(m->pfx, (m->n + 1) * sizeof(*grown));
		unsigned int col = v.col + (unsigned int)(tok - buf);

		if (!grown) {
			perr(ps, col, "out of memory");
			return -1;
		}
		m->pfx = grown;
		if (vocab_prefix(tok, 0, &m->pfx[m->n]) < 0) {
			perr(ps, col, "'%s' is not an address or prefix (ADDR or ADDR/LEN), nor @set", tok);
			return -1;
		}
		if (rule_family(ps, r, m->pfx[m->n].family, col) < 0)
			return -1;
		m->n++;
	}
	if (m->n == 0) {
		perr(ps, v.col, "empty address list");
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
		perr(ps, v.col, "port list too long");
		return -1;
	}
	strcpy(buf, v.s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct policy_range *grown = realloc(m->range, (m->n + 1) * sizeof(*grown));

		if (!grown) {
			perr(ps, v.col, "out of memory");
			return -1;
		}
		m->range = grown;
		if (vocab_port_range(tok, &m->range[m->n]) < 0) {
			perr(ps, v.col + (unsigned int)(tok - buf),
			     "'%s' is not a port or range (0-65535, LO-HI)", tok);
			return -1;
		}
		m->n++;
	}
	if (m->n == 0) {
		perr(ps, v.col, "empty port list");
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
		perr(ps, ps->w[i].col, "'proto' needs a value");
		return -1;
	}
	v = &ps->w[i + 1];
	if (r->proto >= 0) {
		perr(ps, ps->w[i].col, "'proto' given twice in one rule");
		return -1;
	}
	num = vocab_proto_parse(v->s, &family);
	if (num < 0) {
		if ((near = nearest(v->s, vocab_proto_names)))
			perr(ps, v->col, "unknown protocol '%s' (did you mean '%s'?)", v->s, near);
		else
			perr(ps, v->col, "unknown protocol '%s' (%s)", v->s, vocab_proto_list());
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
		perr(ps, ps->w[i].col, "'icmp-type' needs 'proto icmp' or 'proto icmpv6' before it");
		return -1;
	}
	if (i + 1 >= ps->nw || strlen(ps->w[i + 1].s) >= sizeof(buf)) {
		perr(ps, ps->w[i].col, "'icmp-type' needs a type name or number");
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
		perr(ps, v->col, "unknown %s type '%s'", r->proto == IPPROTO_ICMP ? "icmp" : "icmpv6", buf);
		return -1;
	}
	r->icmp_type = type;
	if (slash) {
		if (vocab_uint(slash + 1, 255, &num) < 0) {
			perr(ps, v->col + (unsigned int)(slash + 1 - buf), "'%s' is not an icmp code (0-255)", slash + 1);
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
		perr(ps, v.col, "expected @SET after 'set', not '%s'", v.s);
		return -1;
	}
	if ((set = ref_set(ps, &v, v.s + 1, -1)) < 0)
		return -1;
	if ((size_t)next + 1 >= ps->nw || strlen(ps->w[next + 1].s) >= sizeof(buf)) {
		perr(ps, v.col, "'set %s' needs its directions (src or dst for each of the set's %u"
		     " dimensions, e.g. src,dst)", v.s, set_type_dims(ps->c->policy.sets[set].type));
		return -1;
	}
	strcpy(buf, ps->w[next + 1].s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save), n++) {
		if ((strcmp(tok, "src") != 0 && strcmp(tok, "dst") != 0) || n >= 2) {
			perr(ps, ps->w[next + 1].col + (unsigned int)(tok - buf),
			     "'%s': expected src or dst, one per dimension of the set", tok);
			return -1;
		}
		dir[n] = strcmp(tok, "dst") == 0 ? POLICY_DIR_DST : POLICY_DIR_SRC;
	}
	if (n != set_type_dims(ps->c->policy.sets[set].type)) {
		perr(ps, ps->w[next + 1].col, "set '%s' is %s: give %u direction%s, not %u", v.s + 1,
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
		perr(ps, v.col, "'%s' is not an interface name (1 to %d letters, digits, _-.:)", v.s,
		     IF_NAMESIZE - 1);
		return -1;
	}
	m->present = true;
	strcpy(m->name, v.s);
	grown = realloc(c->ifrefs, (c->nifrefs + 1) * sizeof(*grown));
	if (!grown) {
		perr(ps, v.col, "out of memory");
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
		perr(ps, ps->w[i].col, "'hook' needs a value (input, forward or output)");
		return -1;
	}
	if (r->hook) {
		perr(ps, ps->w[i].col, "'hook' given twice in one rule");
		return -1;
	}
	h = policy_hook_parse(ps->w[i + 1].s);
	if (!h) {
		perr(ps, ps->w[i + 1].col, "expected hook input, forward or output, not '%s'",
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
		perr(ps, r->pos.col, "a port match needs 'proto tcp', 'udp', 'sctp', 'udplite' or 'dccp' in the rule");
		return -1;
	}
	return 0;
}

static int parse_rule(struct parser *ps)
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
			perr(ps, ps->nw < 2 ? ps->w[0].col : ps->w[1].col, "'mark' needs a value (0x...)");
			return -1;
		}
		r.action = ACT_MARK;
		r.mark = (uint32_t)v;
		r.mark_pos.line = ps->line;
		r.mark_pos.col = ps->w[1].col;
		i = 2;
	} else {
		parse_verdict_word(ps, &ps->w[0], true, &r.action);
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
		else if (strcmp(k, "family") == 0 && i + 1 < ps->nw) {
			uint8_t fam;

			next = parse_family(ps, &ps->w[i + 1], &fam) < 0 ? -1 : (int)i + 1;
			if (next >= 0 && rule_family(ps, &r, fam, ps->w[i + 1].col) < 0)
				next = -1;
		} else if (strcmp(k, "family") == 0) {
			perr(ps, ps->w[i].col, "'family' needs a value (inet or inet6)");
			next = -1;
		} else {
			static const char *const matches[] = {
				"src", "dst", "proto", "sport", "dport", "icmp-type", "iif", "oif",
				"hook", "family", "set", NULL,
			};
			const char *near = nearest(k, matches);

			if (near)
				perr(ps, ps->w[i].col, "unknown match '%s' (did you mean '%s'?)", k, near);
			else
				perr(ps, ps->w[i].col, "unknown match '%s' (src, dst, proto, sport, dport,"
				     " icmp-type, iif, oif, hook, family, set)", k);
			next = -1;
		}
		i = (size_t)next + 1;
	}
	if (next < 0 || check_rule(ps, &r) < 0)
		goto fail;
	grown = realloc(pol->rules, (pol->nrules + 1) * sizeof(*grown));
	if (!grown) {
		perr(ps, ps->w[0].col, "out of memory");
		goto fail;
	}
	pol->rules = grown;
	pol->rules[pol->nrules++] = r;
	return 0;
fail:
	free(r.src.pfx);
	free(r.dst.pfx);
	free(r.sport.range);
	free(r.dport.range);
	return -1;
}

/* The words a line can start with, rules first (for "did you mean"). */
static const char *const line_keywords[] = {
	"accept", "drop", "reject", "mark", "default", "set",
	"queue", "cpus", "mark-mask", "fail-open", "bypass", "queue-maxlen", "rcvbuf",
	"copy-range", "batch", "transport", "ring-buffers", "on-error", NULL,
};

static bool is_keyword(const char *k, const char *const *names)
{
	for (; *names; names++)
		if (strcmp(k, *names) == 0)
			return true;
	return false;
}

static void parse_line(struct parser *ps, char *line)
{
	const char *k, *near;

	if (split_words(ps, line) < 0 || ps->nw == 0)
		return;
	k = ps->w[0].s;
	if (strcmp(k, "set") == 0)
		parse_set(ps);
	else if (strcmp(k, "accept") == 0 || strcmp(k, "drop") == 0 ||
		 strcmp(k, "reject") == 0 || strcmp(k, "mark") == 0)
		parse_rule(ps);
	else if (is_keyword(k, line_keywords))
		parse_option(ps);
	else if ((near = nearest(k, line_keywords)))
		perr(ps, ps->w[0].col, "unknown keyword '%s' (did you mean '%s'?)", k, near);
	else
		perr(ps, ps->w[0].col, "unknown keyword '%s' (a line starts with a rule: accept, drop,"
		     " reject, mark; default; set; or an option: queue, cpus, mark-mask, fail-open,"
		     " bypass, queue-maxlen, rcvbuf, copy-range, batch, transport, ring-buffers,"
		     " on-error)", k);
}

/* Checks that need the whole file: mark values against the final mask. */
static void check_marks(struct parser *ps)
{
	const struct conf *c = ps->c;
	uint32_t user = c->mark_mask & ~verdict_code_mask(c->mark_mask);
	size_t i;

	for (i = 0; i < c->policy.nrules; i++) {
		const struct policy_rule *r = &c->policy.rules[i];

		if (r->action != ACT_MARK || (r->mark & ~user) == 0)
			continue;
		ps->line = r->mark_pos.line;
		perr(ps, r->mark_pos.col, "mark 0x%x has bits outside 0x%x (mark-mask 0x%x less its"
		     " two verdict bits 0x%x)", r->mark, user, c->mark_mask, verdict_code_mask(c->mark_mask));
	}
}

int conf_load_string(struct conf *c, const char *name, const char *text, FILE *err)
{
	struct parser ps = { .c = c, .name = name, .err = err };
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char *line = strndup(p, n);

		ps.line++;
		if (!line) {
			perr(&ps, 1, "out of memory");
			break;
		}
		parse_line(&ps, line);
		free(line);
		p += n + (nl ? 1 : 0);
	}
	check_marks(&ps);
	flush_diags(&ps);
	return ps.errors;
}

int conf_warn(const struct conf *c, FILE *out)
{
	const char *name = c->path ? c->path : "policy";

	if (c->policy.nrules > 0 || c->policy.dflt_pos.line != 0)
		return 0;
	fprintf(out, "%s: warning: no rules: every new connection gets the default verdict, %s"
		" (write rules, or 'default %s' to say it is meant)\n", name,
		policy_action_name(c->policy.dflt), policy_action_name(c->policy.dflt));
	return 1;
}

int conf_warn_ifaces(const struct conf *c, FILE *out)
{
	const char *name = c->path ? c->path : "policy";
	int n = 0;
	size_t i;

	for (i = 0; i < c->nifrefs; i++) {
		const struct conf_iface_ref *f = &c->ifrefs[i];
		const char *k = f->out ? "oif" : "iif";

		if (if_nametoindex(f->name) != 0)
			continue;
		fprintf(out, "%s:%u:%u: warning: no interface '%s' exists now; verdictd looks interfaces"
			" up when it starts, so '%s %s%s' %s until it is started with %s present\n",
			name, f->line, f->col, f->name, k, f->neg ? "!" : "", f->name,
			f->neg ? "holds for every packet" : "matches no packet", f->name);
		n++;
	}
	return n;
}

int conf_load_file(struct conf *c, const char *path, FILE *err)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t len = 0;
	int errors = 1;
	FILE *mem;

	if (!f) {
		if (err)
			fprintf(err, "%s: cannot open: %s\n", path, strerror(errno));
		return 1;
	}
	mem = open_memstream(&text, &len);
	if (mem) {
		char buf[65536];
		size_t n;

		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			fwrite(buf, 1, n, mem);
		fclose(mem);
	}
	if (ferror(f) || !text) {
		if (err)
			fprintf(err, "%s: cannot read: %s\n", path, strerror(errno));
	} else if (memchr(text, '\0', len)) {
		if (err)
			fprintf(err, "%s:1:1: not a text file (it holds a NUL byte)\n", path);
	} else {
		free(c->path);
		c->path = strdup(path);
		errors = conf_load_string(c, path, text, err);
		if (errors == 0 && err)
			conf_warn(c, err);
	}
	free(text);
	fclose(f);
	return errors;
}
