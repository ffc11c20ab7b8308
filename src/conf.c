/* conf.c - verdictd.conf(5): the file, and the daemon's options.
 *
 * The file is line oriented: one option, set declaration or rule a line,
 * words separated by blanks, '#' to the end of the line a comment. This
 * file reads lines, parses the daemon's options (queue, cpus, mark-mask,
 * ...) and hands set declarations, rules and the default to the policy's
 * grammar (policy_parse.c). Every error is reported with its line and
 * column, and parsing goes on to the next line so that one run shows every
 * mistake. Messages are kept until the whole file is read (some checks
 * need all of it) and printed in line and column order. */
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
#include "conf_parser.h"
#include "transport.h"
#include "verdict.h"
#include "vocab.h"

void parser_error(struct parser *ps, unsigned int col, const char *fmt, ...)
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
const char *parser_nearest(const char *s, const char *const *names)
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
	c->set_poll_ms = 500;
	c->batch = 256;
	c->on_error = ACT_DROP;
	c->bypass = true;
	c->transport = TP_AUTO;
	c->ring_buffers = 1024;
	c->control_mode = 0660;
	c->log_to = LOG_TO_AUTO;
	c->log_level = LOG_LVL_INFO;
	c->log_rate = 10;
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
			parser_error(ps, (unsigned int)(p - line) + 1, "line has more than %d words", MAX_WORDS);
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
bool parser_want(struct parser *ps, size_t n)
{
	if (ps->nw < n) {
		parser_error(ps, ps->w[ps->nw - 1].col + (unsigned int)strlen(ps->w[ps->nw - 1].s),
		     "'%s' needs a value", ps->w[0].s);
		return false;
	}
	if (ps->nw > n) {
		parser_error(ps, ps->w[n].col, "unexpected '%s' after '%s'", ps->w[n].s, ps->w[0].s);
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
	parser_error(ps, w->col, "expected yes or no, not '%s'", w->s);
	return -1;
}

static int parse_u32(struct parser *ps, const struct word *w, unsigned long lo,
		     unsigned long hi, uint32_t *out)
{
	unsigned long v;

	if (vocab_uint(w->s, hi, &v) < 0 || v < lo) {
		parser_error(ps, w->col, "'%s' is not a number from %lu to %lu", w->s, lo, hi);
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
	parser_error(ps, w->col, "'%s' is not a size from 4k to 2047M", w->s);
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
	parser_error(ps, w->col + (unsigned int)bad, "'%.*s' is not a CPU number (a list like 0,1)",
	     (int)strcspn(w->s + bad, ","), w->s + bad);
	return -1;
}

int parser_verdict(struct parser *ps, const struct word *w, bool allow_reject,
			      enum policy_action *out)
{
	if (strcmp(w->s, "accept") == 0)
		*out = ACT_ACCEPT;
	else if (strcmp(w->s, "drop") == 0)
		*out = ACT_DROP;
	else if (allow_reject && strcmp(w->s, "reject") == 0)
		*out = ACT_REJECT;
	else {
		parser_error(ps, w->col, "expected %s, not '%s'",
		     allow_reject ? "accept, drop or reject" : "accept or drop", w->s);
		return -1;
	}
	return 0;
}

/* A user or group name as useradd(8) allows them: the account database
 * is read when the daemon starts (and by -t), not by the parser. */
static int parse_name(struct parser *ps, const struct word *w, char *out)
{
	size_t n = strspn(w->s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-");

	if (n != strlen(w->s) || n >= CONF_NAME_MAX || w->s[0] == '-') {
		parser_error(ps, w->col, "'%s' is not a user or group name", w->s);
		return -1;
	}
	memcpy(out, w->s, n + 1);
	return 0;
}

/* Permission bits, in octal as chmod(1) takes them. */
static int parse_mode(struct parser *ps, const struct word *w, uint32_t *out)
{
	char *end;
	unsigned long v = strtoul(w->s, &end, 8);

	if (*end || end == w->s || v > 0777 || w->s[0] == '-') {
		parser_error(ps, w->col, "'%s' is not a mode (octal, like 0660)", w->s);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

/* log-to auto|stderr|syslog|journal, log-level error|warning|info|debug */
static int parse_log(struct parser *ps, bool target)
{
	const struct word *w = &ps->w[1];
	int v = target ? log_target_parse(w->s) : log_level_parse(w->s);

	if (v < 0) {
		parser_error(ps, w->col, "expected %s, not '%s'", target ? "auto, stderr, syslog or journal"
			     : "error, warning, info or debug", w->s);
		return -1;
	}
	if (target)
		ps->c->log_to = (enum log_target)v;
	else
		ps->c->log_level = (enum log_level)v;
	return 0;
}

static int parse_option(struct parser *ps)
{
	const char *k = ps->w[0].s;
	struct conf *c = ps->c;

	if (!parser_want(ps, 2))
		return -1;
	if (strcmp(k, "queue") == 0) {
		if (conf_parse_queues(ps->w[1].s, &c->queue_first, &c->queue_last) < 0) {
			parser_error(ps, ps->w[1].col, "'%s' is not a queue number or range (N or N-M, at most %d queues)",
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
			parser_error(ps, ps->w[1].col, "mark-mask %s must have its two lowest set bits adjacent"
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
			parser_error(ps, ps->w[1].col, "expected auto, ring or socket, not '%s'", ps->w[1].s);
			return -1;
		}
		c->transport = (enum tp_kind)kind;
		return 0;
	}
	if (strcmp(k, "ring-buffers") == 0) {
		if (parse_u32(ps, &ps->w[1], 64, 32768, &c->ring_buffers) < 0)
			return -1;
		if (c->ring_buffers & (c->ring_buffers - 1)) {
			parser_error(ps, ps->w[1].col, "ring-buffers %u is not a power of two", c->ring_buffers);
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
	if (strcmp(k, "set-poll") == 0) {
		if (strcmp(ps->w[1].s, "off") == 0) {
			c->set_poll_ms = 0;
			return 0;
		}
		return parse_u32(ps, &ps->w[1], 100, 60000, &c->set_poll_ms);
	}
	if (strcmp(k, "on-error") == 0)
		return parser_verdict(ps, &ps->w[1], false, &c->on_error);
	if (strcmp(k, "user") == 0)
		return parse_name(ps, &ps->w[1], c->user);
	if (strcmp(k, "control-owner") == 0)
		return parse_name(ps, &ps->w[1], c->control_owner);
	if (strcmp(k, "control-group") == 0)
		return parse_name(ps, &ps->w[1], c->control_group);
	if (strcmp(k, "control-mode") == 0)
		return parse_mode(ps, &ps->w[1], &c->control_mode);
	if (strcmp(k, "log-to") == 0 || strcmp(k, "log-level") == 0)
		return parse_log(ps, k[4] == 't');
	if (strcmp(k, "log-rate") == 0)
		return parse_u32(ps, &ps->w[1], 1, 100000, &c->log_rate);
	if (strcmp(k, "metrics-listen") == 0) {
		if (strlen(ps->w[1].s) >= sizeof(c->metrics_listen) || !strchr(ps->w[1].s, ':')) {
			parser_error(ps, ps->w[1].col, "'%s' is not IP:PORT (e.g. 127.0.0.1:9474, [::1]:9474)",
				     ps->w[1].s);
			return -1;
		}
		strcpy(c->metrics_listen, ps->w[1].s);
		return 0;
	}
	parser_error(ps, ps->w[0].col, "unknown keyword '%s'", k);	/* not reached: see parse_line */
	return -1;
}

/* The words a line can start with, rules first (for "did you mean"). */
static const char *const line_keywords[] = {
	"accept", "drop", "reject", "mark", "default", "set",
	"queue", "cpus", "mark-mask", "fail-open", "bypass", "queue-maxlen", "rcvbuf",
	"copy-range", "batch", "transport", "ring-buffers", "on-error", "set-poll",
	"user", "control-owner", "control-group", "control-mode",
	"log-to", "log-level", "log-rate", "metrics-listen", NULL,
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
		policy_parse_set(ps);
	else if (strcmp(k, "accept") == 0 || strcmp(k, "drop") == 0 ||
		 strcmp(k, "reject") == 0 || strcmp(k, "mark") == 0)
		policy_parse_rule(ps);
	else if (strcmp(k, "default") == 0)
		policy_parse_default(ps);
	else if (is_keyword(k, line_keywords))
		parse_option(ps);
	else if ((near = parser_nearest(k, line_keywords)))
		parser_error(ps, ps->w[0].col, "unknown keyword '%s' (did you mean '%s'?)", k, near);
	else
		parser_error(ps, ps->w[0].col, "unknown keyword '%s' (a line starts with a rule: accept, drop,"
		     " reject, mark; default; set; or an option: queue, cpus, mark-mask, fail-open,"
		     " bypass, queue-maxlen, rcvbuf, copy-range, batch, transport, ring-buffers,"
		     " on-error, set-poll, user, control-owner, control-group, control-mode, log-to,"
		     " log-level, log-rate, metrics-listen)", k);
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
			parser_error(&ps, 1, "out of memory");
			break;
		}
		parse_line(&ps, line);
		free(line);
		p += n + (nl ? 1 : 0);
	}
	policy_parse_check(&ps);
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
		fprintf(out, "%s:%u:%u: warning: no interface '%s' exists now: '%s %s%s' %s until"
			" it appears (verdictd follows interfaces as they come and go)\n",
			name, f->line, f->col, f->name, k, f->neg ? "!" : "", f->name,
			f->neg ? "holds for every packet" : "matches no packet");
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
		sha256_hex(text, len, c->sha256);
		errors = conf_load_string(c, path, text, err);
		if (errors == 0 && err)
			conf_warn(c, err);
	}
	free(text);
	fclose(f);
	return errors;
}
