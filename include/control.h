/* control.h - the running daemon's control socket: a unix stream socket,
 * mode 0600, served by the main thread between signals. One request a
 * line, one reply a line:
 *   trace HOOK HEADER   ->  "ok VERDICT-LINE" | "error WHY"
 *       the rule the live policy and the daemon's own copies of the sets
 *       give HEADER (tracer format, see trace.h); HOOK is a number, 0 for
 *       the header's own "hook NAME" or none
 *   reload              ->  "ok WHAT" | "error WHY"
 *       the configuration read again and swapped in; WHY holds every
 *       file:line:col message, separated by tabs (one reply line)
 *   set VERB NAME ...   ->  "ok WHAT" | "error WHY"
 *       an ipset edit made in the kernel and in verdictd's copy, answered
 *       once in force for new and existing connections (see setcmd.h;
 *       "set restore" carries its lines tab-separated, up to 4 MiB)
 *   ping                ->  "ok verdictd VERSION"
 * verdictctl trace, reload and set are the clients. */
#ifndef VD_CONTROL_H
#define VD_CONTROL_H

#include <stddef.h>

#include "trace.h"

/* In a directory of its own, which the unit's RuntimeDirectory= gives to
 * the daemon's user (verdictd makes it when started by hand). */
#define CONTROL_DEFAULT_PATH "/run/verdictd/verdictd.sock"

struct control {
	int fd;			/* listening socket, -1 when none */
	char path[108];
};

/* Listens on @path. A path where another daemon answers is left alone
 * (returns 1, with why in @err); -1 on other errors; 0 when listening. */
int control_open(struct control *ctl, const char *path, char *err, size_t len);

#define CONTROL_REPLY_MAX 8192
#define CONTROL_REQUEST_MAX ((4u << 20) + 64)	/* a set restore's lines */

/* What the daemon answers with. */
struct control_handlers {
	const struct trace_ctx *trace;
	/* Reloads; 0 or -1, with a one-line message (tabs between lines). */
	int (*reload)(void *arg, char *msg, size_t len);
	/* A set command (what follows "set "); 0 or -1, a one-line message. */
	int (*set)(void *arg, const char *req, char *msg, size_t len);
	void *arg;
};

/* Accepts one client and answers its requests until it closes (or stays
 * silent for a second: the signals wait meanwhile). */
void control_serve(struct control *ctl, const struct control_handlers *h);

void control_close(struct control *ctl);

/* The client side: connects to @path; -1 with errno on failure. */
int control_connect(const char *path);

#endif
