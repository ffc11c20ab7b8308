/* setcmd.c - the set commands of the control socket (see setcmd.h).
 *
 * The kernel's ipset is edited first, through libipset (so that ipset's
 * own syntax and checks apply, and an edit the kernel refuses changes
 * nothing); then verdictd's copy, in place when it can be (an add or a
 * del: O(1), workers go on reading), else by a copy or a read of that set
 * alone. The daemon publishes the result and revalidates the connections. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "set_kernel.h"
#include "setcmd.h"

static const char *const verbs[SETCMD_RESTORE + 1] = {
	[SETCMD_ADD] = "add", [SETCMD_DEL] = "del", [SETCMD_TEST] = "test",
	[SETCMD_LIST] = "list", [SETCMD_FLUSH] = "flush", [SETCMD_SWAP] = "swap",
	[SETCMD_RESTORE] = "restore",
};

/* Which words each verb takes after NAME: an element, a second name. */
static const struct { bool elem, name2; } shape[] = {
	[SETCMD_ADD] = { true, false }, [SETCMD_DEL] = { true, false },
	[SETCMD_TEST] = { true, false }, [SETCMD_SWAP] = { false, true },
};

static int parse_restore(const char *body, struct setcmd *c, char *err, size_t len)
{
	size_t n = strlen(body);

	if (n > SETCMD_RESTORE_MAX) {
		snprintf(err, len, "restore takes at most %u bytes; use ipset restore for more"
			 " (verdictd follows it)", SETCMD_RESTORE_MAX);
		return -1;
	}
	if (!(c->body = strdup(body))) {
		snprintf(err, len, "out of memory");
		return -1;
	}
	for (char *p = c->body; *p; p++)
		if (*p == '\t')
			*p = '\n';
	return 0;
}

/* The options after an add's element: timeout N, nomatch. */
static int parse_options(char *save, struct setcmd *c, char *err, size_t len)
{
	char *w, *end;

	while ((w = strtok_r(NULL, " ", &save))) {
		if (c->verb == SETCMD_ADD && strcmp(w, "nomatch") == 0) {
			c->nomatch = true;
		} else if (c->verb == SETCMD_ADD && strcmp(w, "timeout") == 0 && !c->has_timeout) {
			w = strtok_r(NULL, " ", &save);
			c->timeout = w ? strtoul(w, &end, 10) : 0;
			if (!w || *end || w[0] == '-' || c->timeout > 2147483) {
				snprintf(err, len, "timeout takes a number of seconds (0-2147483)");
				return -1;
			}
			c->has_timeout = true;
		} else {
			snprintf(err, len, "unexpected '%s'%s", w, c->verb == SETCMD_ADD ?
				 " (add takes timeout N and nomatch after the element)" : "");
			return -1;
		}
	}
	return 0;
}

static int copy_word(char *dst, size_t size, const char *w, const char *what, char *err, size_t len)
{
	if (!w) {
		snprintf(err, len, "%s missing", what);
		return -1;
	}
	if (snprintf(dst, size, "%s", w) >= (int)size) {
		snprintf(err, len, "%s too long: '%.40s...'", what, w);
		return -1;
	}
	return 0;
}

int setcmd_parse(const char *req, struct setcmd *c, char *err, size_t len)
{
	char buf[512], *save = NULL, *verb;
	size_t i;
	int ret = -1;

	memset(c, 0, sizeof(*c));
	if (strncmp(req, "restore\t", 8) == 0 || strcmp(req, "restore") == 0) {
		c->verb = SETCMD_RESTORE;
		return parse_restore(req[7] ? req + 8 : "", c, err, len);
	}
	if (snprintf(buf, sizeof(buf), "%s", req) >= (int)sizeof(buf)) {
		snprintf(err, len, "request too long");
		return -1;
	}
	verb = strtok_r(buf, " ", &save);
	for (i = 0; verb && i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(verb, verbs[i]) == 0)
			break;
	if (!verb || i == sizeof(verbs) / sizeof(verbs[0])) {
		snprintf(err, len, "set takes add, del, test, list, flush, swap or restore");
		goto out;
	}
	if (i == SETCMD_RESTORE) {
		snprintf(err, len, "restore takes its lines after a tab (verdictctl set restore FILE)");
		goto out;
	}
	c->verb = (enum setcmd_verb)i;
	if (copy_word(c->name, sizeof(c->name), strtok_r(NULL, " ", &save), "set name", err, len) < 0)
		goto out;
	if (c->verb < sizeof(shape) / sizeof(shape[0]) && shape[c->verb].elem &&
	    copy_word(c->elem, sizeof(c->elem), strtok_r(NULL, " ", &save), "element", err, len) < 0)
		goto out;
	if (c->verb < sizeof(shape) / sizeof(shape[0]) && shape[c->verb].name2 &&
	    copy_word(c->name2, sizeof(c->name2), strtok_r(NULL, " ", &save), "second set name", err,
		      len) < 0)
		goto out;
	ret = parse_options(save, c, err, len);
out:
	return ret;
}

