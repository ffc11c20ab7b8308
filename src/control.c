/* control.c - the control socket and the metrics listener (see control.h).
 *
 * Served by the main thread's poll loop, not a thread of its own: the
 * handlers read and publish the daemon's generations, which only the main
 * thread does, so a thread would need a lock around every command; and
 * with every socket non-blocking, a client costs the loop one read or
 * write when it is ready, never a wait. The workers never see any of it. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "control.h"

#define CONTROL_TABLES 8

enum client_kind { CLIENT_CONTROL, CLIENT_HTTP };

struct client {
	int fd;				/* -1: free slot */
	enum client_kind kind;
	char *in;			/* what came, NUL-terminated; NULL until it comes */
	size_t have, cap;
	struct control_reply out;	/* framed reply being sent */
	size_t sent;
	bool close_after;		/* once the reply is out */
	unsigned long served;		/* requests answered */
	long long deadline;		/* ms, CLOCK_MONOTONIC */
};

struct control_table {
	const struct control_cmd *cmds;
	size_t n;
	void *arg;
};

struct control {
	int fd, http_fd;		/* listeners, -1 when none */
	char path[108];
	struct control_table tables[CONTROL_TABLES];
	size_t ntables;
	struct client c[CONTROL_MAX_CLIENTS];
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- replies -------------------------------------------------------------- */

static void reply_vprintf(struct control_reply *r, const char *fmt, va_list ap)
{
	va_list again;
	int n;

	if (r->cut)
		return;
	va_copy(again, ap);
	n = vsnprintf(r->buf ? r->buf + r->len : NULL, r->buf ? r->cap - r->len : 0, fmt, ap);
	if (n >= 0 && r->len + (size_t)n + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 1024;
		char *grown;

		while (cap < r->len + (size_t)n + 1)
			cap *= 2;
		if (r->max && cap > r->max && r->len + (size_t)n + 1 <= r->max)
			cap = r->max;
		if (cap > (r->max ? r->max : CONTROL_REPLY_MAX) || !(grown = realloc(r->buf, cap))) {
			r->cut = true;
			va_end(again);
			return;
		}
		r->buf = grown;
		r->cap = cap;
		n = vsnprintf(r->buf + r->len, r->cap - r->len, fmt, again);
	}
	va_end(again);
	if (n > 0)
		r->len += (size_t)n;
}

void control_reply_printf(struct control_reply *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	reply_vprintf(r, fmt, ap);
	va_end(ap);
}

void control_reply_free(struct control_reply *r)
{
	free(r->buf);
	*r = (struct control_reply){ 0 };
}

/* The handler's text as the wire has it: "+LINE" for every line but the
 * last, then "ok LINE" or "error LINE". A text cut at CONTROL_REPLY_MAX
 * goes out as far as it got, then an error line says so. The frame may
 * double a text of empty lines: its own bound is twice the text's. */
static void reply_frame(const struct control_reply *text, bool ok, struct control_reply *out)
{
	const char *p = text->buf ? text->buf : "", *end = p + text->len, *nl;

	out->max = 2 * (size_t)CONTROL_REPLY_MAX + 256;
	while (end > p && end[-1] == '\n')
		end--;
	for (; (nl = memchr(p, '\n', (size_t)(end - p))); p = nl + 1)
		control_reply_printf(out, "+%.*s\n", (int)(nl - p), p);
	if (!text->cut)
		control_reply_printf(out, "%s%s%.*s\n", ok ? "ok" : "error", end > p ? " " : "",
				     (int)(end - p), p);
	else
		control_reply_printf(out, "+%.*s\nerror the reply is longer than %u bytes: cut\n",
				     (int)(end - p), p, CONTROL_REPLY_MAX);
}

static const struct control_table *find_cmd(const struct control *ctl, const char *name,
					    size_t len, const struct control_cmd **cmd)
{
	size_t t, i;

	for (t = 0; t < ctl->ntables; t++)
		for (i = 0; i < ctl->tables[t].n; i++)
			if (strlen(ctl->tables[t].cmds[i].name) == len &&
			    memcmp(ctl->tables[t].cmds[i].name, name, len) == 0) {
				*cmd = &ctl->tables[t].cmds[i];
				return &ctl->tables[t];
			}
	return NULL;
}

static void unknown_cmd(const struct control *ctl, const char *name, size_t len,
			struct control_reply *text)
{
	size_t t, i;

