/* nfq.c - nfnetlink_queue messages, built and parsed with libmnl and
 * libnetfilter_queue's nlmsg helpers. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "nfq.h"
#include "stats.h"

/* --- queued packets ---------------------------------------------------- */

int nfq_packet_parse(const struct nlmsghdr *nlh, struct nfq_packet *p)
{
	struct nlattr *attr[NFQA_MAX + 1] = { 0 };
	const struct nfqnl_msg_packet_hdr *ph;

	memset(p, 0, sizeof(*p));
	if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR] ||
	    mnl_attr_get_payload_len(attr[NFQA_PACKET_HDR]) < sizeof(*ph))
		return -1;
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	p->id = ntohl(ph->packet_id);
	p->hw_protocol = ntohs(ph->hw_protocol);
	p->hook = ph->hook;
	if (attr[NFQA_PAYLOAD]) {
		p->payload = mnl_attr_get_payload(attr[NFQA_PAYLOAD]);
		p->len = mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]);
	}
	/* Sent only when the copy range cut the packet. */
	p->wire = p->len;
	if (attr[NFQA_CAP_LEN] && mnl_attr_get_payload_len(attr[NFQA_CAP_LEN]) >= 4 &&
	    ntohl(mnl_attr_get_u32(attr[NFQA_CAP_LEN])) > p->len)
		p->wire = ntohl(mnl_attr_get_u32(attr[NFQA_CAP_LEN]));
	if (attr[NFQA_IFINDEX_INDEV])
		p->iif = ntohl(mnl_attr_get_u32(attr[NFQA_IFINDEX_INDEV]));
	if (attr[NFQA_IFINDEX_OUTDEV])
		p->oif = ntohl(mnl_attr_get_u32(attr[NFQA_IFINDEX_OUTDEV]));
	if (attr[NFQA_SKB_INFO])
		p->skbinfo = ntohl(mnl_attr_get_u32(attr[NFQA_SKB_INFO]));
	if (attr[NFQA_MARK])
		p->mark = ntohl(mnl_attr_get_u32(attr[NFQA_MARK]));
	return 0;
}

/* --- queue setup ------------------------------------------------------- */

/* A packet can be queued between the bind and our reading of its
 * acknowledgement; it is sent back through the hook (NF_REPEAT) to be
 * queued again, now that the queue is set up, rather than left without a
 * verdict. */
static int setup_packet_cb(const struct nlmsghdr *nlh, void *data)
{
	struct mnl_socket *nl = data;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nfq_packet p;
	struct nlmsghdr *v;

	if (NFNL_MSG_TYPE(nlh->nlmsg_type) != NFQNL_MSG_PACKET || nfq_packet_parse(nlh, &p) < 0)
		return MNL_CB_OK;
	v = nfq_nlmsg_put(buf, NFQNL_MSG_VERDICT, ntohs(((struct nfgenmsg *)mnl_nlmsg_get_payload(nlh))->res_id));
	nfq_nlmsg_verdict_put(v, (int)p.id, NF_REPEAT);
	mnl_socket_sendto(nl, v, v->nlmsg_len);
	return MNL_CB_OK;
}

/* Sends one config message and waits for its acknowledgement. */
static int nfq_sock_request(struct mnl_socket *nl, struct nlmsghdr *nlh)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	uint32_t portid = mnl_socket_get_portid(nl);
	uint32_t seq = nlh->nlmsg_seq = (uint32_t)time(NULL);
	ssize_t n;
	int ret;

	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0 && errno == ENOBUFS)
			continue;
		if (n < 0)
			return -1;
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, setup_packet_cb, nl);
	} while (ret == MNL_CB_OK);
	return ret < 0 ? -1 : 0;
}

/* Binds the queue and sets it up in one message, which the kernel handles
 * in order: bind, copy mode, maximum length, flags. */
static int nfq_sock_configure(struct mnl_socket *nl, uint16_t queue, const struct nfq_params *c,
			      char *err, size_t errlen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue);
	uint32_t flags = NFQA_CFG_F_GSO;
	struct stats_kernel k;

	if (c->fail_open)
		flags |= NFQA_CFG_F_FAIL_OPEN;
	nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_BIND);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, (int)c->copy_range);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, c->queue_maxlen);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(flags));
	if (nfq_sock_request(nl, nlh) == 0)
		return 0;
	/* The kernel says EPERM both to a caller without CAP_NET_ADMIN and
	 * for a queue another socket holds; /proc tells which. */
	if (errno == EPERM && stats_kernel_read(queue, 0, &k) == 0 && k.portid != mnl_socket_get_portid(nl))
		snprintf(err, errlen, "queue %u is already bound by another process"
			 " (netlink port %u in /proc/net/netfilter/nfnetlink_queue): stop it or"
			 " choose another queue", queue, k.portid);
	else if (errno == EPERM)
		snprintf(err, errlen, "binding queue %u needs CAP_NET_ADMIN:"
			 " run verdictd as root", queue);
	else
		snprintf(err, errlen, "cannot bind and set up queue %u (copy range %u,"
			 " max length %u, flags 0x%x): %s", queue, c->copy_range, c->queue_maxlen,
			 flags, strerror(errno));
	return -1;
}

