/* live.c — live capture through libpcap: mtadiag -i IFACE (contract §3; pcap(3PCAP))
 *
 * Order of events: the device is created and activated (pcap_create, options, pcap_activate:
 * pcap_open_live cannot set immediate mode or the buffer size), the filter is installed, the
 * output files are opened, then root or the capabilities are given up, and only then is the
 * first packet read.  A ppoll() loop on the capture descriptor wakes at least once a second
 * to fire the engine's timers (stalls, idle connections) when no packet comes.  SIGINT and
 * SIGTERM end the capture: every open connection is closed and summarised, and the
 * statistics carry libpcap's counters.  SIGHUP reopens the -w file, the --output file, and
 * standard output when it was redirected to a regular file.
 * Signals are blocked except inside ppoll(), so none is lost between a check and the wait.
 */
#include "live.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "cli.h"
#include "html.h"
#include "privdrop.h"
#include "report.h"
#include "rotate.h"

#define EXIT_FINDINGS 1
#define EXIT_USAGE    2

/* Largest values accepted for -B (KiB, libpcap takes an int of octets), -C (millions of
 * octets) and -W. */
#define LIVE_MAX_BUFFER_KIB (INT_MAX / 1024)
#define LIVE_MAX_ROTATE_MB  (UINT64_MAX / 1000000u)
#define LIVE_MAX_FILES      1000000u

/* Set by the signal handler, read by the capture loop.  The tool's only mutable globals:
 * a signal handler has nowhere else to put what it saw. */
static volatile sig_atomic_t live_stop_sig;
static volatile sig_atomic_t live_hup;

static void live_on_signal(int sig)
{
	if (sig == SIGHUP)
		live_hup = 1;
	else
		live_stop_sig = sig;
}

static int live_usage(const char *fmt, const char *arg)
{
	fputs("mtadiag: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs(" (see mtadiag --help)\n", stderr);
	return EXIT_USAGE;
}

int live_option(struct live_options *lo, int opt, const char *arg)
{
	uint64_t v;
	static const char *const names[] = {
	    ['i'] = "-i", ['f'] = "-f", ['s'] = "-s",          ['B'] = "-B",
	    ['p'] = "-p", ['w'] = "-w", ['C'] = "-C",          ['W'] = "-W",
	    ['Z'] = "-Z", ['D'] = "-D", ['I'] = "--immediate", ['O'] = "--output",
	};

	if (opt > 0 && (size_t)opt < sizeof(names) / sizeof(names[0]) && names[opt] && opt != 'i' &&
	    opt != 'D' && !lo->first_live_opt)
		lo->first_live_opt = names[opt];
	switch (opt) {
	case 'i':
		if (lo->iface)
			return live_usage("-i %s: one interface only", arg);
		if (!*arg)
			return live_usage("-i: '%s' is not an interface name", arg);
		lo->iface = arg;
		return -1;
	case 'f':
		if (lo->filter)
			return live_usage("-f %s: one capture filter only", arg);
		lo->filter = arg;
		return -1;
	case 's':
		/* 0 means the default, as in tcpdump. */
		if (!cli_parse_u64(arg, UINT32_MAX, &v) || v > LIVE_DEFAULT_SNAPLEN)
			return live_usage("-s: '%s' is not a snapshot length (0 to 262144 octets)",
			                  arg);
		lo->snaplen = (uint32_t)v;
		return -1;
	case 'B':
		if (!cli_parse_u64(arg, UINT32_MAX, &v) || v == 0 || v > LIVE_MAX_BUFFER_KIB)
			return live_usage("-B: '%s' is not a buffer size in KiB (1 to 2097151)",
			                  arg);
		lo->buffer_kib = (uint32_t)v;
		return -1;
	case 'p':
		lo->no_promisc = true;
		return -1;
	case 'w':
		if (lo->write)
			return live_usage("-w %s: one capture file only", arg);
		if (strcmp(arg, "-") == 0 || !*arg)
			return live_usage("-w '%s': standard output carries the report; give a "
			                  "file name",
			                  arg);
		lo->write = arg;
		return -1;
	case 'C':
		if (!cli_parse_u64(arg, LIVE_MAX_ROTATE_MB, &v) || v == 0)
			return live_usage("-C: '%s' is not a file size in millions of octets "
			                  "(an integer >= 1)",
			                  arg);
		lo->rotate_size = v * 1000000u;
		return -1;
	case 'W':
		if (!cli_parse_u64(arg, LIVE_MAX_FILES, &v) || v == 0)
			return live_usage("-W: '%s' is not a file count (1 to 1000000)", arg);
		lo->rotate_files = (unsigned)v;
		return -1;
	case 'Z':
		if (!*arg)
			return live_usage("-Z: '%s' is not a user name", arg);
		lo->user = arg;
		return -1;
	case 'D':
		lo->list = true;
		return -1;
	case 'I':
		lo->immediate = true;
		return -1;
	case 'O':
		if (!*arg)
			return live_usage("--output: '%s' is not a file name", arg);
		lo->output = arg;
		return -1;
	default:
		return live_usage("%s: not a live capture option", "?");
	}
}

int live_check(const struct live_options *lo, bool with_files, bool expect, bool follow_dump)
{
	if (lo->list)
		return -1; /* -D lists and exits, whatever else is given */
	if (!lo->iface) {
		if (lo->first_live_opt)
			return live_usage("%s: live capture option without -i IFACE",
			                  lo->first_live_opt);
		return -1;
	}
	if (with_files)
		return live_usage("%s", "-i and -r exclude each other: capture live or read files");
	if (expect)
		return live_usage("%s", "--expect compares a saved capture: use -r FILE, not -i");
	if (follow_dump)
		return live_usage("%s", "--follow-dump takes a saved capture: use -r FILE, not -i");
	if ((lo->rotate_size || lo->rotate_files) && !lo->write)
		return live_usage("%s", "-C and -W rotate the -w file: give -w FILE");
	if (lo->rotate_files && !lo->rotate_size)
		return live_usage("%s", "-W is the number of files of a -C rotation: give -C too");
	return -1;
}

/* "tcp port A or tcp port B" for a port list, appended to *s. */
static int live_port_terms(char **s, size_t *len, size_t *cap, const uint16_t *ports, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t need = 32;

		if (*cap - *len < need) {
			size_t c = (*cap ? *cap * 2 : 256) + need;
			char *p = realloc(*s, c);

			if (!p)
				return -1;
			*s = p;
			*cap = c;
		}
		*len += (size_t)snprintf(*s + *len, *cap - *len, "%stcp port %u",
		                         *len ? " or " : "", (unsigned)ports[i]);
	}
	return 0;
}

