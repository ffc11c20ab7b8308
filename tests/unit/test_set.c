/* test_set.c - the userspace set copies against a brute-force model. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "set.h"

static union vd_addr a4(const char *s)
{
	union vd_addr a;

	memset(&a, 0, sizeof(a));
	inet_pton(AF_INET, s, a.b);
	return a;
}

static union vd_addr a6(const char *s)
{
	union vd_addr a;

	memset(&a, 0, sizeof(a));
	inet_pton(AF_INET6, s, a.b);
	return a;
}

static void test_hash_ip(void)
{
	struct vset *s = set_new(SET_HASH_IP, AF_INET);
	union vd_addr a;
	unsigned int i;

	for (i = 0; i < 10000; i++) {
		a.w[0] = htonl(0x0a000000u + i * 7);
		a.w[1] = a.w[2] = a.w[3] = 0;
		CHECK(set_add_addr(s, &a, 32) == 0, "add %u", i);
	}
	CHECK(set_count(s) == 10000, "count %zu", set_count(s));
	for (i = 0; i < 70000; i++) {
		a.w[0] = htonl(0x0a000000u + i);
		CHECK(set_has_addr(s, AF_INET, &a) == (i % 7 == 0 && i / 7 < 10000), "lookup %u", i);
	}
	a = a4("10.0.0.0");
	CHECK(!set_has_addr(s, AF_INET6, &a), "other family never matches");
	set_free(s);
}

static void test_hash_net(void)
{
	struct vset *s = set_new(SET_HASH_NET, AF_INET);
	struct vset *s6 = set_new(SET_HASH_NET, AF_INET6);
	union vd_addr a;

	a = a4("10.0.0.0"); set_add_addr(s, &a, 8);
	a = a4("192.168.7.0"); set_add_addr(s, &a, 24);
	a = a4("203.0.113.9"); set_add_addr(s, &a, 32);
	a = a4("10.1.2.3"); CHECK(set_has_addr(s, AF_INET, &a), "in /8");
	a = a4("11.0.0.1"); CHECK(!set_has_addr(s, AF_INET, &a), "outside /8");
	a = a4("192.168.7.255"); CHECK(set_has_addr(s, AF_INET, &a), "in /24");
	a = a4("192.168.8.0"); CHECK(!set_has_addr(s, AF_INET, &a), "outside /24");
	a = a4("203.0.113.9"); CHECK(set_has_addr(s, AF_INET, &a), "host");
	a = a4("203.0.113.8"); CHECK(!set_has_addr(s, AF_INET, &a), "next to host");
	a = a4("0.0.0.0"); CHECK(set_add_addr(s, &a, 33) < 0, "plen 33 refused");

	a = a6("2001:db8:1::"); set_add_addr(s6, &a, 48);
	a = a6("2001:db8:1:ffff::1"); CHECK(set_has_addr(s6, AF_INET6, &a), "in /48");
	a = a6("2001:db8:2::1"); CHECK(!set_has_addr(s6, AF_INET6, &a), "outside /48");
	a = a6("::"); CHECK(set_add_addr(s6, &a, 0) == 0, "add ::/0");
	a = a6("fe80::1"); CHECK(set_has_addr(s6, AF_INET6, &a), "::/0 holds everything");
	set_free(s);
	set_free(s6);
}

static void test_ports(void)
{
	struct vset *s = set_new(SET_BITMAP_PORT, 0);
	union vd_addr a = a4("1.2.3.4");

	CHECK(set_add_ports(s, 80, 80) == 0 && set_add_ports(s, 8000, 8080) == 0, "add");
	CHECK(set_add_ports(s, 10, 5) < 0, "inverted range refused");
	CHECK(set_has_port(s, 80) && set_has_port(s, 8000) && set_has_port(s, 8080), "members");
	CHECK(!set_has_port(s, 79) && !set_has_port(s, 8081) && !set_has_port(s, 0), "non-members");
	CHECK(set_count(s) == 82, "count %zu", set_count(s));
	CHECK(set_add_addr(s, &a, 32) < 0, "address into a port set refused");
	CHECK(set_type_parse("bitmap:port") == SET_BITMAP_PORT && set_type_parse("list:set") < 0, "types");
	set_free(s);
}

static void test_ip_port(void)
{
	struct vset *s = set_new(SET_HASH_IPPORT, AF_INET);
	struct vset *n6 = set_new(SET_HASH_NETPORT, AF_INET6);
	union vd_addr a = a4("192.0.2.1");
	unsigned int i;

	CHECK(set_add_addr_port(s, &a, 32, IPPROTO_TCP, 443) == 0, "add tcp");
	CHECK(set_add_addr_port(s, &a, 32, IPPROTO_ICMP, 8 << 8) == 0, "add icmp echo-request");
	CHECK(set_add_addr_port(s, &a, 24, IPPROTO_TCP, 80) < 0, "a prefix in hash:ip,port refused");
	CHECK(set_add_addr(s, &a, 32) < 0, "an address alone refused");
	CHECK(set_has_addr_port(s, AF_INET, &a, IPPROTO_TCP, 443), "member");
	CHECK(!set_has_addr_port(s, AF_INET, &a, IPPROTO_UDP, 443), "other protocol");
	CHECK(!set_has_addr_port(s, AF_INET, &a, IPPROTO_TCP, 444), "other port");
	CHECK(set_has_addr_port(s, AF_INET, &a, IPPROTO_ICMP, 8 << 8), "icmp type/code");
	CHECK(!set_has_addr(s, AF_INET, &a), "not an address set");
	a = a4("192.0.2.2");
	CHECK(!set_has_addr_port(s, AF_INET, &a, IPPROTO_TCP, 443), "other address");
	/* many entries, one address with every port: the key's port bits
	 * spread over the table (no clustering) */
	for (i = 0; i < 20000; i++)
		set_add_addr_port(s, &a, 32, IPPROTO_UDP, (uint16_t)(i * 3));
	for (i = 0; i < 60000; i++)
		CHECK(set_has_addr_port(s, AF_INET, &a, IPPROTO_UDP, (uint16_t)i) == (i % 3 == 0), "udp %u", i);
	CHECK(set_count(s) == 20002, "count %zu", set_count(s));

	a = a6("2001:db8:1::");
	CHECK(set_add_addr_port(n6, &a, 48, IPPROTO_UDP, 53) == 0, "add net,port");
	a = a6("2001:db8:1:2::5");
	CHECK(set_has_addr_port(n6, AF_INET6, &a, IPPROTO_UDP, 53), "in the /48, port 53");
	CHECK(!set_has_addr_port(n6, AF_INET6, &a, IPPROTO_UDP, 54), "port 54");
	CHECK(!set_has_addr_port(n6, AF_INET, &a, IPPROTO_UDP, 53), "other family");
	CHECK(set_type_parse("hash:ip,port") == SET_HASH_IPPORT &&
	      set_type_parse("hash:net,port") == SET_HASH_NETPORT && set_type_dims(SET_HASH_IPPORT) == 2,
	      "types");
	set_free(s);
	set_free(n6);
}

