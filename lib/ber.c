/* ber.c — ASN.1 BER decoding (X.690 §8.1): identifiers, definite and indefinite lengths */
#include "ber.h"

#include <string.h>

#include "rd.h"

static enum ber_status ber_read_depth(const uint8_t *p, size_t n, struct ber_tlv *t, int depth);

/* Contents length of an indefinite-length value starting at p: the octets up to the
 * end-of-contents that closes it. */
static enum ber_status ber_indef_len(const uint8_t *p, size_t n, size_t *len, int depth)
{
	size_t off = 0;
	for (;;) {
		if (n - off < 2)
			return BER_SHORT;
		if (p[off] == 0 && p[off + 1] == 0) {
			*len = off;
			return BER_OK;
		}
		struct ber_tlv c;
		enum ber_status st = ber_read_depth(p + off, n - off, &c, depth + 1);
		if (st != BER_OK)
			return st == BER_END ? BER_BAD : st;
		off += c.total;
	}
}

static enum ber_status ber_read_depth(const uint8_t *p, size_t n, struct ber_tlv *t, int depth)
{
	memset(t, 0, sizeof *t);
	if (depth > BER_MAX_DEPTH)
		return BER_BAD;
	struct rd r = rd_make(p, n);
	if (rd_left(&r) == 0)
		return BER_END;
	uint8_t id = rd_u8(&r);
	t->cls = id >> 6;
	t->cons = (id & 0x20) != 0;
	t->tag = id & 0x1F;
	if (t->tag == 0x1F) {
		uint32_t tag = 0;
		uint8_t b;
		int k = 0;
		do {
			b = rd_u8(&r);
			if (r.err)
				return BER_SHORT;
			if (++k > 4)
				return BER_BAD;
			tag = (tag << 7) | (b & 0x7F);
		} while (b & 0x80);
		t->tag = tag;
	}
	uint8_t l0 = rd_u8(&r);
	if (r.err)
		return BER_SHORT;
	size_t len;
	if (l0 < 0x80) {
		len = l0;
	} else if (l0 == 0x80) {
		if (!t->cons)
			return BER_BAD;
		t->indef = true;
		enum ber_status st = ber_indef_len(p + r.off, n - r.off, &len, depth);
		if (st != BER_OK)
			return st;
		t->v = p + r.off;
		t->len = len;
		t->total = r.off + len + 2;
		return BER_OK;
	} else {
		unsigned k = l0 & 0x7F;
		if (k > 4 || k == 0x7F)
			return BER_BAD;
		len = 0;
		for (unsigned i = 0; i < k; i++)
			len = (len << 8) | rd_u8(&r);
		if (r.err)
			return BER_SHORT;
	}
	if (rd_left(&r) < len)
		return BER_SHORT;
	t->v = p + r.off;
	t->len = len;
	t->total = r.off + len;
	return BER_OK;
}

enum ber_status ber_read(const uint8_t *p, size_t n, struct ber_tlv *t)
{
	return ber_read_depth(p, n, t, 0);
}

enum ber_status ber_next(struct ber_it *it, struct ber_tlv *t)
{
	if (it->n - it->off == 0)
		return BER_END;
	if (it->n - it->off >= 2 && it->p[it->off] == 0 && it->p[it->off + 1] == 0)
		return BER_END;
	enum ber_status st = ber_read(it->p + it->off, it->n - it->off, t);
	if (st == BER_OK)
		it->off += t->total;
	return st;
}

bool ber_int(const uint8_t *p, size_t n, int64_t *v)
{
	if (n == 0 || n > 8)
		return false;
	uint64_t u = (p[0] & 0x80) ? ~(uint64_t)0 : 0;
	for (size_t i = 0; i < n; i++)
		u = (u << 8) | p[i];
	*v = (int64_t)u;
	return true;
}