	control_reply_printf(text, "unknown request '%.*s' (", (int)(len > 64 ? 64 : len), name);
	for (t = 0; t < ctl->ntables; t++)
		for (i = 0; i < ctl->tables[t].n; i++)
			control_reply_printf(text, "%s%s", t + i ? ", " : "", ctl->tables[t].cmds[i].usage);
	control_reply_printf(text, ")");
}

void control_dispatch(const struct control *ctl, char *line, struct control_reply *out)
{
	struct control_reply text = { 0 };
	const struct control_cmd *cmd = NULL;
	const struct control_table *t;
	size_t len, i;
	int r = -1;

	line[strcspn(line, "\r")] = '\0';	/* a client that ends lines with CRLF */
	for (i = 0; line[i]; i++)
		if ((unsigned char)line[i] < 0x20 && line[i] != '\t')
			break;
	len = strcspn(line, " \t");
	if (line[i]) {
		control_reply_printf(&text, "the request holds a control character (byte %zu)", i + 1);
	} else if (len == 0) {
		control_reply_printf(&text, "empty request");
	} else if (!(t = find_cmd(ctl, line, len, &cmd))) {
		unknown_cmd(ctl, line, len, &text);
	} else {
		const char *args = line + len;

		args += strspn(args, " \t");
		r = cmd->fn(t->arg, args, &text);
	}
	reply_frame(&text, r == 0, out);
	control_reply_free(&text);
}

/* --- HTTP -------------------------------------------------------------------- */

int control_http_parse(const char *req, size_t len, char *path, size_t pathlen, bool *head)
{
	const char *eol = memchr(req, '\n', len), *sp1, *sp2;
	size_t rl, plen;

	if (!eol)
		eol = req + len;
	rl = (size_t)(eol - req);
	if (rl && req[rl - 1] == '\r')
		rl--;
	sp1 = memchr(req, ' ', rl);
	if (!sp1)
		return 400;
	sp2 = memchr(sp1 + 1, ' ', rl - (size_t)(sp1 + 1 - req));
	if (!sp2 || sp2 == sp1 + 1 || rl - (size_t)(sp2 + 1 - req) < 8 ||
	    memcmp(sp2 + 1, "HTTP/1.", 7) != 0)
		return 400;
	*head = (size_t)(sp1 - req) == 4 && memcmp(req, "HEAD", 4) == 0;
	if (!*head && !((size_t)(sp1 - req) == 3 && memcmp(req, "GET", 3) == 0))
		return 405;
	plen = (size_t)(sp2 - sp1 - 1);
	if (plen >= pathlen)
		return 414;
	memcpy(path, sp1 + 1, plen);
	path[plen] = '\0';
	if (path[0] != '/' || memchr(path, '\0', plen))
		return 400;
	return 0;
}

static void http_status(struct control_reply *out, int code, const char *reason, const char *body)
{
	control_reply_printf(out, "HTTP/1.0 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
			     "Connection: close\r\n\r\n%s\n", code, reason, strlen(body) + 1, body);
}

/* The request head is whole: one answer, then the connection closes. */
static void http_answer(const struct control *ctl, struct client *c)
{
	static const struct { int code; const char *why; } errs[] = {
		{ 400, "Bad Request" }, { 405, "Method Not Allowed" }, { 414, "URI Too Long" },
	};
	struct control_reply text = { 0 };
	const struct control_cmd *cmd = NULL;
	const struct control_table *t;
	char path[256];
	bool head = false;
	int code = control_http_parse(c->in, c->have, path, sizeof(path), &head);
	size_t i;

	c->close_after = true;
	c->out.max = (size_t)CONTROL_REPLY_MAX + 1024;	/* the body and its head */
	for (i = 0; code && i < sizeof(errs) / sizeof(errs[0]); i++)
		if (errs[i].code == code)
			http_status(&c->out, code, errs[i].why, errs[i].why);
	if (code)
		return;
	path[strcspn(path, "?")] = '\0';
	if (strcmp(path, "/metrics") != 0 || !(t = find_cmd(ctl, "metrics", 7, &cmd))) {
		http_status(&c->out, 404, "Not Found", "verdictd serves /metrics only");
		return;
	}
	if (cmd->fn(t->arg, "", &text) < 0 || text.cut) {
		http_status(&c->out, 500, "Internal Server Error", "the metrics could not be made");
	} else {
		control_reply_printf(&c->out, "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4;"
				     " charset=utf-8\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
				     text.len);
		if (!head)
			control_reply_printf(&c->out, "%.*s", (int)text.len, text.buf ? text.buf : "");
	}
	control_reply_free(&text);
}

/* --- listeners ------------------------------------------------------------- */

static int fill_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sa->sun_path, path);
	return 0;
}

