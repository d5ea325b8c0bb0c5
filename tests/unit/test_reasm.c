/* test_reasm.c — TCP reassembly (lib/reasm.c): ordering, overlaps, gaps, FIN, wrap, memory cap */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decode.h"
#include "reasm.h"
#include "testutil.h"

/* ---- a recording consumer ---------------------------------------------------------------- */

enum policy { CONSUME_ALL, CONSUME_LINE, CONSUME_NONE, CONSUME_K };

struct dyn {
	char *p;
	size_t len, cap;
};

static void dyn_add(struct dyn *d, const void *p, size_t n)
{
	if (d->len + n + 1 > d->cap) {
		size_t cap = d->cap ? d->cap : 256;
		while (cap < d->len + n + 1)
			cap *= 2;
		d->p = realloc(d->p, cap);
		assert_non_null(d->p);
		d->cap = cap;
	}
	if (n)
		memcpy(d->p + d->len, p, n);
	d->len += n;
	d->p[d->len] = 0;
}

static void dyn_fmt(struct dyn *d, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof(tmp));
	dyn_add(d, tmp, (size_t)n);
}

struct rec {
	enum policy policy;
	size_t k;
	/* transcript: consumed octets, with [GAP ...] and [FIN ...] markers in stream order */
	struct dyn out;
	/* octets presented but not consumed, and the stream offset of their first octet */
	struct dyn held;
	uint64_t held_off;
	unsigned n_data, n_gap, n_fin, n_retrans, n_conflict, n_partial;
	uint64_t gap_octets;
	size_t dropped;
	size_t max_len;     /* largest ev->len seen */
	bool strict_gap;    /* check gap offsets against the consumer's view */
	const uint8_t *ref; /* when set: the stream, which every new octet must match */
	size_t ref_len;
	/* per delivery: psh/seg_frame/frame, in order */
	struct {
		uint64_t end, seg_frame, frame;
		bool psh, fin;
		size_t new_len;
	} dl[64];
	unsigned n_dl;
	struct {
		uint64_t off, len;
		bool conflict, partial;
	} rt[16];
	struct {
		uint64_t off, len;
		size_t dropped;
		enum rs_gap_cause cause;
	} gp[16];
};

static void rec_init(struct rec *r, enum policy p, size_t k)
{
	memset(r, 0, sizeof(*r));
	r->policy = p;
	r->k = k;
	r->strict_gap = true;
	dyn_add(&r->out, "", 0);
	dyn_add(&r->held, "", 0);
}

static void rec_free(struct rec *r)
{
	free(r->out.p);
	free(r->held.p);
}

static size_t rec_sink(void *ctx, const struct rs_event *ev)
{
	struct rec *r = ctx;
	switch (ev->type) {
	case RS_DATA: {
		assert_true(ev->new_len <= ev->len);
		assert_non_null(ev->data);
		/* the old part is exactly what we left last time, at the offset we expect */
		assert_int_equal(ev->offset, r->held_off);
		assert_int_equal(ev->len - ev->new_len, r->held.len);
		if (r->held.len)
			assert_memory_equal(ev->data, r->held.p, r->held.len);
		if (ev->len > r->max_len)
			r->max_len = ev->len;
		if (r->ref) {
			uint64_t o = ev->offset + (ev->len - ev->new_len);
			assert_true(o + ev->new_len <= r->ref_len);
			assert_memory_equal(ev->data + (ev->len - ev->new_len), r->ref + o,
			                    ev->new_len);
		}
		if (r->n_dl < 64) {
			r->dl[r->n_dl].end = ev->offset + ev->len;
			r->dl[r->n_dl].seg_frame = ev->seg_frame;
			r->dl[r->n_dl].frame = ev->frame;
			r->dl[r->n_dl].psh = ev->psh;
			r->dl[r->n_dl].fin = ev->fin;
			r->dl[r->n_dl].new_len = ev->new_len;
			r->n_dl++;
		}
		r->n_data++;
		size_t c = 0;
		switch (r->policy) {
		case CONSUME_ALL:
			c = ev->len;
			break;
		case CONSUME_LINE:
			for (size_t i = ev->len; i > 0; i--)
				if (ev->data[i - 1] == '\n') {
					c = i;
					break;
				}
			break;
		case CONSUME_NONE:
			c = 0;
			break;
		case CONSUME_K:
			c = ev->len < r->k ? ev->len : r->k;
			break;
		}
		dyn_add(&r->out, ev->data, c);
		r->held.len = 0;
		dyn_add(&r->held, ev->data + c, ev->len - c);
		r->held_off = ev->offset + c;
		return c;
	}
	case RS_GAP:
		if (r->n_gap < 16) {
			r->gp[r->n_gap].off = ev->offset;
			r->gp[r->n_gap].len = ev->gap_len;
			r->gp[r->n_gap].dropped = ev->dropped;
			r->gp[r->n_gap].cause = ev->cause;
		}
		r->n_gap++;
		r->gap_octets += ev->gap_len;
		r->dropped += ev->dropped;
		assert_true(ev->dropped <= r->held.len);
		if (ev->gap_len == 0) {
			/* the oldest `dropped` unconsumed octets are discarded (memory cap) */
			assert_int_equal(ev->cause, RS_GAP_MEMCAP);
			assert_true(ev->dropped > 0);
			memmove(r->held.p, r->held.p + ev->dropped, r->held.len - ev->dropped);
			r->held.len -= ev->dropped;
			r->held_off += ev->dropped;
			assert_int_equal(ev->offset, r->held_off);
		} else {
			if (r->strict_gap)
				assert_int_equal(ev->offset, r->held_off + r->held.len);
			assert_int_equal(ev->dropped, r->held.len);
			r->held.len = 0;
			r->held_off = ev->offset + ev->gap_len;
		}
		dyn_fmt(&r->out, "[GAP %llu+%llu c%d d%zu]", (unsigned long long)ev->offset,
		        (unsigned long long)ev->gap_len, (int)ev->cause, ev->dropped);
		return 0;
	case RS_FIN:
		r->n_fin++;
		assert_int_equal(r->n_fin, 1);
		assert_true(ev->offset <= r->held_off + r->held.len);
		dyn_fmt(&r->out, "[FIN %llu]", (unsigned long long)ev->offset);
		return 0;
	case RS_RETRANS:
		if (r->n_retrans < 16) {
			r->rt[r->n_retrans].off = ev->offset;
			r->rt[r->n_retrans].len = ev->len;
			r->rt[r->n_retrans].conflict = ev->conflict;
			r->rt[r->n_retrans].partial = ev->partial;
		}
		r->n_retrans++;
		r->n_conflict += ev->conflict;
		r->n_partial += ev->partial;
		return 0;
	}
	fail();
	return 0;
}

/* ---- scenarios ---------------------------------------------------------------------------- */

enum step_kind { SEG, ACK, FLUSH };

struct step {
	enum step_kind kind;
	uint32_t seq; /* SEG: sequence number; ACK: ack number */
	const char *data;
	size_t len;      /* captured; (size_t)-1 = strlen(data) */
	size_t wire_len; /* 0 = len */
	uint8_t flags;
	enum rs_gap_cause cause; /* FLUSH */
};

#define S(seq, str, fl)                                                                            \
	{                                                                                          \
		SEG, (seq), (str), (size_t)-1, 0, (fl), 0                                          \
	}
#define ST(seq, str, wire, fl)                                                                     \
	{                                                                                          \
		SEG, (seq), (str), (size_t)-1, (wire), (fl), 0                                     \
	}
#define A(ack)                                                                                     \
	{                                                                                          \
		ACK, (ack), NULL, 0, 0, 0, 0                                                       \
	}
#define FL(c)                                                                                      \
	{                                                                                          \
		FLUSH, 0, NULL, 0, 0, 0, (c)                                                       \
	}
#define END                                                                                        \
	{                                                                                          \
		FLUSH, 0, NULL, 0, 0, 0xff, 0                                                      \
	}

static size_t step_len(const struct step *s)
{
	return s->len == (size_t)-1 ? strlen(s->data) : s->len;
}

static void feed_seg(struct reasm *ra, struct rec *rc, uint32_t seq, const char *d, size_t len,
                     size_t wire, uint8_t flags, uint64_t frame)
{
	uint8_t *g = tu_guarded_copy(d, len);
	reasm_segment(ra, seq, len ? g : NULL, len, wire, flags, frame, rec_sink, rc);
	tu_guarded_free(g, len);
	assert_true(reasm_buffered(ra) <= ra->max_buf);
}