void setcmd_free(struct setcmd *c)
{
	free(c->body);
	c->body = NULL;
}

static void add_index(const struct policy *pol, const char *name, size_t *idx, size_t *n, size_t max)
{
	size_t i, k;

	for (i = 0; i < pol->nsets; i++) {
		if (strcmp(pol->sets[i].name, name) != 0)
			continue;
		for (k = 0; k < *n; k++)
			if (idx[k] == i)
				return;
		if (*n < max)
			idx[(*n)++] = i;
		return;
	}
}

/* restore: the names each line edits (its second word; a swap's or a
 * rename's third too). */
static void restore_sets(const char *body, const struct policy *pol, size_t *idx, size_t *n, size_t max)
{
	char *copy = strdup(body), *line, *save = NULL;

	for (line = copy ? strtok_r(copy, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save)) {
		char cmd[16], a[32], b[32];
		int got = sscanf(line, "%15s %31s %31s", cmd, a, b);

		if (got >= 2)
			add_index(pol, a, idx, n, max);
		if (got == 3 && (strcmp(cmd, "swap") == 0 || strcmp(cmd, "-W") == 0 ||
				 strcmp(cmd, "rename") == 0 || strcmp(cmd, "-e") == 0))
			add_index(pol, b, idx, n, max);
	}
	free(copy);
}

size_t setcmd_sets(const struct setcmd *c, const struct policy *pol, size_t *idx, size_t max)
{
	size_t n = 0;

	if (c->verb == SETCMD_RESTORE) {
		restore_sets(c->body, pol, idx, &n, max);
		return n;
	}
	add_index(pol, c->name, idx, &n, max);
	if (c->verb == SETCMD_SWAP)
		add_index(pol, c->name2, idx, &n, max);
	return n;
}

/* The listing as one reply line: its lines tab-separated, cut to @len. */
static void list_reply(const char *out, char *msg, size_t len)
{
	size_t n = snprintf(msg, len, "%s", out ? out : "");

	for (char *p = msg; *p; p++)
		if (*p == '\n')
			*p = p[1] ? '\t' : '\0';
	if (n >= len && len > 64)
		snprintf(msg + len - 64, 64, "\t... (cut here: ipset list for the rest)");
}

int setcmd_kernel(const struct setcmd *c, char *msg, size_t len)
{
	const char *argv[10] = { "ipset", verbs[c->verb] };
	char timeout[16], err[512];
	char *out = NULL;
	int argc = 2, ret;

	if (c->verb == SETCMD_RESTORE) {
		ret = set_kernel_restore(c->body, err, sizeof(err));
		snprintf(msg, len, "%s", ret < 0 ? err : "restored");
		return ret;
	}
	if (c->verb == SETCMD_ADD || c->verb == SETCMD_DEL)
		argv[argc++] = "-exist";	/* an add again renews, a del of nothing is done */
	argv[argc++] = c->name;
	if (c->elem[0])
		argv[argc++] = c->elem;
	if (c->name2[0])
		argv[argc++] = c->name2;
	if (c->has_timeout) {
		snprintf(timeout, sizeof(timeout), "%lu", c->timeout);
		argv[argc++] = "timeout";
		argv[argc++] = timeout;
	}
	if (c->nomatch)
		argv[argc++] = "nomatch";
	ret = set_kernel_cmd(argv, argc, c->verb == SETCMD_LIST ? &out : NULL, err, sizeof(err));
	if (c->verb == SETCMD_LIST && ret == 0)
		list_reply(out, msg, len);
	else if (c->verb == SETCMD_TEST)
		snprintf(msg, len, "%s", err[0] ? err : ret < 0 ? "not in set" : "in set");
	else
		snprintf(msg, len, "%s", ret < 0 ? err : "done");
	free(out);
	return ret;
}

