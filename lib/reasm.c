/* reasm.c — TCP stream reassembly for one direction (RFC 9293 sequence space, 64-bit offsets)
 *
 * Design (see reasm.h for the consumer contract):
 *  - Stream offsets are 64-bit; a 32-bit sequence number is mapped to the offset nearest to
 *    r->next: offset = next + (int32_t)(seq - seq_of(next)).  A result below 0 lies before the
 *    stream start (mid-stream start: offset 0 = the first payload byte seen); those octets are
 *    not part of the stream, are counted in r->ignored and produce no event.
 *  - In-order bytes are handed to the sink straight from the caller's segment (zero copy) when
 *    nothing is pending; otherwise they are appended to r->pend.  What the sink leaves is kept
 *    in r->pend (bytes [next - pend_len, next)).
 *  - Out-of-order bytes live in a sorted, non-overlapping, doubly linked list of rs_seg (head
 *    r->ooo, tail r->ooo_tail: a place in it is found from the nearer end, eviction takes the
 *    tail).  First copy wins: a new segment contributes only the octets not already buffered.
 *    Every list entry ends where a captured segment's payload ended (a piece that would end
 *    where a buffered entry begins is merged with that entry), so each delivery ends at a real
 *    segment end and carries that segment's PSH/FIN/frame.
 *  - Retransmissions are reported once per incoming segment (RS_RETRANS, before any RS_DATA it
 *    causes).  Re-sent octets are compared with the first copy when it is still at hand: the
 *    buffered out-of-order bytes, the unconsumed bytes in r->pend, or r->hist (fingerprints of
 *    the last 8 delivered segments, every octet of a short one, a sample of a long one; a
 *    remembered segment lying wholly inside the re-sent range is fingerprinted and compared).
 *    A one-octet segment ending exactly at r->next is taken as a keep-alive probe and ignored;
 *    so is, before the stream has started, a one-octet segment ending at the peer's last ACK
 *    (a capture that starts on an idle connection often sees a probe first).
 *  - Holes end only by data, by an acknowledgement beyond them (RS_GAP_ACKED), by snaplen
 *    truncation (RS_GAP_TRUNCATED), by reasm_flush (its cause) or by the memory cap.
 *  - ACK: the peer holds every octet below the acknowledged offset A, so each hole below A is a
 *    gap.  A hole [next, H) that reaches beyond A (H = the next buffered segment, or unknown) is
 *    gapped only up to A: octets from A on may still be in flight and be captured later.  So
 *    the gap runs to min(H, A); buffered data after it is delivered; repeat while next < A.
 *    An ACK not beyond next, or more than 1 GiB beyond it (no window is that large), is
 *    ignored, as is an ACK before the stream started.  Once a FIN is known, A is clamped to the
 *    FIN's offset (the FIN's own sequence number is not data).
 *  - Snaplen truncation: the captured part is delivered, then the missing tail up to the next
 *    buffered data is RS_GAP_TRUNCATED at once (for a buffered truncated segment: when it is
 *    delivered).  If buffered data lies inside the missing tail, the rest of the tail is handed
 *    on to that data, so the holes after it are truncation gaps too.  A segment whose captured
 *    payload is empty and which lies beyond a hole is not kept; its octets stay a hole.
 *  - FIN: its offset (end of the FIN segment's payload) is kept from the first FIN seen; RS_FIN
 *    follows once next reaches it (delivered or gapped), once.  reasm_flush gaps every hole
 *    (up to the last buffered, dropped or FIN offset), delivers what is buffered, the FIN, and
 *    presents unconsumed bytes a last time (RS_DATA with new_len 0) before discarding them.
 *  - Memory cap: pend_len + ooo_bytes <= max_buf at all times.  An out-of-order segment that
 *    does not fit first evicts buffered segments lying beyond it (furthest ahead first); if it
 *    still does not fit, the oldest hole is given up (RS_GAP_MEMCAP) and the buffered data
 *    behind it delivered, so a lost segment cannot stall the stream when no ACKs are captured;
 *    if it still does not fit, the segment is dropped.  Evicted and dropped ranges are
 *    remembered (memcap_lo..memcap_hi) so the gap that finally covers them says MEMCAP.  When
 *    unconsumed bytes alone would exceed the cap, the oldest of them are dropped and reported as
 *    RS_GAP_MEMCAP with gap_len 0 and dropped = the count.  The out-of-order list also holds at
 *    most max(16, max_buf / 256) entries, so a flood of tiny segments cannot cost more memory
 *    in list overhead than the cap allows in data; the same eviction rules apply.
 */
#include "reasm.h"

#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "decode.h"
#include "rd.h"

/* Gapped ranges remembered per direction; past this many, the two closest are merged. */
#define REASM_HOLES_MAX 8

/* Acknowledgements further ahead than this are taken as garbage. */
#define REASM_ACK_MAX_AHEAD ((uint64_t)1 << 30)
#define REASM_PEND_MIN      256
/* One out-of-order entry per this many octets of the cap (at least REASM_MIN_SEGS entries). */
#define REASM_OCTETS_PER_SEG 256
#define REASM_MIN_SEGS       16

