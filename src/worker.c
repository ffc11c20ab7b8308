/* worker.c - the packet path.
 *
 *   transport recv (a batch of datagrams: socket or ring)
 *     -> nfq_packet_parse (each NFQNL_MSG_PACKET)
 *     -> pkt_parse (IP and transport headers)
 *     -> classify_eval_batch (first match, compiled, up to CLASSIFY_BATCH
 *        packets at once; policy_eval is its reference)
 *     -> verdict_decide (netfilter verdict + conntrack mark, verdict.c)
 *     -> nfq_verdicts_add (batched)
 *   transport send (all verdicts of the batch), release
 *
 * Every packet message that carries an id gets exactly one verdict: the
 * policy's, or the on-error verdict when its bytes cannot be read. */
#define _GNU_SOURCE
#include "config.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include "flows.h"
#include "gen.h"
#include "log.h"
#include "nfq.h"
#include "pkt.h"
#include "transport.h"
#include "verdict.h"
#include "vocab.h"
#include "worker.h"

/* A parsed packet waiting for the batch lookup. */
#define WORKER_PENDING CLASSIFY_BATCH
enum worker_route {
	ROUTE_CLASSIFY,			/* whole headers: the compiled classifier */
	ROUTE_PARTIAL,			/* headers missing: policy_eval_partial */
	ROUTE_BAD,			/* unreadable: the on-error verdict */
	ROUTE_LOCAL,			/* a connection this host opened: accepted */
};
struct worker_pending {
	struct nfq_packet np;		/* points into the receive batch */
	struct pkt p;
	uint8_t route;			/* enum worker_route */
	bool existing;			/* of a connection conntrack holds already */
};

struct worker {
	uint16_t queue;
	int cpu;			/* -1: no affinity */
	uint32_t copy_range;		/* the queue's, for messages */
	bool bypass;			/* what a stop does with new packets */
	struct gen_slot *slot;		/* where the daemon publishes generations */
	struct gen_reader *rd;		/* this worker's announcement */
	const struct gen *g;		/* held while a batch is judged */
	struct mnl_socket *nl;
	struct transport *tp;
	const atomic_bool *stop;	/* set with the stop descriptor, seen between batches */
	atomic_uint_fast64_t heartbeat;	/* once round the loop (the watchdog's proof) */
	atomic_bool hang;		/* tests only: stop going round (worker_test_hang) */
	pthread_t thread;
	bool started;
	struct stats stats;
	struct stats_kernel kernel_at_exit;
	char *vbuf;
	struct nfq_verdicts vd;
	uint64_t count[ST_COUNT];	/* the worker's own, published per batch */
	struct worker_pending pend[WORKER_PENDING];
	size_t npend;
	/* Observability (issue 14): the worker's own rows, no sharing. */
	size_t index;			/* its row in the generation's counters */
	struct policy_sets sets;	/* g->sets, with this worker's set counters */
	_Atomic uint64_t *hits;		/* per rule, [nrules] the default's */
	struct flow_table flows;	/* which rule judged which connection */
	struct log_limit loglim;	/* 'log' rules' lines */
};

static void worker_add_verdict(struct worker *w, uint32_t id, const struct verdict_decision *d);
static void worker_account(struct worker *w, const struct worker_pending *e,
			   const struct policy_verdict *v);

/* A packet with headers missing, judged by the linear scan as the
 * kernel's matches would judge it; NULL when the copy range cut off what
 * the verdict depends on. */
static const struct policy_verdict *worker_judge_partial(struct worker *w, const struct pkt *p,
							 struct policy_verdict *pv)
{
	switch (policy_eval_partial(&w->g->conf->policy, &w->sets, p, pv)) {
	case POLICY_UNKNOWN:
		if (!w->count[ST_CUT]++)
			log_warn("queue %u: a packet's headers go on past copy-range %u (rule at line %u"
				 " needs them): it gets the on-error verdict, as will the next ones"
				 " (counter 'cut'); a larger copy-range avoids it", w->queue,
				 w->copy_range, w->g->conf->policy.rules[pv->rule].pos.line);
		return NULL;
	case POLICY_HOTDROP:
		w->count[ST_SHORT]++;
		return pv;
	default:
		return pv;
	}
}

