/* ctfill.c - fills the conntrack table with N UDP entries, for the
 * revalidation benchmark (tests/bench/liveset.sh):
 *
 *   ctfill N MARK
 *
 * Entry i is 10.8.x.y:(1024 + i / 65536) -> 10.9.0.1:53 (x.y = i % 65536),
 * with the given mark and a 600 s timeout, as if verdictd had judged it.
 * Created in batches of netlink messages without an ACK each (conntrack -I
 * per entry would take minutes for a million); the kernel's refusals are
 * counted. Prints "created N refused R in S s". Exit 0, or 1. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#define BATCH_BYTES (64 * 1024)

static size_t refused;

static void read_errors(struct mnl_socket *nl)
{
	static char buf[16384];
	ssize_t n;

	while ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) > 0) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int len = (int)n;

		for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len))
			if (nlh->nlmsg_type == NLMSG_ERROR &&
			    ((const struct nlmsgerr *)mnl_nlmsg_get_payload(nlh))->error)
				refused++;
	}
}

static int send_batch(struct mnl_socket *nl, struct mnl_nlmsg_batch *b)
{
	while (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(b), mnl_nlmsg_batch_size(b)) < 0) {
		if (errno != EAGAIN && errno != ENOBUFS)
			return -1;
		read_errors(nl);
	}
	read_errors(nl);
	mnl_nlmsg_batch_reset(b);
	return 0;
}

static void put_entry(struct mnl_nlmsg_batch *b, struct nf_conntrack *ct, unsigned long i, uint32_t mark)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(mnl_nlmsg_batch_current(b));
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
	nlh->nlmsg_seq = (uint32_t)i;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_INET;
	nfg->version = NFNETLINK_V0;
	nfct_set_attr_u8(ct, ATTR_L3PROTO, AF_INET);
	nfct_set_attr_u32(ct, ATTR_IPV4_SRC, htonl(0x0a080000u | (uint32_t)(i & 0xffff)));
	nfct_set_attr_u32(ct, ATTR_IPV4_DST, htonl(0x0a090001u));
	nfct_set_attr_u8(ct, ATTR_L4PROTO, IPPROTO_UDP);
	nfct_set_attr_u16(ct, ATTR_PORT_SRC, htons((uint16_t)(1024 + i / 65536)));
	nfct_set_attr_u16(ct, ATTR_PORT_DST, htons(53));
	nfct_setobjopt(ct, NFCT_SOPT_SETUP_REPLY);
	nfct_set_attr_u32(ct, ATTR_TIMEOUT, 600);
	nfct_set_attr_u32(ct, ATTR_MARK, mark);
	nfct_nlmsg_build(nlh, ct);
}

int main(int argc, char **argv)
{
	char *buf = malloc(BATCH_BYTES + MNL_SOCKET_BUFFER_SIZE);
	struct mnl_socket *nl;
	struct mnl_nlmsg_batch *b;
	struct nf_conntrack *ct = nfct_new();
	struct timespec t0, t1;
	unsigned long n, i;
	uint32_t mark;
	int size = 8 << 20;

	if (argc != 3) {
		fprintf(stderr, "usage: ctfill N MARK\n");
		return 1;
	}
	n = strtoul(argv[1], NULL, 10);
	mark = (uint32_t)strtoul(argv[2], NULL, 0);
	nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK);
	if (!buf || !nl || !ct || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("ctfill: netlink");
		return 1;
	}
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size));
	b = mnl_nlmsg_batch_start(buf, BATCH_BYTES);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		put_entry(b, ct, i, mark);
		if (!mnl_nlmsg_batch_next(b) && send_batch(nl, b) < 0) {
			perror("ctfill: send");
			return 1;
		}
	}
	if (send_batch(nl, b) < 0) {
		perror("ctfill: send");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("created %lu refused %zu in %.2f s\n", n - refused, refused,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	mnl_nlmsg_batch_stop(b);
	mnl_socket_close(nl);
	nfct_destroy(ct);
	free(buf);
	return 0;
}
