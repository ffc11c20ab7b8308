/* test_nfq.c - verdict batching (what goes on the wire), parsing of a
 * packet message, and the verdict/mark decision. */
#include "config.h"

#include <arpa/inet.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "check.h"
#include "nfq.h"
#include "verdict.h"

struct sent {
	int type;		/* NFQNL_MSG_VERDICT or _BATCH */
	uint32_t id, verdict;
	int has_mark;
	uint32_t mark;
};

/* Decodes the verdict buffer back into a list. */
static size_t decode(const char *buf, size_t len, struct sent *out, size_t max)
{
	const struct nlmsghdr *nlh = (const void *)buf;
	int remain = (int)len;
	size_t n = 0;

	for (; mnl_nlmsg_ok(nlh, remain) && n < max; nlh = mnl_nlmsg_next(nlh, &remain), n++) {
		struct nlattr *attr[NFQA_MAX + 1] = { 0 };
		const struct nfqnl_msg_verdict_hdr *vh;

		memset(&out[n], 0, sizeof(out[n]));
		out[n].type = NFNL_MSG_TYPE(nlh->nlmsg_type);
		nfq_nlmsg_parse(nlh, attr);
		vh = mnl_attr_get_payload(attr[NFQA_VERDICT_HDR]);
		out[n].id = ntohl(vh->id);
		out[n].verdict = ntohl(vh->verdict);
		if (attr[NFQA_MARK]) {
			out[n].has_mark = 1;
			out[n].mark = ntohl(mnl_attr_get_u32(attr[NFQA_MARK]));
		}
	}
	return n;
}

static void test_batching(void)
{
	static char buf[8192];
	uint32_t m1 = 0x101, m2 = 0x1;
	struct nfq_verdicts v;
	struct sent s[16];
	size_t n;

	nfq_verdicts_init(&v, buf, sizeof(buf), 3);
	/* 1-4 drop: one batch to 4. 5 repeat+mark 0x101: a run of one is a
	 * plain verdict. 6-7 repeat+mark 0x1: batch with mark. 8 drop alone.
	 * 9-10 repeat, mark 0x1 again: a new run. */
	nfq_verdicts_add(&v, 1, NF_DROP, NULL);
	nfq_verdicts_add(&v, 2, NF_DROP, NULL);
	nfq_verdicts_add(&v, 3, NF_DROP, NULL);
	nfq_verdicts_add(&v, 4, NF_DROP, NULL);
	nfq_verdicts_add(&v, 5, NF_REPEAT, &m1);
	nfq_verdicts_add(&v, 6, NF_REPEAT, &m2);
	nfq_verdicts_add(&v, 7, NF_REPEAT, &m2);
	nfq_verdicts_add(&v, 8, NF_DROP, NULL);
	nfq_verdicts_add(&v, 9, NF_REPEAT, &m2);
	nfq_verdicts_add(&v, 10, NF_REPEAT, &m2);
	n = decode(buf, nfq_verdicts_finish(&v), s, 16);
	CHECK(n == 5, "messages %zu", n);
	if (n == 5) {
		CHECK(s[0].type == NFQNL_MSG_VERDICT_BATCH && s[0].id == 4 && s[0].verdict == NF_DROP &&
		      !s[0].has_mark, "batch 1-4");
		CHECK(s[1].type == NFQNL_MSG_VERDICT && s[1].id == 5 && s[1].verdict == NF_REPEAT &&
		      s[1].has_mark && s[1].mark == 0x101, "5 alone with its mark");
		CHECK(s[2].type == NFQNL_MSG_VERDICT_BATCH && s[2].id == 7 && s[2].has_mark &&
		      s[2].mark == 0x1, "batch 6-7 with mark");
		CHECK(s[3].type == NFQNL_MSG_VERDICT && s[3].id == 8 && s[3].verdict == NF_DROP, "8 alone");
		CHECK(s[4].type == NFQNL_MSG_VERDICT_BATCH && s[4].id == 10, "batch 9-10");
	}
	CHECK(v.msgs == 5 && v.batch_msgs == 3, "counters %lu %lu", v.msgs, v.batch_msgs);
	/* A full buffer says so instead of overflowing. */
	nfq_verdicts_reset(&v);
	{
		uint32_t id;
		int full = 0;

		for (id = 1; id < 1000 && !full; id++)
			full = nfq_verdicts_add(&v, id, id % 2 ? NF_DROP : NF_REPEAT, &m1) < 0;
		CHECK(full && v.len <= sizeof(buf), "full at %u, len %zu", id, v.len);
	}
}

