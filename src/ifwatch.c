/* ifwatch.c - following links with rtnetlink (libmnl): a socket joined to
 * RTNLGRP_LINK; any RTM_NEWLINK or RTM_DELLINK makes the policy's names be
 * looked up again (a handful of if_nametoindex calls: no need to track
 * which link the event was about). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "ifwatch.h"

struct ifwatch {
	struct mnl_socket *nl;
};

struct ifwatch *ifwatch_open(char *err, size_t errlen)
{
	struct ifwatch *iw = calloc(1, sizeof(*iw));

	if (!iw) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	iw->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!iw->nl || mnl_socket_bind(iw->nl, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "cannot follow network interfaces (rtnetlink): %s;"
			 " interfaces that appear later are not matched until a restart",
			 strerror(errno));
		ifwatch_close(iw);
		return NULL;
	}
	return iw;
}

int ifwatch_fd(const struct ifwatch *iw)
{
	return mnl_socket_get_fd(iw->nl);
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	bool *changed = data;

	if (nlh->nlmsg_type == RTM_NEWLINK || nlh->nlmsg_type == RTM_DELLINK)
		*changed = true;
	return MNL_CB_OK;
}

int ifwatch_read(struct ifwatch *iw, struct policy *pol)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	bool changed = false, lost = false;
	ssize_t n;

	while ((n = mnl_socket_recvfrom(iw->nl, buf, sizeof(buf))) > 0)
		mnl_cb_run(buf, (size_t)n, 0, 0, link_cb, &changed);
	/* ENOBUFS: events were dropped; look everything up again. */
	if (n < 0 && errno == ENOBUFS)
		lost = true;
	else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
		return -1;
	if (!changed && !lost)
		return 0;
	return (int)policy_resolve_ifaces(pol);
}

void ifwatch_close(struct ifwatch *iw)
{
	if (!iw)
		return;
	if (iw->nl)
		mnl_socket_close(iw->nl);
	free(iw);
}
