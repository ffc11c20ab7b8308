/* privs.c - keeping CAP_NET_ADMIN alone, as the configured user (see
 * privs.h). Capabilities through libcap: it knows the kernel's capability
 * structure versions and how many capabilities this kernel has. */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sys/capability.h>

#include "privs.h"

/* The group operators are told to join to use verdictctl. */
#define PRIVS_GROUP "verdictd"

static int resolve_user(const char *name, uid_t *uid, gid_t *gid, char *err, size_t len)
{
	struct passwd *pw;

	errno = 0;
	if (!(pw = getpwnam(name))) {
		snprintf(err, len, "user '%s' does not exist%s%s", name, errno ? ": " : "",
			 errno ? strerror(errno) : "");
		return -1;
	}
	*uid = pw->pw_uid;
	if (gid)
		*gid = pw->pw_gid;
	return 0;
}

/* The control socket's group: the configured one, else verdictd's group
 * when the system has one, else the daemon's own. */
static int resolve_group(const struct conf *c, struct privs *p, char *err, size_t len)
{
	const char *name = c->control_group[0] ? c->control_group : PRIVS_GROUP;
	struct group *gr;

	if ((gr = getgrnam(name))) {
		p->ctl_gid = gr->gr_gid;
		return 0;
	}
	if (!c->control_group[0]) {
		p->ctl_gid = p->gid;
		return 0;
	}
	snprintf(err, len, "control-group '%s' does not exist", name);
	return -1;
}

int privs_resolve(const struct conf *c, struct privs *p, char *err, size_t len)
{
	memset(p, 0, sizeof(*p));
	p->uid = geteuid();
	p->gid = getegid();
	if (c->user[0]) {
		if (resolve_user(c->user, &p->uid, &p->gid, err, len) < 0)
			return -1;
		snprintf(p->user, sizeof(p->user), "%s", c->user);
		p->change = geteuid() != p->uid;
	}
	p->ctl_uid = p->uid;
	if (c->control_owner[0] && resolve_user(c->control_owner, &p->ctl_uid, NULL, err, len) < 0)
		return -1;
	p->ctl_mode = (mode_t)c->control_mode;
	return resolve_group(c, p, err, len);
}

int privs_control_socket(const struct privs *p, const char *path, char *err, size_t len)
{
	struct stat st;

	if (stat(path, &st) < 0) {
		snprintf(err, len, "control socket %s: %s", path, strerror(errno));
		return -1;
	}
	if ((st.st_uid != p->ctl_uid || st.st_gid != p->ctl_gid) &&
	    chown(path, p->ctl_uid, p->ctl_gid) < 0) {
		snprintf(err, len, "control socket %s: cannot give it to uid %u gid %u: %s", path,
			 (unsigned)p->ctl_uid, (unsigned)p->ctl_gid, strerror(errno));
		return -1;
	}
	if (chmod(path, p->ctl_mode) < 0) {
		snprintf(err, len, "control socket %s: cannot set mode %04o: %s", path,
			 (unsigned)p->ctl_mode, strerror(errno));
		return -1;
	}
	return 0;
}

/* Every capability but CAP_NET_ADMIN out of the bounding set; that needs
 * CAP_SETPCAP, which a daemon started by systemd with a bounding set of
 * its own does not have (and does not need: it is narrow already). */
static int drop_bounding(char *err, size_t len)
{
	cap_value_t v, max = (cap_value_t)cap_max_bits();
	int extra = 0, ret = 0;

	for (v = 0; v < max; v++) {
		if (v == CAP_NET_ADMIN || cap_get_bound(v) != 1)
			continue;
		if (cap_drop_bound(v) < 0)
			extra++;
	}
	if (extra) {
		snprintf(err, len, "%d capabilities stay in the bounding set (verdictd was started"
			 " without CAP_SETPCAP: give the unit CapabilityBoundingSet=CAP_NET_ADMIN)",
			 extra);
		ret = 1;
	}
	return ret;
}

/* Becomes the user, keeping the permitted set across setuid (the effective
 * set is emptied by it; keep_net_admin() fills it again). */
static int switch_user(const struct privs *p, char *err, size_t len)
{
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || initgroups(p->user, p->gid) < 0 ||
	    setgid(p->gid) < 0 || setuid(p->uid) < 0) {
		snprintf(err, len, "cannot become user %s (uid %u gid %u): %s", p->user,
			 (unsigned)p->uid, (unsigned)p->gid, strerror(errno));
		return -1;
	}
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	return 0;
}

/* Permitted and effective: CAP_NET_ADMIN; inheritable and ambient: empty.
 * The sets are written only when they differ: a unit's system call filter
 * may refuse capset(2), and then they are as wanted already. */
static int keep_net_admin(char *err, size_t len)
{
	cap_value_t net_admin = CAP_NET_ADMIN;
	cap_t want = cap_init(), now = cap_get_proc();
	cap_flag_value_t have = CAP_CLEAR;
	int ret = -1;

	if (!want || !now) {
		snprintf(err, len, "cannot read capabilities: %s", strerror(errno));
		goto out;
	}
	cap_get_flag(now, CAP_NET_ADMIN, CAP_PERMITTED, &have);
	if (have != CAP_SET) {
		snprintf(err, len, "CAP_NET_ADMIN is not among the permitted capabilities");
		goto out;
	}
	cap_set_flag(want, CAP_PERMITTED, 1, &net_admin, CAP_SET);
	cap_set_flag(want, CAP_EFFECTIVE, 1, &net_admin, CAP_SET);
	if (cap_compare(want, now) != 0 && cap_set_proc(want) < 0) {
		snprintf(err, len, "cannot keep CAP_NET_ADMIN alone: %s", strerror(errno));
		goto out;
	}
	if (CAP_AMBIENT_SUPPORTED() && cap_reset_ambient() < 0) {
		snprintf(err, len, "cannot clear the ambient capabilities: %s", strerror(errno));
		goto out;
	}
	ret = 0;
out:
	cap_free(want);
	cap_free(now);
	return ret;
}

int privs_drop(const struct privs *p, char *err, size_t len)
{
	int bound;

	if (p->change && geteuid() != 0) {
		snprintf(err, len, "user %s: verdictd was started as uid %u, not as root, so it"
			 " cannot become another user (drop 'user', or start it as root)",
			 p->user, (unsigned)geteuid());
		return -1;
	}
	/* Nothing verdictd could execute gains privileges (it executes
	 * nothing; this makes it so). */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, len, "cannot set no_new_privs: %s", strerror(errno));
		return -1;
	}
	/* The bounding set first: narrowing it needs CAP_SETPCAP, which
	 * switching to the user takes away. */
	bound = drop_bounding(err, len);
	if (p->change && switch_user(p, err, len) < 0)
		return -1;
	if (keep_net_admin(err, len) < 0)
		return -1;
	return bound;
}
