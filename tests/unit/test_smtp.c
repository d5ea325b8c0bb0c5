/* test_smtp.c — SMTP parsers (smtp_parse.c) and the session machine (smtp.c) driven through a
 * small stand-in for the engine's connection (the conn_* functions of analyser.h), which plays
 * the reassembler's consumed/needed contract. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "analyser.h"
#include "sbuf.h"
#include "smtp_parse.h"
#include "testutil.h"

/* ---- the stand-in connection ---------------------------------------------------------------- */

#define MAXF 128
#define MAXE 128

/* a protocol event as recorded (strings copied) */
struct tevent {
	enum mta_event_kind kind;
	enum mta_dir dir;
	uint64_t frame;
	char label[160];
	char state[16];
	char cmd[16];
	int code;
	uint32_t txn;
	uint64_t latency, octets;
};

struct tfind {
	enum mta_finding_code code;
	int sev;
	enum mta_dir dir;
	uint64_t frame, related;
	char msg[700];
	char detail[700];
};

struct conn {
	struct mta_conn_id id;
	struct mta_config cfg;
	uint64_t frame, first_frame;
	struct mta_time now, first_time;
	bool in_frame;
	bool syn_seen;
	unsigned counts[MTA_F_COUNT];
	struct tfind f[MAXF];
	unsigned nf;
	char *json, *text;
	struct sbuf sum[2]; /* conn_summary_buf */
	/* reassembly stand-in: unconsumed bytes per direction and sequence numbers */
	uint8_t pend[2][65536];
	size_t pend_len[2];
	uint64_t off[2];
	uint32_t seq[2];
	void *st;
	struct tevent ev[MAXE];
	unsigned nev;
};

const struct mta_conn_id *conn_id(const struct conn *c)
{
	return &c->id;
}
const struct mta_config *conn_cfg(const struct conn *c)
{
	return &c->cfg;
}
uint64_t conn_cur_frame(const struct conn *c)
{
	return c->frame;
}
struct mta_time conn_cur_time(const struct conn *c)
{
	return c->now;
}
uint64_t conn_first_frame(const struct conn *c)
{
	return c->first_frame;
}
uint64_t conn_last_frame(const struct conn *c)
{
	return c->frame;
}
struct mta_time conn_first_time(const struct conn *c)
{
	return c->first_time;
}
struct mta_time conn_last_time(const struct conn *c)
{
	return c->now;
}
bool conn_syn_seen(const struct conn *c)
{
	return c->syn_seen;
}
unsigned conn_finding_count(const struct conn *c, enum mta_finding_code code)
{
	return c->counts[code];
}

bool conn_events_on(const struct conn *c)
{
	return c->cfg.events;
}

void conn_event_init(const struct conn *c, struct mta_event *ev, enum mta_event_kind kind,
                     enum mta_dir dir)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	ev->dir = dir;
	ev->frame = c->frame;
	ev->ts = c->now;
	ev->label = "";
	ev->reply_code = -1;
	ev->serial = -1;
	ev->window_used = ev->window_size = -1;
}

void conn_event(struct conn *c, struct mta_event *ev)
{
	assert_true(c->cfg.events); /* analysers build events only when asked to */
	assert_non_null(ev->label);
	if (c->nev == MAXE)
		return;
	struct tevent *t = &c->ev[c->nev++];
	t->kind = ev->kind;
	t->dir = ev->dir;
	t->frame = ev->frame;
	snprintf(t->label, sizeof(t->label), "%s", ev->label);
	snprintf(t->state, sizeof(t->state), "%s", ev->smtp_state ? ev->smtp_state : "");
	snprintf(t->cmd, sizeof(t->cmd), "%s", ev->smtp_cmd ? ev->smtp_cmd : "");
	t->code = ev->reply_code;
	t->txn = ev->transaction;
	t->latency = ev->latency_usec;
	t->octets = ev->data_octets;
}

static void t_vemit(struct conn *c, enum mta_finding_code code, int sev, enum mta_dir dir,
                    uint64_t frame, uint64_t related, const char *detail, const char *fmt,
                    va_list ap)
{
	c->counts[code]++;
	if (c->nf == MAXF)
		return; /* counted, not kept (only the random test gets this far) */
	struct tfind *f = &c->f[c->nf++];
	f->code = code;
	f->sev = sev < 0 ? (int)mta_finding_default_severity(code) : sev;
	f->dir = dir;
	f->frame = frame;
	f->related = related;
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	snprintf(f->detail, sizeof(f->detail), "%s", detail ? detail : "");
}

void conn_emit(struct conn *c, enum mta_finding_code code, int sev, enum mta_dir dir,
               uint64_t frame, struct mta_time ts, uint64_t related, const char *detail_json,
               const char *fmt, ...)
{
	(void)ts;
	va_list ap;
	va_start(ap, fmt);
	t_vemit(c, code, sev, dir, frame, related, detail_json, fmt, ap);
	va_end(ap);
}

void conn_emit_now(struct conn *c, enum mta_finding_code code, int sev, enum mta_dir dir,
                   uint64_t related, const char *detail_json, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	t_vemit(c, code, sev, dir, c->frame, related, detail_json, fmt, ap);
	va_end(ap);
}

void conn_summary(struct conn *c, const char *json, const char *text)
{
	free(c->json);
	free(c->text);
	c->json = strdup(json);
	c->text = strdup(text);
}

struct sbuf *conn_summary_buf(struct conn *c, int which)
{
	struct sbuf *b = &c->sum[which ? 1 : 0];
	sb_reset(b);
	return b;
}

static struct conn *t_new(bool syn)
{
	struct conn *c = calloc(1, sizeof(*c));
	assert_non_null(c);
	/* the named defaults (mta_config_defaults lives in the engine, not linked here) */
	c->cfg.stall_usec = MTA_DEFAULT_STALL_USEC;
	c->cfg.max_line = MTA_DEFAULT_MAX_LINE;
	c->cfg.max_buf_per_dir = MTA_DEFAULT_MAX_BUF_PER_DIR;
	snprintf(c->id.client, sizeof(c->id.client), "192.0.2.10:40000");
	snprintf(c->id.server, sizeof(c->id.server), "198.51.100.25:25");
	c->syn_seen = syn;
	c->now.sec = 1700000000;
	c->first_time = c->now;
	c->seq[0] = 1000;
	c->seq[1] = 5000;
	c->st = smtp_analyser.create(c);
	assert_non_null(c->st);
	return c;
}

static void t_free(struct conn *c)
{
	smtp_analyser.destroy(c->st);
	free(c->json);
	free(c->text);
	sb_free(&c->sum[0]);
	sb_free(&c->sum[1]);
	free(c);
}

static void t_end(struct conn *c, enum conn_end_reason why)
{
	smtp_analyser.on_end(c->st, why);
}

/* Deliver what is buffered for dir (plus nothing new): models the reassembler's re-presentation. */
static void t_deliver(struct conn *c, enum mta_dir d, size_t new_len, bool psh, bool fin)
{
	if (!c->pend_len[d])
		return;
	struct rs_event ev = {0};
	ev.type = RS_DATA;
	ev.frame = c->frame;
	ev.offset = c->off[d];
	ev.data = tu_guarded_copy(c->pend[d], c->pend_len[d]);
	ev.len = c->pend_len[d];
	ev.new_len = new_len;
	ev.psh = psh;
	ev.fin = fin;
	ev.seg_frame = c->frame;
	size_t used = smtp_analyser.on_stream(c->st, d, &ev);
	assert_true(used <= ev.len);
	tu_guarded_free((uint8_t *)ev.data, ev.len);
	memmove(c->pend[d], c->pend[d] + used, c->pend_len[d] - used);
	c->pend_len[d] -= used;
	c->off[d] += used;
}

/* One TCP segment: dt_ms after the previous one.  flags: TCPF_*. */
static void t_seg(struct conn *c, enum mta_dir d, uint8_t flags, const void *payload, size_t n,
                  unsigned dt_ms)
{
	c->frame++;
	if (!c->first_frame)
		c->first_frame = c->frame;
	uint64_t us = (uint64_t)c->now.usec + (uint64_t)dt_ms * 1000u;
	c->now.sec += (int64_t)(us / 1000000u);
	c->now.usec = (uint32_t)(us % 1000000u);
	struct seg_info si = {0};
	si.frame = c->frame;
	si.ts = c->now;
	si.dir = d;
	si.flags = flags;
	si.seq = c->seq[d];
	si.payload_len = si.payload_wire = (uint32_t)n;
	si.win = 65535;
	smtp_analyser.on_segment(c->st, &si);
	c->seq[d] += (uint32_t)n + ((flags & (TCPF_FIN | TCPF_SYN)) ? 1u : 0u);
	if (n) {
		assert_true(c->pend_len[d] + n <= sizeof(c->pend[d]));
		memcpy(c->pend[d] + c->pend_len[d], payload, n);
		c->pend_len[d] += n;
		t_deliver(c, d, n, flags & TCPF_PSH, flags & TCPF_FIN);
	}
	if (flags & TCPF_FIN) {
		struct rs_event ev = {0};
		ev.type = RS_FIN;
		ev.frame = c->frame;
		smtp_analyser.on_stream(c->st, d, &ev);
	}
}

#define P (TCPF_PSH | TCPF_ACK)
#define A TCPF_ACK
#define C MTA_C2S
#define S MTA_S2C

static void t_line(struct conn *c, enum mta_dir d, const char *s)
{
	t_seg(c, d, P, s, strlen(s), 10);
}

/* A hole of len octets in direction d, in a frame of its own. */
static void t_gap(struct conn *c, enum mta_dir d, uint64_t len, enum rs_gap_cause cause)
{
	c->frame++;
	struct rs_event ev = {0};
	ev.type = RS_GAP;
	ev.frame = c->frame;
	ev.gap_len = len;
	ev.cause = cause;
	smtp_analyser.on_stream(c->st, d, &ev);
}

/* The client's FIN, then the server's, each a segment of its own. */
static void t_fin_both(struct conn *c)
{
	t_seg(c, C, TCPF_FIN | A, NULL, 0, 1);
	t_seg(c, S, TCPF_FIN | A, NULL, 0, 1);
}

