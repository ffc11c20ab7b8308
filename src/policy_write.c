/* policy_write.c - a policy back into verdictd.conf(5) text, which
 * conf_load_*() reads into the same policy (the importer writes its
 * translation this way, and the tests read it back). */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "policy.h"
#include "vocab.h"

static void write_addr(FILE *out, const char *key, const struct match_addr *m)
{
	char buf[INET6_ADDRSTRLEN];
	size_t i;

	if (!m->present)
		return;
	fprintf(out, " %s %s", key, m->neg ? "!" : "");
	for (i = 0; i < m->n; i++) {
		inet_ntop(m->pfx[i].family, m->pfx[i].addr.b, buf, sizeof(buf));
		fprintf(out, "%s%s/%u", i ? "," : "", buf, m->pfx[i].plen);
	}
}

static void write_ports(FILE *out, const char *key, const struct match_ports *m)
{
	size_t i;

	if (!m->present)
		return;
	fprintf(out, " %s %s", key, m->neg ? "!" : "");
	for (i = 0; i < m->n; i++) {
		fprintf(out, "%s%u", i ? "," : "", m->range[i].lo);
		if (m->range[i].hi != m->range[i].lo)
			fprintf(out, "-%u", m->range[i].hi);
	}
}

/* "src @NAME" for a one-dimension set, "set @NAME src,dst" otherwise. */
static void write_setm(FILE *out, const struct policy *pol, const struct match_set *m)
{
	static const char *const dir[] = { "src", "dst" }, *const port[] = { "sport", "dport" };
	const struct policy_set *s = &pol->sets[m->set];
	const char *neg = m->neg ? "!" : "";

	if (set_type_dims(s->type) == 2)
		fprintf(out, " set %s@%s %s,%s", neg, s->name, dir[m->dir[0]], dir[m->dir[1]]);
	else
		fprintf(out, " %s %s@%s", s->type == SET_BITMAP_PORT ? port[m->dir[0]] : dir[m->dir[0]],
			neg, s->name);
}

void policy_write_set(FILE *out, const struct policy_set *s)
{
	fprintf(out, "set %s %s", s->name, set_type_name(s->type));
	if (s->type == SET_BITMAP_PORT)
		fprintf(out, " range %u-%u\n", s->port_lo, s->port_hi);
	else
		fprintf(out, " family %s\n", s->family == AF_INET6 ? "inet6" : "inet");
}

void policy_write_rule(FILE *out, const struct policy *pol, const struct policy_rule *r)
{
	size_t i;

	if (r->action == ACT_MARK)
		fprintf(out, "mark 0x%x", r->mark);
	else
		fprintf(out, "%s", policy_action_name(r->action));
	if (r->family)
		fprintf(out, " family %s", r->family == AF_INET6 ? "inet6" : "inet");
	if (r->hook)
		fprintf(out, " hook %s", policy_hook_name(r->hook));
	if (r->iif.present)
		fprintf(out, " iif %s%s", r->iif.neg ? "!" : "", r->iif.name);
	if (r->oif.present)
		fprintf(out, " oif %s%s", r->oif.neg ? "!" : "", r->oif.name);
	write_addr(out, "src", &r->src);
	write_addr(out, "dst", &r->dst);
	if (r->proto >= 0) {
		const char *name = vocab_proto_name((int)r->proto);

		if (name)
			fprintf(out, " proto %s", name);
		else
			fprintf(out, " proto %d", r->proto);
	}
	write_ports(out, "sport", &r->sport);
	write_ports(out, "dport", &r->dport);
	if (r->icmp_type >= 0) {
		fprintf(out, " icmp-type %d", r->icmp_type);
		if (r->icmp_code >= 0)
			fprintf(out, "/%d", r->icmp_code);
	}
	for (i = 0; i < r->nsetm; i++)
		write_setm(out, pol, &r->setm[i]);
	if (r->log)
		fprintf(out, " log");
}