struct rs_seg {
	struct rs_seg *next, *prev;
	uint64_t off;      /* stream offset of data[0] */
	uint64_t wire_end; /* end of the segment on the wire (> off + len when snaplen cut it) */
	uint64_t frame;
	size_t len;
	bool psh, fin;
	uint8_t data[];
};

void reasm_init(struct reasm *r, size_t max_buf)
{
	memset(r, 0, sizeof(*r));
	r->max_buf = max_buf;
	r->memcap_lo = UINT64_MAX;
}

void reasm_free(struct reasm *r)
{
	struct rs_seg *s = r->ooo;
	while (s) {
		struct rs_seg *n = s->next;
		free(s);
		s = n;
	}
	r->ooo = r->ooo_tail = NULL;
	r->ooo_bytes = 0;
	r->ooo_count = 0;
	free(r->pend);
	r->pend = NULL;
	free(r->holes);
	r->holes = NULL;
	r->n_holes = 0;
	r->has_holes = false;
	r->pend_len = r->pend_cap = 0;
}

size_t reasm_buffered(const struct reasm *r)
{
	return r->pend_len + r->ooo_bytes;
}

/* Fingerprint of delivered segments for the conflict check, built for throughput: Fletcher
 * sums over 64-bit words (a += w, b += a; additions only).  From 64 octets on, eight
 * independent lanes take the words of each 64-octet block (four SSE2 registers of two lanes
 * where the target has SSE2) and are folded with distinct odd weights; the remaining words and
 * the zero-padded last one go through one pair of sums; two multiplying mixes at the end.
 * Any change of a single word changes a (odd weights are invertible), so the fingerprint,
 * barring a collision in the final mix; the b sums make it sensitive to order. */
static uint64_t reasm_mix(uint64_t h, uint64_t v)
{
	h = (h ^ v) * 0xff51afd7ed558ccdull;
	return h ^ (h >> 32);
}

/* The fingerprint of n octets from the sums a and b (n is mixed in first, so the zero padding
 * of a last partial word is unambiguous). */
static uint32_t reasm_final(size_t n, uint64_t a, uint64_t b)
{
	uint64_t h = reasm_mix(reasm_mix(0x9e3779b97f4a7c15ull ^ (uint64_t)n, a), b);
	h = (h ^ (h >> 29)) * 0xc4ceb9fe1a85ec53ull;
	return (uint32_t)(h ^ (h >> 32));
}

static uint32_t reasm_hash(const uint8_t *p, size_t n)
{
	uint64_t a = 0, b = 0;
	size_t i = 0;
	if (n >= 64) {
		uint64_t la[8] = { 0 }, lb[8] = { 0 };
#if defined(__SSE2__)
		__m128i a0 = _mm_setzero_si128(), a1 = a0, a2 = a0, a3 = a0;
		__m128i b0 = a0, b1 = a0, b2 = a0, b3 = a0;
		for (; n - i >= 64; i += 64) {
			const __m128i *q = (const __m128i *)(const void *)(p + i);
			a0 = _mm_add_epi64(a0, _mm_loadu_si128(q));
			a1 = _mm_add_epi64(a1, _mm_loadu_si128(q + 1));
			a2 = _mm_add_epi64(a2, _mm_loadu_si128(q + 2));
			a3 = _mm_add_epi64(a3, _mm_loadu_si128(q + 3));
			b0 = _mm_add_epi64(b0, a0);
			b1 = _mm_add_epi64(b1, a1);
			b2 = _mm_add_epi64(b2, a2);
			b3 = _mm_add_epi64(b3, a3);
		}
		_mm_storeu_si128((__m128i *)(void *)la, a0);
		_mm_storeu_si128((__m128i *)(void *)(la + 2), a1);
		_mm_storeu_si128((__m128i *)(void *)(la + 4), a2);
		_mm_storeu_si128((__m128i *)(void *)(la + 6), a3);
		_mm_storeu_si128((__m128i *)(void *)lb, b0);
		_mm_storeu_si128((__m128i *)(void *)(lb + 2), b1);
		_mm_storeu_si128((__m128i *)(void *)(lb + 4), b2);
		_mm_storeu_si128((__m128i *)(void *)(lb + 6), b3);
#else
		for (; n - i >= 64; i += 64) {
			for (int k = 0; k < 8; k++) {
				la[k] += rd_load_u64(p + i + 8 * k);
				lb[k] += la[k];
			}
		}
#endif
		for (int k = 0; k < 8; k++) {
			a += la[k] * (uint64_t)(2 * k + 1);
			b += lb[k] * (uint64_t)(2 * k + 1);
		}
	}
	for (; n - i >= 8; i += 8) {
		a += rd_load_u64(p + i);
		b += a;
	}
	if (i < n) {
		uint64_t w = 0;
		for (size_t k = 0; i + k < n; k++)
			w |= (uint64_t)p[i + k] << (8 * k);
		a += w;
		b += a;
	}
	return reasm_final(n, a, b);
}

