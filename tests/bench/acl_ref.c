/* acl_ref.c - rte_acl set up as DPDK's own examples (l3fwd-acl, test-acl)
 * do for the IPv4 5-tuple: protocol as a bitmask, addresses as masks,
 * ports as ranges sharing one 4-byte input group. Runs the EAL without
 * hugepages or devices, so any root shell can run it. */
#include <rte_acl.h>
#include <rte_eal.h>
#include <rte_malloc.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl_ref.h"

struct tuple {			/* network byte order, as rte_acl reads it */
	uint8_t proto;
	uint32_t src;
	uint32_t dst;
	uint16_t sport;
	uint16_t dport;
};

enum { F_PROTO, F_SRC, F_DST, F_SPORT, F_DPORT, NFIELDS };

RTE_ACL_RULE_DEF(acl_rule, NFIELDS);

struct acl_ref {
	struct rte_acl_ctx *ctx;
};

static const struct rte_acl_field_def defs[NFIELDS] = {
	{ RTE_ACL_FIELD_TYPE_BITMASK, sizeof(uint8_t), F_PROTO, 0, offsetof(struct tuple, proto) },
	{ RTE_ACL_FIELD_TYPE_MASK, sizeof(uint32_t), F_SRC, 1, offsetof(struct tuple, src) },
	{ RTE_ACL_FIELD_TYPE_MASK, sizeof(uint32_t), F_DST, 2, offsetof(struct tuple, dst) },
	{ RTE_ACL_FIELD_TYPE_RANGE, sizeof(uint16_t), F_SPORT, 3, offsetof(struct tuple, sport) },
	{ RTE_ACL_FIELD_TYPE_RANGE, sizeof(uint16_t), F_DPORT, 3, offsetof(struct tuple, dport) },
};

int acl_ref_init(void)
{
	char *argv[] = { "classify_bench", "--no-huge", "--no-pci", "--no-shconf", "-m", "1024",
			 "-l", "0", "--log-level", "*:error", "--no-telemetry", NULL };

	return rte_eal_init(11, argv) < 0 ? -1 : 0;
}

static size_t heap_used(void)
{
	struct rte_malloc_socket_stats st;

	memset(&st, 0, sizeof(st));
	rte_malloc_get_socket_stats(0, &st);
	return st.heap_allocsz_bytes;
}

struct acl_ref *acl_ref_build(const struct cb_rule *rules, size_t n, size_t *memory)
{
	static unsigned int serial;
	struct rte_acl_param prm = { 0 };
	struct rte_acl_config cfg = { 0 };
	struct acl_ref *a = calloc(1, sizeof(*a));
	struct acl_rule *r = calloc(n ? n : 1, sizeof(*r));
	size_t before = heap_used(), i;
	char name[RTE_ACL_NAMESIZE];

	if (!a || !r)
		goto fail;
	snprintf(name, sizeof(name), "cb%u", serial++);
	prm.name = name;
	prm.socket_id = SOCKET_ID_ANY;
	prm.rule_size = RTE_ACL_RULE_SZ(NFIELDS);
	prm.max_rule_num = (uint32_t)n;
	a->ctx = rte_acl_create(&prm);
	if (!a->ctx)
		goto fail;
	for (i = 0; i < n; i++) {
		r[i].data.category_mask = 1;
		r[i].data.priority = (int32_t)(n - i);	/* first match wins */
		r[i].data.userdata = (uint32_t)(i + 1);
		r[i].field[F_PROTO].value.u8 = (uint8_t)rules[i].proto;
		r[i].field[F_PROTO].mask_range.u8 = (uint8_t)rules[i].pmask;
		r[i].field[F_SRC].value.u32 = rules[i].src;
		r[i].field[F_SRC].mask_range.u32 = rules[i].slen;
		r[i].field[F_DST].value.u32 = rules[i].dst;
		r[i].field[F_DST].mask_range.u32 = rules[i].dlen;
		r[i].field[F_SPORT].value.u16 = (uint16_t)rules[i].splo;
		r[i].field[F_SPORT].mask_range.u16 = (uint16_t)rules[i].sphi;
		r[i].field[F_DPORT].value.u16 = (uint16_t)rules[i].dplo;
		r[i].field[F_DPORT].mask_range.u16 = (uint16_t)rules[i].dphi;
	}
	if (rte_acl_add_rules(a->ctx, (const struct rte_acl_rule *)r, (uint32_t)n) != 0)
		goto fail;
	cfg.num_categories = 1;
	cfg.num_fields = NFIELDS;
	memcpy(cfg.defs, defs, sizeof(defs));
	if (rte_acl_build(a->ctx, &cfg) != 0)
		goto fail;
	*memory = heap_used() - before;
	free(r);
	return a;
fail:
	fprintf(stderr, "rte_acl: cannot build over %zu rules\n", n);
	free(r);
	acl_ref_free(a);
	return NULL;
}

void acl_ref_free(struct acl_ref *a)
{
	if (a && a->ctx)
		rte_acl_free(a->ctx);
	free(a);
}

void acl_ref_classify(const struct acl_ref *a, const struct pkt *p, size_t n, unsigned int burst, int *rule)
{
	struct tuple t[256];
	const uint8_t *data[256];
	uint32_t res[256];
	size_t i, k;

	if (burst > 256)
		burst = 256;
	for (i = 0; i < n; i += burst) {
		size_t m = n - i < burst ? n - i : burst;

		for (k = 0; k < m; k++) {
			memset(&t[k], 0, sizeof(t[k]));
			t[k].proto = p[i + k].proto;
			memcpy(&t[k].src, p[i + k].src.b, 4);
			memcpy(&t[k].dst, p[i + k].dst.b, 4);
			t[k].sport = __builtin_bswap16(p[i + k].sport);
			t[k].dport = __builtin_bswap16(p[i + k].dport);
			data[k] = (const uint8_t *)&t[k];
		}
		rte_acl_classify(a->ctx, data, res, (uint32_t)m, 1);
		for (k = 0; k < m; k++)
			rule[i + k] = (int)res[k] - 1;
	}
}
