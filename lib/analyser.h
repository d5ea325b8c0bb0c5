/* analyser.h — what the engine offers an application-layer analyser, and what it asks of one.
 *
 * The engine owns the connection (struct conn): addresses, roles, both reassemblers, timing.
 * An analyser (smtp.c, osi*.c) hangs its own state off it and receives, in capture order:
 *   on_segment  for every TCP segment of the connection, before its bytes are delivered
 *               (timing, flags, payload length, window: stall checks, data-after-close, PSH
 *               accounting, zero window, RST);
 *   on_stream   the reassembled stream events of reasm.h for one direction (DATA, GAP, FIN,
 *               RETRANS); for RS_DATA it returns the octets consumed;
 *   on_tick     capture/live time has advanced to `now` without a frame of this connection;
 *   on_end      the connection is over (closed, idle, evicted, capture end): decide
 *               end-of-connection findings and emit the summary.  State is freed afterwards.
 * Findings leave through conn_emit*(); summaries through conn_summary().
 */
#ifndef MTA_ANALYSER_H
#define MTA_ANALYSER_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mtadiag/engine.h"
#include "decode.h"
#include "reasm.h"
#include "sbuf.h"

struct conn;

struct seg_info {
	uint64_t frame;
	struct mta_time ts;
	enum mta_dir dir;
	uint8_t flags; /* TCPF_* */
	uint32_t seq, ack;
	uint32_t payload_len;  /* captured */
	uint32_t payload_wire; /* on the wire */
	uint32_t win;          /* raw window field */
	bool retrans;          /* the payload only re-sends bytes already seen (best effort) */
};

enum conn_end_reason {
	CONN_END_CLOSED = 1, /* FIN both ways or RST, then the linger time passed */
	CONN_END_IDLE,       /* no packet for idle_timeout */
	CONN_END_EVICTED,    /* connection cap: the oldest connection was dropped */
	CONN_END_CAPTURE,    /* end of capture (mta_engine_finish) */
};

struct analyser_ops {
	enum mta_proto proto;
	const char *name;
	void *(*create)(struct conn *c);
	void (*destroy)(void *st);
	void (*on_segment)(void *st, const struct seg_info *s);
	size_t (*on_stream)(void *st, enum mta_dir dir, const struct rs_event *ev);
	void (*on_tick)(void *st, struct mta_time now);
	void (*on_end)(void *st, enum conn_end_reason why);
};

extern const struct analyser_ops smtp_analyser;
extern const struct analyser_ops osi_analyser;

/* Facts about the connection. */
const struct mta_conn_id *conn_id(const struct conn *c);
const struct mta_config *conn_cfg(const struct conn *c);
uint64_t conn_cur_frame(const struct conn *c);       /* frame being processed (0 in a tick) */
struct mta_time conn_cur_time(const struct conn *c); /* its time (or the tick's time) */
uint64_t conn_first_frame(const struct conn *c);
uint64_t conn_last_frame(const struct conn *c); /* last frame of this connection so far */
/* First words of a text summary: "WHAT CLIENT -> SERVER, frames FIRST-LAST" (no newline). */
static inline void conn_summary_head(const struct conn *c, const char *what, struct sbuf *t)
{
	const struct mta_conn_id *id = conn_id(c);
	sb_puts(t, what);
	sb_putc(t, ' ');
	sb_puts(t, id->client);
	sb_puts(t, " -> ");
	sb_puts(t, id->server);
	sb_puts(t, ", frames ");
	sb_u64(t, conn_first_frame(c));
	sb_putc(t, '-');
	sb_u64(t, conn_last_frame(c));
}
struct mta_time conn_first_time(const struct conn *c);
struct mta_time conn_last_time(const struct conn *c);
bool conn_syn_seen(const struct conn *c); /* the handshake was captured */
/* Findings of each code so far on this connection (for summaries). */
unsigned conn_finding_count(const struct conn *c, enum mta_finding_code code);

/* Emit a finding.  sev < 0: the catalogue's default.  detail_json: a JSON object or NULL.
 * related = 0: none.  The message is formatted printf-style.  Marked cold: findings are rare,
 * and the compiler then keeps the code that leads to them out of the per-segment paths. */
void conn_emit(struct conn *c, enum mta_finding_code code, int sev, enum mta_dir dir,
               uint64_t frame, struct mta_time ts, uint64_t related, const char *detail_json,
               const char *fmt, ...) __attribute__((format(printf, 9, 10), cold));
/* The same on the frame being processed (or, in a tick or at the end, the connection's last
 * frame — contract §1.3). */
void conn_emit_now(struct conn *c, enum mta_finding_code code, int sev, enum mta_dir dir,
                   uint64_t related, const char *detail_json, const char *fmt, ...)
    __attribute__((format(printf, 7, 8), cold));
/* Hand the summary to the front end.  json: one object; text: lines ending in '\n'. */
void conn_summary(struct conn *c, const char *json, const char *text);
/* Scratch buffers owned by the engine for rendering a summary (which = 0: the JSON, 1: the
 * text), emptied; valid until the next call.  Reused from one summary to the next, so
 * summaries cost no allocation once the buffers have grown to size. */
struct sbuf *conn_summary_buf(struct conn *c, int which);

/* Protocol events (mta_config.events): conn_events_on() says whether anyone listens, so an
 * analyser builds an event only then.  conn_event_init() fills the defaults (NULL / 0 / -1,
 * the frame being processed and its time); conn_event() adds the connection and delivers. */
bool conn_events_on(const struct conn *c);
void conn_event_init(const struct conn *c, struct mta_event *ev, enum mta_event_kind kind,
                     enum mta_dir dir);
void conn_event(struct conn *c, struct mta_event *ev);

/* Microseconds from a to b (b - a), saturating at 0. */
uint64_t mta_time_diff_usec(struct mta_time a, struct mta_time b);

#endif
