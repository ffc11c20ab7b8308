/* fuzz_nfq.c - libFuzzer target: a datagram from the queue socket, walked
 * and parsed as the worker does (netlink messages, packet attributes,
 * then the packet's headers). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include "nfq.h"
#include "pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Netlink messages are 4-byte aligned in a receive buffer. */
	uint32_t *buf = malloc(size + 4);
	const struct nlmsghdr *nlh;
	int remain = (int)size;

	memcpy(buf, data, size);
	nlh = (const struct nlmsghdr *)buf;
	for (; nfq_nlmsg_ok(nlh, remain); nlh = mnl_nlmsg_next(nlh, &remain)) {
		struct nfq_packet np;
		struct pkt p = { 0 };

		if (NFNL_MSG_TYPE(nlh->nlmsg_type) != NFQNL_MSG_PACKET)
			continue;
		if (nfq_packet_parse(nlh, &np) < 0 || !np.payload)
			continue;
		pkt_parse(&p, np.payload, np.len);
	}
	free(buf);
	return 0;
}
