/* rules.c - the fixed rule set: a connmark fast path for flows already
 * judged, one NFQUEUE rule for packets not yet judged, and the rules that
 * carry out a verdict when verdictd sends a packet back with the verdict
 * in its mark (NF_REPEAT). Its size does not depend on the policy; only
 * the queue numbers, the mark mask and the bypass choice show in it. */
#include "config.h"

#include "rules.h"
#include "verdict.h"

static void rules_verdicts(FILE *out, const char *match, uint32_t m, uint32_t mark_mask,
			   const char *reject_with)
{
	fprintf(out,
		"-A VERDICTD %s 0x%x/0x%x -j ACCEPT\n"
		"-A VERDICTD %s 0x%x/0x%x -j DROP\n"
		"-A VERDICTD -p tcp %s 0x%x/0x%x -j REJECT --reject-with tcp-reset\n"
		"-A VERDICTD %s 0x%x/0x%x -j REJECT --reject-with %s\n",
		match, verdict_code_bits(mark_mask, VERDICT_ACCEPT), m,
		match, verdict_code_bits(mark_mask, VERDICT_DROP), m,
		match, verdict_code_bits(mark_mask, VERDICT_REJECT), m,
		match, verdict_code_bits(mark_mask, VERDICT_REJECT), m, reject_with);
}

void rules_print(FILE *out, const struct conf *c, int family)
{
	uint32_t m = verdict_code_mask(c->mark_mask);
	int v6 = family == AF_INET6;
	const char *reject_with = v6 ? "icmp6-adm-prohibited" : "icmp-admin-prohibited";
	static const char *const nd[] = {
		"router-solicitation", "router-advertisement",
		"neighbour-solicitation", "neighbour-advertisement",
	};
	size_t i;

	fprintf(out,
		"# verdictd fixed rule set (%s), made by: verdictd --print-rules=%s\n"
		"# Load with: %s-restore --noflush < FILE\n"
		"# Verdict bits 0x%x of the conntrack mark (0x%x in all are verdictd's, and\n"
		"# the same bits of the packet mark): 1 accept, 2 drop, 3 reject, 0 not judged.\n"
		"*filter\n"
		":VERDICTD - [0:0]\n"
		"-A INPUT ! -i lo -j VERDICTD\n"
		"-A FORWARD -j VERDICTD\n"
		"# Connections this host opens are judged by its OUTPUT chain, not by\n"
		"# verdictd: the accept verdict, so that their replies pass.\n"
		"-I OUTPUT 1 -m connmark --mark 0x0/0x%x -m conntrack --ctdir ORIGINAL"
		" -j CONNMARK --set-xmark 0x%x/0x%x\n",
		v6 ? "IPv6" : "IPv4", v6 ? "ipv6" : "ipv4", v6 ? "ip6tables" : "iptables", m,
		c->mark_mask, m, verdict_code_bits(c->mark_mask, VERDICT_ACCEPT), m);
	fprintf(out, "# Flows already judged: the kernel alone.\n");
	rules_verdicts(out, "-m connmark --mark", m, c->mark_mask, reject_with);
	if (v6) {
		fprintf(out, "# Neighbour discovery is untracked and must never wait for a daemon.\n"
			"# The hop limit first: the icmp6 match drops a truncated ICMPv6 packet,\n"
			"# which should reach verdictd's policy instead.\n");
		for (i = 0; i < sizeof(nd) / sizeof(nd[0]); i++)
			fprintf(out, "-A VERDICTD -p ipv6-icmp -m hl --hl-eq 255 -m icmp6"
				" --icmpv6-type %s -j ACCEPT\n", nd[i]);
	}
	if (verdict_reply_bit(c->mark_mask))
		fprintf(out,
			"# A flow with no verdict yet (it began while verdictd was down, or before\n"
			"# these rules): flag its reply-direction packets, which verdictd judges as\n"
			"# the flow's original direction.\n"
			"-A VERDICTD -m mark --mark 0x0/0x%x -m conntrack --ctdir REPLY"
			" -j MARK --or-mark 0x%x\n", m, verdict_reply_bit(c->mark_mask));
	fprintf(out, "# Not judged yet: to verdictd.\n");
	if (c->queue_first == c->queue_last)
		fprintf(out, "-A VERDICTD -m mark --mark 0x0/0x%x -j NFQUEUE --queue-num %u", m,
			c->queue_first);
	else
		fprintf(out, "-A VERDICTD -m mark --mark 0x0/0x%x -j NFQUEUE --queue-balance %u:%u", m,
			c->queue_first, c->queue_last);
	fprintf(out, "%s\n", c->bypass ? " --queue-bypass" : "");
	fprintf(out,
		"# Back from verdictd with the verdict in the packet mark: keep it for the\n"
		"# flow, then carry it out.\n"
		"-A VERDICTD -j CONNMARK --save-mark --nfmask 0x%x --ctmask 0x%x\n",
		c->mark_mask, c->mark_mask);
	rules_verdicts(out, "-m mark --mark", m, c->mark_mask, reject_with);
	fprintf(out, "COMMIT\n");
}
