/* smtp.c — SMTP session analyser over reassembled TCP (RFC 5321, RFC 2920 pipelining, RFC 3030
 * CHUNKING, RFC 3207 STARTTLS, RFC 4954 AUTH): line framing, command/reply pairing, the session
 * machine, the smtpdiag.* findings of contract §1.1/§1.3 and the per-session summary (§2).
 *
 * Privacy rule: AUTH arguments and continuation lines, and message body octets, never reach a
 * message, a detail or a summary.  Envelope addresses, sizes, reply codes and reply texts do.
 */
#include "analyser.h"
#include "sbuf.h"
#include "smtp_parse.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define SMTP_MAX_PENDING    64  /* commands awaiting a reply (a pipelined group is far smaller) */
#define SMTP_PENDING_INLINE 8   /* ... kept inside struct smtp; the queue grows on the heap */
#define SMTP_MAX_TXN        32  /* transactions kept for the summary */
#define SMTP_MAX_RCPT       100 /* recipients kept per transaction */
#define SMTP_MAX_EXT        32  /* EHLO keywords kept */
#define SMTP_EXT_LEN        64
#define SMTP_ADDR_MAX       256
#define SMTP_TEXT_MAX       200
#define SMTP_MAX_AFTER_FIN  4

enum smtp_mode {
	SM_LINE = 0, /* commands / replies, line by line */
	SM_BODY,     /* client: DATA body up to CRLF.CRLF */
	SM_CHUNK,    /* client: BDAT chunk octets */
	SM_DISCARD,  /* an over-long line: drop everything up to the next LF */
	SM_TLS,      /* after STARTTLS: nothing is parsed */
};

struct smtp_pend {
	enum smtp_verb verb;
	bool last; /* BDAT ... LAST */
	bool stall_done;
	bool nopsh; /* the segment that completed it had neither PSH nor FIN */
	uint64_t frame;
	struct mta_time ts;
	int rcpt;      /* index into the current transaction's recipients, or -1 */
	uint32_t txn;  /* the transaction it belongs to (1-based), 0 none (events) */
	char word[16]; /* the verb as sent, for unknown verbs */
};

struct smtp_rcpt {
	char to[SMTP_ADDR_MAX];
	int code;
	uint64_t frame;
};

struct smtp_txn {
	uint32_t index; /* 1-based, in session order */
	char from[SMTP_ADDR_MAX];
	uint64_t mail_frame;
	int mail_code;
	struct smtp_rcpt *rcpt;
	unsigned n_rcpt, cap_rcpt, rcpt_omitted;
	uint64_t body_octets;
	bool data_sent;        /* DATA or the first BDAT was sent (and not refused) */
	bool data_cmd_pending; /* DATA sent, no reply yet */
	bool body_started;
	bool body_done; /* end-of-data marker or the last BDAT chunk sent */
	bool bdat;
	int final_code;
	char final_text[SMTP_TEXT_MAX];
	char final_enh[16];
	uint64_t final_frame;
	char queue_id[64];
	bool closed;
	bool lost;
	bool flag_no354, flag_long, flag_barelf;
	const char *outcome;
	struct smtp_rcpt rcpt1; /* rcpt while there is only one (most messages) */
};

/* The recipients' array, when it is on the heap. */
static void smtp_rcpt_free(struct smtp_txn *t)
{
	if (t->rcpt != &t->rcpt1)
		free(t->rcpt);
}

struct smtp_side {
	enum smtp_mode mode;
	bool resync; /* after a gap / mid-stream start: skip lines until one looks right */
	uint64_t segs, segs_nopsh, retrans;
	bool fin;         /* FIN segment seen (on_segment) */
	uint32_t fin_seq; /* sequence number the FIN occupies */
	uint64_t fin_frame;
	bool fin_delivered;
	bool rst;
	uint64_t rst_frame;
	bool memcap_reported; /* the reassembly cap was hit (reported once per direction) */
	bool win_nonzero;     /* the last window this side advertised was not 0 */
	/* payload segments this side sent after the peer's FIN (a RST from the peer then
	 * answers them: data_after_close on the RST) */
	uint64_t after_peer_fin[SMTP_MAX_AFTER_FIN];
	uint32_t after_peer_fin_len[SMTP_MAX_AFTER_FIN];
	unsigned n_after_peer_fin;
};

struct smtp_reply_acc {
	bool active;
	uint64_t first_frame;
	bool code_mismatch;
	int code;
	unsigned lines;
	uint32_t ext_bits;
	unsigned n_ext;
	/* not cleared by the reset (it clears the fields above): the keyword array is kept across
	 * replies, the texts are written from each reply's first line */
	unsigned cap_ext;
	char (*ext)[SMTP_EXT_LEN]; /* cap_ext entries (up to SMTP_MAX_EXT), allocated at the
	                              first keyword */
	char text[SMTP_TEXT_MAX];
	char enh[16];
};

struct smtp_lat {
	uint64_t n, min, max, sum;
};

/* One unit of the dialogue for the summary: a command (verb only, never its arguments) or a
 * complete reply (code), with the frame that completed it. */
#define SMTP_MAX_DIALOGUE 512
struct smtp_unit {
	uint64_t frame;
	uint64_t first_frame; /* replies: the frame of the first line */
	uint16_t code;        /* 0 for a command */
	uint8_t verb;         /* enum smtp_verb */
	char word[13];        /* an unknown verb as sent (letters only), else "" */
};

struct smtp {
	struct conn *c;
	bool init;
	bool midstream;     /* the handshake was not captured and the greeting not seen */
	bool queue_unknown; /* replies may answer commands the capture did not show */
	struct smtp_side side[2];

	bool greeted;
	int greeting_code;
	uint64_t greeting_frame;
	bool flag_before_greeting;
	bool client_spoke;

	char helo_verb[8];
	uint32_t ext_bits;
	char (*ext)[SMTP_EXT_LEN]; /* n_ext entries on the heap (NULL when none) */
	unsigned n_ext;

	/* commands awaiting a reply: a ring of q_cap entries, q_small until more are pending
	 * at once (then on the heap, up to SMTP_MAX_PENDING) */
	struct smtp_pend *q;
	unsigned q_head, q_len, q_cap;
	uint64_t q_dropped;
	bool group_flagged;

	struct smtp_reply_acc acc;

	bool auth_cont; /* a 334 challenge awaits the client's line */
	char auth_mech[24];
	int auth_code;

	/* a server reply that needs the client to speak: greeting, 334, 354 */
	bool await_client;
	bool await_stall_done;
	bool await_nopsh;
	int await_code;
	uint64_t await_frame;
	struct mta_time await_ts;

	bool tls;
	bool starttls_pending;
	bool flag_after_starttls;
	uint64_t starttls_frame;
	bool quit_sent, quit_221;
	bool saw_421;
	bool any_fin;

	const char *end_how;
	int end_by; /* enum mta_dir, or -1 */
	uint64_t end_frame;

	struct smtp_body_scan body;
	uint64_t chunk_left;
	bool chunk_last;
	bool body_gap; /* a capture gap fell inside the current body */

	unsigned n_txn;
	uint64_t txn_total;
	struct smtp_txn *cur;
	struct smtp_txn *body_txn; /* the transaction whose body/chunk octets are flowing */

	struct smtp_lat lat[SV_COUNT];

	struct smtp_unit *dlg;
	unsigned n_dlg, cap_dlg;
	uint64_t dlg_omitted;

	/* what the reply just completed answered (for its MTA_EV_SMTP_REPLY event) */
	bool ev_answered;
	enum smtp_verb ev_verb;
	uint64_t ev_latency;
	uint32_t ev_txn;
	uint64_t chunk_size; /* the current BDAT chunk's announced size */

	/* Not zeroed at creation (smtp_create zeroes the fields above only): each is written
	 * before it is read, or set up by smtp_create. */
	char greeting[SMTP_TEXT_MAX];                  /* read only when greeting_code is set */
	char helo_name[SMTP_ADDR_MAX];                 /* read only when helo_verb is set */
	struct smtp_txn *txns[SMTP_MAX_TXN];           /* n_txn entries */
	struct smtp_pend q_small[SMTP_PENDING_INLINE]; /* ring entries are cleared when pushed */
	char ext_small[8][SMTP_EXT_LEN]; /* the first keyword array (acc.ext, then ext) */
	struct smtp_txn txn1;            /* txns[0] (cleared by smtp_txn_new) */
	struct smtp_txn spill; /* transactions beyond SMTP_MAX_TXN: tracked, not kept (cleared
	                          by smtp_txn_new; only its rcpt is set up at creation) */
};
/* A member added after spill would be left unzeroed by smtp_create without anyone deciding so:
 * spill must stay last (new members go above greeting, where they are zeroed). */
_Static_assert(offsetof(struct smtp, spill) + sizeof(struct smtp_txn) == sizeof(struct smtp),
               "struct smtp: spill is the last member");

static void smtp_dialogue(struct smtp *st, uint64_t frame, uint64_t first, int code,
                          enum smtp_verb verb, const char *word)
{
	if (st->n_dlg == st->cap_dlg) {
		unsigned cap = st->cap_dlg ? st->cap_dlg * 2 : 16; /* a plain session: ~13 */
		if (st->cap_dlg >= SMTP_MAX_DIALOGUE || cap > SMTP_MAX_DIALOGUE) {
			st->dlg_omitted++;
			return;
		}
		struct smtp_unit *n = realloc(st->dlg, cap * sizeof(*n));
		if (!n) {
			st->dlg_omitted++;
			return;
		}
		st->dlg = n;
		st->cap_dlg = cap;
	}
	struct smtp_unit *u = &st->dlg[st->n_dlg++];
	memset(u, 0, sizeof(*u));
	u->frame = frame;
	u->first_frame = first;
	u->code = (uint16_t)code;
	u->verb = (uint8_t)verb;
	if (word) {
		/* as snprintf("%s") would, without its cost on every dialogue unit */
		size_t i = 0;
		for (; i + 1 < sizeof(u->word) && word[i]; i++)
			u->word[i] = word[i];
		u->word[i] = '\0';
	}
}

/* ---- small helpers ------------------------------------------------------------------------ */

static const char *smtp_who(enum mta_dir d)
{
	return d == MTA_C2S ? "client" : "server";
}

static const char *smtp_Who(enum mta_dir d)
{
	return d == MTA_C2S ? "The client" : "The server";
}

/* Microseconds from a to b, 0 when b is not later; saturating (timestamps of a damaged capture
 * can be anything, and signed overflow is undefined). */
static uint64_t smtp_usec(struct mta_time a, struct mta_time b)
{
	if (b.sec < a.sec)
		return 0;
	uint64_t s = (uint64_t)b.sec - (uint64_t)a.sec; /* no overflow: b.sec >= a.sec */
	if (s > 1000000000000ull)
		s = 1000000000000ull; /* ~31 700 years is forever enough */
	int64_t t = (int64_t)s * 1000000 + ((int64_t)b.usec - (int64_t)a.usec);
	return t > 0 ? (uint64_t)t : 0;
}

