/* transport_ring.c - the ring transport, on io_uring.
 *
 * RX: a provided-buffer ring, memory shared with the kernel and registered
 * with io_uring_register_buf_ring(), into which one multishot recv on the
 * queue socket writes each datagram (one queued packet); completions come
 * through the mmap'd completion ring. The worker parses packets where the
 * kernel wrote them: no copy in userspace. A buffer goes back to the ring
 * (a store and an index bump, no system call) once the verdicts of its
 * batch have been submitted.
 *
 * TX: the batch's verdict buffer goes out as one send in the submission
 * ring. It is submitted by the same io_uring_enter() that collects the
 * next packets, so under load a batch costs one system call, where the
 * socket transport needs two (recvmmsg and sendmsg).
 *
 * Multishot termination (no F_MORE), an empty buffer ring and socket
 * overruns (both reported as -ENOBUFS; told apart by whether we had
 * buffers left) are counted and followed by a new multishot recv: packets
 * not yet received wait in the socket, nothing is lost. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <liburing.h>

#include "transport.h"

#define RING_BGID 1
#define RING_FILE 0		/* the queue socket, as registered file 0 */

enum { UD_RECV = 1, UD_SEND };

struct transport_ring {
	struct transport base;
	struct io_uring ring;
	bool ring_ok;
	int fd;
	int stop_fd;
	unsigned int batch;
	struct io_uring_buf_ring *br;
	unsigned int nbufs;		/* a power of two */
	unsigned int buf_size;
	char *bufs;
	unsigned int in_ring;		/* buffers the kernel may fill */
	uint16_t *to_return;		/* released, back once the verdicts are submitted */
	unsigned int nreturn;
	/* Received, not yet handed out: completions are taken all at once (a
	 * send's completion may sit behind many receives), handed out a batch
	 * at a time. At most nbufs, as each holds a buffer. */
	uint16_t *pend_bid;
	uint32_t *pend_len;
	unsigned int pend_head, npend;
	bool armed;			/* a multishot recv is active */
	bool first_arm;			/* not armed yet: not counted as a re-arm */
	bool stopped;
	unsigned int sends_inflight;
	int send_error;			/* errno of a refused verdict send */
	const void *send_buf;
	size_t send_len;
};

static struct io_uring_sqe *ring_sqe(struct transport_ring *r)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);

	if (!sqe) {
		io_uring_submit(&r->ring);
		sqe = io_uring_get_sqe(&r->ring);
	}
	return sqe;
}

static int ring_arm(struct transport_ring *r)
{
	struct io_uring_sqe *sqe = ring_sqe(r);

	if (!sqe)
		return -1;
	io_uring_prep_recv_multishot(sqe, RING_FILE, NULL, 0, 0);
	sqe->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
	sqe->buf_group = RING_BGID;
	io_uring_sqe_set_data64(sqe, UD_RECV);
	r->armed = true;
	r->base.count.rearms += !r->first_arm;
	r->first_arm = false;
	return 0;
}

static int ring_queue_send(struct transport_ring *r)
{
	struct io_uring_sqe *sqe = ring_sqe(r);

	if (!sqe)
		return -1;
	io_uring_prep_send(sqe, RING_FILE, r->send_buf, r->send_len, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, UD_SEND);
	r->sends_inflight++;
	return 0;
}

static void ring_return_buffers(struct transport_ring *r)
{
	unsigned int mask = io_uring_buf_ring_mask(r->nbufs), i;

	for (i = 0; i < r->nreturn; i++)
		io_uring_buf_ring_add(r->br, r->bufs + (size_t)r->to_return[i] * r->buf_size,
				      r->buf_size, r->to_return[i], mask, (int)i);
	io_uring_buf_ring_advance(r->br, (int)r->nreturn);
	r->in_ring += r->nreturn;
	r->nreturn = 0;
}

