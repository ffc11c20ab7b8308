/* transport.h - how queued packets reach the worker and verdicts leave it.
 *
 * A transport hands the worker batches of received datagrams (each holding
 * one or more netlink messages), takes a buffer of verdict messages to
 * send, and gets each batch back once its verdicts are handed over, so
 * that a transport which lends its own memory (a shared ring) can recycle
 * it. Two exist: "socket" (recvmmsg/sendmsg) and "ring" (io_uring: a
 * provided-buffer ring filled by a multishot recv, verdicts through the
 * submission ring). */
#ifndef VD_TRANSPORT_H
#define VD_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <libmnl/libmnl.h>

#define TP_BATCH_MAX 1024
#define TP_STOP (-2)		/* recv: the stop descriptor fired */
/* A waiting recv returns 0 after this long without packets, so that an
 * idle worker still goes round its loop and shows it is alive (the
 * watchdog, notify.h). */
#define TP_IDLE_MS 1000

struct tp_batch {
	size_t n;
	struct iovec dgram[TP_BATCH_MAX];
	uint16_t bid[TP_BATCH_MAX];	/* ring: the buffer each datagram is in */
};

/* Counters a transport keeps about itself. */
struct tp_counters {
	uint64_t recv_calls;	/* system calls that received (socket) or entered the ring */
	uint64_t send_calls;	/* system calls that sent */
	uint64_t enobufs;	/* socket overruns: the kernel lost packets */
	uint64_t truncated;	/* datagrams larger than a receive slot */
	uint64_t ring_empty;	/* ring: no free buffer when a packet came */
	uint64_t rearms;	/* ring: multishot receives started again */
	uint64_t send_errors;	/* verdict buffers refused, then sent again */
};

struct transport;

/* What a transport needs of the configuration. */
struct tp_params {
	uint32_t batch;		/* datagrams a receive takes at most */
	uint32_t copy_range;	/* bytes of a packet the kernel copies (slot size) */
	uint32_t ring_buffers;	/* ring: buffers in the buffer ring */
};

struct transport_ops {
	const char *name;
	/* Receives at most the batch size. With @wait, blocks until packets
	 * come, the stop descriptor fires (then returns TP_STOP) or TP_IDLE_MS
	 * pass (then returns 0); without, returns what is ready (0: nothing). Returns the number of datagrams,
	 * TP_STOP, or -1 with errno. Overruns are counted, not returned. */
	int (*recv)(struct transport *t, struct tp_batch *b, int wait);
	/* Hands over a buffer of verdict messages. The buffer must stay
	 * untouched until the next recv() returns: a transport may send it
	 * then. 0, or -1 with errno (after retries). */
	int (*send)(struct transport *t, const void *buf, size_t len);
	/* The batch's buffers are free again (after its verdicts were handed over). */
	void (*release)(struct transport *t, struct tp_batch *b);
	void (*close)(struct transport *t);
};

struct transport {
	const struct transport_ops *ops;
	struct tp_counters count;
};

enum tp_kind { TP_AUTO, TP_RING, TP_SOCKET };

/* transport_kind.c */
int transport_kind_parse(const char *s);	/* -1 if unknown */
const char *transport_kind_name(enum tp_kind k);

/* Decides which transport runs. For TP_AUTO probes io_uring (kernel
 * support, kernel.io_uring_disabled, seccomp or container policy, buffer
 * rings, multishot recv) and falls back to the socket; for TP_RING fails
 * (-1) when the probe does. @why says what was found, in a sentence. */
int transport_choose(enum tp_kind want, enum tp_kind *got, char *why, size_t len);

/* The legacy mmap'd netlink rings (NETLINK_RX_RING), probed for the log. */
void transport_probe_legacy_mmap(char *msg, size_t len);

/* Opens a transport of @kind on the bound queue socket @nl (not taken
 * over: the caller closes it). @stop_fd readable makes a waiting recv()
 * return TP_STOP. NULL with a sentence in @err on failure. */
struct transport *transport_open(enum tp_kind kind, struct mnl_socket *nl, const struct tp_params *p,
				 int stop_fd, char *err, size_t errlen);

struct transport *transport_socket_open(struct mnl_socket *nl, const struct tp_params *p, int stop_fd);
struct transport *transport_ring_open(struct mnl_socket *nl, const struct tp_params *tp, int stop_fd,
				      char *err, size_t errlen);

#endif
