/* privdrop.c — giving up root and capabilities once the capture device is open
 * (POSIX setuid semantics as Linux implements them: setresuid(2), capabilities(7), prctl(2))
 *
 * The capture socket and the output files are opened with the rights the process was started
 * with; nothing that parses a packet runs before the rights are given up.  Capabilities are
 * cleared with the raw capset system call so the tool needs no libcap.
 */
#include "privdrop.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

static int privdrop_capget(struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3])
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};

	memset(d, 0, sizeof(*d) * _LINUX_CAPABILITY_U32S_3);
	return (int)syscall(SYS_capget, &h, d);
}

bool privdrop_has_caps(void)
{
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	if (privdrop_capget(d) != 0)
		return true; /* unknown: assume the worst */
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		if (d[i].effective || d[i].permitted || d[i].inheritable)
			return true;
	return false;
}

/* Clear the effective, permitted, inheritable and ambient sets and forbid regaining any
 * through execve (no_new_privs).  The bounding set cannot be changed without CAP_SETPCAP and
 * does not matter once the permitted set is empty and no_new_privs is set. */
static int privdrop_clear_caps(char *why, size_t whylen)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	/* EINVAL: a kernel older than 4.3 has no ambient set, so nothing to clear there. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
		snprintf(why, whylen, "cannot clear the ambient capabilities: %s", strerror(errno));
		return -1;
	}
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capset, &h, d) != 0) {
		snprintf(why, whylen, "cannot clear the capabilities: %s", strerror(errno));
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		snprintf(why, whylen, "cannot set no_new_privs: %s", strerror(errno));
		return -1;
	}
	if (privdrop_has_caps()) {
		snprintf(why, whylen, "capabilities are still held after clearing them");
		return -1;
	}
	return 0;
}

int privdrop_caps(char *why, size_t whylen)
{
	if (geteuid() == 0 || !privdrop_has_caps())
		return 0;
	return privdrop_clear_caps(why, whylen);
}

/* After the switch: every ID is the user's, and no way back to root is left. */
static int privdrop_verify(uid_t uid, gid_t gid, char *why, size_t whylen)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0) {
		snprintf(why, whylen, "cannot read the process IDs back: %s", strerror(errno));
		return -1;
	}
	if (ru != uid || eu != uid || su != uid || rg != gid || eg != gid || sg != gid) {
		snprintf(why, whylen,
		         "user/group IDs are %u/%u/%u and %u/%u/%u after the switch, not %u and %u",
		         (unsigned)ru, (unsigned)eu, (unsigned)su, (unsigned)rg, (unsigned)eg,
		         (unsigned)sg, (unsigned)uid, (unsigned)gid);
		return -1;
	}
	/* Each of these must fail; one that succeeds means root could be regained. */
	if (setuid(0) == 0 || seteuid(0) == 0 || setresuid((uid_t)-1, 0, (uid_t)-1) == 0) {
		snprintf(why, whylen, "the process could become root again after the switch");
		return -1;
	}
	if (privdrop_has_caps()) {
		snprintf(why, whylen, "capabilities are still held after the switch");
		return -1;
	}
	return 0;
}

int privdrop_to_user(const char *user, char *why, size_t whylen)
{
	struct passwd *pw;
	uid_t uid;
	gid_t gid;

	errno = 0;
	pw = getpwnam(user);
	if (!pw) {
		snprintf(why, whylen, "%s",
		         errno ? strerror(errno) : "no such user in the user database");
		return -1;
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	if (uid == 0)
		return 0; /* asked to stay root */
	if (geteuid() != 0) {
		if (getuid() == uid && geteuid() == uid)
			return privdrop_clear_caps(why, whylen);
		snprintf(why, whylen, "only root can switch to another user (running as uid %u)",
		         (unsigned)geteuid());
		return -1;
	}
	/* Groups first: once the user ID is changed they can no longer be set. */
	if (initgroups(user, gid) != 0) {
		snprintf(why, whylen, "cannot set the supplementary groups: %s", strerror(errno));
		return -1;
	}
	if (setresgid(gid, gid, gid) != 0) {
		snprintf(why, whylen, "cannot set group ID %u: %s", (unsigned)gid, strerror(errno));
		return -1;
	}
	if (setresuid(uid, uid, uid) != 0) {
		snprintf(why, whylen, "cannot set user ID %u: %s", (unsigned)uid, strerror(errno));
		return -1;
	}
	/* Leaving uid 0 cleared the permitted and effective sets (no SECBIT_KEEP_CAPS); the
	 * ambient set and no_new_privs are handled here all the same. */
	if (privdrop_clear_caps(why, whylen) != 0)
		return -1;
	if (privdrop_verify(uid, gid, why, whylen) != 0)
		return -1;
	return 0;
}