static void ring_on_recv(struct transport_ring *r, const struct io_uring_cqe *cqe)
{
	if (!(cqe->flags & IORING_CQE_F_MORE))
		r->armed = false;
	if (cqe->flags & IORING_CQE_F_BUFFER) {
		uint16_t bid = (uint16_t)(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
		unsigned int tail = (r->pend_head + r->npend) & (r->nbufs - 1);

		r->in_ring--;
		if (cqe->res <= 0) {
			r->to_return[r->nreturn++] = bid;
			return;
		}
		r->pend_bid[tail] = bid;
		r->pend_len[tail] = (uint32_t)cqe->res;
		r->npend++;
		return;
	}
	if (cqe->res == -ENOBUFS) {
		if (r->in_ring == 0)
			r->base.count.ring_empty++;
		else
			r->base.count.enobufs++;
	}
}

static void ring_reap(struct transport_ring *r)
{
	struct io_uring_cqe *cqe;
	unsigned int head, seen = 0;

	io_uring_for_each_cqe(&r->ring, head, cqe) {
		seen++;
		switch (io_uring_cqe_get_data64(cqe)) {
		case UD_RECV:
			ring_on_recv(r, cqe);
			break;
		case UD_SEND:
			r->sends_inflight--;
			if (cqe->res < 0)
				r->send_error = -cqe->res;
			break;
		}
	}
	io_uring_cq_advance(&r->ring, seen);
}

/* Hands out up to a batch of received datagrams, where the kernel wrote them. */
static void ring_take(struct transport_ring *r, struct tp_batch *b)
{
	while (r->npend > 0 && b->n < r->batch) {
		uint16_t bid = r->pend_bid[r->pend_head];

		b->dgram[b->n].iov_base = r->bufs + (size_t)bid * r->buf_size;
		b->dgram[b->n].iov_len = r->pend_len[r->pend_head];
		b->bid[b->n] = bid;
		b->n++;
		r->pend_head = (r->pend_head + 1) & (r->nbufs - 1);
		r->npend--;
	}
}

/* Sleeps until completions are posted or the stop descriptor fires. A
 * poll() on the ring's descriptor rather than a waiting io_uring_enter():
 * the socket wakes us through io_uring task work either way, and poll()
 * also watches the stop descriptor (and, unlike io_uring_enter, tools such
 * as valgrind know it blocks). Under load it is never reached: there are
 * always completions to take. 1 when TP_IDLE_MS passed with nothing. */
static int ring_wait(struct transport_ring *r)
{
	struct pollfd pfd[2] = {
		{ .fd = r->ring.ring_fd, .events = POLLIN },
		{ .fd = r->stop_fd, .events = POLLIN },
	};

	int n = poll(pfd, 2, TP_IDLE_MS);

	if (n < 0 && errno != EINTR)
		return -1;
	if (n == 0)
		return 1;
	if (pfd[1].revents)
		r->stopped = true;
	return 0;
}

static int ring_recv(struct transport *t, struct tp_batch *b, int wait)
{
	struct transport_ring *r = (struct transport_ring *)t;
	int ret, rounds = 0, resends = 0;

	b->n = 0;
	for (;;) {
		if (!r->armed && r->in_ring > 0 && ring_arm(r) < 0)
			return -1;
		/* One enter submits the last batch's verdicts and the re-arm,
		 * and collects what completed. */
		ret = io_uring_submit_and_get_events(&r->ring);
		t->count.recv_calls++;
		if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY) {
			errno = -ret;
			return -1;
		}
		ring_reap(r);
		if (r->send_error) {
			/* Refused (ENOBUFS, ENOMEM): the packets wait in the
			 * kernel; the buffer is intact until we return. */
			t->count.send_errors++;
			if (++resends > 100 || (r->send_error != ENOBUFS && r->send_error != ENOMEM &&
						r->send_error != EAGAIN)) {
				errno = r->send_error;
				r->send_error = 0;
				return -1;
			}
			r->send_error = 0;
			usleep(1000);
			if (ring_queue_send(r) < 0)
				return -1;
			continue;
		}
		if (r->sends_inflight > 0)
			continue;	/* the send must complete before its buffer is reused */
		/* The last batch's verdicts are out: its buffers go back. */
		ring_return_buffers(r);
		ring_take(r, b);
		if (b->n > 0)
			return (int)b->n;
		if (r->stopped)
			return TP_STOP;
		if (!wait) {
			/* One more round if the recv had to be re-armed, so
			 * that a drain sees what waits in the socket. */
			if (r->armed || ++rounds > 1)
				return 0;
			continue;
		}
		if (r->armed && io_uring_cq_ready(&r->ring) == 0) {
			int idle = ring_wait(r);

			if (idle != 0)
				return idle < 0 ? -1 : 0;
		}
	}
}

