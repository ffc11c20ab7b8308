/* conf.h - verdictd.conf(5): daemon options and the policy, parsed into a
 * caller-owned struct so that checking (-t) and a later reload are "parse a
 * fresh one, validate, swap". */
#ifndef VD_CONF_H
#define VD_CONF_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "log.h"
#include "policy.h"
#include "sha256.h"
#include "transport.h"

#define CONF_MAX_CPUS 256
#define CONF_MAX_QUEUES 64
#define CONF_NAME_MAX 33		/* a user or group name, with its NUL */

/* Where a rule names an interface (iif/oif), for conf_warn_ifaces(). */
struct conf_iface_ref {
	unsigned int line, col;		/* of the interface name */
	bool out;			/* oif (else iif) */
	bool neg;			/* "!NAME" */
	char name[IF_NAMESIZE];
};

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
	enum tp_kind transport;
	uint32_t ring_buffers;		/* ring transport: receive buffers */
	uint32_t set_poll_ms;		/* the kernel sets' headers, this often; 0: never */
	char user[CONF_NAME_MAX];	/* run as this user once set up ("": as started) */
	char control_owner[CONF_NAME_MAX];	/* the control socket's ("": the daemon's user) */
	char control_group[CONF_NAME_MAX];	/* ("": verdictd if it exists, else the user's) */
	uint32_t control_mode;		/* its permission bits */
	enum log_target log_to;		/* where log lines go */
	enum log_level log_level;
	uint32_t log_rate;		/* 'log' rules: lines a second, per queue */
	char metrics_listen[64];	/* "IP:PORT" of the HTTP /metrics; "" none */
	char sha256[SHA256_HEX_LEN];	/* of the file as read ("" for a string) */
	struct policy policy;
	struct conf_iface_ref *ifrefs;	/* every iif/oif of the rules, in order */
	size_t nifrefs;
};

/* Fills in the defaults. */
void conf_init(struct conf *c);

/* Parses @path (or @text, named @name in messages) into @c, which must have
 * been conf_init()ed. Every error is printed to @err as "file:line:col:
 * message", in line order (column order within a line); returns the number
 * of errors (0: @c is complete and valid). conf_load_file() also prints,
 * when there is no error, the warnings about the file as a whole
 * (conf_warn()). */
int conf_load_file(struct conf *c, const char *path, FILE *err);
int conf_load_string(struct conf *c, const char *name, const char *text, FILE *err);

/* Warnings about a valid configuration as a whole, one line each, to @out:
 * a policy without rules and without an explicit 'default' (every new
 * connection dropped). Returns the number printed. */
int conf_warn(const struct conf *c, FILE *out);

/* One "file:line:col: warning:" line to @out for every iif/oif that names
 * an interface this host does not have now (interfaces are looked up when
 * verdictd starts). Returns the number printed. */
int conf_warn_ifaces(const struct conf *c, FILE *out);


void conf_free(struct conf *c);

/* "0,1,3" into c->cpus. -1 if malformed, *bad the offset of the bad entry. */
int conf_parse_cpus(struct conf *c, const char *list, size_t *bad);

/* "3" or "0-3". 0 on success, -1 if malformed. */
int conf_parse_queues(const char *s, uint16_t *first, uint16_t *last);

#endif
