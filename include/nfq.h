/* nfq.h - nfnetlink_queue messages: the queue socket's setup, parsing of
 * queued packets, and verdicts built in batches. */
#ifndef VD_NFQ_H
#define VD_NFQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>

/* A queued packet as the kernel described it. Pointers point into the
 * receive buffer: valid until the transport recycles it. */
struct nfq_packet {
	uint32_t id;
	uint16_t hw_protocol;	/* ETH_P_IP / ETH_P_IPV6, host order */
	uint8_t hook;		/* NF_INET_LOCAL_IN, NF_INET_FORWARD, ... */
	const uint8_t *payload;
	uint32_t len;		/* captured bytes */
	uint32_t wire;		/* the packet's length (NFQA_CAP_LEN), >= len */
	uint32_t iif;
	uint32_t oif;
	uint32_t skbinfo;	/* NFQA_SKB_* */
	uint32_t mark;		/* the packet mark (skb->mark) */
};

/* Whether a whole netlink message starts at @nlh within @len bytes. Use it
 * instead of mnl_nlmsg_ok(): libmnl 1.0.4 compares the length as a signed
 * int, so a length above 2^31 passes its check (found by fuzzing). */
static inline bool nfq_nlmsg_ok(const struct nlmsghdr *nlh, int len)
{
	return len >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	       nlh->nlmsg_len <= (unsigned int)len;
}

/* Parses one NFQNL_MSG_PACKET. Returns 0, or -1 if it carries no packet
 * id (there is then nothing to give a verdict to). A missing payload is
 * left for the caller to judge (payload NULL, len 0). */
int nfq_packet_parse(const struct nlmsghdr *nlh, struct nfq_packet *p);

/* What the queue socket needs of the configuration. */
struct nfq_params {
	uint32_t copy_range;	/* bytes of each packet copied to us */
	uint32_t queue_maxlen;
	uint32_t rcvbuf;	/* bytes, forced (SO_RCVBUFFORCE) */
	bool fail_open;		/* NFQA_CFG_F_FAIL_OPEN */
};

/* Queue setup on a netlink socket (blocking, each step acknowledged).
 * NULL with a sentence in @err. */
struct mnl_socket *nfq_sock_open(uint16_t queue, const struct nfq_params *p, char *err,
				 size_t errlen);
/* The first step of a stop without loss: the kernel queues nothing more
 * on @queue; what arrives from now on is accepted as with --queue-bypass
 * (@pass) or dropped, as it would be with no daemon. What is already
 * queued stays, to be answered before nfq_sock_close. -1 with errno. */
int nfq_sock_quiesce(struct mnl_socket *nl, uint16_t queue, bool pass);
/* Unbinds our own queue (never a per-family unbind), then closes. Packets
 * still queued are dropped by the kernel. */
void nfq_sock_close(struct mnl_socket *nl, uint16_t queue);

/* Verdicts for one queue, accumulated in a caller-owned buffer and handed
 * to the transport in one piece (one sendmsg, or one send in the ring). Packets must be added in the order they were received
 * (increasing id). Consecutive packets that get the same verdict and the
 * same packet mark (or none) form a run, sent as one
 * NFQNL_MSG_VERDICT_BATCH: the kernel applies it to every still-queued id
 * up to the run's last, and every earlier id already had its verdict
 * earlier in the same buffer, so the batch covers exactly the run. */
struct nfq_verdicts {
	char *buf;
	size_t size;
	size_t len;
	uint16_t queue;
	bool run_open;
	bool run_has_mark;
	uint32_t run_mark;
	uint32_t run_last_id;
	uint32_t run_verdict;
	uint32_t run_count;
	uint64_t msgs;		/* verdict messages built */
	uint64_t batch_msgs;	/* of which NFQNL_MSG_VERDICT_BATCH */
};

#define NFQ_VERDICT_MAX_LEN 128	/* the largest one verdict message gets */

void nfq_verdicts_init(struct nfq_verdicts *v, void *buf, size_t size, uint16_t queue);
/* @mark: the packet mark to set, or NULL to leave it. Returns -1 when the
 * buffer has no room: send, reset, add again. */
int nfq_verdicts_add(struct nfq_verdicts *v, uint32_t id, uint32_t verdict, const uint32_t *mark);
/* Closes the open run; returns the number of bytes to send. */
size_t nfq_verdicts_finish(struct nfq_verdicts *v);
void nfq_verdicts_reset(struct nfq_verdicts *v);

#endif
