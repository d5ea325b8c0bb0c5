/* main.c — mtadiag, the capture tool: options, the run over saved captures, exit status
 *
 * Contract §3 (options, output, exit status) and §4 (--expect).  Exit status: 0 ran and nothing
 * at or above --fail-on and no --expect difference; 1 findings at or above the threshold or an
 * --expect difference; 2 usage error or unusable input, with one line on stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "capture.h"
#include "cli.h"
#include "expect.h"
#include "html.h"
#include "live.h"
#include "mtadiag/engine.h"
#include "report.h"

#define EXIT_FINDINGS 1
#define EXIT_USAGE    2

/* A progress line on a terminal only for captures that take a while. */
#define PROGRESS_MIN_SIZE (50ll * 1024 * 1024)

struct options {
	const char **files;
	size_t n_files;
	uint64_t count; /* -c: frames per file, 0 = all */
	bool json, quiet;
	int fail_on; /* severity, or -1 */
	const char *expect;
	const char *follow_dump;
	const char *html;
	struct mta_config cfg;
	struct live_options live;
};

static const char usage_text[] =
    "Usage: mtadiag -r FILE [-r FILE ...] [options]\n"
    "       mtadiag -i IFACE [options]            (live capture)\n"
    "       mtadiag -D                            (list the interfaces)\n"
    "\n"
    "Diagnoses why mail gateways' connections die: SMTP over TCP, and X.400 over RFC 1006\n"
    "(TPKT, COTP, ISO 8327 session, RTS).  Reads saved captures (pcap and pcapng) and reports\n"
    "findings (code, severity, frame, connection, explanation) and one summary per SMTP session\n"
    "or OSI association.\n"
    "\n"
    "Input:\n"
    "  -r FILE            read a saved capture (pcap or pcapng; \"-\" is standard input); may be\n"
    "                     given several times: files are analysed one by one, each on its own,\n"
    "                     in the order of their names (duplicates once)\n"
    "  -c COUNT           analyse only the first COUNT frames of each file\n"
    "\n"
    "Output (standard output):\n"
    "  (default)          a human report: one line per finding, a block per session or\n"
    "                     association, then statistics\n"
    "  --json             JSON Lines: one object per finding (\"kind\":\"finding\"), per summary\n"
    "                     (\"kind\":\"smtp_session\" / \"osi_association\"), then one\n"
    "                     \"kind\":\"stats\" object per file; with several files every object\n"
    "                     has a \"file\" key\n"
    "  -q                 text report without the finding lines (summaries and statistics only)\n"
    "  --html FILE        also write a visual report to FILE: one self-contained HTML page\n"
    "                     (no external resources) with an overview, a findings table that\n"
    "                     sorts and filters, and a ladder diagram of every SMTP session and\n"
    "                     OSI association with the findings drawn on it; live, written when\n"
    "                     the capture ends\n"
    "\n"
    "Verdict (exit status):\n"
    "  --fail-on SEV      exit 1 when a finding of severity SEV or higher was reported;\n"
    "                     SEV is error, warning, note or chat\n"
    "  --expect FILE      regression mode (one -r only): compare the findings of severity note\n"
    "                     and higher (and chat findings whose code FILE lists) with FILE, JSON\n"
    "                     Lines of expected findings, each with at least \"code\" and \"frame\";\n"
    "                     prints every missing and unexpected finding instead of the report,\n"
    "                     exit 1 on any difference\n"
    "\n"
    "Analysis:\n"
    "  --smtp-ports LIST  ports that mark a connection as SMTP (default 25,587,2525)\n"
    "  --osi-ports LIST   ports that mark a connection as RFC 1006 / OSI (default 102)\n"
    "  --stall SECONDS    an unanswered command or reply is a stall after this long\n"
    "                     (default 30; decimals allowed)\n"
    "  --max-conns N      connections tracked at once (default 65536)\n"
    "  --max-buffer BYTES octets buffered per connection direction (default 1M; suffixes k, M,\n"
    "                     G are powers of 1024)\n"
    "\n"
    "Testing:\n"
    "  --follow-dump FILE write every reassembled byte range of every TCP connection to FILE,\n"
    "                     one line each: FIRSTFRAME DIR OFFSET HEX, or FIRSTFRAME DIR OFFSET gap\n"
    "                     LEN for bytes missing from the capture; a line FIRSTFRAME conn\n"
    "                     CLIENT SERVER names the roles when the dump turns to a connection\n"
    "                     (one -r only)\n"
    "\n"
    "Live capture (needs root, or CAP_NET_RAW and CAP_NET_ADMIN; ends on SIGINT or SIGTERM\n"
    "with every open connection summarised and libpcap's counters in the statistics):\n"
    "  -i IFACE           capture on IFACE; findings are printed as soon as diagnosed\n"
    "  -D                 list the interfaces that can be captured on\n"
    "  -f EXPR            capture filter (default: tcp port P or ... for the SMTP and OSI\n"
    "                     ports, also inside VLAN tags)\n"
    "  -c COUNT           stop after COUNT packets\n"
    "  -s SNAPLEN         snapshot length (default 262144)\n"
    "  -B KIB             kernel capture buffer in KiB (default libpcap's, 2048)\n"
    "  --immediate        deliver every packet at once (lower latency, more CPU)\n"
    "  -p                 not in promiscuous mode\n"
    "  -w FILE            also write the captured packets to FILE (pcap)\n"
    "  -C SIZE            with -w: start a new file when FILE reaches SIZE millions of\n"
    "                     octets: FILE, FILE1, FILE2 ...\n"
    "  -W COUNT           with -C: keep COUNT files in a ring, FILE0 .. FILE<COUNT-1>\n"
    "  -Z USER            run as USER once the interface and files are open (every\n"
    "                     capability is given up as well)\n"
    "  --output FILE      append the report to FILE instead of standard output\n"
    "  SIGHUP reopens the -w and --output files, and standard output when it is\n"
    "  redirected to a file (for log rotation).\n"
    "\n"
    "  -h, --help         this text\n"
    "  --version          version of mtadiag and of libpcap\n"
    "\n"
    "Exit status: 0 analysed, nothing at or above --fail-on, no --expect difference;\n"
    "1 findings at or above --fail-on, or an --expect difference; 2 usage error or unusable\n"
    "input (one line on standard error says which and why).  A capture cut short is\n"
    "analysed up to the cut with a warning; a capture corrupt in the middle is reported up\n"
    "to the damage and gives 2.\n";