int control_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd;

	if (fill_addr(&sa, path) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

struct control *control_new(void)
{
	struct control *ctl = calloc(1, sizeof(*ctl));
	size_t i;

	if (!ctl)
		return NULL;
	ctl->fd = ctl->http_fd = -1;
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		ctl->c[i].fd = -1;
	return ctl;
}

int control_open(struct control *ctl, const char *path, char *err, size_t len)
{
	struct sockaddr_un sa;
	mode_t old;
	int fd, r;

	if (fill_addr(&sa, path) < 0) {
		snprintf(err, len, "control socket %s: path too long", path);
		return -1;
	}
	fd = control_connect(path);
	if (fd >= 0) {
		close(fd);
		snprintf(err, len, "control socket %s: another verdictd answers there; this one has none",
			 path);
		return 1;
	}
	unlink(path);		/* a stale socket from a daemon that died */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, len, "control socket: %s", strerror(errno));
		return -1;
	}
	old = umask(077);	/* root only: the policy is the firewall's business */
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r == 0)
		r = chmod(path, 0600);
	if (r < 0 || listen(fd, 64) < 0) {
		snprintf(err, len, "control socket %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	ctl->fd = fd;
	snprintf(ctl->path, sizeof(ctl->path), "%s", path);
	snprintf(err, len, "control socket %s", path);
	return 0;
}

/* "IP:PORT" or "[IPv6]:PORT" into @ss. */
static int parse_listen(const char *addr, struct sockaddr_storage *ss, socklen_t *sl)
{
	char host[64];
	const char *colon = strrchr(addr, ':');
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	size_t hl;
	long port;
	char *end;

	if (!colon || colon == addr)
		return -1;
	port = strtol(colon + 1, &end, 10);
	if (*end || colon[1] == '\0' || port < 1 || port > 65535)
		return -1;
	hl = (size_t)(colon - addr);
	if (addr[0] == '[' && addr[hl - 1] == ']') {
		addr++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return -1;
	memcpy(host, addr, hl);
	host[hl] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*sl = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*sl = sizeof(*s6);
		return 0;
	}
	return -1;
}

int control_open_http(struct control *ctl, const char *addr, char *err, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = 0;
	int fd, one = 1;

	if (parse_listen(addr, &ss, &sl) < 0) {
		snprintf(err, len, "metrics-listen %s: expected IP:PORT ([IPv6]:PORT)", addr);
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 64) < 0) {
		snprintf(err, len, "metrics-listen %s: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	ctl->http_fd = fd;
	snprintf(err, len, "metrics on http://%s/metrics", addr);
	return 0;
}

int control_add(struct control *ctl, const struct control_cmd *cmds, size_t n, void *arg)
{
	if (ctl->ntables == CONTROL_TABLES)
		return -1;
	ctl->tables[ctl->ntables++] = (struct control_table){ cmds, n, arg };
	return 0;
}

/* --- clients --------------------------------------------------------------- */

static void client_free(struct client *c)
{
	c->fd = -1;
	control_reply_free(&c->out);
	free(c->in);
	c->in = NULL;
	c->have = c->cap = 0;
}

static void client_close(struct client *c)
{
	close(c->fd);
	client_free(c);
}

/* The bytes the request being read may have: CONTROL_REQUEST_MAX, or its
 * command's own bound once its name has come whole. */
static size_t request_limit(const struct control *ctl, const struct client *c)
{
	const struct control_cmd *cmd = NULL;
	size_t len;

	if (c->kind == CLIENT_HTTP || !c->have)
		return CONTROL_REQUEST_MAX;
	len = strcspn(c->in, " \t\n");
	if (len == c->have || !find_cmd(ctl, c->in, len, &cmd) || cmd->max_request <= CONTROL_REQUEST_MAX)
		return CONTROL_REQUEST_MAX;
	return cmd->max_request;
}

/* Room for @want bytes in all (and the NUL); 0 or -1. */
static int client_room(struct client *c, size_t want)
{
	size_t cap = c->cap ? c->cap : CONTROL_REQUEST_MAX + 1;
	char *grown;

	while (cap < want + 1)
		cap *= 2;
	if (cap == c->cap)
		return 0;
	if (!(grown = realloc(c->in, cap)))
		return -1;
	c->in = grown;
	c->cap = cap;
	return 0;
}

static bool client_busy(const struct client *c)
{
	return c->have > 0 || c->sent < c->out.len;
}

static void client_deadline(struct client *c)
{
	c->deadline = now_ms() + (client_busy(c) ? CONTROL_BUSY_MS : CONTROL_IDLE_MS);
}

/* A last word to a client that is closed at once; it may not be read. */
static void say_and_close(int fd, const char *msg)
{
	if (send(fd, msg, strlen(msg), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		(void)0;	/* it hung up first: nothing to tell */
	close(fd);
}

static void accept_one(struct control *ctl, int lfd, enum client_kind kind)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	size_t i;

	if (fd < 0)
		return;
	for (i = 0; i < CONTROL_MAX_CLIENTS && ctl->c[i].fd >= 0; i++)
		;
	if (i == CONTROL_MAX_CLIENTS) {
		say_and_close(fd, kind == CLIENT_HTTP ? "HTTP/1.0 503 Service Unavailable\r\n\r\n"
			      : "error busy: too many clients; try again\n");
		return;
	}
	ctl->c[i] = (struct client){ .fd = fd, .kind = kind };
	client_deadline(&ctl->c[i]);
}

/* Answers the first whole request in the input, if any. */
static void client_request(struct control *ctl, struct client *c)
{
	size_t used, limit = request_limit(ctl, c);
	char *nl;

	if (!c->have)
		return;
	if (c->kind == CLIENT_HTTP) {
		if (strstr(c->in, "\r\n\r\n") || strstr(c->in, "\n\n"))
			http_answer(ctl, c);
		else if (c->have >= limit)
			http_status(&c->out, 431, "Request Header Fields Too Large", "the request is too long");
		c->close_after |= c->have >= limit;
		return;
	}
	nl = memchr(c->in, '\n', c->have);
	if (!nl) {
		if (c->have >= limit) {
			control_reply_printf(&c->out, "error the request is longer than %zu bytes\n",
					     limit - 1);
			c->close_after = true;
		}
		return;
	}
	*nl = '\0';
	used = (size_t)(nl + 1 - c->in);
	if (memchr(c->in, '\0', used - 1)) {
		control_reply_printf(&c->out, "error the request holds a NUL byte\n");
		c->close_after = true;
	} else {
		control_dispatch(ctl, c->in, &c->out);
	}
	c->served++;
	c->have -= used;
	memmove(c->in, c->in + used, c->have + 1);
	if (!c->have && c->cap > CONTROL_REQUEST_MAX + 1) {
		free(c->in);	/* a long request's buffer goes with it */
		c->in = NULL;
		c->cap = 0;
	}
}

static void client_read(struct control *ctl, struct client *c)
{
	size_t limit = request_limit(ctl, c);
	ssize_t n;

	if (c->have >= limit) {		/* no room: it is answered and closed */
		client_request(ctl, c);
		return;
	}
	/* The buffer grows with what comes, up to the request's bound. */
	if (client_room(c, c->have + 65536 < limit ? c->have + 65536 : limit) < 0) {
		client_close(c);
		return;
	}
	n = recv(c->fd, c->in + c->have, (c->cap - 1 < limit ? c->cap - 1 : limit) - c->have, 0);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		client_close(c);
		return;
	}
	if (n > 0)
		c->have += (size_t)n;
	c->in[c->have] = '\0';
	client_request(ctl, c);
}

static void client_write(struct client *c)
{
	ssize_t n = send(c->fd, c->out.buf + c->sent, c->out.len - c->sent, MSG_NOSIGNAL);

	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		client_close(c);
		return;
	}
	if (n > 0)
		c->sent += (size_t)n;
	if (c->sent < c->out.len)
		return;
	if (c->close_after) {
		client_close(c);
		return;
	}
	control_reply_free(&c->out);
	c->sent = 0;
}

size_t control_pollfds(const struct control *ctl, struct pollfd *pfd)
{
	size_t n = 0, i;

	if (ctl->fd >= 0)
		pfd[n++] = (struct pollfd){ ctl->fd, POLLIN, 0 };
	if (ctl->http_fd >= 0)
		pfd[n++] = (struct pollfd){ ctl->http_fd, POLLIN, 0 };
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		const struct client *c = &ctl->c[i];

		if (c->fd < 0)
			continue;
		/* A reply still going out: the next requests wait unread. */
		pfd[n++] = (struct pollfd){ c->fd, c->sent < c->out.len ? POLLOUT : POLLIN, 0 };
	}
	return n;
}