/* The fingerprint kept in r->hist.  Up to REASM_FP_FULL octets (every command and reply line
 * of a dialogue) all octets count; a longer segment (bulk data) is sampled: its length, its
 * first and last 32 octets and 8 words spread evenly between them.  So a retransmission that
 * differs from the first copy is recognised when the difference lies in a short segment or in
 * the sampled octets of a long one, without a second pass over every delivered octet (hashing
 * all of them cost as much as the analyser's own scan of the bytes). */
#define REASM_FP_FULL 256
static uint32_t reasm_fingerprint(const uint8_t *p, size_t n)
{
	if (n <= REASM_FP_FULL)
		return reasm_hash(p, n);
	uint64_t a = 0, b = 0;
	size_t step = (n - 72) / 8; /* words at 32 + k step (k < 8): all before the last 32 */
	for (size_t k = 0; k < 4; k++) {
		a += rd_load_u64(p + 8 * k);
		b += a;
		a += rd_load_u64(p + n - 32 + 8 * k);
		b += a;
	}
	for (size_t k = 0; k < 8; k++) {
		a += rd_load_u64(p + 32 + k * step);
		b += a;
	}
	return reasm_final(n, a, b);
}

static uint32_t reasm_seq_of(const struct reasm *r, uint64_t off)
{
	return r->base + (uint32_t)off;
}

/* Offset of seq, taken as the one nearest to r->next; may be negative (before the stream). */
static int64_t reasm_off_of(const struct reasm *r, uint32_t seq)
{
	return (int64_t)r->next + (int32_t)(seq - reasm_seq_of(r, r->next));
}

static void reasm_hist_add(struct reasm *r, uint64_t off, const uint8_t *p, size_t n)
{
	if (n == 0)
		return;
	unsigned i = r->hist_pos++ % 8;
	r->hist[i].off = off;
	r->hist[i].len = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
	r->hist[i].hash = reasm_fingerprint(p, r->hist[i].len);
}

static void reasm_note_memcap(struct reasm *r, uint64_t lo, uint64_t hi)
{
	if (lo < r->memcap_lo)
		r->memcap_lo = lo;
	if (hi > r->memcap_hi)
		r->memcap_hi = hi;
}

static void reasm_check_fin(struct reasm *r, uint64_t frame, rs_sink_fn sink, void *ctx)
{
	if (!r->fin_pending || r->fin_done || r->next < r->fin_off)
		return;
	struct rs_event ev = {.type = RS_FIN, .frame = frame, .offset = r->fin_off};
	r->fin_pending = false;
	r->fin_done = true;
	sink(ctx, &ev);
}

/* Remember [lo, hi), a hole the cap gave up with no acknowledgement beyond it: its octets were
 * not captured, or were captured out of order and dropped at the cap, and the receiver has not
 * confirmed them.  Octets arriving there later are taken as late, not re-sent (an acknowledged
 * hole is different: the peer had the octets, so they were sent before and a later copy is a
 * retransmission).  Ranges come in increasing order (next only grows); one that touches the
 * last is joined to it.  When the table is full, the two neighbours with the smallest distance
 * between them are merged, octets between them included: under a flood of holes some re-sent
 * octets may then pass as late ones, never the other way round.  Without memory for the table
 * nothing is remembered (re-sent octets are then reported as before). */
static void reasm_note_hole(struct reasm *r, uint64_t lo, uint64_t hi)
{
	if (!r->holes) {
		r->holes = malloc(REASM_HOLES_MAX * sizeof(*r->holes));
		if (!r->holes)
			return;
	}
	if (r->n_holes && r->holes[r->n_holes - 1].hi >= lo) {
		r->holes[r->n_holes - 1].hi = hi;
		return;
	}
	if (r->n_holes == REASM_HOLES_MAX) {
		unsigned best = 0;
		for (unsigned i = 1; i + 1 < REASM_HOLES_MAX; i++)
			if (r->holes[i + 1].lo - r->holes[i].hi <
			    r->holes[best + 1].lo - r->holes[best].hi)
				best = i;
		r->holes[best].hi = r->holes[best + 1].hi;
		memmove(&r->holes[best + 1], &r->holes[best + 2],
		        (REASM_HOLES_MAX - best - 2) * sizeof(*r->holes));
		r->n_holes--;
	}
	r->holes[r->n_holes].lo = lo;
	r->holes[r->n_holes].hi = hi;
	r->n_holes++;
	r->has_holes = true;
}

/* The peer acknowledged everything below a (a <= next): the holes there were sent after all. */
__attribute__((noinline, cold)) static void reasm_forget_holes(struct reasm *r, uint64_t a)
{
	unsigned k = 0;
	while (k < r->n_holes && r->holes[k].hi <= a)
		k++;
	if (k) {
		memmove(&r->holes[0], &r->holes[k], (r->n_holes - k) * sizeof(*r->holes));
		r->n_holes -= k;
	}
	if (r->n_holes && r->holes[0].lo < a)
		r->holes[0].lo = a;
	r->has_holes = r->n_holes > 0;
}

