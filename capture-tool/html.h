/* html.h — the HTML report (mtadiag --html FILE): one self-contained page with an overview,
 * the findings table and a ladder diagram per SMTP session and OSI association
 *
 * The collector keeps what the engine reports (findings, summaries, protocol events) for every
 * file analysed and writes the page once, at the end: the data as one embedded JSON document,
 * the page's own CSS and script around it.  The script draws the overview and the findings
 * table when the page opens and a ladder diagram only when it is asked for, so a report of
 * thousands of sessions opens quickly.
 */
#ifndef MTA_CLI_HTML_H
#define MTA_CLI_HTML_H

#include <stdbool.h>
#include <stdio.h>

#include "mtadiag/engine.h"

/* Bounds on what one report keeps (a live capture may run for weeks): events of one connection
 * beyond HTML_MAX_EVENTS_CONN and events of any connection once HTML_MAX_EVENTS are kept are
 * counted, not stored; the diagram says how many are missing. */
#define HTML_MAX_EVENTS_CONN 20000u
#define HTML_MAX_EVENTS      4000000u

struct html_report;

struct html_report *html_new(void);
void html_free(struct html_report *h);

void html_file_begin(struct html_report *h, const char *name);
void html_file_end(struct html_report *h, const struct mta_stats *st);

void html_on_finding(struct html_report *h, const struct mta_finding *f);
void html_on_summary(struct html_report *h, const struct mta_summary *s);
void html_on_event(struct html_report *h, const struct mta_event *ev);

/* Write the page to out, a stream the caller opened before the analysis (so a path that cannot
 * be written fails at once, and live capture opens it before giving up root), and close it.
 * Returns 0, or -1 with errno set (out of memory: ENOMEM). */
int html_write_to(struct html_report *h, FILE *out);

/* The page's stylesheet and script, embedded at build time from html_report.css/.js. */
extern const char html_asset_css[];
extern const char html_asset_js[];

#endif