struct mnl_socket *nfq_sock_open(uint16_t queue, const struct nfq_params *c, char *err, size_t errlen)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	int size = (int)c->rcvbuf;

	if (!nl) {
		snprintf(err, errlen, "cannot open a netfilter netlink socket: %s",
			 strerror(errno));
		return NULL;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "cannot bind the netlink socket: %s", strerror(errno));
		goto fail;
	}
	/* A burst of new flows must fit in the socket while we judge the
	 * previous batch: force the size past net.core.rmem_max. */
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0 &&
	    setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) < 0) {
		snprintf(err, errlen, "cannot set the receive buffer to %d bytes: %s",
			 size, strerror(errno));
		goto fail;
	}
	if (nfq_sock_configure(nl, queue, c, err, errlen) < 0)
		goto fail;
	return nl;
fail:
	mnl_socket_close(nl);
	return NULL;
}

int nfq_sock_quiesce(struct mnl_socket *nl, uint16_t queue, bool pass)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue);

	/* A full queue passes or drops what arrives (NFQA_CFG_F_FAIL_OPEN),
	 * just as the rules do with no daemon bound; a length of 0 makes it
	 * full for good. Without NLM_F_ACK: packets are in flight on this
	 * socket, and a refusal still comes back, as an error the worker
	 * counts. */
	nfq_nlmsg_cfg_put_qmaxlen(nlh, 0);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(pass ? NFQA_CFG_F_FAIL_OPEN : 0));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_FAIL_OPEN));
	return mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0 ? -1 : 0;
}

void nfq_sock_close(struct mnl_socket *nl, uint16_t queue)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue);

	/* Without NLM_F_ACK: packets may be in flight on the socket and the
	 * close below ends the binding anyway. */
	nfq_nlmsg_cfg_put_cmd(nlh, AF_UNSPEC, NFQNL_CFG_CMD_UNBIND);
	mnl_socket_sendto(nl, nlh, nlh->nlmsg_len);
	mnl_socket_close(nl);
}

/* --- verdicts ---------------------------------------------------------- */

void nfq_verdicts_init(struct nfq_verdicts *v, void *buf, size_t size, uint16_t queue)
{
	memset(v, 0, sizeof(*v));
	v->buf = buf;
	v->size = size;
	v->queue = queue;
}

void nfq_verdicts_reset(struct nfq_verdicts *v)
{
	v->len = 0;
	v->run_open = false;
	v->run_count = 0;
}

static struct nlmsghdr *verdict_msg(struct nfq_verdicts *v, int type, uint32_t id, uint32_t verdict)
{
	struct nlmsghdr *nlh = nfq_nlmsg_put(v->buf + v->len, type, v->queue);

	nfq_nlmsg_verdict_put(nlh, (int)id, (int)verdict);
	v->msgs++;
	return nlh;
}

static void run_close(struct nfq_verdicts *v)
{
	struct nlmsghdr *nlh;

	if (!v->run_open)
		return;
	/* A run of one is an ordinary verdict: same size, no id range. */
	nlh = verdict_msg(v, v->run_count > 1 ? NFQNL_MSG_VERDICT_BATCH : NFQNL_MSG_VERDICT,
			  v->run_last_id, v->run_verdict);
	if (v->run_has_mark)
		nfq_nlmsg_verdict_put_mark(nlh, v->run_mark);
	if (v->run_count > 1)
		v->batch_msgs++;
	v->len += NLMSG_ALIGN(nlh->nlmsg_len);
	v->run_open = false;
	v->run_count = 0;
}

int nfq_verdicts_add(struct nfq_verdicts *v, uint32_t id, uint32_t verdict, const uint32_t *mark)
{
	/* Room for closing the open run and the one this may open. */
	if (v->len + 2 * NFQ_VERDICT_MAX_LEN > v->size)
		return -1;
	if (v->run_open && (v->run_verdict != verdict || v->run_has_mark != (mark != NULL) ||
			    (mark && v->run_mark != *mark)))
		run_close(v);
	v->run_open = true;
	v->run_last_id = id;
	v->run_verdict = verdict;
	v->run_has_mark = mark != NULL;
	v->run_mark = mark ? *mark : 0;
	v->run_count++;
	return 0;
}

size_t nfq_verdicts_finish(struct nfq_verdicts *v)
{
	run_close(v);
	return v->len;
}