/* Copy printable ASCII of p[0..n) into dst (cap incl. NUL); other octets become '?'. */
static void smtp_copy(char *dst, size_t cap, const uint8_t *p, size_t n)
{
	if (cap == 0)
		return;
	size_t m = n < cap - 1 ? n : cap - 1;
	size_t i = 0;
#if defined(__SSE2__)
	/* 16 octets at a time: printable is 0x20..0x7e, i.e. > 0x1f and < 0x7f as signed octets
	 * (0x80..0xff are negative) */
	if (m >= 16) {
		const __m128i lo = _mm_set1_epi8(0x1f), hi = _mm_set1_epi8(0x7f);
		const __m128i q = _mm_set1_epi8('?');
		for (;; i += 16) {
			if (m - i < 16)
				i = m - 16; /* the last 16 again, overlapping: the same octets */
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
			__m128i ok = _mm_and_si128(_mm_cmpgt_epi8(v, lo), _mm_cmplt_epi8(v, hi));
			v = _mm_or_si128(_mm_and_si128(ok, v), _mm_andnot_si128(ok, q));
			_mm_storeu_si128((__m128i *)(void *)(dst + i), v);
			if (i + 16 == m)
				break;
		}
		dst[m] = '\0';
		return;
	}
#endif
	for (; i < m; i++) {
		uint8_t ch = p[i];
		dst[i] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	dst[m] = '\0';
}

/* NUL-terminated copy of src, cut to cap - 1 octets, as snprintf(dst, cap, "%s", src) */
static void smtp_strcpy(char *dst, size_t cap, const char *src)
{
	if (cap == 0)
		return;
	size_t k = strnlen(src, cap - 1);
	memcpy(dst, src, k);
	dst[k] = '\0';
}

static uint64_t smtp_stall_usec(const struct smtp *st)
{
	uint64_t t = conn_cfg(st->c)->stall_usec;
	return t ? t : MTA_DEFAULT_STALL_USEC;
}

static struct smtp_pend *smtp_head(struct smtp *st)
{
	return st->q_len ? &st->q[st->q_head] : NULL;
}

static struct smtp_pend *smtp_tail(struct smtp *st)
{
	return st->q_len ? &st->q[(st->q_head + st->q_len - 1) % st->q_cap] : NULL;
}

static void smtp_pop(struct smtp *st)
{
	if (!st->q_len)
		return;
	st->q_head = (st->q_head + 1) % st->q_cap;
	st->q_len--;
	if (!st->q_len)
		st->group_flagged = false;
}

static struct smtp_pend *smtp_push(struct smtp *st)
{
	if (st->q_len == st->q_cap && st->q_cap < SMTP_MAX_PENDING) {
		/* grow the ring (doubling), oldest first at index 0 */
		unsigned cap = st->q_cap * 2 > SMTP_MAX_PENDING ? SMTP_MAX_PENDING : st->q_cap * 2;
		struct smtp_pend *n = malloc(cap * sizeof(*n));
		if (n) {
			for (unsigned i = 0; i < st->q_len; i++)
				n[i] = st->q[(st->q_head + i) % st->q_cap];
			if (st->q != st->q_small)
				free(st->q);
			st->q = n;
			st->q_head = 0;
			st->q_cap = cap;
		}
	}
	if (st->q_len == st->q_cap) {
		/* a client that never waits: forget the oldest, bounded memory */
		smtp_pop(st);
		st->q_dropped++;
	}
	struct smtp_pend *p = &st->q[(st->q_head + st->q_len) % st->q_cap];
	st->q_len++;
	memset(p, 0, sizeof(*p));
	p->rcpt = -1;
	return p;
}

static bool smtp_txn_open(const struct smtp *st)
{
	return st->cur && !st->cur->closed;
}

/* DATA/BDAT started and the final reply not yet seen */
static bool smtp_in_data(const struct smtp *st)
{
	return smtp_txn_open(st) && st->cur->data_sent && !st->cur->final_code;
}

/* A keyword array, unless it is the session's own. */
static void smtp_ext_free(struct smtp *st, char (*ext)[SMTP_EXT_LEN])
{
	if (ext != st->ext_small)
		free(ext);
}

static struct smtp_txn *smtp_txn_new(struct smtp *st)
{
	struct smtp_txn *t;
	st->txn_total++;
	/* the first inside the session (most sessions carry one message), then one allocation
	 * per transaction: st->cur and st->body_txn point into them */
	if (st->n_txn == 0) {
		t = &st->txn1;
		memset(t, 0, sizeof(*t));
		st->txns[st->n_txn++] = t;
	} else if (st->n_txn < SMTP_MAX_TXN && (t = calloc(1, sizeof(*t))) != NULL) {
		st->txns[st->n_txn++] = t;
	} else {
		t = &st->spill;
		if (st->body_txn == t)
			st->body_txn = NULL;
		smtp_rcpt_free(t);
		memset(t, 0, sizeof(*t));
	}
	t->outcome = "open";
	t->index = st->txn_total > UINT32_MAX ? UINT32_MAX : (uint32_t)st->txn_total;
	return t;
}

static void smtp_txn_close(struct smtp *st, const char *outcome)
{
	if (!st->cur)
		return;
	if (!st->cur->closed) {
		st->cur->closed = true;
		st->cur->outcome = outcome;
	}
	st->cur = NULL;
}

/* Where the session stands, in an administrator's words (for messages). */
static void smtp_state(const struct smtp *st, char *buf, size_t cap)
{
	const struct smtp_pend *h = st->q_len ? &st->q[st->q_head] : NULL;
	const struct smtp_txn *t = smtp_txn_open(st) ? st->cur : NULL;
	if (st->tls)
		snprintf(buf, cap, "after STARTTLS (the session is encrypted)");
	else if (st->quit_221)
		snprintf(buf, cap, "after QUIT was answered by 221 (the session was over)");
	else if (st->quit_sent)
		snprintf(buf, cap, "after QUIT, before the server's 221");
	else if (t && st->side[MTA_C2S].mode == SM_BODY)
		snprintf(buf, cap, "during DATA after %llu body octets",
		         (unsigned long long)t->body_octets);
	else if (t && st->side[MTA_C2S].mode == SM_CHUNK)
		snprintf(buf, cap, "during BDAT after %llu message octets",
		         (unsigned long long)t->body_octets);
	else if (t && t->body_done && !t->final_code)
		snprintf(
		    buf, cap,
		    "after the end of the message (%llu body octets), waiting for the server's "
		    "final reply",
		    (unsigned long long)t->body_octets);
	else if (t && t->data_cmd_pending)
		snprintf(buf, cap, "waiting for the server's reply to DATA");
	else if (t && t->data_sent)
		snprintf(buf, cap, "during BDAT after %llu message octets",
		         (unsigned long long)t->body_octets);
	else if (t && t->n_rcpt)
		snprintf(buf, cap, "in a mail transaction after RCPT TO (%u recipient%s)",
		         t->n_rcpt, t->n_rcpt == 1 ? "" : "s");
	else if (t)
		snprintf(buf, cap, "in a mail transaction after MAIL FROM");
	else if (!st->greeted && !st->midstream)
		snprintf(buf, cap, "before the server's greeting");
	else if (h)
		snprintf(buf, cap, "waiting for the server's reply to %s", smtp_verb_name(h->verb));
	else if (st->auth_cont)
		snprintf(buf, cap, "during AUTH, waiting for the client's answer to a challenge");
	else if (st->helo_verb[0])
		snprintf(buf, cap, "after %s, no mail transaction open", st->helo_verb);
	else if (st->greeted && st->greeting_code)
		snprintf(buf, cap, "after the greeting, before EHLO/HELO");
	else
		snprintf(buf, cap, "with no mail transaction open");
}

/* "RCPT TO:<bob@example.org>" for messages */
static void smtp_unit_name(const struct smtp *st, const struct smtp_pend *p, char *buf, size_t cap)
{
	const struct smtp_txn *t = st->cur;
	switch (p->verb) {
	case SV_MAIL:
		if (t)
			snprintf(buf, cap, "MAIL FROM:<%s>", t->from);
		else
			snprintf(buf, cap, "MAIL FROM");
		return;
	case SV_RCPT:
		if (t && p->rcpt >= 0 && (unsigned)p->rcpt < t->n_rcpt)
			snprintf(buf, cap, "RCPT TO:<%s>", t->rcpt[p->rcpt].to);
		else
			snprintf(buf, cap, "RCPT TO");
		return;
	case SV_END_OF_DATA:
		snprintf(buf, cap, "the end of the message (CRLF.CRLF)");
		return;
	case SV_AUTH_CONT:
		snprintf(buf, cap, "the client's AUTH response line");
		return;
	case SV_AUTH:
		snprintf(buf, cap, "AUTH %s", st->auth_mech);
		return;
	case SV_BDAT:
		snprintf(buf, cap, "%s", p->last ? "BDAT LAST" : "BDAT");
		return;
	case SV_UNKNOWN:
		if (p->word[0])
			snprintf(buf, cap, "the unrecognised command \"%s\"", p->word);
		else
			snprintf(buf, cap, "an unrecognised command");
		return;
	default:
		snprintf(buf, cap, "%s", smtp_verb_name(p->verb));
		return;
	}
}

/* ---- protocol events (mta_config.events) ---------------------------------------------------- */

/* Where the session stands after a unit, as one short word (the plugins' smtpdiag.state). */
static const char *smtp_state_name(const struct smtp *st)
{
	const struct smtp_txn *t = smtp_txn_open(st) ? st->cur : NULL;
	if (st->tls)
		return "tls";
	if (st->quit_sent)
		return "quit";
	if (t && (st->side[MTA_C2S].mode == SM_BODY || t->data_cmd_pending ||
	          (t->body_done && !t->final_code && !t->bdat)))
		return "data";
	if (t && t->bdat)
		return "bdat";
	if (t && t->n_rcpt)
		return "rcpt";
	if (t)
		return "mail";
	if (st->auth_cont || st->starttls_pending)
		return st->auth_cont ? "auth" : "starttls";
	if (st->helo_verb[0])
		return st->helo_verb[0] == 'E' ? "ehlo" : "helo";
	if (st->greeted)
		return "greeting";
	return "connect";
}

static uint32_t smtp_cur_txn(const struct smtp *st)
{
	return smtp_txn_open(st) ? st->cur->index : 0;
}

static void smtp_event_init(const struct smtp *st, struct mta_event *ev, enum mta_event_kind kind,
                            enum mta_dir dir)
{
	conn_event_init(st->c, ev, kind, dir);
	ev->smtp_state = smtp_state_name(st);
	ev->transaction = smtp_cur_txn(st);
}

/* The label of a reply event: the code, and a space and at most 72 octets of the text when
 * there is text ("%d%s%.72s" without the cost of a printf: one is made for every reply). */
static void smtp_reply_label(char *out, size_t cap, int code, const char *text)
{
	if (code < 0 || code > 999 || cap < 4 + 1 + 72) {
		snprintf(out, cap, "%d%s%.72s", code, text[0] ? " " : "", text);
		return;
	}
	size_t k = 0;
	if (code >= 100)
		out[k++] = (char)('0' + code / 100);
	if (code >= 10)
		out[k++] = (char)('0' + code / 10 % 10);
	out[k++] = (char)('0' + code % 10);
	if (text[0]) {
		out[k++] = ' ';
		size_t n = strnlen(text, 72);
		memcpy(out + k, text, n);
		k += n;
	}
	out[k] = '\0';
}

/* The label of a command event: the line as sent (printable ASCII, shortened), except that an
 * AUTH command shows its mechanism only, an AUTH response line nothing at all, and a line that is
 * no known command (after a gap it may be an AUTH response the capture lost the 334 of) only its
 * verb when that is a plain word. */
static void smtp_cmd_label(char *buf, size_t cap, const struct smtp *st, const struct smtp_pend *p,
                           const uint8_t *l, size_t n, bool has_arg)
{
	enum smtp_verb v = p->verb;
	if (v == SV_UNKNOWN) {
		snprintf(buf, cap, "%s", p->word[0] ? p->word : "(unrecognised command)");
		return;
	}
	if (v == SV_AUTH_CONT) {
		snprintf(buf, cap, "***");
		return;
	}
	if (v == SV_AUTH) {
		snprintf(buf, cap, "AUTH %s%s", st->auth_mech, has_arg ? " ***" : "");
		return;
	}
	if (n > 96) {
		smtp_copy(buf, cap < 97 ? cap : 97, l, 96);
		snprintf(buf + strlen(buf), cap - strlen(buf), "...");
		return;
	}
	smtp_copy(buf, cap, l, n);
}

/* AUTH PLAIN <initial response>: something after the mechanism */
static bool smtp_has_second_token(const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n && p[i] == ' ')
		i++;
	while (i < n && p[i] != ' ')
		i++;
	while (i < n && p[i] == ' ')
		i++;
	return i < n;
}

static void smtp_cmd_event(struct smtp *st, const struct smtp_pend *p, const uint8_t *l, size_t n,
                           bool has_arg)
{
	struct mta_event ev;
	char label[128];
	smtp_event_init(st, &ev, MTA_EV_SMTP_CMD, MTA_C2S);
	smtp_cmd_label(label, sizeof(label), st, p, l, n, has_arg);
	ev.label = label;
	ev.smtp_cmd = p->verb == SV_UNKNOWN && p->word[0] ? p->word : smtp_verb_name(p->verb);
	ev.transaction = p->txn;
	conn_event(st->c, &ev);
}

static void smtp_nopsh_event(struct smtp *st, enum mta_dir dir)
{
	struct mta_event ev;
	smtp_event_init(st, &ev, MTA_EV_TCP, dir);
	ev.label = "no-PSH";
	conn_event(st->c, &ev);
}

