/* report.c — the capture tool's output: text report, JSON Lines, follow dump, expect records
 *
 * The engine renders findings, summaries and statistics itself (mta_finding_json/_text,
 * mta_summary.json/.text, mta_stats_json) so that every front end prints the same words; this
 * file only orders them, adds the "file" key when several files are analysed, and writes.
 */
#include "report.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "expect.h"
#include "html.h"

void report_init(struct report *r)
{
	memset(r, 0, sizeof(*r));
}

#define REPORT_SUM_MEM (1u << 20)

void report_free(struct report *r)
{
	free(r->sum);
	r->sum = NULL;
	r->sum_len = r->sum_cap = 0;
	if (r->spool)
		fclose(r->spool);
	r->spool = NULL;
	r->spooled = false;
}

/* Move the summary blocks held in memory to the spool file (opened on first use); when no
 * temporary file can be had they simply stay in memory. */
static void report_spool(struct report *r)
{
	if (!r->spool)
		r->spool = tmpfile();
	if (!r->spool)
		return;
	if (fwrite(r->sum, 1, r->sum_len, r->spool) != r->sum_len) {
		/* a full disk: keep what is in memory, stop spooling */
		fclose(r->spool);
		r->spool = NULL;
		r->spooled = false;
		return;
	}
	r->spooled = true;
	r->sum_len = 0;
}

/* Print the current file's summary blocks in order: the spooled ones, then those in memory. */
static void report_sum_flush(struct report *r)
{
	if (r->spooled && r->spool) {
		char buf[1 << 16];
		size_t k;
		fflush(r->spool);
		rewind(r->spool);
		while ((k = fread(buf, 1, sizeof(buf), r->spool)) > 0)
			fwrite(buf, 1, k, r->out);
		rewind(r->spool);
		if (ftruncate(fileno(r->spool), 0) != 0) {
			fclose(r->spool); /* start a fresh one for the next file */
			r->spool = NULL;
		}
	}
	r->spooled = false;
	if (r->sum_len)
		fwrite(r->sum, 1, r->sum_len, r->out);
	r->sum_len = 0;
}

static void report_oom(struct report *r)
{
	if (!r->failed)
		fputs("mtadiag: out of memory while writing the report\n", stderr);
	r->failed = true;
}

/* A JSON string literal.  Valid UTF-8 passes through; control octets and octets that are not
 * part of valid UTF-8 are written as \u00XX. */
static void report_json_string(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + strlen(s);

	putc('"', out);
	while (*p) {
		unsigned char c = *p;
		size_t n;

		if (c == '"' || c == '\\') {
			putc('\\', out);
			putc(c, out);
			p++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			fprintf(out, "\\u%04x", c);
			p++;
			continue;
		}
		n = mta_utf8_len(p, (size_t)(end - p));
		if (n == 0) {
			fprintf(out, "\\u%04x", c);
			p++;
			continue;
		}
		fwrite(p, 1, n, out);
		p += n;
	}
	putc('"', out);
}

/* One JSON Lines record.  json is an object rendered by the engine; "kind" comes first (added
 * when the renderer did not put it there), then "file" when several files are analysed. */
static void report_json_record(struct report *r, const char *json, const char *kind)
{
	const char *rest = json;
	size_t kn = strlen("{\"kind\":");

	if (json[0] != '{') { /* not an object: cannot happen with the engine's renderers */
		report_oom(r);
		return;
	}
	if (strncmp(json, "{\"kind\":\"", kn + 1) == 0) {
		const char *q = strchr(json + kn + 1, '"');

		if (!q) {
			report_oom(r);
			return;
		}
		if (!r->multi && (q[1] == ',' || q[1] == '}')) {
			/* nothing to insert: the record as it is, in one write */
			fwrite(json, 1, strlen(json), r->out);
			putc('\n', r->out);
			return;
		}
		fwrite(json, 1, (size_t)(q + 1 - json), r->out);
		rest = q + 1; /* "," or "}" */
	} else {
		fprintf(r->out, "{\"kind\":\"%s\"", kind);
		rest = json + 1; /* the first member or "}" */
	}
	if (r->multi) {
		fputs(",\"file\":", r->out);
		report_json_string(r->out, r->file);
	}
	if (rest[0] != ',' && rest[0] != '}')
		putc(',', r->out);
	fwrite(rest, 1, strlen(rest), r->out);
	putc('\n', r->out);
}

