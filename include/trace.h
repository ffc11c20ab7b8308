/* trace.h - the packet tracer: which rule a header meets, without a kernel. */
#ifndef VD_TRACE_H
#define VD_TRACE_H

#include <stdio.h>

#include "conf.h"

/* Reads headers from @in, one a line, and prints for each the deciding
 * rule (number and file:line), its action and mark. Formats:
 *   PROTO SRC[:PORT] DST[:PORT] [type N[/CODE]] [iif NAME] [oif NAME] [hook NAME]
 *     (IPv6 with a port: [ADDR]:PORT), and
 *   ClassBench trace lines: SRC DST SPORT DPORT PROTO FLAGS RULE (decimal).
 * @hook (POLICY_HOOK_*, 0 for none) is the chain a header is taken to come
 * from unless its line names one (ClassBench lines cannot); with 0, rules
 * with a hook match never match it. Where that matters (some rule has a
 * hook match), the verdict line says which hook was assumed.
 * A port left out on one side is 0; with no port at all the packet has no
 * ports (a port match never holds for it, as for a later fragment).
 * Sets are empty here (the tracer does not read the kernel). Returns the
 * number of lines that could not be read. */
int trace_run(const struct conf *c, int hook, FILE *in, FILE *out, FILE *err);

struct classifier;

/* What a header is judged against: the daemon's live policy and sets (the
 * control socket), or a policy file with empty sets (trace_run). */
struct trace_ctx {
	const struct policy *pol;
	const char *path;		/* the policy's file, for "file:line" */
	const struct classifier *cl;
	const struct policy_sets *sets;
	int hook;			/* for headers that name none; 0: none */
};

/* One header line (modified) -> the verdict line in @out, no newline.
 * 0: judged; 1: blank or a comment, nothing to say; -1: unreadable, and
 * why in @out. */
int trace_line(const struct trace_ctx *t, char *line, char *out, size_t len);

#endif