static void smtp_violation(struct smtp *st, enum mta_dir dir, const char *detail_json,
                           const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void smtp_violation(struct smtp *st, enum mta_dir dir, const char *detail_json,
                           const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conn_emit_now(st->c, MTA_F_SMTP_PROTOCOL_VIOLATION, -1, dir, 0, detail_json, "%s", msg);
}

/* missing_psh (contract §1.3): the unit ends exactly at the end of the delivered data, i.e. at
 * the end of the segment that completed it, and that segment had neither PSH nor FIN. */
static bool smtp_psh_missing(const struct smtp *st, const struct rs_event *ev, bool at_end)
{
	return at_end && !ev->psh && !ev->fin && !st->tls;
}

static bool smtp_check_psh(struct smtp *st, enum mta_dir dir, const struct rs_event *ev,
                           bool at_end, const char *what)
{
	if (!smtp_psh_missing(st, ev, at_end))
		return false;
	uint64_t related = ev->seg_frame && ev->seg_frame != ev->frame ? ev->seg_frame : 0;
	conn_emit_now(st->c, MTA_F_SMTP_MISSING_PSH, -1, dir, related, NULL,
	              "%s sent %s in a segment without the TCP PUSH flag and then waits for the "
	              "%s; a receiver that holds data until PUSH never passes it on",
	              smtp_Who(dir), what, smtp_who(!dir));
	if (conn_events_on(st->c))
		smtp_nopsh_event(st, dir);
	return true;
}

/* ---- stall ---------------------------------------------------------------------------------- */

static void smtp_emit_stall(struct smtp *st, enum mta_dir dir, uint64_t frame, bool nopsh,
                            const char *unit, uint64_t waited, bool at_end)
{
	char why[200] = "";
	if (nopsh)
		snprintf(why, sizeof(why),
		         "; the segment that completed it (frame %llu) was sent without the TCP "
		         "PUSH flag, so the %s may still be holding it in its receive buffer",
		         (unsigned long long)frame, smtp_who(!dir));
	char detail[160];
	snprintf(detail, sizeof(detail),
	         "{\"waited_usec\":%llu,\"threshold_usec\":%llu,\"missing_psh\":%s}",
	         (unsigned long long)waited, (unsigned long long)smtp_stall_usec(st),
	         nopsh ? "true" : "false");
	conn_emit_now(st->c, MTA_F_SMTP_STALL, -1, dir, frame, detail,
	              "%s %s got no answer from the %s %s %.1f s%s", smtp_Who(dir), unit,
	              smtp_who(!dir), at_end ? "before the connection ended, after" : "for",
	              (double)waited / 1e6, why);
}

/* A unit is waited for only while its answerer may still answer. */
static bool smtp_may_answer(const struct smtp *st, enum mta_dir answerer)
{
	return !st->tls && !st->side[answerer].fin && !st->side[0].rst && !st->side[1].rst;
}

/* The stall findings of smtp_check_stall_wait, out of line (their buffers make a large frame). */
static void __attribute__((noinline, cold))
smtp_stall_cmd(struct smtp *st, struct smtp_pend *h, uint64_t w)
{
	char unit[SMTP_ADDR_MAX + 64];
	char name[SMTP_ADDR_MAX + 32];
	h->stall_done = true;
	smtp_unit_name(st, h, name, sizeof(name));
	snprintf(unit, sizeof(unit), "sent %s (frame %llu), which", name,
	         (unsigned long long)h->frame);
	smtp_emit_stall(st, MTA_C2S, h->frame, h->nopsh, unit, w, false);
}

static void __attribute__((noinline, cold)) smtp_stall_reply(struct smtp *st, uint64_t w)
{
	char unit[SMTP_ADDR_MAX + 64];
	st->await_stall_done = true;
	snprintf(unit, sizeof(unit), "sent the %d reply (frame %llu), which", st->await_code,
	         (unsigned long long)st->await_frame);
	smtp_emit_stall(st, MTA_S2C, st->await_frame, st->await_nopsh, unit, w, false);
}

static void __attribute__((noinline)) smtp_check_stall_wait(struct smtp *st, struct mta_time now)
{
	uint64_t thr = smtp_stall_usec(st);
	struct smtp_pend *h = smtp_head(st);
	if (h && !h->stall_done && smtp_may_answer(st, MTA_S2C)) {
		uint64_t w = smtp_usec(h->ts, now);
		if (w > thr)
			smtp_stall_cmd(st, h, w);
	}
	if (st->await_client && !st->await_stall_done && smtp_may_answer(st, MTA_C2S)) {
		uint64_t w = smtp_usec(st->await_ts, now);
		if (w > thr)
			smtp_stall_reply(st, w);
	}
}

/* Called for every segment: most of the time nothing is waited for (or its stall was already
 * reported), which is decided here without a call. */
static inline void smtp_check_stall(struct smtp *st, struct mta_time now)
{
	bool cmd_wait = st->q_len && !st->q[st->q_head].stall_done;
	bool reply_wait = st->await_client && !st->await_stall_done;
	if (cmd_wait || reply_wait)
		smtp_check_stall_wait(st, now);
}

/* ---- transactions and replies ------------------------------------------------------------- */

static void smtp_lat_add(struct smtp *st, enum smtp_verb v, uint64_t us)
{
	struct smtp_lat *l = &st->lat[v];
	if (!l->n || us < l->min)
		l->min = us;
	if (us > l->max)
		l->max = us;
	l->sum += us;
	l->n++;
}

static void smtp_reply_error(struct smtp *st, int code, const char *answered, uint64_t related,
                             const char *verb)
{
	const struct smtp_reply_acc *a = &st->acc;
	struct sbuf b;
	struct jw w;
	sb_init(&b);
	jw_init(&w, &b);
	jw_obj(&w, NULL);
	jw_u64(&w, "code", (uint64_t)code);
	if (a->enh[0])
		jw_str(&w, "enhanced", a->enh);
	if (verb)
		jw_str(&w, "command", verb);
	if (related)
		jw_u64(&w, "command_frame", related);
	jw_str(&w, "text", a->text);
	jw_obj_end(&w);
	int sev = code >= 500 ? MTA_SEV_WARNING : MTA_SEV_NOTE;
	conn_emit_now(
	    st->c, MTA_F_SMTP_REPLY_ERROR, sev, MTA_S2C, related, b.oom ? NULL : sb_str(&b),
	    "The server answered %s with %d%s%s (%s failure): \"%s\"", answered, code,
	    a->enh[0] ? " " : "", a->enh, code >= 500 ? "permanent" : "temporary", a->text);
	sb_free(&b);
}

/* Under an unknown queue (after a gap), does this reply plausibly answer that command? */
static bool smtp_consistent(enum smtp_verb v, int code)
{
	if (code >= 400)
		return true;
	switch (v) {
	case SV_DATA:
		return code == 354;
	case SV_AUTH:
	case SV_AUTH_CONT:
		return code == 334 || code == 235;
	case SV_STARTTLS:
		return code == 220;
	case SV_QUIT:
		return code == 221;
	default:
		return code / 100 == 2 && code != 220 && code != 221 && code != 235;
	}
}

static void smtp_set_await(struct smtp *st, int code, bool nopsh)
{
	st->await_client = true;
	st->await_stall_done = false;
	st->await_code = code;
	st->await_frame = conn_cur_frame(st->c);
	st->await_ts = conn_cur_time(st->c);
	st->await_nopsh = nopsh;
}

static void smtp_final_reply(struct smtp *st, int code)
{
	struct smtp_txn *t = st->cur;
	if (!t)
		return;
	t->final_code = code;
	t->final_frame = conn_cur_frame(st->c);
	smtp_strcpy(t->final_text, sizeof(t->final_text), st->acc.text);
	smtp_strcpy(t->final_enh, sizeof(t->final_enh), st->acc.enh);
	const uint8_t *id;
	size_t idn;
	if (code / 100 == 2 &&
	    smtp_reply_queue_id((const uint8_t *)t->final_text, strlen(t->final_text), &id, &idn))
		smtp_copy(t->queue_id, sizeof(t->queue_id), id, idn);
	smtp_txn_close(st, code / 100 == 2   ? "accepted"
	                   : code / 100 == 4 ? "deferred"
	                                     : "rejected");
}

static void smtp_starttls(struct smtp *st)
{
	st->tls = true;
	st->starttls_pending = false;
	st->side[MTA_C2S].mode = SM_TLS;
	st->side[MTA_S2C].mode = SM_TLS;
	st->q_len = 0;
	st->await_client = false;
	conn_emit_now(st->c, MTA_F_SMTP_STARTTLS, -1, MTA_S2C, st->starttls_frame, NULL,
	              "The server accepted STARTTLS (220); the rest of the connection is encrypted "
	              "and is not analysed as SMTP (only TCP-level findings follow)");
}

/* A complete reply (its last line was just parsed). */
static void smtp_reply_done(struct smtp *st, bool nopsh)
{
	struct smtp_reply_acc *a = &st->acc;
	int code = a->code;
	struct mta_time now = conn_cur_time(st->c);

	if (code == 421)
		st->saw_421 = true;
	st->ev_answered = false;
	st->ev_txn = smtp_cur_txn(st);

	if (!st->greeted) {
		bool greeting = !st->midstream ||
		                (!st->client_spoke && (code == 220 || code == 421 || code == 554));
		st->greeted = true;
		if (greeting) {
			st->midstream = false;
			st->queue_unknown = false;
			st->side[MTA_C2S].resync = false;
			st->greeting_code = code;
			st->greeting_frame = conn_cur_frame(st->c);
			smtp_strcpy(st->greeting, sizeof(st->greeting), a->text);
			if (code >= 400)
				smtp_reply_error(st, code, "the connection in its greeting", 0,
				                 NULL);
			if (code == 220 || code == 554)
				smtp_set_await(st, code, nopsh);
			return;
		}
	}

	if (st->side[MTA_C2S].mode == SM_BODY && st->body_gap) {
		/* the end-of-data marker fell into a capture gap: the server only replies once
		 * the body is over, so this is the final reply */
		st->side[MTA_C2S].mode = SM_LINE;
		st->body_gap = false;
		st->body_txn = NULL;
		if (st->cur)
			st->cur->body_done = true;
		if (code >= 400)
			smtp_reply_error(st, code,
			                 "the end of the message (hidden by a capture gap)", 0,
			                 "END_OF_DATA");
		smtp_final_reply(st, code);
		return;
	}
	if (st->queue_unknown) {
		/* replies to commands a gap hid: skip queue entries they cannot answer */
		while (st->q_len && !smtp_consistent(smtp_head(st)->verb, code))
			smtp_pop(st);
	}
	struct smtp_pend *h = smtp_head(st);
	if (!h && st->side[MTA_C2S].mode == SM_BODY && smtp_txn_open(st)) {
		/* the server answers while the body is still coming (e.g. 552 too big): that is
		 * its verdict on the message; the rest of the body gets no further reply */
		if (code >= 400)
			smtp_reply_error(st, code,
			                 "the message while its body was still being sent", 0,
			                 "END_OF_DATA");
		smtp_final_reply(st, code);
		return;
	}
	if (!h) {
		if (code == 421)
			smtp_reply_error(st, code,
			                 "no command (an unsolicited 421: the server is "
			                 "closing the connection)",
			                 0, NULL);
		else {
			if (!st->queue_unknown)
				smtp_violation(st, MTA_S2C, NULL,
				               "The server sent a %d reply while no command was "
				               "waiting for one",
				               code);
			if (code >= 400)
				smtp_reply_error(st, code, "a command not seen in the capture", 0,
				                 NULL);
		}
		return;
	}

	struct smtp_pend p = *h;
	smtp_pop(st);
	st->ev_answered = true;
	st->ev_verb = p.verb;
	st->ev_latency = smtp_usec(p.ts, now);
	st->ev_txn = p.txn;
	if (st->queue_unknown && !st->q_len && !st->side[MTA_C2S].resync &&
	    !st->side[MTA_S2C].resync)
		st->queue_unknown = false;
	smtp_lat_add(st, p.verb, smtp_usec(p.ts, now));

	if (code >= 400) {
		char name[SMTP_ADDR_MAX + 32];
		smtp_unit_name(st, &p, name, sizeof(name));
		char what[SMTP_ADDR_MAX + 64];
		snprintf(what, sizeof(what), "%s (frame %llu)", name, (unsigned long long)p.frame);
		smtp_reply_error(st, code, what, p.frame, smtp_verb_name(p.verb));
	}

	struct smtp_txn *t = smtp_txn_open(st) ? st->cur : NULL;
	switch (p.verb) {
	case SV_EHLO:
		if (code / 100 == 2) {
			st->ext_bits = a->ext_bits;
			st->n_ext = 0;
			smtp_ext_free(st, st->ext);
			st->ext = NULL;
			if (a->n_ext) {
				/* the keywords move over with their array (the accumulator gets
				 * a fresh one if another multi-line reply comes) */
				st->ext = a->ext;
				st->n_ext = a->n_ext;
				a->ext = NULL;
				a->n_ext = 0;
				a->cap_ext = 0;
			}
		}
		break;
	case SV_MAIL:
		if (t) {
			t->mail_code = code;
			if (code / 100 != 2)
				smtp_txn_close(st, code / 100 == 4 ? "deferred" : "rejected");
		}
		break;
	case SV_RCPT:
		if (t && p.rcpt >= 0 && (unsigned)p.rcpt < t->n_rcpt)
			t->rcpt[p.rcpt].code = code;
		break;
	case SV_DATA:
		if (t)
			t->data_cmd_pending = false;
		if (code == 354) {
			if (t && !t->body_started) {
				t->body_started = true;
				st->body_txn = t;
				memset(&st->body, 0, sizeof(st->body));
				st->body_gap = false;
				if (st->side[MTA_C2S].mode != SM_TLS)
					st->side[MTA_C2S].mode = SM_BODY;
			} else if (!t) {
				/* DATA outside a known transaction (mid-stream capture) */
				st->cur = smtp_txn_new(st);
				st->cur->data_sent = st->cur->body_started = true;
				st->body_txn = st->cur;
				memset(&st->body, 0, sizeof(st->body));
				st->side[MTA_C2S].mode = SM_BODY;
			} else {
				break; /* the body was sent before the 354: nothing to wait for */
			}
			smtp_set_await(st, code, nopsh);
		} else if (t && !t->body_started) {
			t->data_sent = false;
			smtp_final_reply(st, code);
		}
		break;
	case SV_END_OF_DATA:
		smtp_final_reply(st, code);
		break;
	case SV_BDAT:
		if (p.last || code / 100 != 2)
			smtp_final_reply(st, code);
		break;
	case SV_RSET:
		if (code / 100 == 2)
			smtp_txn_close(st, "reset");
		break;
	case SV_QUIT:
		if (code == 221) {
			st->quit_221 = true;
			/* a client FIN right after QUIT (before the 221) still ends by QUIT */
			if (!st->end_how ||
			    (strcmp(st->end_how, "fin") == 0 && st->end_by == MTA_C2S)) {
				st->end_how = "quit";
				st->end_by = MTA_C2S;
				st->end_frame = conn_cur_frame(st->c);
			}
			if (t && !t->data_sent)
				smtp_txn_close(st, "abandoned");
		}
		break;
	case SV_STARTTLS:
		st->starttls_pending = false;
		if (code == 220)
			smtp_starttls(st);
		break;
	case SV_AUTH:
	case SV_AUTH_CONT:
		if (code == 334) {
			st->auth_cont = true;
			smtp_set_await(st, code, nopsh);
		} else {
			st->auth_code = code;
		}
		break;
	default:
		break;
	}
}

/* ---- line handlers -------------------------------------------------------------------------- */

enum smtp_line_res { SL_DONE, SL_RESCAN };

static inline __attribute__((always_inline)) enum smtp_line_res
smtp_server_line(struct smtp *st, const uint8_t *l, size_t n, size_t term, bool bare, bool at_end,
                 const struct rs_event *ev)
{
	struct smtp_side *sd = &st->side[MTA_S2C];
	struct smtp_reply_acc *a = &st->acc;
	if (sd->resync) {
		if (!smtp_looks_like_reply(l, n))
			return SL_DONE;
		sd->resync = false;
		a->active = false;
	}
	if (bare)
		smtp_violation(st, MTA_S2C, NULL,
		               "The server ended a reply line with a bare LF instead of CRLF");
	struct smtp_reply_line r;
	if (!smtp_parse_reply(l, n, &r)) {
		smtp_violation(st, MTA_S2C, NULL,
		               "The server sent a line without a 3-digit reply code (%zu octets)%s",
		               n, a->active ? " inside a multi-line reply" : "");
		return SL_DONE;
	}
	if (n + term > SMTP_REPLY_LINE_MAX)
		smtp_violation(
		    st, MTA_S2C, NULL,
		    "The server sent a %zu-octet reply line; RFC 5321 allows %u including "
		    "CRLF",
		    n + term, SMTP_REPLY_LINE_MAX);
	if (!a->active) {
		memset(a, 0, offsetof(struct smtp_reply_acc, cap_ext));
		a->active = true;
		a->first_frame = conn_cur_frame(st->c);
		a->code = r.code;
		smtp_copy(a->text, sizeof(a->text), r.text, r.text_len);
		smtp_strcpy(a->enh, sizeof(a->enh), r.enh);
	} else if (r.code != a->code && !a->code_mismatch) {
		a->code_mismatch = true;
		smtp_violation(
		    st, MTA_S2C, NULL,
		    "A multi-line reply changes its code from %d to %d (RFC 5321 §4.2.1)", a->code,
		    r.code);
	}
	a->lines++;
	if (a->lines > 1) {
		uint32_t kw = smtp_ehlo_keyword(r.text, r.text_len);
		if (kw) {
			a->ext_bits |= kw;
			if (a->n_ext == a->cap_ext && a->cap_ext < SMTP_MAX_EXT) {
				/* 8 keywords cover most servers; then 16, 32 */
				unsigned cap = a->cap_ext ? a->cap_ext * 2 : 8;
				if (cap > SMTP_MAX_EXT)
					cap = SMTP_MAX_EXT;
				void *x;
				if (!a->cap_ext && st->ext != st->ext_small) {
					x = st->ext_small; /* the session's own, if free */
				} else if (a->ext == st->ext_small) {
					x = malloc(cap * sizeof(*a->ext));
					if (x)
						memcpy(x, a->ext, a->n_ext * sizeof(*a->ext));
				} else {
					x = realloc(a->ext, cap * sizeof(*a->ext));
				}
				if (x) {
					a->ext = x;
					a->cap_ext = cap;
				}
			}
			if (a->n_ext < a->cap_ext) {
				const uint8_t *t = r.text;
				size_t tn = r.text_len;
				while (tn && *t == ' ') {
					t++;
					tn--;
				}
				smtp_copy(a->ext[a->n_ext++], SMTP_EXT_LEN, t, tn);
			}
		}
	}
	if (r.more)
		return SL_DONE;
	bool nopsh = false;
	if (smtp_psh_missing(st, ev, at_end)) { /* the message is built only when needed */
		char what[48];
		snprintf(what, sizeof(what), "the last line of a %d reply", a->code);
		nopsh = smtp_check_psh(st, MTA_S2C, ev, at_end, what);
	}
	a->active = false;
	smtp_dialogue(st, conn_cur_frame(st->c), a->first_frame, a->code, SV_UNKNOWN, NULL);
	bool was_tls = st->tls;
	smtp_reply_done(st, nopsh);
	if (conn_events_on(st->c) && !was_tls) {
		struct mta_event rev;
		char label[96];
		smtp_event_init(st, &rev, MTA_EV_SMTP_REPLY, MTA_S2C);
		smtp_reply_label(label, sizeof(label), a->code, a->text);
		rev.label = label;
		rev.reply_code = a->code;
		rev.transaction = st->ev_txn;
		if (st->ev_answered) {
			rev.smtp_cmd = smtp_verb_name(st->ev_verb);
			rev.latency_usec = st->ev_latency;
		}
		conn_event(st->c, &rev);
		if (st->tls) { /* this reply was the 220 to STARTTLS */
			smtp_event_init(st, &rev, MTA_EV_SMTP_TLS, MTA_S2C);
			rev.label = "TLS";
			rev.smtp_cmd = "STARTTLS";
			rev.transaction = 0;
			conn_event(st->c, &rev);
		}
	}
	return SL_DONE;
}

static bool smtp_group_end(enum smtp_verb v)
{
	/* RFC 2920 §3.1: these may only appear last in a group */
	switch (v) {
	case SV_EHLO:
	case SV_DATA:
	case SV_VRFY:
	case SV_EXPN:
	case SV_TURN:
	case SV_QUIT:
	case SV_NOOP:
	case SV_AUTH:
	case SV_STARTTLS:
	case SV_HELO:
	case SV_AUTH_CONT:
		return true;
	default:
		return false;
	}
}

static void smtp_first_token(char *dst, size_t cap, const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n && p[i] != ' ')
		i++;
	smtp_copy(dst, cap, p, i);
}

