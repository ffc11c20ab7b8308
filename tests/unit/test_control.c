/* test_control.c - the control socket's request dispatch and reply
 * framing, the HTTP request line, and the small pieces of observability:
 * SHA-256, histogram buckets, flow notes, the log rate limit. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "control.h"
#include "flows.h"
#include "log.h"
#include "sha256.h"
#include "stats.h"

static int echo(void *arg, const char *args, struct control_reply *out)
{
	(void)arg;
	control_reply_printf(out, "%s", args);
	return 0;
}

static int lines(void *arg, const char *args, struct control_reply *out)
{
	(void)arg;
	(void)args;
	control_reply_printf(out, "one\ntwo\nthree\n");
	return 0;
}

static int fail(void *arg, const char *args, struct control_reply *out)
{
	(void)arg;
	(void)args;
	control_reply_printf(out, "went wrong");
	return -1;
}

static int huge(void *arg, const char *args, struct control_reply *out)
{
	size_t i;

	(void)arg;
	(void)args;
	for (i = 0; i < CONTROL_REPLY_MAX / 64 + 10; i++)
		control_reply_printf(out, "%063zu\n", i);
	return 0;
}

static int second(void *arg, const char *args, struct control_reply *out)
{
	(void)args;
	control_reply_printf(out, "%s", (const char *)arg);
	return 0;
}

static const struct control_cmd cmds[] = {
	{ "echo", echo, "echo TEXT" },
	{ "lines", lines, "lines" },
	{ "fail", fail, "fail" },
	{ "huge", huge, "huge" },
};
static const struct control_cmd more[] = {
	{ "echo", second, "echo" },		/* the first table's wins */
	{ "set", second, "set ..." },
};

/* @req through the dispatch; the framed reply, to be freed. */
static char *ask(struct control *ctl, const char *req)
{
	struct control_reply out = { 0 };
	char *line = strdup(req);

	control_dispatch(ctl, line, &out);
	free(line);
	return out.buf ? out.buf : strdup("");
}

static void test_dispatch(void)
{
	static const struct { const char *req, *want; size_t n; } cases[] = {
		{ "echo hello world", "ok hello world\n", 0 },
		{ "echo\t  spaced\r", "ok spaced\n", 0 },
		{ "echo", "ok\n", 0 },
		{ "lines", "+one\n+two\nok three\n", 0 },
		{ "fail", "error went wrong\n", 0 },
		{ "set add x 1.2.3.4", "ok from the second table\n", 0 },
		{ "nope x", "error unknown request 'nope' (echo TEXT, lines, fail, huge, echo, set ...)", 74 },
		{ "", "error empty request\n", 0 },
		{ "ec\001ho", "error the request holds a control character", 43 },
		{ "echoes", "error unknown request 'echoes'", 30 },
	};
	struct control *ctl = control_new();
	size_t i;
	char *r;

	CHECK(ctl != NULL, "control_new");
	control_add(ctl, cmds, sizeof(cmds) / sizeof(cmds[0]), NULL);
	control_add(ctl, more, sizeof(more) / sizeof(more[0]), "from the second table");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = ask(ctl, cases[i].req);
		CHECK(cases[i].n ? strncmp(r, cases[i].want, cases[i].n) == 0 : strcmp(r, cases[i].want) == 0,
		      "'%s': '%s'", cases[i].req, r);
		free(r);
	}
	r = ask(ctl, "huge");
	CHECK(strlen(r) <= 2 * (size_t)CONTROL_REPLY_MAX + 256 &&
	      strstr(r, "\nerror the reply is longer than") != NULL,
	      "a reply past the bound is cut, and says so (%zu bytes)", strlen(r));
	free(r);
	control_close(ctl);
}

static void test_http(void)
{
	static const struct { const char *req; int code; const char *path; bool head; } cases[] = {
		{ "GET /metrics HTTP/1.1\r\nHost: x\r\n", 0, "/metrics", false },
		{ "HEAD /metrics?x=1 HTTP/1.0\r\n", 0, "/metrics?x=1", true },
		{ "POST /metrics HTTP/1.1\r\n", 405, NULL, false },
		{ "GET /metrics\r\n", 400, NULL, false },
		{ "GET  HTTP/1.1\r\n", 400, NULL, false },
		{ "GET metrics HTTP/1.1\r\n", 400, NULL, false },
		{ "GET /metrics FTP/1.1\r\n", 400, NULL, false },
		{ "", 400, NULL, false },
	};
	char path[16];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool head = false;
		int code = control_http_parse(cases[i].req, strlen(cases[i].req), path, sizeof(path), &head);

		CHECK(code == cases[i].code, "'%s': %d", cases[i].req, code);
		if (!code && cases[i].path)
			CHECK(strcmp(path, cases[i].path) == 0 && head == cases[i].head, "'%s': path '%s'",
			      cases[i].req, path);
	}
	{
		const char *req = "GET /a-path-longer-than-sixteen HTTP/1.1\r\n";
		bool head;

		CHECK(control_http_parse(req, strlen(req), path, sizeof(path), &head) == 414, "long path");
	}
}

