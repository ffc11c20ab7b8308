/* policy_write.c - a policy back into verdictd.conf(5) text, which
 * conf_load_*() reads into the same policy (the importer writes its
 * translation this way, and the tests read it back). */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "policy.h"

/* " KEY [!]" and, for a set, "@NAME": true when the match is a set (or
 * absent), i.e. nothing more to write. */
static bool write_head(FILE *out, const char *key, bool present, bool neg, int set,
		       const struct policy *pol)
{
	if (!present)
		return true;
	fprintf(out, " %s %s", key, neg ? "!" : "");
	if (set < 0)
		return false;
	fprintf(out, "@%s", pol->sets[set].name);
	return true;
}

static void write_addr(FILE *out, const char *key, const struct match_addr *m,
		       const struct policy *pol)
{
	char buf[INET6_ADDRSTRLEN];
	size_t i;

	if (write_head(out, key, m->present, m->neg, m->set, pol))
		return;
	for (i = 0; i < m->n; i++) {
		inet_ntop(m->pfx[i].family, m->pfx[i].addr.b, buf, sizeof(buf));
		fprintf(out, "%s%s/%u", i ? "," : "", buf, m->pfx[i].plen);
	}
}

static void write_ports(FILE *out, const char *key, const struct match_ports *m,
			const struct policy *pol)
{
	size_t i;

	if (write_head(out, key, m->present, m->neg, m->set, pol))
		return;
	for (i = 0; i < m->n; i++) {
		fprintf(out, "%s%u", i ? "," : "", m->range[i].lo);
		if (m->range[i].hi != m->range[i].lo)
			fprintf(out, "-%u", m->range[i].hi);
	}
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
	write_addr(out, "src", &r->src, pol);
	write_addr(out, "dst", &r->dst, pol);
	if (r->proto >= 0) {
		const char *name = pkt_proto_name((uint8_t)r->proto);

		if (name)
			fprintf(out, " proto %s", name);
		else
			fprintf(out, " proto %d", r->proto);
	}
	write_ports(out, "sport", &r->sport, pol);
	write_ports(out, "dport", &r->dport, pol);
	if (r->icmp_type >= 0) {
		fprintf(out, " icmp-type %d", r->icmp_type);
		if (r->icmp_code >= 0)
			fprintf(out, "/%d", r->icmp_code);
	}
}