static enum smtp_line_res smtp_client_line(struct smtp *st, const uint8_t *l, size_t n, size_t term,
                                           bool bare, bool at_end, const struct rs_event *ev)
{
	struct smtp_side *sd = &st->side[MTA_C2S];
	uint64_t frame = conn_cur_frame(st->c);
	struct mta_time now = conn_cur_time(st->c);

	if (sd->resync) {
		if (!smtp_looks_like_cmd(l, n))
			return SL_DONE;
		sd->resync = false;
	}
	st->client_spoke = true;

	if (st->starttls_pending) {
		/* anything after STARTTLS before the 220 is the TLS handshake or an injection */
		if (!st->flag_after_starttls) {
			st->flag_after_starttls = true;
			smtp_violation(st, MTA_C2S, NULL,
			               "The client sent more data after STARTTLS (frame %llu) "
			               "before the server's reply; it is not parsed",
			               (unsigned long long)st->starttls_frame);
		}
		sd->mode = SM_TLS;
		return SL_RESCAN;
	}

	if (st->auth_cont) {
		/* RFC 4954 §4: the client's answer to a 334 challenge (never logged) */
		st->auth_cont = false;
		if (bare)
			smtp_violation(st, MTA_C2S, NULL,
			               "The client ended an AUTH response line with a bare LF "
			               "instead of CRLF");
		if (n + term > SMTP_AUTH_LINE_MAX)
			smtp_violation(st, MTA_C2S, NULL,
			               "The client sent a %zu-octet AUTH response line (limit %u)",
			               n + term, SMTP_AUTH_LINE_MAX);
		smtp_dialogue(st, frame, frame, 0, SV_AUTH_CONT, NULL);
		struct smtp_pend *p = smtp_push(st);
		p->verb = SV_AUTH_CONT;
		p->frame = frame;
		p->ts = now;
		p->txn = smtp_cur_txn(st);
		if (conn_events_on(st->c))
			smtp_cmd_event(st, p, l, 0, false);
		p->nopsh = smtp_check_psh(st, MTA_C2S, ev, at_end, "an AUTH response line");
		return SL_DONE;
	}

	struct smtp_txn *t = smtp_txn_open(st) ? st->cur : NULL;
	if (t && t->data_cmd_pending && !t->body_started) {
		/* body octets sent before the 354 arrived */
		if (!t->flag_no354) {
			t->flag_no354 = true;
			smtp_violation(st, MTA_C2S, NULL,
			               "The client started sending the message body without "
			               "waiting for the server's 354 reply to DATA");
		}
		t->body_started = true;
		st->body_txn = t;
		memset(&st->body, 0, sizeof(st->body));
		st->body_gap = false;
		sd->mode = SM_BODY;
		return SL_RESCAN;
	}

	struct smtp_cmd cmd;
	smtp_parse_cmd(l, n, &cmd);
	if (bare)
		smtp_violation(st, MTA_C2S, NULL,
		               "The client ended a command line with a bare LF instead of CRLF");
	size_t limit = cmd.verb == SV_AUTH ? SMTP_AUTH_LINE_MAX : SMTP_CMD_LINE_MAX;
	if (n + term > limit)
		smtp_violation(st, MTA_C2S, NULL,
		               "The client sent a %zu-octet %s command line; %s allows %zu "
		               "including CRLF",
		               n + term, smtp_verb_name(cmd.verb),
		               cmd.verb == SV_AUTH ? "RFC 4954" : "RFC 5321", limit);
	if (!st->greeted && !st->midstream && !st->flag_before_greeting) {
		st->flag_before_greeting = true;
		smtp_violation(st, MTA_C2S, NULL,
		               "The client sent %s before the server's greeting (RFC 5321 §3.1)",
		               smtp_verb_name(cmd.verb));
	}

	/* Pipelining (RFC 2920): a command sent while another still awaits its reply. */
	struct smtp_pend *prev = smtp_tail(st);
	if (prev && !st->queue_unknown && !st->group_flagged) {
		if (!(st->ext_bits & SMTP_EXT_PIPELINING)) {
			st->group_flagged = true;
			smtp_violation(st, MTA_C2S, NULL,
			               "The client sent %s without waiting for the reply to %s "
			               "(frame %llu), but the server did not advertise PIPELINING",
			               smtp_verb_name(cmd.verb), smtp_verb_name(prev->verb),
			               (unsigned long long)prev->frame);
		} else if (smtp_group_end(prev->verb)) {
			st->group_flagged = true;
			smtp_violation(st, MTA_C2S, NULL,
			               "The client sent %s without waiting for the reply to %s "
			               "(frame %llu); %s must be the last command of a pipelined "
			               "group (RFC 2920 §3.1)",
			               smtp_verb_name(cmd.verb), smtp_verb_name(prev->verb),
			               (unsigned long long)prev->frame, smtp_verb_name(prev->verb));
		}
	}

	struct smtp_pend *p = smtp_push(st);
	p->verb = cmd.verb;
	p->frame = frame;
	p->ts = now;
	bool check_psh = true;
	const uint8_t *addr;
	size_t alen;

	switch (cmd.verb) {
	case SV_EHLO:
	case SV_HELO:
		smtp_strcpy(st->helo_verb, sizeof(st->helo_verb), smtp_verb_name(cmd.verb));
		smtp_first_token(st->helo_name, sizeof(st->helo_name), cmd.arg, cmd.arg_len);
		if (t)
			smtp_txn_close(st,
			               "reset"); /* RFC 5321 §4.1.4: EHLO resets the transaction */
		break;
	case SV_MAIL:
		if (t)
			smtp_txn_close(st, t->data_sent ? "abandoned" : "reset");
		st->cur = smtp_txn_new(st);
		st->cur->mail_frame = frame;
		if (smtp_parse_path(cmd.arg, cmd.arg_len, "FROM:", &addr, &alen))
			smtp_copy(st->cur->from, sizeof(st->cur->from), addr, alen);
		break;
	case SV_RCPT:
		if (t && smtp_parse_path(cmd.arg, cmd.arg_len, "TO:", &addr, &alen)) {
			if (t->n_rcpt == t->cap_rcpt && t->cap_rcpt < SMTP_MAX_RCPT) {
				/* the first inside the transaction (most messages have one
				 * recipient), then 4, 8, ... up to the cap on the heap (a
				 * finished session lingers with its summary) */
				if (!t->cap_rcpt) {
					t->rcpt = &t->rcpt1;
					t->cap_rcpt = 1;
				} else {
					unsigned cap = t->cap_rcpt == 1 ? 4 : t->cap_rcpt * 2;
					if (cap > SMTP_MAX_RCPT)
						cap = SMTP_MAX_RCPT;
					struct smtp_rcpt *nr;
					if (t->rcpt == &t->rcpt1) {
						nr = malloc(cap * sizeof(*nr));
						if (nr)
							nr[0] = t->rcpt1;
					} else {
						nr = realloc(t->rcpt, cap * sizeof(*nr));
					}
					if (nr) {
						t->rcpt = nr;
						t->cap_rcpt = cap;
					}
				}
			}
			if (t->n_rcpt < t->cap_rcpt) {
				struct smtp_rcpt *r = &t->rcpt[t->n_rcpt];
				smtp_copy(r->to, sizeof(r->to), addr, alen);
				r->code = 0;
				r->frame = frame;
				p->rcpt = (int)t->n_rcpt++;
			} else {
				t->rcpt_omitted++;
			}
		}
		break;
	case SV_DATA:
		if (t) {
			t->data_sent = true;
			t->data_cmd_pending = true;
		}
		break;
	case SV_BDAT: {
		uint64_t size;
		bool last;
		if (!smtp_parse_bdat(cmd.arg, cmd.arg_len, &size, &last)) {
			smtp_violation(st, MTA_C2S, NULL,
			               "The client sent BDAT without a valid chunk size");
			break;
		}
		p->last = last;
		if (!t) {
			st->cur = smtp_txn_new(st);
			t = st->cur;
		}
		t->data_sent = true;
		t->bdat = true;
		t->body_started = true;
		if (last)
			t->body_done = true;
		if (size) {
			st->body_txn = t;
			st->chunk_size = size;
			st->chunk_left = size;
			st->chunk_last = last;
			sd->mode = SM_CHUNK;
			check_psh = false; /* the chunk follows at once: the client does not wait */
		}
		break;
	}
	case SV_QUIT:
		st->quit_sent = true;
		break;
	case SV_STARTTLS:
		st->starttls_pending = true;
		st->starttls_frame = frame;
		break;
	case SV_AUTH:
		/* the mechanism only; an initial response is a credential */
		smtp_first_token(st->auth_mech, sizeof(st->auth_mech), cmd.arg, cmd.arg_len);
		break;
	case SV_UNKNOWN: {
		bool letters = cmd.verb_len > 0 && cmd.verb_len < sizeof(p->word);
		for (size_t i = 0; letters && i < cmd.verb_len; i++)
			letters = (cmd.verb_p[i] >= 'A' && cmd.verb_p[i] <= 'Z') ||
			          (cmd.verb_p[i] >= 'a' && cmd.verb_p[i] <= 'z');
		if (letters && !st->queue_unknown)
			smtp_copy(p->word, sizeof(p->word), cmd.verb_p, cmd.verb_len);
		break;
	}
	default:
		break;
	}
	p->txn = smtp_cur_txn(st);
	if (conn_events_on(st->c))
		smtp_cmd_event(st, p, l, n, smtp_has_second_token(cmd.arg, cmd.arg_len));
	smtp_dialogue(st, frame, frame, 0, cmd.verb, p->word);
	if (check_psh && smtp_psh_missing(st, ev, at_end)) {
		char what[48];
		snprintf(what, sizeof(what), "the %s command line", smtp_verb_name(cmd.verb));
		p->nopsh = smtp_check_psh(st, MTA_C2S, ev, at_end, what);
	}
	return SL_DONE;
}

