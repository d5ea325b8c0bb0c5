/* cotp.c — ISO 8073 / X.224 class 0 TPDU decoding (§13) and TSDU reassembly */
#include "cotp.h"

#include <stdlib.h>
#include <string.h>

#include "rd.h"

/* Variable part of CR/CC (§13.3.4): parameters we keep; the rest is skipped. */
static void cotp_params(struct rd *r, struct cotp_tpdu *t)
{
	while (rd_left(r) >= 2) {
		uint8_t code = rd_u8(r);
		uint8_t len = rd_u8(r);
		struct rd v = rd_sub(r, len);
		if (v.err)
			return;
		switch (code) {
		case 0xC0:
			t->has_tpdu_size = true;
			t->tpdu_size_log2 = rd_u8(&v);
			break;
		case 0xC6:
			t->has_add_opt = true;
			t->add_opt = rd_u8(&v);
			break;
		case 0xF0: {
			uint32_t s = 0;
			while (rd_left(&v) > 0)
				s = (s << 8) | rd_u8(&v);
			t->has_pref_size = true;
			t->pref_size = s;
			break;
		}
		default:
			break;
		}
	}
}

enum cotp_status cotp_parse(const uint8_t *p, size_t n, struct cotp_tpdu *t)
{
	memset(t, 0, sizeof *t);
	struct rd r = rd_make(p, n);
	t->li = rd_u8(&r);
	if (r.err || t->li == 0 || t->li == 255 || rd_left(&r) < t->li) {
		t->st = COTP_MALFORMED;
		return t->st;
	}
	struct rd h = rd_sub(&r, t->li);
	uint8_t c = rd_u8(&h);
	t->code = c & 0xF0;
	t->cdt = c & 0x0F;
	switch (t->code) {
	case COTP_CR:
	case COTP_CC:
		t->dst_ref = rd_be16(&h);
		t->src_ref = rd_be16(&h);
		t->class_opt = rd_u8(&h);
		if (h.err)
			break;
		cotp_params(&h, t);
		break;
	case COTP_DR:
		t->dst_ref = rd_be16(&h);
		t->src_ref = rd_be16(&h);
		t->reason = rd_u8(&h);
		break;
	case COTP_DC:
		t->dst_ref = rd_be16(&h);
		t->src_ref = rd_be16(&h);
		break;
	case COTP_ER:
		t->dst_ref = rd_be16(&h);
		t->reason = rd_u8(&h);
		break;
	case COTP_DT:
	case COTP_ED: {
		/* class 0 DT: LI = 2, then EOT + TPDU-NR; longer headers belong to classes 2-4
		 * (a DST-REF first) and are read the same way from the last octet */
		uint8_t b = 0;
		while (rd_left(&h) > 0)
			b = rd_u8(&h);
		if (t->li < 2) {
			h.err = true;
			break;
		}
		t->eot = (b & 0x80) != 0;
		t->nr = b & 0x7F;
		break;
	}
	default:
		break;
	}
	if (h.err) {
		t->st = COTP_MALFORMED;
		return t->st;
	}
	t->ud = p + r.off;
	t->ud_len = rd_left(&r);
	return COTP_OK;
}

const char *cotp_code_name(uint8_t code)
{
	switch (code & 0xF0) {
	case COTP_CR:
		return "CR";
	case COTP_CC:
		return "CC";
	case COTP_DR:
		return "DR";
	case COTP_DC:
		return "DC";
	case COTP_DT:
		return "DT";
	case COTP_ED:
		return "ED";
	case COTP_AK:
		return "AK";
	case COTP_EA:
		return "EA";
	case COTP_RJ:
		return "RJ";
	case COTP_ER:
		return "ER";
	default:
		return "unknown";
	}
}

const char *cotp_dr_reason_str(uint8_t r)
{
	switch (r) {
	case 0:
		return "reason not specified";
	case 1:
		return "congestion at the TSAP";
	case 2:
		return "session entity not attached to the TSAP";
	case 3:
		return "address unknown";
	case 128:
		return "normal disconnect";
	default:
		return "other reason";
	}
}

const char *cotp_er_cause_str(uint8_t c)
{
	switch (c) {
	case 0:
		return "reason not specified";
	case 1:
		return "invalid parameter code";
	case 2:
		return "invalid TPDU type";
	case 3:
		return "invalid parameter value";
	default:
		return "other cause";
	}
}

void cotp_tsdu_init(struct cotp_tsdu_buf *b, size_t max)
{
	memset(b, 0, sizeof *b);
	b->max = max;
}

void cotp_tsdu_free(struct cotp_tsdu_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

void cotp_tsdu_reset(struct cotp_tsdu_buf *b)
{
	b->len = 0;
	b->frags = 0;
	b->overflow = false;
}

int cotp_tsdu_add(struct cotp_tsdu_buf *b, const uint8_t *p, size_t n, bool eot, uint64_t frame)
{
	if (b->frags == 0) {
		b->len = 0;
		b->overflow = false;
		b->first_frame = frame;
	}
	b->frags++;
	if (!b->overflow && (n > b->max || b->max - n < b->len))
		b->overflow = true;
	if (!b->overflow && n > 0) {
		if (b->cap - b->len < n) {
			size_t nc = b->cap ? b->cap : 256;
			while (nc - b->len < n)
				nc *= 2;
			uint8_t *q = realloc(b->p, nc);
			if (!q) {
				b->overflow = true;
			} else {
				b->p = q;
				b->cap = nc;
			}
		}
		if (!b->overflow) {
			memcpy(b->p + b->len, p, n);
			b->len += n;
		}
	}
	if (!eot)
		return 0;
	b->frags = 0;
	if (b->overflow) {
		b->len = 0;
		return -1;
	}
	return 1;
}
