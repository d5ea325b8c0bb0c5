/* rts.c — X.410-1984 RTS and X.228 RTSE connection and abort parameters (via ber.c) */
#include "rts.h"

#include <string.h>

#include "ber.h"

/* The RTORQ / RTOAC / PUserData set: [0] checkpointSize, [1] windowSize, [2] dialogueMode
 * (request only; in an accept [2] is connectionData), [3] connectionData (request). */
static void rts_params_set(const struct ber_tlv *set, bool is_accept, struct rts_params *o)
{
	struct ber_it it;
	struct ber_tlv c;
	ber_it_init(&it, set);
	while (ber_next(&it, &c) == BER_OK) {
		if (c.cls != BER_CTX)
			continue;
		int64_t v;
		if (!c.cons && c.tag <= 2 && ber_int(c.v, c.len, &v)) {
			if (c.tag == 0) {
				o->has_checkpoint = true;
				o->checkpoint = v;
			} else if (c.tag == 1) {
				o->has_window = true;
				o->window = v;
			} else if (!is_accept) {
				o->has_dialogue = true;
				o->dialogue = v;
			}
		} else if (c.cons && c.tag == (is_accept ? 2u : 3u)) {
			struct ber_it ci;
			struct ber_tlv cd;
			ber_it_init(&ci, &c);
			if (ber_next(&ci, &cd) == BER_OK && cd.cls == BER_CTX && cd.tag == 1)
				o->recover = true;
		}
	}
}

/* X.410 mode (PConnect/PAccept, or a CP/CPA-type in x410 mode): SET { [0] { [0] 0 }, [1] set } */
static bool rts_x410_set(const struct ber_tlv *t, bool is_accept, struct rts_params *o)
{
	if (!(t->cls == BER_UNIV && t->cons && t->tag == 17))
		return false;
	struct ber_it it;
	struct ber_tlv c, params;
	bool x410 = false, have = false;
	ber_it_init(&it, t);
	while (ber_next(&it, &c) == BER_OK) {
		if (c.cls == BER_CTX && c.cons && c.tag == 0) {
			struct ber_it mi;
			struct ber_tlv m;
			int64_t v;
			ber_it_init(&mi, &c);
			if (ber_next(&mi, &m) == BER_OK && m.cls == BER_CTX && m.tag == 0 &&
			    !m.cons && ber_int(m.v, m.len, &v) && v == 0)
				x410 = true;
		} else if (c.cls == BER_CTX && c.cons && c.tag == 1) {
			params = c;
			have = true;
		}
	}
	if (!x410)
		return false;
	o->mode = RTS_MODE_X410;
	if (have)
		rts_params_set(&params, is_accept, o);
	return true;
}

/* The next TLV of the n octets at p from *off on: false at the end, at an end-of-contents
 * marker or at a TLV that does not parse (the walks below then give up). */
static bool rts_next(const uint8_t *p, size_t n, size_t *off, struct ber_tlv *t)
{
	if (n - *off < 2 || (p[*off] == 0 && p[*off + 1] == 0))
		return false;
	if (ber_read(p + *off, n - *off, t) != BER_OK)
		return false;
	*off += t->total;
	return true;
}

static bool rts_walk(const uint8_t *p, size_t n, bool is_accept, struct rts_params *o, int depth)
{
	if (depth > BER_MAX_DEPTH)
		return false;
	size_t off = 0;
	struct ber_tlv t;
	while (rts_next(p, n, &off, &t)) {
		if (t.cls == BER_CTX && t.cons && t.tag == (is_accept ? 17u : 16u)) {
			o->mode = RTS_MODE_NORMAL;
			rts_params_set(&t, is_accept, o);
			return true;
		}
		if (rts_x410_set(&t, is_accept, o))
			return true;
		if (t.cons && rts_walk(t.v, t.len, is_accept, o, depth + 1))
			return true;
	}
	return false;
}

bool rts_parse_connect(const uint8_t *ud, size_t n, bool is_accept, struct rts_params *o)
{
	memset(o, 0, sizeof *o);
	o->is_accept = is_accept;
	if (!rts_walk(ud, n, is_accept, o, 0)) {
		memset(o, 0, sizeof *o);
		o->is_accept = is_accept;
		return false;
	}
	return true;
}

/* AbortInformation ::= SET { [0] abortReason, [1] reflectedParameter } (X.410), or
 * RTABapdu ::= [22] IMPLICIT SET { [0] abortReason, ... } (X.228). */
static bool rts_abort_walk(const uint8_t *p, size_t n, int64_t *reason, int depth)
{
	if (depth > BER_MAX_DEPTH)
		return false;
	size_t off = 0;
	struct ber_tlv t;
	while (rts_next(p, n, &off, &t)) {
		bool cand = (t.cls == BER_CTX && t.cons && t.tag == 22) ||
		            (depth == 0 && t.cls == BER_UNIV && t.cons && t.tag == 17);
		if (cand) {
			struct ber_it it;
			struct ber_tlv c;
			ber_it_init(&it, &t);
			if (ber_next(&it, &c) == BER_OK && c.cls == BER_CTX && c.tag == 0 &&
			    !c.cons && ber_int(c.v, c.len, reason))
				return true;
		}
		if (t.cons && rts_abort_walk(t.v, t.len, reason, depth + 1))
			return true;
	}
	return false;
}

bool rts_parse_abort(const uint8_t *ud, size_t n, int64_t *reason)
{
	return rts_abort_walk(ud, n, reason, 0);
}

const char *rts_abort_reason_str(int64_t r)
{
	switch (r) {
	case 0:
		return "localSystemProblem";
	case 1:
		return "invalidParameter";
	case 2:
		return "unrecognizedActivity";
	case 3:
		return "temporaryProblem";
	case 4:
		return "protocolError";
	case 5:
		return "permanentProblem";
	case 6:
		return "userError";
	case 7:
		return "transferCompleted";
	default:
		return "unknown reason";
	}
}