/* The end-of-data marker (or the last BDAT chunk) was sent. */
/* MTA_EV_SMTP_DATA: the end of a DATA body (bdat_last < 0) or of a BDAT chunk. */
static void smtp_data_event(struct smtp *st, uint64_t octets, int bdat_last)
{
	struct mta_event ev;
	char label[64];
	smtp_event_init(st, &ev, MTA_EV_SMTP_DATA, MTA_C2S);
	if (bdat_last < 0) {
		snprintf(label, sizeof(label), "<message, %llu octets> .",
		         (unsigned long long)octets);
		ev.smtp_cmd = "DATA";
	} else {
		snprintf(label, sizeof(label), "<chunk, %llu octets>%s", (unsigned long long)octets,
		         bdat_last ? " LAST" : "");
		ev.smtp_cmd = "BDAT";
	}
	ev.label = label;
	ev.data_octets = octets;
	if (st->body_txn)
		ev.transaction = st->body_txn->index;
	conn_event(st->c, &ev);
}

static void smtp_body_end(struct smtp *st, bool at_end, const struct rs_event *ev, bool bdat)
{
	struct smtp_txn *t = st->body_txn;
	st->side[MTA_C2S].mode = SM_LINE;
	st->body_txn = NULL;
	if (t)
		t->body_done = true;
	if (bdat || !t || t != st->cur || t->closed)
		return; /* BDAT: the BDAT command gets the reply; else answered early */
	smtp_dialogue(st, conn_cur_frame(st->c), conn_cur_frame(st->c), 0, SV_END_OF_DATA, NULL);
	struct smtp_pend *p = smtp_push(st);
	p->verb = SV_END_OF_DATA;
	p->frame = conn_cur_frame(st->c);
	p->ts = conn_cur_time(st->c);
	p->txn = t->index;
	p->nopsh = smtp_check_psh(st, MTA_C2S, ev, at_end, "the end-of-data marker (CRLF.CRLF)");
}

static void smtp_body_checks(struct smtp *st, uint64_t long_before, uint64_t barelf_before)
{
	struct smtp_txn *t = st->body_txn;
	if (!t)
		return;
	if (st->body.long_lines > long_before && !t->flag_long) {
		t->flag_long = true;
		smtp_violation(st, MTA_C2S, NULL,
		               "The message body has a line of %llu octets; RFC 5321 §4.5.3.1.6 "
		               "allows %u including CRLF (reported once per message)",
		               (unsigned long long)st->body.longest, SMTP_TEXT_LINE_MAX);
	}
	if (st->body.bare_lf > barelf_before && !t->flag_barelf) {
		t->flag_barelf = true;
		smtp_violation(st, MTA_C2S, NULL,
		               "The message body contains a bare LF (RFC 5321 §2.3.8 allows CR and "
		               "LF only as CRLF; reported once per message)");
	}
}

/* ---- stream events -------------------------------------------------------------------------- */

static inline __attribute__((always_inline)) size_t smtp_data(struct smtp *st, enum mta_dir dir,
                                                              const struct rs_event *ev)
{
	struct smtp_side *sd = &st->side[dir];
	size_t off = 0, len = ev->len;
	size_t max_line = conn_cfg(st->c)->max_line;
	if (!max_line)
		max_line = MTA_DEFAULT_MAX_LINE;

	while (off < len) {
		const uint8_t *p = ev->data + off;
		size_t n = len - off;
		if (st->tls || sd->mode == SM_TLS)
			return len;
		if (sd->mode == SM_DISCARD) {
			const uint8_t *lf = memchr(p, '\n', n);
			if (!lf)
				return len;
			off += (size_t)(lf - p) + 1;
			sd->mode = SM_LINE;
			continue;
		}
		if (dir == MTA_C2S && sd->mode == SM_BODY) {
			bool done;
			uint64_t long_before = st->body.long_lines,
			         barelf_before = st->body.bare_lf;
			size_t used = smtp_body_feed(&st->body, p, n, &done);
			off += used;
			if (st->body_txn)
				st->body_txn->body_octets += used;
			smtp_body_checks(st, long_before, barelf_before);
			if (done) {
				if (st->body_txn)
					st->body_txn->body_octets =
					    st->body_txn->body_octets >= 3
					        ? st->body_txn->body_octets - 3
					        : 0;
				if (conn_events_on(st->c))
					smtp_data_event(
					    st, st->body_txn ? st->body_txn->body_octets : 0, -1);
				smtp_body_end(st, off == len, ev, false);
			}
			continue;
		}
		if (dir == MTA_C2S && sd->mode == SM_CHUNK) {
			size_t take = n;
			if ((uint64_t)take > st->chunk_left)
				take = (size_t)st->chunk_left;
			st->chunk_left -= take;
			off += take;
			if (st->body_txn)
				st->body_txn->body_octets += take;
			if (!st->chunk_left) {
				sd->mode = SM_LINE;
				if (conn_events_on(st->c))
					smtp_data_event(st, st->chunk_size, st->chunk_last);
				/* contract §1.3: octets of a BDAT chunk never count for
				 * missing_psh, not even the last one of the LAST chunk */
				if (st->chunk_last)
					smtp_body_end(st, off == len, ev, true);
			}
			continue;
		}
		size_t content, term;
		bool bare;
		if (!smtp_find_line(p, n, &content, &term, &bare)) {
			if (n >= max_line) {
				smtp_violation(
				    st, dir, NULL,
				    "%s sent more than %zu octets without a line end; they are "
				    "discarded up to the next LF",
				    smtp_Who(dir), max_line);
				sd->mode = SM_DISCARD;
				return len;
			}
			break; /* a partial line: presented again with more bytes */
		}
		size_t used = content + term;
		bool at_end = off + used == len;
		enum smtp_line_res r;
		if (dir == MTA_C2S)
			r = smtp_client_line(st, p, content, term, bare, at_end, ev);
		else
			r = smtp_server_line(st, p, content, term, bare, at_end, ev);
		if (r == SL_DONE)
			off += used;
	}
	return off;
}

static void smtp_gap(struct smtp *st, enum mta_dir dir, const struct rs_event *ev)
{
	struct smtp_side *sd = &st->side[dir];
	char state[160];
	smtp_state(st, state, sizeof(state));
	char detail[160];
	snprintf(detail, sizeof(detail), "{\"octets\":%llu,\"offset\":%llu,\"dropped\":%zu}",
	         (unsigned long long)ev->gap_len, (unsigned long long)ev->offset, ev->dropped);
	if (ev->cause == RS_GAP_MEMCAP) {
		/* One finding per direction: later holes of the same flood are counted in the
		 * stats (buf_cap_hits), not repeated. */
		if (!sd->memcap_reported) {
			sd->memcap_reported = true;
			conn_emit_now(
			    st->c, MTA_F_SMTP_MEMCAP, -1, dir, 0, detail,
			    "The reassembly buffer cap was reached while %llu octets of the %s's "
			    "stream were missing (%zu buffered octets dropped), %s; analysis "
			    "continues after the hole",
			    (unsigned long long)ev->gap_len, smtp_who(dir), ev->dropped, state);
		}
	} else {
		const char *cause = ev->cause == RS_GAP_TRUNCATED ? " (cut by the snapshot length)"
		                    : ev->cause == RS_GAP_ACKED
		                        ? " (acknowledged by the peer but never "
		                          "captured)"
		                        : "";
		conn_emit_now(st->c, MTA_F_SMTP_TCP_GAP, -1, dir, 0, detail,
		              "%llu octets of the %s's stream are missing from the capture%s, %s; "
		              "SMTP parsing resumes after the gap",
		              (unsigned long long)ev->gap_len, smtp_who(dir), cause, state);
	}
	if (st->tls || sd->mode == SM_TLS)
		return;
	/* the greeting may have been in the hole: the client's first command is then no longer
	 * "before the greeting", and a 220 after the hole is the greeting only while the client
	 * has not spoken (as for a capture started mid-connection) */
	if (dir == MTA_S2C && !st->greeted)
		st->midstream = true;
	if (sd->mode == SM_CHUNK) {
		if (ev->gap_len < st->chunk_left) {
			st->chunk_left -= ev->gap_len; /* the hole is inside the chunk: exact */
			return;
		}
		st->chunk_left = 0;
		sd->mode = SM_LINE;
		if (st->chunk_last && st->cur)
			st->cur->body_done = true;
	}
	if (sd->mode == SM_BODY) {
		/* stay in the body; the marker may have been in the hole (a later reply ends it) */
		st->body.pos = SB_LINE;
		st->body_gap = true;
		st->queue_unknown = true;
		return;
	}
	sd->mode = SM_LINE;
	sd->resync = true;
	st->queue_unknown = true;
	if (dir == MTA_S2C) {
		st->acc.active = false;
		st->q_len = 0; /* replies were lost: the pairing restarts */
		st->group_flagged = false;
	}
	st->auth_cont = false;
}

