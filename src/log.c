/* log.c - logging: one formatted line per call. On stderr it is written
 * with one write(2), so lines from worker threads never interleave; syslog
 * and the journal take each line as one message, with its priority. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "journal.h"
#include "log.h"

/* Set at start, before the workers; only read after. */
static enum log_level log_level = LOG_LVL_INFO;
static enum log_target log_target = LOG_TO_STDERR;

static const char *const target_names[] = { "auto", "stderr", "syslog", "journal" };
static const char *const level_names[] = { "error", "warning", "info", "debug" };

static int name_index(const char *s, const char *const *names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

int log_target_parse(const char *s)
{
	return name_index(s, target_names, 4);
}

int log_level_parse(const char *s)
{
	return name_index(s, level_names, 4);
}

const char *log_target_name(enum log_target t)
{
	return target_names[t];
}

/* systemd's way to tell a program that its stderr is the journal. */
static int stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	return js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
	       (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

enum log_target log_open(enum log_target t, char *why, size_t len)
{
	if (t == LOG_TO_AUTO) {
		t = stderr_is_journal() ? LOG_TO_JOURNAL : LOG_TO_STDERR;
		snprintf(why, len, "log-to auto: %s", t == LOG_TO_JOURNAL ?
			 "stderr is the journal's stream (JOURNAL_STREAM): the journal, with priorities" :
			 "stderr is no journal stream: stderr");
	} else {
		snprintf(why, len, "log-to %s", target_names[t]);
	}
	if (t == LOG_TO_JOURNAL && !journal_built()) {
		t = LOG_TO_STDERR;
		snprintf(why, len, "the journal was asked for, but verdictd was built without"
			 " libsystemd: stderr");
	}
	if (t == LOG_TO_SYSLOG)
		openlog("verdictd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_target = t;
	return t;
}

void log_set_level(enum log_level lvl)
{
	log_level = lvl;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *const tag[] = { "error: ", "warning: ", "", "debug: " };
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char line[1024];
	va_list ap;
	int n, start;

	if (lvl > log_level)
		return;
	n = snprintf(line, sizeof(line), "verdictd: %s", tag[lvl]);
	start = (int)strlen("verdictd: ");	/* syslog and the journal name us */
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	if (log_target == LOG_TO_SYSLOG) {
		line[n] = '\0';
		syslog(prio[lvl], "%s", line + start);
		return;
	}
	if (log_target == LOG_TO_JOURNAL) {
		line[n] = '\0';
		journal_line(prio[lvl], line + start);
		return;
	}
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, n) < 0)
		return;	/* nowhere left to report it */
}

void log_lines(enum log_level lvl, const char *text)
{
	while (*text) {
		size_t n = strcspn(text, "\t");

		log_msg(lvl, "%.*s", (int)n, text);
		text += n + (text[n] == '\t');
	}
}

void log_limit_init(struct log_limit *l, unsigned int rate)
{
	l->rate = rate;
	l->tokens = rate;
	l->last_ns = 0;
}

int log_limit_take(struct log_limit *l, unsigned long long now_ns)
{
	if (l->last_ns && now_ns > l->last_ns) {
		l->tokens += (double)(now_ns - l->last_ns) * l->rate / 1e9;
		if (l->tokens > l->rate)
			l->tokens = l->rate;
	}
	l->last_ns = now_ns;
	if (l->tokens < 1)
		return 0;
	l->tokens -= 1;
	return 1;
}
