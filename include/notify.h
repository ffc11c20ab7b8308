/* notify.h - telling systemd how the daemon is (sd_notify): ready once the
 * queues are bound, reloading and ready again around a reload, stopping,
 * and the watchdog. Built with libsystemd (HAVE_SYSTEMD); without it the
 * inline stubs below stand in, so callers never test for it
 * (conntrack-tools' include/systemd.h idea). Outside systemd (no
 * NOTIFY_SOCKET) every call does nothing.
 *
 * The watchdog proves more than a live main loop: a worker thread bumps
 * its heartbeat each time round its loop (an idle one wakes every
 * TP_IDLE_MS to do so), and WATCHDOG=1 is sent only once every worker's
 * heartbeat has moved since the last one. A worker stuck anywhere (a
 * deadlock, a send that never returns) therefore stops the pings, and
 * systemd kills and restarts the daemon after WatchdogSec. */
#ifndef VD_NOTIFY_H
#define VD_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"

struct notify_watchdog {
	int fd;				/* timerfd of the checks; -1: no watchdog */
	size_t n;			/* workers watched */
	uint64_t seen[CONF_MAX_QUEUES];	/* each one's heartbeat at the last ping */
	uint64_t usec;			/* WatchdogSec, for the log */
};

#ifdef HAVE_SYSTEMD

/* READY=1 with a STATUS= line (also after a reload). */
void notify_ready(const char *status);
/* RELOADING=1: a reload starts; notify_ready() ends it. */
void notify_reloading(void);
/* STOPPING=1: the queues are being drained. */
void notify_stopping(void);
/* Arms the watchdog when systemd asked for one (WATCHDOG_USEC); @wd->fd
 * is then a descriptor to poll (-1 otherwise). 0, or -1 with errno. */
int notify_watchdog_open(struct notify_watchdog *wd, size_t nworkers);
/* @wd->fd was readable: pings systemd if each of the @n heartbeats in
 * @beats moved since the last ping. */
void notify_watchdog_check(struct notify_watchdog *wd, const uint64_t *beats, size_t n);
void notify_watchdog_close(struct notify_watchdog *wd);

#else

static inline void notify_ready(const char *status) { (void)status; }
static inline void notify_reloading(void) {}
static inline void notify_stopping(void) {}
static inline int notify_watchdog_open(struct notify_watchdog *wd, size_t nworkers)
{
	(void)nworkers;
	wd->fd = -1;
	wd->n = 0;
	wd->usec = 0;
	return 0;
}
static inline void notify_watchdog_check(struct notify_watchdog *wd, const uint64_t *beats, size_t n)
{
	(void)wd;
	(void)beats;
	(void)n;
}
static inline void notify_watchdog_close(struct notify_watchdog *wd) { (void)wd; }

#endif

#endif