static void smtp_message_lost(struct smtp *st, enum mta_dir dir, const char *how)
{
	struct smtp_txn *t = st->cur;
	if (!t || t->lost)
		return;
	t->lost = true;
	t->outcome = "lost";
	struct sbuf b;
	struct jw w;
	sb_init(&b);
	jw_init(&w, &b);
	jw_obj(&w, NULL);
	jw_str(&w, "mail_from", t->from);
	jw_arr(&w, "rcpt");
	for (unsigned i = 0; i < t->n_rcpt; i++)
		jw_str(&w, NULL, t->rcpt[i].to);
	jw_arr_end(&w);
	jw_u64(&w, "body_octets", t->body_octets);
	jw_bool(&w, "body_complete", t->body_done);
	jw_obj_end(&w);
	conn_emit_now(st->c, MTA_F_SMTP_MESSAGE_LOST, -1, dir, 0, b.oom ? NULL : sb_str(&b),
	              "The message from <%s> to %u recipient%s (%llu body octets%s) was not "
	              "delivered on this connection: the %s %s and no final reply to the message "
	              "was seen",
	              t->from, t->n_rcpt, t->n_rcpt == 1 ? "" : "s",
	              (unsigned long long)t->body_octets,
	              t->body_done ? ", complete" : " sent so far", smtp_who(dir), how);
	sb_free(&b);
}

static void smtp_fin(struct smtp *st, enum mta_dir dir)
{
	struct smtp_side *sd = &st->side[dir];
	if (sd->fin_delivered)
		return;
	sd->fin_delivered = true;
	bool first = !st->any_fin;
	st->any_fin = true;
	if (!st->end_how) {
		st->end_how = "fin";
		st->end_by = (int)dir;
		st->end_frame = conn_cur_frame(st->c);
	}
	if (st->tls)
		return;
	char state[160];
	smtp_state(st, state, sizeof(state));
	bool in_data = smtp_in_data(st);
	/* Orderly: after 221; a server closing after 421 (RFC 5321 §3.8); a client closing
	 * after it sent QUIT outside DATA (many clients do not wait for the 221). */
	bool exempt = st->quit_221 || (dir == MTA_S2C && st->saw_421) ||
	              (dir == MTA_C2S && st->quit_sent && !smtp_in_data(st));
	if (first && !exempt) {
		conn_emit_now(st->c, MTA_F_SMTP_ABRUPT_CLOSE, in_data ? MTA_SEV_ERROR : -1, dir, 0,
		              NULL, "%s closed the connection (FIN) %s, %s", smtp_Who(dir),
		              st->quit_sent ? "before QUIT was answered by 221" : "without QUIT",
		              state);
	}
	if (in_data && !st->cur->lost) {
		/* a client FIN after the complete message may still get its reply (half close) */
		if (dir == MTA_S2C || !st->cur->body_done)
			smtp_message_lost(st, dir, "closed the connection (FIN)");
	}
}

/* ---- analyser callbacks -----------------------------------------------------------------------
 */

static void *smtp_create(struct conn *c)
{
	/* ~3.4 KB of which only the first part holds state that starts at zero */
	struct smtp *st = malloc(sizeof(*st));
	if (!st)
		return NULL;
	memset(st, 0, offsetof(struct smtp, greeting));
	st->greeting[0] = '\0';
	st->helo_name[0] = '\0';
	st->spill.rcpt = NULL;
	st->c = c;
	st->end_by = -1;
	st->q = st->q_small;
	st->q_cap = SMTP_PENDING_INLINE;
	return st;
}

static void smtp_destroy(void *vst)
{
	struct smtp *st = vst;
	if (!st)
		return;
	for (unsigned i = 0; i < st->n_txn; i++) {
		smtp_rcpt_free(st->txns[i]);
		if (st->txns[i] != &st->txn1)
			free(st->txns[i]);
	}
	smtp_rcpt_free(&st->spill);
	free(st->dlg);
	smtp_ext_free(st, st->ext);
	smtp_ext_free(st, st->acc.ext);
	if (st->q != st->q_small)
		free(st->q);
	free(st);
}

static void __attribute__((noinline)) smtp_init_first(struct smtp *st)
{
	st->init = true;
	if (!conn_syn_seen(st->c)) {
		/* capture started mid-connection: the unseen start raises nothing */
		st->midstream = true;
		st->queue_unknown = true;
		st->side[MTA_C2S].resync = true;
		st->side[MTA_S2C].resync = true;
	}
}

static inline void smtp_init_once(struct smtp *st)
{
	if (!st->init)
		smtp_init_first(st);
}

static void __attribute__((noinline, cold)) smtp_rst(struct smtp *st, const struct seg_info *s)
{
	enum mta_dir dir = s->dir;
	struct smtp_side *sd = &st->side[dir];
	char state[160];
	smtp_state(st, state, sizeof(state));
	bool open = smtp_txn_open(st) && !st->tls;
	bool in_data = smtp_in_data(st) && !st->tls;
	const char *tail = in_data ? "; the message was not acknowledged"
	                   : open  ? "; the mail transaction was not completed"
	                           : "";
	char closed[80] = "";
	if (sd->fin)
		snprintf(closed, sizeof(closed),
		         " (it had already closed the connection: FIN in "
		         "frame %llu)",
		         (unsigned long long)sd->fin_frame);
	conn_emit_now(st->c, MTA_F_SMTP_RST, open ? MTA_SEV_ERROR : -1, dir, 0, NULL,
	              "%s reset the connection (RST)%s %s%s", smtp_Who(dir), closed, state, tail);

	/* the peer's payload sent after this side's FIN, answered by this RST (seed 002) */
	struct smtp_side *peer = &st->side[!dir];
	if (!st->tls && !sd->rst) {
		for (unsigned i = 0; i < peer->n_after_peer_fin; i++)
			conn_emit_now(
			    st->c, MTA_F_SMTP_DATA_AFTER_CLOSE, -1, (enum mta_dir) !dir,
			    peer->after_peer_fin[i], NULL,
			    "The %s's %u-octet segment (frame %llu) was answered by a RST: "
			    "the %s had already closed the connection, so the %s's write "
			    "fails (\"Socket is not connected\")%s",
			    smtp_who(!dir), peer->after_peer_fin_len[i],
			    (unsigned long long)peer->after_peer_fin[i], smtp_who(dir),
			    smtp_who(!dir),
			    st->quit_221 ? "; harmless here, the session had ended with "
			                   "QUIT/221"
			                 : "");
		peer->n_after_peer_fin = 0;
	}
	if (in_data && !st->cur->lost)
		smtp_message_lost(st, dir, "reset the connection");
	if (!sd->rst) {
		sd->rst = true;
		sd->rst_frame = s->frame;
	}
	if (!st->end_how) {
		st->end_how = "rst";
		st->end_by = (int)dir;
		st->end_frame = s->frame;
	}
}

/* The rare branches of smtp_on_segment, out of line so that the common path needs no frame. */
static void __attribute__((noinline, cold))
smtp_zero_window(struct smtp *st, const struct seg_info *s)
{
	char state[160];
	smtp_state(st, state, sizeof(state));
	conn_emit_now(st->c, MTA_F_SMTP_ZERO_WINDOW, -1, s->dir, 0, NULL,
	              "%s advertises a zero receive window (it cannot accept "
	              "more data from the %s for now), %s",
	              smtp_Who(s->dir), smtp_who(!s->dir), state);
}

static void __attribute__((noinline, cold))
smtp_after_close(struct smtp *st, const struct seg_info *s)
{
	struct smtp_side *sd = &st->side[s->dir];
	struct smtp_side *peer = &st->side[!s->dir];
	if (sd->fin && SEQ_GEQ(s->seq, sd->fin_seq)) {
		conn_emit_now(st->c, MTA_F_SMTP_DATA_AFTER_CLOSE, -1, s->dir, 0, NULL,
		              "%s sent %u octets after its own FIN", smtp_Who(s->dir),
		              s->payload_wire);
	} else if (peer->rst) {
		conn_emit_now(st->c, MTA_F_SMTP_DATA_AFTER_CLOSE, -1, s->dir, peer->rst_frame, NULL,
		              "%s sent %u octets after the %s reset the connection (RST "
		              "in frame %llu); the write fails (\"Socket is not connected\")",
		              smtp_Who(s->dir), s->payload_wire, smtp_who(!s->dir),
		              (unsigned long long)peer->rst_frame);
	} else if (peer->fin && !s->retrans && sd->n_after_peer_fin < SMTP_MAX_AFTER_FIN) {
		sd->after_peer_fin[sd->n_after_peer_fin] = s->frame;
		sd->after_peer_fin_len[sd->n_after_peer_fin++] = s->payload_wire;
	}
}

static void __attribute__((noinline)) smtp_seg_fin(struct smtp_side *sd, const struct seg_info *s)
{
	sd->fin = true;
	sd->fin_frame = s->frame;
	sd->fin_seq = s->seq + s->payload_wire + ((s->flags & TCPF_SYN) ? 1u : 0u);
}

static void smtp_on_segment(void *vst, const struct seg_info *s)
{
	struct smtp *st = vst;
	if (!st)
		return;
	smtp_init_once(st);
	smtp_check_stall(st, s->ts);

	struct smtp_side *sd = &st->side[s->dir];
	const struct smtp_side *peer = &st->side[!s->dir];
	bool rst = s->flags & TCPF_RST;
	bool payload = s->payload_wire > 0;

	if (!rst) {
		if (payload) {
			sd->segs++;
			if (!(s->flags & TCPF_PSH))
				sd->segs_nopsh++;
		}
		/* zero window: the window the sender of this segment advertises; once per
		 * episode */
		if (s->win == 0 && sd->win_nonzero)
			smtp_zero_window(st, s);
		sd->win_nonzero = s->win != 0;
	}

	if (payload && !st->tls && (sd->fin || peer->rst || peer->fin))
		smtp_after_close(st, s);

	if (s->dir == MTA_C2S && payload && !s->retrans)
		st->await_client = false;

	if ((s->flags & TCPF_FIN) && !sd->fin)
		smtp_seg_fin(sd, s);
	if (rst)
		smtp_rst(st, s);
}

static size_t smtp_on_stream(void *vst, enum mta_dir dir, const struct rs_event *ev)
{
	struct smtp *st = vst;
	if (!st)
		return ev->type == RS_DATA ? ev->len : 0;
	smtp_init_once(st);
	switch (ev->type) {
	case RS_DATA:
		return smtp_data(st, dir, ev);
	case RS_GAP:
		smtp_gap(st, dir, ev);
		return 0;
	case RS_FIN:
		smtp_fin(st, dir);
		return 0;
	case RS_RETRANS:
		st->side[dir].retrans++;
		conn_emit_now(st->c, MTA_F_SMTP_RETRANSMISSION, -1, dir, 0, NULL,
		              "%s re-sent %zu octets already seen (stream offset %llu)%s%s",
		              smtp_Who(dir), ev->len, (unsigned long long)ev->offset,
		              ev->conflict ? ", with different content" : "",
		              ev->partial ? ", together with new data" : "");
		return 0;
	}
	return 0;
}

static void smtp_on_tick(void *vst, struct mta_time now)
{
	struct smtp *st = vst;
	if (st)
		smtp_check_stall(st, now);
}

/* ---- summary ----------------------------------------------------------------------------------
 */

static const enum mta_finding_code smtp_codes[] = {
    MTA_F_SMTP_RST,
    MTA_F_SMTP_MISSING_PSH,
    MTA_F_SMTP_STALL,
    MTA_F_SMTP_ABRUPT_CLOSE,
    MTA_F_SMTP_DATA_AFTER_CLOSE,
    MTA_F_SMTP_MESSAGE_LOST,
    MTA_F_SMTP_REPLY_ERROR,
    MTA_F_SMTP_PROTOCOL_VIOLATION,
    MTA_F_SMTP_TCP_GAP,
    MTA_F_SMTP_RETRANSMISSION,
    MTA_F_SMTP_ZERO_WINDOW,
    MTA_F_SMTP_STARTTLS,
    MTA_F_SMTP_MEMCAP,
};

/* a reply code, or "(no reply)": at most 20 octets */
static char *smtp_code_put(char *d, int code)
{
	if (code)
		return sbw_i64(d, code);
	return SBW_LIT(d, "(no reply)");
}

/* The JSON summary, written straight into the buffer: before each part, room for its
 * upper bound (numbers at most SBW_U64_MAX octets, strings escaped at most SBW_JSON_MAX) is
 * made once, then the literal fragments, numbers and strings are copied in unchecked.  The
 * text is what the jw_* writer gives for the same members. */
