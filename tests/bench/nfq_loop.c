/* nfq_loop.c - the per-packet consumer a user would write by hand, after
 * libnetfilter_queue's own example (examples/nf-queue.c): receive one
 * packet, send its verdict, repeat. The benchmarks' baseline.
 *
 *   nfq_loop -q QUEUE -v accept|drop [-c COPY_RANGE] [-n EXIT_AFTER]
 *
 * Same queue settings as verdictd (copy range 256, max length 65536, GSO,
 * forced receive buffer) so that only the consumer differs. SIGUSR1 and
 * exit print "packets N". */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

static struct mnl_socket *nl;
static unsigned int queue_num;
static int verdict = NF_ACCEPT;
static unsigned long packets;
static volatile sig_atomic_t report, quit;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		report = 1;
	else
		quit = 1;
}

static int queue_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nlattr *attr[NFQA_MAX + 1] = { 0 };
	struct nfqnl_msg_packet_hdr *ph;
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *v;

	(void)data;
	if (nfq_nlmsg_parse(nlh, attr) < 0 || !attr[NFQA_PACKET_HDR])
		return MNL_CB_ERROR;
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	v = nfq_nlmsg_put(buf, NFQNL_MSG_VERDICT, queue_num);
	nfq_nlmsg_verdict_put(v, (int)ntohl(ph->packet_id), verdict);
	if (mnl_socket_sendto(nl, v, v->nlmsg_len) < 0)
		perror("nfq_loop: verdict");
	packets++;
	return MNL_CB_OK;
}

int main(int argc, char **argv)
{
	size_t size = MNL_SOCKET_BUFFER_SIZE;
	char *buf = malloc(size);
	struct nlmsghdr *nlh;
	unsigned long exit_after = 0;
	int opt, rcvbuf = 512 << 20, range = 256;

	while ((opt = getopt(argc, argv, "q:v:c:n:")) != -1) {
		switch (opt) {
		case 'q': queue_num = (unsigned int)atoi(optarg); break;
		case 'v': verdict = strcmp(optarg, "drop") == 0 ? NF_DROP : NF_ACCEPT; break;
		case 'c': range = atoi(optarg); break;
		case 'n': exit_after = strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: nfq_loop -q QUEUE -v accept|drop [-c RANGE] [-n N]\n");
			return 2;
		}
	}
	{
		/* No SA_RESTART: a signal interrupts the blocking recv. */
		struct sigaction sa = { .sa_handler = on_signal };

		sigaction(SIGUSR1, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("nfq_loop: socket");
		return 1;
	}
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf));
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue_num);
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		perror("nfq_loop: bind");
		return 1;
	}
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue_num);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, range);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, 65536);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(NFQA_CFG_F_GSO));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_GSO));
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		perror("nfq_loop: config");
		return 1;
	}
	fprintf(stderr, "nfq_loop: ready\n");
	while (!quit && (!exit_after || packets < exit_after)) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, size);

		if (report) {
			report = 0;
			fprintf(stderr, "nfq_loop: packets %lu\n", packets);
		}
		if (n < 0) {
			if (errno == EINTR || errno == ENOBUFS)
				continue;
			perror("nfq_loop: recv");
			break;
		}
		mnl_cb_run(buf, (size_t)n, 0, mnl_socket_get_portid(nl), queue_cb, NULL);
	}
	fprintf(stderr, "nfq_loop: packets %lu\n", packets);
	mnl_socket_close(nl);
	free(buf);
	return 0;
}
