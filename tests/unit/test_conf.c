/* test_conf.c - the configuration parser: options, rules, and an error
 * message with file:line:col for every kind of mistake. */
#include "config.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "conf.h"

/* Parses @text; returns the error output (caller frees). */
static char *parse(struct conf *c, const char *text, int *errors)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	conf_init(c);
	*errors = conf_load_string(c, "t.conf", text, f);
	fclose(f);
	return out;
}

static void test_good(void)
{
	struct conf c;
	int errors;
	char *out = parse(&c,
		"# a comment\n"
		"queue 2-5\n"
		"cpus 0,1\n"
		"mark-mask 0xff00   # trailing comment\n"
		"fail-open yes\n"
		"queue-maxlen 100000\n"
		"rcvbuf 32M\n"
		"copy-range 128\n"
		"batch 128\n"
		"on-error accept\n"
		"bypass no\n"
		"transport socket\n"
		"ring-buffers 2048\n"
		"set blocked hash:ip family inet\n"
		"set nets6 hash:net family inet6\n"
		"set web bitmap:port range 0-1023\n"
		"\n"
		"drop src @blocked\n"
		"accept proto tcp dst 10.1.0.0/16,10.2.0.1 dport 22,80,8000-8080 iif veth0\n"
		"mark 0x1400 proto udp sport !53 oif !eth1\n"
		"reject proto tcp dport @web\n"
		"accept src !@nets6 proto icmpv6 icmp-type echo-request\n"
		"accept proto icmp icmp-type 3/4\n"
		"drop family inet6\n"
		"default reject\n", &errors);

	CHECK(errors == 0, "errors %d: %s", errors, out);
	CHECK(c.queue_first == 2 && c.queue_last == 5, "queues");
	CHECK(c.ncpus == 2 && c.cpus[1] == 1, "cpus");
	CHECK(c.mark_mask == 0xff00 && c.fail_open && c.queue_maxlen == 100000, "options");
	CHECK(c.rcvbuf == 32u << 20 && c.copy_range == 128 && c.batch == 128, "sizes");
	CHECK(c.on_error == ACT_ACCEPT && !c.bypass, "on-error, bypass");
	CHECK(c.transport == 2 && c.ring_buffers == 2048, "transport, ring-buffers");
	CHECK(c.policy.nsets == 3 && c.policy.sets[1].family == AF_INET6, "sets");
	CHECK(c.policy.sets[2].port_hi == 1023, "port range");
	CHECK(c.policy.nrules == 7, "rules %zu", c.policy.nrules);
	if (c.policy.nrules == 7) {
		const struct policy_rule *r = c.policy.rules;

		CHECK(r[0].action == ACT_DROP && !r[0].src.present && r[0].nsetm == 1 &&
		      r[0].setm[0].set == 0 && r[0].setm[0].dir[0] == POLICY_DIR_SRC && !r[0].setm[0].neg &&
		      r[0].family == AF_INET, "rule 1");
		CHECK(r[1].dst.n == 2 && r[1].dport.n == 3 && r[1].dport.range[2].hi == 8080, "rule 2");
		CHECK(strcmp(r[1].iif.name, "veth0") == 0 && r[1].pos.line == 19, "rule 2 iif, line");
		CHECK(r[2].action == ACT_MARK && r[2].mark == 0x1400 && r[2].sport.neg && r[2].oif.neg, "rule 3");
		CHECK(r[3].action == ACT_REJECT && r[3].nsetm == 1 && r[3].setm[0].set == 2 &&
		      r[3].setm[0].dir[0] == POLICY_DIR_DST, "rule 4");
		CHECK(r[4].setm[0].neg && r[4].icmp_type == 128 && r[4].family == AF_INET6, "rule 5");
		CHECK(r[5].icmp_type == 3 && r[5].icmp_code == 4, "rule 6");
		CHECK(r[6].family == AF_INET6 && r[6].proto == -1, "rule 7");
	}
	CHECK(c.policy.dflt == ACT_REJECT, "default");
	free(out);
	conf_free(&c);
}

