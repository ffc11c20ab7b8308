/* import.c - an iptables filter table as a verdictd policy.
 *
 * iptables walks INPUT or FORWARD rule by rule, descends into user chains
 * on -j and comes back on RETURN or at the chain's end. The policy is one
 * flat first-match list, so the walk is unrolled here:
 *   - a jump's matches are ANDed into every rule of the chain it enters
 *     (the "context"), field by field;
 *   - a RETURN with matches M means the rules after it in that chain apply
 *     only where M does not hold: NOT M is a disjunction of one negated
 *     field each (De Morgan), and a disjunction is a run of rules with the
 *     same action, so the context becomes a list of alternatives;
 *   - each built-in chain ends with a rule carrying its policy.
 * Every rule gets "hook input|forward" so the two chains stay apart, and
 * the file's family. What cannot be said this way is reported with its
 * line and left out, so the caller knows the translation is partial. */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "import.h"

#define MAX_ALTS 64		/* alternatives a context may split into */
#define MAX_DEPTH 32		/* nested jumps (iptables allows no loops) */
#define MAX_PFX 256		/* prefixes one address match may grow to */
#define MAX_VISITS 4000000	/* rule visits of one walk: chains jumped to from many
				 * places unroll multiplicatively */

enum conj { CONJ_OK, CONJ_EMPTY, CONJ_UNREP };

/* A match under construction: a rule's fields, plus "every protocol but
 * this one" (from negating a RETURN's -p), which the policy cannot say
 * unless a later -p settles it. */
struct imatch {
	struct policy_rule m;
	int proto_not;
};

struct alts {
	struct imatch *v;
	size_t n;
};

/* What became of a line (struct walk.state). */
enum { ST_NONE, ST_REPORTED, ST_KEPT, ST_FAST, ST_LOG };

struct rep {
	unsigned int line;
	size_t seq;
	char *text;
};

struct walk {
	struct import *im;
	const struct ipt_ruleset *rs;
	const char *name;
	FILE *report;
	bool *seen;		/* per ipt rule: reached by the walk */
	unsigned char *state;	/* per ipt rule: ST_*, reported or noted already */
	bool *made;		/* per ipt rule: became policy rules (or a jump, a RETURN) */
	unsigned int *partial;	/* per ipt rule: made rules after a narrowing (below): taint */
	unsigned int *partial_jump;	/* and taint_jump then */
	unsigned char *kept;	/* per ipt rule: in the restore file, 1 before the jump to
				 * VERDICTD, 2 as it is (OUTPUT, chains copied whole) */
	bool *copied;		/* per chain: copied whole into the restore file */
	unsigned int *via;	/* per chain: a line not translated that jumps there */
	int hook;
	int oom;
	unsigned long visits;
	bool too_big;
	/* A RETURN or jump that could not be translated leaves the fate of
	 * some packets unknown; every later rule of the hook's walk then
	 * applies only outside the jumps that led there (taint_jump the
	 * outermost so far), and names taint, the line at fault. */
	unsigned int taint, taint_jump;
	int depth;
	const char *stack[MAX_DEPTH + 1];	/* the chains being walked */
	unsigned int path[MAX_DEPTH + 1];	/* the jump lines that entered them */
	struct rep *reps;
	size_t nreps;
};

void import_init(struct import *im)
{
	memset(im, 0, sizeof(*im));
	im->pol.dflt = ACT_DROP;
}

/* --- matches ------------------------------------------------------------ */

static void *dup_array(const void *v, size_t n, size_t size)
{
	void *d;

	if (!n)
		return NULL;
	d = malloc(n * size);
	if (d)
		memcpy(d, v, n * size);
	return d;
}


static int match_copy(struct policy_rule *d, const struct policy_rule *s)
{
	*d = *s;
	d->src.pfx = dup_array(s->src.pfx, s->src.n, sizeof(*s->src.pfx));
	d->dst.pfx = dup_array(s->dst.pfx, s->dst.n, sizeof(*s->dst.pfx));
	d->sport.range = dup_array(s->sport.range, s->sport.n, sizeof(*s->sport.range));
	d->dport.range = dup_array(s->dport.range, s->dport.n, sizeof(*s->dport.range));
	if ((s->src.n && !d->src.pfx) || (s->dst.n && !d->dst.pfx) ||
	    (s->sport.n && !d->sport.range) || (s->dport.n && !d->dport.range)) {
		policy_rule_free(d);
		return -1;
	}
	return 0;
}

/* Is @p inside @q? */
static bool pfx_within(const struct policy_prefix *p, const struct policy_prefix *q)
{
	union vd_addr m = p->addr;

	if (p->plen < q->plen)
		return false;
	set_addr_mask(&m, q->plen);
	return memcmp(&m, &q->addr, sizeof(m)) == 0;
}

static int pfx_push(struct policy_prefix **v, size_t *n, const struct policy_prefix *p)
{
	struct policy_prefix *g;

	if (*n >= MAX_PFX)
		return -1;
	g = realloc(*v, (*n + 1) * sizeof(*g));
	if (!g)
		return -1;
	*v = g;
	g[(*n)++] = *p;
	return 0;
}

/* @p minus @hole (inside it): the siblings along the path from @p down. */
static int pfx_split(struct policy_prefix **v, size_t *n, const struct policy_prefix *p,
		     const struct policy_prefix *hole)
{
	unsigned int l;

	for (l = p->plen; l < hole->plen; l++) {
		struct policy_prefix s = *hole;

		s.plen = (uint8_t)(l + 1);
		set_addr_mask(&s.addr, s.plen);
		s.addr.b[l / 8] ^= (uint8_t)(1u << (7 - l % 8));
		if (pfx_push(v, n, &s) < 0)
			return -1;
	}
	return 0;
}

/* acc AND b on one address field. */
static enum conj conj_addr(struct match_addr *a, const struct match_addr *b, char *why, size_t len)
{
	struct policy_prefix *out = NULL;
	size_t nout = 0, i, j;

	if (!b->present)
		return CONJ_OK;
	if (!a->present) {
		*a = *b;
		a->pfx = dup_array(b->pfx, b->n, sizeof(*b->pfx));
		return b->n && !a->pfx ? CONJ_UNREP : CONJ_OK;
	}
	if (a->neg && b->neg) {
		for (j = 0; j < b->n; j++)
			if (pfx_push(&a->pfx, &a->n, &b->pfx[j]) < 0)
				goto toomany;
		return CONJ_OK;
	}
	if (!a->neg && !b->neg) {
		for (i = 0; i < a->n; i++)
			for (j = 0; j < b->n; j++)
				if ((pfx_within(&a->pfx[i], &b->pfx[j]) &&
				     pfx_push(&out, &nout, &a->pfx[i]) < 0) ||
				    (!pfx_within(&a->pfx[i], &b->pfx[j]) && pfx_within(&b->pfx[j], &a->pfx[i]) &&
				     pfx_push(&out, &nout, &b->pfx[j]) < 0))
					goto toomany;
	} else {
		/* positive minus negative, one hole at a time */
		const struct match_addr *pos = a->neg ? b : a, *neg = a->neg ? a : b;

		for (i = 0; i < pos->n; i++)
			if (pfx_push(&out, &nout, &pos->pfx[i]) < 0)
				goto toomany;
		for (j = 0; j < neg->n; j++) {
			struct policy_prefix *next = NULL;
			size_t nnext = 0;

			for (i = 0; i < nout; i++) {
				int r = 0;

				if (pfx_within(&out[i], &neg->pfx[j]))
					continue;
				if (pfx_within(&neg->pfx[j], &out[i]))
					r = pfx_split(&next, &nnext, &out[i], &neg->pfx[j]);
				else
					r = pfx_push(&next, &nnext, &out[i]);
				if (r < 0) {
					free(next);
					goto toomany;
				}
			}
			free(out);
			out = next;
			nout = nnext;
		}
	}
	free(a->pfx);
	a->pfx = out;
	a->n = nout;
	a->neg = false;
	return nout ? CONJ_OK : CONJ_EMPTY;
toomany:
	free(out);
	snprintf(why, len, "the address matches combine into more than %d prefixes", MAX_PFX);
	return CONJ_UNREP;
}

/* Ranges as a sorted, disjoint, positive list over 0..65535. */
static int range_cmp(const void *x, const void *y)
{
	const struct policy_range *a = x, *b = y;

	return (a->lo > b->lo) - (a->lo < b->lo);
}

static struct policy_range *ranges_positive(const struct match_ports *m, size_t *n)
{
	struct policy_range *v = malloc((m->n + 1) * sizeof(*v)), *out;
	size_t i, k = 0, o = 0;
	unsigned int next = 0;

