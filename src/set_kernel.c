/* set_kernel.c - the policy's sets and the kernel's ipsets: made when
 * missing, compared, edited and listed through libipset (its syntax, its
 * messages), their members read through set_dump.c (libipset hands them
 * only as text, five times slower). The control path only, never per
 * packet. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libipset/ipset.h>
#include <libipset/parse.h>
#include <libipset/session.h>

#include "log.h"
#include "set_dump.h"
#include "set_kernel.h"

struct capture {
	char *out;		/* the command's output */
	size_t outlen;
	FILE *outf;
	char msg[512];		/* libipset's error message */
	bool failed;		/* an error was reported (not a warning) */
};

static int capture_out(struct ipset_session *session, void *p, const char *fmt, ...)
{
	struct capture *cap = p;
	va_list ap;

	(void)session;
	va_start(ap, fmt);
	vfprintf(cap->outf, fmt, ap);
	va_end(ap);
	return 0;
}

static int capture_custom_err(struct ipset *ipset, void *p, int status, const char *fmt, ...)
{
	struct capture *cap = p;
	va_list ap;

	(void)ipset;
	va_start(ap, fmt);
	vsnprintf(cap->msg, sizeof(cap->msg), fmt, ap);
	va_end(ap);
	/* @status is an exit code (enum ipset_exittype): 0 is success. The
	 * ipset command exits here; -1 stops libipset likewise (a restore
	 * would otherwise go on with the next line). */
	cap->failed |= status != IPSET_NO_PROBLEM;
	return status != IPSET_NO_PROBLEM ? -1 : 0;
}

static int capture_std_err(struct ipset *ipset, void *p)
{
	struct capture *cap = p;
	struct ipset_session *session = ipset_session(ipset);
	const char *msg = ipset_session_report_msg(session);

	snprintf(cap->msg, sizeof(cap->msg), "%s", msg ? msg : "unknown ipset error");
	/* A warning is ipset's success with a word (ipset test: "is in
	 * set"). ipset_parse_argv may return 0 after an error was reported
	 * (a syntax error in an element): the report's type is what counts. */
	cap->failed |= ipset_session_report_type(session) != IPSET_WARNING;
	ipset_session_report_reset(session);
	return -1;
}

/* Runs one ipset command (as argv) and captures its output and error. */
static int set_kernel_run(struct capture *cap, int argc, const char *const *args)
{
	char *argv[16];
	struct ipset *ipset;
	int i, ret = -1;

	cap->msg[0] = '\0';
	cap->failed = false;
	free(cap->out);
	cap->out = NULL;
	cap->outf = open_memstream(&cap->out, &cap->outlen);
	ipset_load_types();	/* the set types libipset knows; loaded once */
	ipset = ipset_init();
	if (!cap->outf || !ipset) {
		snprintf(cap->msg, sizeof(cap->msg), "cannot start libipset: %s", strerror(errno));
		goto out;
	}
	for (i = 0; i < argc && i < 15; i++)
		argv[i] = (char *)args[i];
	argv[i] = NULL;
	ipset_custom_printf(ipset, capture_custom_err, capture_std_err, capture_out, cap);
	ret = ipset_parse_argv(ipset, argc, argv);
	if (cap->failed && ret >= 0)
		ret = -1;
	/* libipset ends its messages with a newline; ours are one line. */
	cap->msg[strcspn(cap->msg, "\n")] = '\0';
out:
	if (ipset)
		ipset_fini(ipset);
	if (cap->outf)
		fclose(cap->outf);
	cap->outf = NULL;
	return ret;
}

/* "PROTO:PORT" of an ip,port element, read by libipset's own parser (it
 * knows ipset's ICMP names, protocol names and the port 0 rule). */
static int parse_proto_port(struct ipset *ipset, uint8_t family, const char *str,
			    uint8_t *proto, uint16_t *port)
{
	struct ipset_session *session = ipset_session(ipset);
	struct ipset_data *data = ipset_session_data(session);
	uint8_t nfproto = family == AF_INET ? NFPROTO_IPV4 : NFPROTO_IPV6;
	const void *pr, *po;

	ipset_data_reset(data);
	if (ipset_data_set(data, IPSET_OPT_FAMILY, &nfproto) < 0 ||
	    ipset_parse_proto_port(session, IPSET_OPT_PORT, str) < 0)
		return -1;
	pr = ipset_data_get(data, IPSET_OPT_PROTO);
	po = ipset_data_get(data, IPSET_OPT_PORT);
	if (!pr || !po)
		return -1;
	*proto = *(const uint8_t *)pr;
	*port = *(const uint16_t *)po;
	return 0;
}