/* A receiver with policy pol and buffer cap, and the stream opened by a SYN with sequence
 * number isn (frame 1): data starts at isn + 1. */
static void syn_start(struct reasm *ra, struct rec *rc, enum policy pol, size_t cap, uint32_t isn)
{
	rec_init(rc, pol, 0);
	reasm_init(ra, cap);
	feed_seg(ra, rc, isn, NULL, 0, 0, TCPF_SYN, 1);
}

static bool is_end(const struct step *s)
{
	return s->kind == FLUSH && s->flags == 0xff;
}

/* How a scenario's segments are cut: whole, byte by byte, or one segment split at cut points. */
struct cutting {
	int mode;       /* 0 whole, 1 bytes, 2 split one step */
	unsigned which; /* mode 2: index of the step to split */
	size_t cuts[2]; /* mode 2: cut offsets within the captured payload */
	unsigned ncuts;
	bool reverse; /* mode 2: feed the pieces last first */
};

static void feed_pieces(struct reasm *ra, struct rec *rc, const struct step *s, uint64_t frame,
                        const size_t *cuts, unsigned ncuts, bool reverse)
{
	size_t len = step_len(s), wire = s->wire_len ? s->wire_len : len;
	size_t b[4];
	unsigned nb = 0;
	b[nb++] = 0;
	for (unsigned i = 0; i < ncuts; i++)
		b[nb++] = cuts[i];
	b[nb] = len;
	uint32_t dseq = s->seq + ((s->flags & TCPF_SYN) ? 1 : 0);
	for (unsigned j = 0; j < nb; j++) {
		unsigned i = reverse ? nb - 1 - j : j;
		size_t lo = b[i], hi = b[i + 1];
		bool first = i == 0, last = i == nb - 1;
		uint8_t fl = s->flags & ~(TCPF_SYN | TCPF_FIN | TCPF_PSH);
		if (first)
			fl |= s->flags & TCPF_SYN;
		if (last)
			fl |= s->flags & (TCPF_FIN | TCPF_PSH);
		uint32_t seq = (first && (s->flags & TCPF_SYN)) ? s->seq : dseq + (uint32_t)lo;
		size_t w = last ? wire - lo : hi - lo;
		feed_seg(ra, rc, seq, s->data + lo, hi - lo, w, fl, frame);
	}
}

static void run(const struct step *steps, struct rec *rc, size_t max_buf, const struct cutting *cut)
{
	struct reasm ra;
	reasm_init(&ra, max_buf);
	uint64_t frame = 1;
	for (unsigned i = 0; !is_end(&steps[i]); i++, frame++) {
		const struct step *s = &steps[i];
		if (s->kind == ACK) {
			reasm_ack(&ra, s->seq, frame, rec_sink, rc);
			continue;
		}
		if (s->kind == FLUSH) {
			reasm_flush(&ra, s->cause, frame, rec_sink, rc);
			continue;
		}
		size_t len = step_len(s);
		if (cut->mode == 1 && len > 1) {
			/* byte by byte: feed pieces of one octet, in order */
			for (size_t off = 0; off < len; off++) {
				size_t hi = off + 1;
				uint8_t fl = s->flags & ~(TCPF_SYN | TCPF_FIN | TCPF_PSH);
				if (off == 0)
					fl |= s->flags & TCPF_SYN;
				if (hi == len)
					fl |= s->flags & (TCPF_FIN | TCPF_PSH);
				uint32_t dseq = s->seq + ((s->flags & TCPF_SYN) ? 1 : 0);
				uint32_t seq = (off == 0 && (s->flags & TCPF_SYN))
				                   ? s->seq
				                   : dseq + (uint32_t)off;
				size_t wire = s->wire_len ? s->wire_len : len;
				size_t w = hi == len ? wire - off : 1;
				feed_seg(&ra, rc, seq, s->data + off, 1, w, fl, frame);
			}
		} else if (cut->mode == 2 && cut->which == i) {
			/* last piece first would move the start of a stream not yet started */
			feed_pieces(&ra, rc, s, frame, cut->cuts, cut->ncuts,
			            cut->reverse && ra.started);
		} else {
			feed_seg(&ra, rc, s->seq, s->data, len, s->wire_len ? s->wire_len : len,
			         s->flags, frame);
		}
	}
	reasm_free(&ra);
}

/* Run a scenario whole, then byte by byte and split at every offset (and every pair of offsets
 * for short segments, each also fed in reverse), demanding the same transcript each time. */
static void replay(const struct step *steps, enum policy pol, size_t max_buf, const char *expect)
{
	struct cutting whole = {0};
	struct rec base;
	rec_init(&base, pol, 0);
	run(steps, &base, max_buf, &whole);
	if (expect)
		assert_string_equal(base.out.p, expect);

	struct cutting bytes = {.mode = 1};
	struct rec rc;
	rec_init(&rc, pol, 0);
	run(steps, &rc, max_buf, &bytes);
	assert_string_equal(rc.out.p, base.out.p);
	rec_free(&rc);

	for (unsigned i = 0; !is_end(&steps[i]); i++) {
		if (steps[i].kind != SEG)
			continue;
		size_t len = step_len(&steps[i]);
		for (size_t a = 1; a < len; a++) {
			for (int rev = 0; rev < 2; rev++) {
				struct cutting c = {
				    .mode = 2, .which = i, .ncuts = 1, .reverse = rev};
				c.cuts[0] = a;
				rec_init(&rc, pol, 0);
				run(steps, &rc, max_buf, &c);
				assert_string_equal(rc.out.p, base.out.p);
				rec_free(&rc);
			}
			if (len > 40)
				continue;
			for (size_t b = a + 1; b < len; b++) {
				for (int rev = 0; rev < 2; rev++) {
					struct cutting c = {
					    .mode = 2, .which = i, .ncuts = 2, .reverse = rev};
					c.cuts[0] = a;
					c.cuts[1] = b;
					rec_init(&rc, pol, 0);
					run(steps, &rc, max_buf, &c);
					assert_string_equal(rc.out.p, base.out.p);
					rec_free(&rc);
				}
			}
		}
	}
	rec_free(&base);
}

#define BIG ((size_t)1 << 20)

/* ---- tests ---------------------------------------------------------------------------------- */

static void test_in_order(void **state)
{
	(void)state;
	const struct step st[] = {
	    S(1000, "", TCPF_SYN),
	    S(1001, "HELO a\r\n", TCPF_PSH),
	    S(1009, "MAIL FROM:<x>\r\n", TCPF_PSH),
	    S(1024, "QUIT\r\n", TCPF_PSH | TCPF_FIN),
	    END,
	};
	replay(st, CONSUME_ALL, BIG, "HELO a\r\nMAIL FROM:<x>\r\nQUIT\r\n[FIN 29]");
	replay(st, CONSUME_LINE, BIG, "HELO a\r\nMAIL FROM:<x>\r\nQUIT\r\n[FIN 29]");
}

static void test_out_of_order_reverse(void **state)
{
	(void)state;
	const struct step st[] = {
	    S(100, "", TCPF_SYN),
	    S(111, "third\n", 0),
	    S(106, "cond\n", 0),
	    S(101, "first", 0),
	    END,
	};
	replay(st, CONSUME_ALL, BIG, "firstcond\nthird\n");
	replay(st, CONSUME_LINE, BIG, "firstcond\nthird\n");
	replay(st, CONSUME_NONE, BIG, "");
}

static void test_out_of_order_interleaved(void **state)
{
	(void)state;
	/* offsets: a 0-4, b 4-8, c 8-12, d 12-16, e 16-20 */
	const struct step st[] = {
	    S(100, "", TCPF_SYN),
	    S(105, "bbb\n", 0),
	    S(113, "ddd\n", 0),
	    S(101, "aaa\n", 0),
	    S(117, "eee\n", TCPF_FIN),
	    S(109, "ccc\n", 0),
	    END,
	};
	replay(st, CONSUME_ALL, BIG, "aaa\nbbb\nccc\nddd\neee\n[FIN 20]");
	replay(st, CONSUME_LINE, BIG, "aaa\nbbb\nccc\nddd\neee\n[FIN 20]");
}

/* Retransmissions of delivered bytes: reported, never delivered twice; conflict detected
 * through the remembered segments (consumer took everything) or the unconsumed bytes. */