char *live_default_filter(const struct mta_config *cfg, bool with_vlan)
{
	char *terms = NULL, *out;
	size_t len = 0, cap = 0, n;

	if (live_port_terms(&terms, &len, &cap, cfg->smtp_ports, cfg->n_smtp_ports) ||
	    live_port_terms(&terms, &len, &cap, cfg->osi_ports, cfg->n_osi_ports)) {
		free(terms);
		return NULL;
	}
	if (!terms)
		return strdup("tcp");
	if (!with_vlan)
		return terms;
	/* Tagged frames: "vlan" moves the offsets of what follows it, hence the second copy. */
	n = 2 * len + 32;
	out = malloc(n);
	if (out)
		snprintf(out, n, "%s or (vlan and (%s))", terms, terms);
	free(terms);
	return out;
}

/* -D: the interfaces libpcap can capture on, numbered as tcpdump -D numbers them. */
static int live_list(void)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	pcap_if_t *all = NULL;
	int i = 0;

	if (pcap_findalldevs(&all, err) != 0) {
		fprintf(stderr, "mtadiag: cannot list the interfaces: %s\n", err);
		return EXIT_USAGE;
	}
	for (pcap_if_t *d = all; d; d = d->next) {
		printf("%d.%s", ++i, d->name);
		if (d->description)
			printf(" (%s)", d->description);
		printf(" [%s%s%s%s]\n", (d->flags & PCAP_IF_UP) ? "Up" : "Down",
		       (d->flags & PCAP_IF_RUNNING) ? ", Running" : "",
		       (d->flags & PCAP_IF_LOOPBACK) ? ", Loopback" : "",
		       (d->flags & PCAP_IF_WIRELESS) ? ", Wireless" : "");
	}
	if (i == 0)
		fputs("mtadiag: no interface to capture on (none, or no permission to see "
		      "them)\n",
		      stderr);
	pcap_freealldevs(all);
	return i ? 0 : EXIT_USAGE;
}

