/* setwatch.c - following ipset edits made behind verdictd's back (see
 * setwatch.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "set_kernel.h"
#include "setwatch.h"

#define SIG_LEN 512

struct sig_at {
	char sig[SIG_LEN];	/* the header; "" when it could not be read */
	double at;		/* when it was taken (ms, monotonic) */
};

struct setwatch {
	size_t n;
	struct sig_at *held;	/* of the copies verdictd holds */
	struct sig_at *taken;	/* of the copies being read or edited */
	double *cost_ms;	/* what taking the last copy cost (sign to commit) */
	double *done_at;	/* when it was committed */
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

struct setwatch *setwatch_open(size_t n)
{
	struct setwatch *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->n = n;
	w->held = calloc(n ? n : 1, sizeof(*w->held));
	w->taken = calloc(n ? n : 1, sizeof(*w->taken));
	w->cost_ms = calloc(n ? n : 1, sizeof(*w->cost_ms));
	w->done_at = calloc(n ? n : 1, sizeof(*w->done_at));
	if (!w->held || !w->taken || !w->cost_ms || !w->done_at) {
		setwatch_close(w);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		w->held[i].at = -1e12;		/* due at the first poll */
	return w;
}

void setwatch_close(struct setwatch *w)
{
	if (!w)
		return;
	free(w->held);
	free(w->taken);
	free(w->cost_ms);
	free(w->done_at);
	free(w);
}

/* A whole read costs about 0.5 us a member (set_dump.c: 1,000,000 in
 * ~0.5 s here): reading every 10 us a member spends at most 5% of the main
 * thread on it. Sets up to 100k members are read every second, 1M every
 * 10 s, none less often than every 30 s; their header is read every poll
 * whatever their size. */
static double setwatch_period_ms(size_t members)
{
	double ms = (double)members * 0.010;

	return ms < 1000 ? 1000 : ms > 30000 ? 30000 : ms;
}

void setwatch_sign(struct setwatch *w, const struct policy *pol, size_t i)
{
	struct sig_at *t = &w->taken[i];

	t->at = now_ms();
	if (set_kernel_header(pol->sets[i].name, t->sig, sizeof(t->sig)) < 0)
		t->sig[0] = '\0';
}

enum setwatch_due setwatch_due(struct setwatch *w, const struct policy *pol, size_t i, size_t members)
{
	if (i >= w->n)
		return SETWATCH_NOT_DUE;
	setwatch_sign(w, pol, i);
	if (!w->taken[i].sig[0] || strcmp(w->taken[i].sig, w->held[i].sig) != 0) {
		/* A large set that changes all the time (timeouts expiring in
		 * a CrowdSec set of a million) would be read back to back: at
		 * most a quarter of the time goes to reading it. */
		if (w->taken[i].at - w->done_at[i] < 3 * w->cost_ms[i])
			return SETWATCH_NOT_DUE;
		return SETWATCH_CHANGED;
	}
	return w->taken[i].at - w->held[i].at > setwatch_period_ms(members) ? SETWATCH_PERIOD
									    : SETWATCH_NOT_DUE;
}

void setwatch_commit(struct setwatch *w, size_t i)
{
	if (i >= w->n)
		return;
	w->held[i] = w->taken[i];
	w->done_at[i] = now_ms();
	w->cost_ms[i] = w->done_at[i] - w->taken[i].at;
}

bool setwatch_signed(const struct setwatch *w, size_t i)
{
	return i < w->n && w->taken[i].sig[0];
}

void setwatch_forget(struct setwatch *w, size_t i)
{
	if (i < w->n)
		w->held[i].sig[0] = '\0';
}