enum {
	OPT_JSON = 256,
	OPT_FAIL_ON,
	OPT_EXPECT,
	OPT_SMTP_PORTS,
	OPT_OSI_PORTS,
	OPT_STALL,
	OPT_MAX_CONNS,
	OPT_MAX_BUFFER,
	OPT_FOLLOW_DUMP,
	OPT_VERSION,
	OPT_IMMEDIATE,
	OPT_OUTPUT,
	OPT_HTML,
};

static const struct option long_options[] = {
    {"json", no_argument, NULL, OPT_JSON},
    {"fail-on", required_argument, NULL, OPT_FAIL_ON},
    {"expect", required_argument, NULL, OPT_EXPECT},
    {"smtp-ports", required_argument, NULL, OPT_SMTP_PORTS},
    {"osi-ports", required_argument, NULL, OPT_OSI_PORTS},
    {"stall", required_argument, NULL, OPT_STALL},
    {"max-conns", required_argument, NULL, OPT_MAX_CONNS},
    {"max-buffer", required_argument, NULL, OPT_MAX_BUFFER},
    {"follow-dump", required_argument, NULL, OPT_FOLLOW_DUMP},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {"immediate", no_argument, NULL, OPT_IMMEDIATE},
    {"output", required_argument, NULL, OPT_OUTPUT},
    {"html", required_argument, NULL, OPT_HTML},
    {NULL, 0, NULL, 0},
};

static int usage_error(const char *fmt, const char *arg)
{
	fputs("mtadiag: ", stderr);
	fprintf(stderr, fmt, arg);
	fputs(" (see mtadiag --help)\n", stderr);
	return EXIT_USAGE;
}

/* BYTES with an optional k/M/G suffix (powers of 1024). */
static bool parse_size(const char *s, uint64_t *v)
{
	char num[32];
	size_t n = strlen(s);
	unsigned shift = 0;

	if (n == 0 || n >= sizeof(num))
		return false;
	memcpy(num, s, n + 1);
	switch (num[n - 1]) {
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	default:
		break;
	}
	if (shift)
		num[--n] = '\0';
	if (!cli_parse_u64(num, UINT64_MAX, v) || *v > (UINT64_MAX >> shift))
		return false;
	*v <<= shift;
	return true;
}