static void test_packet_parse(void)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_PACKET, 0);
	struct nfqnl_msg_packet_hdr ph = { .packet_id = htonl(77), .hw_protocol = htons(0x0800) };
	static const uint8_t payload[20] = { 0x45 };
	struct nfq_packet p;

	mnl_attr_put(nlh, NFQA_PACKET_HDR, sizeof(ph), &ph);
	mnl_attr_put_u32(nlh, NFQA_IFINDEX_INDEV, htonl(4));
	mnl_attr_put(nlh, NFQA_PAYLOAD, sizeof(payload), payload);
	mnl_attr_put_u32(nlh, NFQA_MARK, htonl(0x42));
	CHECK(nfq_packet_parse(nlh, &p) == 0, "parse");
	CHECK(p.id == 77 && p.iif == 4 && p.len == 20 && p.payload[0] == 0x45, "fields");
	CHECK(p.mark == 0x42, "mark");

	/* No packet header: no id, nothing to answer. */
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_PACKET, 0);
	mnl_attr_put(nlh, NFQA_PAYLOAD, sizeof(payload), payload);
	CHECK(nfq_packet_parse(nlh, &p) == -1, "no id");
}

static void test_decide(void)
{
	struct verdict_params vp = { 0xffff, ACT_DROP };	/* verdict code in 0x3 */
	struct policy_verdict pv = { .rule = 0 };
	struct verdict_decision d;

	pv.action = ACT_ACCEPT;
	verdict_decide(&vp, 0, &pv, false, &d);
	CHECK(d.verdict == NF_REPEAT && d.has_mark && d.mark == 0x1 && d.stat == ST_ACCEPT, "accept");
	pv.action = ACT_MARK;
	pv.mark = 0x500;
	/* bits outside the mask are someone else's */
	verdict_decide(&vp, 0xabcd0000, &pv, false, &d);
	CHECK(d.verdict == NF_REPEAT && d.mark == 0xabcd0501 && d.stat == ST_MARK, "mark 0x%x", d.mark);
	pv.action = ACT_DROP;
	verdict_decide(&vp, 0, &pv, false, &d);
	CHECK(d.verdict == NF_DROP && !d.has_mark && d.stat == ST_DROP, "drop: no mark");
	/* ... but a drop of a connection conntrack holds is kept in its mark */
	verdict_decide(&vp, 0x8000, &pv, true, &d);
	CHECK(d.verdict == NF_REPEAT && d.has_mark && d.mark == 0x2, "existing drop: mark 0x%x", d.mark);
	pv.action = ACT_REJECT;
	verdict_decide(&vp, 0, &pv, false, &d);
	CHECK(d.verdict == NF_REPEAT && d.has_mark && d.mark == 0x3 && d.stat == ST_REJECT, "reject");
	/* already judged, yet queued again */
	verdict_decide(&vp, 0x1, &pv, false, &d);
	CHECK(d.verdict == NF_DROP && !d.has_mark && d.stat == ST_LOOPS, "loop: drop");
	/* the reply flag is not a verdict: judged, and the flag replaced */
	verdict_decide(&vp, 0x8000, &pv, true, &d);
	CHECK(d.verdict == NF_REPEAT && d.mark == 0x3, "reply flag: mark 0x%x", d.mark);
	/* not judged: the on-error verdict, no mark */
	verdict_decide(&vp, 0, NULL, false, &d);
	CHECK(d.verdict == NF_DROP && !d.has_mark && d.stat == ST_MALFORMED, "on-error drop");
	vp.on_error = ACT_ACCEPT;
	verdict_decide(&vp, 0, NULL, false, &d);
	CHECK(d.verdict == NF_ACCEPT && !d.has_mark, "on-error accept");
	vp.mark_mask = 0xff000000;
	pv.action = ACT_ACCEPT;
	verdict_decide(&vp, 0, &pv, false, &d);
	CHECK(d.mark == 0x01000000, "shifted mask 0x%x", d.mark);
	CHECK(verdict_reply_bit(0xffff) == 0x8000 && verdict_reply_bit(0x3) == 0 &&
	      verdict_reply_bit(0x30) == 0 && verdict_reply_bit(0x70) == 0x40, "reply bit");
}

int main(void)
{
	test_batching();
	test_packet_parse();
	test_decide();
	return check_report("test_nfq");
}
