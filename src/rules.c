/* rules.c - the fixed rule set: a connmark fast path for flows already
 * judged, then one NFQUEUE rule. Its size does not depend on the policy;
 * only the queue numbers, the mark mask and the bypass choice show in it. */
#include "config.h"

#include "rules.h"

void rules_print(FILE *out, const struct conf *c, int family)
{
	uint32_t m = conf_code_mask(c->mark_mask);
	int v6 = family == AF_INET6;

	fprintf(out,
		"# verdictd fixed rule set (%s), made by: verdictd --print-rules=%s\n"
		"# Load with: %s-restore --noflush < FILE\n"
		"# Flows verdictd has judged carry the verdict in conntrack mark bits 0x%x;\n"
		"# the kernel handles them here and only new flows reach the queue.\n"
		"*filter\n"
		":VERDICTD - [0:0]\n"
		"-A INPUT ! -i lo -j VERDICTD\n"
		"-A FORWARD -j VERDICTD\n"
		"-A VERDICTD -m connmark --mark 0x%x/0x%x -j ACCEPT\n"
		"-A VERDICTD -m connmark --mark 0x%x/0x%x -j DROP\n"
		"-A VERDICTD -p tcp -m connmark --mark 0x%x/0x%x -j REJECT --reject-with tcp-reset\n"
		"-A VERDICTD -m connmark --mark 0x%x/0x%x -j REJECT --reject-with %s\n",
		v6 ? "IPv6" : "IPv4", v6 ? "ipv6" : "ipv4", v6 ? "ip6tables" : "iptables", m,
		conf_code_bits(c->mark_mask, CT_CODE_ACCEPT), m,
		conf_code_bits(c->mark_mask, CT_CODE_DROP), m,
		conf_code_bits(c->mark_mask, CT_CODE_REJECT), m,
		conf_code_bits(c->mark_mask, CT_CODE_REJECT), m,
		v6 ? "icmp6-adm-prohibited" : "icmp-admin-prohibited");
	if (c->queue_first == c->queue_last)
		fprintf(out, "-A VERDICTD -j NFQUEUE --queue-num %u", c->queue_first);
	else
		fprintf(out, "-A VERDICTD -j NFQUEUE --queue-balance %u:%u",
			c->queue_first, c->queue_last);
	fprintf(out, "%s\nCOMMIT\n", c->bypass ? " --queue-bypass" : "");
}
