/* conf.h - verdictd.conf(5): daemon options and the policy, parsed into a
 * caller-owned struct so that checking (-t) and a later reload are "parse a
 * fresh one, validate, swap". */
#ifndef VD_CONF_H
#define VD_CONF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "policy.h"

#define CONF_MAX_CPUS 256
#define CONF_MAX_QUEUES 64

struct conf {
	char *path;
	uint16_t queue_first;
	uint16_t queue_last;
	size_t ncpus;
	int cpus[CONF_MAX_CPUS];	/* worker i runs on cpus[i % ncpus] */
	uint32_t mark_mask;		/* conntrack mark bits verdictd owns */
	bool fail_open;			/* NFQA_CFG_F_FAIL_OPEN */
	bool bypass;			/* rules: --queue-bypass when no daemon */
	uint32_t queue_maxlen;
	uint32_t rcvbuf;		/* bytes, forced (SO_RCVBUFFORCE) */
	uint32_t copy_range;		/* bytes of each packet copied to us */
	uint32_t batch;			/* packets per receive batch */
	enum policy_action on_error;	/* verdict for packets we cannot read */
	int transport;			/* enum tp_kind */
	uint32_t ring_buffers;		/* ring transport: receive buffers */
	struct policy policy;
};

/* Fills in the defaults. */
void conf_init(struct conf *c);

/* Parses @path (or @text, named @name in messages) into @c, which must have
 * been conf_init()ed. Every error is printed to @err as "file:line:col:
 * message"; returns the number of errors (0: @c is complete and valid). */
int conf_load_file(struct conf *c, const char *path, FILE *err);
int conf_load_string(struct conf *c, const char *name, const char *text, FILE *err);

void conf_free(struct conf *c);

/* "0,1,3" into c->cpus. -1 if malformed, *bad the offset of the bad entry. */
int conf_parse_cpus(struct conf *c, const char *list, size_t *bad);

/* "3" or "0-3". 0 on success, -1 if malformed. */
int conf_parse_queues(const char *s, uint16_t *first, uint16_t *last);

/* Conntrack mark layout: the two lowest bits of mark_mask hold the verdict
 * code; the bits above them hold the value of a "mark" action. */
enum conf_ct_code { CT_CODE_NONE, CT_CODE_ACCEPT, CT_CODE_DROP, CT_CODE_REJECT };

static inline uint32_t conf_code_mask(uint32_t mark_mask)
{
	return 3u << __builtin_ctz(mark_mask);
}

static inline uint32_t conf_code_bits(uint32_t mark_mask, enum conf_ct_code code)
{
	return (uint32_t)code << __builtin_ctz(mark_mask);
}

#endif