/* QUIT, its 221, both FINs and the end of the connection. */
static void t_quit_close(struct conn *c)
{
	t_line(c, C, "QUIT\r\n");
	t_line(c, S, "221 bye\r\n");
	t_fin_both(c);
	t_end(c, CONN_END_CLOSED);
}

static void t_handshake(struct conn *c)
{
	t_seg(c, C, TCPF_SYN, NULL, 0, 0);
	t_seg(c, S, TCPF_SYN | TCPF_ACK, NULL, 0, 1);
	t_seg(c, C, A, NULL, 0, 1);
}

static unsigned t_count(const struct conn *c, enum mta_finding_code code)
{
	return c->counts[code];
}

static const struct tfind *t_find(const struct conn *c, enum mta_finding_code code)
{
	for (unsigned i = 0; i < c->nf; i++)
		if (c->f[i].code == code)
			return &c->f[i];
	return NULL;
}

static void t_dump(const struct conn *c)
{
	for (unsigned i = 0; i < c->nf; i++)
		fprintf(stderr, "  frame %llu %s sev %d rel %llu: %s\n",
		        (unsigned long long)c->f[i].frame, mta_finding_code_str(c->f[i].code),
		        c->f[i].sev, (unsigned long long)c->f[i].related, c->f[i].msg);
}

/* note-or-higher findings */
static unsigned t_nonchat(const struct conn *c)
{
	unsigned n = 0;
	for (unsigned i = 0; i < c->nf; i++)
		if (c->f[i].sev > MTA_SEV_CHAT)
			n++;
	return n;
}

/* ---- parsers ----------------------------------------------------------------------------------
 */

static void test_parse_cmd(void **state)
{
	(void)state;
	struct smtp_cmd c;
	const char *l = "mail FROM:<a@b.example> SIZE=100";
	uint8_t *g = tu_guarded_copy(l, strlen(l));
	assert_true(smtp_parse_cmd(g, strlen(l), &c));
	assert_int_equal(c.verb, SV_MAIL);
	assert_int_equal(c.arg_len, strlen("FROM:<a@b.example> SIZE=100"));
	const uint8_t *a;
	size_t an;
	assert_true(smtp_parse_path(c.arg, c.arg_len, "FROM:", &a, &an));
	assert_int_equal(an, strlen("a@b.example"));
	assert_memory_equal(a, "a@b.example", an);
	tu_guarded_free(g, strlen(l));

	g = tu_guarded_copy("QUIT", 4);
	assert_true(smtp_parse_cmd(g, 4, &c));
	assert_int_equal(c.verb, SV_QUIT);
	assert_int_equal(c.arg_len, 0);
	tu_guarded_free(g, 4);

	g = tu_guarded_copy("XYZZY 1", 7);
	assert_true(smtp_parse_cmd(g, 7, &c));
	assert_int_equal(c.verb, SV_UNKNOWN);
	tu_guarded_free(g, 7);

	/* every command verb of the name table (smtp_verb_lookup is written out separately), in
	 * upper, lower and mixed case, alone and with an argument; one letter off is unknown */
	for (int v = SV_HELO; v < SV_COUNT; v++) {
		if (v == SV_END_OF_DATA || v == SV_AUTH_CONT)
			continue; /* not verbs on the wire */
		const char *name = smtp_verb_name((enum smtp_verb)v);
		size_t vn = strlen(name);
		char line[32];
		for (int form = 0; form < 4; form++) {
			for (size_t k = 0; k < vn; k++)
				line[k] = form == 1 || (form == 2 && k % 2) ? (char)(name[k] | 0x20) : name[k];
			size_t ln = vn;
			if (form == 3) {
				memcpy(line + vn, " x", 2);
				ln += 2;
			}
			g = tu_guarded_copy(line, ln);
			assert_true(smtp_parse_cmd(g, ln, &c));
			assert_int_equal(c.verb, v);
			assert_int_equal(c.verb_len, vn);
			tu_guarded_free(g, ln);
		}
		memcpy(line, name, vn);
		line[vn - 1] = line[vn - 1] == 'Z' ? 'Y' : 'Z';
		g = tu_guarded_copy(line, vn);
		assert_true(smtp_parse_cmd(g, vn, &c));
		assert_int_equal(c.verb, SV_UNKNOWN);
		tu_guarded_free(g, vn);
	}

	assert_false(smtp_parse_cmd((const uint8_t *)" MAIL", 5, &c));
	assert_false(smtp_parse_cmd((const uint8_t *)"", 0, &c));
	assert_true(smtp_looks_like_cmd((const uint8_t *)"rcpt to:<x>", 11));
	assert_false(smtp_looks_like_cmd((const uint8_t *)"Subject: hi", 11));

	/* RCPT path without brackets, spaces after the colon */
	assert_true(smtp_parse_path((const uint8_t *)"TO: bob@x", 9, "TO:", &a, &an));
	assert_int_equal(an, 5);
	assert_false(smtp_parse_path((const uint8_t *)"FRM:<a>", 7, "FROM:", &a, &an));
}

static void test_parse_reply(void **state)
{
	(void)state;
	struct smtp_reply_line r;
	const char *l = "550-5.1.1 User unknown";
	uint8_t *g = tu_guarded_copy(l, strlen(l));
	assert_true(smtp_parse_reply(g, strlen(l), &r));
	assert_int_equal(r.code, 550);
	assert_true(r.more);
	assert_true(r.has_enh);
	assert_string_equal(r.enh, "5.1.1");
	tu_guarded_free(g, strlen(l));

	g = tu_guarded_copy("250", 3);
	assert_true(smtp_parse_reply(g, 3, &r));
	assert_int_equal(r.code, 250);
	assert_false(r.more);
	assert_int_equal(r.text_len, 0);
	tu_guarded_free(g, 3);

	assert_true(smtp_parse_reply((const uint8_t *)"250 2.0.0", 9, &r));
	assert_string_equal(r.enh, "2.0.0");
	assert_true(smtp_parse_reply((const uint8_t *)"250 2.0 ok", 10, &r));
	assert_false(r.has_enh);
	assert_true(smtp_parse_reply((const uint8_t *)"421 4.4.2 bye", 13, &r));
	assert_string_equal(r.enh, "4.4.2");
	assert_false(smtp_parse_reply((const uint8_t *)"25", 2, &r));
	assert_false(smtp_parse_reply((const uint8_t *)"2500 x", 6, &r));
	assert_false(smtp_parse_reply((const uint8_t *)"hello", 5, &r));
	/* codes are 100..999 (smtp_parse.h): a leading 0 is no reply code */
	assert_false(smtp_parse_reply((const uint8_t *)"099 x", 5, &r));
	assert_false(smtp_parse_reply((const uint8_t *)"000", 3, &r));
	assert_true(smtp_parse_reply((const uint8_t *)"100 x", 5, &r));
	assert_int_equal(r.code, 100);
	assert_true(smtp_parse_reply((const uint8_t *)"999", 3, &r));
	assert_int_equal(r.code, 999);
}

static void test_parse_ehlo_bdat_qid(void **state)
{
	(void)state;
	assert_int_equal(smtp_ehlo_keyword((const uint8_t *)"PIPELINING", 10), SMTP_EXT_PIPELINING);
	assert_int_equal(smtp_ehlo_keyword((const uint8_t *)"SIZE 10240000", 13), SMTP_EXT_SIZE);
	assert_int_equal(smtp_ehlo_keyword((const uint8_t *)"auth=LOGIN", 10), SMTP_EXT_AUTH);
	assert_int_equal(smtp_ehlo_keyword((const uint8_t *)"AUTH PLAIN LOGIN", 16), SMTP_EXT_AUTH);
	assert_int_equal(smtp_ehlo_keyword((const uint8_t *)"chunking", 8), SMTP_EXT_CHUNKING);
	assert_int_equal(smtp_ehlo_keyword((const uint8_t *)"X-FOO", 5), SMTP_EXT_OTHER);
	assert_int_equal(smtp_ehlo_keyword((const uint8_t *)"", 0), 0);

	uint64_t sz;
	bool last;
	assert_true(smtp_parse_bdat((const uint8_t *)"1000 LAST", 9, &sz, &last));
	assert_int_equal(sz, 1000);
	assert_true(last);
	assert_true(smtp_parse_bdat((const uint8_t *)"0", 1, &sz, &last));
	assert_false(last);
	assert_false(smtp_parse_bdat((const uint8_t *)"x", 1, &sz, &last));
	assert_false(smtp_parse_bdat((const uint8_t *)"12 FIRST", 8, &sz, &last));
	assert_false(smtp_parse_bdat((const uint8_t *)"99999999999999999999999", 23, &sz, &last));

	const uint8_t *id;
	size_t n;
	const char *t1 = "2.0.0 Ok: queued as 4F3B21C0A1B";
	assert_true(smtp_reply_queue_id((const uint8_t *)t1, strlen(t1), &id, &n));
	assert_int_equal(n, 11);
	assert_memory_equal(id, "4F3B21C0A1B", 11);
	const char *t2 = "OK id=1MuZRF-0005uK-Ao";
	assert_true(smtp_reply_queue_id((const uint8_t *)t2, strlen(t2), &id, &n));
	assert_memory_equal(id, "1MuZRF-0005uK-Ao", n);
	const char *t3 = "2.0.0 u4HKN5s8013546 Message accepted for delivery";
	assert_true(smtp_reply_queue_id((const uint8_t *)t3, strlen(t3), &id, &n));
	assert_memory_equal(id, "u4HKN5s8013546", n);
	const char *t4 = "OK";
	assert_false(smtp_reply_queue_id((const uint8_t *)t4, strlen(t4), &id, &n));
	const char *t5 = "2.0.0 Message accepted for delivery";
	assert_false(smtp_reply_queue_id((const uint8_t *)t5, strlen(t5), &id, &n));
}

static void test_find_line(void **state)
{
	(void)state;
	size_t content, term;
	bool bare;
	uint8_t *g = tu_guarded_copy("AB\r\nC", 5);
	assert_true(smtp_find_line(g, 5, &content, &term, &bare));
	assert_int_equal(content, 2);
	assert_int_equal(term, 2);
	assert_false(bare);
	assert_false(smtp_find_line(g + 4, 1, &content, &term, &bare));
	tu_guarded_free(g, 5);
	g = tu_guarded_copy("AB\n", 3);
	assert_true(smtp_find_line(g, 3, &content, &term, &bare));
	assert_true(bare);
	assert_int_equal(content, 2);
	tu_guarded_free(g, 3);
	assert_false(smtp_find_line(NULL, 0, &content, &term, &bare));
}