static void test_retrans_exact(void **state)
{
	(void)state;
	const struct step st[] = {
	    S(0, "", TCPF_SYN),         S(1, "HELO a\r\n", TCPF_PSH), S(1, "HELO a\r\n", TCPF_PSH),
	    S(9, "NOOP\r\n", TCPF_PSH), S(1, "HELO a\r\n", TCPF_PSH), END,
	};
	replay(st, CONSUME_ALL, BIG, "HELO a\r\nNOOP\r\n");
	struct rec rc;
	struct cutting whole = {0};
	rec_init(&rc, CONSUME_ALL, 0);
	run(st, &rc, BIG, &whole);
	assert_int_equal(rc.n_retrans, 2);
	assert_int_equal(rc.rt[0].off, 0);
	assert_int_equal(rc.rt[0].len, 8);
	assert_false(rc.rt[0].conflict);
	assert_false(rc.rt[0].partial);
	assert_int_equal(rc.rt[1].off, 0);
	assert_false(rc.rt[1].conflict);
	rec_free(&rc);
}

static void test_retrans_conflict_delivered(void **state)
{
	(void)state;
	const struct step st[] = {
	    S(0, "", TCPF_SYN),
	    S(1, "RCPT TO:<a@b>\r\n", TCPF_PSH),
	    S(1, "RCPT TO:<x@y>\r\n", TCPF_PSH),         /* same place, other bytes: first wins */
	    S(1, "RCPT TO:<a@b>\r\nDATA\r\n", TCPF_PSH), /* extension, same first part */
	    S(1, "RCPT TO:<a@c>\r\nDATA\r\n", TCPF_PSH), /* extension, differing */
	    END,
	};
	replay(st, CONSUME_ALL, BIG, "RCPT TO:<a@b>\r\nDATA\r\n");
	struct cutting whole = {0};
	for (int pol = 0; pol < 3; pol++) {
		struct rec rc;
		rec_init(&rc, (enum policy)pol, 0);
		run(st, &rc, BIG, &whole);
		assert_int_equal(rc.n_retrans, 3);
		assert_true(rc.rt[0].conflict);
		assert_false(rc.rt[0].partial);
		assert_int_equal(rc.rt[0].len, 15);
		assert_false(rc.rt[1].conflict);
		assert_true(rc.rt[1].partial);
		assert_int_equal(rc.rt[1].len, 15);
		assert_true(rc.rt[2].conflict);
		assert_false(rc.rt[2].partial);
		assert_int_equal(rc.rt[2].len, 21);
		if (pol != CONSUME_NONE)
			assert_string_equal(rc.out.p, "RCPT TO:<a@b>\r\nDATA\r\n");
		else
			assert_string_equal(rc.out.p, "");
		rec_free(&rc);
	}
}

/* Delivered segments longer than 256 octets are remembered by a sampled fingerprint: a re-sent
 * copy is the same when it is the same, and differs when its length, its first or last octets
 * or its whole content differ. */
static void test_retrans_conflict_long(void **state)
{
	(void)state;
	enum { N = 1400 };
	static char orig[N + 1], first[N + 1], last[N + 1], other[N + 1];
	for (size_t i = 0; i < N; i++) {
		orig[i] = (char)('a' + i % 26);
		other[i] = (char)('A' + i % 26);
	}
	memcpy(first, orig, N);
	memcpy(last, orig, N);
	first[0] = '#';
	last[N - 1] = '#';
	const char *copies[] = { orig, first, last, other };
	for (int v = 0; v < 4; v++) {
		const struct step st[] = {
		    S(0, "", TCPF_SYN), S(1, orig, 0), S(1, copies[v], 0), END,
		};
		struct cutting whole = {0};
		struct rec rc;
		rec_init(&rc, CONSUME_ALL, 0);
		run(st, &rc, BIG, &whole);
		assert_int_equal(rc.n_retrans, 1);
		assert_int_equal(rc.rt[0].len, N);
		assert_int_equal(rc.rt[0].conflict, v != 0);
		rec_free(&rc);
	}
}

/* A conflict inside a re-sent range that only partly matches a remembered segment can be
 * checked only while the bytes are still unconsumed. */
static void test_retrans_conflict_pending(void **state)
{
	(void)state;
	const struct step st[] = {
	    S(0, "", TCPF_SYN),
	    S(1, "abcdefgh", 0),
	    S(4, "dXf", 0),
	    END,
	};
	struct cutting whole = {0};
	struct rec rc;
	rec_init(&rc, CONSUME_NONE, 0);
	run(st, &rc, BIG, &whole);
	assert_int_equal(rc.n_retrans, 1);
	assert_int_equal(rc.rt[0].off, 3);
	assert_int_equal(rc.rt[0].len, 3);
	assert_true(rc.rt[0].conflict);
	rec_free(&rc);
	rec_init(&rc, CONSUME_ALL, 0);
	run(st, &rc, BIG, &whole);
	assert_int_equal(rc.n_retrans, 1);
	assert_false(rc.rt[0].conflict); /* not checkable: the delivered copy is gone */
	rec_free(&rc);
}

static void test_partial_overlap(void **state)
{
	(void)state;
	const struct step st[] = {
	    S(0, "", TCPF_SYN),
	    S(1, "0123456789", 0),
	    S(6, "56789ABCDE", 0),
	    S(14, "DEFG\n", TCPF_FIN),
	    END,
	};
	replay(st, CONSUME_ALL, BIG, "0123456789ABCDEFG\n[FIN 18]");
	replay(st, CONSUME_LINE, BIG, "0123456789ABCDEFG\n[FIN 18]");
	struct cutting whole = {0};
	struct rec rc;
	rec_init(&rc, CONSUME_ALL, 0);
	run(st, &rc, BIG, &whole);
	assert_int_equal(rc.n_retrans, 2);
	assert_int_equal(rc.rt[0].off, 5);
	assert_int_equal(rc.rt[0].len, 5);
	assert_true(rc.rt[0].partial);
	assert_false(rc.rt[0].conflict);
	assert_int_equal(rc.rt[1].off, 13);
	assert_int_equal(rc.rt[1].len, 2);
	assert_true(rc.rt[1].partial);
	rec_free(&rc);
}

/* Overlapping out-of-order copies: first copy wins, conflict flagged, bytes delivered once. */
static void test_overlap_buffered_conflict(void **state)
{
	(void)state;
	const struct step st[] = {
	    S(0, "", TCPF_SYN),       S(11, "KLMNO", 0), /* 10-15 */
	    S(21, "UVWXY", 0),                           /* 20-25 */
	    S(9, "ij_lmnopqrstu", 0), /* 8-21: differs at 11 (inside KLMNO), fills 15-20 */
	    S(1, "abcdefgh", 0),      /* 0-8 */
	    S(26, "Z\n", TCPF_FIN),   END,
	};
	replay(st, CONSUME_ALL, BIG, "abcdefghijKLMNOpqrstUVWXYZ\n[FIN 27]");
	struct cutting whole = {0};
	struct rec rc;
	rec_init(&rc, CONSUME_ALL, 0);
	run(st, &rc, BIG, &whole);
	assert_int_equal(rc.n_retrans, 1);
	assert_int_equal(rc.rt[0].off, 10);
	assert_int_equal(rc.rt[0].len, 6);
	assert_true(rc.rt[0].conflict);
	assert_true(rc.rt[0].partial);
	rec_free(&rc);

	/* same bytes: no conflict */
	const struct step st2[] = {
	    S(0, "", TCPF_SYN), S(11, "KLMNO", 0), S(9, "ijKLMNOpq", 0), S(1, "abcdefgh", 0), END,
	};
	rec_init(&rc, CONSUME_ALL, 0);
	run(st2, &rc, BIG, &whole);
	assert_string_equal(rc.out.p, "abcdefghijKLMNOpq");
	assert_int_equal(rc.n_retrans, 1);
	assert_false(rc.rt[0].conflict);
	rec_free(&rc);
}