/* Octets of [lo, hi) that lie in remembered holes; *first: the first octet of [lo, hi) that
 * does not (hi when none). */
static uint64_t reasm_unseen(const struct reasm *r, uint64_t lo, uint64_t hi, uint64_t *first)
{
	uint64_t n = 0;
	*first = lo;
	for (unsigned i = 0; i < r->n_holes; i++) {
		uint64_t a = r->holes[i].lo > lo ? r->holes[i].lo : lo;
		uint64_t b = r->holes[i].hi < hi ? r->holes[i].hi : hi;
		if (a < b) {
			n += b - a;
			if (a <= *first && *first < b)
				*first = b; /* holes are sorted and apart: one pass is enough */
		}
	}
	return n;
}

/* The hole [next, next + gap_len) will never be filled: drop the unconsumed bytes and move on. */
static void reasm_gap(struct reasm *r, enum rs_gap_cause cause, uint64_t gap_len, uint64_t frame,
                      rs_sink_fn sink, void *ctx)
{
	if (cause != RS_GAP_TRUNCATED && r->memcap_lo < r->next + gap_len && r->next < r->memcap_hi)
		cause = RS_GAP_MEMCAP;
	struct rs_event ev = {.type = RS_GAP,
	                      .frame = frame,
	                      .offset = r->next,
	                      .gap_len = gap_len,
	                      .dropped = r->pend_len,
	                      .cause = cause};
	r->pend_len = 0;
	r->next += gap_len;
	if (r->next >= r->memcap_hi) {
		r->memcap_lo = UINT64_MAX;
		r->memcap_hi = 0;
	}
	if (cause == RS_GAP_MEMCAP)
		r->cap_hits++;
	sink(ctx, &ev);
}

/* Drop the oldest k unconsumed bytes (the consumer is not consuming and the cap is reached). */
static void reasm_drop_pend(struct reasm *r, size_t k, uint64_t frame, rs_sink_fn sink, void *ctx)
{
	if (k > r->pend_len)
		k = r->pend_len;
	if (k == 0)
		return;
	memmove(r->pend, r->pend + k, r->pend_len - k);
	r->pend_len -= k;
	struct rs_event ev = {.type = RS_GAP,
	                      .frame = frame,
	                      .offset = r->next - r->pend_len,
	                      .gap_len = 0,
	                      .dropped = k,
	                      .cause = RS_GAP_MEMCAP};
	r->cap_hits++;
	sink(ctx, &ev);
}

static void reasm_unlink_free(struct reasm *r, struct rs_seg **pp)
{
	struct rs_seg *s = *pp;
	*pp = s->next;
	if (s->next)
		s->next->prev = s->prev;
	else
		r->ooo_tail = s->prev;
	r->ooo_bytes -= s->len;
	r->ooo_count--;
	free(s);
}

/* Would `need` more buffered octets (in `entries` more list entries) stay within the cap? */
static bool reasm_fits(const struct reasm *r, size_t need, size_t entries)
{
	size_t max_segs = r->max_buf / REASM_OCTETS_PER_SEG;
	if (max_segs < REASM_MIN_SEGS)
		max_segs = REASM_MIN_SEGS;
	return need <= r->max_buf && r->pend_len + r->ooo_bytes <= r->max_buf - need &&
	       r->ooo_count + entries <= max_segs;
}

/* Evict buffered segments starting at or beyond `from`, furthest ahead first, until `need`
 * more octets (in `entries` more entries) fit.  Returns whether they fit. */
static bool reasm_evict_beyond(struct reasm *r, uint64_t from, size_t need, size_t entries)
{
	while (!reasm_fits(r, need, entries)) {
		struct rs_seg *last = r->ooo_tail;
		if (!last || last->off < from)
			return false;
		reasm_note_memcap(r, last->off, last->wire_end);
		reasm_unlink_free(r, last->prev ? &last->prev->next : &r->ooo);
	}
	return true;
}

/* Make pend able to hold `want` octets (want <= max_buf); geometric growth up to the cap. */
static bool reasm_pend_reserve(struct reasm *r, size_t want)
{
	if (want <= r->pend_cap)
		return true;
	size_t cap = r->pend_cap ? r->pend_cap : REASM_PEND_MIN;
	while (cap < want)
		cap = cap > SIZE_MAX / 2 ? want : cap * 2;
	if (cap > r->max_buf)
		cap = r->max_buf;
	if (cap < want)
		return false;
	uint8_t *p = realloc(r->pend, cap);
	if (!p)
		return false;
	r->pend = p;
	r->pend_cap = cap;
	return true;
}