static void test_sha256(void)
{
	static const struct { const char *in, *hex; } v[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	};
	char hex[SHA256_HEX_LEN];
	char *million = malloc(1000000);
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		sha256_hex(v[i].in, strlen(v[i].in), hex);
		CHECK(strcmp(hex, v[i].hex) == 0, "sha256('%s') = %s", v[i].in, hex);
	}
	if (million) {
		memset(million, 'a', 1000000);
		sha256_hex(million, 1000000, hex);
		CHECK(strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0") == 0,
		      "a million a: %s", hex);
		free(million);
	}
}

static void test_buckets(void)
{
	CHECK(stats_batch_bucket(1) == 0 && stats_batch_bucket(2) == 1 && stats_batch_bucket(3) == 2 &&
	      stats_batch_bucket(4) == 2 && stats_batch_bucket(256) == 8 && stats_batch_bucket(257) == 9 &&
	      stats_batch_bucket(100000) == STATS_BATCH_BUCKETS - 1, "batch buckets");
	CHECK(stats_lat_bucket(0) == 0 && stats_lat_bucket(1000) == 0 && stats_lat_bucket(1001) == 1 &&
	      stats_lat_bucket(2000) == 1 && stats_lat_bucket(2001) == 2 &&
	      stats_lat_bucket(1000ull << 14) == 14 && stats_lat_bucket(~0ull / 2) == STATS_LAT_BUCKETS - 1,
	      "latency buckets");
	for (unsigned int b = 0; b + 1 < STATS_LAT_BUCKETS; b++)
		CHECK(stats_lat_bucket(stats_lat_bound(b)) == b && stats_lat_bucket(stats_lat_bound(b) + 1) == b + 1,
		      "a bound is in its bucket (%u)", b);
}

static void test_flows(void)
{
	struct flow_table t;
	struct pkt a = { 0 }, b;
	int rule = 99;

	CHECK(flow_table_init(&t) == 0, "table");
	a.family = 2;
	a.proto = 6;
	a.flags = PKT_F_PORTS;
	a.sport = 40000;
	a.dport = 22;
	a.src.b[0] = 10;
	a.dst.b[0] = 10;
	a.dst.b[3] = 2;
	b = a;
	b.sport++;
	CHECK(!flow_note_get(&t, &a, 1, &rule), "nothing noted yet");
	flow_note_put(&t, &a, 4, 1);
	CHECK(flow_note_get(&t, &a, 1, &rule) && rule == 4, "noted: rule %d", rule);
	CHECK(!flow_note_get(&t, &a, 2, &rule), "another policy's note is not taken");
	CHECK(!flow_note_get(&t, &b, 1, &rule), "another connection has none");
	flow_note_put(&t, &b, -1, 1);
	CHECK(flow_note_get(&t, &b, 1, &rule) && rule == -1, "the default: %d", rule);
	flow_note_put(&t, &a, FLOW_RULE_MAX + 1, 1);
	CHECK(flow_note_get(&t, &a, 1, &rule) && rule == 4, "a rule past the bound leaves the note");
	flow_table_free(&t);
}

static void test_log_limit(void)
{
	struct log_limit l;
	unsigned long long t = 5000000000ull;
	int ok = 0, i;

	log_limit_init(&l, 10);
	for (i = 0; i < 100; i++)
		ok += log_limit_take(&l, t);
	CHECK(ok == 10, "a burst of the rate: %d", ok);
	ok = 0;
	for (i = 0; i < 100; i++)	/* 100 tries over 2 s: 20 more */
		ok += log_limit_take(&l, t += 20000000);
	CHECK(ok >= 19 && ok <= 21, "then the rate: %d in 2 s", ok);
}

int main(void)
{
	test_dispatch();
	test_http();
	test_sha256();
	test_buckets();
	test_flows();
	test_log_limit();
	return check_report("test_control");
}