int control_timeout(const struct control *ctl)
{
	long long now = now_ms(), first = -1;
	size_t i;

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (ctl->c[i].fd >= 0 && (first < 0 || ctl->c[i].deadline < first))
			first = ctl->c[i].deadline;
	if (first < 0)
		return -1;
	return first <= now ? 0 : (int)(first - now);
}

static struct client *client_of(struct control *ctl, int fd)
{
	size_t i;

	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (ctl->c[i].fd == fd)
			return &ctl->c[i];
	return NULL;
}

/* One ready client: read or write, then send what can go at once (most
 * replies fit the socket) and answer the requests already read. Its
 * deadline moves only when it answered a request or went idle: a client
 * that trickles a request in a byte at a time is closed all the same. */
static void client_serve(struct control *ctl, struct client *c, short revents)
{
	unsigned long served = c->served;
	bool busy = client_busy(c);

	if (revents & POLLOUT)
		client_write(c);
	else if (revents & (POLLIN | POLLHUP | POLLERR))
		client_read(ctl, c);
	while (c->fd >= 0 && c->sent < c->out.len) {
		client_write(c);
		if (c->fd < 0 || c->sent < c->out.len)
			break;
		client_request(ctl, c);
	}
	if (c->fd >= 0 && (c->served != served || busy != client_busy(c) || !busy))
		client_deadline(c);
}