/* Keep the unconsumed tail p[0..n) (pend is empty, next is past it) within the cap. */
static void reasm_keep_tail(struct reasm *r, const uint8_t *p, size_t n, uint64_t frame,
                            rs_sink_fn sink, void *ctx)
{
	size_t keep = n;
	if (r->ooo_bytes + keep > r->max_buf)
		reasm_evict_beyond(r, r->next, keep, 0);
	if (r->ooo_bytes + keep > r->max_buf)
		keep = r->max_buf - r->ooo_bytes;
	if (keep && !reasm_pend_reserve(r, keep))
		keep = 0;
	if (keep)
		memcpy(r->pend, p + (n - keep), keep);
	r->pend_len = keep;
	if (keep < n) {
		struct rs_event ev = {.type = RS_GAP,
		                      .frame = frame,
		                      .offset = r->next - keep,
		                      .gap_len = 0,
		                      .dropped = n - keep,
		                      .cause = RS_GAP_MEMCAP};
		r->cap_hits++;
		sink(ctx, &ev);
	}
}

/* Hand the in-order octets p[0..n) at r->next to the consumer, after any unconsumed bytes. */
static void reasm_deliver(struct reasm *r, const uint8_t *p, size_t n, bool psh, bool fin,
                          uint64_t seg_frame, uint64_t frame, rs_sink_fn sink, void *ctx)
{
	struct rs_event ev = {.type = RS_DATA,
	                      .frame = frame,
	                      .new_len = n,
	                      .psh = psh,
	                      .fin = fin,
	                      .seg_frame = seg_frame};
	reasm_hist_add(r, r->next, p, n);
	r->last_psh = psh;
	r->last_fin = fin;
	r->last_seg_frame = seg_frame;
	if (r->pend_len) {
		/* Room for pend + new: evict out-of-order data first, then the oldest pending. */
		if (r->pend_len + r->ooo_bytes + n > r->max_buf)
			reasm_evict_beyond(r, r->next, n, 0);
		if (r->pend_len + r->ooo_bytes + n > r->max_buf) {
			size_t over = r->pend_len + r->ooo_bytes + n - r->max_buf;
			reasm_drop_pend(r, over, frame, sink, ctx);
		}
		if (r->pend_len && !reasm_pend_reserve(r, r->pend_len + n))
			reasm_drop_pend(r, r->pend_len, frame, sink, ctx);
	}
	if (r->pend_len == 0) {
		ev.data = p;
		ev.len = n;
		ev.offset = r->next;
		r->next += n;
		size_t c = sink(ctx, &ev);
		if (c > n)
			c = n;
		if (c < n)
			reasm_keep_tail(r, p + c, n - c, frame, sink, ctx);
		return;
	}
	memcpy(r->pend + r->pend_len, p, n);
	r->pend_len += n;
	r->next += n;
	ev.data = r->pend;
	ev.len = r->pend_len;
	ev.offset = r->next - r->pend_len;
	size_t c = sink(ctx, &ev);
	if (c > r->pend_len)
		c = r->pend_len;
	memmove(r->pend, r->pend + c, r->pend_len - c);
	r->pend_len -= c;
}

/* After delivering a segment whose payload on the wire reached wire_end but was captured only up
 * to r->next: the missing octets are a gap, up to the next buffered data.  When buffered data
 * lies inside the cut range, the rest of the range is handed on to it, so the holes behind it
 * become truncation gaps as soon as it is delivered. */
static void reasm_trunc_gap(struct reasm *r, uint64_t wire_end, uint64_t frame, rs_sink_fn sink,
                            void *ctx)
{
	if (wire_end <= r->next)
		return;
	uint64_t end = wire_end;
	if (r->ooo && r->ooo->off < end) {
		end = r->ooo->off;
		if (r->ooo->wire_end < wire_end)
			r->ooo->wire_end = wire_end;
	}
	if (end > r->next)
		reasm_gap(r, RS_GAP_TRUNCATED, end - r->next, frame, sink, ctx);
}

/* Deliver every buffered segment that has become contiguous, one RS_DATA per segment. */
static void reasm_drain(struct reasm *r, uint64_t frame, rs_sink_fn sink, void *ctx)
{
	while (r->ooo && r->ooo->off <= r->next) {
		struct rs_seg *s = r->ooo;
		r->ooo = s->next;
		if (r->ooo)
			r->ooo->prev = NULL;
		else
			r->ooo_tail = NULL;
		r->ooo_bytes -= s->len;
		r->ooo_count--;
		uint64_t end = s->off + s->len;
		if (end > r->next) {
			size_t skip = (size_t)(r->next - s->off); /* 0 by the list invariant */
			reasm_deliver(r, s->data + skip, s->len - skip, s->psh, s->fin, s->frame,
			              frame, sink, ctx);
		}
		reasm_trunc_gap(r, s->wire_end, frame, sink, ctx);
		free(s);
	}
	reasm_check_fin(r, frame, sink, ctx);
}

static struct rs_seg *reasm_seg_new(uint64_t off, const uint8_t *p, size_t n, uint64_t wire_end,
                                    bool psh, bool fin, uint64_t frame)
{
	struct rs_seg *s = malloc(sizeof(*s) + n);
	if (!s)
		return NULL;
	s->next = s->prev = NULL;
	s->off = off;
	s->wire_end = wire_end;
	s->frame = frame;
	s->len = n;
	s->psh = psh;
	s->fin = fin;
	if (n)
		memcpy(s->data, p, n);
	return s;
}

