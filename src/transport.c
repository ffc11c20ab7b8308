/* transport.c - choosing a transport: what this kernel, its settings and
 * any seccomp or container policy allow, probed by doing it. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <liburing.h>

#include "transport.h"

static int read_sysctl(const char *path)
{
	FILE *f = fopen(path, "r");
	int v = -1;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* A multishot recv with a provided-buffer ring, on a socketpair: the
 * ring transport's whole receive path, tried for real. */
static int probe_multishot(struct io_uring *ring, char *why, size_t len)
{
	static char buf[4][256];
	struct io_uring_buf_ring *br = NULL;
	struct io_uring_buf_reg reg = { 0 };
	struct io_uring_cqe *cqe;
	struct io_uring_sqe *sqe;
	int sv[2] = { -1, -1 }, ret = -1, i;

	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) < 0 || posix_memalign((void **)&br, 4096, 4096) != 0) {
		snprintf(why, len, "cannot set up the probe: %s", strerror(errno));
		goto out;
	}
	reg.ring_addr = (unsigned long)br;
	reg.ring_entries = 4;
	reg.bgid = 9;
	if ((ret = io_uring_register_buf_ring(ring, &reg, 0)) < 0) {
		snprintf(why, len, "provided-buffer rings are not supported (%s; Linux 5.19 has them)",
			 strerror(-ret));
		goto out;
	}
	io_uring_buf_ring_init(br);
	for (i = 0; i < 4; i++)
		io_uring_buf_ring_add(br, buf[i], sizeof(buf[i]), (unsigned short)i, 3, i);
	io_uring_buf_ring_advance(br, 4);
	sqe = io_uring_get_sqe(ring);
	io_uring_prep_recv_multishot(sqe, sv[0], NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = 9;
	if (write(sv[1], "probe", 5) != 5 || io_uring_submit(ring) < 0 ||
	    (ret = io_uring_wait_cqe(ring, &cqe)) < 0) {
		snprintf(why, len, "io_uring receive failed: %s", strerror(ret < 0 ? -ret : errno));
		ret = -1;
		goto out;
	}
	ret = cqe->res == 5 && (cqe->flags & IORING_CQE_F_MORE) ? 0 : -1;
	if (ret < 0)
		snprintf(why, len, "multishot recv is not supported (%s; Linux 6.0 has it)",
			 cqe->res < 0 ? strerror(-cqe->res) : "no IORING_CQE_F_MORE");
	io_uring_cqe_seen(ring, cqe);
out:
	if (sv[0] >= 0) {
		close(sv[0]);
		close(sv[1]);
	}
	free(br);
	return ret < 0 ? -1 : 0;
}

static int probe_ring(char *why, size_t len)
{
	struct io_uring ring;
	int disabled = read_sysctl("/proc/sys/kernel/io_uring_disabled");
	int ret;

	if (disabled == 2) {
		snprintf(why, len, "io_uring is disabled (kernel.io_uring_disabled = 2)");
		return -1;
	}
	ret = io_uring_queue_init(8, &ring, 0);
	if (ret == -ENOSYS) {
		snprintf(why, len, "this kernel has no io_uring (ENOSYS)");
		return -1;
	}
	if (ret == -EPERM || ret == -EACCES) {
		snprintf(why, len, "io_uring is not permitted here (%s: %s)", strerror(-ret),
			 disabled == 1 ? "kernel.io_uring_disabled = 1 and we are not in io_uring_group"
				       : "a seccomp or container policy forbids it");
		return -1;
	}
	if (ret < 0) {
		snprintf(why, len, "io_uring setup failed: %s", strerror(-ret));
		return -1;
	}
	ret = probe_multishot(&ring, why, len);
	io_uring_queue_exit(&ring);
	if (ret == 0)
		snprintf(why, len, "io_uring with provided-buffer rings and multishot recv works here");
	return ret;
}

int transport_choose(enum tp_kind want, enum tp_kind *got, char *why, size_t len)
{
	if (want == TP_SOCKET) {
		*got = TP_SOCKET;
		snprintf(why, len, "chosen in the configuration");
		return 0;
	}
	if (probe_ring(why, len) == 0) {
		*got = TP_RING;
		return 0;
	}
	if (want == TP_RING)
		return -1;
	*got = TP_SOCKET;
	return 0;
}

void transport_probe_legacy_mmap(char *msg, size_t len)
{
	/* From the removed uapi: NETLINK_RX_RING = 6 and its request. */
	struct { unsigned int block_size, block_nr, frame_size, frame_nr; } req = { 4096, 1, 2048, 2 };
	int fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER);

	if (fd < 0) {
		snprintf(msg, len, "legacy mmap'd netlink rings: not probed (%s)", strerror(errno));
		return;
	}
	if (setsockopt(fd, SOL_NETLINK, 6, &req, sizeof(req)) < 0)
		snprintf(msg, len, "legacy mmap'd netlink rings (NETLINK_RX_RING): %s, as expected since"
			 " Linux 4.8 removed them; io_uring's rings take their place", strerror(errno));
	else
		snprintf(msg, len, "legacy mmap'd netlink rings (NETLINK_RX_RING): accepted by this"
			 " kernel, but not used: io_uring's rings replace them");
	close(fd);
}

struct transport *transport_open(enum tp_kind kind, struct mnl_socket *nl, const struct tp_params *p,
				 int stop_fd, char *err, size_t errlen)
{
	struct transport *t;

	if (kind == TP_RING)
		return transport_ring_open(nl, p, stop_fd, err, errlen);
	t = transport_socket_open(nl, p, stop_fd);
	if (!t)
		snprintf(err, errlen, "out of memory");
	return t;
}