/* The end-of-data marker is found at every split of the body, and body octets agree. */
static void test_body_marker_splits(void **state)
{
	(void)state;
	const char *body = "Subject: x\r\n\r\n..stuffed\r\n.\r\nMAIL";
	size_t n = strlen(body), end = strlen("Subject: x\r\n\r\n..stuffed\r\n.\r\n");
	for (size_t cut = 0; cut <= n; cut++) {
		struct smtp_body_scan s;
		memset(&s, 0, sizeof(s));
		bool done = false;
		uint8_t *a = tu_guarded_copy(body, cut);
		size_t used = smtp_body_feed(&s, a, cut, &done);
		tu_guarded_free(a, cut);
		if (!done) {
			assert_int_equal(used, cut);
			uint8_t *b = tu_guarded_copy(body + cut, n - cut);
			used += smtp_body_feed(&s, b, n - cut, &done);
			tu_guarded_free(b, n - cut);
		}
		assert_true(done);
		assert_int_equal(used, end);
		assert_int_equal(s.stuffed, 1);
		assert_int_equal(s.bare_lf, 0);
	}
	/* "\r\n.\r\n" inside a line does not end it; a bare LF before "." does not either */
	struct smtp_body_scan s;
	memset(&s, 0, sizeof(s));
	bool done;
	const char *b2 = "a\n.\r\nb\r\n.x\r\n";
	smtp_body_feed(&s, (const uint8_t *)b2, strlen(b2), &done);
	assert_false(done);
	assert_int_equal(s.bare_lf, 1);
	/* an empty body */
	memset(&s, 0, sizeof(s));
	assert_int_equal(smtp_body_feed(&s, (const uint8_t *)".\r\n", 3, &done), 3);
	assert_true(done);
}

/* What smtp_body_feed must find in a body, computed the obvious way (one octet at a time over
 * the whole body): the end-of-data marker (".\r\n" starting a line that follows a CRLF, or the
 * body's start), and for the lines before it their count, bare LFs, dot-stuffed lines (a '.'
 * at the start of a line not followed by CR) and lengths including the terminator. */
struct body_ref {
	bool done;
	size_t used;
	struct smtp_body_scan s;
};

static void body_reference(const uint8_t *p, size_t n, struct body_ref *r)
{
	memset(r, 0, sizeof(*r));
	size_t start = 0; /* of the current line */
	for (size_t i = 0; i <= n; i++) {
		bool bol = i == 0 || (i >= 2 && p[i - 1] == '\n' && p[i - 2] == '\r');
		if (bol && i < n) {
			if (n - i >= 3 && p[i] == '.' && p[i + 1] == '\r' && p[i + 2] == '\n') {
				r->done = true;
				r->used = i + 3;
				return;
			}
			if (p[i] == '.' && (i + 1 < n && p[i + 1] != '\r'))
				r->s.stuffed++;
		}
		if (i < n && p[i] == '\n') {
			uint64_t len = i + 1 - start;
			r->s.lines++;
			if (i == 0 || p[i - 1] != '\r')
				r->s.bare_lf++;
			if (len > SMTP_TEXT_LINE_MAX)
				r->s.long_lines++;
			if (len > r->s.longest)
				r->s.longest = len;
			start = i + 1;
		}
	}
	r->used = n;
}

/* Feed p[0..n) in pieces cut at the offsets in cuts[] (ascending), each piece in a guarded copy. */
/* Set by the SSE2 runs of the body scan tests: the scanner's SSE2 path where the CPU would
 * take AVX2 (both paths must agree with the reference). */
static bool body_force_sse2;

static int body_sse2_on(void **state)
{
	(void)state;
	body_force_sse2 = true;
	return 0;
}

static int body_sse2_off(void **state)
{
	(void)state;
	body_force_sse2 = false;
	return 0;
}

static void body_feed_cut(const uint8_t *p, size_t n, const size_t *cuts, size_t ncut,
                          struct body_ref *out)
{
	memset(out, 0, sizeof(*out));
	out->s.no_avx2 = body_force_sse2;
	size_t from = 0;
	for (size_t k = 0; k <= ncut && !out->done; k++) {
		size_t to = k < ncut ? cuts[k] : n;
		if (to <= from)
			continue;
		uint8_t *g = tu_guarded_copy(p + from, to - from);
		size_t used = smtp_body_feed(&out->s, g, to - from, &out->done);
		tu_guarded_free(g, to - from);
		if (!out->done)
			assert_int_equal(used, to - from);
		out->used = from + used;
		from = to;
	}
}

static void body_assert_same(const struct body_ref *want, const struct body_ref *got)
{
	assert_int_equal(got->done, want->done);
	assert_int_equal(got->used, want->used);
	assert_int_equal(got->s.lines, want->s.lines);
	assert_int_equal(got->s.bare_lf, want->s.bare_lf);
	assert_int_equal(got->s.stuffed, want->s.stuffed);
	assert_int_equal(got->s.longest, want->s.longest);
	assert_int_equal(got->s.long_lines, want->s.long_lines);
}

/* The body scanner (memchr from LF to LF, staying on its fast path across ordinary line starts)
 * agrees with the reference on random bodies rich in '.', CR and LF, fed whole, cut in two at
 * every offset, cut in three, and octet by octet. */
static void test_body_scan_reference(void **state)
{
	(void)state;
	uint32_t rnd = 12345;
	uint8_t body[1400];
	for (int iter = 0; iter < 400; iter++) {
		size_t n = 0, want_n = 1 + (iter % 7 == 0 ? 1300 : (size_t)(iter % 97));
		while (n < want_n) {
			rnd = rnd * 1103515245u + 12345u;
			unsigned r = (rnd >> 16) % 16;
			if (r == 0 && want_n > 1100 && n + 1100 <= sizeof(body)) {
				memset(body + n, 'x', 1010); /* a line over the RFC 5321 limit */
				n += 1010;
			} else {
				body[n++] = (uint8_t)(r < 6 ? 'a' : r < 9 ? '.' : r < 12 ? '\r' : r < 15 ? '\n' : ' ');
			}
		}
		if (n > want_n)
			n = want_n;
		struct body_ref want, got;
		body_reference(body, n, &want);
		body_feed_cut(body, n, NULL, 0, &got);
		body_assert_same(&want, &got);
		size_t step = n > 200 ? 7 : 1;
		for (size_t c = 0; c <= n; c += step) {
			size_t cuts[2] = { c, c + (n - c) / 2 };
			body_feed_cut(body, n, cuts, 1, &got);
			body_assert_same(&want, &got);
			body_feed_cut(body, n, cuts, 2, &got);
			body_assert_same(&want, &got);
		}
		struct smtp_body_scan s;
		memset(&s, 0, sizeof(s));
		bool done = false;
		size_t i = 0;
		for (; i < n && !done; i++)
			assert_int_equal(smtp_body_feed(&s, body + i, 1, &done), 1);
		got.done = done;
		got.used = i;
		got.s = s;
		body_assert_same(&want, &got);
	}
	/* the marker right after a CRLF at every position of a long body of ordinary lines */
	const char *line = "VGhlIHF1aWNrIGJyb3duIGZveCBqdW1wcyBvdmVyIHRoZSBsYXp5IGRvZw==\r\n";
	size_t ll = strlen(line), nl = 20;
	uint8_t big[20 * 64 + 8];
	for (size_t k = 0; k < nl; k++)
		memcpy(big + k * ll, line, ll);
	memcpy(big + nl * ll, ".\r\nQUIT", 7);
	size_t n = nl * ll + 7;
	struct body_ref want, got;
	body_reference(big, n, &want);
	assert_true(want.done);
	assert_int_equal(want.used, nl * ll + 3);
	for (size_t c = 0; c <= n; c++) {
		size_t cuts[1] = { c };
		body_feed_cut(big, n, cuts, 1, &got);
		body_assert_same(&want, &got);
	}
}

/* Bodies of ordinary text (the scanner's common path: CRLF lines that change nothing but the
 * line count) with now and then a line that does not fit it — a bare LF, a dot-stuffed line, an
 * empty line, a lone CR, a line longer than any before or over the RFC 5321 limit, the marker —
 * fed whole and cut in three at many offsets (pieces of 64 octets and more take the tail of the
 * mask of their last 64 octets). */
static void test_body_scan_text(void **state)
{
	(void)state;
	static uint8_t body[200 + 59 * 97 + 1100]; /* the largest want_n and one line over it */
	uint32_t rnd = 777;
	for (int iter = 0; iter < 60; iter++) {
		size_t n = 0, want_n = 200 + (size_t)iter * 97;
		while (n < want_n) {
			rnd = rnd * 1103515245u + 12345u;
			unsigned r = (rnd >> 16) % 64, len = 1 + (rnd >> 8) % 90;
			if (r == 0)
				len = 1005; /* over the limit */
			else if (r == 1)
				len = 200 + (rnd >> 4) % 400; /* a new longest line */
			if (r == 2) {
				body[n++] = '.'; /* dot-stuffed */
			} else if (r == 3) {
				body[n++] = '\r'; /* empty line */
				body[n++] = '\n';
			} else if (r == 4 && iter % 3 == 0) {
				memcpy(body + n, ".\r\n", 3); /* the marker */
				n += 3;
			}
			for (unsigned k = 0; k < len; k++)
				body[n++] = (uint8_t)('a' + (k * 7 + r) % 26);
			if (r == 5)
				body[n - 1] = '\r'; /* a lone CR: the line goes on */
			if (r == 6) {
				body[n++] = '\n'; /* bare LF */
			} else {
				body[n++] = '\r';
				body[n++] = '\n';
			}
		}
		struct body_ref want, got;
		body_reference(body, n, &want);
		body_feed_cut(body, n, NULL, 0, &got);
		body_assert_same(&want, &got);
		for (size_t c = 0; c <= n; c += 1 + (size_t)iter % 13) {
			size_t cuts[2] = {c, c + (n - c) / 3};
			body_feed_cut(body, n, cuts, 2, &got);
			body_assert_same(&want, &got);
		}
	}
}

/* ---- the machine ------------------------------------------------------------------------------
 */