/* Sequence numbers wrap through 2^32 within the stream. */
static void test_wrap(void **state)
{
	(void)state;
	const struct step st[] = {
	    S(0xFFFFFFF0u, "", TCPF_SYN),
	    S(0xFFFFFFF1u, "0123456789", 0),   /* 0-10: 0xFFFFFFF1..0xFFFFFFFA */
	    S(0x00000005u, "klmnopqrst", 0),   /* 20-30 (seq 5 = offset 20) */
	    S(0xFFFFFFFBu, "abcdefghij", 0),   /* 10-20, crosses zero */
	    S(0x0000000Fu, "uvw\n", TCPF_FIN), /* 30-34 */
	    A(0x00000014u),                    /* ack of FIN: no gap */
	    END,
	};
	replay(st, CONSUME_ALL, BIG, "0123456789abcdefghijklmnopqrstuvw\n[FIN 34]");
	replay(st, CONSUME_LINE, BIG, "0123456789abcdefghijklmnopqrstuvw\n[FIN 34]");
}

/* Stream offsets continue past 4 GiB: holes acknowledged in large steps, data after them. */
static void test_offsets_past_4g(void **state)
{
	(void)state;
	const uint32_t d = 0xFFFFFF01u; /* sequence number of offset 0 */
	const uint32_t step = 0x30000000u;
	const struct step st[] = {
	    S(0xFFFFFF00u, "", TCPF_SYN),
	    S(d, "abc\n", 0),
	    A(d + 1 * step),
	    S(d + 2 * step, "ooo\n", 0),   /* out of order beyond the next hole */
	    A(d + 2 * step + 2),           /* inside it: gap then the segment */
	    A(d + 2 * step + 0x50000000u), /* more than 1 GiB ahead: ignored */
	    A(d + 3 * step),
	    A(d + 4 * step),
	    A(d + 5 * step),
	    A(d + 6 * step),
	    S(d + 6 * step, "after 4G\n", TCPF_FIN),
	    S(d + 6 * step - 4, "xxxxafter", 0), /* retransmission straddling the old gap */
	    END,
	};
	char expect[512];
	unsigned long long s1 = step, s2 = 2ull * step, s6 = 6ull * step;
	snprintf(expect, sizeof(expect),
	         "abc\n[GAP 4+%llu c1 d0][GAP %llu+%llu c1 d0]ooo\n[GAP %llu+%llu c1 d0]"
	         "[GAP %llu+%llu c1 d0][GAP %llu+%llu c1 d0][GAP %llu+%llu c1 d0]after 4G\n"
	         "[FIN %llu]",
	         s1 - 4, s1, s1, s2 + 4, s1 - 4, 3ull * step, s1, 4ull * step, s1, 5ull * step, s1,
	         s6 + 9);
	replay(st, CONSUME_ALL, BIG, expect);
	struct cutting whole = {0};
	struct rec rc;
	rec_init(&rc, CONSUME_ALL, 0);
	run(st, &rc, BIG, &whole);
	assert_true(rc.dl[rc.n_dl - 1].end == s6 + 9);
	assert_true(s6 > 0x100000000ull);
	assert_int_equal(rc.n_retrans, 1);
	assert_int_equal(rc.rt[0].off, s6 - 4);
	assert_int_equal(rc.rt[0].len, 9);
	rec_free(&rc);
}

static void test_gap_by_ack(void **state)
{
	(void)state;
	/* hole 4-12, buffered 12-16 and 20-24 (hole 16-20) */
	const struct step st[] = {
	    S(0, "", TCPF_SYN),
	    S(1, "ab\ncd", 0), /* 0-5, pending "cd" for the line consumer */
	    S(13, "mno\n", 0), /* 12-16 */
	    S(21, "uvw\n", 0), /* 20-24 */
	    A(9),              /* hole 5-12 lies partly below: gap 5-8 only */
	    S(9, "ijkl", 0),   /* 8-12: delivered, then 12-16 */
	    A(20),             /* ack stops at the hole's end: gap 16-19 */
	    A(23),             /* gap 19-20 then 20-24 */
	    S(25, "z\n", TCPF_FIN),
	    A(28), /* ack of the FIN */
	    END,
	};
	replay(st, CONSUME_ALL, BIG,
	       "ab\ncd[GAP 5+3 c1 d0]ijklmno\n[GAP 16+3 c1 d0][GAP 19+1 c1 d0]uvw\nz\n[FIN 26]");
	replay(st, CONSUME_LINE, BIG,
	       "ab\n[GAP 5+3 c1 d2]ijklmno\n[GAP 16+3 c1 d0][GAP 19+1 c1 d0]uvw\nz\n[FIN 26]");
}

static void test_gap_at_flush(void **state)
{
	(void)state;
	const struct step st[] = {
	    S(0, "", TCPF_SYN),     S(1, "one\n", 0),
	    S(9, "three\n", 0), /* hole 4-8 */
	    S(19, "five", 0),   /* hole 14-18 */
	    FL(RS_GAP_CAPTURE_END), END,
	};
	replay(st, CONSUME_ALL, BIG, "one\n[GAP 4+4 c4 d0]three\n[GAP 14+4 c4 d0]five");
	replay(st, CONSUME_LINE, BIG, "one\n[GAP 4+4 c4 d0]three\n[GAP 14+4 c4 d0]");
}

static void test_fin_after_filled_hole(void **state)
{
	(void)state;
	const struct step st[] = {
	    S(0, "", TCPF_SYN),     S(1, "QUIT", 0),
	    S(7, "", TCPF_FIN),     /* FIN at 6 while 4-6 is missing */
	    S(7, "", TCPF_FIN),     /* duplicate FIN */
	    S(5, "\r\n", TCPF_PSH), /* fills: then FIN */
	    S(7, "", TCPF_FIN),     END,
	};
	replay(st, CONSUME_ALL, BIG, "QUIT\r\n[FIN 6]");
	struct cutting whole = {0};
	struct rec rc;
	rec_init(&rc, CONSUME_ALL, 0);
	run(st, &rc, BIG, &whole);
	assert_int_equal(rc.n_fin, 1);
	rec_free(&rc);
}

static void test_fin_with_hole_then_flush(void **state)
{
	(void)state;
	const struct step st[] = {
	    S(0, "", TCPF_SYN),      S(1, "QUIT", 0),
	    S(9, "bye\n", TCPF_FIN), /* 8-12, FIN at 12; hole 4-8 */
	    FL(RS_GAP_CAPTURE_END),  END,
	};
	replay(st, CONSUME_ALL, BIG, "QUIT[GAP 4+4 c4 d0]bye\n[FIN 12]");
	replay(st, CONSUME_LINE, BIG, "[GAP 4+4 c4 d4]bye\n[FIN 12]");
	/* FIN-only segment beyond a hole: the hole up to the FIN is the gap */
	const struct step st2[] = {
	    S(0, "", TCPF_SYN), S(1, "QUIT", 0), S(9, "", TCPF_FIN), FL(RS_GAP_CLOSED), END,
	};
	replay(st2, CONSUME_ALL, BIG, "QUIT[GAP 4+4 c3 d0][FIN 8]");
}

/* RST mid-stream: the engine flushes with RS_GAP_CLOSED; a hole and unconsumed bytes remain. */
static void test_rst_flush(void **state)
{
	(void)state;
	const struct step st[] = {
	    S(0, "", TCPF_SYN),
	    S(1, "MAIL FROM:<a>\r\nRCPT", 0), /* "RCPT" stays unconsumed for the line consumer */
	    S(25, "<b>\r\nDATA\r\n", 0),      /* 24-35 after a hole 19-24 */
	    FL(RS_GAP_CLOSED),
	    S(20, " TO:<", 0), /* late: already gapped, a retransmission */
	    END,
	};
	replay(st, CONSUME_ALL, BIG, "MAIL FROM:<a>\r\nRCPT[GAP 19+5 c3 d0]<b>\r\nDATA\r\n");
	replay(st, CONSUME_LINE, BIG, "MAIL FROM:<a>\r\n[GAP 19+5 c3 d4]<b>\r\nDATA\r\n");
	/* unconsumed bytes at the end are presented once more, then discarded */
	const struct step st2[] = {
	    S(0, "", TCPF_SYN),
	    S(1, "partial line", TCPF_PSH),
	    FL(RS_GAP_CLOSED),
	    END,
	};
	struct cutting whole = {0};
	struct rec rc;
	rec_init(&rc, CONSUME_LINE, 0);
	run(st2, &rc, BIG, &whole);
	assert_int_equal(rc.n_data, 2);
	assert_int_equal(rc.dl[1].new_len, 0);
	assert_int_equal(rc.dl[1].end, 12);
	assert_true(rc.dl[1].psh);
	assert_int_equal(rc.dl[1].seg_frame, 2);
	assert_int_equal(rc.n_gap, 0);
	rec_free(&rc);
}

