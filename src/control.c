/* control.c - the control socket (see control.h).
 *
 * Served by the main thread, which otherwise only waits for signals: the
 * workers never see it, and a request reads the policy, the classifier and
 * the set copies the workers use, none of which changes while they run. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"

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

int control_open(struct control *ctl, const char *path, char *err, size_t len)
{
	struct sockaddr_un sa;
	mode_t old;
	int fd, r;

	ctl->fd = -1;
	ctl->path[0] = '\0';
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
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, len, "control socket: %s", strerror(errno));
		return -1;
	}
	old = umask(077);	/* root only: the policy is the firewall's business */
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r == 0)
		r = chmod(path, 0600);
	if (r < 0 || listen(fd, 8) < 0) {
		snprintf(err, len, "control socket %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	ctl->fd = fd;
	snprintf(ctl->path, sizeof(ctl->path), "%s", path);
	snprintf(err, len, "control socket %s", path);
	return 0;
}

static void answer(const struct control_handlers *h, char *req, char *out, size_t len)
{
	const struct trace_ctx *t = h->trace;
	char res[480];
	char *rest, *end;
	long hook;

	if (strncmp(req, "ping", 4) == 0 && (req[4] == '\0' || req[4] == '\n')) {
		snprintf(out, len, "ok verdictd %s\n", PACKAGE_VERSION);
		return;
	}
	if (strcmp(req, "reload") == 0) {
		char msg[CONTROL_REPLY_MAX - 16];
		int r = h->reload(h->arg, msg, sizeof(msg));

		snprintf(out, len, "%s %s\n", r < 0 ? "error" : "ok", msg);
		return;
	}
	if (strncmp(req, "set ", 4) == 0) {
		char msg[CONTROL_REPLY_MAX - 16];
		int r = h->set(h->arg, req + 4, msg, sizeof(msg));

		snprintf(out, len, "%s %s\n", r < 0 ? "error" : "ok", msg);
		return;
	}
	if (strncmp(req, "trace ", 6) != 0) {
		snprintf(out, len, "error unknown request (trace HOOK HEADER, reload, set ..., ping)\n");
		return;
	}
	hook = strtol(req + 6, &end, 10);
	rest = end;
	if (end == req + 6 || hook < 0 || hook > POLICY_HOOK_MAX) {
		snprintf(out, len, "error trace needs a hook number (0-%d) before the header\n", POLICY_HOOK_MAX);
		return;
	}
	{
		struct trace_ctx tc = *t;
		int r;

		tc.hook = (int)hook;
		r = trace_line(&tc, rest, res, sizeof(res));
		snprintf(out, len, "%s %s\n", r < 0 ? "error" : "ok", r == 1 ? "nothing to trace" : res);
	}
}

void control_serve(struct control *ctl, const struct control_handlers *h)
{
	struct timeval tv = { 1, 0 };
	char *buf, out[CONTROL_REPLY_MAX];
	size_t have = 0;
	int fd = accept4(ctl->fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (!(buf = malloc(CONTROL_REQUEST_MAX))) {
		close(fd);
		return;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	for (;;) {
		ssize_t n = recv(fd, buf + have, CONTROL_REQUEST_MAX - 1 - have, 0);
		char *nl, *line = buf;

		if (n <= 0)
			break;
		have += (size_t)n;
		buf[have] = '\0';
		while ((nl = strchr(line, '\n'))) {
			*nl = '\0';
			answer(h, line, out, sizeof(out));
			if (send(fd, out, strlen(out), MSG_NOSIGNAL) < 0)
				goto out;
			line = nl + 1;
		}
		have -= (size_t)(line - buf);
		memmove(buf, line, have);
		if (have == CONTROL_REQUEST_MAX - 1)
			break;		/* a line longer than any request */
	}
out:
	free(buf);
	close(fd);
}

void control_close(struct control *ctl)
{
	if (ctl->fd < 0)
		return;
	close(ctl->fd);
	unlink(ctl->path);
	ctl->fd = -1;
}