struct reasm_in {
	uint64_t off; /* stream offset of data[0], >= r->next */
	const uint8_t *data;
	size_t len;        /* captured */
	uint64_t wire_end; /* off + wire octets */
	bool psh, fin;
	uint64_t frame;
};

/* The first buffered entry that ends after pos (NULL when none), walked to from the nearer end
 * of the list: entries are sorted and apart, so their ends grow along it. */
static struct rs_seg *reasm_find(const struct reasm *r, uint64_t pos)
{
	struct rs_seg *h = r->ooo, *t = r->ooo_tail;
	if (!h || t->off + t->len <= pos)
		return NULL;
	if (pos >= t->off)
		return t;
	if (pos <= h->off || pos - h->off < t->off - pos) {
		while (h->off + h->len <= pos)
			h = h->next;
		return h;
	}
	while (t->prev && t->prev->off + t->prev->len > pos)
		t = t->prev;
	return t;
}

/* Octets of [off, off + len) already buffered out of order, and whether any of them differ. */
static size_t reasm_covered(const struct reasm *r, const struct reasm_in *in, bool *conflict,
                            uint64_t *first)
{
	size_t cov = 0;
	uint64_t lo = in->off, hi = in->off + in->len;
	if (in->len == 0 || !r->ooo) /* nothing buffered: the common case, without a call */
		return 0;
	for (const struct rs_seg *s = reasm_find(r, lo); s && s->off < hi; s = s->next) {
		uint64_t se = s->off + s->len;
		if (se <= lo)
			continue;
		uint64_t a = s->off > lo ? s->off : lo, b = se < hi ? se : hi;
		if (cov == 0 && a < *first)
			*first = a;
		cov += (size_t)(b - a);
		if (memcmp(in->data + (a - lo), s->data + (a - s->off), (size_t)(b - a)) != 0)
			*conflict = true;
	}
	return cov;
}

/* Insert the octets of `in` not yet buffered.  A piece that ends where a buffered segment
 * begins is merged with it (the merged entry ends where that segment ended).  A piece whose
 * allocation fails is dropped and noted as a memcap loss. */
static void reasm_insert(struct reasm *r, const struct reasm_in *in)
{
	uint64_t pos = in->off, hi = in->off + in->len;
	struct rs_seg *at = reasm_find(r, pos);
	struct rs_seg *prev = at ? at->prev : r->ooo_tail; /* the entry *pp belongs to */
	struct rs_seg **pp = prev ? &prev->next : &r->ooo;
	while (pos < hi) {
		while (*pp && (*pp)->off + (*pp)->len <= pos) {
			prev = *pp;
			pp = &(*pp)->next;
		}
		struct rs_seg *s = *pp;
		if (s && s->off <= pos) { /* pos lies inside s: first copy wins */
			pos = s->off + s->len;
			continue;
		}
		uint64_t stop = (s && s->off < hi) ? s->off : hi;
		const uint8_t *p = in->data + (pos - in->off);
		size_t n = (size_t)(stop - pos);
		struct rs_seg *ns;
		if (stop == hi) {
			ns = reasm_seg_new(pos, p, n, in->wire_end, in->psh, in->fin, in->frame);
			if (ns) {
				ns->next = s;
				r->ooo_count++;
			}
		} else {
			/* piece [pos, s->off) followed directly by s: one entry ending where s ends
			 */
			ns = malloc(sizeof(*ns) + n + s->len);
			if (ns) {
				*ns = *s;
				ns->off = pos;
				ns->len = n + s->len;
				memcpy(ns->data, p, n);
				memcpy(ns->data + n, s->data, s->len);
				free(s);
			}
		}
		if (!ns) {
			/* the segment behind, if any, is untouched and still linked */
			reasm_note_memcap(r, pos, stop);
			if (s)
				pos = stop;
			else
				break;
			continue;
		}
		/* ns takes the place before s (new entry, ns->next = s) or of s (merged, its
		 * links copied) */
		*pp = ns;
		ns->prev = prev;
		if (ns->next)
			ns->next->prev = ns;
		else
			r->ooo_tail = ns;
		r->ooo_bytes += n;
		pos = ns->off + ns->len;
		prev = ns;
		pp = &ns->next;
	}
}