	if (!v)
		return NULL;
	memcpy(v, m->range, m->n * sizeof(*v));
	qsort(v, m->n, sizeof(*v), range_cmp);
	for (i = 0; i < m->n; i++) {
		if (k && v[i].lo <= (unsigned int)v[k - 1].hi + 1) {
			if (v[i].hi > v[k - 1].hi)
				v[k - 1].hi = v[i].hi;
		} else {
			v[k++] = v[i];
		}
	}
	if (!m->neg) {
		*n = k;
		return v;
	}
	out = malloc((k + 1) * sizeof(*out));
	if (!out) {
		free(v);
		return NULL;
	}
	for (i = 0; i < k; i++) {
		if (v[i].lo > next)
			out[o++] = (struct policy_range){ (uint16_t)next, (uint16_t)(v[i].lo - 1) };
		next = (unsigned int)v[i].hi + 1;
	}
	if (next <= 65535)
		out[o++] = (struct policy_range){ (uint16_t)next, 65535 };
	free(v);
	*n = o;
	return out;
}

static enum conj conj_ports(struct match_ports *a, const struct match_ports *b, char *why, size_t len)
{
	struct policy_range *x, *y, *out;
	size_t nx, ny, i = 0, j = 0, n = 0;

	if (!b->present)
		return CONJ_OK;
	if (!a->present) {
		*a = *b;
		a->range = dup_array(b->range, b->n, sizeof(*b->range));
		return b->n && !a->range ? CONJ_UNREP : CONJ_OK;
	}
	x = ranges_positive(a, &nx);
	y = ranges_positive(b, &ny);
	out = malloc((nx + ny + 1) * sizeof(*out));
	if (!x || !y || !out) {
		free(x);
		free(y);
		free(out);
		snprintf(why, len, "out of memory");
		return CONJ_UNREP;
	}
	while (i < nx && j < ny) {
		uint16_t lo = x[i].lo > y[j].lo ? x[i].lo : y[j].lo;
		uint16_t hi = x[i].hi < y[j].hi ? x[i].hi : y[j].hi;

		if (lo <= hi)
			out[n++] = (struct policy_range){ lo, hi };
		if (x[i].hi < y[j].hi)
			i++;
		else
			j++;
	}
	free(x);
	free(y);
	free(a->range);
	a->range = out;
	a->n = n;
	a->neg = false;
	return n ? CONJ_OK : CONJ_EMPTY;
}

static enum conj conj_iface(struct match_iface *a, const struct match_iface *b, char *why, size_t len)
{
	bool same;

	if (!b->present)
		return CONJ_OK;
	if (!a->present) {
		*a = *b;
		return CONJ_OK;
	}
	same = strcmp(a->name, b->name) == 0;
	if (a->neg == b->neg) {
		if (same)
			return CONJ_OK;
		if (!a->neg)
			return CONJ_EMPTY;
		snprintf(why, len, "two excluded interfaces (%s, %s) in one rule", a->name, b->name);
		return CONJ_UNREP;
	}
	if (same)
		return CONJ_EMPTY;
	if (a->neg)
		*a = *b;
	return CONJ_OK;
}

static bool setm_same(const struct match_set *a, const struct match_set *b)
{
	return a->set == b->set && a->dir[0] == b->dir[0] && a->dir[1] == b->dir[1];
}

/* acc AND b's set matches: b's appended, unless acc has them already (or
 * has one negated: then nothing matches). */
static enum conj conj_sets(struct policy_rule *a, const struct policy_rule *b, char *why, size_t len)
{
	size_t i, j;

	for (j = 0; j < b->nsetm; j++) {
		for (i = 0; i < a->nsetm && !setm_same(&a->setm[i], &b->setm[j]); i++)
			;
		if (i < a->nsetm) {
			if (a->setm[i].neg != b->setm[j].neg)
				return CONJ_EMPTY;
			continue;
		}
		if (a->nsetm == POLICY_MAX_SETM) {
			snprintf(why, len, "more than %d set matches in one rule", POLICY_MAX_SETM);
			return CONJ_UNREP;
		}
		a->setm[a->nsetm++] = b->setm[j];
	}
	return CONJ_OK;
}

/* acc AND b, field by field, into acc. */
static enum conj match_and(struct imatch *acc, const struct imatch *b, char *why, size_t len)
{
	struct policy_rule *a = &acc->m;
	const struct policy_rule *r = &b->m;
	enum conj c;

	if ((a->family && r->family && a->family != r->family) || (a->hook && r->hook && a->hook != r->hook))
		return CONJ_EMPTY;
	if (!a->family)
		a->family = r->family;
	if (!a->hook)
		a->hook = r->hook;
	if (r->proto >= 0) {
		if (a->proto >= 0 && a->proto != r->proto)
			return CONJ_EMPTY;
		a->proto = r->proto;
	}
	if (b->proto_not >= 0) {
		if (acc->proto_not >= 0 && acc->proto_not != b->proto_not) {
			snprintf(why, len, "two excluded protocols");
			return CONJ_UNREP;
		}
		acc->proto_not = b->proto_not;
	}
	if (acc->proto_not >= 0 && a->proto >= 0) {
		if (a->proto == acc->proto_not)
			return CONJ_EMPTY;
		acc->proto_not = -1;
	}
	if (r->icmp_type >= 0) {
		if (a->icmp_type >= 0 && a->icmp_type != r->icmp_type)
			return CONJ_EMPTY;
		a->icmp_type = r->icmp_type;
	}
	if (r->icmp_code >= 0) {
		if (a->icmp_code >= 0 && a->icmp_code != r->icmp_code)
			return CONJ_EMPTY;
		a->icmp_code = r->icmp_code;
	}
	if ((c = conj_iface(&a->iif, &r->iif, why, len)) != CONJ_OK ||
	    (c = conj_iface(&a->oif, &r->oif, why, len)) != CONJ_OK ||
	    (c = conj_addr(&a->src, &r->src, why, len)) != CONJ_OK ||
	    (c = conj_addr(&a->dst, &r->dst, why, len)) != CONJ_OK ||
	    (c = conj_ports(&a->sport, &r->sport, why, len)) != CONJ_OK ||
	    (c = conj_ports(&a->dport, &r->dport, why, len)) != CONJ_OK ||
	    (c = conj_sets(a, r, why, len)) != CONJ_OK)
		return c;
	return CONJ_OK;
}

static void imatch_empty(struct imatch *x)
{
	memset(x, 0, sizeof(*x));
	x->m.proto = x->m.icmp_type = x->m.icmp_code = -1;
	x->proto_not = -1;
}

