/* control.h - the running daemon's control socket: a unix stream socket,
 * mode 0600, and optionally an HTTP listener for /metrics, served by the
 * main thread's poll loop as a set of non-blocking clients: a client that
 * is slow, silent or malicious never holds up a signal, a reload or
 * another client.
 *
 * Protocol: one request a line, "COMMAND [ARGS]". The reply is the
 * handler's text, line by line: every line but the last as "+LINE", the
 * last as "ok LINE" or "error LINE" (a one-line reply is just "ok TEXT").
 * So a client reads until a line that starts with "ok" or "error".
 *
 * Commands come from tables of {name, handler} (control_add): the daemon's
 * own (reload), the reports of ops.h (status, stats, flows, metrics, trace,
 * ping), and whatever else registers one. A handler gets the text after
 * the command's name and writes its reply with control_reply_printf.
 *
 * Bounds: CONTROL_MAX_CLIENTS at once (one more is told "error busy" and
 * closed), a request line of at most CONTROL_REQUEST_MAX bytes, or its
 * command's max_request (a set restore's lines: the buffer grows as they
 * come, and goes with the request), a longer one answered "error" and the
 * client closed; a request must be whole
 * and a reply taken within CONTROL_BUSY_MS, an idle client is closed after
 * CONTROL_IDLE_MS; a client with a reply still unsent is not read (its
 * next requests wait in the socket), so a client never holds more than
 * one reply: at most CONTROL_REPLY_MAX bytes of text (twice that framed,
 * were every line empty); a longer one is cut and ends with an error. */
#ifndef VD_CONTROL_H
#define VD_CONTROL_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

#include "trace.h"

/* In a directory of its own, which the unit's RuntimeDirectory= gives to
 * the daemon's user (verdictd makes it when started by hand). */
#define CONTROL_DEFAULT_PATH "/run/verdictd/verdictd.sock"
#define CONTROL_MAX_CLIENTS 32
#define CONTROL_REQUEST_MAX 4096	/* unless the command says more */
#define CONTROL_REPLY_MAX (4u << 20)
#define CONTROL_MSG_MAX 8192		/* a one-line message (reload's, set's) */
#define CONTROL_BUSY_MS 5000
#define CONTROL_IDLE_MS 60000
/* Descriptors control_pollfds may fill: two listeners and the clients. */
#define CONTROL_MAX_FDS (2 + CONTROL_MAX_CLIENTS)

/* A reply being written: text that grows up to CONTROL_REPLY_MAX (what
 * goes beyond is cut, and the reply says so). */
struct control_reply {
	char *buf;
	size_t len, cap;
	size_t max;			/* 0: CONTROL_REPLY_MAX */
	bool cut;
};

void control_reply_printf(struct control_reply *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void control_reply_free(struct control_reply *r);

/* A command: @args is the request after the name and its blank (may be
 * ""); the reply text goes to @out (lines separated by '\n'). Returns 0
 * (ok) or -1 (error). */
typedef int (*control_fn)(void *arg, const char *args, struct control_reply *out);

struct control_cmd {
	const char *name;
	control_fn fn;
	const char *usage;		/* "name ARGS": for the "unknown request" reply */
	size_t max_request;		/* bytes its request line may have; 0:
					 * CONTROL_REQUEST_MAX */
};

struct control;

struct control *control_new(void);

/* Listens on the unix socket @path. A path where another daemon answers is
 * left alone (returns 1, with why in @err); -1 on other errors; 0 when
 * listening, with a sentence for the log in @err. */
int control_open(struct control *ctl, const char *path, char *err, size_t len);

/* Listens for HTTP on @addr ("IP:PORT", "[IPv6]:PORT"): GET /metrics is
 * answered with the "metrics" command's reply. 0, or -1 with a sentence. */
int control_open_http(struct control *ctl, const char *addr, char *err, size_t len);

/* Adds a table of @n commands, each called with @arg. A name already
 * present is not replaced: the first table added wins. 0, or -1 (no room). */
int control_add(struct control *ctl, const struct control_cmd *cmds, size_t n, void *arg);

/* The poll loop: fills @pfd (room for CONTROL_MAX_FDS) and returns how
 * many; control_timeout is the milliseconds until the next client
 * deadline (-1: none), for poll's timeout; control_handle serves what
 * @pfd says is ready and closes clients past their deadline. */
size_t control_pollfds(const struct control *ctl, struct pollfd *pfd);
int control_timeout(const struct control *ctl);
void control_handle(struct control *ctl, const struct pollfd *pfd, size_t n);

/* Closes the listeners and every client; removes the socket file. */
void control_close(struct control *ctl);

/* One request line (without its newline, modified in place) run against
 * the tables; the framed reply ("+LINE"... "ok|error LINE\n") in @out.
 * The parser of untrusted input: tests/fuzz/fuzz_control.c. */
void control_dispatch(const struct control *ctl, char *line, struct control_reply *out);

/* An HTTP request head (up to and without the blank line): 0 and the path
 * of a GET (or HEAD, *head true) in @path, or the status code to answer
 * (400, 405, 414). */
int control_http_parse(const char *req, size_t len, char *path, size_t pathlen, bool *head);

/* The client side: connects to @path; -1 with errno on failure. */
int control_connect(const char *path);

#endif