/* Pure ACKs (zero-length segments) produce nothing, and do not start a stream. */
static void test_zero_length(void **state)
{
	(void)state;
	const struct step st[] = {
	    S(500, "", 0), A(12345),       S(1000, "abc", 0), S(1003, "", 0),
	    S(999, "", 0), S(2000, "", 0), S(1003, "def", 0), END,
	};
	replay(st, CONSUME_ALL, BIG, "abcdef");
	struct cutting whole = {0};
	struct rec rc;
	rec_init(&rc, CONSUME_ALL, 0);
	run(st, &rc, BIG, &whole);
	assert_int_equal(rc.n_retrans, 0);
	assert_int_equal(rc.n_gap, 0);
	assert_int_equal(rc.n_data, 2);
	rec_free(&rc);
}

/* Snaplen-truncated payload: the captured part, then a gap for the rest. */
static void test_truncated(void **state)
{
	(void)state;
	const struct step st[] = {
	    S(0, "", TCPF_SYN),
	    ST(1, "abcd", 10, 0),     /* 0-4 captured, 4-10 cut */
	    ST(21, "uvwx", 8, 0),     /* 20-24 captured, 24-28 cut, buffered */
	    ST(11, "klmn", 10, 0),    /* 10-14 captured, 14-20 cut: then 20-24, then 24-28 */
	    S(29, "end\n", TCPF_FIN), /* 28-32 */
	    END,
	};
	replay(st, CONSUME_ALL, BIG,
	       "abcd[GAP 4+6 c2 d0]klmn[GAP 14+6 c2 d0]uvwx[GAP 24+4 c2 d0]end\n[FIN 32]");
	/* a truncated tail running into buffered data stops at it */
	const struct step st2[] = {
	    S(0, "", TCPF_SYN), S(9, "IJ", 0), ST(1, "ab", 12, 0), FL(RS_GAP_CAPTURE_END), END,
	};
	replay(st2, CONSUME_ALL, BIG, "ab[GAP 2+6 c2 d0]IJ[GAP 10+2 c2 d0]");
}

/* No SYN seen: offset 0 is the first payload byte seen; earlier bytes are not a gap. */
static void test_mid_stream(void **state)
{
	(void)state;
	const struct step st[] = {
	    S(5000, "250 OK\r\n", 0),
	    S(4990, "0123456789250 OK\r\n", 0), /* starts before offset 0 */
	    S(5008, "354 go\r\n", 0),
	    S(4000, "old", 0), /* wholly before the start */
	    A(5016),
	    END,
	};
	replay(st, CONSUME_ALL, BIG, "250 OK\r\n354 go\r\n");
	struct cutting whole = {0};
	struct rec rc;
	rec_init(&rc, CONSUME_ALL, 0);
	struct reasm ra;
	reasm_init(&ra, BIG);
	for (unsigned i = 0; i < 4; i++)
		feed_seg(&ra, &rc, st[i].seq, st[i].data, strlen(st[i].data), strlen(st[i].data), 0,
		         i + 1);
	assert_int_equal(ra.ignored, 13);
	assert_int_equal(rc.n_retrans, 1);
	assert_int_equal(rc.rt[0].off, 0);
	assert_int_equal(rc.rt[0].len, 8);
	assert_false(rc.rt[0].conflict);
	reasm_free(&ra);
	rec_free(&rc);
	(void)whole;
	/* a mid-stream start that is itself out of order: later bytes before it are lost */
	const struct step st2[] = {
	    S(7000, "second\n", 0),
	    S(6993, "first\n ", 0),
	    S(7007, "third\n", 0),
	    END,
	};
	replay(st2, CONSUME_ALL, BIG, "second\nthird\n");
}

/* TFO: the SYN carries data. */
static void test_syn_with_data(void **state)
{
	(void)state;
	const struct step st[] = {
	    S(77, "EHLO x\r\n", TCPF_SYN),
	    S(86, "QUIT\r\n", TCPF_PSH | TCPF_FIN),
	    A(93),
	    END,
	};
	replay(st, CONSUME_ALL, BIG, "EHLO x\r\nQUIT\r\n[FIN 14]");
}

/* Each delivery ends at a segment's end and carries that segment's PSH/FIN/frame. */
static void test_psh_seg_frame(void **state)
{
	(void)state;
	struct rec rc;
	struct reasm ra;
	for (int pol = 0; pol < 3; pol++) {
		syn_start(&ra, &rc, (enum policy)pol, BIG, 10);
		feed_seg(&ra, &rc, 11, "aa", 2, 2, TCPF_PSH, 2);  /* 0-2 */
		feed_seg(&ra, &rc, 15, "cc", 2, 2, 0, 3);         /* 4-6 */
		feed_seg(&ra, &rc, 17, "dd", 2, 2, TCPF_PSH, 4);  /* 6-8 */
		feed_seg(&ra, &rc, 13, "bb", 2, 2, 0, 5);         /* 2-4: fills */
		feed_seg(&ra, &rc, 21, "ff", 2, 2, TCPF_FIN, 6);  /* 10-12 */
		feed_seg(&ra, &rc, 19, "eeX", 3, 3, TCPF_PSH, 7); /* 8-11: piece 8-10 joins 10-12 */
		assert_int_equal(rc.n_dl, 5);
		const uint64_t end[] = {2, 4, 6, 8, 12}, sf[] = {2, 5, 3, 4, 6},
		               fr[] = {2, 5, 5, 5, 7};
		const bool psh[] = {true, false, false, true, false};
		for (unsigned i = 0; i < 5; i++) {
			assert_int_equal(rc.dl[i].end, end[i]);
			assert_int_equal(rc.dl[i].seg_frame, sf[i]);
			assert_int_equal(rc.dl[i].frame, fr[i]);
			assert_int_equal(rc.dl[i].psh, psh[i]);
			assert_int_equal(rc.dl[i].fin, i == 4);
		}
		assert_int_equal(rc.n_fin, 1);
		assert_int_equal(rc.n_retrans, 1);
		assert_true(rc.rt[0].conflict);
		if (pol == CONSUME_ALL)
			assert_string_equal(rc.out.p, "aabbccddeeff[FIN 12]");
		reasm_free(&ra);
		rec_free(&rc);
	}
}

/* Out-of-order flood beyond the cap: the oldest hole is given up (RS_GAP_MEMCAP) and the
 * buffered data delivered; the buffer never exceeds the cap (checked after every segment). */
static void test_cap_flood(void **state)
{
	(void)state;
	struct rec rc;
	struct reasm ra;
	char seg[10];
	syn_start(&ra, &rc, CONSUME_ALL, 100, 0);
	/* offset 0-10 lost; 10..300 arrive */
	for (unsigned i = 1; i < 30; i++) {
		memset(seg, 'a' + (int)(i % 26), sizeof(seg));
		feed_seg(&ra, &rc, 1 + 10 * i, seg, 10, 10, 0, 1 + i);
		assert_true(ra.ooo_bytes <= 100);
	}
	assert_int_equal(ra.cap_hits, 1);
	assert_int_equal(rc.n_gap, 1);
	assert_int_equal(rc.gp[0].off, 0);
	assert_int_equal(rc.gp[0].len, 10);
	assert_int_equal(rc.gp[0].cause, RS_GAP_MEMCAP);
	assert_int_equal(rc.out.len, strlen("[GAP 0+10 c5 d0]") + 290);
	assert_int_equal(ra.next, 300);
	/* the lost segment shows up late: never seen before, so not a retransmission */
	feed_seg(&ra, &rc, 1, "0123456789", 10, 10, 0, 40);
	assert_int_equal(rc.n_retrans, 0);
	/* octets that were delivered, sent again: a retransmission, counted from the first
	 * delivered octet */
	feed_seg(&ra, &rc, 1 + 5, "5678901234", 10, 10, 0, 41);
	assert_int_equal(rc.n_retrans, 1);
	assert_int_equal(rc.rt[0].off, 10);
	assert_int_equal(rc.rt[0].len, 5);
	/* once the peer acknowledges past the hole, its octets were sent: a copy is re-sent */
	reasm_ack(&ra, 1 + 20, 42, rec_sink, &rc);
	feed_seg(&ra, &rc, 1, "0123456789", 10, 10, 0, 43);
	assert_int_equal(rc.n_retrans, 2);
	assert_int_equal(rc.rt[1].off, 0);
	assert_int_equal(rc.rt[1].len, 10);
	reasm_free(&ra);
	rec_free(&rc);
}