static void alts_free(struct alts *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		policy_rule_free(&a->v[i].m);
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

static int alts_push(struct alts *a, struct imatch *x)
{
	struct imatch *g = realloc(a->v, (a->n + 1) * sizeof(*g));

	if (!g)
		return -1;
	a->v = g;
	a->v[a->n++] = *x;
	return 0;
}

/* --- sets --------------------------------------------------------------- */

static struct import_ipset *ipset_find(struct import *im, const char *name)
{
	size_t i;

	for (i = 0; i < im->nipsets; i++)
		if (strcmp(im->ipsets[i].name, name) == 0)
			return &im->ipsets[i];
	return NULL;
}

/* The policy's index for kernel set @s, declaring it on first use. */
static int import_set_index(struct import *im, struct import_ipset *s, enum set_type t)
{
	struct policy_set *g;
	size_t i;

	for (i = 0; i < im->pol.nsets; i++)
		if (strcmp(im->pol.sets[i].name, s->name) == 0)
			return (int)i;
	g = realloc(im->pol.sets, (im->pol.nsets + 1) * sizeof(*g));
	if (!g)
		return -1;
	im->pol.sets = g;
	g = &g[im->pol.nsets];
	memset(g, 0, sizeof(*g));
	g->name = strdup(s->name);
	g->type = t;
	g->family = t == SET_BITMAP_PORT ? 0 : s->family;
	g->port_lo = s->port_lo;
	g->port_hi = s->port_hi;
	if (!g->name)
		return -1;
	s->used = true;
	return (int)im->pol.nsets++;
}

/* The rule's -m set matches, as the policy's set matches. */
static enum conj resolve_sets(struct import *im, const struct ipt_rule *r, uint8_t family,
			      struct policy_rule *m, char *why, size_t len)
{
	size_t k;

	for (k = 0; k < r->nset; k++) {
		const struct ipt_setref *ref = &r->set[k];
		struct import_ipset *s = ipset_find(im, ref->name);
		int type = s ? set_type_parse(s->type) : -1;
		struct match_set *sm = &m->setm[m->nsetm];

		if (!policy_name_ok(ref->name, POLICY_SET_NAME_MAX)) {
			snprintf(why, len, "set name '%s' has characters the policy cannot carry", ref->name);
			return CONJ_UNREP;
		}
		if (!s) {
			snprintf(why, len, "set '%s': its type is not known (give `ipset save` output"
				 " with --ipsets)", ref->name);
			return CONJ_UNREP;
		}
		if (type < 0) {
			snprintf(why, len, "set '%s' is %s: verdictd takes hash:ip, hash:net, hash:ip,port,"
				 " hash:net,port and bitmap:port sets", ref->name, s->type);
			return CONJ_UNREP;
		}
		if (type != SET_BITMAP_PORT && s->family != family) {
			snprintf(why, len, "set '%s' holds %s addresses, the rules are %s", ref->name,
				 s->family == AF_INET6 ? "IPv6" : "IPv4", family == AF_INET6 ? "IPv6" : "IPv4");
			return CONJ_UNREP;
		}
		if (ref->ndir < set_type_dims((enum set_type)type)) {
			/* the kernel's ip_set_test() answers "not in the set" */
			snprintf(why, len, "set '%s' is %s: --match-set gives %u direction%s for its %u"
				 " dimensions", ref->name, s->type, ref->ndir, ref->ndir == 1 ? "" : "s",
				 set_type_dims((enum set_type)type));
			return CONJ_UNREP;
		}
		if (m->nsetm == POLICY_MAX_SETM) {
			snprintf(why, len, "more than %d set matches in one rule", POLICY_MAX_SETM);
			return CONJ_UNREP;
		}
		sm->set = import_set_index(im, s, (enum set_type)type);
		if (sm->set < 0) {
			snprintf(why, len, "out of memory");
			return CONJ_UNREP;
		}
		sm->neg = ref->neg;
		sm->dir[0] = ref->dir[0];
		sm->dir[1] = set_type_dims((enum set_type)type) == 2 ? ref->dir[1] : 0;
		m->nsetm++;
	}
	return CONJ_OK;
}

int import_read_ipsets(struct import *im, FILE *in, const char *name, FILE *report)
{
	char line[4096], copy[4096], *w[64];
	unsigned int lineno = 0;

	while (fgets(line, sizeof(line), in)) {
		struct import_ipset *s;
		char *grown;
		size_t add;
		int n, k;

		lineno++;
		strcpy(copy, line);
		n = ipt_split(line, w, 64);
		if (n == 0 || w[0][0] == '#')
			continue;
		if (n < 2 || (strcmp(w[0], "create") != 0 && strcmp(w[0], "add") != 0)) {
			fprintf(report, "%s:%u: not `ipset save` output\n", name, lineno);
			return -1;
		}
		if (strcmp(w[0], "create") == 0) {
			if (n < 3 || ipset_find(im, w[1])) {
				fprintf(report, "%s:%u: bad or repeated 'create'\n", name, lineno);
				return -1;
			}
			s = realloc(im->ipsets, (im->nipsets + 1) * sizeof(*s));
			if (!s)
				return -1;
			im->ipsets = s;
			s = &s[im->nipsets++];
			memset(s, 0, sizeof(*s));
			s->name = strdup(w[1]);
			s->type = strdup(w[2]);
			s->family = AF_INET;
			s->port_hi = 65535;
			for (k = 3; k + 1 < n; k++) {
				if (strcmp(w[k], "family") == 0)
					s->family = strcmp(w[k + 1], "inet6") == 0 ? AF_INET6 : AF_INET;
				else if (strcmp(w[k], "range") == 0) {
					unsigned int lo, hi;

					if (sscanf(w[k + 1], "%u-%u", &lo, &hi) == 2 && lo <= hi && hi <= 65535) {
						s->port_lo = (uint16_t)lo;
						s->port_hi = (uint16_t)hi;
					}
				}
			}
			if (!s->name || !s->type)
				return -1;
		} else if (!(s = ipset_find(im, w[1]))) {
			fprintf(report, "%s:%u: 'add' to set '%s' before its 'create'\n", name, lineno, w[1]);
			return -1;
		}
		add = strlen(copy);
		grown = realloc(s->lines, (s->lines ? strlen(s->lines) : 0) + add + 2);
		if (!grown)
			return -1;
		if (!s->lines)
			grown[0] = '\0';
		s->lines = grown;
		strcat(s->lines, copy);
		if (copy[add - 1] != '\n')
			strcat(s->lines, "\n");
	}
	return 0;
}

/* --- the walk ----------------------------------------------------------- */

/* Reports are gathered and printed in line order at the end. */
static void vreport(struct walk *w, unsigned int line, const char *kind, const char *fmt, va_list ap)
{
	struct rep *g;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if (w->oom)
		return;
	g = realloc(w->reps, (w->nreps + 1) * sizeof(*g));
	f = open_memstream(&text, &len);
	if (!g || !f) {
		if (g)
			w->reps = g;
		if (f)
			fclose(f);
		free(text);
		w->oom = 1;
		return;
	}
	w->reps = g;
	fprintf(f, "%s:%u: %s", w->name, line, kind);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
	fclose(f);
	g[w->nreps].line = line;
	g[w->nreps].seq = w->nreps;
	g[w->nreps].text = text;
	w->nreps++;
}

static void report(struct walk *w, unsigned int line, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void report(struct walk *w, unsigned int line, const char *kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(w, line, kind, fmt, ap);
	va_end(ap);
}

/* Line @ri is not translated (or, in the restore file's kernel part,
 * kept there). The first reason wins. */
static void tell(struct walk *w, size_t ri, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void tell(struct walk *w, size_t ri, const char *fmt, ...)
{
	va_list ap;
	unsigned char kept = w->kept[ri];

	if (w->state[ri])
		return;
	w->state[ri] = kept ? ST_KEPT : ST_REPORTED;
	va_start(ap, fmt);
	vreport(w, w->rs->rules[ri].line, kept == 1 ? "note: kept in the kernel, before the jump to"
		" VERDICTD (restore file): " : kept ? "note: kept in the kernel as it is (restore file): " :
		"not translated: ", fmt, ap);
	va_end(ap);
}

/* A note: line @ri decides nothing verdictd must judge (@st). */
static void note(struct walk *w, size_t ri, int st, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void note(struct walk *w, size_t ri, int st, const char *fmt, ...)
{
	va_list ap;

	if (w->state[ri])
		return;
	w->state[ri] = st;
	va_start(ap, fmt);
	vreport(w, w->rs->rules[ri].line, "note: ", fmt, ap);
	va_end(ap);
}

static int emit(struct walk *w, const struct imatch *x, enum policy_action act, unsigned int line,
		const char *what)
{
	struct import *im = w->im;
	struct policy_rule *g;
	char **o, origin[512];
	size_t len;
	int d;

	g = realloc(im->pol.rules, (im->pol.nrules + 1) * sizeof(*g));
	if (!g)
		return -1;
	im->pol.rules = g;
	o = realloc(im->origin, (im->pol.nrules + 1) * sizeof(*o));
	if (!o)
		return -1;
	im->origin = o;
	/* an inlined rule names the jumps that led to it */
	len = (size_t)snprintf(origin, sizeof(origin), "%s:%u%s", w->name, line, what);
	for (d = 1; d <= w->depth && len < sizeof(origin); d++)
		len += (size_t)snprintf(origin + len, sizeof(origin) - len, "%s%u", d == 1 ? " (via " : ", ",
					w->path[d]);
	if (w->depth && len < sizeof(origin))
		snprintf(origin + len, sizeof(origin) - len, ")");
	o[im->pol.nrules] = strdup(origin);
	if (!o[im->pol.nrules] || match_copy(&g[im->pol.nrules], &x->m) < 0)
		return -1;
	g[im->pol.nrules].action = act;
	g[im->pol.nrules].pos.line = line;
	im->pol.nrules++;
	return 0;
}

/* NOT (the rule's own matches), as alternatives each with one field
 * negated. Returns CONJ_EMPTY when the rule has no matches (NOT true). */
static enum conj negate(const struct policy_rule *m, struct alts *out, char *why, size_t len)
{
	struct imatch x;

	if (m->icmp_type >= 0 || m->icmp_code >= 0) {
		snprintf(why, len, "a RETURN on an ICMP type (its negation is not a policy match)");
		return CONJ_UNREP;
	}
	/* Each alternative borrows @m's arrays in tmp, then owns copies. */
#define ALT(setup) do { struct policy_rule tmp; imatch_empty(&x); setup; tmp = x.m; \
	if (match_copy(&x.m, &tmp) < 0 || alts_push(out, &x) < 0) { \
		snprintf(why, len, "out of memory"); return CONJ_UNREP; } } while (0)
	if (m->src.present)
		ALT(x.m.src = m->src; x.m.src.neg = !m->src.neg);
	if (m->dst.present)
		ALT(x.m.dst = m->dst; x.m.dst.neg = !m->dst.neg);
	if (m->iif.present)
		ALT(x.m.iif = m->iif; x.m.iif.neg = !m->iif.neg);
	if (m->oif.present)
		ALT(x.m.oif = m->oif; x.m.oif.neg = !m->oif.neg);
	if (m->proto >= 0)
		ALT(x.proto_not = m->proto);
	if (m->sport.present)
		ALT(x.m.proto = m->proto; x.m.sport = m->sport; x.m.sport.neg = !m->sport.neg);
	if (m->dport.present)
		ALT(x.m.proto = m->proto; x.m.dport = m->dport; x.m.dport.neg = !m->dport.neg);
	for (size_t k = 0; k < m->nsetm; k++)
		ALT(x.m.setm[0] = m->setm[k]; x.m.setm[0].neg = !m->setm[k].neg; x.m.nsetm = 1);
#undef ALT
	return out->n ? CONJ_OK : CONJ_EMPTY;
}

static int walk_chain(struct walk *w, const char *chain, struct alts *ctx, int depth);

/* Whether verdictd's reject (a TCP reset for TCP, an ICMP
 * administratively-prohibited error otherwise) puts the same packets on
 * the wire as the rule's --reject-with, for every protocol it matches. */
static bool reject_same(const struct ipt_rule *r, uint8_t family)
{
	const char *rw = r->reject_with ? r->reject_with :
			 family == AF_INET6 ? "icmp6-port-unreachable" : "icmp-port-unreachable";

	if (strcmp(rw, "tcp-reset") == 0)
		return r->m.proto == IPPROTO_TCP;
	if (strcmp(rw, family == AF_INET6 ? "icmp6-adm-prohibited" : "icmp-admin-prohibited") == 0 ||
	    (family == AF_INET6 && strcmp(rw, "adm-prohibited") == 0))
		return r->m.proto >= 0 && r->m.proto != IPPROTO_TCP;
	return false;
}

static const char *verdictd_reject(int proto, uint8_t family)
{
	if (proto == IPPROTO_TCP)
		return "a TCP reset";
	if (proto >= 0)
		return family == AF_INET6 ? "icmp6-adm-prohibited" : "icmp-admin-prohibited";
	return family == AF_INET6 ? "a TCP reset to TCP, icmp6-adm-prohibited to the rest" :
	       "a TCP reset to TCP, icmp-admin-prohibited to the rest";
}

/* A rule's matches with its sets resolved; reports and returns false when
 * the rule cannot be translated. */
static bool rule_match(struct walk *w, size_t ri, struct imatch *x)
{
	const struct ipt_rule *r = &w->rs->rules[ri];
	char why[256] = "";
	unsigned int st = r->states;

	if (r->why) {
		tell(w, ri, "%s", r->why);
		return false;
	}
	if (r->addrtype) {
		tell(w, ri, "match '-m addrtype' is not translated");
		return false;
	}
	/* A state list with NEW matches every packet verdictd judges (an
	 * INVALID or UNTRACKED one is judged like a new one): as no state
	 * match. Without NEW, such states stay in the kernel. */
	if ((st & (IPT_ST_INVALID | IPT_ST_UNTRACKED | IPT_ST_SNAT | IPT_ST_DNAT)) && !(st & IPT_ST_NEW)) {
		tell(w, ri, "connection state INVALID/UNTRACKED/SNAT/DNAT: verdictd judges new"
		     " connections%s", w->kept[ri] ? "" : "; keep this rule in the kernel, before the"
		     " jump to VERDICTD");
		return false;
	}
	if (st && !(st & IPT_ST_NEW) && r->target != IPT_T_ACCEPT && r->target != IPT_T_RETURN) {
		tell(w, ri, "a verdict other than ACCEPT for ESTABLISHED/RELATED packets: verdictd"
		     " judges a connection's first packet; its later packets keep that verdict");
		return false;
	}
	if (r->target == IPT_T_REJECT && !reject_same(r, w->rs->family)) {
		const char *rw = r->reject_with ? r->reject_with : "icmp-port-unreachable (the default)";

		/* Left out, its packets would go on to the rules after it (an
		 * accept, maybe): translated, and reported unless asked. */
		if (!w->im->reject_as_verdictd && !w->state[ri]) {
			w->state[ri] = ST_REPORTED;
			report(w, r->line, "not translated exactly: ", "REJECT --reject-with %s: verdictd's"
			       " reject answers %s instead (keep the line in the kernel for the old answer,"
			       " or import with --reject-as-verdictd)", rw, verdictd_reject(r->m.proto,
			       w->rs->family));
		} else if (w->im->reject_as_verdictd && !w->made[ri]) {
			report(w, r->line, "note: ", "REJECT --reject-with %s becomes verdictd's reject: %s"
			       " (--reject-as-verdictd)", rw, verdictd_reject(r->m.proto, w->rs->family));
		}
	}
	imatch_empty(x);
	if (match_copy(&x->m, &r->m) < 0) {
		w->oom = 1;
		return false;
	}
	x->m.family = w->rs->family;
	if (resolve_sets(w->im, r, w->rs->family, &x->m, why, sizeof(why)) != CONJ_OK) {
		policy_rule_free(&x->m);
		tell(w, ri, "%s", why);
		return false;
	}
	return true;
}

/* The context after a RETURN with matches @m: ctx AND NOT m. */
static enum conj after_return(struct alts *ctx, const struct policy_rule *m, char *why, size_t len)
{
	struct alts neg = { 0 }, next = { 0 };
	enum conj c = negate(m, &neg, why, len);
	size_t i, j;

	if (c != CONJ_OK) {
		alts_free(&neg);
		return c;
	}
	for (i = 0; i < ctx->n && c != CONJ_UNREP; i++)
		for (j = 0; j < neg.n && c != CONJ_UNREP; j++) {
			struct imatch x;
			enum conj k;

			imatch_empty(&x);
			if (match_copy(&x.m, &ctx->v[i].m) < 0) {
				c = CONJ_UNREP;
				break;
			}
			x.proto_not = ctx->v[i].proto_not;
			k = match_and(&x, &neg.v[j], why, len);
			if (k == CONJ_OK && next.n < MAX_ALTS && alts_push(&next, &x) == 0)
				continue;
			policy_rule_free(&x.m);
			if (k == CONJ_UNREP || k == CONJ_OK) {
				if (k == CONJ_OK)
					snprintf(why, len, "RETURNs split the chain into more than %d cases", MAX_ALTS);
				c = CONJ_UNREP;
			}
		}
	alts_free(&neg);
	if (c == CONJ_UNREP) {
		alts_free(&next);
		return c;
	}
	alts_free(ctx);
	*ctx = next;
	return ctx->n ? CONJ_OK : CONJ_EMPTY;
}

static enum policy_action chain_action(int target)
{
	return target == IPT_T_ACCEPT ? ACT_ACCEPT : target == IPT_T_REJECT ? ACT_REJECT : ACT_DROP;
}

/* The rule's own matches ANDed into every alternative of the context:
 * all of them, or none when one cannot be said (the rule is reported). */
static enum conj under_context(const struct alts *ctx, const struct imatch *own, bool jump,
			       struct alts *out, char *why, size_t len)
{
	size_t i;

	for (i = 0; i < ctx->n; i++) {
		struct imatch x;
		enum conj c;

		imatch_empty(&x);
		if (match_copy(&x.m, &ctx->v[i].m) < 0)
			goto oom;
		x.proto_not = ctx->v[i].proto_not;
		c = match_and(&x, own, why, len);
		if (c == CONJ_OK && x.proto_not >= 0 && !jump) {
			snprintf(why, len, "after a RETURN on -p %d, this rule needs 'every protocol"
				 " but %d', which the policy cannot say", x.proto_not, x.proto_not);
			c = CONJ_UNREP;
		}
		if (c == CONJ_OK && alts_push(out, &x) == 0)
			continue;
		policy_rule_free(&x.m);
		if (c == CONJ_OK)
			goto oom;
		if (c == CONJ_UNREP) {
			alts_free(out);
			return CONJ_UNREP;
		}
	}
	return out->n ? CONJ_OK : CONJ_EMPTY;
oom:
	alts_free(out);
	snprintf(why, len, "out of memory");
	return CONJ_UNREP;
}

/* Whether chain @name can decide a packet (has an ACCEPT, DROP, REJECT or
 * a target other than LOG, or jumps to a chain that can). */
static bool chain_decides(const struct ipt_ruleset *rs, const char *name, int depth)
{
	size_t i;

	if (depth > MAX_DEPTH)
		return true;
	for (i = 0; i < rs->nrules; i++) {
		const struct ipt_rule *r = &rs->rules[i];

		if (strcmp(r->chain, name) != 0 || r->target == IPT_T_LOG || r->target == IPT_T_NONE ||
		    r->target == IPT_T_RETURN)
			continue;
		if (r->target != IPT_T_JUMP || !ipt_chain_find(rs, r->jump) ||
		    chain_decides(rs, r->jump, depth + 1))
			return true;
	}
	return false;
}

/* Whether the rules of @ch after @ri can decide a packet: if not, a RETURN
 * at @ri changes nothing. (What a jump's chain decides would be decided
 * by later rules, always: a jump left out always matters.) */
static bool rest_decides(const struct walk *w, const struct ipt_chain *ch, size_t ri)
{
	size_t i;

	for (i = ri + 1; i < w->rs->nrules; i++) {
		const struct ipt_rule *r = &w->rs->rules[i];

		if (strcmp(r->chain, ch->name) != 0 || r->target == IPT_T_LOG || r->target == IPT_T_NONE ||
		    r->target == IPT_T_RETURN)
			continue;
		if (r->target != IPT_T_JUMP || !ipt_chain_find(w->rs, r->jump) ||
		    chain_decides(w->rs, r->jump, 0))
			return true;
	}
	return ch->builtin;	/* the policy decides */
}

static bool no_match(const struct ipt_rule *r)
{
	return !r->why && !r->m.src.present && !r->m.dst.present && r->m.proto < 0 && !r->m.iif.present &&
	       !r->m.oif.present && !r->m.sport.present && !r->m.dport.present && r->m.icmp_type < 0 &&
	       !r->nset && !r->states && !r->addrtype;
}

/* RETURNs on -m addrtype --dst-type alone: together LOCAL, BROADCAST and
 * MULTICAST (LOCAL and MULTICAST in IPv6) are every packet INPUT sees,
 * whose destination is this host's (ufw's ufw-not-local). */
static bool addrtype_return(const struct ipt_rule *r)
{
	struct ipt_rule c = *r;

	c.addrtype = 0;
	return r->target == IPT_T_RETURN && r->addrtype && !r->addrtype_neg &&
	       !(r->addrtype & IPT_AT_OTHER) && no_match(&c);
}

static unsigned int addrtype_all(uint8_t family)
{
	return family == AF_INET6 ? IPT_AT_LOCAL | IPT_AT_MULTICAST :
	       IPT_AT_LOCAL | IPT_AT_BROADCAST | IPT_AT_MULTICAST;
}

static int emit_policy(struct walk *w, const struct ipt_chain *ch, const struct alts *ctx, const char *what);

/* The walk of one chain: 0, or 1 when packets of @ctx leave it with a fate
 * the translation cannot follow (w->taint says why); -1 out of memory. */
static int walk_chain(struct walk *w, const char *chain, struct alts *ctx, int depth);

/* After a jump (or goto) whose chain left packets unknown, or a goto: the
 * rest of the chain applies only where the jump's matches fail. */
static void narrow(struct walk *w, size_t ri, struct alts *ctx, const struct imatch *own, int *stop,
		   bool *tainted, bool was_tainted)
{
	char why[256] = "";
	enum conj c = after_return(ctx, &own->m, why, sizeof(why));

	if (was_tainted) {
		*tainted = true;
		w->taint_jump = w->rs->rules[ri].line;
	}
	if (c == CONJ_UNREP) {
		if (!w->taint) {
			w->taint = w->rs->rules[ri].line;
			w->taint_jump = w->taint;
		}
		*tainted = true;
		*stop = 2;
	} else if (c == CONJ_EMPTY) {
		*stop = was_tainted ? 2 : 1;
	}
}

/* One rule of @ch under the context. Sets *stop when the rest of the chain
 * is never reached (1) or cannot be translated (2), *tainted when packets
 * leave the chain with an unknown fate. */
static int walk_rule(struct walk *w, size_t ri, const struct ipt_chain *ch, struct alts *ctx,
		     int depth, int *stop, bool *tainted, unsigned int *at_seen, unsigned int *at_line)
{
	const struct ipt_rule *r = &w->rs->rules[ri];
	const struct ipt_chain *to = NULL;
	struct alts cases = { 0 };
	struct imatch own;
	char why[256] = "";
	enum conj c;
	size_t i;
	int ret = 0, sub;

	w->seen[ri] = true;
	if (++w->visits > MAX_VISITS) {
		if (!w->too_big) {
			report(w, r->line, "not translated: ", "the chains unroll into more than %d rule"
			       " visits (jumps into the same chains from many places); the rest of the"
			       " walk is left out", MAX_VISITS);
			w->state[ri] = ST_REPORTED;
		}
		w->too_big = true;
		return 0;
	}
	if (r->target == IPT_T_LOG) {
		note(w, ri, ST_LOG, "a LOG rule decides nothing: not translated (the kernel logs no"
		     " more; verdictd logs its verdicts)");
		return 0;
	}
	if (addrtype_return(r) && !ch->builtin && w->hook == POLICY_HOOK_INPUT) {
		*at_seen |= r->addrtype;
		if (!*at_line)
			*at_line = r->line;
		if ((*at_seen & addrtype_all(w->rs->family)) == addrtype_all(w->rs->family)) {
			/* every packet INPUT sees has returned: the rest is never reached */
			for (i = 0; i <= ri; i++)
				if (w->seen[i] && strcmp(w->rs->rules[i].chain, ch->name) == 0 &&
				    addrtype_return(&w->rs->rules[i]))
					w->made[i] = true;
			*stop = 1;
		}
		return 0;
	}
	if (*at_line && r->target != IPT_T_NONE) {
		/* a rule after RETURNs on part of the address types */
		for (i = 0; i < ri; i++)
			if (w->seen[i] && strcmp(w->rs->rules[i].chain, ch->name) == 0 &&
			    addrtype_return(&w->rs->rules[i]) && !w->made[i])
				tell(w, i, "-m addrtype --dst-type: only RETURNs that together cover LOCAL,"
				     " BROADCAST and MULTICAST in INPUT are translated (the rest of the chain"
				     " then is never reached)");
		if (!w->taint) {
			w->taint = *at_line;
			w->taint_jump = *at_line;
		}
		*tainted = true;
		*stop = 2;
		tell(w, ri, "what reaches this line depends on line %u, which is not translated"
		     " (keep both in the kernel)", *at_line);
		return 0;
	}
	if (r->target == IPT_T_JUMP) {
		to = ipt_chain_find(w->rs, r->jump);
		if (!to || to->builtin) {
			tell(w, ri, "target %s is not translated (verdictd decides accept, drop, reject)",
			     r->jump);
			return 0;
		}
	}
	if (!rule_match(w, ri, &own)) {
		if (w->oom)
			return -1;
		if (r->states && !(r->states & (IPT_ST_NEW | IPT_ST_INVALID | IPT_ST_UNTRACKED | IPT_ST_SNAT |
						IPT_ST_DNAT)))
			return 0;	/* ESTABLISHED/RELATED only: never a connection's first packet */
		if (to && !w->via[to - w->rs->chains])
			w->via[to - w->rs->chains] = r->line;
		/* A RETURN, a jump or goto that may decide: what follows it in
		 * this chain depends on it. */
		if ((r->target == IPT_T_RETURN && !ch->builtin && rest_decides(w, ch, ri)) ||
		    (to && (r->go || chain_decides(w->rs, to->name, 0)))) {
			if (!w->taint) {
				w->taint = r->line;
				w->taint_jump = r->line;
			}
			*tainted = true;
			*stop = 2;
		}
		return 0;
	}
	if (r->states && !(r->states & IPT_ST_NEW)) {
		/* ESTABLISHED,RELATED -j ACCEPT (or RETURN): the fixed rules' fast path. */
		note(w, ri, ST_FAST, "ESTABLISHED/RELATED %s by the fixed rules' connmark fast path"
		     " (verdictd judges each connection's first packet)",
		     r->target == IPT_T_RETURN ? "packets follow their connection's verdict" : "accepted");
		goto out;
	}
	if (r->target == IPT_T_RETURN && !ch->builtin) {
		c = after_return(ctx, &own.m, why, sizeof(why));
		if (c == CONJ_UNREP) {
			tell(w, ri, "%s", why);
			if (rest_decides(w, ch, ri)) {
				if (!w->taint) {
					w->taint = r->line;
					w->taint_jump = r->line;
				}
				*tainted = true;
				*stop = 2;
			}
		} else {
			w->made[ri] = true;
			if (c == CONJ_EMPTY)
				*stop = 1;
		}
		goto out;
	}
	if (r->target == IPT_T_NONE) {
		tell(w, ri, "no target: a counting rule decides nothing");
		goto out;
	}
	if (r->target == IPT_T_JUMP) {
		if (depth >= MAX_DEPTH) {
			tell(w, ri, "jumps nested deeper than %d", MAX_DEPTH);
			goto out;
		}
		for (i = 0; i <= (size_t)depth; i++)
			if (strcmp(w->stack[i], r->jump) == 0) {
				tell(w, ri, "a loop of jumps back into %s (iptables refuses these)", r->jump);
				goto out;
			}
	}
	c = under_context(ctx, &own, r->target == IPT_T_JUMP, &cases, why, sizeof(why));
	if (c == CONJ_UNREP) {
		tell(w, ri, "%s", why);
		if (r->target == IPT_T_JUMP && (r->go || chain_decides(w->rs, r->jump, 0))) {
			if (!w->taint) {
				w->taint = r->line;
				w->taint_jump = r->line;
			}
			*tainted = true;
			*stop = 2;
		}
		goto out;
	}
	if (c == CONJ_EMPTY)
		goto out;	/* never matches here (counted at the end) */
	w->made[ri] = true;
	if (w->taint && r->target != IPT_T_JUMP && !w->partial[ri]) {
		w->partial[ri] = w->taint;
		w->partial_jump[ri] = w->taint_jump;
	}
	if (r->target == IPT_T_JUMP) {
		w->stack[depth + 1] = r->jump;
		w->path[depth + 1] = r->line;
		sub = walk_chain(w, r->jump, &cases, depth + 1);
		w->depth = depth;
		if (sub < 0) {
			ret = -1;
			goto out;
		}
		if (r->go && ch->builtin && sub == 0) {
			/* back from a goto in a built-in chain: its policy */
			w->depth = depth + 1;
			ret = emit_policy(w, ch, &cases, " (chain policy after a goto)");
			w->depth = depth;
		}
		if (sub == 1 || r->go)
			narrow(w, ri, ctx, &own, stop, tainted, sub == 1);
		goto out;
	}
	for (i = 0; i < cases.n && ret == 0; i++)
		ret = r->target == IPT_T_RETURN ?	/* in a built-in chain: its policy */
		      emit(w, &cases.v[i], chain_action(ch->policy), r->line, " (RETURN: chain policy)") :
		      emit(w, &cases.v[i], chain_action((int)r->target), r->line, "");
out:
	alts_free(&cases);
	policy_rule_free(&own.m);
	return ret;
}

static int walk_chain(struct walk *w, const char *chain, struct alts *ctx, int depth)
{
	const struct ipt_chain *ch = ipt_chain_find(w->rs, chain);
	struct alts local = { 0 };
	unsigned int at_seen = 0, at_line = 0;
	bool tainted = false;
	int stop = 0;
	size_t i;
	int ret = 0;

	for (i = 0; i < ctx->n; i++) {
		struct imatch x = ctx->v[i];

		if (match_copy(&x.m, &ctx->v[i].m) < 0 || alts_push(&local, &x) < 0)
			return -1;
	}
	w->depth = depth;
	for (i = 0; i < w->rs->nrules && ret == 0 && !w->too_big; i++) {
		const struct ipt_rule *r = &w->rs->rules[i];

		if (strcmp(r->chain, chain) != 0)
			continue;
		if (stop) {
			w->seen[i] = true;	/* after an unconditional RETURN: never reached */
			if (stop == 2 && r->jump && ipt_chain_find(w->rs, r->jump) &&
			    !w->via[ipt_chain_find(w->rs, r->jump) - w->rs->chains])
				w->via[ipt_chain_find(w->rs, r->jump) - w->rs->chains] = r->line;
			if (stop == 2 && r->target == IPT_T_LOG)
				note(w, i, ST_LOG, "a LOG rule decides nothing: not translated");
			else if (stop == 2 && w->taint == r->line)
				;	/* the line at fault, reported already */
			else if (stop == 2)
				tell(w, i, "what reaches this line depends on line %u, which is not translated"
				     " (keep both in the kernel)", w->taint);
			continue;
		}
		ret = walk_rule(w, i, ch, &local, depth, &stop, &tainted, &at_seen, &at_line);
		w->depth = depth;
	}
	if (ret == 0 && depth == 0 && !w->too_big) {
		/* the built-in chain's policy, for what is left */
		if (stop == 2) {
			report(w, ch->line, "not translated: ", "%s's policy: what reaches it depends on"
			       " line %u, which is not translated", ch->name, w->taint);
		} else if (stop != 1) {
			ret = emit_policy(w, ch, &local, " (chain policy)");
			if (w->taint)
				report(w, ch->line, "note: ", "%s's policy is translated only for packets that"
				       " did not take the jump at line %u (what becomes of those depends on line"
				       " %u, which is not translated)", ch->name, w->taint_jump, w->taint);
		}
	}
	alts_free(&local);
	return ret < 0 ? -1 : tainted ? 1 : 0;
}

/* The chain's policy for the alternatives @ctx. One that needs "every
 * protocol but P" cannot be said: left out, its packets get the
 * policy's default drop (reported unless the chain's policy is DROP). */
static int emit_policy(struct walk *w, const struct ipt_chain *ch, const struct alts *ctx, const char *what)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < ctx->n && ret == 0; i++) {
		if (ctx->v[i].proto_not >= 0) {
			if (ch->policy != IPT_T_DROP)
				report(w, ch->line, "not translated: ", "%s's policy%s for the packets of"
				       " every protocol but %d that reach it (the policy cannot say that):"
				       " they are dropped", ch->name, what, ctx->v[i].proto_not);
			continue;
		}
		ret = emit(w, &ctx->v[i], chain_action(ch->policy), ch->line, what);
	}
	return ret;
}

/* --- what stays in the kernel ------------------------------------------- */

static void copy_chain(struct walk *w, const char *name, int depth)
{
	const struct ipt_chain *ch = ipt_chain_find(w->rs, name);
	size_t i;

	if (!ch || ch->builtin || w->copied[ch - w->rs->chains] || depth > MAX_DEPTH)
		return;
	w->copied[ch - w->rs->chains] = true;
	for (i = 0; i < w->rs->nrules; i++)
		if (strcmp(w->rs->rules[i].chain, name) == 0 && w->rs->rules[i].jump)
			copy_chain(w, w->rs->rules[i].jump, depth + 1);
}

/* The lines of @chain that come before the first one verdictd must judge,
 * as lines of @as: loopback's, LOG's, connection states' other than NEW,
 * through unconditional jumps. 1 when it stopped at such a line. */
static int kernel_prefix(struct walk *w, const char *chain, const char *as, int depth, FILE *out,
			 bool *lo_ok)
{
	const struct ipt_chain *ch = ipt_chain_find(w->rs, chain);
	size_t i;

	if (!ch || depth > MAX_DEPTH)
		return 1;
	for (i = 0; i < w->rs->nrules; i++) {
		const struct ipt_rule *r = &w->rs->rules[i];
		const struct ipt_chain *to = r->jump ? ipt_chain_find(w->rs, r->jump) : NULL;
		bool lo = r->m.iif.present && !r->m.iif.neg && strcmp(r->m.iif.name, "lo") == 0;
		bool states = r->states && !(r->states & IPT_ST_NEW);
		bool terminal = r->target == IPT_T_ACCEPT || r->target == IPT_T_DROP || r->target == IPT_T_REJECT;

		if (strcmp(r->chain, chain) != 0)
			continue;
		if (r->target == IPT_T_LOG || r->target == IPT_T_NONE) {
			fprintf(out, "-A %s %s\n", as, r->text);
		} else if (r->target == IPT_T_JUMP && !r->go && no_match(r) && to && !to->builtin) {
			if (kernel_prefix(w, r->jump, as, depth + 1, out, lo_ok))
				return 1;
		} else if (r->target == IPT_T_RETURN && no_match(r) && !ch->builtin) {
			return 0;
		} else if ((lo && terminal) ||
			   (states && (terminal || (r->target == IPT_T_JUMP && !r->go && to && !to->builtin)))) {
			fprintf(out, "-A %s %s\n", as, r->text);
			w->kept[i] = 1;
			if (to)
				copy_chain(w, to->name, 0);
			if (lo && r->target == IPT_T_ACCEPT) {
				struct ipt_rule c = *r;

				c.m.iif.present = false;
				*lo_ok = *lo_ok || no_match(&c);
			}
		} else {
			return 1;
		}
	}
	return 0;
}

static char *memstream_done(FILE *f, char **text)
{
	if (f)
		fclose(f);
	return *text;
}

/* The kernel's part of the restore file for this ruleset. */
static int kernel_part(struct walk *w)
{
	struct import_kernel *k = &w->im->kernel[w->rs->family == AF_INET6];
	static const char *const builtins[] = { "INPUT", "FORWARD", "OUTPUT" };
	char *input = NULL, *forward = NULL, *rest = NULL, *chains = NULL;
	size_t l1, l2, l3, l4, i, b;
	FILE *fi = open_memstream(&input, &l1), *ff = open_memstream(&forward, &l2);
	FILE *fr = open_memstream(&rest, &l3), *fc = open_memstream(&chains, &l4);
	bool lo_ok = false, dummy = false;
	const struct ipt_chain *in = ipt_chain_find(w->rs, "INPUT");

	if (!fi || !ff || !fr || !fc) {
		memstream_done(fi, &input);
		memstream_done(ff, &forward);
		memstream_done(fr, &rest);
		memstream_done(fc, &chains);
		free(input);
		free(forward);
		free(rest);
		free(chains);
		return -1;
	}
	kernel_prefix(w, "INPUT", "INPUT", 0, fi, &lo_ok);
	kernel_prefix(w, "FORWARD", "FORWARD", 0, ff, &dummy);
	for (i = 0; i < w->rs->nrules; i++)
		if (strcmp(w->rs->rules[i].chain, "OUTPUT") == 0 && w->rs->rules[i].jump)
			copy_chain(w, w->rs->rules[i].jump, 0);
	for (b = 0; b < 3; b++) {
		const struct ipt_chain *ch = ipt_chain_find(w->rs, builtins[b]);

		fprintf(fc, ":%s %s [0:0]\n", builtins[b], !ch || ch->policy != IPT_T_DROP ? "ACCEPT" : "DROP");
	}
	for (i = 0; i < w->rs->nchains; i++)
		if (w->copied[i])
			fprintf(fc, ":%s - [0:0]\n", w->rs->chains[i].name);
	for (i = 0; i < w->rs->nrules; i++) {
		const struct ipt_rule *r = &w->rs->rules[i];
		const struct ipt_chain *ch = ipt_chain_find(w->rs, r->chain);

		if (strcmp(r->chain, "OUTPUT") == 0 || (ch && w->copied[ch - w->rs->chains]))
			fprintf(fr, "-A %s %s\n", r->chain, r->text);
	}
	memstream_done(fi, &input);
	memstream_done(ff, &forward);
	memstream_done(fr, &rest);
	memstream_done(fc, &chains);
	free(k->chains);
	free(k->input);
	free(k->forward);
	free(k->rest);
	free(k->tables);
	k->present = true;
	k->chains = chains;
	k->input = input;
	k->forward = forward;
	k->rest = rest;
	k->tables = strdup(w->rs->other_text ? w->rs->other_text : "");
	if (!chains || !input || !forward || !rest || !k->tables)
		return -1;
	if (in && !lo_ok && in->policy == IPT_T_DROP)
		report(w, in->line, "warning: ", "loopback: the fixed rules leave lo to the kernel, and no"
		       " unconditional '-i lo -j ACCEPT' comes before the first line verdictd judges:"
		       " lo packets get INPUT's policy (DROP) in the restore file");
	return 0;
}

static const struct { const char *chain; int hook; } builtin_chains[] = {
	{ "INPUT", POLICY_HOOK_INPUT }, { "FORWARD", POLICY_HOOK_FORWARD },
};

static int rep_cmp(const void *x, const void *y)
{
	const struct rep *a = x, *b = y;

	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

int import_ruleset(struct import *im, const struct ipt_ruleset *rs, const char *name, FILE *report_to)
{
	struct walk w = { .im = im, .rs = rs, .name = name, .report = report_to };
	size_t k, i;
	int ret = -1;

	w.seen = calloc(rs->nrules + 1, sizeof(*w.seen));
	w.state = calloc(rs->nrules + 1, sizeof(*w.state));
	w.made = calloc(rs->nrules + 1, sizeof(*w.made));
	w.partial = calloc(rs->nrules + 1, sizeof(*w.partial));
	w.partial_jump = calloc(rs->nrules + 1, sizeof(*w.partial_jump));
	w.kept = calloc(rs->nrules + 1, sizeof(*w.kept));
	w.copied = calloc(rs->nchains + 1, sizeof(*w.copied));
	w.via = calloc(rs->nchains + 1, sizeof(*w.via));
	if (!w.seen || !w.state || !w.made || !w.partial || !w.partial_jump || !w.kept || !w.copied || !w.via)
		goto out;
	if (kernel_part(&w) < 0)
		goto out;
	for (k = 0; k < sizeof(builtin_chains) / sizeof(builtin_chains[0]); k++) {
		const struct ipt_chain *ch = ipt_chain_find(rs, builtin_chains[k].chain);
		struct alts ctx = { 0 };
		struct imatch x;

		if (!ch)
			continue;
		imatch_empty(&x);
		x.m.family = rs->family;
		x.m.hook = (uint8_t)builtin_chains[k].hook;
		if (alts_push(&ctx, &x) < 0)
			goto out;
		w.hook = builtin_chains[k].hook;
		w.stack[0] = ch->name;
		w.taint = w.taint_jump = 0;
		w.depth = 0;
		if (walk_chain(&w, ch->name, &ctx, 0) < 0) {
			alts_free(&ctx);
			goto out;
		}
		alts_free(&ctx);
	}
	for (i = 0; i < rs->nrules; i++) {
		const struct ipt_rule *r = &rs->rules[i];
		const struct ipt_chain *ch = ipt_chain_find(rs, r->chain);
		size_t ci = ch ? (size_t)(ch - rs->chains) : 0;

		if (!w.seen[i]) {
			if (strcmp(r->chain, "OUTPUT") == 0 || (ch && w.copied[ci])) {
				w.kept[i] = 2;
				tell(&w, i, "%s", strcmp(r->chain, "OUTPUT") == 0 ? "OUTPUT (packets this host"
				     " sends) is not judged by verdictd" : "a chain only OUTPUT or kept lines use");
			} else if (ch && w.via[ci]) {
				tell(&w, i, "chain %s is reached only through line %u, which is not translated",
				     r->chain, w.via[ci]);
			} else if (w.too_big) {
				tell(&w, i, "left out: the walk stopped at its visit limit");
			} else {
				tell(&w, i, "chain %s is not reached from INPUT or FORWARD", r->chain);
			}
		}
		switch (w.state[i]) {
		case ST_REPORTED: im->lines_reported++; break;
		case ST_KEPT: im->lines_kept++; break;
		case ST_FAST: im->lines_fastpath++; break;
		case ST_LOG: im->lines_logged++; break;
		default:
			if (w.made[i] && w.partial[i]) {
				im->lines_partial++;
				report(&w, r->line, "not translated for all its packets: ", "translated only for"
				       " packets that did not take the jump at line %u (what becomes of those"
				       " depends on line %u, which is not translated)", w.partial_jump[i], w.partial[i]);
			} else if (w.made[i]) {
				im->lines_translated++;
			} else {
				im->lines_empty++;
			}
		}
	}
	if (ipt_chain_find(rs, "OUTPUT") && ipt_chain_find(rs, "OUTPUT")->policy == IPT_T_DROP)
		report(&w, ipt_chain_find(rs, "OUTPUT")->line, "note: ", "OUTPUT's policy DROP is kept in the"
		       " kernel (restore file); verdictd does not judge OUTPUT");
	for (i = 0; i < rs->other_lines; i++)
		report(&w, rs->other[i].line, "note: ", "a rule of the %s table: kept as it is (restore file;"
		       " verdictd replaces the filter table only)", rs->other[i].table);
	im->lines_other += rs->other_lines;
	ret = w.oom ? -1 : 0;
out:
	if (w.nreps)
		qsort(w.reps, w.nreps, sizeof(*w.reps), rep_cmp);
	for (i = 0; i < w.nreps; i++) {
		fputs(w.reps[i].text, report_to);
		free(w.reps[i].text);
	}
	free(w.reps);
	free(w.seen);
	free(w.state);
	free(w.made);
	free(w.partial);
	free(w.partial_jump);
	free(w.kept);
	free(w.copied);
	free(w.via);
	return ret;
}

/* --- merging runs --------------------------------------------------------- */

static bool addr_equal(const struct match_addr *a, const struct match_addr *b)
{
	return a->present == b->present && (!a->present || (a->neg == b->neg &&
		a->n == b->n && (!a->n || memcmp(a->pfx, b->pfx, a->n * sizeof(*a->pfx)) == 0)));
}

static bool ports_equal(const struct match_ports *a, const struct match_ports *b)
{
	return a->present == b->present && (!a->present || (a->neg == b->neg &&
		a->n == b->n && (!a->n || memcmp(a->range, b->range, a->n * sizeof(*a->range)) == 0)));
}

static bool sets_equal(const struct policy_rule *a, const struct policy_rule *b)
{
	size_t i;

	if (a->nsetm != b->nsetm)
		return false;
	for (i = 0; i < a->nsetm; i++)
		if (!setm_same(&a->setm[i], &b->setm[i]) || a->setm[i].neg != b->setm[i].neg)
			return false;
	return true;
}

static bool iface_equal(const struct match_iface *a, const struct match_iface *b)
{
	return a->present == b->present && (!a->present || (a->neg == b->neg && strcmp(a->name, b->name) == 0));
}

/* Rules that differ at most in field @f (0 src, 1 dst), which is a positive
 * prefix list in both. */
static bool mergeable(const struct policy_rule *a, const struct policy_rule *b, int f)
{
	const struct match_addr *fa = f ? &a->dst : &a->src, *fb = f ? &b->dst : &b->src;

	return a->action == b->action && a->mark == b->mark && a->family == b->family &&
	       a->hook == b->hook && a->proto == b->proto && a->icmp_type == b->icmp_type &&
	       a->icmp_code == b->icmp_code && iface_equal(&a->iif, &b->iif) &&
	       iface_equal(&a->oif, &b->oif) && ports_equal(&a->sport, &b->sport) &&
	       ports_equal(&a->dport, &b->dport) && sets_equal(a, b) &&
	       addr_equal(f ? &a->src : &a->dst, f ? &b->src : &b->dst) &&
	       fa->present && fb->present && !fa->neg && !fb->neg;
}

static int new_set(struct import *im, struct policy_rule *r, struct match_addr *ma)
{
	char name[32], buf[INET6_ADDRSTRLEN], *grown;
	struct policy_set *g;
	size_t i, need;

	for (i = 0; i < ma->n; i++)
		if (ma->pfx[i].plen == 0)
			return 0;	/* hash:net holds no /0: stay a list */
	if (r->nsetm == POLICY_MAX_SETM)
		return 0;
	snprintf(name, sizeof(name), "vd-%s-%u", policy_hook_name(r->hook), im->nsets_made + 1);
	need = 128 + ma->n * (INET6_ADDRSTRLEN + 48);
	grown = realloc(im->new_sets, im->new_sets_len + need);
	g = realloc(im->pol.sets, (im->pol.nsets + 1) * sizeof(*g));
	if (grown)
		im->new_sets = grown;
	if (g)
		im->pol.sets = g;
	if (!grown || !g)
		return -1;
	im->new_sets_len += (size_t)snprintf(im->new_sets + im->new_sets_len, 128,
		"create %s hash:net family %s\n", name, r->family == AF_INET6 ? "inet6" : "inet");
	for (i = 0; i < ma->n; i++) {
		inet_ntop(ma->pfx[i].family, ma->pfx[i].addr.b, buf, sizeof(buf));
		im->new_sets_len += (size_t)snprintf(im->new_sets + im->new_sets_len,
			INET6_ADDRSTRLEN + 48, "add %s %s/%u\n", name, buf, ma->pfx[i].plen);
	}
	g = &im->pol.sets[im->pol.nsets];
	memset(g, 0, sizeof(*g));
	g->name = strdup(name);
	g->type = SET_HASH_NET;
	g->family = r->family ? r->family : AF_INET;
	if (!g->name)
		return -1;
	free(ma->pfx);
	ma->pfx = NULL;
	ma->n = 0;
	ma->present = false;
	r->setm[r->nsetm].set = (int)im->pol.nsets++;
	r->setm[r->nsetm].neg = false;
	r->setm[r->nsetm].dir[0] = ma == &r->dst ? POLICY_DIR_DST : POLICY_DIR_SRC;
	r->setm[r->nsetm].dir[1] = 0;
	r->nsetm++;
	im->nsets_made++;
	return 0;
}

static int merge_field(struct import *im, int f, size_t set_min)
{
	struct policy *pol = &im->pol;
	size_t i = 0, out = 0;

	while (i < pol->nrules) {
		size_t j = i + 1;
		struct policy_rule *r = &pol->rules[i];
		struct match_addr *ma = f ? &r->dst : &r->src;

		while (j < pol->nrules && mergeable(r, &pol->rules[j], f)) {
			struct match_addr *mb = f ? &pol->rules[j].dst : &pol->rules[j].src;
			struct policy_prefix *g = realloc(ma->pfx, (ma->n + mb->n) * sizeof(*g));

			if (!g)
				return -1;
			memcpy(g + ma->n, mb->pfx, mb->n * sizeof(*g));
			ma->pfx = g;
			ma->n += mb->n;
			j++;
		}
		if (j > i + 1) {
			char origin[1024];
			const char *tail = strstr(im->origin[i], " (");
			unsigned int last = im->pol.rules[j - 1].pos.line;

			if (!tail)
				tail = im->origin[i] + strlen(im->origin[i]);
			snprintf(origin, sizeof(origin), "%.*s-%u%s (%zu rules)", (int)(tail - im->origin[i]),
				 im->origin[i], last, tail, j - i);
			free(im->origin[i]);
			im->origin[i] = strdup(origin);
			for (size_t k = i + 1; k < j; k++) {
				policy_rule_free(&pol->rules[k]);
				free(im->origin[k]);
			}
			if (!im->origin[i] || (ma->n >= set_min && set_min && new_set(im, r, ma) < 0))
				return -1;
		}
		pol->rules[out] = pol->rules[i];
		im->origin[out] = im->origin[i];
		out++;
		i = j;
	}
	pol->nrules = out;
	return 0;
}

int import_merge(struct import *im, size_t set_min)
{
	if (merge_field(im, 0, set_min) < 0 || merge_field(im, 1, set_min) < 0)
		return -1;
	return 0;
}

/* --- output --------------------------------------------------------------- */

void import_write_policy(FILE *out, const struct import *im, const char *source)
{
	size_t i;

	fprintf(out, "# verdictd policy translated from %s by verdictctl import.\n"
		"# Load its sets first: ipset restore -exist < ipsets.restore\n"
		"# Each rule names the iptables-save line(s) it comes from.\n\n", source);
	for (i = 0; i < im->pol.nsets; i++)
		policy_write_set(out, &im->pol.sets[i]);
	if (im->pol.nsets)
		fputc('\n', out);
	for (i = 0; i < im->pol.nrules; i++) {
		policy_write_rule(out, &im->pol, &im->pol.rules[i]);
		fprintf(out, "  # %s\n", im->origin[i]);
	}
	fprintf(out, "\n# Every chain ends in its policy above; nothing reaches this.\ndefault drop\n");
}

void import_write_ipsets(FILE *out, const struct import *im)
{
	size_t i;

	for (i = 0; i < im->nipsets; i++)
		if (im->ipsets[i].used && im->ipsets[i].lines)
			fputs(im->ipsets[i].lines, out);
	if (im->new_sets)
		fwrite(im->new_sets, 1, im->new_sets_len, out);
}

void import_write_restore(FILE *out, const struct import *im, int family, const char *fixed)
{
	const struct import_kernel *k = &im->kernel[family == AF_INET6];
	const char *p = fixed, *tool = family == AF_INET6 ? "ip6tables" : "iptables";
	bool in_done = false, fwd_done = false;

	fprintf(out, "# Made by verdictctl import: the fixed rules of verdictd --print-rules=%s with\n"
		"# the lines that stay in the kernel, and the other tables as they were.\n"
		"# Replaces the tables it names in one go: %s-restore < FILE (no --noflush)\n",
		family == AF_INET6 ? "ipv6" : "ipv4", tool);
	while (*p) {
		size_t len = strcspn(p, "\n");

		if (strncmp(p, "# Load with:", 12) == 0) {
			/* the fixed rules alone; here they come with the rest */
		} else if (strncmp(p, "*filter", 7) == 0) {
			fprintf(out, "%.*s\n", (int)len, p);
			fputs(k->chains ? k->chains : ":INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n",
			      out);
		} else {
			if (!in_done && strncmp(p, "-A INPUT ", 9) == 0) {
				if (k->input && *k->input)
					fprintf(out, "# Kept from the old INPUT chain, before the jump to VERDICTD:\n%s",
						k->input);
				in_done = true;
			}
			if (!fwd_done && strncmp(p, "-A FORWARD ", 11) == 0) {
				if (k->forward && *k->forward)
					fprintf(out, "# Kept from the old FORWARD chain, before the jump to VERDICTD:\n%s",
						k->forward);
				fwd_done = true;
			}
			if (strncmp(p, "COMMIT", 6) == 0 && k->rest && *k->rest)
				fprintf(out, "# Kept from the old rules: OUTPUT and the chains kept lines use:\n%s",
					k->rest);
			fprintf(out, "%.*s\n", (int)len, p);
		}
		p += len;
		if (*p)
			p++;
	}
	if (k->tables && *k->tables)
		fprintf(out, "# The other tables, as they were:\n%s", k->tables);
}

void import_free(struct import *im)
{
	size_t i;

	for (i = 0; i < 2; i++) {
		free(im->kernel[i].chains);
		free(im->kernel[i].input);
		free(im->kernel[i].forward);
		free(im->kernel[i].rest);
		free(im->kernel[i].tables);
	}

	for (i = 0; i < im->pol.nrules; i++)
		free(im->origin[i]);
	free(im->origin);
	policy_free(&im->pol);
	for (i = 0; i < im->nipsets; i++) {
		free(im->ipsets[i].name);
		free(im->ipsets[i].type);
		free(im->ipsets[i].lines);
	}
	free(im->ipsets);
	free(im->new_sets);
	memset(im, 0, sizeof(*im));
}
