/* fuzz_import.c - libFuzzer target: the iptables-save reader and the
 * translation. Beyond not crashing, the translation of whatever is read
 * must read back as a valid policy (a failure there aborts). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "import.h"
#include "ipt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char ipsets[] = "create bl hash:net family inet\nadd bl 10.0.0.0/8\n"
			     "create ports bitmap:port range 0-1023\ncreate b6 hash:ip family inet6\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *in = fmemopen((void *)data, size, "r"), *sets, *out, *sink = fopen("/dev/null", "w");
	char *text = NULL;
	size_t len = 0;
	struct ipt_ruleset rs;
	struct import im;
	struct conf c;

	if (!in || !sink)
		abort();
	sets = fmemopen((void *)ipsets, sizeof(ipsets) - 1, "r");
	import_init(&im);
	if (import_read_ipsets(&im, sets, "sets", sink) != 0)
		abort();
	if (ipt_read(in, "fuzz", 0, &rs, sink) == 0 && import_ruleset(&im, &rs, "fuzz", sink) == 0 &&
	    import_merge(&im, 3) == 0) {
		out = open_memstream(&text, &len);
		import_write_policy(out, &im, "fuzz");
		import_write_ipsets(sink, &im);
		/* the restore file around a stand-in for the fixed rules */
		import_write_restore(sink, &im, rs.family, "# x\n*filter\n:VERDICTD - [0:0]\n"
				     "-A INPUT ! -i lo -j VERDICTD\n-A FORWARD -j VERDICTD\nCOMMIT\n");
		fclose(out);
		conf_init(&c);
		if (conf_load_string(&c, "translated", text, stderr) != 0) {
			fprintf(stderr, "the translation does not read back:\n%s", text);
			abort();
		}
		conf_free(&c);
		free(text);
	}
	ipt_free(&rs);
	import_free(&im);
	fclose(in);
	fclose(sets);
	fclose(sink);
	return 0;
}