/* Place a segment whose payload starts at or after r->next (captured bytes not before next). */
static void reasm_place(struct reasm *r, struct reasm_in *in, size_t rt_len, uint64_t rt_off,
                        bool rt_conflict, uint64_t frame, rs_sink_fn sink, void *ctx)
{
	for (;;) {
		uint64_t first = UINT64_MAX;
		bool conflict = rt_conflict;
		size_t cov = reasm_covered(r, in, &conflict, &first);
		size_t need = in->len - cov;
		bool direct = in->off == r->next && (!r->ooo || r->ooo->off >= in->off + in->len);
		if (!direct && need > 0 && !reasm_fits(r, need, 1) &&
		    !reasm_evict_beyond(r, in->off + in->len, need, 1) && r->ooo &&
		    r->ooo->off < in->off) {
			/* Give up the oldest hole so the buffered data behind it can go. */
			uint64_t hole = r->ooo->off > r->next ? r->ooo->off - r->next : 0;
			if (hole)
				reasm_note_hole(r, r->next, r->next + hole);
			reasm_gap(r, RS_GAP_MEMCAP, hole, frame, sink, ctx);
			reasm_drain(r, frame, sink, ctx);
			if (in->off < r->next) {
				/* now partly delivered: keep only the part after next */
				uint64_t adv = r->next - in->off;
				if (adv >= in->wire_end - in->off)
					break;
				size_t cut = adv < in->len ? (size_t)adv : in->len;
				if (cut)
					in->data += cut;
				in->len -= cut;
				in->off = r->next;
			}
			continue;
		}
		if (rt_len + cov > 0) {
			struct rs_event ev = {.type = RS_RETRANS,
			                      .frame = frame,
			                      .offset = rt_len ? rt_off : first,
			                      .len = rt_len + cov,
			                      .conflict = conflict,
			                      .partial =
			                          need > 0 || in->wire_end > in->off + in->len};
			r->retrans++;
			sink(ctx, &ev);
		}
		if (direct) {
			if (in->len)
				reasm_deliver(r, in->data, in->len, in->psh, in->fin, in->frame,
				              frame, sink, ctx);
			reasm_trunc_gap(r, in->wire_end, frame, sink, ctx);
			reasm_drain(r, frame, sink, ctx);
			return;
		}
		if (need > 0) {
			if (!reasm_fits(r, need, 1))
				reasm_note_memcap(r, in->off,
				                  in->wire_end); /* does not fit: dropped */
			else
				reasm_insert(r, in);
		}
		if (r->ooo && r->ooo->off == r->next)
			reasm_drain(r, frame, sink, ctx);
		return;
	}
	reasm_check_fin(r, frame, sink, ctx);
}

/* Is the re-sent, captured range p[0..n) at stream offset off different from the first copy?
 * Checked against the unconsumed bytes and against remembered delivered segments. */
static bool reasm_resent_conflict(const struct reasm *r, uint64_t off, const uint8_t *p, size_t n)
{
	uint64_t lo = off, hi = off + n;
	uint64_t plo = r->next - r->pend_len;
	if (r->pend_len && hi > plo) {
		uint64_t a = lo > plo ? lo : plo;
		uint64_t b = hi < r->next ? hi : r->next;
		if (a < b && memcmp(p + (a - lo), r->pend + (a - plo), (size_t)(b - a)) != 0)
			return true;
	}
	for (unsigned i = 0; i < 8; i++) {
		const uint64_t ho = r->hist[i].off, hl = r->hist[i].len;
		if (hl == 0 || ho < lo || ho + hl > hi)
			continue;
		if (reasm_fingerprint(p + (ho - lo), (size_t)hl) != r->hist[i].hash)
			return true;
	}
	return false;
}