static const char *EHLO_REPLY = "250-mx.example.net\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
                                "250-8BITMIME\r\n250-CHUNKING\r\n250 STARTTLS\r\n";
static const char *EHLO_REPLY_NOPIPE =
    "250-mx.example.net\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n";

static void t_clean_start(struct conn *c, const char *ehlo_reply)
{
	t_handshake(c);                               /* 1-3 */
	t_line(c, S, "220 mx.example.net ESMTP\r\n"); /* 4 */
	t_line(c, C, "EHLO client.example.org\r\n");  /* 5 */
	t_line(c, S, ehlo_reply);                     /* 6 */
}

static void test_clean_session(void **state)
{
	(void)state;
	struct conn *c = t_new(true);
	t_clean_start(c, EHLO_REPLY);
	t_line(c, C, "MAIL FROM:<alice@example.org>\r\n");       /* 7 */
	t_line(c, S, "250 2.1.0 Ok\r\n");                        /* 8 */
	t_line(c, C, "RCPT TO:<bob@example.net>\r\n");           /* 9 */
	t_line(c, S, "250 2.1.5 Ok\r\n");                        /* 10 */
	t_line(c, C, "RCPT TO:<carol@example.net>\r\n");         /* 11 */
	t_line(c, S, "250 2.1.5 Ok\r\n");                        /* 12 */
	t_line(c, C, "DATA\r\n");                                /* 13 */
	t_line(c, S, "354 End data with <CR><LF>.<CR><LF>\r\n"); /* 14 */
	/* bulk body: middle segments without PSH are normal */
	t_seg(c, C, A, "Subject: t\r\n\r\nline one\r\n", 24, 1); /* 15 */
	t_seg(c, C, A, "..dot line\r\nline three\r\n", 24, 1);   /* 16 */
	t_seg(c, C, P, ".\r\n", 3, 1);                           /* 17 */
	t_line(c, S, "250 2.0.0 Ok: queued as 4F3B21C0A1B\r\n"); /* 18 */
	t_line(c, C, "QUIT\r\n");                                /* 19 */
	t_line(c, S, "221 2.0.0 Bye\r\n");                       /* 20 */
	t_seg(c, S, TCPF_FIN | A, NULL, 0, 1);                   /* 21 */
	t_seg(c, C, TCPF_FIN | A, NULL, 0, 1);                   /* 22 */
	t_end(c, CONN_END_CLOSED);
	if (c->nf)
		t_dump(c);
	assert_int_equal(c->nf, 0);
	assert_non_null(c->json);
	assert_non_null(strstr(c->json, "\"kind\":\"smtp_session\""));
	assert_non_null(strstr(c->json, "\"helo_name\":\"client.example.org\""));
	assert_non_null(strstr(c->json, "\"PIPELINING\""));
	assert_non_null(strstr(c->json, "\"mail_from\":\"alice@example.org\""));
	assert_non_null(strstr(c->json, "{\"to\":\"bob@example.net\",\"code\":250}"));
	assert_non_null(strstr(c->json, "{\"to\":\"carol@example.net\",\"code\":250}"));
	/* 24 + 24 octets as sent (dot-stuffing included), the ".\r\n" marker not counted */
	assert_non_null(strstr(c->json, "\"body_octets\":48"));
	assert_non_null(strstr(c->json, "\"queue_id\":\"4F3B21C0A1B\""));
	assert_non_null(strstr(c->json, "\"outcome\":\"accepted\""));
	assert_non_null(strstr(c->json, "\"end\":{\"how\":\"quit\",\"by\":\"client\""));
	assert_non_null(strstr(c->json, "\"segments_without_psh\":{\"c2s\":2,\"s2c\":0}"));
	assert_non_null(strstr(c->json, "\"END_OF_DATA\":{\"count\":1"));
	assert_non_null(strstr(c->text, "transaction 1: MAIL FROM:<alice@example.org> 250"));
	t_free(c);
}

static void test_missing_psh(void **state)
{
	(void)state;
	struct conn *c = t_new(true);
	t_clean_start(c, EHLO_REPLY);
	t_seg(c, C, A, "MAIL FROM:<a@x>\r\n", 17, 10); /* 7: completes a command, no PSH */
	t_line(c, S, "250 ok\r\n");
	assert_int_equal(t_count(c, MTA_F_SMTP_MISSING_PSH), 1);
	assert_int_equal(t_find(c, MTA_F_SMTP_MISSING_PSH)->frame, 7);
	/* a command split over two segments: only the completing one counts */
	t_seg(c, C, A, "RCPT TO:<b", 10, 10); /* 9: incomplete, no PSH: fine */
	t_seg(c, C, P, "@y>\r\n", 5, 1);      /* 10 */
	t_line(c, S, "250 ok\r\n");
	assert_int_equal(t_count(c, MTA_F_SMTP_MISSING_PSH), 1);
	/* a reply whose continuation lines come without PSH and whose last line has PSH */
	t_line(c, C, "DATA\r\n");
	t_line(c, S, "354 go\r\n");
	t_seg(c, C, A, "x\r\n", 3, 1);
	t_seg(c, C, A, ".\r", 2, 1); /* marker incomplete */
	t_seg(c, C, A, "\n", 1, 1);  /* 16: completes the marker without PSH */
	assert_int_equal(t_count(c, MTA_F_SMTP_MISSING_PSH), 2);
	assert_int_equal(c->f[c->nf - 1].frame, 16);
	t_seg(c, S, A, "250-a\r\n", 7, 1);
	t_seg(c, S, A, "250 b\r\n", 7, 1); /* 18: last reply line, no PSH */
	assert_int_equal(t_count(c, MTA_F_SMTP_MISSING_PSH), 3);
	assert_int_equal(c->f[c->nf - 1].frame, 18);
	assert_int_equal(c->f[c->nf - 1].dir, S);
	/* two commands in one segment without PSH: the segment ends with the second */
	t_seg(c, C, A | TCPF_FIN, "QUIT\r\n", 6, 1); /* FIN counts as a push */
	assert_int_equal(t_count(c, MTA_F_SMTP_MISSING_PSH), 3);
	t_free(c);
}

