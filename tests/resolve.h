/* resolve.h - a numeric address and port into a sockaddr, for the test
 * tools (probe, flowpush). */
#ifndef VD_TESTS_RESOLVE_H
#define VD_TESTS_RESOLVE_H

#include <netdb.h>
#include <string.h>
#include <sys/socket.h>

static inline int resolve(const char *host, const char *port, int type,
			  struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints = { .ai_socktype = type, .ai_flags = AI_NUMERICHOST }, *res;

	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

#endif