#define SJ_ROOM(n) SB_REROOM(jb, d, n)

/* a string member's value, or null for NULL */
static char *smtp_sj_str(char *d, const char *s, size_t n)
{
	return s ? sbw_json_str(d, s, n) : SBW_LIT(d, "null");
}

/* A reply as the summary shows it: {"code", "enhanced" (when given), "text", "frame"}. */
static char *smtp_sj_reply(char *d, int code, const char *enh, size_t en, const char *text,
                           size_t tn, uint64_t frame)
{
	d = SBW_LIT(d, "{\"code\":");
	d = sbw_u64(d, (uint64_t)code);
	if (enh) {
		d = SBW_LIT(d, ",\"enhanced\":");
		d = sbw_json_str(d, enh, en);
	}
	d = SBW_LIT(d, ",\"text\":");
	d = sbw_json_str(d, text, tn);
	d = SBW_LIT(d, ",\"frame\":");
	d = sbw_u64(d, frame);
	*d++ = '}';
	return d;
}

/* How the session ended, for the summary: what the wire showed (quit, fin, rst), else why the
 * engine ended it (idle, evicted) or the end of the capture. */
static const char *smtp_end_how(const struct smtp *st, enum conn_end_reason why)
{
	if (st->end_how)
		return st->end_how;
	if (why == CONN_END_IDLE)
		return "idle";
	if (why == CONN_END_EVICTED)
		return "evicted";
	return "capture_end";
}

/* {"c2s":a,"s2c":b}, for the per-direction counters of the JSON summary */
static char *smtp_sj_dirs(char *d, uint64_t c2s, uint64_t s2c)
{
	d = SBW_LIT(d, "{\"c2s\":");
	d = sbw_u64(d, c2s);
	d = SBW_LIT(d, ",\"s2c\":");
	d = sbw_u64(d, s2c);
	*d++ = '}';
	return d;
}

static void smtp_summary_json(struct smtp *st, enum conn_end_reason why, struct sbuf *jb)
{
	const struct mta_conn_id *id = conn_id(st->c);
	struct mta_time ft = conn_first_time(st->c), lt = conn_last_time(st->c);
	size_t cn = strlen(id->client), sn = strlen(id->server);
	size_t gn = st->greeting_code ? strlen(st->greeting) : 0;
	bool helo = st->helo_verb[0] != '\0';
	size_t hv = helo ? strlen(st->helo_verb) : 0, hn = helo ? strlen(st->helo_name) : 0;
	size_t an = strlen(st->auth_mech);
	char *d = sb_room(jb, 512 + SBW_JSON_MAX(cn) + SBW_JSON_MAX(sn) + SBW_JSON_MAX(gn) +
	                          SBW_JSON_MAX(hv) + SBW_JSON_MAX(hn));
	if (!d)
		return;
	d = SBW_LIT(d, "{\"kind\":\"smtp_session\",\"client\":");
	d = sbw_json_str(d, id->client, cn);
	d = SBW_LIT(d, ",\"server\":");
	d = sbw_json_str(d, id->server, sn);
	d = SBW_LIT(d, ",\"first_frame\":");
	d = sbw_u64(d, conn_first_frame(st->c));
	d = SBW_LIT(d, ",\"first_time\":");
	d = sbw_time(d, ft.sec, ft.usec);
	d = SBW_LIT(d, ",\"last_frame\":");
	d = sbw_u64(d, conn_last_frame(st->c));
	d = SBW_LIT(d, ",\"last_time\":");
	d = sbw_time(d, lt.sec, lt.usec);
	if (conn_syn_seen(st->c))
		d = SBW_LIT(d, ",\"handshake_seen\":true");
	else
		d = SBW_LIT(d, ",\"handshake_seen\":false");
	d = SBW_LIT(d, ",\"greeting\":");
	if (st->greeting_code)
		d = smtp_sj_reply(d, st->greeting_code, NULL, 0, st->greeting, gn, st->greeting_frame);
	else
		d = SBW_LIT(d, "null");
	d = SBW_LIT(d, ",\"helo_verb\":");
	d = smtp_sj_str(d, helo ? st->helo_verb : NULL, hv);
	d = SBW_LIT(d, ",\"helo_name\":");
	d = smtp_sj_str(d, helo ? st->helo_name : NULL, hn);
	d = SBW_LIT(d, ",\"extensions\":[");
	for (unsigned i = 0; i < st->n_ext; i++) {
		size_t en = strlen(st->ext[i]);
		SJ_ROOM(1 + SBW_JSON_MAX(en));
		if (i)
			*d++ = ',';
		d = sbw_json_str(d, st->ext[i], en);
	}
	SJ_ROOM(128 + SBW_JSON_MAX(an));
	if (st->tls)
		d = SBW_LIT(d, "],\"starttls\":true");
	else
		d = SBW_LIT(d, "],\"starttls\":false");
	if (st->auth_mech[0]) {
		d = SBW_LIT(d, ",\"auth\":{\"mechanism\":");
		d = sbw_json_str(d, st->auth_mech, an);
		d = SBW_LIT(d, ",\"code\":");
		if (st->auth_code)
			d = sbw_u64(d, (uint64_t)st->auth_code);
		else
			d = SBW_LIT(d, "null");
		*d++ = '}';
	}
	d = SBW_LIT(d, ",\"transactions\":[");
	for (unsigned i = 0; i < st->n_txn; i++) {
		const struct smtp_txn *t = st->txns[i];
		size_t fn = strlen(t->from);
		SJ_ROOM(128 + SBW_JSON_MAX(fn));
		if (i)
			*d++ = ',';
		d = SBW_LIT(d, "{\"mail_from\":");
		d = sbw_json_str(d, t->from, fn);
		d = SBW_LIT(d, ",\"mail_frame\":");
		d = sbw_u64(d, t->mail_frame);
		d = SBW_LIT(d, ",\"mail_code\":");
		if (t->mail_code)
			d = sbw_u64(d, (uint64_t)t->mail_code);
		else
			d = SBW_LIT(d, "null");
		d = SBW_LIT(d, ",\"rcpt\":[");
		for (unsigned k = 0; k < t->n_rcpt; k++) {
			size_t tn = strlen(t->rcpt[k].to);
			SJ_ROOM(48 + SBW_JSON_MAX(tn));
			if (k)
				*d++ = ',';
			d = SBW_LIT(d, "{\"to\":");
			d = sbw_json_str(d, t->rcpt[k].to, tn);
			d = SBW_LIT(d, ",\"code\":");
			if (t->rcpt[k].code)
				d = sbw_u64(d, (uint64_t)t->rcpt[k].code);
			else
				d = SBW_LIT(d, "null");
			*d++ = '}';
		}
		size_t en = t->final_code && t->final_enh[0] ? strlen(t->final_enh) : 0;
		size_t xn = t->final_code ? strlen(t->final_text) : 0;
		size_t qn = t->queue_id[0] ? strlen(t->queue_id) : 0;
		size_t on = t->outcome ? strlen(t->outcome) : 0;
		SJ_ROOM(320 + SBW_JSON_MAX(en) + SBW_JSON_MAX(xn) + SBW_JSON_MAX(qn) +
		        SBW_JSON_MAX(on));
		*d++ = ']';
		if (t->rcpt_omitted) {
			d = SBW_LIT(d, ",\"rcpt_omitted\":");
			d = sbw_u64(d, t->rcpt_omitted);
		}
		if (t->bdat)
			d = SBW_LIT(d, ",\"data\":\"BDAT\"");
		else if (t->data_sent || t->body_started)
			d = SBW_LIT(d, ",\"data\":\"DATA\"");
		else
			d = SBW_LIT(d, ",\"data\":null");
		d = SBW_LIT(d, ",\"body_octets\":");
		d = sbw_u64(d, t->body_octets);
		d = SBW_LIT(d, ",\"final_reply\":");
		if (t->final_code)
			d = smtp_sj_reply(d, t->final_code, t->final_enh[0] ? t->final_enh : NULL, en,
			                  t->final_text, xn, t->final_frame);
		else
			d = SBW_LIT(d, "null");
		d = SBW_LIT(d, ",\"queue_id\":");
		d = smtp_sj_str(d, t->queue_id[0] ? t->queue_id : NULL, qn);
		d = SBW_LIT(d, ",\"outcome\":");
		d = smtp_sj_str(d, t->outcome, on);
		*d++ = '}';
	}
	const char *how = smtp_end_how(st, why);
	size_t hown = strlen(how);
	SJ_ROOM(512 + SBW_JSON_MAX(hown));
	*d++ = ']';
	if (st->txn_total > st->n_txn) {
		d = SBW_LIT(d, ",\"transactions_omitted\":");
		d = sbw_u64(d, st->txn_total - st->n_txn);
	}
	d = SBW_LIT(d, ",\"end\":{\"how\":");
	d = sbw_json_str(d, how, hown);
	if (st->end_by < 0)
		d = SBW_LIT(d, ",\"by\":null");
	else if (st->end_by == MTA_C2S)
		d = SBW_LIT(d, ",\"by\":\"client\"");
	else
		d = SBW_LIT(d, ",\"by\":\"server\"");
	if (st->end_frame) {
		d = SBW_LIT(d, ",\"frame\":");
		d = sbw_u64(d, st->end_frame);
	}
	d = SBW_LIT(d, "},\"segments\":");
	d = smtp_sj_dirs(d, st->side[MTA_C2S].segs, st->side[MTA_S2C].segs);
	d = SBW_LIT(d, ",\"segments_without_psh\":");
	d = smtp_sj_dirs(d, st->side[MTA_C2S].segs_nopsh, st->side[MTA_S2C].segs_nopsh);
	d = SBW_LIT(d, ",\"retransmissions\":");
	d = smtp_sj_dirs(d, st->side[MTA_C2S].retrans, st->side[MTA_S2C].retrans);
	d = SBW_LIT(d, ",\"findings\":{");
	bool first = true;
	for (size_t i = 0; i < sizeof(smtp_codes) / sizeof(smtp_codes[0]); i++) {
		unsigned k = conn_finding_count(st->c, smtp_codes[i]);
		if (!k)
			continue;
		/* the codes are plain ASCII literals of the catalogue: keys as they are */
		const char *code = mta_finding_code_str(smtp_codes[i]);
		size_t kn = strlen(code);
		SJ_ROOM(kn + 4 + SBW_U64_MAX);
		if (!first)
			*d++ = ',';
		first = false;
		*d++ = '"';
		d = sbw_mem(d, code, kn);
		*d++ = '"';
		*d++ = ':';
		d = sbw_u64(d, k);
	}
	SJ_ROOM(32);
	d = SBW_LIT(d, "},\"latency_ms\":{");
	/* verb names need no escaping */
	first = true;
	for (int v = 0; v < SV_COUNT; v++) {
		const struct smtp_lat *l = &st->lat[v];
		if (!l->n)
			continue;
		const char *name = smtp_verb_name((enum smtp_verb)v);
		size_t vn = strlen(name);
		SJ_ROOM(vn + 48 + SBW_U64_MAX + 2 * SBW_MILLI_MAX + SBW_FIXED_MAX);
		if (first) {
			*d++ = '"';
		} else {
			*d++ = ',';
			*d++ = '"';
		}
		first = false;
		d = sbw_mem(d, name, vn);
		d = SBW_LIT(d, "\":{\"count\":");
		d = sbw_u64(d, l->n);
		d = SBW_LIT(d, ",\"min\":");
		d = sbw_milli(d, l->min);
		d = SBW_LIT(d, ",\"avg\":");
		/* n > 0 and sum < 2^64: finite, below 1e17 */
		d = sbw_fixed(d, (double)l->sum / (double)l->n / 1000.0, 3);
		d = SBW_LIT(d, ",\"max\":");
		d = sbw_milli(d, l->max);
		*d++ = '}';
	}
	SJ_ROOM(32);
	d = SBW_LIT(d, "},\"dialogue\":[");
	/* the dialogue: [frame, "VERB"] for commands, [frame, code] or [frame, code, first
	 * frame] for replies (arguments are never listed) */
	for (unsigned i = 0; i < st->n_dlg; i++) {
		const struct smtp_unit *u = &st->dlg[i];
		SJ_ROOM(8 + 3 * SBW_U64_MAX + SBW_JSON_MAX(sizeof(u->word) + 16));
		if (i)
			*d++ = ',';
		*d++ = '[';
		d = sbw_u64(d, u->frame);
		*d++ = ',';
		if (u->code) {
			d = sbw_u64(d, u->code);
			if (u->first_frame != u->frame) {
				*d++ = ',';
				d = sbw_u64(d, u->first_frame);
			}
		} else if (u->word[0]) {
			d = sbw_json_str(d, u->word, strlen(u->word));
		} else {
			/* verb names need no escaping */
			const char *v = smtp_verb_name((enum smtp_verb)u->verb);
			*d++ = '"';
			d = sbw_mem(d, v, strlen(v));
			*d++ = '"';
		}
		*d++ = ']';
	}
	SJ_ROOM(32 + SBW_U64_MAX);
	*d++ = ']';
	if (st->dlg_omitted) {
		d = SBW_LIT(d, ",\"dialogue_omitted\":");
		d = sbw_u64(d, st->dlg_omitted);
	}
	*d++ = '}';
	sb_done(jb, d);
}
#undef SJ_ROOM