/* Judges the pending packets together, then adds their verdicts in the
 * order they arrived (a verdict run must never cover a packet out of turn). */
static void worker_judge_pending(struct worker *w)
{
	const struct pkt *good[WORKER_PENDING];
	struct policy_verdict pv[WORKER_PENDING], partial;
	static const struct policy_verdict local = { ACT_ACCEPT, 0, -1 };
	size_t i, n = 0, k = 0;

	for (i = 0; i < w->npend; i++)
		if (w->pend[i].route == ROUTE_CLASSIFY)
			good[n++] = &w->pend[i].p;
	classify_eval_batch(w->g->cls, &w->g->conf->policy, &w->sets, good, n, pv);
	for (i = 0; i < w->npend; i++) {
		const struct worker_pending *e = &w->pend[i];
		const struct policy_verdict *v = NULL;
		struct verdict_decision d;

		if (e->route == ROUTE_CLASSIFY)
			v = &pv[k++];
		else if (e->route == ROUTE_PARTIAL)
			v = worker_judge_partial(w, &e->p, &partial);
		else if (e->route == ROUTE_LOCAL)
			v = &local;
		verdict_decide(&w->g->vp, e->np.mark, v, e->existing, &d);
		if (d.stat == ST_LOOPS && !w->count[ST_LOOPS])
			log_warn("queue %u: a packet came back with a verdict already in its mark (0x%x):"
				 " the fixed rules (verdictd --print-rules) are missing or another rule"
				 " queues it; dropped, as will the next ones (counter 'loops')", w->queue,
				 e->np.mark);
		w->count[d.stat]++;
		if (v && v->rule < 0)
			w->count[ST_DEFAULT]++;
		if (v)
			worker_account(w, e, v);
		worker_add_verdict(w, e->np.id, &d);
	}
	w->npend = 0;
}

/* Parses a packet and puts it with the pending ones; an unreadable one
 * waits there too, to get the on-error verdict in its turn. A packet the
 * fixed rules flagged as its flow's reply direction belongs to a flow
 * that has no verdict yet (one that began while verdictd was not
 * running, or before the rules were loaded): it is judged as the flow's
 * original direction, which is what the verdict is about. */
static void worker_judge(struct worker *w, const struct nfq_packet *np)
{
	struct worker_pending *e = &w->pend[w->npend++];

	e->np = *np;
	e->route = ROUTE_BAD;
	e->existing = false;
	if (np->payload && pkt_parse_captured(&e->p, np->payload, np->len, np->wire) == 0) {
		e->route = (e->p.flags & PKT_F_PARTIAL) ? ROUTE_PARTIAL : ROUTE_CLASSIFY;
		e->p.hook = np->hook;
		e->p.iif = np->iif;
		e->p.oif = np->oif;
		e->existing = (np->mark & w->g->reply_bit) != 0;
		if (e->existing) {
			pkt_reverse(&e->p);
			w->count[ST_REPLY]++;
			/* A connection this host opened: its OUTPUT chain judged
			 * it (the fixed rules mark those; this one is older). */
			if (e->p.hook == NF_INET_LOCAL_OUT && !w->g->judges_output)
				e->route = ROUTE_LOCAL;
		}
	}
	if (w->npend == WORKER_PENDING)
		worker_judge_pending(w);
}

/* Hands the batch's verdicts to the transport, which retries a refused
 * send: the packets wait in the kernel until they get their verdict. */
static void worker_flush(struct worker *w)
{
	size_t len = nfq_verdicts_finish(&w->vd);

	if (len > 0 && w->tp->ops->send(w->tp, w->vd.buf, len) < 0)
		log_err("queue %u: cannot send verdicts: %s", w->queue, strerror(errno));
	nfq_verdicts_reset(&w->vd);
}

/* The verdict buffer holds a whole receive batch's verdicts (worker_open
 * sizes it so): a send in the middle of a batch would rewrite a buffer the
 * ring transport may not have sent yet. */
static void worker_add_verdict(struct worker *w, uint32_t id, const struct verdict_decision *d)
{
	int room = nfq_verdicts_add(&w->vd, id, d->verdict, d->has_mark ? &d->mark : NULL);

	assert(room == 0);
	(void)room;
}

