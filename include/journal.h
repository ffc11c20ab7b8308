/* journal.h - a line to the systemd journal, with its priority. Built with
 * libsystemd (HAVE_SYSTEMD) it is sd_journal_print; without it the stubs
 * below say there is no journal, and log.c falls back to stderr, saying
 * why (notify.h's way: callers never test for it). */
#ifndef VD_JOURNAL_H
#define VD_JOURNAL_H

#include <stdbool.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-journal.h>

static inline bool journal_built(void)
{
	return true;
}

static inline void journal_line(int priority, const char *text)
{
	sd_journal_print(priority, "%s", text);
}

#else

static inline bool journal_built(void)
{
	return false;
}

static inline void journal_line(int priority, const char *text)
{
	(void)priority;
	(void)text;
}

#endif
#endif
