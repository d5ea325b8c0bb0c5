/* live.h — live capture through libpcap: mtadiag -i IFACE (contract §3) */
#ifndef MTA_CLI_LIVE_H
#define MTA_CLI_LIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "mtadiag/engine.h"

/* The user to run as when started as root without -Z; set at build time with
 * -DMTA_DEFAULT_USER=name (empty: stay root, as tcpdump built without a default does). */
#ifndef MTA_DEFAULT_USER
#define MTA_DEFAULT_USER ""
#endif

#define LIVE_DEFAULT_SNAPLEN   262144u
#define LIVE_BUFFER_TIMEOUT_MS 200  /* libpcap's packet buffer timeout (not immediate) */
#define LIVE_TICK_MS           1000 /* engine timers (stalls, idle connections) */

struct live_options {
	const char *iface;     /* -i */
	const char *filter;    /* -f; NULL: built from the SMTP and OSI port sets */
	uint32_t snaplen;      /* -s; 0 = LIVE_DEFAULT_SNAPLEN */
	uint32_t buffer_kib;   /* -B; 0 = libpcap's default */
	bool immediate;        /* --immediate */
	bool no_promisc;       /* -p */
	const char *write;     /* -w */
	uint64_t rotate_size;  /* -C, in octets (given in millions of octets, as tcpdump) */
	unsigned rotate_files; /* -W */
	const char *user;      /* -Z */
	const char *output; /* --output: the report to this file (appended), reopened on SIGHUP */
	bool list;          /* -D */
	const char *html;   /* --html: the page, written when the capture ends */
	const char *first_live_opt; /* the first live-only option seen, for usage messages */
};

/* The options of a live capture, as they come from getopt: -f -s -B -p -w -C -W -Z -D, and
 * --immediate (opt 'I') and --output (opt 'O').  Returns -1 to go on, or the exit status after
 * a one-line message on stderr. */
int live_option(struct live_options *lo, int opt, const char *arg);
/* Whether the command line asks for live capture, and the option combinations it allows
 * (with_files: -r given too).  Returns -1 to go on or the exit status after a message. */
int live_check(const struct live_options *lo, bool with_files, bool expect, bool follow_dump);

/* The default capture filter for the port sets of cfg (malloc'd; NULL when out of memory):
 * "tcp port 25 or ... or (vlan and (tcp port 25 or ...))", without the VLAN part when
 * with_vlan is false (link types that carry no VLAN tags, such as Linux cooked capture on
 * the "any" device, reject "vlan"). */
char *live_default_filter(const struct mta_config *cfg, bool with_vlan);

/* Run the whole live mode: -D, or capture on lo->iface until SIGINT/SIGTERM or COUNT packets
 * (0 = no limit), printing findings as they are diagnosed.  fail_on is a severity or -1.
 * Returns the exit status (contract §3). */
int live_main(const struct live_options *lo, const struct mta_config *cfg, uint64_t count,
              bool json, bool quiet, int fail_on);

#endif
