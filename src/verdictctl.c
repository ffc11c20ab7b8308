/* verdictctl.c - the operator's tool:
 *   import   an iptables-save file into a verdictd policy, the ipset
 *            restore file it needs and the fixed rule set;
 *   trace    which rule the running daemon gives packet headers, with its
 *            live policy and sets (through its control socket);
 *   reload   the running daemon's configuration read again;
 *   set      its ipsets edited, in the kernel and in its copies;
 *   status, stats, flows, metrics   its reports (ops.h). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>

#include "conf.h"
#include "control.h"
#include "import.h"
#include "ipt.h"
#include "rules.h"
#include "setcmd.h"
#include "vocab.h"

#define DEFAULT_SET_MIN 16

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: verdictctl trace [-s SOCKET] [--hook input|forward|output] [-f FILE] [HEADER...]\n"
		"Ask the running verdictd which rule each packet header meets, with its live\n"
		"policy and sets. HEADER: PROTO SRC[:PORT] DST[:PORT] [type N[/CODE]] [iif NAME]\n"
		"[oif NAME] [hook NAME], or a ClassBench trace line; a quoted argument is one\n"
		"header. -f FILE: one a line (- for stdin). A header that names no hook is\n"
		"taken from --hook, else from no chain: rules with a hook match then never\n"
		"match it. SOCKET: the daemon's --control (default " CONTROL_DEFAULT_PATH ").\n\n"
		"Usage: verdictctl reload [-s SOCKET]\n"
		"Have the running verdictd read its configuration again and swap it in; returns\n"
		"once the new policy is in force (exit 0), or prints why the file was refused\n"
		"(every file:line:col; the running policy stays; exit 1).\n\n"
		"Usage: verdictctl set [-s SOCKET] add|del NAME ELEMENT [timeout N] [nomatch]\n"
		"       verdictctl set [-s SOCKET] test|list|flush NAME | swap NAME NAME2 | restore FILE\n"
		"Edit one of the running policy's ipsets in the kernel and in verdictd's copy\n"
		"together, as ipset would (add and del as with -exist; restore reads ipset\n"
		"restore syntax, - for stdin); returns once the edit is in force for new and\n"
		"existing connections (exit 0), else prints why (exit 1; test: not in set).\n\n"
		"Usage: verdictctl status|stats [-s SOCKET] [-j]\n"
		"       verdictctl flows [-s SOCKET] [-j] [N]\n"
		"       verdictctl metrics|ping [-s SOCKET]\n"
		"status: version, uptime, transport, queues, policy file and SHA-256, sets;\n"
		"stats: counters per queue, hits per rule, lookups per set; flows: the\n"
		"connections verdictd judged (at most N, default 1000) with the rule that\n"
		"decided; metrics: the Prometheus text format. -j: JSON. Exit 0, 1 when\n"
		"verdictd answered with an error, 2 when it could not be asked.\n\n"
		"Usage: verdictctl import [OPTION]... FILE...\n"
		"Translate iptables-save (and ip6tables-save) output into a verdictd policy.\n\n"
		"  -o, --output DIR     write DIR/verdictd.conf, DIR/ipsets.restore,\n"
		"                       DIR/iptables.restore (ip6tables.restore: the switch-over,\n"
		"                       one iptables-restore) and DIR/verdictd-ipv4.rules (-ipv6)\n"
		"                       instead of printing the policy (DIR is made if missing)\n"
		"      --ipsets FILE    `ipset save` output: the sets the rules name\n"
		"      --set-min N      merge runs of N or more addresses into a new ipset\n"
		"                       (default %d; 0: never)\n"
		"      --reject-as-verdictd  translate every REJECT as verdictd's reject (TCP\n"
		"                       reset, else icmp-admin-prohibited) whatever its --reject-with\n"
		"  -4, -6               the files are IPv4 / IPv6 (default: told from the file)\n"
		"  -h, --help           this help\n\n"
		"Lines that cannot be translated are listed as FILE:LINE: reason; the exit\n"
		"status is then 1 (the rest is still written). See verdictctl(8).\n",
		DEFAULT_SET_MIN);
}

/* iptables-save is read twice when its family is guessed: stdin is copied
 * into a temporary file first. */
