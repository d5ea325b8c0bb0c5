/* html.c — the HTML report: collects findings, summaries and protocol events, writes one page
 *
 * The page carries its data as one JSON document in <script type="application/json">; every
 * '<' inside it is written as \u003c so no text from the capture can end that element.  Layout:
 *
 *   {"version":V, "files":[{"name":N, "stats":{mta_stats_json}}],
 *    "conns":[{"file":I, "proto":"smtp"|"osi", "client":C, "server":S, "first":F, "last":L,
 *              "t0":T, "sum":{summary JSON}, "ev":[EVENT, ...], "ev_dropped":N}],
 *    "findings":[[CONN, FILE, FRAME, TIME, CODE, SEV, DIR, MESSAGE, RELATED, DETAIL, CLIENT,
 *                 SERVER], ...]}
 *
 *   EVENT = [FRAME, USEC since t0, DIR, KIND, LABEL, EXTRA]  (KIND: 0 tcp, 1 cmd, 2 reply,
 *   3 data, 4 tls, 5 tpdu, 6 spdu as enum mta_event_kind; EXTRA an object of the fields that
 *   apply, or 0)
 *
 * Findings are tied to their connection when the file ends: the connection with the same
 * client and server whose frame range holds the finding's frame (CONN -1 when none: a finding
 * on a connection the engine never summarised).
 */
#include "cli.h"
#include "html.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A growable text buffer; an allocation failure is sticky and reported when writing. */
struct hbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

struct hfinding {
	size_t file;
	uint64_t frame, related;
	struct mta_time time;
	enum mta_finding_code code;
	enum mta_severity sev;
	enum mta_dir dir;
	char *message, *detail;
	struct mta_conn_id conn;
	long conn_idx;
};

/* Events of a connection not yet summarised, found by the frame that created it. */
struct hpending {
	uint64_t first_frame;
	struct mta_time t0;
	struct hbuf ev;
	uint64_t n_ev, dropped;
	struct hpending *next;
};

struct hconn {
	size_t file;
	enum mta_proto proto;
	struct mta_conn_id id;
	uint64_t first, last;
	struct mta_time t0;
	bool have_t0;
	char *sum;
	struct hbuf ev;
	uint64_t n_ev, dropped;
};

struct hfile {
	char *name;
	char *stats;
	size_t first_conn, first_finding;
};

struct html_report {
	struct hfile *files;
	size_t n_files, cap_files;
	struct hconn *conns;
	size_t n_conns, cap_conns;
	struct hfinding *findings;
	size_t n_findings, cap_findings;
	struct hpending **pend;
	size_t n_buckets, n_pend;
	uint64_t events_kept;
	bool oom;
};

static void hb_reserve(struct hbuf *b, size_t more)
{
	size_t cap;
	char *p;

	if (b->oom || b->cap - b->len > more)
		return;
	cap = b->cap ? b->cap : 256;
	while (cap - b->len <= more) {
		if (cap > SIZE_MAX / 2) {
			b->oom = true;
			return;
		}
		cap *= 2;
	}
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return;
	}
	b->p = p;
	b->cap = cap;
}