/* SECONDS as digits with an optional fraction, to microseconds (finer digits are dropped). */
static bool parse_seconds(const char *s, uint64_t *usec)
{
	uint64_t whole = 0, frac = 0;
	unsigned digits = 0;
	bool any = false;

	for (; *s >= '0' && *s <= '9'; s++) {
		whole = whole * 10 + (uint64_t)(*s - '0');
		any = true;
		if (whole > 1000000000ull) /* ~31 years: a typo, not a threshold */
			return false;
	}
	if (*s == '.') {
		s++;
		for (; *s >= '0' && *s <= '9'; s++, digits++) {
			any = true;
			if (digits < 6)
				frac = frac * 10 + (uint64_t)(*s - '0');
		}
		if (digits == 0)
			return false;
	}
	if (*s || !any)
		return false;
	for (; digits < 6; digits++)
		frac *= 10;
	*usec = whole * 1000000ull + frac;
	return *usec > 0;
}

static int add_file(struct options *o, const char *name)
{
	const char **p = realloc(o->files, (o->n_files + 1) * sizeof(*p));

	if (!p) {
		fputs("mtadiag: out of memory\n", stderr);
		return -1;
	}
	o->files = p;
	o->files[o->n_files++] = name;
	return 0;
}

/* Returns -1 to go on, or the exit status (0 after --help/--version). */
static int parse_options(int argc, char **argv, struct options *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	o->fail_on = -1;
	mta_config_defaults(&o->cfg);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":r:c:qhi:w:Z:f:s:B:C:W:Dp", long_options, NULL)) !=
	       -1) {
		uint64_t v;

		switch (c) {
		case 'r':
			if (add_file(o, optarg))
				return EXIT_USAGE;
			break;
		case 'c':
			if (!cli_parse_u64(optarg, UINT64_MAX, &v) || v == 0)
				return usage_error(
				    "-c: '%s' is not a packet count (an integer >= 1)", optarg);
			o->count = v;
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case OPT_VERSION:
			printf("mtadiag %s\n%s\n", MTA_VERSION, pcap_lib_version());
			return 0;
		case 'i':
		case 'w':
		case 'Z':
		case 'f':
		case 's':
		case 'B':
		case 'C':
		case 'W':
		case 'D':
		case 'p':
		case OPT_IMMEDIATE:
		case OPT_OUTPUT:
			c = c == OPT_IMMEDIATE ? 'I' : c == OPT_OUTPUT ? 'O' : c;
			c = live_option(&o->live, c, optarg);
			if (c >= 0)
				return c;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_FAIL_ON:
			o->fail_on = mta_severity_from_str(optarg);
			if (o->fail_on < 0)
				return usage_error(
				    "--fail-on: '%s' is not a severity (error, warning, "
				    "note or chat)",
				    optarg);
			break;
		case OPT_EXPECT:
			if (o->expect)
				return usage_error("%s: --expect may be given only once", optarg);
			o->expect = optarg;
			break;
		case OPT_SMTP_PORTS:
			if (mta_parse_port_list(optarg, o->cfg.smtp_ports, &o->cfg.n_smtp_ports))
				return usage_error("--smtp-ports: '%s' is not a list of ports "
				                   "(e.g. 25,587,2525)",
				                   optarg);
			break;
		case OPT_OSI_PORTS:
			if (mta_parse_port_list(optarg, o->cfg.osi_ports, &o->cfg.n_osi_ports))
				return usage_error(
				    "--osi-ports: '%s' is not a list of ports (e.g. 102)", optarg);
			break;
		case OPT_STALL:
			if (!parse_seconds(optarg, &o->cfg.stall_usec))
				return usage_error("--stall: '%s' is not a number of seconds > 0",
				                   optarg);
			break;
		case OPT_MAX_CONNS:
			if (!cli_parse_u64(optarg, UINT64_MAX, &v) || v == 0 || v > SIZE_MAX)
				return usage_error("--max-conns: '%s' is not a count >= 1", optarg);
			o->cfg.max_conns = (size_t)v;
			break;
		case OPT_MAX_BUFFER:
			if (!parse_size(optarg, &v) || v == 0 || v > SIZE_MAX)
				return usage_error(
				    "--max-buffer: '%s' is not a size in octets >= 1", optarg);
			o->cfg.max_buf_per_dir = (size_t)v;
			break;
		case OPT_HTML:
			if (o->html)
				return usage_error("--html %s: one report file only", optarg);
			if (!*optarg || strcmp(optarg, "-") == 0)
				return usage_error("--html '%s': standard output carries the text "
				                   "report; give a file name",
				                   optarg);
			o->html = optarg;
			o->cfg.events = true;
			o->live.html = optarg;
			break;
		case OPT_FOLLOW_DUMP:
			o->follow_dump = optarg;
			o->cfg.follow_all = true;
			break;
		case ':':
			return usage_error("%s: needs an argument", argv[optind - 1]);
		case '?':
		default:
			if (optopt) {
				char opt[3] = {'-', (char)optopt, '\0'};

				return usage_error("%s: unknown option", opt);
			}
			return usage_error("%s: unknown option", argv[optind - 1]);
		}
	}
	c = live_check(&o->live, o->n_files > 0, o->expect != NULL, o->follow_dump != NULL);
	if (c >= 0)
		return c;
	if (o->live.list || o->live.iface) {
		if (optind < argc)
			return usage_error("'%s': unexpected argument (give the capture filter "
			                   "with -f EXPR)",
			                   argv[optind]);
		return -1;
	}
	if (optind < argc)
		return usage_error("'%s': unexpected argument (capture filters are not supported "
		                   "yet; give captures with -r FILE)",
		                   argv[optind]);
	if (o->n_files == 0)
		return usage_error("%s", "no capture to analyse: give one with -r FILE");
	if (o->expect && o->n_files > 1)
		return usage_error("%s", "--expect compares one capture: give a single -r FILE");
	if (o->follow_dump && o->n_files > 1)
		return usage_error("%s", "--follow-dump takes a single -r FILE");
	return -1;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sort by name and drop repeats (the same name, or the same file under another name), so the
 * output does not depend on the order of the -r options.  Every file is opened once here so an
 * unusable one stops the run before anything is printed.  Returns 0 or EXIT_USAGE. */