static FILE *open_input(const char *path)
{
	FILE *in, *tmp;
	char buf[65536];
	size_t n;

	if (strcmp(path, "-") != 0)
		return fopen(path, "r");
	tmp = tmpfile();
	if (!tmp)
		return NULL;
	in = stdin;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, tmp);
	rewind(tmp);
	return tmp;
}

static FILE *open_output(const char *dir, const char *file)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "w");
	if (!f)
		fprintf(stderr, "verdictctl: %s: %s\n", path, strerror(errno));
	return f;
}

/* The policy text must read back: a failure here is verdictctl's bug. */
static int self_check(const char *text)
{
	struct conf c;
	int bad;

	conf_init(&c);
	bad = conf_load_string(&c, "translated policy", text, stderr);
	conf_free(&c);
	if (bad)
		fprintf(stderr, "verdictctl: internal error: the translation does not read back"
			" (%d errors above); please report it with the input\n", bad);
	return bad;
}

static int write_outputs(const struct import *im, const char *dir, const char *source,
			 bool v4, bool v6)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len), *f;
	struct conf c;
	int ret = -1, fam;

	if (!mem)
		return -1;
	import_write_policy(mem, im, source);
	fclose(mem);
	if (self_check(text))
		goto out;
	if (!dir) {
		fputs(text, stdout);
		ret = 0;
		goto out;
	}
	conf_init(&c);
	/* the fixed rules go with the configuration written: its defaults */
	if (conf_load_string(&c, "translated policy", text, stderr) != 0) {
		conf_free(&c);
		goto out;
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "verdictctl: %s: %s\n", dir, strerror(errno));
		goto conf;
	}
	if (!(f = open_output(dir, "verdictd.conf")))
		goto conf;
	fputs(text, f);
	fclose(f);
	if (!(f = open_output(dir, "ipsets.restore")))
		goto conf;
	import_write_ipsets(f, im);
	fclose(f);
	for (fam = 0; fam < 2; fam++) {
		int family = fam ? AF_INET6 : AF_INET;
		char *fixed = NULL;
		size_t flen = 0;
		FILE *mf;

		if (!(fam ? v6 : v4))
			continue;
		if (!(f = open_output(dir, fam ? "verdictd-ipv6.rules" : "verdictd-ipv4.rules")))
			goto conf;
		rules_print(f, &c, family);
		fclose(f);
		if (!(mf = open_memstream(&fixed, &flen)))
			goto conf;
		rules_print(mf, &c, family);
		fclose(mf);
		if (!(f = open_output(dir, fam ? "ip6tables.restore" : "iptables.restore"))) {
			free(fixed);
			goto conf;
		}
		import_write_restore(f, im, family, fixed);
		fclose(f);
		free(fixed);
	}
	ret = 0;
conf:
	conf_free(&c);
	goto out;
	ret = 0;
out:
	free(text);
	return ret;
}