static const struct {
	const char *text;
	const char *error;	/* expected first line of output */
} bad[] = {
	{ "queue\n", "t.conf:1:6: 'queue' needs a value" },
	{ "queue 5-2\n", "t.conf:1:7: '5-2' is not a queue number or range" },
	{ "queue 0-100\n", "t.conf:1:7: '0-100' is not a queue number or range" },
	{ "bogus 1\n", "t.conf:1:1: unknown keyword 'bogus'" },
	{ "fail-open maybe\n", "t.conf:1:11: expected yes or no, not 'maybe'" },
	{ "mark-mask 0x5\n", "t.conf:1:11: mark-mask 0x5 must have its two lowest set bits adjacent" },
	{ "rcvbuf 12Q\n", "t.conf:1:8: '12Q' is not a size" },
	{ "batch 0\n", "t.conf:1:7: '0' is not a number from 1 to 1024" },
	{ "  default maybe\n", "t.conf:1:11: expected accept, drop or reject, not 'maybe'" },
	{ "default drop\ndefault accept\n", "t.conf:2:1: second 'default' (line 1 has the first)" },
	{ "transport bogus\n", "t.conf:1:11: expected auto, ring or socket, not 'bogus'" },
	{ "ring-buffers 100\n", "t.conf:1:14: ring-buffers 100 is not a power of two" },
	{ "ring-buffers 32\n", "t.conf:1:14: '32' is not a number from 64 to 32768" },
	{ "on-error reject\n", "t.conf:1:10: expected accept or drop, not 'reject'" },
	{ "set x list:set\n", "t.conf:1:7: unsupported set type 'list:set'" },
	{ "set x hash:ip family inet7\n", "t.conf:1:22: expected family inet or inet6" },
	{ "set x hash:ip range 1-2\n", "t.conf:1:15: unexpected 'range'" },
	{ "set x bitmap:port range 9-2\n", "t.conf:1:25: '9-2' is not a port range" },
	{ "set x hash:ip\nset x hash:net\n", "t.conf:2:5: set 'x' is already declared on line 1" },
	{ "set this-name-is-far-too-long-for-ipset hash:ip\n", "t.conf:1:5: 'this-name-is-far-too-long-for-ipset' is not a valid ipset name" },
	{ "accept src @nope\n", "t.conf:1:12: unknown set 'nope'" },
	{ "set p bitmap:port\naccept src @p\n", "t.conf:2:12: set 'p' is a bitmap:port set; this field needs an address set" },
	{ "set a hash:ip\naccept proto tcp dport @a\n", "t.conf:2:24: set 'a' is a hash:ip set; this field needs a port set" },
	{ "accept src 10.0.0.300\n", "t.conf:1:12: '10.0.0.300' is not an address or prefix" },
	{ "accept src 10.0.0.0/33\n", "t.conf:1:12: '10.0.0.0/33' is not an address or prefix" },
	{ "accept src 10.0.0.1,zzz\n", "t.conf:1:21: 'zzz' is not an address or prefix" },
	{ "accept src 10.0.0.1 dst ::1\n", "t.conf:1:25: this rule mixes IPv4 and IPv6" },
	{ "set s6 hash:ip family inet6\naccept src 10.0.0.1 dst @s6\n", "t.conf:2:25: this rule mixes IPv4 and IPv6" },
	{ "accept proto icmpv6 src 10.0.0.1\n", "t.conf:1:25: this rule mixes IPv4 and IPv6" },
	{ "accept dport 80\n", "t.conf:1:1: a port match needs 'proto tcp'" },
	{ "accept proto tcp dport 70000\n", "t.conf:1:24: '70000' is not a port or range" },
	{ "accept proto tcp dport 80,90-10\n", "t.conf:1:27: '90-10' is not a port or range" },
	{ "accept proto tcp dport\n", "t.conf:1:18: 'dport' needs a value" },
	{ "accept proto tcp dport !\n", "t.conf:1:24: '!' needs a value after it" },
	{ "accept proto tcp proto udp\n", "t.conf:1:18: 'proto' given twice in one rule" },
	{ "accept proto bogus\n", "t.conf:1:14: unknown protocol 'bogus'" },
	{ "accept icmp-type 8\n", "t.conf:1:8: 'icmp-type' needs 'proto icmp' or 'proto icmpv6' before it" },
	{ "accept proto icmp icmp-type nosuch\n", "t.conf:1:29: unknown icmp type 'nosuch'" },
	{ "accept proto icmp icmp-type 3/x\n", "t.conf:1:31: 'x' is not an icmp code" },
	{ "accept iif abcdefghijklmnopq\n", "t.conf:1:12: 'abcdefghijklmnopq' is not an interface name" },
	{ "accept sauce 1\n", "t.conf:1:8: unknown match 'sauce'" },
	{ "accept hook prerouting\n", "t.conf:1:13: expected hook input, forward or output, not 'prerouting'" },
	{ "accept hook input hook forward\n", "t.conf:1:19: 'hook' given twice in one rule" },
	{ "mark\n", "t.conf:1:1: 'mark' needs a value" },
	{ "mark 0x3 proto tcp\n", "t.conf:1:6: mark 0x3 has bits outside 0xfffc" },
	{ "mark 0x10000\nmark-mask 0xffffff\nmark 0x1000000\n", "t.conf:3:6: mark 0x1000000 has bits outside 0xfffffc" },
	{ "accept src 10.0.0.1 src 10.0.0.2\n", "t.conf:1:21: 'src' given twice in one rule" },
	{ "set x hash:ip,port family inet6\naccept src @x\n", "t.conf:2:12: set 'x' is a hash:ip,port set; this field needs an address set (hash:ip or hash:net) (match an ip,port set with" },
	{ "set x hash:ip,port\naccept set @x src\n", "t.conf:2:15: set 'x' is hash:ip,port: give 2 directions, not 1" },
	{ "set x hash:ip,port\naccept set @x src,sport\n", "t.conf:2:19: 'sport': expected src or dst" },
	{ "set x hash:ip,port\naccept set x src,dst\n", "t.conf:2:12: expected @SET after 'set', not 'x'" },
	{ "set x hash:ip,port\naccept set @x\n", "t.conf:2:12: 'set @x' needs its directions" },
	{ "set x hash:net,port family inet6\naccept src 10.0.0.1 set @x src,dst\n", "t.conf:2:25: this rule mixes IPv4 and IPv6" },
	{ "set x hash:ip\naccept src @x src @x src @x src @x src @x src @x src @x\n", "t.conf:2:54: more than 6 set matches in one rule" },
};