static void worker_datagram(struct worker *w, const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;
	struct nfq_packet np;
	int remain = (int)len;

	for (; nfq_nlmsg_ok(nlh, remain); nlh = mnl_nlmsg_next(nlh, &remain)) {
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

			if (nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(*e)) && e->error != 0)
				w->count[ST_KERNEL_ERRORS]++;
			continue;
		}
		if (NFNL_MSG_TYPE(nlh->nlmsg_type) != NFQNL_MSG_PACKET)
			continue;
		w->count[ST_PACKETS]++;
		if (nfq_packet_parse(nlh, &np) < 0) {
			w->count[ST_NO_ID]++;
			continue;
		}
		worker_judge(w, &np);
		/* nfnetlink_queue sends each packet in a datagram of its own;
		 * the verdict buffer is sized on that. */
		break;
	}
}

/* --- observability (issue 14) ---------------------------------------- */

static uint64_t worker_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The generation's counters, seen through this worker's row. */
static void worker_views(struct worker *w)
{
	const struct stats_policy *sp = w->g->sp;
	_Atomic uint64_t *row = stats_policy_row(sp, w->index);

	w->hits = row;
	w->sets = w->g->sets;
	w->sets.lookups = row + stats_policy_lookups(sp, 0);
	w->sets.hits = row + stats_policy_hits(sp, 0);
}

/* "10.0.1.3:4000", "[2001:db8::1]:80", or the address alone (no ports). */
static void worker_endpoint(const struct pkt *p, const union vd_addr *a, uint16_t port, char *buf,
			    size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	inet_ntop(p->family, a->b, ip, sizeof(ip));
	if (!(p->flags & PKT_F_PORTS))
		snprintf(buf, len, "%s", ip);
	else
		snprintf(buf, len, p->family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, port);
}

/* "queue 0: rule 3 (line 7) drop: tcp 10.0.1.3:4000 -> 10.0.2.2:22 iif f0" */
static void worker_log_verdict(struct worker *w, const struct pkt *p, int rule)
{
	const struct policy_rule *r = &w->g->conf->policy.rules[rule];
	char src[INET6_ADDRSTRLEN + 8], dst[INET6_ADDRSTRLEN + 8], icmp[24] = "";
	char in[IF_NAMESIZE] = "", out[IF_NAMESIZE] = "", pnum[8];
	const char *proto = vocab_proto_name(p->proto);

	if (!proto) {
		snprintf(pnum, sizeof(pnum), "%u", p->proto);
		proto = pnum;
	}
	worker_endpoint(p, &p->src, p->sport, src, sizeof(src));
	worker_endpoint(p, &p->dst, p->dport, dst, sizeof(dst));
	if (p->flags & PKT_F_ICMP)
		snprintf(icmp, sizeof(icmp), " type %u/%u", p->icmp_type, p->icmp_code);
	if (p->iif && !if_indextoname(p->iif, in))
		in[0] = '\0';
	if (p->oif && !if_indextoname(p->oif, out))
		out[0] = '\0';
	log_info("queue %u: rule %d (line %u) %s: %s %s -> %s%s%s%s%s%s", w->queue, rule + 1,
		 r->pos.line, policy_action_name(r->action), proto, src, dst, icmp, in[0] ? " iif " : "",
		 in, out[0] ? " oif " : "", out);
}

/* A judged packet's marks: its rule's counter, the note of which rule
 * judged its connection, and a log line when the rule says 'log' (at most
 * log-rate a second; the rest counted as log-dropped). */
static void worker_account(struct worker *w, const struct worker_pending *e,
			   const struct policy_verdict *v)
{
	const struct policy *pol = &w->g->conf->policy;

	if (e->route == ROUTE_LOCAL)
		return;		/* the host's own connection: no rule of the policy judged it */
	stats_bump(&w->hits[v->rule < 0 ? pol->nrules : (size_t)v->rule]);
	flow_note_put(&w->flows, &e->p, v->rule, w->g->sp->id);
	if (!w->g->logs || v->rule < 0 || !pol->rules[v->rule].log)
		return;
	if (!log_limit_take(&w->loglim, worker_now_ns())) {
		w->count[ST_LOG_DROPPED]++;
		return;
	}
	w->count[ST_LOGGED]++;
	worker_log_verdict(w, &e->p, v->rule);
}