static int cmd_import(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "ipsets", required_argument, NULL, 'S' },
		{ "set-min", required_argument, NULL, 'm' },
		{ "reject-as-verdictd", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *ipsets = NULL;
	unsigned long set_min = DEFAULT_SET_MIN;
	struct import im;
	uint8_t family = 0;
	bool v4 = false, v6 = false;
	unsigned int failed = 0;
	int ch, i, ret = 2;
	char *end;

	import_init(&im);
	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":o:46h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o': dir = optarg; break;
		case 'S': ipsets = optarg; break;
		case 'R': im.reject_as_verdictd = true; break;
		case 'm':
			set_min = strtoul(optarg, &end, 10);
			if (*end || !*optarg) {
				fprintf(stderr, "verdictctl: --set-min takes a number, not '%s'\n", optarg);
				goto out;
			}
			break;
		case '4': family = AF_INET; break;
		case '6': family = AF_INET6; break;
		case 'h': usage(stdout); ret = 0; goto out;
		case ':':
			fprintf(stderr, "verdictctl: option '%s' needs a value\n", argv[optind - 1]);
			goto out;
		default:
			fprintf(stderr, "verdictctl: unknown option '%s'; see verdictctl import --help\n",
				argv[optind - 1]);
			goto out;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "verdictctl: import needs a file (iptables-save output, - for stdin)\n");
		goto out;
	}
	if (ipsets) {
		FILE *f = fopen(ipsets, "r");
		int bad;

		if (!f) {
			fprintf(stderr, "verdictctl: %s: %s\n", ipsets, strerror(errno));
			goto out;
		}
		bad = import_read_ipsets(&im, f, ipsets, stderr);
		fclose(f);
		if (bad)
			goto out;
	}
	for (i = optind; i < argc; i++) {
		const char *name = strcmp(argv[i], "-") == 0 ? "stdin" : argv[i];
		FILE *in = open_input(argv[i]);
		struct ipt_ruleset rs;
		int bad;

		if (!in) {
			fprintf(stderr, "verdictctl: %s: %s\n", argv[i], strerror(errno));
			goto out;
		}
		bad = ipt_read(in, name, family, &rs, stderr);
		fclose(in);
		if (!bad) {
			unsigned int before = im.lines_reported;

			if (rs.family == AF_INET6)
				v6 = true;
			else
				v4 = true;
			bad = import_ruleset(&im, &rs, name, stderr);
			fprintf(stderr, "verdictctl: %s (%s): %zu rules; %u translated, %u accepted by the"
				" fast path, %u LOG (decide nothing), %u never match, %u kept in the kernel,"
				" %u partly translated, %u not translated; %u rules of other tables kept\n",
				name, rs.family == AF_INET6 ? "IPv6" : "IPv4", rs.nrules, im.lines_translated,
				im.lines_fastpath, im.lines_logged, im.lines_empty, im.lines_kept,
				im.lines_partial, im.lines_reported - before, im.lines_other);
			failed += im.lines_partial;
			im.lines_translated = im.lines_fastpath = im.lines_empty = im.lines_logged = 0;
			im.lines_kept = im.lines_partial = im.lines_other = 0;
		}
		ipt_free(&rs);
		if (bad)
			goto out;
	}
	if (import_merge(&im, set_min) < 0) {
		fprintf(stderr, "verdictctl: out of memory\n");
		goto out;
	}
	fprintf(stderr, "verdictctl: policy: %zu rules, %zu sets (%u made from merged addresses)\n",
		im.pol.nrules, im.pol.nsets, im.nsets_made);
	if (write_outputs(&im, dir, argc - optind == 1 ? argv[optind] : "several files", v4, v6) < 0)
		goto out;
	ret = im.lines_reported || failed ? 1 : 0;
out:
	import_free(&im);
	return ret;
}

/* One request, one reply line; the reply printed without its "ok ". */
static int trace_one(FILE *sock, int fd, int hook, const char *header)
{
	char reply[1024];
	int n = dprintf(fd, "trace %d %s\n", hook, header);

	if (n < 0 || !fgets(reply, sizeof(reply), sock)) {
		fprintf(stderr, "verdictctl: the daemon closed the control socket\n");
		return -1;
	}
	if (strncmp(reply, "ok ", 3) == 0) {
		fputs(reply + 3, stdout);
		return 0;
	}
	fprintf(stderr, "verdictctl: %s: %s", header, strncmp(reply, "error ", 6) == 0 ? reply + 6 : reply);
	return 1;
}

/* The headers of the command line, one request each. An argument with a
 * blank in it is a whole header (a newline in it separates headers);
 * single words are joined into a header, and a protocol name where a
 * keyword (type, iif, oif, hook) could come starts the next one:
 * "tcp A B hook input udp C D" is two headers. */
struct headers {
	char **h;
	size_t n;
	char cur[1024];		/* words not yet a header */
	size_t words;
};

static int headers_push(struct headers *hs, const char *text)
{
	char **grown = realloc(hs->h, (hs->n + 1) * sizeof(*grown));

	if (!grown || !(grown[hs->n] = strdup(text))) {
		if (grown)
			hs->h = grown;
		fprintf(stderr, "verdictctl: out of memory\n");
		return -1;
	}
	hs->h = grown;
	hs->n++;
	return 0;
}

static int headers_flush(struct headers *hs)
{
	int r = 0;

	if (hs->words)
		r = headers_push(hs, hs->cur);
	hs->cur[0] = '\0';
	hs->words = 0;
	return r;
}