/* pcap_create + options + pcap_activate.  NULL after a one-line message on stderr. */
static pcap_t *live_open(const struct live_options *lo)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p = pcap_create(lo->iface, err);
	int rc;

	if (!p) {
		fprintf(stderr, "mtadiag: %s: cannot capture: %s\n", lo->iface, err);
		return NULL;
	}
	if (pcap_set_snaplen(p, (int)(lo->snaplen ? lo->snaplen : LIVE_DEFAULT_SNAPLEN)) ||
	    pcap_set_promisc(p, !lo->no_promisc) || pcap_set_timeout(p, LIVE_BUFFER_TIMEOUT_MS) ||
	    pcap_set_immediate_mode(p, lo->immediate) ||
	    (lo->buffer_kib && pcap_set_buffer_size(p, (int)(lo->buffer_kib * 1024)))) {
		fprintf(stderr, "mtadiag: %s: cannot set the capture options\n", lo->iface);
		pcap_close(p);
		return NULL;
	}
	rc = pcap_activate(p);
	if (rc < 0) {
		const char *detail = pcap_geterr(p);

		switch (rc) {
		case PCAP_ERROR_NO_SUCH_DEVICE:
			fprintf(stderr,
			        "mtadiag: %s: cannot capture: no such interface (%s); mtadiag -D "
			        "lists them\n",
			        lo->iface, detail);
			break;
		case PCAP_ERROR_PERM_DENIED:
			fprintf(stderr,
			        "mtadiag: %s: cannot capture: no permission (%s); run as root or "
			        "give the binary CAP_NET_RAW and CAP_NET_ADMIN (setcap "
			        "cap_net_raw,cap_net_admin=eip)\n",
			        lo->iface, detail);
			break;
		case PCAP_ERROR_PROMISC_PERM_DENIED:
			fprintf(stderr,
			        "mtadiag: %s: cannot capture: no permission for promiscuous mode "
			        "(%s); -p captures without it\n",
			        lo->iface, detail);
			break;
		case PCAP_ERROR_IFACE_NOT_UP:
			fprintf(stderr, "mtadiag: %s: cannot capture: the interface is down\n",
			        lo->iface);
			break;
		default:
			fprintf(stderr, "mtadiag: %s: cannot capture: %s%s%s\n", lo->iface,
			        pcap_statustostr(rc), *detail ? ": " : "", detail);
			break;
		}
		pcap_close(p);
		return NULL;
	}
	if (rc > 0)
		fprintf(stderr, "mtadiag: %s: warning: %s%s%s\n", lo->iface, pcap_statustostr(rc),
		        *pcap_geterr(p) ? ": " : "", pcap_geterr(p));
	return p;
}

/* Compile and install expr.  quiet: a compile error is not reported (the caller tries
 * another expression).  Returns 0, or -1 (after a message unless quiet). */
static int live_filter(pcap_t *p, const char *iface, const char *expr, bool quiet)
{
	struct bpf_program prog;

	if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		if (!quiet)
			fprintf(stderr, "mtadiag: capture filter '%s': %s\n", expr, pcap_geterr(p));
		return -1;
	}
	if (pcap_setfilter(p, &prog) != 0) {
		fprintf(stderr, "mtadiag: %s: cannot install the capture filter: %s\n", iface,
		        pcap_geterr(p));
		pcap_freecode(&prog);
		return -1;
	}
	pcap_freecode(&prog);
	return 0;
}

struct live_run {
	const struct live_options *lo;
	pcap_t *pcap;
	int linktype;
	struct mta_engine *engine;
	struct report rep;
	struct rotate dump;
	bool dumping;
	bool dump_failed;
	FILE *out;         /* --output, or NULL */
	FILE *html_out;    /* --html, or NULL */
	char *stdout_path; /* standard output's file name when it is a regular file */
	uint64_t frames;
	uint64_t count;
	bool report_ids; /* MTADIAG_REPORT_PARSE_IDS: say who parses the first packet */
};

static void live_dump_failed(struct live_run *run, const char *why)
{
	if (!run->dump_failed)
		fprintf(stderr, "mtadiag: -w: %s; the capture file is no longer written\n", why);
	run->dump_failed = true;
}