static void test_bad(void)
{
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct conf c;
		int errors;
		char *out = parse(&c, bad[i].text, &errors);

		CHECK(errors >= 1, "case %zu: no error for '%s'", i, bad[i].text);
		CHECK(out && strncmp(out, bad[i].error, strlen(bad[i].error)) == 0,
		      "case %zu:\n  want: %s\n  got:  %s", i, bad[i].error, out ? out : "(nothing)");
		free(out);
		conf_free(&c);
	}
}

/* ip,port sets, and sets beside prefixes on one field. */
static void test_setm(void)
{
	struct conf c;
	int errors;
	char *out = parse(&c,
		"set svc hash:ip,port family inet\n"
		"set nets hash:net,port\n"
		"set bad hash:net\n"
		"accept set @svc dst,dst src 10.0.0.0/8 src !@bad\n"
		"drop set !@nets src,src\n", &errors);
	const struct policy_rule *r = c.policy.rules;

	CHECK(errors == 0, "errors %d: %s", errors, out);
	CHECK(c.policy.nsets == 3 && c.policy.sets[1].type == SET_HASH_NETPORT &&
	      c.policy.sets[1].family == AF_INET, "sets");
	if (errors == 0 && c.policy.nrules == 2) {
		CHECK(r[0].nsetm == 2 && r[0].setm[0].set == 0 && r[0].setm[0].dir[0] == POLICY_DIR_DST &&
		      r[0].setm[0].dir[1] == POLICY_DIR_DST && !r[0].setm[0].neg, "ip,port match");
		CHECK(r[0].src.present && r[0].src.n == 1 && r[0].setm[1].set == 2 && r[0].setm[1].neg,
		      "a prefix and a set on src");
		CHECK(r[1].nsetm == 1 && r[1].setm[0].neg && r[1].setm[0].dir[1] == POLICY_DIR_SRC, "negated");
	}
	free(out);
	conf_free(&c);
}

/* Every error of a file is reported, in order; the golden file holds them. */
static void test_golden(void)
{
	struct conf c;
	char *out = NULL, *want = NULL;
	size_t len = 0, wlen = 0;
	FILE *f = open_memstream(&out, &len), *g;
	int errors;

	conf_init(&c);
	errors = conf_load_file(&c, TEST_DATA "/bad.conf", f);
	fclose(f);
	g = fopen(TEST_DATA "/bad.conf.expected", "r");
	CHECK(g != NULL, "open golden file");
	if (g) {
		want = malloc(65536);
		wlen = fread(want, 1, 65535, g);
		want[wlen] = '\0';
		fclose(g);
	}
	/* Paths differ between builds; compare what follows the file name. */
	CHECK(errors == 6, "errors %d", errors);
	if (want) {
		char *o = out, *w = want;
		int line = 1;

		while (*o && *w) {
			char *oe = strchr(o, '\n'), *we = strchr(w, '\n');
			const char *oc = strstr(o, "bad.conf:"), *wc = strstr(w, "bad.conf:");

			if (!oe || !we || !oc || !wc)
				break;
			CHECK((oe - oc) == (we - wc) && strncmp(oc, wc, (size_t)(oe - oc)) == 0,
			      "line %d:\n  want: %.*s\n  got:  %.*s", line, (int)(we - wc), wc, (int)(oe - oc), oc);
			o = oe + 1;
			w = we + 1;
			line++;
		}
		CHECK(*o == '\0' && *w == '\0', "output and golden file differ in length:\n%s", out);
	}
	free(want);
	free(out);
	conf_free(&c);
	conf_init(&c);
	CHECK(conf_load_file(&c, TEST_DATA "/no-such-file.conf", NULL) == 1, "missing file");
	conf_free(&c);
}

int main(void)
{
	test_good();
	test_bad();
	test_setm();
	test_golden();
	return check_report("test_conf");
}
