/* transport_socket.c - the socket transport: recvmmsg() fills up to a
 * batch of receive slots in one system call (the kernel sends one queued
 * packet per datagram), and one sendmsg() carries all verdicts of a batch,
 * which the kernel processes in order. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "transport.h"

struct transport_socket {
	struct transport base;
	struct mnl_socket *nl;
	int fd;
	int stop_fd;
	unsigned int batch;
	size_t slot_size;
	char *slots;
	struct mmsghdr *msgs;
	struct iovec *iov;
};

/* Blocks until the socket is readable (1), the stop descriptor fires (0)
 * or TP_IDLE_MS pass (2). */
static int sock_wait(struct transport_socket *s)
{
	struct pollfd pfd[2] = {
		{ .fd = s->fd, .events = POLLIN },
		{ .fd = s->stop_fd, .events = POLLIN },
	};

	for (;;) {
		int r = poll(pfd, 2, TP_IDLE_MS);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			return 2;
		if (pfd[1].revents)
			return 0;
		if (pfd[0].revents)
			return 1;
	}
}

static int sock_recv(struct transport *t, struct tp_batch *b, int wait)
{
	struct transport_socket *s = (struct transport_socket *)t;
	unsigned int i;
	int n;

	b->n = 0;
	for (;;) {
		n = recvmmsg(s->fd, s->msgs, s->batch, MSG_DONTWAIT, NULL);
		t->count.recv_calls++;
		if (n >= 0)
			break;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (!wait)
				return 0;
			n = sock_wait(s);
			if (n <= 0)
				return n == 0 ? TP_STOP : -1;
			if (n == 2)
				return 0;	/* idle: nothing came */
			continue;
		}
		/* The socket overran and the kernel dropped (or, fail-open,
		 * accepted) what did not fit: count it, carry on. */
		if (errno == ENOBUFS) {
			t->count.enobufs++;
			continue;
		}
		if (errno != EINTR)
			return -1;
	}
	for (i = 0; i < (unsigned int)n; i++) {
		if (s->msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
			t->count.truncated++;
		b->dgram[i].iov_base = s->iov[i].iov_base;
		b->dgram[i].iov_len = s->msgs[i].msg_len;
	}
	b->n = (size_t)n;
	return n;
}

/* A refused send is retried: the packets wait in the kernel until they get
 * their verdict. */
static int sock_send(struct transport *t, const void *buf, size_t len)
{
	struct transport_socket *s = (struct transport_socket *)t;
	int tries;

	for (tries = 0; tries < 100; tries++) {
		t->count.send_calls++;
		if (mnl_socket_sendto(s->nl, buf, len) >= 0)
			return 0;
		if (errno != ENOBUFS && errno != ENOMEM && errno != EAGAIN && errno != EINTR)
			return -1;
		t->count.send_errors++;
		usleep(1000);
	}
	return -1;
}

static void sock_release(struct transport *t, struct tp_batch *b)
{
	(void)t;
	b->n = 0;	/* the slots are ours: nothing to hand back */
}

static void sock_close(struct transport *t)
{
	struct transport_socket *s = (struct transport_socket *)t;

	free(s->slots);
	free(s->msgs);
	free(s->iov);
	free(s);
}

static const struct transport_ops socket_ops = {
	.name = "socket",
	.recv = sock_recv,
	.send = sock_send,
	.release = sock_release,
	.close = sock_close,
};

struct transport *transport_socket_open(struct mnl_socket *nl, const struct tp_params *p, int stop_fd)
{
	struct transport_socket *s = calloc(1, sizeof(*s));
	unsigned int i;

	if (!s)
		return NULL;
	s->base.ops = &socket_ops;
	s->nl = nl;
	s->fd = mnl_socket_get_fd(nl);
	s->stop_fd = stop_fd;
	s->batch = p->batch > TP_BATCH_MAX ? TP_BATCH_MAX : p->batch;
	/* A slot holds one packet message: the copied bytes plus attributes. */
	s->slot_size = p->copy_range + 1024;
	s->slots = malloc(s->batch * s->slot_size);
	s->msgs = calloc(s->batch, sizeof(*s->msgs));
	s->iov = calloc(s->batch, sizeof(*s->iov));
	if (!s->slots || !s->msgs || !s->iov) {
		sock_close(&s->base);
		return NULL;
	}
	for (i = 0; i < s->batch; i++) {
		s->iov[i].iov_base = s->slots + i * s->slot_size;
		s->iov[i].iov_len = s->slot_size;
		s->msgs[i].msg_hdr.msg_iov = &s->iov[i];
		s->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	return &s->base;
}