/* Holes given up at the cap are remembered (at most REASM_HOLES_MAX, the closest merged): late
 * octets in any of them are not re-sent, delivered octets between them are. */
static void test_cap_holes_remembered(void **state)
{
	(void)state;
	struct reasm ra;
	struct rec rc;
	char seg[10];
	syn_start(&ra, &rc, CONSUME_ALL, 10, 0);
	/* octets [20k, 20k+10) lost, [20k+10, 20k+20) captured: with a 10-octet cap each new
	 * segment gives up the hole before the one buffered (12 holes, the 13th segment stays) */
	uint64_t frame = 2;
	for (unsigned k = 0; k <= 12; k++) {
		memset(seg, 'a' + (int)k, sizeof(seg));
		feed_seg(&ra, &rc, 1 + 20 * k + 10, seg, 10, 10, 0, frame++);
	}
	assert_int_equal(rc.n_gap, 12);
	assert_int_equal(ra.next, 20 * 11 + 20);
	assert_int_equal(ra.n_holes, 8);
	assert_int_equal(rc.n_retrans, 0);
	/* every lost segment shows up late: none is a retransmission */
	for (unsigned k = 0; k < 12; k++)
		feed_seg(&ra, &rc, 1 + 20 * k, "0123456789", 10, 10, 0, frame++);
	assert_int_equal(rc.n_retrans, 0);
	/* delivered octets between holes not merged, sent again: re-sent */
	feed_seg(&ra, &rc, 1 + 20 * 11 + 10, "llllllllll", 10, 10, 0, frame++);
	assert_int_equal(rc.n_retrans, 1);
	assert_int_equal(rc.rt[0].off, 20 * 11 + 10);
	assert_int_equal(rc.rt[0].len, 10);
	/* a segment over a hole and the delivered octets after it: only those count */
	feed_seg(&ra, &rc, 1 + 20 * 10 + 5, "0123456789", 10, 10, 0, frame++);
	assert_int_equal(rc.n_retrans, 2);
	assert_int_equal(rc.rt[1].off, 20 * 10 + 10);
	assert_int_equal(rc.rt[1].len, 5);
	reasm_free(&ra);
	rec_free(&rc);
}

/* A segment closer to the stream head evicts buffered segments further ahead; the loss is
 * reported as RS_GAP_MEMCAP when its hole is finally given up. */
static void test_cap_evicts_furthest(void **state)
{
	(void)state;
	const struct step st[] = {
	    S(0, "", TCPF_SYN),     S(41, "4444444444", 0), /* 40-50 */
	    S(51, "5555555555", 0), S(61, "6666666666", 0),
	    S(71, "7777777777", 0), S(81, "8888888888", 0), /* 80-90: 50 octets buffered = cap */
	    S(21, "2222222222", 0),                         /* 20-30: evicts 80-90 */
	    FL(RS_GAP_CAPTURE_END), END,
	};
	struct cutting whole = {0};
	struct rec rc;
	rec_init(&rc, CONSUME_ALL, 0);
	run(st, &rc, 50, &whole);
	assert_string_equal(rc.out.p, "[GAP 0+20 c4 d0]2222222222[GAP 30+10 c4 d0]"
	                              "4444444444555555555566666666667777777777[GAP 80+10 c5 d0]");
	assert_int_equal(rc.n_gap, 3);
	rec_free(&rc);
	/* the evicted range, when acknowledged, is a memcap gap */
	const struct step st2[] = {
	    S(0, "", TCPF_SYN),     S(41, "4444444444", 0),
	    S(51, "5555555555", 0), S(61, "6666666666", 0),
	    S(71, "7777777777", 0), S(81, "8888888888", 0),
	    S(21, "2222222222", 0), A(101),
	    S(91, "9999999999", 0), END,
	};
	rec_init(&rc, CONSUME_ALL, 0);
	run(st2, &rc, 50, &whole);
	assert_string_equal(rc.out.p, "[GAP 0+20 c1 d0]2222222222[GAP 30+10 c1 d0]"
	                              "4444444444555555555566666666667777777777[GAP 80+20 c5 d0]");
	assert_int_equal(rc.n_retrans, 1);
	rec_free(&rc);
}

/* A consumer that never consumes: the oldest unconsumed bytes are dropped at the cap. */
static void test_cap_consumer_stuck(void **state)
{
	(void)state;
	struct rec rc;
	struct reasm ra;
	char seg[30];
	syn_start(&ra, &rc, CONSUME_NONE, 64, 0);
	for (unsigned i = 0; i < 10; i++) {
		memset(seg, 'A' + (int)i, sizeof(seg));
		feed_seg(&ra, &rc, 1 + 30 * i, seg, 30, 30, 0, 2 + i);
		assert_true(ra.pend_len <= 64);
		assert_true(rc.held.len <= 64);
	}
	assert_true(rc.max_len <= 64);
	assert_true(ra.cap_hits > 0);
	assert_int_equal(rc.dropped + ra.pend_len, 300);
	/* out-of-order data while pend is at the cap cannot be kept */
	feed_seg(&ra, &rc, 1 + 310, "zzzzzzzzzz", 10, 10, 0, 20);
	assert_int_equal(ra.ooo_bytes, 0);
	uint64_t hits = ra.cap_hits;
	reasm_flush(&ra, RS_GAP_CAPTURE_END, 21, rec_sink, &rc);
	assert_int_equal(ra.cap_hits, hits + 1);
	assert_int_equal(rc.gp[rc.n_gap < 16 ? rc.n_gap - 1 : 15].cause, RS_GAP_MEMCAP);
	assert_int_equal(reasm_buffered(&ra), 0);
	reasm_free(&ra);
	rec_free(&rc);

	/* a single segment larger than the cap, nothing consumed: keep its last max_buf octets */
	rec_init(&rc, CONSUME_K, 5);
	reasm_init(&ra, 16);
	char big[100];
	for (unsigned i = 0; i < sizeof(big); i++)
		big[i] = (char)('0' + i % 10);
	feed_seg(&ra, &rc, 0, NULL, 0, 0, TCPF_SYN, 1);
	feed_seg(&ra, &rc, 1, big, 100, 100, 0, 2);
	assert_int_equal(ra.pend_len, 16);
	assert_int_equal(rc.dropped, 100 - 5 - 16);
	feed_seg(&ra, &rc, 101, big, 10, 10, 0, 3);
	assert_true(ra.pend_len <= 16);
	reasm_free(&ra);
	rec_free(&rc);
}

/* Consumers that take a few octets per call see every octet exactly once, in order. */
static void test_consume_k(void **state)
{
	(void)state;
	const struct step st[] = {
	    S(0, "", TCPF_SYN),        S(11, "klmnopqrst", 0), S(1, "abcdefghij", TCPF_PSH),
	    S(21, "uvwxyz", TCPF_FIN), FL(RS_GAP_CAPTURE_END), END,
	};
	for (size_t k = 1; k < 30; k++) {
		struct cutting whole = {0};
		struct rec rc;
		rec_init(&rc, CONSUME_K, k);
		run(st, &rc, BIG, &whole);
		/* the FIN comes once every octet was presented (not necessarily consumed); what
		 * was not taken before the end was presented once more at the flush */
		char *fin = strstr(rc.out.p, "[FIN 26]");
		assert_non_null(fin);
		memmove(fin, fin + 8, strlen(fin + 8) + 1);
		size_t n = strlen(rc.out.p);
		assert_true(n <= 26);
		assert_int_equal(memcmp(rc.out.p, "abcdefghijklmnopqrstuvwxyz", n), 0);
		/* deliveries 0-10, 10-20 (buffered), 20-26, then the flush's last look: each
		 * takes up to k of what is presented */
		const size_t news[] = {10, 10, 6, 0};
		size_t held = 0, want = 0;
		unsigned ndata = 3;
		for (unsigned j = 0; j < 4; j++) {
			if (j == 3 && held)
				ndata++;
			size_t len = held + news[j];
			size_t c = len < k ? len : k;
			want += c;
			held = len - c;
		}
		assert_int_equal(n, want);
		assert_int_equal(rc.n_data, ndata);
		rec_free(&rc);
	}
}

