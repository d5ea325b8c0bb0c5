/* ber.h — a small bounds-checked reader for ASN.1 BER (X.690): tag, length, value */
#ifndef MTA_BER_H
#define MTA_BER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BER_MAX_DEPTH 16

enum ber_class { BER_UNIV = 0, BER_APPL = 1, BER_CTX = 2, BER_PRIV = 3 };

struct ber_tlv {
	uint8_t cls; /* enum ber_class */
	bool cons;   /* constructed */
	uint32_t tag;
	bool indef;       /* indefinite length (constructed only); len excludes the 00 00 */
	const uint8_t *v; /* contents */
	size_t len;
	size_t total; /* identifier + length octets + contents (+ end-of-contents) */
};

enum ber_status {
	BER_OK = 0,
	BER_END,   /* no octet left (or an end-of-contents 00 00 where one may stand) */
	BER_SHORT, /* a length reaches past the buffer */
	BER_BAD,   /* invalid encoding (length form, tag too large, nesting too deep) */
};

/* Read the TLV at p[0..n).  Indefinite lengths are followed through nested TLVs up to
 * BER_MAX_DEPTH levels.  Never reads past p[n). */
enum ber_status ber_read(const uint8_t *p, size_t n, struct ber_tlv *t);
/* An INTEGER's contents (1..8 octets, two's complement) into *v. */
bool ber_int(const uint8_t *p, size_t n, int64_t *v);

/* Iterate over the TLVs inside a constructed value. */
struct ber_it {
	const uint8_t *p;
	size_t n, off;
};
static inline void ber_it_init(struct ber_it *it, const struct ber_tlv *t)
{
	it->p = t->v;
	it->n = t->len;
	it->off = 0;
}
/* BER_OK with *t filled, BER_END at the end (or at an end-of-contents), or an error. */
enum ber_status ber_next(struct ber_it *it, struct ber_tlv *t);

#endif
