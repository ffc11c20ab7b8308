/* acl_ref.h - DPDK's rte_acl, the reference software 5-tuple classifier,
 * for the classifier benchmark only (built when configure finds libdpdk). */
#ifndef VD_ACL_REF_H
#define VD_ACL_REF_H

#include <stddef.h>
#include <stdint.h>

#include "pkt.h"

/* One ClassBench rule, host byte order. */
struct cb_rule {
	uint32_t src, dst;
	unsigned int slen, dlen, splo, sphi, dplo, dphi, proto, pmask;
};

struct acl_ref;

/* 0 when rte_acl can run here (EAL up without hugepages), else -1. */
int acl_ref_init(void);
/* Builds over @rules (first match = highest priority); *@memory gets the
 * bytes the build took from DPDK's heap. NULL on failure. */
struct acl_ref *acl_ref_build(const struct cb_rule *rules, size_t n, size_t *memory);
void acl_ref_free(struct acl_ref *a);
/* First matching rule index for each of @n headers, -1 for none, looked up
 * @burst at a time as DPDK applications do (bursts of packets). */
void acl_ref_classify(const struct acl_ref *a, const struct pkt *p, size_t n, unsigned int burst, int *rule);

#endif