/* Acks that mean nothing: not beyond next, absurdly far ahead, before any data. */
static void test_ack_ignored(void **state)
{
	(void)state;
	const struct step st[] = {
	    A(5),
	    S(100, "", TCPF_SYN),
	    A(101),
	    S(101, "ab", 0),
	    A(90),
	    A(102),
	    A(101 + 0x40000010u),
	    A(101 + 0x80000000u),
	    A(101 + 0xC0000000u),
	    S(103, "cd", 0),
	    END,
	};
	replay(st, CONSUME_ALL, BIG, "abcd");
}

/* A flood of tiny out-of-order segments is limited in entries as well as in octets. */
static void test_cap_tiny_segments(void **state)
{
	(void)state;
	struct rec rc;
	struct reasm ra;
	syn_start(&ra, &rc, CONSUME_ALL, 4096, 0); /* cap 4096: 16 entries */
	for (unsigned i = 0; i < 1000; i++) {
		char c = (char)('a' + i % 26);
		feed_seg(&ra, &rc, 1 + 2 + 2 * i, &c, 1, 1, 0, 2 + i); /* offsets 2, 4, 6, ... */
		assert_true(ra.ooo_count <= 16);
		assert_true(reasm_buffered(&ra) <= 16);
	}
	assert_true(ra.cap_hits > 0);
	assert_true(rc.n_gap > 0);
	assert_int_equal(rc.gp[0].cause, RS_GAP_MEMCAP);
	reasm_flush(&ra, RS_GAP_CAPTURE_END, 2000, rec_sink, &rc);
	assert_int_equal(ra.ooo_count, 0);
	assert_int_equal(reasm_buffered(&ra), 0);
	reasm_free(&ra);
	rec_free(&rc);
}

/* A keep-alive probe (one octet at next - 1) is neither data nor a retransmission. */
static void test_keepalive(void **state)
{
	(void)state;
	const struct step st[] = {
	    S(0, "", TCPF_SYN),         S(1, "250 OK\r\n", 0),  S(8, "\0", 0),
	    {SEG, 8, "\0", 1, 0, 0, 0}, S(9, "221 bye\r\n", 0), END,
	};
	struct cutting whole = {0};
	struct rec rc;
	rec_init(&rc, CONSUME_LINE, 0);
	run(st, &rc, BIG, &whole);
	assert_string_equal(rc.out.p, "250 OK\r\n221 bye\r\n");
	assert_int_equal(rc.n_retrans, 0);
	rec_free(&rc);
	/* capture starting on an idle connection: the peer's ACK, then a probe, then data */
	const struct step st2[] = {
	    A(5001),
	    {SEG, 5000, "\0", 1, 0, 0, 0},
	    S(5001, "DATA\r\n", 0),
	    END,
	};
	replay(st2, CONSUME_ALL, BIG, "DATA\r\n");
	/* without the ACK, the first octet seen starts the stream */
	const struct step st3[] = {
	    {SEG, 5000, "\0", 1, 0, 0, 0},
	    S(5001, "DATA\r\n", 0),
	    END,
	};
	rec_init(&rc, CONSUME_ALL, 0);
	run(st3, &rc, BIG, &whole);
	assert_int_equal(rc.out.len, 7);
	rec_free(&rc);
}

/* In-order bytes reach the consumer straight from the caller's segment when nothing is
 * pending; buffered ones and pending ones from the reassembler's own memory. */
static const uint8_t *zc_seen;
static size_t zc_sink(void *ctx, const struct rs_event *ev)
{
	(void)ctx;
	if (ev->type == RS_DATA)
		zc_seen = ev->data;
	return ev->type == RS_DATA && ev->data[ev->len - 1] == '\n' ? ev->len : 0;
}

static void test_zero_copy(void **state)
{
	(void)state;
	struct reasm ra;
	reasm_init(&ra, BIG);
	reasm_segment(&ra, 0, NULL, 0, 0, TCPF_SYN, 1, zc_sink, NULL);
	uint8_t *g = tu_guarded_copy("abc\n", 4);
	reasm_segment(&ra, 1, g, 4, 4, 0, 2, zc_sink, NULL);
	assert_ptr_equal(zc_seen, g);
	tu_guarded_free(g, 4);
	g = tu_guarded_copy("de", 2);
	reasm_segment(&ra, 5, g, 2, 2, 0, 3, zc_sink, NULL);
	assert_ptr_equal(zc_seen, g);
	tu_guarded_free(g, 2);
	g = tu_guarded_copy("f\n", 2);
	reasm_segment(&ra, 7, g, 2, 2, 0, 4, zc_sink, NULL); /* after "de" left pending */
	assert_ptr_equal(zc_seen, ra.pend);
	tu_guarded_free(g, 2);
	assert_int_equal(ra.pend_len, 0);
	reasm_free(&ra);
}

/* Random streams cut into random segments, fed in random order with duplicates and
 * overlapping retransmissions (same bytes): the consumer must get the stream exactly, each
 * delivery must end where some segment ended, and the buffer must stay under the cap. */
static uint32_t rnd_state;
static uint32_t rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

struct rseg {
	uint32_t off, len;
	uint8_t flags;
};

static void test_random_streams(void **state)
{
	(void)state;
	enum { N = 3000, MAXSEG = 400 };
	static uint8_t stream[N];
	static bool seg_end[N + 1];
	static struct rseg segs[MAXSEG];
	rnd_state = 12345;
	for (unsigned iter = 0; iter < 300; iter++) {
		size_t n = 1 + rnd() % N;
		for (size_t i = 0; i < n; i++)
			stream[i] = (rnd() % 5 == 0) ? '\n' : (uint8_t)('a' + rnd() % 26);
		memset(seg_end, 0, sizeof(seg_end));
		unsigned ns = 0;
		/* a covering segmentation, then extra overlapping copies */
		for (size_t off = 0; off < n && ns < MAXSEG / 2;) {
			size_t l = 1 + rnd() % 60;
			if (off + l > n || ns == MAXSEG / 2 - 1)
				l = n - off;
			segs[ns++] = (struct rseg){(uint32_t)off, (uint32_t)l, 0};
			off += l;
		}
		unsigned extra = rnd() % 40;
		for (unsigned i = 0; i < extra && ns < MAXSEG; i++) {
			size_t a = rnd() % n, l = 1 + rnd() % 100;
			if (a + l > n)
				l = n - a;
			segs[ns++] = (struct rseg){(uint32_t)a, (uint32_t)l, 0};
		}
		for (unsigned i = 0; i < ns; i++) {
			seg_end[segs[i].off + segs[i].len] = true;
			if (rnd() % 3 == 0)
				segs[i].flags |= TCPF_PSH;
		}
		/* shuffle all but a few: mostly reordered nearby, sometimes anywhere */
		for (unsigned i = ns; i > 1; i--) {
			unsigned j =
			    (iter % 3 == 0) ? rnd() % i : (i - 1) - rnd() % (i < 4 ? i : 4);
			struct rseg t = segs[i - 1];
			segs[i - 1] = segs[j];
			segs[j] = t;
		}
		uint32_t isn = (iter & 1) ? 0xFFFFFF00u + rnd() % 256 : rnd();
		enum policy pol = (enum policy)(iter % 3 == 2 ? CONSUME_LINE : CONSUME_ALL);
		struct rec rc;
		rec_init(&rc, pol, 0);
		struct reasm ra;
		reasm_init(&ra, 1 << 20);
		feed_seg(&ra, &rc, isn, NULL, 0, 0, TCPF_SYN, 1);
		for (unsigned i = 0; i < ns; i++) {
			feed_seg(&ra, &rc, isn + 1 + segs[i].off,
			         (const char *)stream + segs[i].off, segs[i].len, segs[i].len,
			         segs[i].flags, 2 + i);
			if (rnd() % 8 == 0)
				reasm_ack(&ra, isn + 1 + (uint32_t)ra.next, 2 + i, rec_sink, &rc);
		}
		assert_int_equal(ra.next, n);
		assert_int_equal(ra.ooo_bytes, 0);
		reasm_flush(&ra, RS_GAP_CAPTURE_END, 9999, rec_sink, &rc);
		assert_int_equal(rc.n_gap, 0);
		size_t lastnl = n;
		while (lastnl > 0 && stream[lastnl - 1] != '\n')
			lastnl--;
		size_t want = pol == CONSUME_LINE ? lastnl : n;
		assert_int_equal(rc.out.len, want);
		assert_memory_equal(rc.out.p, stream, want);
		for (unsigned i = 0; i < rc.n_dl && i < 64; i++)
			assert_true(seg_end[rc.dl[i].end]);
		reasm_free(&ra);
		rec_free(&rc);
	}
}