/* One element in ipset's own syntax ("ADDR[/PLEN]", "ADDR[/PLEN],PROTO:PORT",
 * "PORT[-PORT]") for a set of @type and @family. */
static int parse_elem(struct ipset *ipset, enum set_type type, uint8_t family, const char *elem,
		      struct set_elem *e)
{
	char buf[160], *slash, *dash, *comma = NULL, *end;
	unsigned long plen, lo, hi;

	memset(e, 0, sizeof(*e));
	if (snprintf(buf, sizeof(buf), "%s", elem) >= (int)sizeof(buf))
		return -1;
	if (type == SET_BITMAP_PORT) {
		dash = strchr(buf, '-');
		if (dash)
			*dash++ = '\0';
		lo = strtoul(buf, &end, 10);
		hi = dash ? strtoul(dash, &end, 10) : lo;
		if (*end || lo > 65535 || hi > 65535 || lo > hi)
			return -1;
		e->port = (uint16_t)lo;
		e->port_hi = (uint16_t)hi;
		return 0;
	}
	if (set_type_dims(type) == 2) {
		comma = strchr(buf, ',');
		if (!comma)
			return -1;
		*comma++ = '\0';
		if (parse_proto_port(ipset, family, comma, &e->proto, &e->port) < 0)
			return -1;
	}
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	if (inet_pton(family, buf, e->addr.b) != 1)
		return -1;
	plen = family == AF_INET ? 32 : 128;
	if (slash && ((plen = strtoul(slash, &end, 10)) > (family == AF_INET ? 32u : 128u) || *end))
		return -1;
	e->plen = (unsigned int)plen;
	return 0;
}

int set_kernel_elem(const struct vset *s, const char *text, struct set_elem *e)
{
	struct ipset *ipset;
	int ret;

	ipset_load_types();
	if (!(ipset = ipset_init()))
		return -1;
	ret = parse_elem(ipset, set_get_type(s), set_get_family(s), text, e);
	ipset_fini(ipset);
	return ret;
}

/* Compares @decl with the kernel's "create NAME TYPE [family F] [range
 * LO-HI] ..." line. 0: they agree; -1: the type or family differs (@msg
 * says how and what to do); 1: only a bitmap:port's range differs (@msg
 * says so): the kernel set is used as it is. */
static int compare_header(const struct policy_set *decl, const char *line, char *msg, size_t len)
{
	char type[64] = "", fam[16] = "";
	const char *f = strstr(line, " family "), *r = strstr(line, " range ");
	unsigned int lo, hi;

	if (sscanf(line, "create %*s %63s", type) != 1) {
		snprintf(msg, len, "ipset printed a header for set '%s' that cannot be read: %s", decl->name, line);
		return -1;
	}
	if (f)
		sscanf(f, " family %15s", fam);
	if (strcmp(type, set_type_name(decl->type)) != 0 ||
	    (decl->family && strcmp(fam, decl->family == AF_INET ? "inet" : "inet6") != 0)) {
		snprintf(msg, len, "kernel set '%s' is %s%s%s, but the policy declares %s%s;"
			 " rename one of them or destroy the kernel set (ipset destroy %s)",
			 decl->name, type, fam[0] ? " family " : "", fam, set_type_name(decl->type),
			 decl->family ? (decl->family == AF_INET ? " family inet" : " family inet6") : "",
			 decl->name);
		return -1;
	}
	if (decl->type == SET_BITMAP_PORT && r && sscanf(r, " range %u-%u", &lo, &hi) == 2 &&
	    (lo != decl->port_lo || hi != decl->port_hi)) {
		snprintf(msg, len, "kernel set '%s' has range %u-%u, but the policy declares range %u-%u%s;"
			 " the kernel set is used as it is (ports outside %u-%u cannot be added to it):"
			 " declare 'range %u-%u', or destroy the kernel set (ipset destroy %s) to have it"
			 " made with the declared range", decl->name, lo, hi, decl->port_lo, decl->port_hi,
			 decl->port_lo == 0 && decl->port_hi == 65535 ? " (the default)" : "", lo, hi, lo, hi,
			 decl->name);
		return 1;
	}
	return 0;
}

/* Made with timeout support (default 0: permanent), so that an element
 * can be added for a while (verdictctl set add ... timeout N, fail2ban's
 * bantime, CrowdSec's decisions) without the set being made again. */
