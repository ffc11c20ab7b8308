/* test_trace.c - the packet tracer: headers in, deciding rules out. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "conf.h"
#include "trace.h"

static const char policy[] =
	"set banned hash:ip family inet\n"
	"drop src @banned\n"
	"accept proto tcp dst 10.0.0.5 dport 22\n"
	"reject proto tcp dport 23\n"
	"mark 0x100 proto udp dport 53\n"
	"accept proto icmpv6 icmp-type echo-request\n"
	"default drop\n";

static const char input[] =
	"# comment lines and blank lines are skipped\n"
	"\n"
	"tcp 192.0.2.1:40000 10.0.0.5:22\n"
	"tcp 192.0.2.1:40000 10.0.0.6:23\n"
	"udp 192.0.2.1:5353 10.0.0.6:53\n"
	"icmpv6 2001:db8::1 2001:db8::2 type 128\n"
	"tcp [2001:db8::1]:1000 [2001:db8::2]:22\n"
	"3221225985 167772165 1000 22 6 0 0\n"
	"tcp 10.0.0.1:80 2001:db8::2:80\n";

static const char expected[] =
	"tcp 192.0.2.1:40000 -> 10.0.0.5:22 => rule 2 (t.conf:3) accept\n"
	"tcp 192.0.2.1:40000 -> 10.0.0.6:23 => rule 3 (t.conf:4) reject\n"
	"udp 192.0.2.1:5353 -> 10.0.0.6:53 => rule 4 (t.conf:5) mark 0x100\n"
	"icmpv6 2001:db8::1 -> 2001:db8::2 type 128 code 0 => rule 5 (t.conf:6) accept\n"
	"tcp [2001:db8::1]:1000 -> [2001:db8::2]:22 => default drop\n"
	"tcp 192.0.2.1:1000 -> 10.0.0.5:22 => rule 2 (t.conf:3) accept\n";

/* Runs @in through the tracer on @pol; the output and the errors. */
static int run(const char *pol, int hook, const char *in_text, char **out, char **err)
{
	size_t olen = 0, elen = 0;
	FILE *in = fmemopen((void *)in_text, strlen(in_text), "r");
	FILE *o = open_memstream(out, &olen), *e = open_memstream(err, &elen);
	struct conf c;
	int bad;

	conf_init(&c);
	CHECK(conf_load_string(&c, "h.conf", pol, stderr) == 0, "policy parses");
	c.path = strdup("h.conf");
	bad = trace_run(&c, hook, in, o, e);
	fclose(o);
	fclose(e);
	fclose(in);
	conf_free(&c);
	return bad;
}

/* Every protocol the policy names, a port on one side only, and the hook
 * a header is taken from when it names none. */
static void test_protocols_hooks(void)
{
	static const char pol[] =
		"accept hook input proto tcp dport 22\n"
		"accept proto gre\n"
		"reject proto udplite sport 0 dport 53\n"
		"drop proto esp\n"
		"mark 0x100 proto dccp dport 9\n"
		"accept proto ah\n"
		"default drop\n";
	static const char in[] =
		"tcp 192.0.2.1:40000 10.0.0.5:22 hook input\n"
		"tcp 192.0.2.1 10.0.0.5:22 hook input\n"
		"tcp 192.0.2.1:40000 10.0.0.5:22\n"
		"gre 192.0.2.1 10.0.0.5 hook forward\n"
		"47 192.0.2.1 10.0.0.5 hook forward\n"
		"udplite 192.0.2.1 10.0.0.5:53 hook forward\n"
		"esp 2001:db8::1 2001:db8::2 hook forward\n"
		"dccp [2001:db8::1]:5 [2001:db8::2]:9 hook forward\n"
		"ah 192.0.2.1 10.0.0.5 hook forward\n"
		"gre 192.0.2.1:1 10.0.0.5 hook forward\n"
		"icmp 2001:db8::1 2001:db8::2 hook forward\n"
		"tcp 192.0.2.1:99999 10.0.0.5:22 hook input\n"
		"nonsense 192.0.2.1 10.0.0.5\n";
	static const char want[] =
		"tcp 192.0.2.1:40000 -> 10.0.0.5:22 => rule 1 (h.conf:1) accept\n"
		"tcp 192.0.2.1:0 -> 10.0.0.5:22 => rule 1 (h.conf:1) accept\n"
		"tcp 192.0.2.1:40000 -> 10.0.0.5:22 => default drop (no hook named: rules with a hook match"
		" were skipped; add 'hook input' or 'hook forward')\n"
		"gre 192.0.2.1 -> 10.0.0.5 => rule 2 (h.conf:2) accept\n"
		"gre 192.0.2.1 -> 10.0.0.5 => rule 2 (h.conf:2) accept\n"
		"udplite 192.0.2.1:0 -> 10.0.0.5:53 => rule 3 (h.conf:3) reject\n"
		"esp 2001:db8::1 -> 2001:db8::2 => rule 4 (h.conf:4) drop\n"
		"dccp [2001:db8::1]:5 -> [2001:db8::2]:9 => rule 5 (h.conf:5) mark 0x100\n"
		"ah 192.0.2.1 -> 10.0.0.5 => rule 6 (h.conf:6) accept\n";
	char *out = NULL, *err = NULL;
	int bad = run(pol, 0, in, &out, &err);

	CHECK(strcmp(out, want) == 0, "output:\n%s\nwanted:\n%s", out, want);
	CHECK(bad == 4, "errors %d: %s", bad, err);
	CHECK(strstr(err, "trace:10: cannot read this header: gre has no ports"), "%s", err);
	CHECK(strstr(err, "trace:11: cannot read this header: icmp is for IPv4 addresses (use icmpv6)"), "%s", err);
	CHECK(strstr(err, "trace:12: cannot read this header: '99999' is not a port"), "%s", err);
	CHECK(strstr(err, "trace:13: cannot read this header: unknown protocol 'nonsense' (tcp, udp,"), "%s", err);
	free(out);
	free(err);
	/* --hook: the header names none, the line says which was assumed. */
	bad = run(pol, POLICY_HOOK_INPUT, "tcp 192.0.2.1:40000 10.0.0.5:22\n", &out, &err);
	CHECK(bad == 0 && strcmp(out, "tcp 192.0.2.1:40000 -> 10.0.0.5:22 => rule 1 (h.conf:1) accept"
				 " (hook input assumed: --hook)\n") == 0, "--hook: %s", out);
	free(out);
	free(err);
}

int main(void)
{
	char *out = NULL, *err = NULL;
	size_t olen = 0, elen = 0;
	FILE *in = fmemopen((void *)input, strlen(input), "r");
	FILE *o = open_memstream(&out, &olen), *e = open_memstream(&err, &elen);
	struct conf c;
	int bad;

	conf_init(&c);
	CHECK(conf_load_string(&c, "t.conf", policy, stderr) == 0, "policy parses");
	c.path = strdup("t.conf");
	bad = trace_run(&c, 0, in, o, e);
	fclose(o);
	fclose(e);
	fclose(in);
	CHECK(strcmp(out, expected) == 0, "output:\n%s\nwanted:\n%s", out, expected);
	CHECK(bad == 1 && strstr(err, "trace:9: cannot read this header"), "errors %d: %s", bad, err);
	free(out);
	free(err);
	conf_free(&c);
	test_protocols_hooks();
	return check_report("test_trace");
}