static int headers_word(struct headers *hs, const char *w)
{
	size_t used = strlen(hs->cur);

	/* Where a keyword could come (after PROTO SRC DST and whole
	 * KEY VALUE pairs), a protocol name begins another header. */
	if (hs->words >= 3 && (hs->words - 3) % 2 == 0 && !isdigit((unsigned char)w[0]) &&
	    vocab_proto_parse(w, NULL) >= 0) {
		if (headers_flush(hs) < 0)
			return -1;
		used = 0;
	}
	if (used + strlen(w) + 2 > sizeof(hs->cur)) {
		fprintf(stderr, "verdictctl: the header is longer than %zu bytes\n", sizeof(hs->cur) - 2);
		return -1;
	}
	snprintf(hs->cur + used, sizeof(hs->cur) - used, "%s%s", used ? " " : "", w);
	hs->words++;
	return 0;
}

static int headers_arg(struct headers *hs, const char *arg)
{
	char *copy = strdup(arg), *line, *save = NULL;
	int r = 0;

	if (!copy) {
		fprintf(stderr, "verdictctl: out of memory\n");
		return -1;
	}
	for (line = strtok_r(copy, "\r\n", &save); line && r == 0; line = strtok_r(NULL, "\r\n", &save)) {
		size_t start = strspn(line, " \t");

		if (line[start] == '\0')
			continue;
		if (strpbrk(line + start, " \t")) {
			if (strlen(line) > 1022) {
				fprintf(stderr, "verdictctl: the header is longer than 1022 bytes\n");
				r = -1;
			} else if ((r = headers_flush(hs)) == 0) {
				r = headers_push(hs, line + start);
			}
		} else {
			r = headers_word(hs, line + start);
		}
	}
	free(copy);
	return r;
}

static void headers_free(struct headers *hs)
{
	size_t i;

	for (i = 0; i < hs->n; i++)
		free(hs->h[i]);
	free(hs->h);
}

static int cmd_trace(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "hook", required_argument, NULL, 'H' },
		{ "file", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = CONTROL_DEFAULT_PATH, *file = NULL;
	struct headers hs = { 0 };
	char line[1024];
	int ch, hook = 0, fd, bad = 0, i;
	size_t k;
	FILE *sock, *in = NULL;

	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+:s:f:", longopts, NULL)) != -1) {
		switch (ch) {
		case 's': path = optarg; break;
		case 'f': file = optarg; break;
		case 'H':
			if (!(hook = policy_hook_parse(optarg))) {
				fprintf(stderr, "verdictctl: --hook takes input, forward or output\n");
				return 2;
			}
			break;
		default:
			fprintf(stderr, "verdictctl: bad option '%s'; see verdictctl --help\n", argv[optind - 1]);
			return 2;
		}
	}
	if (!file && optind == argc) {
		fprintf(stderr, "verdictctl: trace needs a header or -f FILE\n");
		return 2;
	}
	for (i = optind; i < argc; i++) {
		if (headers_arg(&hs, argv[i]) < 0) {
			headers_free(&hs);
			return 2;
		}
	}
	if (headers_flush(&hs) < 0) {
		headers_free(&hs);
		return 2;
	}
	if (file) {
		in = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
		if (!in) {
			fprintf(stderr, "verdictctl: %s: %s\n", file, strerror(errno));
			headers_free(&hs);
			return 2;
		}
	}
	fd = control_connect(path);
	if (fd < 0) {
		fprintf(stderr, "verdictctl: cannot reach verdictd at %s: %s (is it running? its"
			" --control?)\n", path, strerror(errno));
		if (in && in != stdin)
			fclose(in);
		headers_free(&hs);
		return 2;
	}
	sock = fdopen(fd, "r");
	for (k = 0; k < hs.n && bad < 2; k++) {
		int r = trace_one(sock, fd, hook, hs.h[k]);

		bad = r < 0 ? 2 : bad | r;
	}
	if (in) {
		while (bad < 2 && fgets(line, sizeof(line), in)) {
			int r;

			line[strcspn(line, "\r\n")] = '\0';
			if (line[strspn(line, " \t")] == '\0' || line[strspn(line, " \t")] == '#')
				continue;
			r = trace_one(sock, fd, hook, line);
			if (r < 0)
				bad = 2;
			else
				bad |= r;
		}
		if (in != stdin)
			fclose(in);
	}
	fclose(sock);
	headers_free(&hs);
	return bad;
}