/* The human block, written straight into the buffer like the JSON summary (room for each
 * part's upper bound, then unchecked copies; no printf: this runs once per session). */
#define ST_ROOM(n) SB_REROOM(tb, d, n)

static void smtp_summary_text(struct smtp *st, enum conn_end_reason why, struct sbuf *tb)
{
	conn_summary_head(st->c, "SMTP session", tb);
	size_t gn = st->greeting_code ? strlen(st->greeting) : 0;
	size_t hv = st->helo_verb[0] ? strlen(st->helo_verb) : 0;
	size_t hn = st->helo_verb[0] ? strlen(st->helo_name) : 0;
	size_t an = st->auth_mech[0] ? strlen(st->auth_mech) : 0;
	char *d = sb_room(tb, 256 + gn + hv + hn + an);
	if (!d)
		return;
	*d++ = '\n';
	if (st->greeting_code) {
		d = SBW_LIT(d, "  greeting: ");
		d = sbw_i64(d, st->greeting_code);
		*d++ = ' ';
		d = sbw_mem(d, st->greeting, gn);
		*d++ = '\n';
	} else if (conn_syn_seen(st->c)) {
		d = SBW_LIT(d, "  greeting: not seen\n");
	} else {
		d = SBW_LIT(d, "  greeting: not seen (capture started mid-session)\n");
	}
	if (st->helo_verb[0]) {
		*d++ = ' ';
		*d++ = ' ';
		d = sbw_mem(d, st->helo_verb, hv);
		*d++ = ' ';
		d = sbw_mem(d, st->helo_name, hn);
		if (st->n_ext)
			d = SBW_LIT(d, "; extensions:");
		for (unsigned i = 0; i < st->n_ext; i++) {
			size_t en = strlen(st->ext[i]);
			ST_ROOM(2 + en);
			if (i)
				*d++ = ',';
			*d++ = ' ';
			d = sbw_mem(d, st->ext[i], en);
		}
		ST_ROOM(64 + an);
		*d++ = '\n';
	}
	if (st->auth_mech[0]) {
		d = SBW_LIT(d, "  AUTH ");
		d = sbw_mem(d, st->auth_mech, an);
		d = SBW_LIT(d, " -> ");
		d = sbw_i64(d, st->auth_code);
		*d++ = '\n';
	}
	ST_ROOM(64);
	if (st->tls)
		d = SBW_LIT(d, "  STARTTLS accepted: the rest of the session is encrypted\n");
	for (unsigned i = 0; i < st->n_txn; i++) {
		const struct smtp_txn *t = st->txns[i];
		size_t fn = strlen(t->from);
		ST_ROOM(96 + fn); /* 69 + fn at most: the number and the code at their longest */
		d = SBW_LIT(d, "  transaction ");
		d = sbw_u64(d, i + 1);
		d = SBW_LIT(d, ": MAIL FROM:<");
		d = sbw_mem(d, t->from, fn);
		d = SBW_LIT(d, "> ");
		d = smtp_code_put(d, t->mail_code);
		for (unsigned k = 0; k < t->n_rcpt; k++) {
			size_t rn = strlen(t->rcpt[k].to);
			ST_ROOM(48 + rn);
			d = SBW_LIT(d, "; RCPT TO:<");
			d = sbw_mem(d, t->rcpt[k].to, rn);
			d = SBW_LIT(d, "> ");
			d = smtp_code_put(d, t->rcpt[k].code);
		}
		size_t xn = t->final_code ? strlen(t->final_text) : 0;
		size_t qn = t->queue_id[0] ? strlen(t->queue_id) : 0;
		const char *out = t->outcome ? t->outcome : "(null)";
		size_t on = strlen(out);
		ST_ROOM(160 + xn + qn + on);
		if (t->data_sent || t->body_started) {
			if (t->bdat)
				d = SBW_LIT(d, "; BDAT ");
			else
				d = SBW_LIT(d, "; DATA ");
			d = sbw_u64(d, t->body_octets);
			d = SBW_LIT(d, " octets");
		}
		if (t->final_code) {
			d = SBW_LIT(d, "; final ");
			d = sbw_i64(d, t->final_code);
			*d++ = ' ';
			d = sbw_mem(d, t->final_text, xn);
		}
		if (t->queue_id[0]) {
			d = SBW_LIT(d, " (queue id ");
			d = sbw_mem(d, t->queue_id, qn);
			*d++ = ')';
		}
		d = SBW_LIT(d, " -> ");
		d = sbw_mem(d, out, on);
		*d++ = '\n';
	}
	size_t hown = st->end_how ? strlen(st->end_how) : 0;
	ST_ROOM(512 + hown);
	if (st->txn_total > st->n_txn) {
		d = SBW_LIT(d, "  (");
		d = sbw_u64(d, st->txn_total - st->n_txn);
		d = SBW_LIT(d, " more transactions not listed)\n");
	}
	if (st->end_how) {
		d = SBW_LIT(d, "  ended: ");
		d = sbw_mem(d, st->end_how, hown);
		d = SBW_LIT(d, " by the ");
		if (st->end_by < 0)
			*d++ = '?';
		else if (st->end_by == MTA_C2S)
			d = SBW_LIT(d, "client");
		else
			d = SBW_LIT(d, "server");
		d = SBW_LIT(d, " (frame ");
		d = sbw_u64(d, st->end_frame);
		*d++ = ')';
		*d++ = '\n';
	} else if (why == CONN_END_IDLE) {
		d = SBW_LIT(d, "  ended: idle (no packet for the idle timeout; mtadiag stopped "
		               "tracking it)\n");
	} else if (why == CONN_END_EVICTED) {
		d = SBW_LIT(d, "  ended: evicted (connection table full; mtadiag dropped its "
		               "state)\n");
	} else {
		d = SBW_LIT(d, "  ended: capture end (connection still open)\n");
	}
	d = SBW_LIT(d, "  data segments: client ");
	d = sbw_u64(d, st->side[0].segs);
	d = SBW_LIT(d, " (");
	d = sbw_u64(d, st->side[0].segs_nopsh);
	d = SBW_LIT(d, " without PSH), server ");
	d = sbw_u64(d, st->side[1].segs);
	d = SBW_LIT(d, " (");
	d = sbw_u64(d, st->side[1].segs_nopsh);
	d = SBW_LIT(d, " without PSH); retransmissions: client ");
	d = sbw_u64(d, st->side[0].retrans);
	d = SBW_LIT(d, ", server ");
	d = sbw_u64(d, st->side[1].retrans);
	*d++ = '\n';
	bool any = false;
	for (size_t i = 0; i < sizeof(smtp_codes) / sizeof(smtp_codes[0]); i++) {
		unsigned k = conn_finding_count(st->c, smtp_codes[i]);
		if (!k)
			continue;
		/* short names: the finding lines carry the full codes (and -q leaves them out) */
		const char *name = mta_finding_code_str(smtp_codes[i]);
		const char *dot = strchr(name, '.');
		const char *sn = dot ? dot + 1 : name;
		size_t snn = strlen(sn);
		ST_ROOM(16 + snn + SBW_U64_MAX);
		if (any)
			d = SBW_LIT(d, ", ");
		else
			d = SBW_LIT(d, "  findings: ");
		d = sbw_mem(d, sn, snn);
		*d++ = ' ';
		d = sbw_u64(d, k);
		any = true;
	}
	if (any)
		*d++ = '\n';
	any = false;
	for (int v = 0; v < SV_COUNT; v++) {
		const struct smtp_lat *l = &st->lat[v];
		if (!l->n)
			continue;
		const char *name = smtp_verb_name((enum smtp_verb)v);
		size_t vn = strlen(name);
		ST_ROOM(64 + vn + SBW_U64_MAX + 2 * SBW_FIXED_MAX);
		if (any)
			d = SBW_LIT(d, ", ");
		else
			d = SBW_LIT(d, "  reply latency: ");
		d = sbw_mem(d, name, vn);
		*d++ = ' ';
		d = sbw_u64(d, l->n);
		d = SBW_LIT(d, "x avg ");
		/* n > 0 and values below 2^64: finite, below 1e17 */
		d = sbw_fixed(d, (double)l->sum / (double)l->n / 1000.0, 1);
		d = SBW_LIT(d, " ms max ");
		d = sbw_fixed(d, (double)l->max / 1000.0, 1);
		d = SBW_LIT(d, " ms");
		any = true;
	}
	ST_ROOM(1);
	if (any)
		*d++ = '\n';
	sb_done(tb, d);
}
#undef ST_ROOM

/* Render the renderings the front end uses (mta_config.summary_no_*) and hand them over. */
static void smtp_summary(struct smtp *st, enum conn_end_reason why)
{
	const struct mta_config *cfg = conn_cfg(st->c);
	struct sbuf *jb = NULL, *tb = NULL;
	if (!cfg->summary_no_json) {
		jb = conn_summary_buf(st->c, 0);
		smtp_summary_json(st, why, jb);
	}
	if (!cfg->summary_no_text) {
		tb = conn_summary_buf(st->c, 1);
		smtp_summary_text(st, why, tb);
	}
	if ((jb && jb->oom) || (tb && tb->oom))
		return;
	conn_summary(st->c, jb ? sb_str(jb) : NULL, tb ? sb_str(tb) : NULL);
}

static void smtp_on_end(void *vst, enum conn_end_reason why)
{
	struct smtp *st = vst;
	if (!st)
		return;
	smtp_init_once(st);
	if (why == CONN_END_EVICTED)
		conn_emit_now(st->c, MTA_F_SMTP_MEMCAP, -1, MTA_C2S, 0, NULL,
		              "The connection table was full: mtadiag dropped this connection's "
		              "state (the oldest tracked connection); anything after this frame is "
		              "not analysed");

	/* stall decided at the end (contract §1.3): no later frame past the threshold came */
	struct mta_time end = conn_last_time(st->c);
	struct mta_time cur = conn_cur_time(st->c);
	if (cur.sec > end.sec || (cur.sec == end.sec && cur.usec > end.usec))
		end = cur;
	uint64_t thr = smtp_stall_usec(st);
	struct smtp_pend *h = smtp_head(st);
	bool any_rst = st->side[0].rst || st->side[1].rst;
	char unit[SMTP_ADDR_MAX + 64], name[SMTP_ADDR_MAX + 32];
	if (!st->tls && h && !h->stall_done && !st->side[MTA_S2C].fin && !st->side[MTA_S2C].rst) {
		uint64_t w = smtp_usec(h->ts, end);
		bool gave_up = st->side[MTA_C2S].fin || st->side[MTA_C2S].rst;
		if (w > thr || (gave_up && h->verb != SV_QUIT)) {
			h->stall_done = true;
			smtp_unit_name(st, h, name, sizeof(name));
			snprintf(unit, sizeof(unit), "sent %s (frame %llu), which", name,
			         (unsigned long long)h->frame);
			smtp_emit_stall(st, MTA_C2S, h->frame, h->nopsh, unit, w, gave_up);
		}
	}
	if (!st->tls && st->await_client && !st->await_stall_done && !st->side[MTA_C2S].fin &&
	    !st->side[MTA_C2S].rst) {
		uint64_t w = smtp_usec(st->await_ts, end);
		bool gave_up = st->side[MTA_S2C].fin || st->side[MTA_S2C].rst;
		if (w > thr || gave_up) {
			st->await_stall_done = true;
			snprintf(unit, sizeof(unit), "sent the %d reply (frame %llu), which",
			         st->await_code, (unsigned long long)st->await_frame);
			smtp_emit_stall(st, MTA_S2C, st->await_frame, st->await_nopsh, unit, w,
			                gave_up);
		}
	}
	(void)any_rst;

	if (smtp_txn_open(st)) {
		struct smtp_txn *t = st->cur;
		if (!t->lost)
			t->outcome = why == CONN_END_CAPTURE && !st->end_how ? "open"
			             : t->body_done                          ? "unacknowledged"
			                                                     : "abandoned";
		st->cur = NULL;
		t->closed = true;
	}
	smtp_summary(st, why);
}

const struct analyser_ops smtp_analyser = {
    .proto = MTA_PROTO_SMTP,
    .name = "smtp",
    .create = smtp_create,
    .destroy = smtp_destroy,
    .on_segment = smtp_on_segment,
    .on_stream = smtp_on_stream,
    .on_tick = smtp_on_tick,
    .on_end = smtp_on_end,
};
