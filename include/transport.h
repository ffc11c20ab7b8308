/* transport.h - how queued packets reach the worker and verdicts leave it.
 *
 * A transport hands the worker batches of received datagrams (each holding
 * one or more netlink messages), takes a buffer of verdict messages to
 * send, and gets each batch back once its verdicts are out, so that a
 * transport which lends its own memory (a shared ring) can recycle it. */
#ifndef VD_TRANSPORT_H
#define VD_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <libmnl/libmnl.h>

#define TP_BATCH_MAX 1024

struct tp_batch {
	size_t n;
	struct iovec dgram[TP_BATCH_MAX];
};

/* Counters a transport keeps about itself. */
struct tp_counters {
	uint64_t recv_calls;	/* receive system calls */
	uint64_t send_calls;	/* send system calls */
	uint64_t enobufs;	/* socket overruns: the kernel lost packets */
	uint64_t truncated;	/* datagrams larger than a receive slot */
};

struct transport;

struct transport_ops {
	const char *name;
	/* Receives what is ready without waiting, at most the batch size.
	 * Returns datagrams received (0: none ready) or -1 with errno. An
	 * overrun (ENOBUFS) is counted, not returned. */
	int (*recv)(struct transport *t, struct tp_batch *b);
	/* Sends a buffer of netlink messages. 0, or -1 with errno. */
	int (*send)(struct transport *t, const void *buf, size_t len);
	/* The batch's buffers are free again. */
	void (*release)(struct transport *t, struct tp_batch *b);
	/* A file descriptor that polls readable when packets are ready. */
	int (*fd)(const struct transport *t);
	void (*close)(struct transport *t);
};

struct transport {
	const struct transport_ops *ops;
	struct tp_counters count;
};

/* Batched recvmmsg() in, many verdicts per sendmsg() out. Takes over
 * @nl. */
struct transport *transport_socket_open(struct mnl_socket *nl, unsigned int batch,
					size_t slot_size);

#endif