/* Adds and deletes in random order against a plain array model: every
 * lookup after every few edits agrees (backward-shift deletion keeps the
 * probe runs intact). */
static void test_delete(void)
{
	struct vset *s = set_new(SET_HASH_IPPORT, AF_INET), *n = set_new(SET_HASH_NET, AF_INET);
	struct vset *p = set_new(SET_BITMAP_PORT, 0);
	static uint8_t in[4096];
	unsigned int seed = 7, i, k, bad = 0;
	union vd_addr a;

	memset(&a, 0, sizeof(a));
	for (i = 0; i < 200000; i++) {
		unsigned int e = (unsigned int)rand_r(&seed) % 4096;
		bool add = rand_r(&seed) % 2;

		a.w[0] = htonl(0x0a000000u + e / 16);
		if (add) {
			CHECK(set_add_addr_port(s, &a, 32, IPPROTO_TCP, (uint16_t)(e % 16)) == 0, "add");
			in[e] = 1;
		} else {
			CHECK((set_del_addr_port(s, &a, 32, IPPROTO_TCP, (uint16_t)(e % 16)) == 0) == in[e],
			      "del %u", e);
			in[e] = 0;
		}
		if (i % 997 == 0)
			for (k = 0; k < 4096; k++) {
				a.w[0] = htonl(0x0a000000u + k / 16);
				bad += set_has_addr_port(s, AF_INET, &a, IPPROTO_TCP, (uint16_t)(k % 16)) != in[k];
			}
	}
	for (k = 0, i = 0; k < 4096; k++)
		i += in[k];
	CHECK(bad == 0 && set_count(s) == i, "%u lookups differ from the model; count %zu, model %u",
	      bad, set_count(s), i);

	a = a4("10.0.0.0");
	set_add_addr(n, &a, 8);
	a = a4("10.1.0.0");
	set_add_addr(n, &a, 16);
	CHECK(set_del_addr(n, &a, 24) < 0 && errno == ENOENT, "a /24 that is not there");
	CHECK(set_del_addr(n, &a, 16) == 0, "del /16");
	a = a4("10.1.2.3");
	CHECK(set_has_addr(n, AF_INET, &a), "still in the /8");
	a = a4("10.0.0.0");
	CHECK(set_del_addr(n, &a, 8) == 0 && !set_has_addr(n, AF_INET, &a) && set_count(n) == 0, "empty");
	set_add_ports(p, 10, 20);
	CHECK(set_del_ports(p, 15, 30) == 0 && set_has_port(p, 14) && !set_has_port(p, 15) &&
	      set_count(p) == 5, "port range deleted");
	set_free(s);
	set_free(n);
	set_free(p);
}