int setcmd_copy(const struct setcmd *c, struct vset *s, struct vset **copy)
{
	struct set_elem e;
	int r;

	if ((c->verb != SETCMD_ADD && c->verb != SETCMD_DEL) || set_kernel_elem(s, c->elem, &e) < 0)
		return 1;
	/* hash:ip takes a prefix as the addresses it holds (ipset lists them
	 * one by one): read the set again rather than model that. */
	if ((set_get_type(s) == SET_HASH_IP || set_get_type(s) == SET_HASH_IPPORT) &&
	    e.plen != (set_get_family(s) == AF_INET ? 32u : 128u))
		return 1;
	e.nomatch = c->nomatch;
	r = c->verb == SETCMD_ADD ? set_elem_add(s, &e) : set_elem_del(s, &e);
	if (r == 0 || (c->verb == SETCMD_DEL && errno == ENOENT))
		return 0;
	if (errno != EAGAIN || !(*copy = set_clone(s)))
		return 1;
	if (set_elem_add(*copy, &e) < 0) {
		set_free(*copy);
		*copy = NULL;
		return 1;
	}
	set_seal(*copy);
	return 2;
}

bool setcmd_host(const struct setcmd *c, const struct vset *s, uint8_t *family, union vd_addr *addr)
{
	struct set_elem e;

	if ((c->verb != SETCMD_ADD && c->verb != SETCMD_DEL) || set_get_type(s) == SET_BITMAP_PORT ||
	    set_kernel_elem(s, c->elem, &e) < 0 || e.plen != (set_get_family(s) == AF_INET ? 32u : 128u))
		return false;
	*family = set_get_family(s);
	*addr = e.addr;
	return true;
}

void setcmd_describe(const struct setcmd *c, char *out, size_t len)
{
	size_t lines = 0;

	if (c->verb == SETCMD_RESTORE) {
		for (const char *p = c->body; p && *p; p++)
			lines += *p == '\n';
		snprintf(out, len, "restore (%zu line%s)", lines + 1, lines ? "s" : "");
		return;
	}
	snprintf(out, len, "%s %s%s%s", verbs[c->verb], c->name, c->elem[0] || c->name2[0] ? " " : "",
		 c->elem[0] ? c->elem : c->name2);
}

/* "hash:ip family inet" */
static void decl_text(const struct policy_set *d, char *out, size_t len)
{
	if (d->type == SET_BITMAP_PORT)
		snprintf(out, len, "%s range %u-%u", set_type_name(d->type), d->port_lo, d->port_hi);
	else
		snprintf(out, len, "%s family %s", set_type_name(d->type), d->family == AF_INET6 ? "inet6" : "inet");
}

void setcmd_not_in_policy(const struct setcmd *c, const struct policy *pol, char *err, size_t len)
{
	size_t used = (size_t)snprintf(err, len, "'%s' is not a set of the running policy", c->name);

	if (c->name2[0] && used < len)
		used += (size_t)snprintf(err + used, len - used, " (nor is '%s')", c->name2);
	for (size_t i = 0; i < pol->nsets && used < len; i++)
		used += (size_t)snprintf(err + used, len - used, "%s%s", i ? ", " : "; its sets: ",
					 pol->sets[i].name);
}

int setcmd_check(const struct setcmd *c, const struct policy *pol, size_t i, char *err, size_t len)
{
	const struct policy_set *d = &pol->sets[i];
	char decl[64];

	if (c->nomatch && d->type != SET_HASH_NET && d->type != SET_HASH_NETPORT) {
		decl_text(d, decl, sizeof(decl));
		snprintf(err, len, "nomatch is for hash:net and hash:net,port sets; '%s' is %s", d->name, decl);
		return -1;
	}
	return 0;
}

void setcmd_explain(const struct setcmd *c, const struct policy *pol, size_t i, char *err, size_t len)
{
	char decl[64];
	size_t used = strlen(err);

	if (!c->elem[0] || used >= len)
		return;
	decl_text(&pol->sets[i], decl, sizeof(decl));
	snprintf(err + used, len - used, " (set '%s' is %s)", pol->sets[i].name, decl);
}