static void test_unadvertised_pipelining(void **state)
{
	(void)state;
	struct conn *c = t_new(true);
	t_clean_start(c, EHLO_REPLY_NOPIPE);
	t_line(c, C, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nRCPT TO:<c@y>\r\n"); /* 7 */
	assert_int_equal(t_count(c, MTA_F_SMTP_PROTOCOL_VIOLATION), 1);
	assert_non_null(strstr(c->f[0].msg, "did not advertise PIPELINING"));
	t_line(c, S, "250 ok\r\n250 ok\r\n250 ok\r\n");
	t_line(c, C, "DATA\r\n");
	t_line(c, S, "354 go\r\n");
	t_line(c, C, "body\r\n.\r\n");
	t_line(c, S, "250 ok\r\n");
	/* a second group: flagged again, once */
	t_line(c, C, "RSET\r\nNOOP\r\nQUIT\r\n");
	assert_int_equal(t_count(c, MTA_F_SMTP_PROTOCOL_VIOLATION), 2);
	/* the replies pair in order: no reply without command */
	t_line(c, S, "250 ok\r\n250 ok\r\n221 bye\r\n");
	assert_int_equal(t_count(c, MTA_F_SMTP_PROTOCOL_VIOLATION), 2);
	assert_non_null(strstr(c->json ? c->json : "", ""));
	t_free(c);

	/* advertised: the same client is fine */
	c = t_new(true);
	t_clean_start(c, EHLO_REPLY);
	t_line(c, C, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
	t_line(c, S, "250 ok\r\n250 ok\r\n354 go\r\n");
	t_line(c, C, ".\r\n");
	t_line(c, S, "250 ok\r\n");
	assert_int_equal(t_nonchat(c), 0);
	t_free(c);
}

/* Whatever the segmentation, the same findings (byte-by-byte vs one segment per line). */
static void test_split_invariance(void **state)
{
	(void)state;
	const char *cli[] = {"EHLO a\r\n", "MAIL FROM:<a@x>\r\n",   "RCPT TO:<b@y>\r\n",
	                     "DATA\r\n",   "hello\r\n..x\r\n.\r\n", "QUIT\r\n"};
	const char *srv[] = {"250-mx\r\n250 SIZE 1\r\n",   "250 ok\r\n",
	                     "550 5.1.1 no such user\r\n", "354 go\r\n",
	                     "250 ok id=ABC\r\n",          "221 bye\r\n"};
	char ref[4096] = "";
	for (int mode = 0; mode < 2; mode++) {
		struct conn *c = t_new(true);
		t_handshake(c);
		t_line(c, S, "220 hi\r\n");
		for (int i = 0; i < 6; i++) {
			size_t n = strlen(cli[i]);
			if (mode == 0) {
				t_line(c, C, cli[i]);
			} else {
				for (size_t k = 0; k < n; k++)
					t_seg(c, C, P, cli[i] + k, 1, 0);
			}
			t_line(c, S, srv[i]);
		}
		t_end(c, CONN_END_CAPTURE);
		char got[4096] = "";
		for (unsigned i = 0; i < c->nf; i++) {
			size_t l = strlen(got);
			snprintf(got + l, sizeof(got) - l, "%s;",
			         mta_finding_code_str(c->f[i].code));
		}
		assert_non_null(strstr(c->json, "\"queue_id\":\"ABC\""));
		assert_non_null(strstr(c->json, "\"body_octets\":12"));
		if (mode == 0)
			snprintf(ref, sizeof(ref), "%s", got);
		else
			assert_string_equal(ref, got);
		t_free(c);
	}
	assert_string_equal(ref, "smtpdiag.reply_error;");
}

static void test_rst_during_data(void **state)
{
	(void)state;
	struct conn *c = t_new(true);
	t_clean_start(c, EHLO_REPLY);
	t_line(c, C, "MAIL FROM:<alice@example.org>\r\n");
	t_line(c, S, "250 ok\r\n");
	t_line(c, C, "RCPT TO:<bob@example.net>\r\n");
	t_line(c, S, "250 ok\r\n");
	t_line(c, C, "DATA\r\n");
	t_line(c, S, "354 go\r\n");
	char body[1000];
	memset(body, 'x', sizeof(body));
	body[998] = '\r';
	body[999] = '\n';
	t_seg(c, C, A, body, sizeof(body), 1); /* 13 */
	t_seg(c, S, TCPF_RST, NULL, 0, 1);     /* 14 */
	t_end(c, CONN_END_CLOSED);
	assert_int_equal(t_count(c, MTA_F_SMTP_RST), 1);
	const struct tfind *f = t_find(c, MTA_F_SMTP_RST);
	assert_int_equal(f->frame, 14);
	assert_int_equal(f->sev, MTA_SEV_ERROR);
	assert_non_null(strstr(f->msg, "during DATA after 1000 body octets"));
	f = t_find(c, MTA_F_SMTP_MESSAGE_LOST);
	assert_non_null(f);
	assert_int_equal(f->frame, 14);
	assert_non_null(strstr(f->detail, "\"mail_from\":\"alice@example.org\""));
	assert_non_null(strstr(f->detail, "\"rcpt\":[\"bob@example.net\"]"));
	assert_non_null(strstr(f->detail, "\"body_octets\":1000"));
	assert_int_equal(t_count(c, MTA_F_SMTP_MESSAGE_LOST), 1);
	assert_non_null(strstr(c->json, "\"outcome\":\"lost\""));
	assert_non_null(strstr(c->json, "\"how\":\"rst\",\"by\":\"server\""));
	/* no stall: the answerer reset */
	assert_int_equal(t_count(c, MTA_F_SMTP_STALL), 0);
	t_free(c);
}

static void test_auth_privacy(void **state)
{
	(void)state;
	struct conn *c = t_new(true);
	t_clean_start(c, "250-mx\r\n250 AUTH PLAIN LOGIN\r\n");
	t_line(c, C, "AUTH LOGIN\r\n");
	t_line(c, S, "334 VXNlcm5hbWU6\r\n");
	t_line(c, C, "c2VjcmV0dXNlcg==\r\n");
	t_line(c, S, "334 UGFzc3dvcmQ6\r\n");
	t_line(c, C, "aHVudGVyMlNFQ1JFVA==\r\n");
	t_line(c, S, "535 5.7.8 Authentication credentials invalid\r\n");
	t_line(c, C, "AUTH PLAIN AHNlY3JldHVzZXIAaHVudGVyMlNFQ1JFVA==\r\n");
	t_line(c, S, "235 2.7.0 ok\r\n");
	t_seg(c, C, TCPF_RST, NULL, 0, 1);
	t_end(c, CONN_END_CLOSED);
	assert_int_equal(t_count(c, MTA_F_SMTP_REPLY_ERROR), 1);
	assert_int_equal(t_count(c, MTA_F_SMTP_PROTOCOL_VIOLATION), 0);
	const char *secrets[] = {"c2VjcmV0dXNlcg", "aHVudGVyMlNFQ1JFVA", "AHNlY3JldHVzZXIA"};
	for (unsigned i = 0; i < c->nf; i++)
		for (int k = 0; k < 3; k++) {
			assert_null(strstr(c->f[i].msg, secrets[k]));
			assert_null(strstr(c->f[i].detail, secrets[k]));
		}
	for (int k = 0; k < 3; k++) {
		assert_null(strstr(c->json, secrets[k]));
		assert_null(strstr(c->text, secrets[k]));
	}
	assert_non_null(strstr(c->json, "\"auth\":{\"mechanism\":\"PLAIN\",\"code\":235}"));
	t_free(c);
}

static void test_long_lines(void **state)
{
	(void)state;
	struct conn *c = t_new(true);
	t_clean_start(c, EHLO_REPLY);
	/* a 600-octet command line: over 512 */
	char line[700];
	memcpy(line, "NOOP ", 5);
	memset(line + 5, 'a', 593);
	memcpy(line + 598, "\r\n", 2);
	t_seg(c, C, P, line, 600, 1);
	assert_int_equal(t_count(c, MTA_F_SMTP_PROTOCOL_VIOLATION), 1);
	t_line(c, S, "250 ok\r\n");
	/* longer than max_line without LF: one violation, discarded to the next LF, parsing goes on
	 */
	c->cfg.max_line = 256;
	char junk[300];
	memset(junk, 'b', sizeof(junk));
	t_seg(c, C, A, junk, sizeof(junk), 1);
	t_seg(c, C, A, junk, sizeof(junk), 1);
	t_seg(c, C, P, "bbb\r\nNOOP\r\n", 11, 1);
	assert_int_equal(t_count(c, MTA_F_SMTP_PROTOCOL_VIOLATION), 2);
	assert_true(c->pend_len[C] == 0);
	t_line(c, S, "250 ok\r\n");
	/* a bare LF */
	t_line(c, C, "NOOP\n");
	assert_int_equal(t_count(c, MTA_F_SMTP_PROTOCOL_VIOLATION), 3);
	t_line(c, S, "250 ok\r\n");
	assert_int_equal(t_count(c, MTA_F_SMTP_PROTOCOL_VIOLATION), 3);
	t_free(c);
}

static void test_stall_without_psh(void **state)
{
	(void)state;
	struct conn *c = t_new(true);
	t_clean_start(c, EHLO_REPLY);
	t_seg(c, C, A, "MAIL FROM:<a@x>\r\n", 17, 10); /* 7: no PSH */
	t_seg(c, S, A, NULL, 0, 200);                  /* 8: ACK only, within threshold */
	assert_int_equal(t_count(c, MTA_F_SMTP_STALL), 0);
	t_seg(c, C, TCPF_FIN | A, NULL, 0, 35000); /* 9: client gives up after 35 s */
	assert_int_equal(t_count(c, MTA_F_SMTP_STALL), 1);
	const struct tfind *f = t_find(c, MTA_F_SMTP_STALL);
	assert_int_equal(f->frame, 9);
	assert_int_equal(f->related, 7);
	assert_non_null(strstr(f->msg, "without the TCP PUSH flag"));
	assert_non_null(strstr(f->msg, "MAIL FROM:<a@x>"));
	t_end(c, CONN_END_CLOSED);
	assert_int_equal(t_count(c, MTA_F_SMTP_STALL), 1);
	t_free(c);

	/* answered within the threshold: no stall */
	c = t_new(true);
	t_clean_start(c, EHLO_REPLY);
	t_line(c, C, "MAIL FROM:<a@x>\r\n");
	t_seg(c, S, P, "250 ok\r\n", 8, 29000);
	t_line(c, C, "QUIT\r\n");
	t_line(c, S, "221 bye\r\n");
	t_end(c, CONN_END_CAPTURE);
	assert_int_equal(t_count(c, MTA_F_SMTP_STALL), 0);
	t_free(c);
}

static void test_data_after_close(void **state)
{
	(void)state;
	/* seed 002: the server closed, the client writes, the server answers with RST */
	struct conn *c = t_new(true);
	t_clean_start(c, EHLO_REPLY);
	t_seg(c, S, TCPF_FIN | A, NULL, 0, 1000); /* 7 */
	t_seg(c, C, A, NULL, 0, 1);               /* 8 */
	t_line(c, C, "MAIL FROM:<a@x>\r\n");      /* 9 */
	t_seg(c, S, TCPF_RST, NULL, 0, 1);        /* 10 */
	t_end(c, CONN_END_CLOSED);
	const struct tfind *f = t_find(c, MTA_F_SMTP_DATA_AFTER_CLOSE);
	assert_non_null(f);
	assert_int_equal(f->frame, 10);
	assert_int_equal(f->related, 9);
	assert_int_equal(f->dir, C);
	assert_int_equal(t_count(c, MTA_F_SMTP_DATA_AFTER_CLOSE), 1);
	assert_int_equal(t_count(c, MTA_F_SMTP_ABRUPT_CLOSE), 1);
	assert_int_equal(t_find(c, MTA_F_SMTP_ABRUPT_CLOSE)->frame, 7);
	assert_int_equal(t_count(c, MTA_F_SMTP_RST), 1);
	assert_int_equal(t_count(c, MTA_F_SMTP_STALL), 0);
	t_free(c);

	/* payload after its sender's own FIN, and after the peer's RST */
	c = t_new(true);
	t_clean_start(c, EHLO_REPLY);
	t_seg(c, C, TCPF_FIN | A, NULL, 0, 1); /* 7 */
	t_line(c, C, "QUIT\r\n");              /* 8: after own FIN */
	t_seg(c, S, TCPF_RST, NULL, 0, 1);     /* 9 */
	t_seg(c, C, P, "NOOP\r\n", 6, 1);      /* 10: after the peer's RST */
	assert_int_equal(t_count(c, MTA_F_SMTP_DATA_AFTER_CLOSE), 2);
	assert_int_equal(c->f[1].code, MTA_F_SMTP_DATA_AFTER_CLOSE);
	t_free(c);
}

static void test_abrupt_close(void **state)
{
	(void)state;
	/* look-alike: FIN after 221 */
	struct conn *c = t_new(true);
	t_clean_start(c, EHLO_REPLY);
	t_line(c, C, "QUIT\r\n");
	t_seg(c, S, P | TCPF_FIN, "221 bye\r\n", 9, 1);
	t_seg(c, C, TCPF_FIN | A, NULL, 0, 1);
	t_end(c, CONN_END_CLOSED);
	assert_int_equal(t_nonchat(c), 0);
	t_free(c);

	/* the client closes inside DATA: error, and the message is lost */
	c = t_new(true);
	t_clean_start(c, EHLO_REPLY);
	t_line(c, C, "MAIL FROM:<a@x>\r\n");
	t_line(c, S, "250 ok\r\n");
	t_line(c, C, "RCPT TO:<b@y>\r\n");
	t_line(c, S, "250 ok\r\n");
	t_line(c, C, "DATA\r\n");
	t_line(c, S, "354 go\r\n");
	t_seg(c, C, P | TCPF_FIN, "partial body\r\n", 14, 1); /* 13 */
	const struct tfind *f = t_find(c, MTA_F_SMTP_ABRUPT_CLOSE);
	assert_non_null(f);
	assert_int_equal(f->sev, MTA_SEV_ERROR);
	assert_int_equal(f->frame, 13);
	assert_int_equal(t_find(c, MTA_F_SMTP_MESSAGE_LOST)->frame, 13);
	/* the server's answering FIN is not another abrupt close nor another loss */
	t_seg(c, S, TCPF_FIN | A, NULL, 0, 1);
	t_end(c, CONN_END_CLOSED);
	assert_int_equal(t_count(c, MTA_F_SMTP_ABRUPT_CLOSE), 1);
	assert_int_equal(t_count(c, MTA_F_SMTP_MESSAGE_LOST), 1);
	t_free(c);
}

/* A session no FIN, RST or QUIT ended says why the engine ended it: idle, evicted or the end of
 * the capture (the JSON "end.how" and the text "ended:" line). */
static void test_end_how_without_close(void **state)
{
	(void)state;
	static const struct {
		enum conn_end_reason why;
		const char *json, *text;
	} cases[] = {
	    {CONN_END_IDLE, "\"end\":{\"how\":\"idle\",\"by\":null}", "  ended: idle ("},
	    {CONN_END_EVICTED, "\"end\":{\"how\":\"evicted\",\"by\":null}",
	     "  ended: evicted ("},
	    {CONN_END_CAPTURE, "\"end\":{\"how\":\"capture_end\",\"by\":null}",
	     "  ended: capture end (connection still open)"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct conn *c = t_new(true);
		t_clean_start(c, EHLO_REPLY);
		t_line(c, C, "NOOP\r\n");
		t_line(c, S, "250 ok\r\n");
		t_end(c, cases[i].why);
		if (!strstr(c->json, cases[i].json) || !strstr(c->text, cases[i].text))
			fprintf(stderr, "case %zu:\n%s\n%s\n", i, c->json, c->text);
		assert_non_null(strstr(c->json, cases[i].json));
		assert_non_null(strstr(c->text, cases[i].text));
		t_free(c);
	}
	/* what the wire showed wins over why the engine ended it */
	struct conn *c = t_new(true);
	t_clean_start(c, EHLO_REPLY);
	t_seg(c, C, TCPF_FIN | A, NULL, 0, 1);
	t_end(c, CONN_END_IDLE);
	assert_non_null(strstr(c->json, "\"end\":{\"how\":\"fin\",\"by\":\"client\""));
	t_free(c);
}

/* The server's greeting lost in a hole of the capture: the client's commands are not "before
 * the greeting", and a 220 after the hole, before the client spoke, is the greeting. */
static void test_greeting_in_gap(void **state)
{
	(void)state;
	for (int late_greeting = 0; late_greeting < 2; late_greeting++) {
		struct conn *c = t_new(true);
		t_handshake(c);
		t_gap(c, S, 26, RS_GAP_TRUNCATED);
		if (late_greeting)
			t_line(c, S, "220 mx.example.net ESMTP\r\n");
		t_line(c, C, "EHLO client.example\r\n");
		t_line(c, S, "250 mx.example.net\r\n");
		t_quit_close(c);
		assert_int_equal(t_count(c, MTA_F_SMTP_TCP_GAP), 1);
		if (t_count(c, MTA_F_SMTP_PROTOCOL_VIOLATION))
			t_dump(c);
		assert_int_equal(t_count(c, MTA_F_SMTP_PROTOCOL_VIOLATION), 0);
		assert_non_null(strstr(c->json, late_greeting ? "\"greeting\":{\"code\":220"
		                                                : "\"greeting\":null"));
		t_free(c);
	}
}

static void test_gap_resync_and_midstream(void **state)
{
	(void)state;
	/* a gap hides the client's RCPT: its reply is not "without command" */
	struct conn *c = t_new(true);
	t_clean_start(c, EHLO_REPLY);
	t_line(c, C, "MAIL FROM:<a@x>\r\n");
	t_line(c, S, "250 ok\r\n");
	t_gap(c, C, 15, RS_GAP_ACKED);
	assert_int_equal(t_count(c, MTA_F_SMTP_TCP_GAP), 1);
	t_line(c, S, "250 ok\r\n"); /* answers the hidden RCPT */
	t_line(c, C, "DATA\r\n");
	t_line(c, S, "354 go\r\n");
	t_line(c, C, "x\r\n.\r\n");
	t_line(c, S, "250 ok\r\n");
	assert_int_equal(t_count(c, MTA_F_SMTP_PROTOCOL_VIOLATION), 0);
	t_free(c);

	/* capture starts in the middle of a body: nothing about the unseen start */
	c = t_new(false);
	t_line(c, C, "tail of a body line\r\nmore\r\n.\r\n");
	t_line(c, S, "250 2.0.0 Ok: queued as XYZ\r\n");
	t_quit_close(c);
	if (t_nonchat(c))
		t_dump(c);
	assert_int_equal(t_nonchat(c), 0);
	assert_non_null(strstr(c->json, "\"greeting\":null"));
	t_free(c);
}

static void test_greeting_and_421(void **state)
{
	(void)state;
	struct conn *c = t_new(true);
	t_handshake(c);
	t_line(c, C, "EHLO early\r\n"); /* 4: before the greeting */
	assert_int_equal(t_count(c, MTA_F_SMTP_PROTOCOL_VIOLATION), 1);
	t_line(c, S, "554 5.7.1 go away\r\n"); /* 5 */
	const struct tfind *f = t_find(c, MTA_F_SMTP_REPLY_ERROR);
	assert_non_null(f);
	assert_int_equal(f->sev, MTA_SEV_WARNING);
	t_line(c, S, "503 5.5.1 bad sequence\r\n");  /* answers EHLO */
	t_line(c, S, "421 4.3.2 shutting down\r\n"); /* unsolicited */
	assert_int_equal(t_count(c, MTA_F_SMTP_REPLY_ERROR), 3);
	assert_int_equal(c->f[c->nf - 1].sev, MTA_SEV_NOTE);
	assert_int_equal(t_count(c, MTA_F_SMTP_PROTOCOL_VIOLATION), 1);
	/* a server FIN after 421 is the RFC's way to close */
	t_seg(c, S, TCPF_FIN | A, NULL, 0, 1);
	assert_int_equal(t_count(c, MTA_F_SMTP_ABRUPT_CLOSE), 0);
	t_free(c);
}

static void test_bdat_and_starttls(void **state)
{
	(void)state;
	struct conn *c = t_new(true);
	t_clean_start(c, EHLO_REPLY);
	t_line(c, C, "MAIL FROM:<a@x>\r\n");
	t_line(c, S, "250 ok\r\n");
	t_line(c, C, "RCPT TO:<b@y>\r\n");
	t_line(c, S, "250 ok\r\n");
	/* binary chunk with CRLF.CRLF and "QUIT" inside: not parsed */
	t_seg(c, C, A, "BDAT 20\r\n\r\n.\r\nQUIT\r\n\x00\x01\x02\x03\x04\x05\x06\x07\x08", 29, 1);
	t_line(c, C, "BDAT 5 LAST\r\nabcde");
	t_line(c, S, "250 ok\r\n250 2.0.0 queued as Q1\r\n");
	assert_int_equal(t_nonchat(c), 0);
	t_line(c, C, "STARTTLS\r\n");
	t_line(c, S, "220 go ahead\r\n");
	assert_int_equal(t_count(c, MTA_F_SMTP_STARTTLS), 1);
	t_seg(c, C, P, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11, 1);
	t_seg(c, S, P, "\x16\x03\x03\x00\x7a\x02", 6, 1);
	t_seg(c, C, TCPF_FIN | A, NULL, 0, 1);
	t_end(c, CONN_END_CLOSED);
	assert_int_equal(t_nonchat(c), 0);
	assert_non_null(strstr(c->json, "\"body_octets\":25"));
	assert_non_null(strstr(c->json, "\"queue_id\":\"Q1\""));
	assert_non_null(strstr(c->json, "\"data\":\"BDAT\""));
	assert_non_null(strstr(c->json, "\"starttls\":true"));
	t_free(c);
}

/* The server rejects the message while the body is still coming: that reply is final. */
static void test_early_reply_in_body(void **state)
{
	(void)state;
	struct conn *c = t_new(true);
	t_clean_start(c, EHLO_REPLY);
	t_line(c, C, "MAIL FROM:<a@x>\r\n");
	t_line(c, S, "250 ok\r\n");
	t_line(c, C, "RCPT TO:<b@y>\r\n");
	t_line(c, S, "250 ok\r\n");
	t_line(c, C, "DATA\r\n");
	t_line(c, S, "354 go\r\n");
	t_seg(c, C, A, "line 1\r\n", 8, 1);
	t_line(c, S, "552 5.3.4 Message size exceeds fixed limit\r\n"); /* 14 */
	t_seg(c, C, P, "line 2\r\n.\r\n", 11, 1);
	t_line(c, C, "QUIT\r\n");
	t_line(c, S, "221 bye\r\n");
	t_end(c, CONN_END_CAPTURE);
	if (t_nonchat(c) != 1)
		t_dump(c);
	assert_int_equal(t_nonchat(c), 1);
	const struct tfind *f = t_find(c, MTA_F_SMTP_REPLY_ERROR);
	assert_non_null(f);
	assert_int_equal(f->frame, 14);
	assert_int_equal(f->sev, MTA_SEV_WARNING);
	assert_non_null(strstr(c->json, "\"body_octets\":16"));
	assert_non_null(strstr(c->json, "\"outcome\":\"rejected\""));
	t_free(c);
}

static void test_zero_window_and_retrans(void **state)
{
	(void)state;
	struct conn *c = t_new(true);
	t_clean_start(c, EHLO_REPLY);
	struct seg_info si = {0};
	si.frame = ++c->frame;
	si.ts = c->now;
	si.dir = S;
	si.flags = A;
	si.win = 0;
	smtp_analyser.on_segment(c->st, &si);
	si.frame = ++c->frame;
	smtp_analyser.on_segment(c->st, &si); /* same episode */
	assert_int_equal(t_count(c, MTA_F_SMTP_ZERO_WINDOW), 1);
	assert_int_equal(t_find(c, MTA_F_SMTP_ZERO_WINDOW)->dir, S);
	si.win = 100;
	si.frame = ++c->frame;
	smtp_analyser.on_segment(c->st, &si);
	si.win = 0;
	si.flags = TCPF_RST;
	si.frame = ++c->frame;
	smtp_analyser.on_segment(c->st, &si); /* a RST with window 0 does not count */
	assert_int_equal(t_count(c, MTA_F_SMTP_ZERO_WINDOW), 1);
	struct rs_event ev = {0};
	ev.type = RS_RETRANS;
	ev.frame = c->frame;
	ev.len = 10;
	smtp_analyser.on_stream(c->st, C, &ev);
	assert_int_equal(t_count(c, MTA_F_SMTP_RETRANSMISSION), 1);
	t_free(c);
}

/* Eviction by the connection cap: a memcap note; a client FIN after the whole message with no
 * reply is not a loss (the reply may still come after a half close). */
static void test_evicted_and_half_close(void **state)
{
	(void)state;
	struct conn *c = t_new(true);
	t_clean_start(c, EHLO_REPLY);
	t_line(c, C, "MAIL FROM:<a@x>\r\n");
	t_line(c, S, "250 ok\r\n");
	t_line(c, C, "RCPT TO:<b@y>\r\n");
	t_line(c, S, "250 ok\r\n");
	t_line(c, C, "DATA\r\n");
	t_line(c, S, "354 go\r\n");
	t_seg(c, C, P | TCPF_FIN, "x\r\n.\r\n", 6, 1);
	assert_int_equal(t_count(c, MTA_F_SMTP_MESSAGE_LOST), 0);
	assert_int_equal(t_count(c, MTA_F_SMTP_ABRUPT_CLOSE), 1);
	t_end(c, CONN_END_EVICTED);
	assert_int_equal(t_count(c, MTA_F_SMTP_MEMCAP), 1);
	assert_int_equal(t_find(c, MTA_F_SMTP_MEMCAP)->frame, c->frame);
	assert_non_null(strstr(c->json, "\"outcome\":\"unacknowledged\""));
	t_free(c);
}

/* Contract §1.3: octets of a BDAT chunk never count for missing_psh, the BDAT command line
 * followed by its chunk neither (the client does not wait there); "BDAT 0 LAST" alone does. */
static void test_bdat_psh(void **state)
{
	(void)state;
	struct conn *c = t_new(true);
	t_clean_start(c, EHLO_REPLY);
	t_line(c, C, "MAIL FROM:<a@x>\r\n");
	t_line(c, S, "250 ok\r\n");
	t_line(c, C, "RCPT TO:<b@y>\r\n");
	t_line(c, S, "250 ok\r\n");
	t_seg(c, C, A, "BDAT 3\r\n", 8, 1);
	t_seg(c, C, A, "abc", 3, 1);
	t_seg(c, C, A, "BDAT 3 LAST\r\nxyz", 17, 1);
	assert_int_equal(t_count(c, MTA_F_SMTP_MISSING_PSH), 0);
	t_line(c, S, "250 ok\r\n250 ok\r\n");
	t_line(c, C, "MAIL FROM:<a@x>\r\n");
	t_line(c, S, "250 ok\r\n");
	t_seg(c, C, A, "BDAT 0 LAST\r\n", 13, 1);
	assert_int_equal(t_count(c, MTA_F_SMTP_MISSING_PSH), 1);
	t_free(c);
}

/* Caps: transactions and recipients beyond what the summary keeps are counted, not stored. */
static void test_caps(void **state)
{
	(void)state;
	struct conn *c = t_new(true);
	t_clean_start(c, EHLO_REPLY);
	t_line(c, C, "MAIL FROM:<big@x>\r\n");
	t_line(c, S, "250 ok\r\n");
	for (int i = 0; i < 120; i++) {
		char l[64];
		snprintf(l, sizeof(l), "RCPT TO:<r%d@y>\r\n", i);
		t_line(c, C, l);
		t_line(c, S, "250 ok\r\n");
	}
	for (int i = 0; i < 40; i++) {
		t_line(c, C, "RSET\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\n");
		t_line(c, S, "250 ok\r\n250 ok\r\n250 ok\r\n");
	}
	t_end(c, CONN_END_CAPTURE);
	assert_int_equal(t_nonchat(c), 0);
	assert_non_null(strstr(c->json, "{\"to\":\"r99@y\",\"code\":250}"));
	assert_null(strstr(c->json, "r100@y"));
	assert_non_null(strstr(c->json, "\"rcpt_omitted\":20"));
	assert_non_null(strstr(c->json, "\"transactions_omitted\":9"));
	t_free(c);
}

/* Random mixtures of SMTP fragments, junk, gaps and flags in random cuts: no crash, no over-read
 * (guard pages), consumed <= presented, and the unconsumed rest stays under max_line. */
static uint32_t t_rand(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

/* Protocol events (mta_config.events): each command and reply of a pipelined session, with the
 * command a reply answers, its code, its transaction and its latency; AUTH shows no secret. */
static void t_ev(const struct conn *c, unsigned i, enum mta_event_kind kind, uint64_t frame,
                 const char *cmd, int code, uint32_t txn, const char *state)
{
	if (i >= c->nev)
		fail_msg("event %u missing (%u events)", i, c->nev);
	const struct tevent *e = &c->ev[i];
	if (e->kind != kind || e->frame != frame || strcmp(e->cmd, cmd) != 0 || e->code != code ||
	    e->txn != txn || strcmp(e->state, state) != 0)
		fail_msg("event %u: kind %d frame %llu cmd %s code %d txn %u state %s label \"%s\"",
		         i, (int)e->kind, (unsigned long long)e->frame, e->cmd, e->code, e->txn,
		         e->state, e->label);
}

static void test_events_pipelined(void **state)
{
	(void)state;
	struct conn *c = t_new(true);
	c->cfg.events = true;
	const enum mta_event_kind CMD = MTA_EV_SMTP_CMD, REP = MTA_EV_SMTP_REPLY;
	t_clean_start(c, EHLO_REPLY); /* 4: greeting, 5: EHLO, 6: its reply */
	t_ev(c, 0, REP, 4, "", 220, 0, "greeting");
	assert_string_equal(c->ev[0].label, "220 mx.example.net ESMTP");
	t_ev(c, 1, CMD, 5, "EHLO", -1, 0, "ehlo");
	assert_string_equal(c->ev[1].label, "EHLO client.example.org");
	t_ev(c, 2, REP, 6, "EHLO", 250, 0, "ehlo");
	assert_int_equal(c->ev[2].latency, 10000);
	t_line(c, C, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nRCPT TO:<c@y>\r\nDATA\r\n"); /* 7 */
	t_ev(c, 3, CMD, 7, "MAIL", -1, 1, "mail");
	assert_string_equal(c->ev[3].label, "MAIL FROM:<a@x>");
	t_ev(c, 4, CMD, 7, "RCPT", -1, 1, "rcpt");
	t_ev(c, 5, CMD, 7, "RCPT", -1, 1, "rcpt");
	t_ev(c, 6, CMD, 7, "DATA", -1, 1, "data");
	const char *replies = "250 2.1.0 ok\r\n250 ok\r\n550 5.1.1 no such user\r\n354 go\r\n";
	t_seg(c, S, P, replies, strlen(replies), 25); /* 8 */
	t_ev(c, 7, REP, 8, "MAIL", 250, 1, "data");   /* DATA is already on its way */
	assert_string_equal(c->ev[7].label, "250 2.1.0 ok");
	assert_int_equal(c->ev[7].latency, 25000);
	t_ev(c, 8, REP, 8, "RCPT", 250, 1, "data");
	t_ev(c, 9, REP, 8, "RCPT", 550, 1, "data");
	assert_string_equal(c->ev[9].label, "550 5.1.1 no such user");
	t_ev(c, 10, REP, 8, "DATA", 354, 1, "data");
	t_line(c, C, "body\r\n.\r\n"); /* 9: 6 body octets and the marker */
	t_ev(c, 11, MTA_EV_SMTP_DATA, 9, "DATA", -1, 1, "data");
	assert_int_equal(c->ev[11].octets, 6);
	t_line(c, S, "250 2.0.0 queued as ABC\r\n"); /* 10 */
	t_ev(c, 12, REP, 10, "END_OF_DATA", 250, 1, "ehlo");
	/* a second transaction, reset */
	t_line(c, C, "MAIL FROM:<d@x>\r\nRCPT TO:<e@y>\r\n"); /* 11 */
	t_line(c, S, "250 ok\r\n250 ok\r\n");                 /* 12 */
	t_line(c, C, "RSET\r\n");                             /* 13 */
	t_line(c, S, "250 reset\r\n");                        /* 14 */
	t_ev(c, 13, CMD, 11, "MAIL", -1, 2, "mail");
	t_ev(c, 14, CMD, 11, "RCPT", -1, 2, "rcpt");
	t_ev(c, 15, REP, 12, "MAIL", 250, 2, "rcpt");
	t_ev(c, 16, REP, 12, "RCPT", 250, 2, "rcpt");
	t_ev(c, 17, CMD, 13, "RSET", -1, 2, "rcpt");
	t_ev(c, 18, REP, 14, "RSET", 250, 2, "ehlo");
	/* AUTH: the mechanism, never the credential */
	t_line(c, C, "AUTH PLAIN AHNlY3JldHVzZXIAaHVudGVy\r\n"); /* 15 */
	t_line(c, S, "235 2.7.0 ok\r\n");                        /* 16 */
	t_ev(c, 19, CMD, 15, "AUTH", -1, 0, "ehlo");
	assert_string_equal(c->ev[19].label, "AUTH PLAIN ***");
	t_ev(c, 20, REP, 16, "AUTH", 235, 0, "ehlo");
	/* a line that is no command (here an AUTH response whose 334 the capture lost) shows no
	 * more than a plain verb */
	t_line(c, C, "dXNlcjpzZWNyZXQ=\r\n");    /* 17 */
	t_line(c, S, "500 unrecognised\r\n");    /* 18 */
	t_line(c, C, "XYZZY plugh\r\n");         /* 19 */
	t_line(c, S, "502 not implemented\r\n"); /* 20 */
	t_ev(c, 21, CMD, 17, "UNKNOWN", -1, 0, "ehlo");
	assert_string_equal(c->ev[21].label, "(unrecognised command)");
	t_ev(c, 22, REP, 18, "UNKNOWN", 500, 0, "ehlo");
	t_ev(c, 23, CMD, 19, "XYZZY", -1, 0, "ehlo");
	assert_string_equal(c->ev[23].label, "XYZZY");
	t_ev(c, 24, REP, 20, "UNKNOWN", 502, 0, "ehlo");
	t_line(c, C, "QUIT\r\n");    /* 21 */
	t_line(c, S, "221 bye\r\n"); /* 22 */
	t_ev(c, 25, CMD, 21, "QUIT", -1, 0, "quit");
	t_ev(c, 26, REP, 22, "QUIT", 221, 0, "quit");
	assert_int_equal(c->nev, 27);
	for (unsigned i = 0; i < c->nev; i++) {
		assert_null(strstr(c->ev[i].label, "AHNlY3"));
		assert_null(strstr(c->ev[i].label, "dXNlcj"));
		assert_null(strstr(c->ev[i].label, "plugh"));
	}
	t_free(c);
}

/* BDAT chunks, STARTTLS, missing PSH and an AUTH LOGIN exchange as events; none without
 * cfg.events. */
static void test_events_bdat_tls(void **state)
{
	(void)state;
	struct conn *c = t_new(true);
	c->cfg.events = true;
	t_clean_start(c, "250-mx\r\n250-CHUNKING\r\n250-AUTH LOGIN\r\n250 STARTTLS\r\n");
	c->nev = 0;
	t_line(c, C, "MAIL FROM:<a@x>\r\n"); /* 7 */
	t_line(c, S, "250 ok\r\n");          /* 8 */
	t_line(c, C, "RCPT TO:<b@y>\r\n");   /* 9 */
	t_line(c, S, "250 ok\r\n");          /* 10 */
	t_line(c, C, "BDAT 5\r\nhello");     /* 11 */
	t_line(c, S, "250 ok 5\r\n");        /* 12 */
	t_line(c, C, "BDAT 3 LAST\r\nabc");  /* 13 */
	t_line(c, S, "250 ok queued\r\n");   /* 14 */
	t_ev(c, 4, MTA_EV_SMTP_CMD, 11, "BDAT", -1, 1, "bdat");
	t_ev(c, 5, MTA_EV_SMTP_DATA, 11, "BDAT", -1, 1, "bdat");
	assert_int_equal(c->ev[5].octets, 5);
	assert_string_equal(c->ev[5].label, "<chunk, 5 octets>");
	t_ev(c, 6, MTA_EV_SMTP_REPLY, 12, "BDAT", 250, 1, "bdat");
	t_ev(c, 8, MTA_EV_SMTP_DATA, 13, "BDAT", -1, 1, "bdat");
	assert_string_equal(c->ev[8].label, "<chunk, 3 octets> LAST");
	t_ev(c, 9, MTA_EV_SMTP_REPLY, 14, "BDAT", 250, 1, "ehlo");
	/* AUTH LOGIN: challenges and the client's hidden answers */
	t_line(c, C, "AUTH LOGIN\r\n");       /* 15 */
	t_line(c, S, "334 VXNlcm5hbWU6\r\n"); /* 16 */
	t_line(c, C, "c2VjcmV0dXNlcg==\r\n"); /* 17 */
	t_line(c, S, "235 ok\r\n");           /* 18 */
	t_ev(c, 10, MTA_EV_SMTP_CMD, 15, "AUTH", -1, 0, "ehlo");
	assert_string_equal(c->ev[10].label, "AUTH LOGIN");
	t_ev(c, 11, MTA_EV_SMTP_REPLY, 16, "AUTH", 334, 0, "auth");
	t_ev(c, 12, MTA_EV_SMTP_CMD, 17, "AUTH_CONT", -1, 0, "ehlo");
	assert_string_equal(c->ev[12].label, "***");
	t_ev(c, 13, MTA_EV_SMTP_REPLY, 18, "AUTH_CONT", 235, 0, "ehlo");
	/* a command without PSH: a TCP no-PSH event after the command */
	t_seg(c, C, A, "NOOP\r\n", 6, 10); /* 19 */
	t_ev(c, 14, MTA_EV_SMTP_CMD, 19, "NOOP", -1, 0, "ehlo");
	t_ev(c, 15, MTA_EV_TCP, 19, "", -1, 0, "ehlo");
	assert_string_equal(c->ev[15].label, "no-PSH");
	t_line(c, S, "250 ok\r\n");       /* 20 */
	t_line(c, C, "STARTTLS\r\n");     /* 21 */
	t_line(c, S, "220 go ahead\r\n"); /* 22 */
	t_ev(c, 17, MTA_EV_SMTP_CMD, 21, "STARTTLS", -1, 0, "starttls");
	t_ev(c, 18, MTA_EV_SMTP_REPLY, 22, "STARTTLS", 220, 0, "tls");
	t_ev(c, 19, MTA_EV_SMTP_TLS, 22, "STARTTLS", -1, 0, "tls");
	t_seg(c, C, P, "\x16\x03\x01\x00\x05hello", 10, 1); /* 23: TLS, no events */
	assert_int_equal(c->nev, 20);
	t_free(c);

	/* without cfg.events, conn_event is never called (it asserts) */
	c = t_new(true);
	t_clean_start(c, EHLO_REPLY);
	t_line(c, C, "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
	t_line(c, S, "250 ok\r\n250 ok\r\n354 go\r\n");
	t_seg(c, C, A, "x\r\n.\r\n", 6, 1);
	t_line(c, S, "250 ok\r\n");
	assert_int_equal(c->nev, 0);
	t_free(c);
}

static void test_random_streams(void **state)
{
	(void)state;
	static const char *frag[] = {
	    "220 hi\r\n",
	    "250-x\r\n",
	    "250 PIPELINING\r\n",
	    "354 go\r\n",
	    "334 xx\r\n",
	    "221 bye\r\n",
	    "550 5.1.1 no\r\n",
	    "EHLO a\r\n",
	    "MAIL FROM:<a@b>\r\n",
	    "RCPT TO:<c@d>\r\n",
	    "DATA\r\n",
	    ".\r\n",
	    "\r\n.\r\n",
	    "BDAT 5\r\n",
	    "BDAT 3 LAST\r\n",
	    "AUTH LOGIN\r\n",
	    "STARTTLS\r\n",
	    "QUIT\r\n",
	    "RSET\r\n",
	    "\n",
	    "\r",
	    ".",
	    "x",
	    "zzzz zzz",
	    "\x00\xff",
	    "250",
	    "-",
	    "BDAT 99999999999\r\n",
	};
	uint32_t seed = 12345;
	for (int iter = 0; iter < 300; iter++) {
		struct conn *c = t_new(iter % 3 != 0);
		c->cfg.max_line = 64 + t_rand(&seed) % 256;
		if (c->syn_seen)
			t_handshake(c);
		int n = 20 + (int)(t_rand(&seed) % 60);
		for (int k = 0; k < n; k++) {
			uint8_t buf[600];
			size_t len = 0;
			int parts = 1 + (int)(t_rand(&seed) % 6);
			for (int p = 0; p < parts; p++) {
				const char *f =
				    frag[t_rand(&seed) % (sizeof(frag) / sizeof(frag[0]))];
				size_t fl = strlen(f);
				if (len + fl < sizeof(buf)) {
					memcpy(buf + len, f, fl);
					len += fl;
				}
			}
			if (t_rand(&seed) % 10 == 0) {
				size_t junk = t_rand(&seed) % 500;
				if (len + junk > sizeof(buf))
					junk = sizeof(buf) - len;
				for (size_t q = 0; q < junk; q++)
					buf[len++] = (uint8_t)t_rand(&seed);
			}
			enum mta_dir d = (enum mta_dir)(t_rand(&seed) & 1);
			uint32_t r = t_rand(&seed) % 40;
			if (r == 0) {
				c->frame++;
				struct rs_event ev = {0};
				ev.type = t_rand(&seed) & 1 ? RS_GAP : RS_RETRANS;
				ev.frame = c->frame;
				ev.gap_len = t_rand(&seed) % 3000;
				ev.len = 10;
				ev.cause = (enum rs_gap_cause)(1 + t_rand(&seed) % 5);
				smtp_analyser.on_stream(c->st, d, &ev);
				c->pend_len[d] = 0;
				continue;
			}
			uint8_t fl = (t_rand(&seed) & 1) ? P : A;
			if (r == 1)
				fl |= TCPF_FIN;
			if (r == 2)
				fl = TCPF_RST;
			t_seg(c, d, fl, buf, len, t_rand(&seed) % 40000);
			assert_true(c->pend_len[d] < c->cfg.max_line + 2);
		}
		if (iter % 2)
			smtp_analyser.on_tick(c->st, (struct mta_time){c->now.sec + 100, 0});
		t_end(c, (enum conn_end_reason)(1 + iter % 4));
		assert_non_null(c->json);
		t_free(c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_cmd),
	    cmocka_unit_test(test_parse_reply),
	    cmocka_unit_test(test_parse_ehlo_bdat_qid),
	    cmocka_unit_test(test_find_line),
	    cmocka_unit_test(test_body_marker_splits),
	    cmocka_unit_test(test_body_scan_reference),
	    cmocka_unit_test(test_body_scan_text),
	    cmocka_unit_test_setup_teardown(test_body_scan_reference, body_sse2_on, body_sse2_off),
	    cmocka_unit_test_setup_teardown(test_body_scan_text, body_sse2_on, body_sse2_off),
	    cmocka_unit_test(test_clean_session),
	    cmocka_unit_test(test_missing_psh),
	    cmocka_unit_test(test_unadvertised_pipelining),
	    cmocka_unit_test(test_events_pipelined),
	    cmocka_unit_test(test_events_bdat_tls),
	    cmocka_unit_test(test_split_invariance),
	    cmocka_unit_test(test_rst_during_data),
	    cmocka_unit_test(test_auth_privacy),
	    cmocka_unit_test(test_long_lines),
	    cmocka_unit_test(test_stall_without_psh),
	    cmocka_unit_test(test_data_after_close),
	    cmocka_unit_test(test_abrupt_close),
	    cmocka_unit_test(test_gap_resync_and_midstream),
	    cmocka_unit_test(test_end_how_without_close),
	    cmocka_unit_test(test_greeting_in_gap),
	    cmocka_unit_test(test_greeting_and_421),
	    cmocka_unit_test(test_bdat_and_starttls),
	    cmocka_unit_test(test_zero_window_and_retrans),
	    cmocka_unit_test(test_early_reply_in_body),
	    cmocka_unit_test(test_random_streams),
	    cmocka_unit_test(test_evicted_and_half_close),
	    cmocka_unit_test(test_caps),
	    cmocka_unit_test(test_bdat_psh),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
