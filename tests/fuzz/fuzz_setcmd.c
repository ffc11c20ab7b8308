/* fuzz_setcmd.c - libFuzzer target: the control socket's set requests
 * (what follows "set "), and the elements in them read for each set type
 * and family, as the daemon reads them before it edits its copy. The
 * first byte chooses the set type and family; the rest is the request. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "set_kernel.h"
#include "setcmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct policy_set decl[2] = { { .name = "banned" }, { .name = "nets" } };
	struct policy pol = { .sets = decl, .nsets = 2 };
	struct setcmd c;
	struct set_elem e;
	struct vset *s;
	char err[512], *req;
	size_t idx[4];

	if (size < 1)
		return 0;
	if (!(req = malloc(size)))
		return 0;
	memcpy(req, data + 1, size - 1);
	req[size - 1] = '\0';
	s = set_new((enum set_type)(data[0] % 5), data[0] & 0x80 ? AF_INET6 : AF_INET);
	if (setcmd_parse(req, &c, err, sizeof(err)) == 0) {
		setcmd_sets(&c, &pol, idx, 4);
		if (s && c.elem[0] && set_kernel_elem(s, c.elem, &e) == 0) {
			e.nomatch = c.nomatch;
			if (set_elem_add(s, &e) == 0)
				set_elem_del(s, &e);
		}
		setcmd_free(&c);
	}
	set_free(s);
	free(req);
	return 0;
}