/* A batch answered: its size, and each packet's time in verdictd, from
 * the batch's receive to its verdicts handed to the kernel (the ring
 * transport's are queued in the submission ring, submitted by the next
 * enter, which follows at once). */
static void worker_batch_done(struct worker *w, uint64_t packets, uint64_t t0)
{
	if (!packets)
		return;
	w->count[ST_BATCHES]++;
	w->count[ST_BATCH_HIST + stats_batch_bucket(packets)]++;
	t0 = worker_now_ns() - t0;
	w->count[ST_LAT_HIST + stats_lat_bucket(t0)] += packets;
	w->count[ST_LAT_SUM_NS] += t0 * packets;
}

const struct stats *worker_stats(const struct worker *w)
{
	return &w->stats;
}

uint16_t worker_queue(const struct worker *w)
{
	return w->queue;
}

const struct flow_table *worker_flows(const struct worker *w)
{
	return &w->flows;
}

void worker_kernel_stats(const struct worker *w, bool at_exit, struct stats_kernel *k)
{
	*k = w->kernel_at_exit;
	if (!at_exit)
		stats_kernel_read(w->queue, mnl_socket_get_portid(w->nl), k);
}

/* --- end of observability --------------------------------------------- */

static void worker_publish(struct worker *w)
{
	w->count[ST_VERDICT_MSGS] = w->vd.msgs;
	w->count[ST_BATCH_MSGS] = w->vd.batch_msgs;
	w->count[ST_RECV_CALLS] = w->tp->count.recv_calls;
	w->count[ST_SEND_CALLS] = w->tp->count.send_calls;
	w->count[ST_ENOBUFS] = w->tp->count.enobufs;
	w->count[ST_TRUNCATED] = w->tp->count.truncated;
	w->count[ST_SEND_ERRORS] = w->tp->count.send_errors;
	w->count[ST_RING_EMPTY] = w->tp->count.ring_empty;
	w->count[ST_REARMS] = w->tp->count.rearms;
	stats_publish(&w->stats, w->count);
}

/* One receive batch, judged and answered. Returns datagrams received,
 * TP_STOP, or -1. */
static int worker_pump(struct worker *w, struct tp_batch *b, int wait)
{
	uint64_t t0, before;
	size_t i;
	int n = w->tp->ops->recv(w->tp, b, wait);

	if (n < 0) {
		if (n != TP_STOP)
			log_err("queue %u: receive failed: %s", w->queue, strerror(errno));
		return n;
	}
	t0 = worker_now_ns();
	/* One generation judges the whole batch; none is held while waiting. */
	w->g = gen_enter(w->slot, w->rd);
	worker_views(w);
	before = w->count[ST_PACKETS];
	for (i = 0; i < b->n; i++)
		worker_datagram(w, b->dgram[i].iov_base, b->dgram[i].iov_len);
	worker_judge_pending(w);	/* before release: they point into the batch */
	gen_leave(w->rd);
	w->g = NULL;
	worker_flush(w);
	w->tp->ops->release(w->tp, b);
	worker_batch_done(w, w->count[ST_PACKETS] - before, t0);
	worker_publish(w);
	return n;
}

/* A stop without loss. Unbinding drops whatever is still queued, and
 * packets keep arriving until then; so the queue is first closed to new
 * packets (they pass or are dropped as the rules say for a stopped
 * daemon), then everything already queued is answered, until the
 * kernel's count of waiting packets is 0 (or a second has gone by: a
 * message lost to a receive overrun never arrives). */
static void worker_drain(struct worker *w, struct tp_batch *b)
{
	uint32_t portid = mnl_socket_get_portid(w->nl);
	struct stats_kernel k;
	int tries;

	if (nfq_sock_quiesce(w->nl, w->queue, w->bypass) < 0)
		log_err("queue %u: cannot close the queue to new packets: %s", w->queue,
			strerror(errno));
	for (tries = 0; tries < 100; tries++) {
		while (worker_pump(w, b, 0) > 0)
			;
		if (stats_kernel_read(w->queue, portid, &k) < 0 || k.queue_total == 0)
			return;
		usleep(10000);
	}
	log_warn("queue %u: %u packets still queued at stop; the kernel drops them", w->queue,
		 k.queue_total);
}