static int create_set(struct capture *cap, const struct policy_set *decl)
{
	char range[16];
	const char *argv[10] = { "ipset", "create", decl->name, set_type_name(decl->type) };
	int argc = 4;

	if (decl->type == SET_BITMAP_PORT) {
		snprintf(range, sizeof(range), "%u-%u", decl->port_lo, decl->port_hi);
		argv[argc++] = "range";
		argv[argc++] = range;
	} else {
		argv[argc++] = "family";
		argv[argc++] = decl->family == AF_INET ? "inet" : "inet6";
	}
	argv[argc++] = "timeout";
	argv[argc++] = "0";
	return set_kernel_run(cap, argc, argv);
}

/* The kernel's header as ipset save prints it, for compare_header. */
static void header_line(const char *name, const struct set_dump_header *h, char *line, size_t len)
{
	int n = snprintf(line, len, "create %s %s", name, h->type);

	if (h->family && n > 0 && (size_t)n < len)
		n += snprintf(line + n, len - (size_t)n, " family %s", h->family == AF_INET ? "inet" : "inet6");
	if (h->has_range && n > 0 && (size_t)n < len)
		snprintf(line + n, len - (size_t)n, " range %u-%u", h->port_lo, h->port_hi);
}

int set_kernel_load(const struct policy_set *decl, struct vset **out, char *err, size_t errlen)
{
	const struct set_dump_want want = { decl->type, decl->family };
	struct set_dump_header h;
	struct capture cap = { 0 };
	char line[256], msg[512];
	int r = set_dump_read(decl->name, &want, out, &h), cmp;

	if (r < 0 && errno == ENOENT && !h.type[0]) {
		if (create_set(&cap, decl) < 0) {
			snprintf(err, errlen, "cannot create ipset '%s': %s", decl->name, cap.msg);
			goto out;
		}
		/* At a first start, what is expected; later, an ipset destroy
		 * (fail2ban's actionstop does one) emptied it. */
		log_info("kernel set '%s' did not exist: made it, empty (%s%s, timeout 0)", decl->name,
			 set_type_name(decl->type), decl->type == SET_BITMAP_PORT ? "" :
			 decl->family == AF_INET6 ? " family inet6" : " family inet");
		r = set_dump_read(decl->name, &want, out, &h);
	}
	if (h.type[0]) {
		header_line(decl->name, &h, line, sizeof(line));
		if ((cmp = compare_header(decl, line, msg, sizeof(msg))) < 0) {
			snprintf(err, errlen, "%s", msg);
			if (r == 0)
				set_free(*out);
			r = -1;
			goto out;
		}
		if (cmp > 0)
			log_warn("line %u: %s", decl->pos.line, msg);
	}
	if (r < 0 && h.bad)
		snprintf(err, errlen, "cannot read ipset '%s': %zu members verdictd cannot read", decl->name, h.bad);
	else if (r < 0)
		snprintf(err, errlen, "cannot read ipset '%s': %s", decl->name, strerror(errno));
out:
	free(cap.out);
	return r < 0 ? -1 : 0;
}

int set_kernel_header(const char *name, char *sig, size_t len)
{
	const char *list[] = { "ipset", "list", "-terse", name };
	struct capture cap = { 0 };
	char *line, *save = NULL;
	size_t used = 0;
	int ret = -1;

	if (set_kernel_run(&cap, 4, list) < 0 || !cap.out)
		goto out;
	sig[0] = '\0';
	/* What an edit changes: the entry count, the memory, the header
	 * (initval changes on a swap, hashsize on a resize). */
	for (line = strtok_r(cap.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "Header:", 7) && strncmp(line, "Size in memory:", 15) &&
		    strncmp(line, "Number of entries:", 18) && strncmp(line, "Type:", 5))
			continue;
		used += (size_t)snprintf(sig + used, used < len ? len - used : 0, "%s|", line);
	}
	ret = used < len ? 0 : -1;
out:
	free(cap.out);
	return ret;
}

int set_kernel_cmd(const char *const *argv, int argc, char **out, char *err, size_t errlen)
{
	struct capture cap = { 0 };
	int ret = set_kernel_run(&cap, argc, argv);

	snprintf(err, errlen, "%s", cap.msg);
	if (out)
		*out = cap.out;
	else
		free(cap.out);
	return ret;
}

/* One line of a restore through libipset; 0, -1 with why in @err. */
static int restore_line(struct ipset *ipset, struct capture *cap, const char *line, unsigned int n,
			char *err, size_t errlen)
{
	char buf[1024];

	if (snprintf(buf, sizeof(buf), "%s", line) >= (int)sizeof(buf)) {
		snprintf(err, errlen, "line %u: longer than %zu bytes", n, sizeof(buf) - 1);
		return -1;
	}
	cap->msg[0] = '\0';
	cap->failed = false;
	if (ipset_parse_line(ipset, buf) < 0 || cap->failed) {
		cap->msg[strcspn(cap->msg, "\n")] = '\0';
		snprintf(err, errlen, "line %u: %s", n, cap->msg[0] ? cap->msg : "refused by ipset");
		return -1;
	}
	return 0;
}