static void report_on_finding(void *user, const struct mta_finding *f)
{
	struct report *r = user;
	char *s;

	if ((unsigned)f->severity < 4)
		r->by_sev[f->severity]++;
	if (r->html)
		html_on_finding(r->html, f);
	if (r->expect) {
		if (!expect_wants(r->expect, f->code, f->severity))
			return;
		s = mta_finding_json(f);
		if (!s || expect_add(r->expect, f->code, f->frame, s))
			report_oom(r);
		free(s);
		return;
	}
	if (r->json) {
		s = mta_finding_json(f);
		if (s)
			report_json_record(r, s, "finding");
	} else {
		if (r->quiet)
			return;
		s = mta_finding_text(f);
		if (s) {
			fputs(s, r->out);
			if (s[0] == '\0' || s[strlen(s) - 1] != '\n')
				putc('\n', r->out);
		}
	}
	if (!s)
		report_oom(r);
	free(s);
}

static void report_on_summary(void *user, const struct mta_summary *s)
{
	struct report *r = user;
	size_t n;

	if (r->html)
		html_on_summary(r->html, s);
	if (r->expect)
		return;
	if (r->json) {
		if (s->json)
			report_json_record(r, s->json,
			                   s->proto == MTA_PROTO_OSI ? "osi_association"
			                                             : "smtp_session");
		return;
	}
	if (!s->text)
		return;
	if (r->live) {
		fprintf(r->out, "\n%s%s", s->text,
		        s->text[0] && s->text[strlen(s->text) - 1] == '\n' ? "" : "\n");
		return;
	}
	/* Text mode: keep the block until the file's findings are printed.  A blank line
	 * separates blocks. */
	size_t tn = strlen(s->text);
	bool nl = tn && s->text[tn - 1] == '\n';
	n = tn + 2;
	if (r->sum_len && r->sum_len + n > REPORT_SUM_MEM)
		report_spool(r);
	if (r->sum_cap - r->sum_len < n + 1) {
		size_t cap = r->sum_cap ? r->sum_cap : 4096;
		char *p;

		while (cap - r->sum_len < n + 1)
			cap *= 2;
		p = realloc(r->sum, cap);
		if (!p) {
			report_oom(r);
			return;
		}
		r->sum = p;
		r->sum_cap = cap;
	}
	/* "\n", the block, and "\n" unless it ends in one */
	char *d = r->sum + r->sum_len;
	*d++ = '\n';
	memcpy(d, s->text, tn);
	d += tn;
	if (!nl)
		*d++ = '\n';
	*d = '\0';
	r->sum_len = (size_t)(d - r->sum);
}

static void report_on_follow(void *user, const struct mta_conn_id *conn, uint64_t first_frame,
                             enum mta_dir dir, uint64_t offset, const uint8_t *data, size_t len,
                             uint64_t gap_len)
{
	static const char hex[] = "0123456789abcdef";
	struct report *r = user;
	char buf[4096];
	size_t k = 0;

	if (!r->follow)
		return;
	/* Name the connection's roles whenever the dump switches connection, so a reader can
	 * tell which address sent c2s bytes. */
	if (!r->follow_any || r->follow_last != first_frame)
		fprintf(r->follow, "%llu conn %s %s\n", (unsigned long long)first_frame,
		        conn ? conn->client : "?", conn ? conn->server : "?");
	r->follow_any = true;
	r->follow_last = first_frame;
	fprintf(r->follow, "%llu %s %llu ", (unsigned long long)first_frame,
	        dir == MTA_C2S ? "c2s" : "s2c", (unsigned long long)offset);
	if (!data || len == 0) {
		fprintf(r->follow, "gap %llu\n", (unsigned long long)gap_len);
		return;
	}
	for (size_t i = 0; i < len; i++) {
		if (k == sizeof(buf)) {
			fwrite(buf, 1, k, r->follow);
			k = 0;
		}
		buf[k++] = hex[data[i] >> 4];
		buf[k++] = hex[data[i] & 15];
	}
	fwrite(buf, 1, k, r->follow);
	putc('\n', r->follow);
}

static void report_on_event(void *user, const struct mta_event *ev)
{
	struct report *r = user;

	if (r->html)
		html_on_event(r->html, ev);
}

