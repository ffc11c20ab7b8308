/* conf_parser.h - what conf.c (the file and the daemon's options) and
 * policy_parse.c (the policy's grammar) share: a line split into words, and
 * messages held until the file is read, then printed in line and column
 * order. Internal to those two files. */
#ifndef VD_CONF_PARSER_H
#define VD_CONF_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "conf.h"

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

/* An error at column @col of the current line (counted, held, printed as
 * "file:line:col: message"). */
void parser_error(struct parser *ps, unsigned int col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The word of @names (NULL-terminated) near enough to @s to be a slip of
 * the keyboard, for "did you mean"; else NULL. */
const char *parser_nearest(const char *s, const char *const *names);
/* Whether the line has at least @n words (an error if not). */
bool parser_want(struct parser *ps, size_t n);
/* accept, drop (or reject, with @allow_reject). */
int parser_verdict(struct parser *ps, const struct word *w, bool allow_reject,
		   enum policy_action *out);

/* policy_parse.c: a line that starts with "set", a rule's action, or
 * "default"; and the checks that need the whole file. */
int policy_parse_set(struct parser *ps);
int policy_parse_rule(struct parser *ps);
int policy_parse_default(struct parser *ps);
void policy_parse_check(struct parser *ps);

#endif