/* Test aid (environment MTADIAG_REPORT_PARSE_IDS=1): from the packet callback, right before
 * the first frame reaches the engine, say on stderr which user and capabilities the parsing
 * runs with, so a test can check that no packet is parsed privileged. */
static void live_report_parse_ids(void)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	char capeff[64] = "?";
	char line[128];
	FILE *st = fopen("/proc/self/status", "r");
	if (st) {
		while (fgets(line, sizeof(line), st))
			if (sscanf(line, "CapEff: %63s", capeff) == 1)
				break;
		fclose(st);
	}
	if (getresuid(&ru, &eu, &su) == 0 && getresgid(&rg, &eg, &sg) == 0)
		fprintf(stderr,
		        "mtadiag: parsing frame 1 as uid %u/%u/%u gid %u/%u/%u, effective "
		        "capabilities %s\n",
		        (unsigned)ru, (unsigned)eu, (unsigned)su, (unsigned)rg, (unsigned)eg,
		        (unsigned)sg, capeff);
}

static void live_on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
	struct live_run *run = (struct live_run *)(void *)user;
	struct mta_frame f;
	char why[PCAP_ERRBUF_SIZE + 128];

	if (run->dumping && !run->dump_failed &&
	    rotate_write(&run->dump, h, data, why, sizeof(why)) != 0)
		live_dump_failed(run, why);
	f.number = ++run->frames;
	if (run->report_ids && f.number == 1)
		live_report_parse_ids();
	f.ts.sec = (int64_t)h->ts.tv_sec;
	f.ts.usec = (uint32_t)h->ts.tv_usec;
	f.linktype = run->linktype;
	f.data = data;
	f.caplen = h->caplen;
	f.wirelen = h->len < h->caplen ? h->caplen : h->len;
	mta_engine_feed(run->engine, &f);
	if (run->count && run->frames >= run->count)
		pcap_breakloop(run->pcap);
}

