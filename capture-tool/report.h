/* report.h — the capture tool's output: text report, JSON Lines, follow dump, expect records */
#ifndef MTA_CLI_REPORT_H
#define MTA_CLI_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mtadiag/engine.h"

struct expect_set;
struct html_report;

struct report {
	FILE *out;                 /* stdout */
	bool json;                 /* JSON Lines instead of the text report */
	bool quiet;                /* text: no finding lines */
	bool multi;                /* several files: "file" key / header per file */
	struct expect_set *expect; /* regression mode: findings go here, nothing is printed */
	FILE *follow;              /* --follow-dump, or NULL */
	struct html_report *html;  /* --html: also collected for the page, or NULL */
	uint64_t follow_last;      /* connection (first frame) of the last follow line */
	bool follow_any;

	/* Live capture: text summary blocks are printed as they come, and the statistics carry
	 * libpcap's counters once have_pcap is set (received by the filter, dropped by the
	 * kernel, dropped by the interface). */
	bool live;
	bool have_pcap;
	uint64_t pcap_received, pcap_dropped, pcap_ifdropped;

	const char *file;   /* the file being analysed */
	uint64_t by_sev[4]; /* findings reported so far, all files, by severity */
	bool failed;        /* out of memory while rendering: output is incomplete */

	/* Text mode: the summary blocks of the current file, printed after its findings.  Up to
	 * REPORT_SUM_MEM octets in memory, the older ones spooled to a temporary file, so memory
	 * does not grow with the number of sessions. */
	char *sum;
	size_t sum_len, sum_cap;
	FILE *spool;
	bool spooled; /* the spool holds blocks of the current file */
};

void report_init(struct report *r);
void report_free(struct report *r);
/* The engine hooks, with user = the struct report. */
void report_hooks(const struct report *r, struct mta_hooks *h);

void report_file_begin(struct report *r, const char *file, bool first);
void report_file_end(struct report *r, const struct mta_stats *st);

#endif