static void hb_add(struct hbuf *b, const char *s, size_t n)
{
	hb_reserve(b, n);
	if (b->oom)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void hb_str(struct hbuf *b, const char *s)
{
	hb_add(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void hb_fmt(struct hbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	hb_reserve(b, 64);
	if (b->oom)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if ((size_t)n >= b->cap - b->len) {
		hb_reserve(b, (size_t)n + 1);
		if (b->oom)
			return;
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

/* A JSON string literal safe inside a <script> element: '<', '>' and '&' escaped, octets that
 * are not valid UTF-8 written as U+FFFD. */
static void hb_jstr(struct hbuf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	const unsigned char *end = p + strlen((const char *)p);

	hb_add(b, "\"", 1);
	while (*p) {
		unsigned char c = *p;
		size_t n;

		if (c == '"' || c == '\\') {
			char esc[2] = {'\\', (char)c};

			hb_add(b, esc, 2);
			p++;
			continue;
		}
		if (c < 0x20 || c == 0x7f || c == '<' || c == '>' || c == '&') {
			hb_fmt(b, "\\u%04x", c);
			p++;
			continue;
		}
		n = mta_utf8_len(p, (size_t)(end - p));
		if (n == 0) {
			hb_str(b, "\\ufffd");
			p++;
			continue;
		}
		hb_add(b, (const char *)p, n);
		p += n;
	}
	hb_add(b, "\"", 1);
}

/* JSON text rendered by the engine, copied with '<' '>' '&' escaped (they can occur only inside
 * its strings, where \u003c means the same). */
static char *json_for_script(const char *json)
{
	struct hbuf b = {0};
	const char *p = json;

	if (!json)
		return NULL;
	hb_reserve(&b, strlen(json) + 1);
	for (; *p; p++) {
		if (*p == '<' || *p == '>' || *p == '&')
			hb_fmt(&b, "\\u%04x", (unsigned char)*p);
		else
			hb_add(&b, p, 1);
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p ? b.p : strdup("");
}

static bool grow(void **arr, size_t *cap, size_t n, size_t size)
{
	size_t c;
	void *p;

	if (n < *cap)
		return true;
	c = *cap ? *cap * 2 : 16;
	p = realloc(*arr, c * size);
	if (!p)
		return false;
	*arr = p;
	*cap = c;
	return true;
}

struct html_report *html_new(void)
{
	struct html_report *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->n_buckets = 1024;
	h->pend = calloc(h->n_buckets, sizeof(*h->pend));
	if (!h->pend) {
		free(h);
		return NULL;
	}
	return h;
}

static void pending_clear(struct html_report *h)
{
	for (size_t i = 0; i < h->n_buckets; i++) {
		struct hpending *p = h->pend[i], *next;

		for (; p; p = next) {
			next = p->next;
			free(p->ev.p);
			free(p);
		}
		h->pend[i] = NULL;
	}
	h->n_pend = 0;
}

void html_free(struct html_report *h)
{
	if (!h)
		return;
	pending_clear(h);
	free(h->pend);
	for (size_t i = 0; i < h->n_files; i++) {
		free(h->files[i].name);
		free(h->files[i].stats);
	}
	for (size_t i = 0; i < h->n_conns; i++) {
		free(h->conns[i].sum);
		free(h->conns[i].ev.p);
	}
	for (size_t i = 0; i < h->n_findings; i++) {
		free(h->findings[i].message);
		free(h->findings[i].detail);
	}
	free(h->files);
	free(h->conns);
	free(h->findings);
	free(h);
}

void html_file_begin(struct html_report *h, const char *name)
{
	struct hfile *f;

	if (!grow((void **)&h->files, &h->cap_files, h->n_files, sizeof(*h->files))) {
		h->oom = true;
		return;
	}
	f = &h->files[h->n_files];
	memset(f, 0, sizeof(*f));
	f->name = strdup(name ? name : "");
	if (!f->name)
		h->oom = true;
	f->first_conn = h->n_conns;
	f->first_finding = h->n_findings;
	h->n_files++;
}

static size_t cur_file(const struct html_report *h)
{
	return h->n_files ? h->n_files - 1 : 0;
}

void html_on_finding(struct html_report *h, const struct mta_finding *f)
{
	struct hfinding *x;

	if (!grow((void **)&h->findings, &h->cap_findings, h->n_findings, sizeof(*h->findings))) {
		h->oom = true;
		return;
	}
	x = &h->findings[h->n_findings];
	memset(x, 0, sizeof(*x));
	x->file = cur_file(h);
	x->frame = f->frame;
	x->related = f->related_frame;
	x->time = f->time;
	x->code = f->code;
	x->sev = f->severity;
	x->dir = f->dir;
	x->message = strdup(f->message ? f->message : "");
	x->detail = f->detail_json ? json_for_script(f->detail_json) : NULL;
	if (f->conn)
		x->conn = *f->conn;
	x->conn_idx = -1;
	if (!x->message || (f->detail_json && !x->detail)) {
		free(x->message);
		free(x->detail);
		h->oom = true;
		return;
	}
	h->n_findings++;
}

static size_t bucket_of(const struct html_report *h, uint64_t frame)
{
	uint64_t x = frame * 0x9e3779b97f4a7c15ull;

	return (size_t)(x >> 32) & (h->n_buckets - 1);
}

static void pending_grow(struct html_report *h)
{
	size_t nb = h->n_buckets * 2;
	struct hpending **t = calloc(nb, sizeof(*t));

	if (!t)
		return; /* longer chains, still correct */
	for (size_t i = 0; i < h->n_buckets; i++) {
		struct hpending *p = h->pend[i], *next;

		for (; p; p = next) {
			uint64_t x = p->first_frame * 0x9e3779b97f4a7c15ull;
			size_t k = (size_t)(x >> 32) & (nb - 1);

			next = p->next;
			p->next = t[k];
			t[k] = p;
		}
	}
	free(h->pend);
	h->pend = t;
	h->n_buckets = nb;
}

static struct hpending *pending_find(struct html_report *h, uint64_t first_frame, bool unlink)
{
	struct hpending **pp = &h->pend[bucket_of(h, first_frame)];

	for (; *pp; pp = &(*pp)->next) {
		struct hpending *p = *pp;

		if (p->first_frame != first_frame)
			continue;
		if (unlink) {
			*pp = p->next;
			h->n_pend--;
		}
		return p;
	}
	return NULL;
}

static int64_t usec_between(struct mta_time a, struct mta_time b)
{
	return (b.sec - a.sec) * 1000000ll + ((int64_t)b.usec - (int64_t)a.usec);
}

/* The fields of an event beyond frame, time, direction, kind and label, as a JSON object. */
static void event_extra(struct hbuf *b, const struct mta_event *ev)
{
	size_t start = b->len;

	hb_add(b, "{", 1);
	switch (ev->kind) {
	case MTA_EV_SMTP_CMD:
	case MTA_EV_SMTP_REPLY:
	case MTA_EV_SMTP_DATA:
	case MTA_EV_SMTP_TLS:
		if (ev->smtp_state) {
			hb_str(b, "\"st\":");
			hb_jstr(b, ev->smtp_state);
			hb_add(b, ",", 1);
		}
		if (ev->smtp_cmd) {
			hb_str(b, "\"cmd\":");
			hb_jstr(b, ev->smtp_cmd);
			hb_add(b, ",", 1);
		}
		if (ev->reply_code >= 0)
			hb_fmt(b, "\"rc\":%d,\"lat\":%llu,", ev->reply_code,
			       (unsigned long long)ev->latency_usec);
		if (ev->transaction)
			hb_fmt(b, "\"tx\":%u,", (unsigned)ev->transaction);
		if (ev->kind == MTA_EV_SMTP_DATA)
			hb_fmt(b, "\"oct\":%llu,", (unsigned long long)ev->data_octets);
		break;
	case MTA_EV_OSI_TPDU:
	case MTA_EV_OSI_SPDU:
		if (ev->spdu) {
			hb_str(b, "\"spdu\":");
			hb_jstr(b, ev->spdu);
			hb_add(b, ",", 1);
		}
		if (ev->serial >= 0)
			hb_fmt(b, "\"ser\":%lld,", (long long)ev->serial);
		if (ev->kind == MTA_EV_OSI_SPDU)
			hb_fmt(b, "\"vm\":[%llu,%llu],\"va\":[%llu,%llu],",
			       (unsigned long long)ev->vm_before, (unsigned long long)ev->vm_after,
			       (unsigned long long)ev->va_before, (unsigned long long)ev->va_after);
		if (ev->tokens) {
			hb_str(b, "\"tok\":");
			hb_jstr(b, ev->tokens);
			hb_add(b, ",", 1);
		}
		if (ev->activity_id) {
			hb_str(b, "\"act\":");
			hb_jstr(b, ev->activity_id);
			hb_add(b, ",", 1);
		}
		if (ev->window_size >= 0)
			hb_fmt(b, "\"win\":[%d,%d],", ev->window_used, ev->window_size);
		break;
	default:
		break;
	}
	if (b->oom)
		return;
	if (b->len == start + 1) { /* nothing applied */
		b->len = start;
		hb_add(b, "0", 1);
		return;
	}
	b->p[b->len - 1] = '}'; /* the last ',' */
}

void html_on_event(struct html_report *h, const struct mta_event *ev)
{
	struct hpending *p = pending_find(h, ev->conn_first_frame, false);

	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p) {
			h->oom = true;
			return;
		}
		p->first_frame = ev->conn_first_frame;
		p->t0 = ev->ts;
		if (h->n_pend >= h->n_buckets * 2)
			pending_grow(h);
		{
			size_t k = bucket_of(h, p->first_frame);

			p->next = h->pend[k];
			h->pend[k] = p;
		}
		h->n_pend++;
	}
	if (p->n_ev >= HTML_MAX_EVENTS_CONN || h->events_kept >= HTML_MAX_EVENTS) {
		p->dropped++;
		return;
	}
	hb_add(&p->ev, p->n_ev ? "," : "", p->n_ev ? 1 : 0);
	hb_fmt(&p->ev, "[%llu,%lld,%d,%d,", (unsigned long long)ev->frame,
	       (long long)usec_between(p->t0, ev->ts), ev->dir == MTA_S2C ? 1 : 0, (int)ev->kind);
	hb_jstr(&p->ev, ev->label ? ev->label : "");
	hb_add(&p->ev, ",", 1);
	event_extra(&p->ev, ev);
	hb_add(&p->ev, "]", 1);
	if (p->ev.oom)
		h->oom = true;
	p->n_ev++;
	h->events_kept++;
}

void html_on_summary(struct html_report *h, const struct mta_summary *s)
{
	struct hconn *c;
	struct hpending *p;

	if (!grow((void **)&h->conns, &h->cap_conns, h->n_conns, sizeof(*h->conns))) {
		h->oom = true;
		return;
	}
	c = &h->conns[h->n_conns];
	memset(c, 0, sizeof(*c));
	c->file = cur_file(h);
	c->proto = s->proto;
	if (s->conn)
		c->id = *s->conn;
	c->first = s->first_frame;
	c->last = s->last_frame;
	c->sum = json_for_script(s->json ? s->json : "{}");
	if (!c->sum) {
		h->oom = true;
		return;
	}
	p = pending_find(h, s->first_frame, true);
	if (p) {
		c->ev = p->ev;
		c->n_ev = p->n_ev;
		c->dropped = p->dropped;
		c->t0 = p->t0;
		c->have_t0 = true;
		free(p);
	}
	h->n_conns++;
}

/* Findings are tied to connections through the connections of one file ordered by client,
 * server and first frame. */
static int cmp_conn_key(const struct hconn *a, const char *client, const char *server,
                        uint64_t frame)
{
	int d = strcmp(a->id.client, client);

	if (d)
		return d;
	d = strcmp(a->id.server, server);
	if (d)
		return d;
	return a->first < frame ? -1 : a->first > frame ? 1 : 0;
}

static int cmp_idx(const void *x, const void *y, void *arg)
{
	const struct hconn *conns = arg;
	const struct hconn *a = &conns[*(const size_t *)x];
	const struct hconn *b = &conns[*(const size_t *)y];

	return cmp_conn_key(a, b->id.client, b->id.server, b->first);
}

/* The connection of file f that holds finding x: same client and server, the last one that
 * started at or before the finding's frame, provided it had not ended before it. */
static long find_conn(const struct html_report *h, const size_t *idx, size_t n,
                      const struct hfinding *x)
{
	size_t lo = 0, hi = n;
	const struct hconn *c;

	while (lo < hi) { /* first index whose key is > (client, server, frame) */
		size_t mid = lo + (hi - lo) / 2;

		if (cmp_conn_key(&h->conns[idx[mid]], x->conn.client, x->conn.server, x->frame) <=
		    0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return -1;
	c = &h->conns[idx[lo - 1]];
	if (strcmp(c->id.client, x->conn.client) != 0 || strcmp(c->id.server, x->conn.server) != 0)
		return -1;
	if (x->frame > c->last)
		return -1;
	return (long)idx[lo - 1];
}

void html_file_end(struct html_report *h, const struct mta_stats *st)
{
	struct hfile *f;
	size_t n, *idx;
	char *s;

	if (!h->n_files)
		return;
	f = &h->files[h->n_files - 1];
	s = mta_stats_json(st);
	f->stats = s ? json_for_script(s) : NULL;
	free(s);
	if (!f->stats)
		h->oom = true;
	/* Events of connections that were never summarised (not SMTP or OSI after all). */
	pending_clear(h);
	n = h->n_conns - f->first_conn;
	idx = malloc((n ? n : 1) * sizeof(*idx));
	if (!idx) {
		h->oom = true;
		return;
	}
	for (size_t i = 0; i < n; i++)
		idx[i] = f->first_conn + i;
	qsort_r(idx, n, sizeof(*idx), cmp_idx, h->conns);
	for (size_t i = f->first_finding; i < h->n_findings; i++)
		h->findings[i].conn_idx = find_conn(h, idx, n, &h->findings[i]);
	free(idx);
}

static void write_conn(struct hbuf *b, const struct hconn *c)
{
	hb_fmt(b, "{\"file\":%zu,\"proto\":\"%s\",\"client\":", c->file,
	       c->proto == MTA_PROTO_OSI ? "osi" : "smtp");
	hb_jstr(b, c->id.client);
	hb_str(b, ",\"server\":");
	hb_jstr(b, c->id.server);
	hb_fmt(b, ",\"first\":%llu,\"last\":%llu,\"t0\":%lld.%06u,\"sum\":",
	       (unsigned long long)c->first, (unsigned long long)c->last, (long long)c->t0.sec,
	       (unsigned)c->t0.usec);
	hb_str(b, c->sum);
	hb_str(b, ",\"ev\":[");
	if (c->ev.p)
		hb_add(b, c->ev.p, c->ev.len);
	hb_fmt(b, "],\"ev_dropped\":%llu}", (unsigned long long)c->dropped);
}

static void write_finding(struct hbuf *b, const struct hfinding *x)
{
	hb_fmt(b, "[%ld,%zu,%llu,%lld.%06u,\"%s\",%d,%d,", x->conn_idx, x->file,
	       (unsigned long long)x->frame, (long long)x->time.sec, (unsigned)x->time.usec,
	       mta_finding_code_str(x->code), (int)x->sev, x->dir == MTA_S2C ? 1 : 0);
	hb_jstr(b, x->message);
	hb_fmt(b, ",%llu,%s,", (unsigned long long)x->related, x->detail ? x->detail : "null");
	hb_jstr(b, x->conn.client);
	hb_add(b, ",", 1);
	hb_jstr(b, x->conn.server);
	hb_add(b, "]", 1);
}

static const char page_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
    "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
    "<title>mtadiag report</title>\n<style>\n";

static const char page_body[] =
    "</style>\n</head>\n<body>\n"
    "<header><h1>mtadiag report</h1><nav><a href=\"#overview\">Overview</a> "
    "<a href=\"#findings\">Findings</a> <a href=\"#conns\">Sessions and associations</a>"
    "</nav></header>\n"
    "<noscript><p>This report draws its tables and diagrams with JavaScript; enable it to "
    "read the report.</p></noscript>\n"
    "<main>\n<section id=\"overview\"></section>\n<section id=\"findings\"></section>\n"
    "<section id=\"conns\"></section>\n<section id=\"diagram\"></section>\n</main>\n"
    "<div id=\"mtadiag-status\" data-state=\"loading\"></div>\n"
    "<script type=\"application/json\" id=\"mtadiag-data\">";

static const char page_tail_open[] = "</script>\n<script>\n";
static const char page_tail_close[] = "</script>\n</body>\n</html>\n";

int html_write_to(struct html_report *h, FILE *out)
{
	struct hbuf b = {0};
	int rc = 0;

	if (h->oom) {
		fclose(out);
		errno = ENOMEM;
		return -1;
	}
	fputs(page_head, out);
	fputs(html_asset_css, out);
	fputs(page_body, out);
	hb_str(&b, "{\"version\":\"" MTA_VERSION "\",\"files\":[");
	for (size_t i = 0; i < h->n_files; i++) {
		hb_str(&b, i ? ",{\"name\":" : "{\"name\":");
		hb_jstr(&b, h->files[i].name);
		hb_str(&b, ",\"stats\":");
		hb_str(&b, h->files[i].stats ? h->files[i].stats : "null");
		hb_str(&b, "}");
	}
	hb_str(&b, "],\n\"conns\":[");
	fwrite(b.p, 1, b.len, out);
	/* Connections one at a time: the page of a large capture is never held whole. */
	for (size_t i = 0; i < h->n_conns && !b.oom; i++) {
		b.len = 0;
		if (i)
			hb_str(&b, ",\n");
		write_conn(&b, &h->conns[i]);
		if (!b.oom)
			fwrite(b.p, 1, b.len, out);
	}
	b.len = 0;
	hb_str(&b, "],\n\"findings\":[");
	for (size_t i = 0; i < h->n_findings && !b.oom; i++) {
		if (i)
			hb_str(&b, ",\n");
		write_finding(&b, &h->findings[i]);
		if (b.len > 65536) {
			fwrite(b.p, 1, b.len, out);
			b.len = 0;
		}
	}
	hb_str(&b, "]}\n");
	if (!b.oom)
		fwrite(b.p, 1, b.len, out);
	fputs(page_tail_open, out);
	fputs(html_asset_js, out);
	fputs(page_tail_close, out);
	if (b.oom) {
		rc = -1;
		errno = ENOMEM;
	}
	free(b.p);
	if (ferror(out)) {
		rc = -1;
		fclose(out);
		return rc;
	}
	if (fclose(out) != 0)
		rc = -1;
	return rc;
}
