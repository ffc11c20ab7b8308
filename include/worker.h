/* worker.h - one thread per queue: receive a batch, judge each packet,
 * send the batch's verdicts. The daemon opens, starts and closes workers;
 * what happens inside one is worker.c's. */
#ifndef VD_WORKER_H
#define VD_WORKER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "classify.h"
#include "conf.h"
#include "gen.h"
#include "policy.h"
#include "transport.h"

struct worker;

/* One worker's part: its queue, and where it finds what it judges with. */
struct worker_setup {
	uint16_t queue;
	int cpu;			/* -1: no affinity */
	struct gen_slot *slot;		/* the daemon's current generation */
	struct gen_reader *rd;		/* this worker's announcement in it */
	enum tp_kind kind;
	int stop_fd;			/* readable: stop */
	const atomic_bool *stop;	/* set with it, seen between batches */
};

/* Binds the queue and sets up the worker; the thread is not started.
 * NULL with a sentence in @err. */
struct worker *worker_open(const struct conf *c, const struct worker_setup *ws,
			   char *err, size_t errlen);
/* 0, or an error number. */
int worker_start(struct worker *w);
/* Waits for the thread, if it was started, to end (after the stop
 * descriptor fired: it has then answered every queued packet). */
void worker_join(struct worker *w);
/* worker_join, then unbinds the queue and frees everything. */
void worker_close(struct worker *w);
/* How many times the worker went round its loop: at least once every
 * TP_IDLE_MS while it runs (the watchdog reads it, notify.h). */
uint64_t worker_heartbeat(const struct worker *w);
/* Tests only: the worker stops going round its loop (until the stop), as
 * if it had hung; the daemon offers it with VERDICTD_TEST_HANG set. */
void worker_test_hang(struct worker *w);
/* What the reports (ops.c) read: the queue, its published counters, the
 * kernel's counters of it (as they were at the stop, with @at_exit), and
 * the notes of which rule judged which connection. */
uint16_t worker_queue(const struct worker *w);
const struct stats *worker_stats(const struct worker *w);
void worker_kernel_stats(const struct worker *w, bool at_exit, struct stats_kernel *k);
struct flow_table;
const struct flow_table *worker_flows(const struct worker *w);
/* The counters line of the worker's queue, with the kernel's counters (as
 * they were when it stopped, with @at_exit). */
void worker_format_stats(const struct worker *w, bool at_exit, char *buf, size_t len);

#endif
