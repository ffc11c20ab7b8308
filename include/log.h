/* log.h - one line per event, with a level, to stderr, syslog or the
 * journal. Where and how much is chosen once at start (log_open,
 * log_set_level), before any worker runs; from then on it is only read. */
#ifndef VD_LOG_H
#define VD_LOG_H

#include <stddef.h>

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

enum log_target {
	LOG_TO_AUTO,		/* the journal under systemd, else stderr */
	LOG_TO_STDERR,
	LOG_TO_SYSLOG,
	LOG_TO_JOURNAL,		/* sd_journal_print */
};

/* "auto", "stderr", "syslog", "journal" / "error", "warning", "info",
 * "debug": the value, or -1. */
int log_target_parse(const char *s);
int log_level_parse(const char *s);
const char *log_target_name(enum log_target t);

/* Sends lines to @t from now on. AUTO is the journal when stderr is the
 * journal's stream (systemd sets $JOURNAL_STREAM to its device:inode),
 * else stderr. Returns the target chosen, with why in @why. */
enum log_target log_open(enum log_target t, char *why, size_t len);

void log_set_level(enum log_level lvl);
void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Each tab-separated part of @text as a line of its own at @lvl. */
void log_lines(enum log_level lvl, const char *text);

#define log_err(...)   log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

/* A token bucket: at most @rate lines a second, bursts of @rate. One per
 * worker (no sharing); the caller counts what it refuses. */
struct log_limit {
	double tokens;
	unsigned long long last_ns;
	unsigned int rate;
};

void log_limit_init(struct log_limit *l, unsigned int rate);
/* True when a line may be written at @now_ns (CLOCK_MONOTONIC). */
int log_limit_take(struct log_limit *l, unsigned long long now_ns);

#endif
