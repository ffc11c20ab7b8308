/* test_conf.c - the configuration parser: options, rules, and an error
 * message with file:line:col for every kind of mistake. */
#include "config.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "conf.h"
#include "vocab.h"

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
		"user verdictd\n"
		"control-owner root\n"
		"control-group adm\n"
		"control-mode 0640\n"
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
	CHECK(strcmp(c.user, "verdictd") == 0 && strcmp(c.control_owner, "root") == 0 &&
	      strcmp(c.control_group, "adm") == 0 && c.control_mode == 0640, "user, control socket");
	CHECK(c.policy.nsets == 3 && c.policy.sets[1].family == AF_INET6, "sets");
	CHECK(c.policy.sets[2].port_hi == 1023, "port range");
	CHECK(c.policy.nrules == 7, "rules %zu", c.policy.nrules);
	if (c.policy.nrules == 7) {
		const struct policy_rule *r = c.policy.rules;

		CHECK(r[0].action == ACT_DROP && !r[0].src.present && r[0].nsetm == 1 &&
		      r[0].setm[0].set == 0 && r[0].setm[0].dir[0] == POLICY_DIR_SRC && !r[0].setm[0].neg &&
		      r[0].family == AF_INET, "rule 1");
		CHECK(r[1].dst.n == 2 && r[1].dport.n == 3 && r[1].dport.range[2].hi == 8080, "rule 2");
		CHECK(strcmp(r[1].iif.name, "veth0") == 0 && r[1].pos.line == 23, "rule 2 iif, line");
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
	{ "bogus 1\n", "t.conf:1:1: unknown keyword 'bogus' (a line starts with a rule: accept," },
	{ "bogus\n", "t.conf:1:1: unknown keyword 'bogus'" },
	{ "acept proto tcp\n", "t.conf:1:1: unknown keyword 'acept' (did you mean 'accept'?)" },
	{ "  rejcet proto tcp dport 23\n", "t.conf:1:3: unknown keyword 'rejcet' (did you mean 'reject'?)" },
	{ "queue-maxln 10\n", "t.conf:1:1: unknown keyword 'queue-maxln' (did you mean 'queue-maxlen'?)" },
	{ "accept proto tcp dprot 22\n", "t.conf:1:18: unknown match 'dprot' (did you mean 'dport'?)" },
	{ "accept proto udpp\n", "t.conf:1:14: unknown protocol 'udpp' (did you mean 'udp'?)" },
	{ "accept family\n", "t.conf:1:8: 'family' needs a value (inet or inet6)" },
	/* line order: the mark check runs once the file is read, yet line 1 comes first */
	{ "mark 0x3 proto tcp\nbogus 1\n", "t.conf:1:6: mark 0x3 has bits outside 0xfffc" },
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
	{ "user ro/ot\n", "t.conf:1:6: 'ro/ot' is not a user or group name" },
	{ "control-group -x\n", "t.conf:1:15: '-x' is not a user or group name" },
	{ "control-owner abcdefghijklmnopqrstuvwxyzabcdefg\n", "t.conf:1:15: 'abcdefghijklmnopqrstuvwxyzabcdefg' is not a user or group name" },
	{ "control-mode 0668\n", "t.conf:1:14: '0668' is not a mode (octal, like 0660)" },
	{ "control-mode 1777\n", "t.conf:1:14: '1777' is not a mode (octal, like 0660)" },
	{ "usr verdictd\n", "t.conf:1:1: unknown keyword 'usr' (did you mean 'user'?)" },
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
	{ "accept proto bogus\n", "t.conf:1:14: unknown protocol 'bogus' (tcp, udp, icmp, icmpv6, sctp, udplite, dccp, gre, esp, ah, or a number 0-255)" },
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

static void test_set_poll(void)
{
	struct conf c;
	int errors;
	char *out = parse(&c, "set-poll 2000\n", &errors);

	CHECK(errors == 0 && c.set_poll_ms == 2000, "set-poll 2000: %d %u", errors, c.set_poll_ms);
	conf_free(&c);
	free(out);
	out = parse(&c, "set-poll off\n", &errors);

	CHECK(errors == 0 && c.set_poll_ms == 0, "set-poll off: %d %u", errors, c.set_poll_ms);
	conf_free(&c);
	free(out);
	out = parse(&c, "set-poll 50\n", &errors);
	CHECK(errors == 1 && out && strstr(out, "t.conf:1:10:"), "set-poll 50 refused at its value: %s", out);
	conf_free(&c);
	free(out);
	conf_init(&c);
	CHECK(c.set_poll_ms == 500, "default 500");
	conf_free(&c);
}

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
	CHECK(errors == 11, "errors %d", errors);
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

/* Every message of a file in line order, then column order. */
static void test_order(void)
{
	struct conf c;
	int errors;
	char *out = parse(&c,
		"mark 0x3 proto tcp\n"
		"acept proto tcp\n"
		"mark 0x100 proto udp\n"
		"mark-mask 0xff\n"
		"accept proto tcp dport 99999\n", &errors);

	CHECK(errors == 4, "errors %d: %s", errors, out);
	CHECK(out && strcmp(out,
		"t.conf:1:6: mark 0x3 has bits outside 0xfc (mark-mask 0xff less its two verdict bits 0x3)\n"
		"t.conf:2:1: unknown keyword 'acept' (did you mean 'accept'?)\n"
		"t.conf:3:6: mark 0x100 has bits outside 0xfc (mark-mask 0xff less its two verdict bits 0x3)\n"
		"t.conf:5:24: '99999' is not a port or range (0-65535, LO-HI)\n") == 0, "order:\n%s", out);
	free(out);
	conf_free(&c);
}

/* conf_warn: a policy with no rules and no 'default' says what it does. */
static void test_warn(void)
{
	static const struct { const char *text; int warnings; } cases[] = {
		{ "", 1 },
		{ "# nothing but a comment\nqueue 3\nset s hash:ip\n", 1 },
		{ "default drop\n", 0 },
		{ "default accept\n", 0 },
		{ "accept proto tcp\n", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct conf c;
		int errors, n;
		char *w = NULL, *out = parse(&c, cases[i].text, &errors);
		size_t len = 0;
		FILE *f = open_memstream(&w, &len);

		c.path = strdup("t.conf");
		n = conf_warn(&c, f);
		fclose(f);
		CHECK(errors == 0 && n == cases[i].warnings, "case %zu: %d warnings: %s", i, n, w);
		if (cases[i].warnings)
			CHECK(strcmp(w, "t.conf: warning: no rules: every new connection gets the default verdict,"
				     " drop (write rules, or 'default drop' to say it is meant)\n") == 0,
			      "case %zu: %s", i, w);
		free(w);
		free(out);
		conf_free(&c);
	}
}

/* conf_warn_ifaces: an iif/oif naming an interface that is not there. */
static void test_warn_ifaces(void)
{
	struct conf c;
	int errors, n;
	char *w = NULL, *out = parse(&c,
		"accept iif lo\n"
		"accept proto tcp  oif vd-nosuch0\n"
		"drop iif !vd-nosuch1 oif lo\n", &errors);
	size_t len = 0;
	FILE *f = open_memstream(&w, &len);

	c.path = strdup("t.conf");
	n = conf_warn_ifaces(&c, f);
	fclose(f);
	CHECK(errors == 0 && n == 2, "%d warnings: %s", n, w);
	CHECK(w && strcmp(w,
		"t.conf:2:23: warning: no interface 'vd-nosuch0' exists now: 'oif vd-nosuch0' matches"
		      " no packet until it appears (verdictd follows interfaces as they come and go)\n"
		      "t.conf:3:11: warning: no interface 'vd-nosuch1' exists now: 'iif !vd-nosuch1' holds"
		      " for every packet until it appears (verdictd follows interfaces as they come and"
		      " go)\n") == 0, "%s", w);
	free(w);
	free(out);
	conf_free(&c);
}

/* The protocol names the tracer shares with the parser. */
static void test_proto(void)
{
	static const struct { const char *s; int num; uint8_t family; } cases[] = {
		{ "tcp", IPPROTO_TCP, 0 }, { "gre", IPPROTO_GRE, 0 }, { "esp", IPPROTO_ESP, 0 },
		{ "ah", IPPROTO_AH, 0 }, { "udplite", IPPROTO_UDPLITE, 0 }, { "dccp", IPPROTO_DCCP, 0 },
		{ "icmp", IPPROTO_ICMP, AF_INET }, { "icmpv6", IPPROTO_ICMPV6, AF_INET6 },
		{ "ipv6-icmp", IPPROTO_ICMPV6, AF_INET6 }, { "47", 47, 0 }, { "255", 255, 0 },
		{ "256", -1, 0 }, { "tcpp", -1, 0 }, { "", -1, 0 }, { "-1", -1, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t fam = 99;
		int n = vocab_proto_parse(cases[i].s, &fam);

		CHECK(n == cases[i].num && (n < 0 || fam == cases[i].family), "'%s': %d family %u",
		      cases[i].s, n, fam);
	}
	CHECK(vocab_proto_has_ports(IPPROTO_DCCP) && !vocab_proto_has_ports(IPPROTO_GRE), "ports");
}

int main(void)
{
	test_good();
	test_set_poll();
	test_bad();
	test_setm();
	test_golden();
	test_order();
	test_warn();
	test_warn_ifaces();
	test_proto();
	return check_report("test_conf");
}