/* Random holes, truncations, acks and a small cap: the consumer's view must stay consistent
 * (checked in the sink) and every stream octet must be either consumed, dropped or gapped. */
static void test_random_lossy(void **state)
{
	(void)state;
	enum { N = 2000, MAXSEG = 200 };
	static uint8_t stream[N];
	static struct rseg segs[MAXSEG];
	rnd_state = 777;
	for (unsigned iter = 0; iter < 400; iter++) {
		size_t n = 1 + rnd() % N;
		for (size_t i = 0; i < n; i++)
			stream[i] = (uint8_t)('a' + rnd() % 26);
		unsigned ns = 0;
		for (size_t off = 0; off < n && ns < MAXSEG;) {
			size_t l = 1 + rnd() % 80;
			if (off + l > n || ns == MAXSEG - 1)
				l = n - off;
			segs[ns++] = (struct rseg){(uint32_t)off, (uint32_t)l, 0};
			off += l;
		}
		for (unsigned i = ns; i > 1; i--) {
			unsigned j = (i - 1) - rnd() % (i < 6 ? i : 6);
			struct rseg t = segs[i - 1];
			segs[i - 1] = segs[j];
			segs[j] = t;
		}
		uint32_t isn = rnd();
		size_t cap = 64 + rnd() % 512;
		struct rec rc;
		rec_init(&rc, (enum policy)(rnd() % 4), 1 + rnd() % 50);
		struct reasm ra;
		reasm_init(&ra, cap);
		feed_seg(&ra, &rc, isn, NULL, 0, 0, TCPF_SYN, 1);
		for (unsigned i = 0; i < ns; i++) {
			unsigned what = rnd() % 10;
			if (what == 0)
				continue; /* lost */
			size_t len = segs[i].len, wire = len;
			if (what == 1)
				len = rnd() % (len + 1); /* snaplen */
			uint8_t fl = (i == ns - 1 || segs[i].off + segs[i].len == n) ? TCPF_FIN : 0;
			feed_seg(&ra, &rc, isn + 1 + segs[i].off,
			         (const char *)stream + segs[i].off, len, wire, fl, 2 + i);
			assert_true(reasm_buffered(&ra) <= cap);
			if (rnd() % 6 == 0)
				reasm_ack(&ra, isn + 1 + segs[i].off + (uint32_t)(rnd() % 200),
				          2 + i, rec_sink, &rc);
		}
		reasm_flush(&ra, RS_GAP_CAPTURE_END, 9999, rec_sink, &rc);
		assert_int_equal(reasm_buffered(&ra), 0);
		assert_true(rc.n_fin <= 1);
		reasm_free(&ra);
		rec_free(&rc);
	}
}

/* Random loss, truncation, reordering, duplicates and acks with an ample cap, against a model:
 * every new octet delivered is the stream's octet at that offset (checked in the sink), the
 * consumer's view stays contiguous (checked in the sink), the stream is covered up to the
 * furthest point known (a segment's end or an ACK), and the FIN comes iff it was captured. */
static void test_random_model(void **state)
{
	(void)state;
	enum { N = 2500, MAXSEG = 300 };
	static uint8_t stream[N];
	static struct rseg segs[MAXSEG];
	rnd_state = 4242;
	for (unsigned iter = 0; iter < 400; iter++) {
		size_t n = 1 + rnd() % N;
		for (size_t i = 0; i < n; i++)
			stream[i] = (uint8_t)(rnd() % 4 == 0 ? '\n' : 'A' + rnd() % 26);
		unsigned ns = 0;
		for (size_t off = 0; off < n && ns < MAXSEG - 60;) {
			size_t l = 1 + rnd() % 90;
			if (off + l > n || ns == MAXSEG - 61)
				l = n - off;
			segs[ns++] = (struct rseg){(uint32_t)off, (uint32_t)l, 0};
			off += l;
		}
		segs[ns - 1].flags = TCPF_FIN;
		unsigned extra = rnd() % 50;
		for (unsigned i = 0; i < extra; i++) { /* retransmissions, possibly repacketised */
			size_t a = rnd() % n, l = 1 + rnd() % 120;
			if (a + l > n)
				l = n - a;
			segs[ns++] = (struct rseg){(uint32_t)a, (uint32_t)l, 0};
		}
		for (unsigned i = ns; i > 1; i--) {
			unsigned j =
			    (iter % 4 == 0) ? rnd() % i : (i - 1) - rnd() % (i < 5 ? i : 5);
			struct rseg t = segs[i - 1];
			segs[i - 1] = segs[j];
			segs[j] = t;
		}
		uint32_t isn = iter % 2 ? 0xFFFFF000u + rnd() % 8192 : rnd();
		struct rec rc;
		rec_init(&rc, (enum policy)(rnd() % 4), 1 + rnd() % 40);
		rc.ref = stream;
		rc.ref_len = n;
		struct reasm ra;
		reasm_init(&ra, BIG);
		feed_seg(&ra, &rc, isn, NULL, 0, 0, TCPF_SYN, 1);
		uint64_t known = 0;
		bool fin_fed = false;
		for (unsigned i = 0; i < ns; i++) {
			unsigned what = rnd() % 12;
			size_t len = segs[i].len;
			if (what == 0)
				continue; /* lost */
			if (what == 1)
				len = rnd() % (len + 1); /* cut by snaplen */
			feed_seg(&ra, &rc, isn + 1 + segs[i].off,
			         (const char *)stream + segs[i].off, len, segs[i].len,
			         segs[i].flags, 2 + i);
			if (segs[i].off + segs[i].len > known)
				known = segs[i].off + segs[i].len;
			fin_fed |= (segs[i].flags & TCPF_FIN) != 0;
			if (rnd() % 7 == 0) {
				uint64_t a = segs[i].off + rnd() % 300;
				if (a > n)
					a = n;
				reasm_ack(&ra, isn + 1 + (uint32_t)a, 2 + i, rec_sink, &rc);
				if (a > known)
					known = a;
			}
		}
		reasm_flush(&ra, (rnd() & 1) ? RS_GAP_CLOSED : RS_GAP_CAPTURE_END, 9999, rec_sink,
		            &rc);
		assert_int_equal(ra.next, known);
		assert_int_equal(rc.held_off + rc.held.len, known);
		assert_int_equal(rc.n_fin, fin_fed ? 1 : 0);
		assert_int_equal(reasm_buffered(&ra), 0);
		assert_int_equal(ra.cap_hits, 0);
		reasm_free(&ra);
		rec_free(&rc);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_in_order),
	    cmocka_unit_test(test_out_of_order_reverse),
	    cmocka_unit_test(test_out_of_order_interleaved),
	    cmocka_unit_test(test_retrans_exact),
	    cmocka_unit_test(test_retrans_conflict_delivered),
	    cmocka_unit_test(test_retrans_conflict_pending),
	    cmocka_unit_test(test_retrans_conflict_long),
	    cmocka_unit_test(test_partial_overlap),
	    cmocka_unit_test(test_overlap_buffered_conflict),
	    cmocka_unit_test(test_wrap),
	    cmocka_unit_test(test_offsets_past_4g),
	    cmocka_unit_test(test_gap_by_ack),
	    cmocka_unit_test(test_gap_at_flush),
	    cmocka_unit_test(test_fin_after_filled_hole),
	    cmocka_unit_test(test_fin_with_hole_then_flush),
	    cmocka_unit_test(test_rst_flush),
	    cmocka_unit_test(test_zero_length),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_mid_stream),
	    cmocka_unit_test(test_syn_with_data),
	    cmocka_unit_test(test_psh_seg_frame),
	    cmocka_unit_test(test_cap_flood),
	    cmocka_unit_test(test_cap_holes_remembered),
	    cmocka_unit_test(test_cap_evicts_furthest),
	    cmocka_unit_test(test_cap_consumer_stuck),
	    cmocka_unit_test(test_consume_k),
	    cmocka_unit_test(test_ack_ignored),
	    cmocka_unit_test(test_cap_tiny_segments),
	    cmocka_unit_test(test_keepalive),
	    cmocka_unit_test(test_zero_copy),
	    cmocka_unit_test(test_random_streams),
	    cmocka_unit_test(test_random_lossy),
	    cmocka_unit_test(test_random_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
