/* test_nfq.c - verdict batching (what goes on the wire), parsing of a
 * packet message, and the verdict/mark decision. */
#include "config.h"

#include <arpa/inet.h>
#include <string.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include "check.h"
#include "nfq.h"
#include "worker.h"

struct sent {
	int type;		/* NFQNL_MSG_VERDICT or _BATCH */
	uint32_t id, verdict;
	int has_mark;
	uint32_t mark, mask;
};

static int ct_cb(const struct nlattr *attr, void *data)
{
	struct sent *s = data;

	if (mnl_attr_get_type(attr) == CTA_MARK)
		s->mark = ntohl(mnl_attr_get_u32(attr));
	if (mnl_attr_get_type(attr) == CTA_MARK_MASK)
		s->mask = ntohl(mnl_attr_get_u32(attr));
	return MNL_CB_OK;
}

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
		if (attr[NFQA_CT]) {
			out[n].has_mark = 1;
			mnl_attr_parse_nested(attr[NFQA_CT], ct_cb, &out[n]);
		}
	}
	return n;
}

static void test_batching(void)
{
	static char buf[8192];
	struct nfq_ct_mark m = { .value = 0x101, .mask = 0xffff };
	struct nfq_verdicts v;
	struct sent s[16];
	size_t n;

	nfq_verdicts_init(&v, buf, sizeof(buf), 3);
	/* 1-4 drop: one batch to 4. 5 accept+mark: its own. 6 drop: a run
	 * of one is a plain verdict. 7-8 accept no mark: batch to 8. */
	nfq_verdicts_add(&v, 1, NF_DROP, NULL);
	nfq_verdicts_add(&v, 2, NF_DROP, NULL);
	nfq_verdicts_add(&v, 3, NF_DROP, NULL);
	nfq_verdicts_add(&v, 4, NF_DROP, NULL);
	nfq_verdicts_add(&v, 5, NF_ACCEPT, &m);
	nfq_verdicts_add(&v, 6, NF_DROP, NULL);
	nfq_verdicts_add(&v, 7, NF_ACCEPT, NULL);
	nfq_verdicts_add(&v, 8, NF_ACCEPT, NULL);
	n = decode(buf, nfq_verdicts_finish(&v), s, 16);
	CHECK(n == 4, "messages %zu", n);
	if (n == 4) {
		CHECK(s[0].type == NFQNL_MSG_VERDICT_BATCH && s[0].id == 4 && s[0].verdict == NF_DROP, "batch 1-4");
		CHECK(s[1].type == NFQNL_MSG_VERDICT && s[1].id == 5 && s[1].has_mark &&
		      s[1].mark == 0x101 && s[1].mask == 0xffff, "5 with mark");
		CHECK(s[2].type == NFQNL_MSG_VERDICT && s[2].id == 6 && s[2].verdict == NF_DROP, "6 alone");
		CHECK(s[3].type == NFQNL_MSG_VERDICT_BATCH && s[3].id == 8 && s[3].verdict == NF_ACCEPT, "batch 7-8");
	}
	CHECK(v.msgs == 4 && v.batch_msgs == 2, "counters %lu %lu", v.msgs, v.batch_msgs);
	/* A full buffer says so instead of overflowing. */
	nfq_verdicts_reset(&v);
	{
		uint32_t id;
		int full = 0;

		for (id = 1; id < 1000 && !full; id++)
			full = nfq_verdicts_add(&v, id, NF_ACCEPT, &m) < 0;
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
	struct nlattr *nest;

	mnl_attr_put(nlh, NFQA_PACKET_HDR, sizeof(ph), &ph);
	mnl_attr_put_u32(nlh, NFQA_IFINDEX_INDEV, htonl(4));
	mnl_attr_put(nlh, NFQA_PAYLOAD, sizeof(payload), payload);
	nest = mnl_attr_nest_start(nlh, NFQA_CT);
	mnl_attr_put_u32(nlh, CTA_STATUS, htonl(IPS_CONFIRMED));
	mnl_attr_put_u32(nlh, CTA_MARK, htonl(0x42));
	mnl_attr_nest_end(nlh, nest);
	CHECK(nfq_packet_parse(nlh, &p) == 0, "parse");
	CHECK(p.id == 77 && p.iif == 4 && p.len == 20 && p.payload[0] == 0x45, "fields");
	CHECK(p.has_ct && p.ct_mark == 0x42 && p.ct_status == IPS_CONFIRMED, "ct");

	/* No packet header: no id, nothing to answer. */
	nlh = nfq_nlmsg_put(buf, NFQNL_MSG_PACKET, 0);
	mnl_attr_put(nlh, NFQA_PAYLOAD, sizeof(payload), payload);
	CHECK(nfq_packet_parse(nlh, &p) == -1, "no id");
}

static void test_decide(void)
{
	struct conf c;
	struct nfq_packet np;
	struct policy_verdict pv = { .rule = 0 };
	struct worker_decision d;

	conf_init(&c);	/* mark-mask 0xffff: verdict code in 0x3 */
	memset(&np, 0, sizeof(np));
	np.has_ct = true;

	pv.action = ACT_ACCEPT;
	worker_decide(&c, &np, &pv, &d);
	CHECK(d.verdict == NF_ACCEPT && d.has_mark && d.mark.value == 0x1 && d.mark.mask == 0xffff, "accept");
	pv.action = ACT_MARK;
	pv.mark = 0x500;
	worker_decide(&c, &np, &pv, &d);
	CHECK(d.verdict == NF_ACCEPT && d.has_mark && d.mark.value == 0x501, "mark 0x%x", d.mark.value);
	np.ct_mark = 0xabcd0501;	/* already so (bits outside the mask are not ours) */
	worker_decide(&c, &np, &pv, &d);
	CHECK(!d.has_mark, "already marked: no attribute");
	np.ct_mark = 0;
	pv.action = ACT_DROP;
	worker_decide(&c, &np, &pv, &d);
	CHECK(d.verdict == NF_DROP && !d.has_mark, "drop on a new flow: no mark");
	np.ct_status = IPS_CONFIRMED;
	worker_decide(&c, &np, &pv, &d);
	CHECK(d.verdict == NF_DROP && d.has_mark && d.mark.value == 0x2, "drop on a confirmed flow marks it");
	pv.action = ACT_REJECT;
	worker_decide(&c, &np, &pv, &d);
	CHECK(d.verdict == NF_REPEAT && d.has_mark && d.mark.value == 0x3, "reject: mark and repeat");
	np.ct_mark = 0x3;
	worker_decide(&c, &np, &pv, &d);
	CHECK(d.verdict == NF_DROP && d.stat == ST_REJECT_UNTRACKED, "reject loop: drop");
	np.has_ct = false;
	np.ct_mark = 0;
	worker_decide(&c, &np, &pv, &d);
	CHECK(d.verdict == NF_DROP && !d.has_mark, "reject untracked: drop");
	c.mark_mask = 0xff000000;
	np.has_ct = true;
	pv.action = ACT_ACCEPT;
	worker_decide(&c, &np, &pv, &d);
	CHECK(d.mark.value == 0x01000000 && d.mark.mask == 0xff000000, "shifted mask 0x%x", d.mark.value);
}

int main(void)
{
	test_batching();
	test_packet_parse();
	test_decide();
	return check_report("test_nfq");
}
