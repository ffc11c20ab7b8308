/* ops.h - the running daemon's reports, as control socket commands
 * (control.h): what an operator or a monitoring system asks.
 *   ping                      verdictd VERSION
 *   status [-j]               version, uptime, transport, queues, the
 *                             policy file and its SHA-256, sets and sizes
 *   stats [-j]                counters per queue, per rule, per set
 *   flows [-j] [N]            the connections verdictd judged (at most N,
 *                             default 1000): tuple, verdict, mark, rule
 *   metrics                   the Prometheus text format (also GET /metrics)
 *   trace HOOK HEADER         the rule the live policy gives HEADER (trace.h)
 * "-j": JSON, one document. Text replies are "key value" lines or tables
 * with a header line, for scripts and people alike. */
#ifndef VD_OPS_H
#define VD_OPS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "control.h"
#include "gen.h"
#include "worker.h"

/* What the reports read: the daemon fills it once its workers run. */
struct ops {
	struct gen *const *gen;		/* the daemon's current generation */
	struct worker *const *w;	/* its workers, one a queue */
	size_t nw;
	const char *transport;		/* the transport running */
	const char *log_to;		/* where log lines go */
	uint64_t started_ns;		/* CLOCK_MONOTONIC */
	time_t started;			/* wall clock */
};

extern const struct control_cmd ops_commands[];
extern const size_t ops_ncommands;

/* "a\"b" -> "a\\\"b": a JSON string's or a Prometheus label value's
 * contents (the same escapes for what names and paths hold). */
void ops_escape(struct control_reply *r, const char *s);

#endif