int set_kernel_restore(const char *text, char *err, size_t errlen)
{
	struct capture cap = { 0 };
	struct ipset *ipset;
	char *copy = strdup(text), *line, *next;
	unsigned int n = 0;
	int ret = -1;

	err[0] = '\0';
	ipset_load_types();
	ipset = ipset_init();
	cap.outf = open_memstream(&cap.out, &cap.outlen);
	if (!copy || !ipset || !cap.outf) {
		snprintf(err, errlen, "cannot start libipset: %s", strerror(errno));
		goto out;
	}
	ipset_custom_printf(ipset, capture_custom_err, capture_std_err, capture_out, &cap);
	/* As ipset -exist restore: a create of a set that exists as created,
	 * an add of an element already there, a del of one not there are no
	 * errors. Line by line, each line a command of its own, so that the
	 * first error stops it (libipset's ipset_parse_stream goes on past
	 * one: the ipset command exits in its error callback), and the lines
	 * before it are in force. */
	ipset_envopt_set(ipset_session(ipset), IPSET_ENV_EXIST);
	for (line = copy; line; line = next) {
		const char *c = line;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		n++;
		while (*c == ' ' || *c == '\t' || *c == '\r')
			c++;
		if (!*c || *c == '#' || strncmp(c, "COMMIT", 6) == 0)
			continue;
		if (restore_line(ipset, &cap, c, n, err, errlen) < 0)
			goto out;
	}
	ret = 0;
out:
	if (ipset)
		ipset_fini(ipset);
	if (cap.outf)
		fclose(cap.outf);
	free(cap.out);
	free(copy);
	return ret;
}

int set_kernel_load_all(const struct policy *pol, struct policy_sets *sets, char *err, size_t errlen)
{
	size_t i;

	sets->n = 0;
	sets->set = calloc(pol->nsets ? pol->nsets : 1, sizeof(*sets->set));
	if (!sets->set) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < pol->nsets; i++) {
		if (set_kernel_load(&pol->sets[i], &sets->set[i], err, errlen) < 0) {
			set_kernel_free_all(sets);
			return -1;
		}
		sets->n++;
	}
	return 0;
}

int set_kernel_check(const struct policy *pol, const char *path, FILE *out)
{
	struct capture cap = { 0 };
	int errors = 0;
	size_t i;

	for (i = 0; i < pol->nsets; i++) {
		const struct policy_set *d = &pol->sets[i];
		const char *argv[] = { "ipset", "save", "-t", d->name };
		char msg[512], *create;
		int cmp;

		if (set_kernel_run(&cap, 4, argv) < 0) {
			if (strstr(cap.msg, "does not exist")) {
				fprintf(out, "%s:%u:%u: note: there is no kernel set '%s' yet; verdictd makes it"
					" (%s%s) when it starts\n", path, d->pos.line, d->pos.col, d->name,
					set_type_name(d->type), d->family == AF_INET ? " family inet" :
					d->family == AF_INET6 ? " family inet6" : "");
				continue;
			}
			fprintf(out, "%s: note: the %zu set declaration%s %s not compared with the kernel's"
				" ipsets: %s (%s)\n", path, pol->nsets, pol->nsets == 1 ? "" : "s",
				pol->nsets == 1 ? "was" : "were",
				strstr(cap.msg, "not permitted") || strstr(cap.msg, "ermission denied") ?
				"reading them needs root or CAP_NET_ADMIN" : "they cannot be read", cap.msg);
			break;
		}
		create = cap.out ? strstr(cap.out, "create ") : NULL;
		if (!create) {
			fprintf(out, "%s:%u:%u: ipset printed no header for set '%s'\n", path, d->pos.line,
				d->pos.col, d->name);
			errors++;
			continue;
		}
		create[strcspn(create, "\n")] = '\0';
		cmp = compare_header(d, create, msg, sizeof(msg));
		if (cmp < 0)
			errors++;
		if (cmp != 0)
			fprintf(out, "%s:%u:%u: %s%s\n", path, d->pos.line, d->pos.col, cmp > 0 ? "warning: " : "",
				msg);
	}
	free(cap.out);
	return errors;
}

void set_kernel_free_all(struct policy_sets *sets)
{
	size_t i;

	for (i = 0; i < sets->n; i++)
		set_free(sets->set[i]);
	free(sets->set);
	sets->set = NULL;
	sets->n = 0;
}