static int check_files(struct options *o)
{
	struct capture *seen = calloc(o->n_files, sizeof(*seen));
	size_t n = 0;

	if (!seen) {
		fputs("mtadiag: out of memory\n", stderr);
		return EXIT_USAGE;
	}
	qsort(o->files, o->n_files, sizeof(*o->files), cmp_names);
	for (size_t i = 0; i < o->n_files; i++) {
		struct capture c;
		char why[PCAP_ERRBUF_SIZE + 64];
		bool dup = false;

		if (n > 0 && strcmp(o->files[i], o->files[n - 1]) == 0)
			continue;
		if (strcmp(o->files[i], "-") == 0) {
			/* Standard input can be read once only: checked when its turn comes. */
			memset(&seen[n], 0, sizeof(seen[n]));
			o->files[n++] = o->files[i];
			continue;
		}
		if (capture_open(&c, o->files[i], why, sizeof(why))) {
			fprintf(stderr, "mtadiag: %s: %s\n", o->files[i], why);
			free(seen);
			return EXIT_USAGE;
		}
		capture_close(&c);
		for (size_t k = 0; k < n && c.regular; k++)
			if (seen[k].regular && seen[k].dev == c.dev && seen[k].ino == c.ino)
				dup = true;
		if (dup)
			continue;
		seen[n] = c;
		o->files[n++] = o->files[i];
	}
	o->n_files = n;
	free(seen);
	return 0;
}

static void warn_link(const struct capture *c)
{
	const char *name = pcap_datalink_val_to_name(c->linktype);

	fprintf(stderr,
	        "mtadiag: %s: link type %d (%s) is not decoded; its frames are counted but not "
	        "analysed\n",
	        c->name, c->linktype, name ? name : "unknown");
}

/* Analyse one file.  Returns 0, or EXIT_USAGE when it cannot be used (at all, or beyond
 * some frame). */
static int run_file(const struct options *o, struct report *rep, const char *name, bool first)
{
	int rc = 0;
	struct capture c;
	struct capture_result res;
	struct mta_hooks hooks;
	struct mta_engine *e;
	char why[PCAP_ERRBUF_SIZE + 64];

	if (capture_open(&c, name, why, sizeof(why))) {
		fprintf(stderr, "mtadiag: %s: %s\n", name, why);
		return EXIT_USAGE;
	}
	if (!mta_linktype_supported(c.linktype))
		warn_link(&c);
	report_hooks(rep, &hooks);
	e = mta_engine_new(&o->cfg, &hooks, rep);
	if (!e) {
		fprintf(stderr, "mtadiag: %s: out of memory\n", name);
		capture_close(&c);
		return EXIT_USAGE;
	}
	report_file_begin(rep, name, first);
	capture_run(&c, e, o->count, c.size > PROGRESS_MIN_SIZE && isatty(STDERR_FILENO) == 1,
	            &res);
	/* A file cut short (a capture still being written, a partial copy) is analysed up to
	 * the cut: a warning, the normal exit status.  Any other read error means a corrupt
	 * file: what could be read is reported, and the exit status says the input was bad. */
	if (res.stopped && strncmp(res.why, "truncated", 9) == 0) {
		fprintf(stderr, "mtadiag: %s: truncated capture after frame %llu (%s)\n", name,
		        (unsigned long long)res.frames, res.why);
	} else if (res.stopped && strstr(res.why, "different from the type of the first")) {
		fprintf(stderr,
		        "mtadiag: %s: cannot read beyond frame %llu: libpcap reads no pcapng file "
		        "whose interfaces have different link types (%s)\n",
		        name, (unsigned long long)res.frames, res.why);
		rc = EXIT_USAGE;
	} else if (res.stopped) {
		fprintf(stderr, "mtadiag: %s: corrupt capture after frame %llu (%s)\n", name,
		        (unsigned long long)res.frames, res.why);
		rc = EXIT_USAGE;
	}
	mta_engine_finish(e);
	if (mta_engine_stats(e)->alloc_failures)
		fprintf(stderr, "mtadiag: %s: out of memory: %llu connections not analysed\n", name,
		        (unsigned long long)mta_engine_stats(e)->alloc_failures);
	report_file_end(rep, mta_engine_stats(e));
	mta_engine_free(e);
	capture_close(&c);
	return rc;
}