static uint64_t live_now_ms(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The engine's timers run on the clock of the packets' time stamps (the system's real-time
 * clock), held back by the longest a packet can wait in libpcap's buffer, so a reply still in
 * the buffer is never taken for a stall. */
static void live_tick(struct live_run *run)
{
	struct timespec ts;
	struct mta_time now;
	int64_t usec;

	clock_gettime(CLOCK_REALTIME, &ts);
	usec = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	usec -= (int64_t)(run->lo->immediate ? 50 : LIVE_BUFFER_TIMEOUT_MS + 50) * 1000;
	now.sec = usec / 1000000;
	now.usec = (uint32_t)(usec % 1000000);
	mta_engine_tick(run->engine, now);
}

/* Standard output redirected to a regular file (a shell's >>, systemd's append:): the file's
 * name now, so SIGHUP can open it again after a log rotation moved it.  NULL otherwise. */
static char *live_stdout_path(void)
{
	struct stat st;
	char buf[PATH_MAX];
	ssize_t n;

	if (fstat(STDOUT_FILENO, &st) != 0 || !S_ISREG(st.st_mode))
		return NULL;
	n = readlink("/proc/self/fd/1", buf, sizeof(buf) - 1);
	if (n <= 0 || buf[0] != '/')
		return NULL;
	buf[n] = '\0';
	if (n > 10 && strcmp(buf + n - 10, " (deleted)") == 0)
		return NULL;
	return strdup(buf);
}

/* SIGHUP: the files a log rotation moves away are opened again under their names. */
static void live_reopen(struct live_run *run)
{
	char why[PCAP_ERRBUF_SIZE + 128];

	if (run->out) {
		FILE *fp = fopen(run->lo->output, "a");

		fflush(run->out);
		if (!fp) {
			fprintf(stderr,
			        "mtadiag: %s: cannot reopen: %s; still writing to the old "
			        "file\n",
			        run->lo->output, strerror(errno));
		} else {
			setvbuf(fp, NULL, _IOLBF, 0);
			if (fclose(run->out) != 0)
				fprintf(stderr, "mtadiag: %s: %s\n", run->lo->output,
				        strerror(errno));
			run->out = fp;
			run->rep.out = fp;
		}
	}
	fflush(stdout);
	if (run->stdout_path) {
		int fd = open(run->stdout_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

		if (fd < 0 || dup2(fd, STDOUT_FILENO) < 0)
			fprintf(
			    stderr,
			    "mtadiag: %s (standard output): cannot reopen: %s; still writing to "
			    "the old file\n",
			    run->stdout_path, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	if (run->dumping && !run->dump_failed && rotate_reopen(&run->dump, why, sizeof(why)) != 0) {
		if (run->dump.failed)
			live_dump_failed(run, why);
		else
			fprintf(stderr,
			        "mtadiag: -w: cannot reopen: %s; still writing to the old "
			        "file\n",
			        why);
	}
}

/* Give up root (to -Z USER or the built-in default user) or the capabilities.  Returns 0 or
 * -1 after a message. */
static int live_drop(const struct live_options *lo)
{
	char why[256];
	const char *user = lo->user;

	if (!user && geteuid() == 0 && MTA_DEFAULT_USER[0])
		user = MTA_DEFAULT_USER;
	if (user) {
		if (privdrop_to_user(user, why, sizeof(why)) != 0) {
			fprintf(stderr, "mtadiag: cannot run as user %s: %s\n", user, why);
			return -1;
		}
		return 0;
	}
	if (privdrop_caps(why, sizeof(why)) != 0) {
		fprintf(stderr, "mtadiag: cannot give up the capture capabilities: %s\n", why);
		return -1;
	}
	return 0;
}

/* After a stop signal: the packets that arrived before it are still read.  Without immediate
 * mode the kernel hands a block of packets over only when it is full or its timeout passes,
 * so wait that long once (signals stay blocked) and read what came.  Returns 0, or -1 after a
 * message. */
static int live_drain(struct live_run *run)
{
	struct timespec wait = {0, (LIVE_BUFFER_TIMEOUT_MS + 50) * 1000000L};
	char why[PCAP_ERRBUF_SIZE + 128];
	uint64_t left;

	/* Unconditionally: a readable descriptor says a block is ready, not the current one. */
	if (!run->lo->immediate)
		nanosleep(&wait, NULL);
	left = run->count ? run->count - run->frames : 0;
	if (pcap_dispatch(run->pcap, left == 0 || left > INT_MAX ? -1 : (int)left, live_on_packet,
	                  (u_char *)(void *)run) == PCAP_ERROR) {
		fprintf(stderr, "mtadiag: %s: capture stopped: %s\n", run->lo->iface,
		        pcap_geterr(run->pcap));
		return -1;
	}
	if (run->dumping && !run->dump_failed && rotate_flush(&run->dump, why, sizeof(why)) != 0)
		live_dump_failed(run, why);
	return 0;
}

/* Read until a stop signal, COUNT frames, or a capture error.  Returns 0, or -1 after a
 * message (the interface went away). */
static int live_loop(struct live_run *run, const sigset_t *wait_mask)
{
	struct pollfd pfd = {.fd = pcap_get_selectable_fd(run->pcap), .events = POLLIN};
	uint64_t next_tick = live_now_ms(CLOCK_MONOTONIC) + LIVE_TICK_MS;
	char why[PCAP_ERRBUF_SIZE + 128];

	for (;;) {
		uint64_t now = live_now_ms(CLOCK_MONOTONIC);
		uint64_t wait_ms = next_tick > now ? next_tick - now : 0;
		const struct timeval *req = pcap_get_required_select_timeout(run->pcap);
		struct timespec to;
		uint64_t left;
		int n;

		if (req) {
			uint64_t r = (uint64_t)req->tv_sec * 1000u + (uint64_t)req->tv_usec / 1000u;

			if (r < wait_ms)
				wait_ms = r;
		}
		to.tv_sec = (time_t)(wait_ms / 1000u);
		to.tv_nsec = (long)(wait_ms % 1000u) * 1000000L;
		if (ppoll(&pfd, 1, &to, wait_mask) < 0 && errno != EINTR) {
			fprintf(stderr, "mtadiag: %s: poll: %s\n", run->lo->iface, strerror(errno));
			return -1;
		}
		if (live_hup) {
			live_hup = 0;
			live_reopen(run);
		}
		/* Non-blocking: whatever the buffer holds now, at most up to COUNT. */
		left = run->count ? run->count - run->frames : 0;
		n = pcap_dispatch(run->pcap, left == 0 || left > INT_MAX ? -1 : (int)left,
		                  live_on_packet, (u_char *)(void *)run);
		if (n == PCAP_ERROR) { /* PCAP_ERROR_BREAK: our own breakloop at COUNT */
			fprintf(stderr, "mtadiag: %s: capture stopped: %s\n", run->lo->iface,
			        pcap_geterr(run->pcap));
			return -1;
		}
		if (run->dumping && !run->dump_failed &&
		    rotate_flush(&run->dump, why, sizeof(why)) != 0)
			live_dump_failed(run, why);
		if (run->count && run->frames >= run->count)
			return 0;
		if (live_stop_sig)
			return live_drain(run);
		now = live_now_ms(CLOCK_MONOTONIC);
		if (now >= next_tick) {
			live_tick(run);
			next_tick = now + LIVE_TICK_MS;
		}
	}
}

/* Ask the kernel for its counters and hand them to the report's statistics. */
static void live_pcap_stats(struct live_run *run)
{
	struct pcap_stat st;

	if (pcap_stats(run->pcap, &st) != 0) {
		fprintf(stderr, "mtadiag: %s: no capture counters: %s\n", run->lo->iface,
		        pcap_geterr(run->pcap));
		return;
	}
	run->rep.have_pcap = true;
	run->rep.pcap_received = st.ps_recv;
	run->rep.pcap_dropped = st.ps_drop;
	run->rep.pcap_ifdropped = st.ps_ifdrop;
}

static const char *live_link_name(int linktype)
{
	const char *name = pcap_datalink_val_to_name(linktype);

	return name ? name : "unknown";
}

static const char *live_link_desc(int linktype)
{
	const char *d = pcap_datalink_val_to_description(linktype);

	return d ? d : "unknown";
}

static const char *live_user_name(void)
{
	struct passwd *pw = getpwuid(geteuid());

	return pw ? pw->pw_name : "?";
}

int live_main(const struct live_options *lo, const struct mta_config *cfg, uint64_t count,
              bool json, bool quiet, int fail_on)
{
	struct live_run run;
	struct mta_hooks hooks;
	struct sigaction sa;
	sigset_t block, wait_mask;
	char *def_filter = NULL;
	const char *filter = lo->filter;
	char why[PCAP_ERRBUF_SIZE + 128];
	int rc = EXIT_USAGE;

	/* Each line of the report leaves as soon as it is complete. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (lo->list)
		return live_list();
	memset(&run, 0, sizeof(run));
	run.lo = lo;
	run.count = count;
	{
		const char *v = getenv("MTADIAG_REPORT_PARSE_IDS");
		run.report_ids = v && strcmp(v, "1") == 0;
	}
	report_init(&run.rep);
	run.rep.out = stdout;
	run.rep.json = json;
	run.rep.quiet = quiet;
	run.rep.live = true;
	if (lo->html) {
		run.rep.html = html_new();
		if (!run.rep.html) {
			fputs("mtadiag: out of memory\n", stderr);
			return EXIT_USAGE;
		}
	}

	/* Signals: handled from here on, delivered only inside ppoll(). */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &wait_mask);
	sigdelset(&wait_mask, SIGINT);
	sigdelset(&wait_mask, SIGTERM);
	sigdelset(&wait_mask, SIGHUP);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = live_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	run.pcap = live_open(lo);
	if (!run.pcap)
		goto out;
	if (!filter) {
		/* The built-in filter covers VLAN-tagged frames where the link type has them. */
		def_filter = live_default_filter(cfg, true);
		if (def_filter && live_filter(run.pcap, lo->iface, def_filter, true) != 0) {
			free(def_filter);
			def_filter = live_default_filter(cfg, false);
			if (def_filter && live_filter(run.pcap, lo->iface, def_filter, false) != 0)
				goto out;
		}
		if (!def_filter) {
			fputs("mtadiag: out of memory\n", stderr);
			goto out;
		}
		filter = def_filter;
	} else if (live_filter(run.pcap, lo->iface, filter, false) != 0) {
		goto out;
	}
	run.linktype = pcap_datalink(run.pcap);
	if (lo->output) {
		run.out = fopen(lo->output, "a");
		if (!run.out) {
			fprintf(stderr, "mtadiag: %s: %s\n", lo->output, strerror(errno));
			goto out;
		}
		setvbuf(run.out, NULL, _IOLBF, 0);
		run.rep.out = run.out;
	}
	if (lo->html) {
		/* Opened now: the page is written at exit, possibly as the -Z user. */
		run.html_out = fopen(lo->html, "w");
		if (!run.html_out) {
			fprintf(stderr, "mtadiag: --html %s: %s\n", lo->html, strerror(errno));
			goto out;
		}
	}
	if (lo->write) {
		if (rotate_open(&run.dump, run.pcap, lo->write, lo->rotate_size, lo->rotate_files,
		                why, sizeof(why)) != 0) {
			fprintf(stderr, "mtadiag: -w: %s\n", why);
			rotate_close(&run.dump, why, sizeof(why));
			goto out;
		}
		run.dumping = true;
	}
	if (!lo->output)
		run.stdout_path = live_stdout_path();
	/* Everything that needs rights is open: give them up before the first packet. */
	if (live_drop(lo) != 0)
		goto out;
	if (pcap_setnonblock(run.pcap, 1, why) != 0) {
		fprintf(stderr, "mtadiag: %s: %s\n", lo->iface, why);
		goto out;
	}
	report_hooks(&run.rep, &hooks);
	run.engine = mta_engine_new(cfg, &hooks, &run.rep);
	if (!run.engine) {
		fputs("mtadiag: out of memory\n", stderr);
		goto out;
	}
	if (!mta_linktype_supported(run.linktype))
		fprintf(stderr,
		        "mtadiag: %s: link type %d (%s) is not decoded; its frames are counted but "
		        "not analysed\n",
		        lo->iface, run.linktype, live_link_name(run.linktype));
	fprintf(stderr,
	        "mtadiag: listening on %s, link-type %s (%s), snapshot length %d, filter \"%s\", "
	        "as user %s\n",
	        lo->iface, live_link_name(run.linktype), live_link_desc(run.linktype),
	        pcap_snapshot(run.pcap), filter, live_user_name());
	report_file_begin(&run.rep, lo->iface, true);

	rc = 0;
	if (live_loop(&run, &wait_mask) != 0)
		rc = EXIT_USAGE;
	live_pcap_stats(&run);
	mta_engine_finish(run.engine);
	if (mta_engine_stats(run.engine)->alloc_failures)
		fprintf(stderr, "mtadiag: out of memory: %llu connections not analysed\n",
		        (unsigned long long)mta_engine_stats(run.engine)->alloc_failures);
	report_file_end(&run.rep, mta_engine_stats(run.engine));
	if (run.rep.html) {
		FILE *hf = run.html_out;

		run.html_out = NULL; /* closed by html_write_to */
		if (html_write_to(run.rep.html, hf) != 0) {
			fprintf(stderr, "mtadiag: --html %s: %s\n", lo->html, strerror(errno));
			rc = EXIT_USAGE;
		}
	}
	if (live_stop_sig)
		fprintf(stderr, "mtadiag: %s: stopped by signal %d after %llu packets\n", lo->iface,
		        (int)live_stop_sig, (unsigned long long)run.frames);
	if (fail_on >= 0)
		for (int s = fail_on; s <= MTA_SEV_ERROR; s++)
			if (run.rep.by_sev[s] && rc == 0)
				rc = EXIT_FINDINGS;
out:
	if (run.dumping && rotate_close(&run.dump, why, sizeof(why)) != 0)
		live_dump_failed(&run, why);
	if (run.dump_failed || run.rep.failed)
		rc = EXIT_USAGE;
	if (run.out && (fflush(run.out) != 0 || ferror(run.out) || fclose(run.out) != 0)) {
		fprintf(stderr, "mtadiag: %s: write error: %s\n", lo->output, strerror(errno));
		rc = EXIT_USAGE;
	}
	if (run.html_out)
		fclose(run.html_out);
	mta_engine_free(run.engine);
	html_free(run.rep.html);
	report_free(&run.rep);
	if (run.pcap)
		pcap_close(run.pcap);
	free(def_filter);
	free(run.stdout_path);
	return rc;
}