void report_hooks(const struct report *r, struct mta_hooks *h)
{
	memset(h, 0, sizeof(*h));
	h->on_finding = report_on_finding;
	h->on_summary = report_on_summary;
	if (r->follow)
		h->on_follow = report_on_follow;
	if (r->html)
		h->on_event = report_on_event;
}

void report_file_begin(struct report *r, const char *file, bool first)
{
	r->file = file;
	r->sum_len = 0;
	if (r->spooled && r->spool) { /* left over from a file that did not end: drop it */
		rewind(r->spool);
		if (ftruncate(fileno(r->spool), 0) != 0) {
			fclose(r->spool);
			r->spool = NULL;
		}
	}
	r->spooled = false;
	if (r->html)
		html_file_begin(r->html, file);
	if (r->expect || r->json || !r->multi)
		return;
	fprintf(r->out, "%s== %s ==\n", first ? "" : "\n", file);
}

static void report_text_stats(struct report *r, const struct mta_stats *st)
{
	FILE *o = r->out;

	fprintf(o,
	        "\nstatistics: %llu frames (%llu octets), %llu TCP segments, %llu connections "
	        "(%llu SMTP, %llu OSI)\n",
	        (unsigned long long)st->frames, (unsigned long long)st->bytes,
	        (unsigned long long)st->tcp_segments, (unsigned long long)st->connections,
	        (unsigned long long)st->smtp_sessions, (unsigned long long)st->osi_associations);
	fprintf(o, "findings: %llu error, %llu warning, %llu note, %llu chat\n",
	        (unsigned long long)st->findings[MTA_SEV_ERROR],
	        (unsigned long long)st->findings[MTA_SEV_WARNING],
	        (unsigned long long)st->findings[MTA_SEV_NOTE],
	        (unsigned long long)st->findings[MTA_SEV_CHAT]);
	if (st->non_ip || st->non_tcp || st->ip_fragments || st->malformed || st->truncated ||
	    st->unsupported_link)
		fprintf(o,
		        "not analysed: %llu non-IP, %llu non-TCP, %llu IP fragments, "
		        "%llu malformed, %llu truncated by the snapshot length, "
		        "%llu of an undecoded link type\n",
		        (unsigned long long)st->non_ip, (unsigned long long)st->non_tcp,
		        (unsigned long long)st->ip_fragments, (unsigned long long)st->malformed,
		        (unsigned long long)st->truncated,
		        (unsigned long long)st->unsupported_link);
	if (st->conns_evicted || st->conns_idle_closed || st->buf_cap_hits)
		fprintf(o,
		        "limits: %llu connections evicted by the connection cap, %llu closed "
		        "idle, %llu buffer cap hits\n",
		        (unsigned long long)st->conns_evicted,
		        (unsigned long long)st->conns_idle_closed,
		        (unsigned long long)st->buf_cap_hits);
	if (st->alloc_failures)
		fprintf(o,
		        "out of memory: %llu connections could not be tracked or analysed\n",
		        (unsigned long long)st->alloc_failures);
}

/* The stats object with libpcap's counters as its last members (json is consumed). */
static char *report_pcap_json(char *json, const struct report *r)
{
	size_t n = strlen(json), cap = n + 128;
	char *s = n && json[n - 1] == '}' ? malloc(cap) : NULL;

	if (s)
		snprintf(
		    s, cap,
		    "%.*s,\"pcap_received\":%llu,\"pcap_dropped\":%llu,\"pcap_ifdropped\":%llu}",
		    (int)(n - 1), json, (unsigned long long)r->pcap_received,
		    (unsigned long long)r->pcap_dropped, (unsigned long long)r->pcap_ifdropped);
	free(json);
	return s;
}

void report_file_end(struct report *r, const struct mta_stats *st)
{
	char *s;

	if (r->html)
		html_file_end(r->html, st);
	if (r->expect)
		return;
	if (r->json) {
		s = mta_stats_json(st);
		if (s && r->have_pcap)
			s = report_pcap_json(s, r);
		if (!s) {
			report_oom(r);
			return;
		}
		report_json_record(r, s, "stats");
		free(s);
		return;
	}
	report_sum_flush(r);
	report_text_stats(r, st);
	if (r->have_pcap)
		fprintf(r->out,
		        "capture: %llu packets received by the filter, %llu dropped by the kernel, "
		        "%llu dropped by the interface\n",
		        (unsigned long long)r->pcap_received, (unsigned long long)r->pcap_dropped,
		        (unsigned long long)r->pcap_ifdropped);
}