/* Reads one framed reply (control.h): "+LINE"s, then "ok|error [LINE]".
 * Data lines go to stdout, an error's text to stderr; tabs (reload's
 * message parts) become lines. 0 ok, 1 error, 2 no answer. */
static int read_reply(FILE *sock, const char *path)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int ret = 2;

	while ((n = getline(&line, &cap, sock)) > 0) {
		const char *text;
		bool last = true, ok = false;

		line[strcspn(line, "\n")] = '\0';
		for (char *p = line; *p; p++)
			if (*p == '\t')
				*p = '\n';
		if (line[0] == '+') {
			text = line + 1;
			last = false;
		} else if (strncmp(line, "ok", 2) == 0 && (line[2] == ' ' || line[2] == '\0')) {
			text = line + 2 + (line[2] == ' ');
			ok = true;
		} else if (strncmp(line, "error", 5) == 0 && (line[5] == ' ' || line[5] == '\0')) {
			text = line + 5 + (line[5] == ' ');
		} else {
			fprintf(stderr, "verdictctl: unexpected reply from verdictd at %s: %s\n", path, line);
			break;
		}
		if (!last || ok) {
			if (*text || !last)
				printf("%s\n", text);
		} else {
			fprintf(stderr, "verdictctl: %s\n", text);
		}
		if (last) {
			ret = ok ? 0 : 1;
			break;
		}
	}
	if (ret == 2 && n <= 0)
		fprintf(stderr, "verdictctl: no answer from verdictd at %s\n", path);
	free(line);
	return ret;
}

/* One request @req (a line, newline added here) and its reply (read_reply).
 * 0 (ok), 1 (error), 2 (verdictd not reached). */
static int ask(const char *path, const char *req)
{
	FILE *sock;
	int fd, ret;

	fd = control_connect(path);
	if (fd < 0) {
		fprintf(stderr, "verdictctl: cannot reach verdictd at %s: %s (is it running? its"
			" --control?)\n", path, strerror(errno));
		return 2;
	}
	sock = fdopen(fd, "r+");
	if (!sock || fputs(req, sock) < 0 || fputc('\n', sock) < 0 || fflush(sock) != 0) {
		fprintf(stderr, "verdictctl: cannot ask verdictd at %s: %s\n", path, strerror(errno));
		if (sock)
			fclose(sock);
		else
			close(fd);
		return 2;
	}
	ret = read_reply(sock, path);
	fclose(sock);
	return ret;
}

/* reload: one request, one answer. */
static int cmd_reload(int argc, char **argv)
{
	const char *path = CONTROL_DEFAULT_PATH;

	if (argc == 3 && strcmp(argv[1], "-s") == 0)
		path = argv[2];
	else if (argc != 1) {
		fprintf(stderr, "verdictctl: usage: verdictctl reload [-s SOCKET]\n");
		return 2;
	}
	return ask(path, "reload");
}

/* "set restore" + the file's lines, tab-separated (a tab inside a line is
 * whitespace to ipset: a space). NULL with a message printed. */
static char *restore_request(const char *file)
{
	FILE *in = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
	char *req = NULL;
	size_t len = 0, n;
	FILE *out;
	int c;

	if (!in) {
		fprintf(stderr, "verdictctl: %s: %s\n", file, strerror(errno));
		return NULL;
	}
	out = open_memstream(&req, &len);
	if (out) {
		fputs("set restore\t", out);
		while ((c = getc(in)) != EOF)
			putc(c == '\n' ? '\t' : c == '\t' || c == '\r' ? ' ' : c, out);
		fclose(out);
	}
	if (in != stdin)
		fclose(in);
	n = req ? strlen(req) : 0;
	if (!req || n > SETCMD_RESTORE_MAX + 60) {
		fprintf(stderr, "verdictctl: %s: %s\n", file, req ? "more than 4 MiB: use ipset restore"
			" (verdictd follows edits made with ipset)" : strerror(errno));
		free(req);
		return NULL;
	}
	return req;
}

/* set VERB NAME [ELEM] [OPTIONS] | set restore FILE: the words as one
 * request, read here first (a usage mistake is verdictctl's: exit 2). */