static int ring_send(struct transport *t, const void *buf, size_t len)
{
	struct transport_ring *r = (struct transport_ring *)t;

	r->send_buf = buf;
	r->send_len = len;
	return ring_queue_send(r);
}

static void ring_release(struct transport *t, struct tp_batch *b)
{
	struct transport_ring *r = (struct transport_ring *)t;
	size_t i;

	for (i = 0; i < b->n; i++)
		r->to_return[r->nreturn++] = b->bid[i];
	b->n = 0;
	/* Nothing to send (e.g. only kernel acks received): return now. */
	if (r->sends_inflight == 0 && io_uring_sq_ready(&r->ring) == 0)
		ring_return_buffers(r);
}

static void ring_close(struct transport *t)
{
	struct transport_ring *r = (struct transport_ring *)t;

	if (r->ring_ok) {
		if (r->br)
			io_uring_unregister_buf_ring(&r->ring, RING_BGID);
		io_uring_queue_exit(&r->ring);
	}
	free(r->br);
	free(r->bufs);
	free(r->to_return);
	free(r->pend_bid);
	free(r->pend_len);
	free(r);
}

static const struct transport_ops ring_ops = {
	.name = "ring",
	.recv = ring_recv,
	.send = ring_send,
	.release = ring_release,
	.close = ring_close,
};

static int ring_setup_buffers(struct transport_ring *r, char *err, size_t errlen)
{
	struct io_uring_buf_reg reg = { 0 };
	size_t ring_bytes = r->nbufs * sizeof(struct io_uring_buf);
	unsigned int i;
	int ret;

	if (posix_memalign((void **)&r->br, 4096, ring_bytes) != 0 ||
	    posix_memalign((void **)&r->bufs, 4096, (size_t)r->nbufs * r->buf_size) != 0 ||
	    !(r->to_return = calloc(r->nbufs, sizeof(*r->to_return))) ||
	    !(r->pend_bid = calloc(r->nbufs, sizeof(*r->pend_bid))) ||
	    !(r->pend_len = calloc(r->nbufs, sizeof(*r->pend_len)))) {
		snprintf(err, errlen, "out of memory for %u ring buffers", r->nbufs);
		return -1;
	}
	memset(r->br, 0, ring_bytes);
	reg.ring_addr = (unsigned long)r->br;
	reg.ring_entries = r->nbufs;
	reg.bgid = RING_BGID;
	ret = io_uring_register_buf_ring(&r->ring, &reg, 0);
	if (ret < 0) {
		snprintf(err, errlen, "cannot register the provided-buffer ring: %s", strerror(-ret));
		return -1;
	}
	io_uring_buf_ring_init(r->br);
	for (i = 0; i < r->nbufs; i++)
		r->to_return[r->nreturn++] = (uint16_t)i;
	ring_return_buffers(r);
	return 0;
}

struct transport *transport_ring_open(struct mnl_socket *nl, const struct tp_params *tp, int stop_fd,
				      char *err, size_t errlen)
{
	struct transport_ring *r = calloc(1, sizeof(*r));
	struct io_uring_params p = { .flags = IORING_SETUP_COOP_TASKRUN };
	int ret;

	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->base.ops = &ring_ops;
	r->fd = mnl_socket_get_fd(nl);
	r->stop_fd = stop_fd;
	r->batch = tp->batch > TP_BATCH_MAX ? TP_BATCH_MAX : tp->batch;
	r->nbufs = tp->ring_buffers;
	r->buf_size = tp->copy_range + 1024;
	ret = io_uring_queue_init_params(256, &r->ring, &p);
	if (ret < 0) {
		snprintf(err, errlen, "cannot set up io_uring: %s", strerror(-ret));
		goto fail;
	}
	r->ring_ok = true;
	ret = io_uring_register_files(&r->ring, &r->fd, 1);
	if (ret < 0) {
		snprintf(err, errlen, "cannot register the queue socket with io_uring: %s", strerror(-ret));
		goto fail;
	}
	if (ring_setup_buffers(r, err, errlen) < 0)
		goto fail;
	/* The multishot recv is armed by the worker's first ring_recv, not
	 * here: its completions' task work goes to the thread that submitted
	 * it, and the main thread (which opens the transports) would then be
	 * interrupted with EINTR in every blocking call it makes (control
	 * socket, netlink) for as long as packets arrive. */
	r->first_arm = true;
	return &r->base;
fail:
	ring_close(&r->base);
	return NULL;
}