int main(int argc, char **argv)
{
	static char outbuf[1 << 16];
	struct options o;
	struct report rep;
	FILE *html_out = NULL;
	char err[512];
	int rc = parse_options(argc, argv, &o);

	if (rc >= 0)
		goto out_opts;
	/* render only the summaries that are printed: the text report prints the text, --json
	 * and the --html report the JSON, --expect none */
	o.cfg.summary_no_text = o.json || o.expect;
	o.cfg.summary_no_json = !(o.json || o.html || o.live.html);
	if (o.live.iface || o.live.list) {
		rc = live_main(&o.live, &o.cfg, o.count, o.json, o.quiet, o.fail_on);
		goto out_opts;
	}
	/* Fully buffered: findings are written in order, flushed in large blocks. */
	setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
	rc = check_files(&o);
	if (rc)
		goto out_opts;
	report_init(&rep);
	rep.out = stdout;
	rep.json = o.json;
	rep.quiet = o.quiet;
	rep.multi = o.n_files > 1;
	if (o.expect) {
		rep.expect = expect_load(o.expect, err, sizeof(err));
		if (!rep.expect) {
			fprintf(stderr, "mtadiag: %s\n", err);
			rc = EXIT_USAGE;
			goto out_report;
		}
	}
	if (o.html) {
		/* Opened before the analysis so a path that cannot be written fails at once. */
		html_out = fopen(o.html, "w");
		if (!html_out) {
			fprintf(stderr, "mtadiag: --html %s: %s\n", o.html, strerror(errno));
			rc = EXIT_USAGE;
			goto out_report;
		}
		rep.html = html_new();
		if (!rep.html) {
			fputs("mtadiag: out of memory\n", stderr);
			rc = EXIT_USAGE;
			goto out_report;
		}
	}
	if (o.follow_dump) {
		rep.follow = fopen(o.follow_dump, "w");
		if (!rep.follow) {
			fprintf(stderr, "mtadiag: %s: %s\n", o.follow_dump, strerror(errno));
			rc = EXIT_USAGE;
			goto out_report;
		}
	}
	/* A file that turns out corrupt does not stop the others; the status says so. */
	for (size_t i = 0; i < o.n_files; i++)
		if (run_file(&o, &rep, o.files[i], i == 0))
			rc = EXIT_USAGE;
	if (rep.html) {
		FILE *hf = html_out;

		html_out = NULL; /* closed by html_write_to */
		if (html_write_to(rep.html, hf) != 0) {
			fprintf(stderr, "mtadiag: --html %s: %s\n", o.html, strerror(errno));
			rc = EXIT_USAGE;
		}
	}
	if (rc)
		goto out_report;
	if (rep.expect) {
		long d = expect_compare(rep.expect, stdout);

		if (d != 0)
			rc = EXIT_FINDINGS;
	}
	if (o.fail_on >= 0)
		for (int s = o.fail_on; s <= MTA_SEV_ERROR; s++)
			if (rep.by_sev[s])
				rc = EXIT_FINDINGS;
	if (rep.failed)
		rc = EXIT_USAGE;
out_report:
	if (rep.follow && fclose(rep.follow) != 0) {
		fprintf(stderr, "mtadiag: %s: %s\n", o.follow_dump, strerror(errno));
		rc = EXIT_USAGE;
	}
	if (html_out)
		fclose(html_out);
	expect_free(rep.expect);
	html_free(rep.html);
	report_free(&rep);
out_opts:
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "mtadiag: write error on standard output: %s\n", strerror(errno));
		rc = EXIT_USAGE;
	}
	free(o.files);
	return rc;
}