static int cmd_set(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = CONTROL_DEFAULT_PATH;
	char req[1024], err[256];
	struct setcmd c;
	size_t used;
	int ch, i, ret;

	opterr = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, ":s:", longopts, NULL)) != -1) {
		if (ch != 's') {
			fprintf(stderr, "verdictctl: bad option '%s'; see verdictctl --help\n", argv[optind - 1]);
			return 2;
		}
		path = optarg;
	}
	i = optind;
	if (i < argc && strcmp(argv[i], "restore") == 0) {
		char *r = argc - i == 2 ? restore_request(argv[i + 1]) : NULL;

		if (argc - i != 2)
			fprintf(stderr, "verdictctl: usage: verdictctl set restore FILE\n");
		ret = r ? ask(path, r) : 2;
		free(r);
		return ret;
	}
	used = 0;
	for (req[0] = '\0'; i < argc && used < sizeof(req); i++)
		used += (size_t)snprintf(req + used, sizeof(req) - used, "%s%s", used ? " " : "", argv[i]);
	if (used >= sizeof(req) - 4) {		/* room for "set " */
		fprintf(stderr, "verdictctl: the command is too long\n");
		return 2;
	}
	if (setcmd_parse(req, &c, err, sizeof(err)) < 0) {
		fprintf(stderr, "verdictctl: set: %s\nusage: verdictctl set [-s SOCKET] add|del|test|list|flush|swap"
			" NAME [ELEMENT|NAME2] [timeout N] [nomatch], or set restore FILE\n", err);
		return 2;
	}
	setcmd_free(&c);
	memmove(req + 4, req, used + 1);
	memcpy(req, "set ", 4);
	return ask(path, req);
}

/* The reports, one request and its reply each: status, stats, flows,
 * metrics, ping. [-s SOCKET] [-j] [ARG]: the request is the command's
 * name, "-j" when given, and its argument. */
static int cmd_ask(int argc, char **argv)
{
	const char *path = CONTROL_DEFAULT_PATH, *name = argv[0];
	bool json = false, takes_j = strcmp(name, "status") == 0 || strcmp(name, "stats") == 0 ||
				     strcmp(name, "flows") == 0;
	char req[256];
	int ch;

	opterr = 0;
	optind = 1;
	while ((ch = getopt(argc, argv, "+:s:j")) != -1) {
		switch (ch) {
		case 's': path = optarg; break;
		case 'j': json = true; break;
		default:
			fprintf(stderr, "verdictctl: %s: bad option '%s'; see verdictctl --help\n", name,
				argv[optind - 1]);
			return 2;
		}
	}
	if (argc - optind > (strcmp(name, "flows") == 0) || (json && !takes_j)) {
		fprintf(stderr, "verdictctl: usage: verdictctl %s [-s SOCKET]%s%s\n", name,
			takes_j && strcmp(name, "flows") != 0 ? " [-j]" : "",
			strcmp(name, "flows") == 0 ? " [-j] [N]" : "");
		return 2;
	}
	snprintf(req, sizeof(req), "%s%s%s%s", name, json ? " -j" : "", optind < argc ? " " : "",
		 optind < argc ? argv[optind] : "");
	return ask(path, req);
}

int main(int argc, char **argv)
{
	/* A daemon that closes the connection is reported ("no answer"), not
	 * a silent death by SIGPIPE with exit 141. */
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 2 && strcmp(argv[1], "import") == 0)
		return cmd_import(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "trace") == 0)
		return cmd_trace(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "reload") == 0)
		return cmd_reload(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "set") == 0)
		return cmd_set(argc - 1, argv + 1);
	static const char *const asks[] = { "status", "stats", "flows", "metrics", "ping" };

	for (size_t i = 0; argc >= 2 && i < sizeof(asks) / sizeof(asks[0]); i++)
		if (strcmp(argv[1], asks[i]) == 0)
			return cmd_ask(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc >= 2 && (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0)) {
		printf("verdictctl %s\n", PACKAGE_VERSION);
		return 0;
	}
	fprintf(stderr, "verdictctl: expected a command: status, stats, flows, metrics, trace, reload,"
		" set, ping or import; see verdictctl --help\n");
	return 2;
}
