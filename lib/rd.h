/* rd.h — bounds-safe byte reader with a sticky error (house style §4) */
#ifndef MTA_RD_H
#define MTA_RD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct rd {
	const uint8_t *p;
	size_t len;
	size_t off;
	bool err;
};

static inline struct rd rd_make(const uint8_t *p, size_t len)
{
	struct rd r = { p, len, 0, false };
	return r;
}
static inline size_t rd_left(const struct rd *r) { return r->err ? 0 : r->len - r->off; }
static inline bool rd_need(struct rd *r, size_t n)
{
	if (r->err || r->len - r->off < n) {
		r->err = true;
		return false;
	}
	return true;
}
/* Big-endian loads at p, for callers that have already checked the bounds themselves (a fast
 * path that tested the whole header's length once); the rd_ readers below use them too. */
static inline uint16_t rd_load_be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t rd_load_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
/* Eight octets at p as a number in the host's order (hashing, word-wise comparison). */
static inline uint64_t rd_load_u64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}
static inline uint8_t rd_u8(struct rd *r)
{
	if (!rd_need(r, 1))
		return 0;
	return r->p[r->off++];
}
static inline uint16_t rd_be16(struct rd *r)
{
	if (!rd_need(r, 2))
		return 0;
	uint16_t v = rd_load_be16(r->p + r->off);
	r->off += 2;
	return v;
}
static inline uint16_t rd_le16(struct rd *r)
{
	if (!rd_need(r, 2))
		return 0;
	uint16_t v = (uint16_t)((r->p[r->off + 1] << 8) | r->p[r->off]);
	r->off += 2;
	return v;
}
static inline uint32_t rd_be32(struct rd *r)
{
	if (!rd_need(r, 4))
		return 0;
	const uint8_t *q = r->p + r->off;
	r->off += 4;
	return rd_load_be32(q);
}
static inline uint32_t rd_le32(struct rd *r)
{
	if (!rd_need(r, 4))
		return 0;
	const uint8_t *q = r->p + r->off;
	r->off += 4;
	return ((uint32_t)q[3] << 24) | ((uint32_t)q[2] << 16) | ((uint32_t)q[1] << 8) | q[0];
}
static inline const uint8_t *rd_bytes(struct rd *r, size_t n)
{
	if (!rd_need(r, n))
		return NULL;
	const uint8_t *q = r->p + r->off;
	r->off += n;
	return q;
}
static inline void rd_skip(struct rd *r, size_t n) { (void)rd_bytes(r, n); }
/* A window of n bytes cut from r (nested PDUs); r advances past it. */
static inline struct rd rd_sub(struct rd *r, size_t n)
{
	const uint8_t *q = rd_bytes(r, n);
	struct rd s = { q, q ? n : 0, 0, q == NULL };
	return s;
}

#endif
