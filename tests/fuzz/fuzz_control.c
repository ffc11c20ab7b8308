/* fuzz_control.c - libFuzzer target: what a control socket or metrics
 * client sends. The first byte chooses: even, request lines through the
 * command table's dispatch (control_dispatch: control bytes, blanks, CRs,
 * unknown and long names, a reply past its bound); odd, an HTTP request
 * head (control_http_parse). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Echoes its arguments a number of times the first of them says. */
static int repeat(void *arg, const char *args, struct control_reply *out)
{
	unsigned long n = strtoul(args, NULL, 10) % 5000;

	(void)arg;
	while (n--)
		control_reply_printf(out, "%s\n", args);
	return args[0] == '-' ? -1 : 0;
}

static const struct control_cmd cmds[] = {
	{ "repeat", repeat, "repeat N TEXT" },
	{ "r", repeat, "r N TEXT" },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct control *ctl;
	char *text, *line, *save = NULL;

	if (size < 1)
		return 0;
	if (!ctl) {
		ctl = control_new();
		control_add(ctl, cmds, sizeof(cmds) / sizeof(cmds[0]), NULL);
	}
	if (data[0] & 1) {
		char path[256];
		bool head;

		control_http_parse((const char *)data + 1, size - 1, path, sizeof(path), &head);
		return 0;
	}
	text = malloc(size);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct control_reply out = { 0 };

		control_dispatch(ctl, line, &out);
		control_reply_free(&out);
	}
	free(text);
	return 0;
}
