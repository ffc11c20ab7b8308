/* fuzz_conf.c - libFuzzer target: the configuration parser. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct conf c;

	memcpy(text, data, size);
	text[size] = '\0';
	conf_init(&c);
	conf_load_string(&c, "fuzz", text, NULL);
	conf_free(&c);
	free(text);
	return 0;
}
