/* privdrop.h — giving up root and capabilities once the capture device is open */
#ifndef MTA_CLI_PRIVDROP_H
#define MTA_CLI_PRIVDROP_H

#include <stdbool.h>
#include <stddef.h>

/* Run as USER from now on: supplementary groups from the group database (initgroups), then
 * the real, effective and saved group and user IDs (setresgid, setresuid); every capability
 * is cleared and no_new_privs set, so neither exec nor a set-user-ID program gives any back.
 * Afterwards the process checks that it cannot become root again.  Running as USER already
 * (a service started as that user, with ambient capabilities) only clears the capabilities.
 * USER "root" (uid 0) keeps root.  Returns 0, or -1 with a one-line reason in why. */
int privdrop_to_user(const char *user, char *why, size_t whylen);

/* Not root but holding capabilities (file capabilities on the binary, ambient capabilities
 * from a service manager): clear them all, as the capture socket is open.  A process
 * running as root keeps its rights.  Returns 0, or -1 with a reason in why. */
int privdrop_caps(char *why, size_t whylen);

/* Whether the process may still change its user ID or capture (any capability held). */
bool privdrop_has_caps(void);

#endif
