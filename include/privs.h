/* privs.h - what the running daemon keeps of its privileges.
 *
 * verdictd needs root (or CAP_NET_ADMIN) to bind its queues, force their
 * receive buffers, read and create ipsets and rewrite conntrack marks. Once
 * everything that needs more is set up (the queues bound, the control
 * socket made and handed to its owner, group and mode) and before any
 * worker thread starts (capabilities are per thread; threads started
 * later inherit the main thread's), it keeps CAP_NET_ADMIN alone, in the
 * bounding, permitted and effective sets, with no_new_privs, and runs as
 * the configured user. Reloads, set edits and conntrack updates need
 * nothing more: they are all nfnetlink requests that CAP_NET_ADMIN allows.
 *
 * Started by systemd with User= and AmbientCapabilities=CAP_NET_ADMIN, it
 * is already so; privs_drop() then only checks, and changes nothing the
 * unit's system call filter would refuse. */
#ifndef VD_PRIVS_H
#define VD_PRIVS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "conf.h"

struct privs {
	bool change;		/* switch to uid/gid (started as root with 'user') */
	uid_t uid;		/* what the daemon runs as */
	gid_t gid;
	char user[CONF_NAME_MAX];
	uid_t ctl_uid;		/* the control socket's owner, group and mode */
	gid_t ctl_gid;
	mode_t ctl_mode;
};

/* Looks up the names of @c ('user', 'control-owner', 'control-group') in
 * the account database (also for -t). -1 with a sentence in @err for a
 * name that does not exist. */
int privs_resolve(const struct conf *c, struct privs *p, char *err, size_t len);

/* Gives the control socket at @path its owner, group and mode (before
 * privs_drop: a chown to another user needs CAP_CHOWN). -1 with a
 * sentence in @err. */
int privs_control_socket(const struct privs *p, const char *path, char *err, size_t len);

/* Keeps CAP_NET_ADMIN alone and becomes the user, in the calling thread
 * (call it before starting others). 0; 1 with a warning in @err (the
 * bounding set could not be narrowed: started without CAP_SETPCAP); -1
 * with a sentence in @err (e.g. another user, and not started as root). */
int privs_drop(const struct privs *p, char *err, size_t len);

#endif
