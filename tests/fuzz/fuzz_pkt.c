/* fuzz_pkt.c - libFuzzer target: packet header parsing, and judging a
 * packet that the copy range cut.
 *
 * The input is a whole packet. It is judged whole, and again as if only a
 * prefix of it had been copied (the prefix length from its last byte). A
 * cut packet may be refused (the on-error verdict), but when it is judged,
 * the verdict must be the whole packet's: what verdictd does not see can
 * never change what it decides. For a packet with every header, the
 * compiled classifier must agree with the linear scan. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "conf.h"
#include "pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char policy_text[] =
	"set web hash:ip,port family inet\n"
	"set web6 hash:ip,port family inet6\n"
	"set ports bitmap:port\n"
	"accept src 10.9.0.0/16\n"
	"drop proto tcp dport 80\n"
	"accept proto tcp dport 22 src !192.0.2.0/24\n"
	"mark 0x100 proto udp dport 53,5300-5399\n"
	"reject proto udp sport 1-1023\n"
	"accept proto tcp set @web dst,dst\n"
	"accept proto udp set @web6 dst,dst\n"
	"drop proto sctp dport @ports\n"
	"accept proto icmp icmp-type echo-request\n"
	"accept proto icmpv6 icmp-type 128\n"
	"drop proto dccp sport 7\n"
	"accept proto udplite\n"
	"drop proto 47\n"
	"accept family inet6 proto tcp\n"
	"default drop\n";

static struct conf conf;
static struct policy_sets sets;
static struct vset *vsets[3];
static struct classifier *cls;

static void setup(void)
{
	union vd_addr a = { .b = { 10, 0, 0, 1 } };

	conf_init(&conf);
	if (conf_load_string(&conf, "fuzz", policy_text, stderr) != 0)
		abort();
	vsets[0] = set_new(SET_HASH_IPPORT, AF_INET);
	vsets[1] = set_new(SET_HASH_IPPORT, AF_INET6);
	vsets[2] = set_new(SET_BITMAP_PORT, 0);
	set_add_addr_port(vsets[0], &a, 32, 6, 443);
	memset(&a, 0, sizeof(a));
	a.b[0] = 0x20;
	set_add_addr_port(vsets[1], &a, 128, 17, 53);
	set_add_ports(vsets[2], 0, 4000);
	sets.set = vsets;
	sets.n = 3;
	cls = classify_build(&conf.policy);
	if (!cls)
		abort();
}

/* The verdict of a packet, -1 when refused. */
static int judge(const struct pkt *p)
{
	struct policy_verdict v, w;

	if (!(p->flags & PKT_F_PARTIAL)) {
		policy_eval(&conf.policy, &sets, p, &v);
		classify_eval(cls, &conf.policy, &sets, p, &w);
		if (v.action != w.action || v.rule != w.rule)
			abort();
		if (policy_eval_partial(&conf.policy, &sets, p, &w) != POLICY_DECIDED ||
		    w.rule != v.rule)
			abort();
	} else if (policy_eval_partial(&conf.policy, &sets, p, &v) == POLICY_UNKNOWN) {
		return -1;
	}
	return (int)(v.action << 24 | (v.mark & 0xffffff));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so reading one byte past the end is caught. */
	uint8_t *copy = malloc(size ? size : 1);
	struct pkt p = { 0 }, cut;
	char buf[256];
	size_t keep;
	int whole, part;

	if (!cls)
		setup();
	memcpy(copy, data, size);
	if (pkt_parse(&p, copy, size) == 0) {
		pkt_format(&p, buf, sizeof(buf));
		whole = judge(&p);
		keep = size ? data[size - 1] % (size + 1) : 0;
		if (pkt_parse_captured(&cut, copy, keep, size) == 0 && (part = judge(&cut)) != -1 &&
		    part != whole)
			abort();
		pkt_reverse(&p);
		judge(&p);
	}
	free(copy);
	return 0;
}