/* hash:net's nomatch: the longest prefix holding the address decides. */
static void test_nomatch(void)
{
	struct vset *s = set_new(SET_HASH_NET, AF_INET);
	struct set_elem e = { .plen = 8 };
	union vd_addr a;

	e.addr = a4("10.0.0.0");
	CHECK(set_elem_add(s, &e) == 0, "add /8");
	e.addr = a4("10.1.0.0"); e.plen = 16; e.nomatch = true;
	CHECK(set_elem_add(s, &e) == 0, "add /16 nomatch");
	e.addr = a4("10.1.2.0"); e.plen = 24; e.nomatch = false;
	CHECK(set_elem_add(s, &e) == 0, "add /24 inside the exception");
	a = a4("10.2.0.1"); CHECK(set_has_addr(s, AF_INET, &a), "in /8");
	a = a4("10.1.0.1"); CHECK(!set_has_addr(s, AF_INET, &a), "nomatch /16 excepts it");
	a = a4("10.1.2.1"); CHECK(set_has_addr(s, AF_INET, &a), "/24 inside the exception matches");
	e.addr = a4("10.1.0.0"); e.plen = 16; e.nomatch = false;
	CHECK(set_elem_add(s, &e) == 0 && set_count(s) == 3, "add again without nomatch: flag cleared");
	a = a4("10.1.0.1"); CHECK(set_has_addr(s, AF_INET, &a), "no longer an exception");
	set_free(s);
	s = set_new(SET_HASH_IP, AF_INET);
	e.nomatch = true; e.plen = 32;
	CHECK(set_elem_add(s, &e) < 0 && errno == EINVAL, "hash:ip has no nomatch");
	set_free(s);
}

/* A sealed set is edited in place while readers may look (tombstones, no
 * move); what would move memory says EAGAIN, and a clone takes it. */
static void test_sealed(void)
{
	struct vset *s = set_new(SET_HASH_NET, AF_INET), *c, *d;
	union vd_addr a;
	unsigned int i;
	int r;

	for (i = 0; i < 100; i++) {
		a.w[0] = htonl(0x0a000000u + i); a.w[1] = a.w[2] = a.w[3] = 0;
		set_add_addr(s, &a, 32);
	}
	set_seal(s);
	a = a4("10.0.0.5");
	CHECK(set_del_addr(s, &a, 32) == 0 && !set_has_addr(s, AF_INET, &a), "del in place");
	CHECK(set_add_addr(s, &a, 32) == 0 && set_has_addr(s, AF_INET, &a), "add back (a fresh slot)");
	a = a4("192.168.0.0");
	CHECK(set_add_addr(s, &a, 16) < 0 && errno == EAGAIN, "a new prefix length: EAGAIN");
	CHECK(set_count(s) == 100, "count kept (%zu)", set_count(s));
	for (i = 0, r = 0; i < 100000 && r == 0; i++) {
		a.w[0] = htonl(0x0b000000u + i);
		r = set_add_addr(s, &a, 32);
		if (r == 0)
			CHECK(set_del_addr(s, &a, 32) == 0, "churn del %u", i);
	}
	CHECK(r < 0 && errno == EAGAIN, "tombstones fill the table: EAGAIN after %u", i);
	c = set_clone(s);
	CHECK(c && set_equal(c, s) && set_equal(s, c), "the clone holds the same");
	a = a4("192.168.0.0");
	CHECK(set_add_addr(c, &a, 16) == 0, "the (unsealed) clone takes the new prefix");
	a = a4("192.168.3.4");
	CHECK(set_has_addr(c, AF_INET, &a) && !set_has_addr(s, AF_INET, &a), "only in the clone");
	CHECK(!set_equal(c, s), "no longer equal");
	d = set_ref(c);
	set_free(c);
	CHECK(set_has_addr(d, AF_INET, &a), "a reference keeps it");
	set_free(d);
	set_free(s);
}

int main(void)
{
	test_nomatch();
	test_sealed();
	test_delete();
	test_hash_ip();
	test_hash_net();
	test_ports();
	test_ip_port();
	return check_report("test_set");
}
