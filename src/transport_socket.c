/* transport_socket.c - the socket transport: recvmmsg() fills up to a
 * batch of receive slots in one system call (the kernel sends one queued
 * packet per datagram), and one sendmsg() carries all verdicts of a batch,
 * which the kernel processes in order. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "transport.h"

struct transport_socket {
	struct transport base;
	struct mnl_socket *nl;
	int fd;
	unsigned int batch;
	size_t slot_size;
	char *slots;
	struct mmsghdr *msgs;
	struct iovec *iov;
};

static int sock_recv(struct transport *t, struct tp_batch *b)
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
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
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

static int sock_send(struct transport *t, const void *buf, size_t len)
{
	struct transport_socket *s = (struct transport_socket *)t;
	ssize_t n;

	t->count.send_calls++;
	n = mnl_socket_sendto(s->nl, buf, len);
	return n < 0 ? -1 : 0;
}

static void sock_release(struct transport *t, struct tp_batch *b)
{
	(void)t;
	b->n = 0;	/* the slots are ours: nothing to hand back */
}

static int sock_fd(const struct transport *t)
{
	return ((const struct transport_socket *)t)->fd;
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
	.fd = sock_fd,
	.close = sock_close,
};

struct transport *transport_socket_open(struct mnl_socket *nl, unsigned int batch,
					size_t slot_size)
{
	struct transport_socket *s = calloc(1, sizeof(*s));
	unsigned int i;

	if (!s)
		return NULL;
	if (batch > TP_BATCH_MAX)
		batch = TP_BATCH_MAX;
	s->base.ops = &socket_ops;
	s->nl = nl;
	s->fd = mnl_socket_get_fd(nl);
	s->batch = batch;
	s->slot_size = slot_size;
	s->slots = malloc(batch * slot_size);
	s->msgs = calloc(batch, sizeof(*s->msgs));
	s->iov = calloc(batch, sizeof(*s->iov));
	if (!s->slots || !s->msgs || !s->iov) {
		sock_close(&s->base);
		return NULL;
	}
	for (i = 0; i < batch; i++) {
		s->iov[i].iov_base = s->slots + i * slot_size;
		s->iov[i].iov_len = slot_size;
		s->msgs[i].msg_hdr.msg_iov = &s->iov[i];
		s->msgs[i].msg_hdr.msg_iovlen = 1;
	}
	return &s->base;
}
