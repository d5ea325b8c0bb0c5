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

#define S(seq, str, fl) {SEG, (seq), (str), (size_t)-1, 0, (fl), 0}
#define ST(seq, str, wire, fl) {SEG, (seq), (str), (size_t)-1, (wire), (fl), 0}
#define A(ack) {ACK, (ack), NULL, 0, 0, 0, 0}
#define FL(c) {FLUSH, 0, NULL, 0, 0, 0, (c)}
#define END {FLUSH, 0, NULL, 0, 0, 0xff, 0}

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

static bool is_end(const struct step *s)
{
	return s->kind == FLUSH && s->flags == 0xff;
}

/* How a scenario's segments are cut: whole, byte by byte, or one segment split at cut points. */
struct cutting {
	int mode;        /* 0 whole, 1 bytes, 2 split one step */
	unsigned which;  /* mode 2: index of the step to split */
	size_t cuts[2];  /* mode 2: cut offsets within the captured payload */
	unsigned ncuts;
	bool reverse;    /* mode 2: feed the pieces last first */
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
			size_t cuts_all[1];
			/* byte by byte: feed pieces of one octet, in order */
			for (size_t off = 0; off < len; off++) {
				size_t hi = off + 1;
				(void)cuts_all;
				uint8_t fl = s->flags & ~(TCPF_SYN | TCPF_FIN | TCPF_PSH);
				if (off == 0)
					fl |= s->flags & TCPF_SYN;
				if (hi == len)
					fl |= s->flags & (TCPF_FIN | TCPF_PSH);
				uint32_t dseq = s->seq + ((s->flags & TCPF_SYN) ? 1 : 0);
				uint32_t seq = (off == 0 && (s->flags & TCPF_SYN)) ? s->seq
										    : dseq + (uint32_t)off;
				size_t wire = s->wire_len ? s->wire_len : len;
				size_t w = hi == len ? wire - off : 1;
				feed_seg(&ra, rc, seq, s->data + off, 1, w, fl, frame);
			}
		} else if (cut->mode == 2 && cut->which == i) {
			feed_pieces(&ra, rc, s, frame, cut->cuts, cut->ncuts, cut->reverse);
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
				struct cutting c = {.mode = 2, .which = i, .ncuts = 1, .reverse = rev};
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_in_order),
	    cmocka_unit_test(test_out_of_order_reverse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
