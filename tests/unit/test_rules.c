/* test_rules.c - the rule files shipped in rules/ are exactly what
 * verdictd --print-rules makes, so they cannot drift from the code. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "conf.h"
#include "rules.h"

static void compare(const char *file, int family, uint16_t q0, uint16_t q1, bool bypass)
{
	char path[512], *got = NULL, want[8192];
	size_t len = 0, wlen = 0;
	FILE *f = open_memstream(&got, &len), *g;
	struct conf c;

	conf_init(&c);
	c.queue_first = q0;
	c.queue_last = q1;
	c.bypass = bypass;
	rules_print(f, &c, family);
	fclose(f);
	snprintf(path, sizeof(path), "%s/%s", RULES_DIR, file);
	g = fopen(path, "r");
	CHECK(g != NULL, "open %s", path);
	if (g) {
		wlen = fread(want, 1, sizeof(want) - 1, g);
		want[wlen] = '\0';
		fclose(g);
		CHECK(wlen == len && memcmp(want, got, len) == 0,
		      "%s differs from --print-rules; regenerate it:\n%s", file, got);
	}
	CHECK(strstr(got, "-j NFQUEUE") && strstr(got, "--mark 0x1/0x3 -j ACCEPT"), "%s content", file);
	free(got);
	conf_free(&c);
}

int main(void)
{
	compare("verdictd-ipv4.rules", AF_INET, 0, 0, true);
	compare("verdictd-ipv6.rules", AF_INET6, 0, 0, true);
	compare("verdictd-ipv4-failclosed.rules", AF_INET, 0, 0, false);
	compare("verdictd-ipv6-failclosed.rules", AF_INET6, 0, 0, false);
	compare("verdictd-ipv4-balance.rules", AF_INET, 0, 3, true);
	compare("verdictd-ipv6-balance.rules", AF_INET6, 0, 3, true);
	return check_report("test_rules");
}
