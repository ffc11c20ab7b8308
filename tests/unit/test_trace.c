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
	return check_report("test_trace");
}
