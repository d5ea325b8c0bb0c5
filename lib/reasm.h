/* reasm.h — TCP stream reassembly for one direction
 *
 * Contract with the consumer (Suricata-style consumed/needed):
 *  - Bytes are delivered in stream order as RS_DATA events.  ev->data holds the bytes the
 *    consumer left unconsumed last time followed by the new in-order bytes; the sink returns how
 *    many it used from the front; the rest stays buffered (within max_buf) and is presented again,
 *    with more bytes after it, at the next delivery.
 *  - ev->data always ends exactly where one captured segment's payload ended, so a consumer can
 *    tell whether a unit ends at a segment boundary; ev->psh/ev->fin are that segment's flags.
 *  - A hole that can never be filled is delivered as RS_GAP (the unconsumed bytes before it are
 *    dropped and counted in ev->dropped); parsing resumes after it.
 *  - FIN is delivered as RS_FIN once every byte before it has been delivered (or gapped).
 *  - RS_RETRANS reports a segment that re-sends bytes already received; conflict=true when the
 *    bytes differ from the first copy where that can be checked (bytes still buffered: every
 *    octet; bytes already delivered: by a fingerprint of the segment that carried them, every
 *    octet of a segment up to 256 octets, the length and 80 sampled octets of a longer one).
 *    First copy always wins.
 * Sequence comparisons are wrap-safe; stream offsets are 64-bit (offset 0 = first payload byte
 * after the SYN, or the first payload byte seen when the SYN was not captured).
 */
#ifndef MTA_REASM_H
#define MTA_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SEQ_LT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)
#define SEQ_GEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) >= 0)

enum rs_ev_type {
	RS_DATA,
	RS_GAP,
	RS_FIN,
	RS_RETRANS,
};

enum rs_gap_cause {
	RS_GAP_ACKED = 1,   /* the peer acknowledged bytes never seen */
	RS_GAP_TRUNCATED,   /* snaplen cut the payload of a segment */
	RS_GAP_CLOSED,      /* connection end with a hole still open (RST, eviction, idle) */
	RS_GAP_CAPTURE_END, /* end of capture with a hole still open */
	RS_GAP_MEMCAP,      /* max_buf reached: buffered bytes dropped */
};

struct rs_event {
	enum rs_ev_type type;
	uint64_t frame;        /* the frame being processed when the event fires */
	uint64_t offset;       /* stream offset of data[0] (DATA), of the hole (GAP), of the
				  re-sent bytes (RETRANS), of the FIN (FIN) */
	/* RS_DATA */
	const uint8_t *data;
	size_t len;
	size_t new_len;        /* the trailing new_len bytes of data are new in this event */
	bool psh;              /* the segment that supplied the last byte had PSH */
	bool fin;              /* ... and FIN */
	uint64_t seg_frame;    /* frame of that segment (< frame when it was buffered out of order) */
	/* RS_GAP */
	uint64_t gap_len;      /* octets missing */
	size_t dropped;        /* unconsumed octets discarded before the hole */
	enum rs_gap_cause cause;
	/* RS_RETRANS: len = octets re-sent */
	bool conflict;         /* the re-sent bytes differ from the first copy */
	bool partial;          /* the segment also carried new bytes */
};

/* Returns octets consumed for RS_DATA (0..len); ignored for the other types. */
typedef size_t (*rs_sink_fn)(void *ctx, const struct rs_event *ev);

struct rs_seg; /* out-of-order segment, private */

struct reasm {
	/* what an in-order segment and an acknowledgement touch, in the first 64 octets */
	uint64_t next;         /* next stream offset expected */
	uint32_t base;         /* sequence number of stream offset 0 */
	unsigned hist_pos;     /* next entry of hist to write */
	uint64_t fin_off;
	uint8_t *pend;         /* unconsumed in-order bytes (heap, capped) */
	size_t pend_len;
	struct rs_seg *ooo;    /* out-of-order segments sorted by offset, non-overlapping */
	bool started;          /* base sequence known */
	bool syn_seen;
	bool fin_pending;      /* FIN seen, not yet delivered */
	bool fin_done;
	bool last_psh, last_fin; /* flags and frame of the segment that ended the last delivery */
	bool pre_ack_valid;    /* an ACK from the peer seen before the stream started */
	bool has_holes;        /* n_holes > 0 (read where the first 64 octets are at hand) */
	uint64_t last_seg_frame;
	/* the rest */
	uint32_t isn;          /* sequence number of the SYN, when seen */
	uint32_t pre_ack;      /* private to reasm.c, with pre_ack_valid */
	size_t pend_cap;
	size_t ooo_bytes;
	size_t max_buf;        /* cap on pend_len + ooo_bytes */
	uint64_t cap_hits;     /* RS_GAP_MEMCAP events */
	uint64_t retrans;      /* RS_RETRANS events */
	/* last few delivered segments, to judge whether a retransmission differs */
	struct { uint64_t off; uint32_t len; uint32_t hash; } hist[8];
	/* private to reasm.c */
	uint64_t memcap_lo, memcap_hi; /* range of out-of-order octets dropped at the cap */
	struct rs_seg *ooo_tail;       /* last entry of ooo (eviction takes it first) */
	uint64_t ignored;      /* octets seen before stream offset 0 (mid-stream start) */
	size_t ooo_count;      /* entries in the out-of-order list */
	/* holes below next that the cap gave up, not acknowledged since (reasm.c,
	 * reasm_note_hole): octets arriving there later are late, not re-sent; allocated at the
	 * first one */
	struct rs_hole { uint64_t lo, hi; } *holes;
	unsigned n_holes;
};

void reasm_init(struct reasm *r, size_t max_buf);
void reasm_free(struct reasm *r);

/* A segment of this direction.  len = captured payload octets at data, wire_len = payload
 * octets on the wire (>= len; the missing tail is delivered as an RS_GAP_TRUNCATED gap).
 * flags are TCPF_* of decode.h (SYN, FIN, PSH are used). */
void reasm_segment(struct reasm *r, uint32_t seq, const uint8_t *data, size_t len, size_t wire_len,
		   uint8_t flags, uint64_t frame, rs_sink_fn sink, void *ctx);
/* The peer acknowledged everything before `ack`: a hole below it will never be filled. */
void reasm_ack(struct reasm *r, uint32_t ack, uint64_t frame, rs_sink_fn sink, void *ctx);
/* Connection end / capture end: every hole becomes a gap with `cause`, buffered bytes are
 * delivered, a pending FIN is delivered. */
void reasm_flush(struct reasm *r, enum rs_gap_cause cause, uint64_t frame, rs_sink_fn sink,
		 void *ctx);
/* Give back the buffer of unconsumed octets when it is empty (a finished connection that only
 * lingers); it is allocated again if octets come. */
void reasm_shrink(struct reasm *r);
/* Octets currently buffered (unconsumed + out of order). */
size_t reasm_buffered(const struct reasm *r);

#endif