void reasm_segment(struct reasm *r, uint32_t seq, const uint8_t *data, size_t len, size_t wire_len,
                   uint8_t flags, uint64_t frame, rs_sink_fn sink, void *ctx)
{
	if (wire_len < len)
		wire_len = len;
	if (!data)
		len = 0;
	if (flags & TCPF_SYN) {
		if (!r->started) {
			r->started = true;
			r->syn_seen = true;
			r->isn = seq;
			r->base = seq + 1;
			r->next = 0;
		}
		seq++; /* payload (TFO) starts after the SYN's sequence number */
	}
	if (!r->started) {
		if (wire_len == 0 && !(flags & TCPF_FIN))
			return; /* a pure ACK tells nothing about where the stream starts */
		if (wire_len == 1 && !(flags & TCPF_FIN) && r->pre_ack_valid &&
		    (uint32_t)(seq + 1) == r->pre_ack)
			return; /* keep-alive probe before any data: not where the stream starts */
		r->started = true;
		r->base = seq;
		r->next = 0;
	}
	int64_t o = reasm_off_of(r, seq);
	if ((flags & TCPF_FIN) && !r->fin_pending && !r->fin_done) {
		int64_t fo = o + (int64_t)wire_len;
		if (fo >= 0) {
			r->fin_pending = true;
			r->fin_off = (uint64_t)fo;
		}
	}
	if (wire_len == 0) {
		reasm_check_fin(r, frame, sink, ctx);
		return;
	}
	if (o < 0) {
		/* before stream offset 0: never part of this stream */
		uint64_t skip = (uint64_t)-o;
		if (skip >= wire_len) {
			r->ignored += wire_len;
			reasm_check_fin(r, frame, sink, ctx);
			return;
		}
		size_t cut = skip < len ? (size_t)skip : len;
		if (cut)
			data += cut;
		len -= cut;
		wire_len -= (size_t)skip;
		r->ignored += skip;
		o = 0;
	}
	struct reasm_in in = {.off = (uint64_t)o,
	                      .data = data,
	                      .len = len,
	                      .wire_end = (uint64_t)o + wire_len,
	                      .psh = (flags & TCPF_PSH) != 0,
	                      .fin = (flags & TCPF_FIN) != 0,
	                      .frame = frame};
	size_t rt_len = 0;
	bool rt_conflict = false;
	uint64_t rt_off = in.off;
	if (in.off < r->next && wire_len == 1 && in.wire_end == r->next && !in.fin) {
		/* keep-alive probe: one octet below next (RFC 9293 3.8.4), not a retransmission */
		return;
	}
	if (in.off < r->next) {
		uint64_t resent_end = in.wire_end < r->next ? in.wire_end : r->next;
		rt_len = (size_t)(resent_end - in.off);
		size_t cres = rt_len < in.len ? rt_len : in.len;
		/* octets of a hole given up earlier arrive late: they were never seen, so they
		 * are not re-sent (and there is no first copy to compare) */
		if (r->has_holes)
			rt_len -= (size_t)reasm_unseen(r, in.off, resent_end, &rt_off);
		rt_conflict = rt_len && reasm_resent_conflict(r, in.off, in.data, cres);
		if (in.wire_end <= r->next) {
			if (rt_len) {
				struct rs_event ev = {.type = RS_RETRANS,
				                      .frame = frame,
				                      .offset = rt_off,
				                      .len = rt_len,
				                      .conflict = rt_conflict};
				r->retrans++;
				sink(ctx, &ev);
			}
			reasm_check_fin(r, frame, sink, ctx);
			return;
		}
		if (cres)
			in.data += cres;
		in.len -= cres;
		in.off = r->next;
	}
	reasm_place(r, &in, rt_len, rt_off, rt_conflict, frame, sink, ctx);
	reasm_check_fin(r, frame, sink, ctx);
}

void reasm_ack(struct reasm *r, uint32_t ack, uint64_t frame, rs_sink_fn sink, void *ctx)
{
	if (!r->started) {
		/* remembered only to recognise a keep-alive probe as the first segment seen */
		r->pre_ack_valid = true;
		r->pre_ack = ack;
		return;
	}
	int64_t a = reasm_off_of(r, ack);
	if (a <= (int64_t)r->next || (uint64_t)a - r->next > REASM_ACK_MAX_AHEAD) {
		if (r->has_holes && a > 0 && a <= (int64_t)r->next)
			reasm_forget_holes(r, (uint64_t)a);
		return;
	}
	if (r->has_holes) { /* every hole lies below next, so below a */
		r->n_holes = 0;
		r->has_holes = false;
	}
	uint64_t target = (uint64_t)a;
	/* the FIN takes one sequence number: an ACK of it acknowledges no data */
	if ((r->fin_pending || r->fin_done) && target > r->fin_off)
		target = r->fin_off;
	while (r->next < target) {
		uint64_t end = target;
		if (r->ooo && r->ooo->off < end)
			end = r->ooo->off;
		if (end > r->next)
			reasm_gap(r, RS_GAP_ACKED, end - r->next, frame, sink, ctx);
		reasm_drain(r, frame, sink, ctx);
	}
	reasm_check_fin(r, frame, sink, ctx);
}

void reasm_shrink(struct reasm *r)
{
	if (r->pend_len == 0 && r->pend) {
		free(r->pend);
		r->pend = NULL;
		r->pend_cap = 0;
	}
}

void reasm_flush(struct reasm *r, enum rs_gap_cause cause, uint64_t frame, rs_sink_fn sink,
                 void *ctx)
{
	if (!r->started)
		return;
	while (r->ooo) {
		if (r->ooo->off > r->next)
			reasm_gap(r, cause, r->ooo->off - r->next, frame, sink, ctx);
		reasm_drain(r, frame, sink, ctx);
	}
	/* octets known to exist (dropped at the cap, or before the FIN) end in a gap too */
	if (r->memcap_hi > r->next)
		reasm_gap(r, cause, r->memcap_hi - r->next, frame, sink, ctx);
	if (r->fin_pending && r->fin_off > r->next)
		reasm_gap(r, cause, r->fin_off - r->next, frame, sink, ctx);
	reasm_check_fin(r, frame, sink, ctx);
	if (r->pend_len) {
		/* last look at the unconsumed bytes; whatever is left now is discarded */
		struct rs_event ev = {.type = RS_DATA,
		                      .frame = frame,
		                      .offset = r->next - r->pend_len,
		                      .data = r->pend,
		                      .len = r->pend_len,
		                      .new_len = 0,
		                      .psh = r->last_psh,
		                      .fin = r->last_fin,
		                      .seg_frame = r->last_seg_frame};
		sink(ctx, &ev);
		r->pend_len = 0;
	}
	r->memcap_lo = UINT64_MAX;
	r->memcap_hi = 0;
}
