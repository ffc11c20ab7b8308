/* notify.c - sd_notify for Type=notify and the watchdog (see notify.h).
 * Built only with libsystemd. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "log.h"
#include "notify.h"
#include "transport.h"

void notify_ready(const char *status)
{
	sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

void notify_reloading(void)
{
	sd_notify(0, "RELOADING=1\nSTATUS=reloading the configuration");
}

void notify_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=answering what is queued, then unbinding");
}

/* Checked four times per WatchdogSec: a worker that is idle shows its
 * heartbeat within TP_IDLE_MS, so every ping comes at most TP_IDLE_MS plus
 * a quarter of WatchdogSec after the last one. */
int notify_watchdog_open(struct notify_watchdog *wd, size_t nworkers)
{
	struct itimerspec every;
	uint64_t usec = 0, step;

	memset(wd, 0, sizeof(*wd));
	wd->fd = -1;
	wd->n = nworkers < CONF_MAX_QUEUES ? nworkers : CONF_MAX_QUEUES;
	/* 1: WATCHDOG_USEC is removed from the environment, so that a
	 * program verdictd might run never pings for it. */
	if (sd_watchdog_enabled(1, &usec) <= 0 || usec == 0)
		return 0;
	if (usec < 2 * TP_IDLE_MS * 1000ULL)
		log_warn("WatchdogSec is %llu ms: an idle worker shows it is alive every %d ms, so"
			 " the watchdog may fire on a healthy daemon; use 2 s or more",
			 (unsigned long long)(usec / 1000), TP_IDLE_MS);
	step = usec / 4;
	every.it_interval.tv_sec = (time_t)(step / 1000000);
	every.it_interval.tv_nsec = (long)(step % 1000000) * 1000;
	every.it_value = every.it_interval;
	wd->fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (wd->fd < 0 || timerfd_settime(wd->fd, 0, &every, NULL) < 0) {
		int e = errno;

		notify_watchdog_close(wd);
		errno = e;
		return -1;
	}
	wd->usec = usec;
	/* The first ping now: the workers have just been started. */
	sd_notify(0, "WATCHDOG=1");
	return 0;
}

void notify_watchdog_check(struct notify_watchdog *wd, const uint64_t *beats, size_t n)
{
	uint64_t ticks;
	size_t i;

	if (read(wd->fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		return;
	if (n > wd->n)
		n = wd->n;
	for (i = 0; i < n; i++)
		if (beats[i] == wd->seen[i])
			return;		/* this one has not shown life since the last ping */
	memcpy(wd->seen, beats, n * sizeof(*beats));
	sd_notify(0, "WATCHDOG=1");
}

void notify_watchdog_close(struct notify_watchdog *wd)
{
	if (wd->fd >= 0)
		close(wd->fd);
	wd->fd = -1;
}