static void worker_pin(struct worker *w)
{
	cpu_set_t set;
	int err;

	if (w->cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	err = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (err)
		log_warn("queue %u: cannot run on CPU %d: %s", w->queue, w->cpu, strerror(err));
}

/* Tests only: a worker that stopped going round its loop, as a deadlock
 * would leave it. Its packets wait unanswered and its heartbeat stands
 * still, so the watchdog stops pinging; the stop still ends it. */
static void worker_hung(struct worker *w)
{
	log_warn("queue %u: hanging on request (VERDICTD_TEST_HANG)", w->queue);
	while (!atomic_load_explicit(w->stop, memory_order_relaxed))
		usleep(100000);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct tp_batch *b = calloc(1, sizeof(*b));

	if (!b) {
		log_err("queue %u: out of memory", w->queue);
		return NULL;
	}
	worker_pin(w);
	while (!atomic_load_explicit(w->stop, memory_order_relaxed)) {
		if (worker_pump(w, b, 1) < 0)
			break;
		atomic_fetch_add_explicit(&w->heartbeat, 1, memory_order_relaxed);
		if (atomic_load_explicit(&w->hang, memory_order_relaxed))
			worker_hung(w);
	}
	worker_drain(w, b);
	worker_publish(w);
	stats_kernel_read(w->queue, mnl_socket_get_portid(w->nl), &w->kernel_at_exit);
	free(b);
	return NULL;
}

/* Room for a receive batch of the largest verdicts (one packet a
 * datagram, so at most @batch packets), each of which may close a run
 * before it, plus the run closers at the end. */
static size_t worker_verdict_room(uint32_t batch)
{
	return ((size_t)batch + 2) * 2 * NFQ_VERDICT_MAX_LEN;
}

struct worker *worker_open(const struct conf *c, const struct worker_setup *ws,
			   char *err, size_t errlen)
{
	size_t vsize = worker_verdict_room(c->batch);
	struct nfq_params qp = { c->copy_range, c->queue_maxlen, c->rcvbuf, c->fail_open };
	struct tp_params tp = { c->batch, c->copy_range, c->ring_buffers };
	struct worker *w = calloc(1, sizeof(*w));

	if (!w || !(w->vbuf = malloc(vsize))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	w->queue = ws->queue;
	w->cpu = ws->cpu;
	w->copy_range = c->copy_range;
	w->bypass = c->bypass;
	w->slot = ws->slot;
	w->rd = ws->rd;
	w->stop = ws->stop;
	w->index = (size_t)(ws->queue - c->queue_first);
	log_limit_init(&w->loglim, c->log_rate);
	if (flow_table_init(&w->flows) < 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	nfq_verdicts_init(&w->vd, w->vbuf, vsize, w->queue);
	if (!(w->nl = nfq_sock_open(w->queue, &qp, err, errlen)))
		goto fail;
	if (!(w->tp = transport_open(ws->kind, w->nl, &tp, ws->stop_fd, err, errlen)))
		goto fail;
	return w;
fail:
	worker_close(w);
	return NULL;
}

int worker_start(struct worker *w)
{
	int err = pthread_create(&w->thread, NULL, worker_main, w);

	w->started = err == 0;
	return err;
}

void worker_join(struct worker *w)
{
	if (w->started)
		pthread_join(w->thread, NULL);
	w->started = false;
}

void worker_close(struct worker *w)
{
	if (!w)
		return;
	worker_join(w);
	if (w->tp)
		w->tp->ops->close(w->tp);
	if (w->nl)
		nfq_sock_close(w->nl, w->queue);
	free(w->vbuf);
	flow_table_free(&w->flows);
	free(w);
}

uint64_t worker_heartbeat(const struct worker *w)
{
	return atomic_load_explicit(&w->heartbeat, memory_order_relaxed);
}

void worker_test_hang(struct worker *w)
{
	atomic_store(&w->hang, true);
}

void worker_format_stats(const struct worker *w, bool at_exit, char *buf, size_t len)
{
	struct stats_kernel k;

	worker_kernel_stats(w, at_exit, &k);
	stats_format(&w->stats, w->queue, &k, buf, len);
}