void control_handle(struct control *ctl, const struct pollfd *pfd, size_t n)
{
	long long now;
	size_t i;

	for (i = 0; i < n; i++) {
		struct client *c;

		if (!pfd[i].revents)
			continue;
		if (pfd[i].fd == ctl->fd || pfd[i].fd == ctl->http_fd)
			accept_one(ctl, pfd[i].fd, pfd[i].fd == ctl->fd ? CLIENT_CONTROL : CLIENT_HTTP);
		else if ((c = client_of(ctl, pfd[i].fd)))
			client_serve(ctl, c, pfd[i].revents);
	}
	now = now_ms();
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		struct client *c = &ctl->c[i];

		if (c->fd < 0 || c->deadline > now)
			continue;
		if (c->have > 0 && c->sent >= c->out.len)
			say_and_close(c->fd, c->kind == CLIENT_HTTP ? "HTTP/1.0 408 Request Timeout\r\n\r\n"
				      : "error timeout: the request did not end within 5 s\n");
		else
			close(c->fd);
		client_free(c);
	}
}

void control_close(struct control *ctl)
{
	size_t i;

	if (!ctl)
		return;
	for (i = 0; i < CONTROL_MAX_CLIENTS; i++)
		if (ctl->c[i].fd >= 0)
			client_close(&ctl->c[i]);
	if (ctl->fd >= 0) {
		close(ctl->fd);
		unlink(ctl->path);
	}
	if (ctl->http_fd >= 0)
		close(ctl->http_fd);
	free(ctl);
}
