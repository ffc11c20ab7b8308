/* fuzz_pkt.c - libFuzzer target: packet header parsing. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so reading one byte past the end is caught. */
	uint8_t *copy = malloc(size ? size : 1);
	struct pkt p = { 0 };
	char buf[256];

	memcpy(copy, data, size);
	if (pkt_parse(&p, copy, size) == 0)
		pkt_format(&p, buf, sizeof(buf));
	free(copy);
	return 0;
}
