/* sbuf.c — growable string buffer and JSON writer used to render findings and summaries */
#include "sbuf.h"

#include "mtadiag/engine.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

void sb_init(struct sbuf *b)
{
	memset(b, 0, sizeof(*b));
}

void sb_free(struct sbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void sb_reset(struct sbuf *b)
{
	b->len = 0;
	b->oom = false;
	if (b->p)
		b->p[0] = '\0';
}

/* The slow path of sb_put/sb_putc (sbuf.h): make room for extra octets plus the NUL. */
bool sb_grow(struct sbuf *b, size_t extra)
{
	if (b->oom)
		return false;
	if (b->cap - b->len > extra)
		return true;
	size_t need = b->len + extra + 1;
	if (need < b->len) { /* overflow */
		b->oom = true;
		return false;
	}
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void sb_puts(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

static const char sb_d2[] = "00010203040506070809101112131415161718192021222324"
                            "25262728293031323334353637383940414243444546474849"
                            "50515253545556575859606162636465666768697071727374"
                            "75767778798081828384858687888990919293949596979899";
static const uint64_t sb_p10[20] = {
    1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
    100000000ull, 1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull,
    10000000000000ull, 100000000000000ull, 1000000000000000ull, 10000000000000000ull,
    100000000000000000ull, 1000000000000000000ull, 10000000000000000000ull};

/* Number of decimal digits of v (1 for 0): floor(log10 v) + 1 from the bit length, one table
 * look-up to correct it (1233 / 4096 is just above log10 2). */
static unsigned sb_digits(uint64_t v)
{
#if defined(__GNUC__) || defined(__clang__)
	unsigned l2 = 63u - (unsigned)__builtin_clzll(v | 1);
	unsigned t = ((l2 + 1) * 1233u) >> 12;
	return t + 1 - (v < sb_p10[t]);
#else
	unsigned n = 1;
	while (n < 20 && v >= sb_p10[n])
		n++;
	return n;
#endif
}

/* The n digits of v (n from sb_digits), two at a time from the end: d[0..n). */
static void sb_digits_put(char *d, uint64_t v, unsigned n)
{
	char *e = d + n;
	while (v >> 32) {
		unsigned r = (unsigned)(v % 100);
		v /= 100;
		e -= 2;
		memcpy(e, sb_d2 + 2 * r, 2);
	}
	uint32_t w = (uint32_t)v;
	while (w >= 100) {
		unsigned r = w % 100;
		w /= 100;
		e -= 2;
		memcpy(e, sb_d2 + 2 * r, 2);
	}
	if (w >= 10) {
		e -= 2;
		memcpy(e, sb_d2 + 2 * w, 2);
	} else {
		*--e = (char)('0' + w);
	}
}

static inline char *sb_pair(char *d, unsigned v) /* v < 100 as two digits */
{
	memcpy(d, sb_d2 + 2 * v, 2);
	return d + 2;
}

/* v < 100 as one or two digits */
static inline char *sb_small(char *d, unsigned v)
{
	if (v < 10) {
		*d = (char)('0' + v);
		return d + 1;
	}
	return sb_pair(d, v);
}

char *sbw_u64(char *d, uint64_t v)
{
	/* below 10^8 (frames, codes, counts, octets): the leading group of one or two digits,
	 * then whole pairs, no loop and no digit count */
	if (v < 100)
		return sb_small(d, (unsigned)v);
	if (v < 10000) {
		unsigned w = (unsigned)v;
		d = sb_small(d, w / 100);
		return sb_pair(d, w % 100);
	}
	if (v < 1000000) {
		unsigned w = (unsigned)v, lo = w % 10000;
		d = sb_small(d, w / 10000);
		d = sb_pair(d, lo / 100);
		return sb_pair(d, lo % 100);
	}
	if (v < 100000000) {
		unsigned w = (unsigned)v, lo = w % 10000, hi = w / 10000;
		d = sb_small(d, hi / 100);
		d = sb_pair(d, hi % 100);
		d = sb_pair(d, lo / 100);
		return sb_pair(d, lo % 100);
	}
	unsigned n = sb_digits(v);
	sb_digits_put(d, v, n);
	return d + n;
}

void sb_u64(struct sbuf *b, uint64_t v)
{
	char *d = sb_room(b, SBW_U64_MAX);
	if (d)
		sb_done(b, sbw_u64(d, v));
}

char *sbw_i64(char *d, int64_t v)
{
	if (v < 0) {
		*d++ = '-';
		return sbw_u64(d, (uint64_t)0 - (uint64_t)v);
	}
	return sbw_u64(d, (uint64_t)v);
}

void sb_i64(struct sbuf *b, int64_t v)
{
	char *d = sb_room(b, SBW_U64_MAX);
	if (d)
		sb_done(b, sbw_i64(d, v));
}

/* printf "%.*f" of v rounds the exact binary value of v to `decimals` digits, an exact tie to
 * the even digit.  For 0 <= v < 1e12 and 1 <= decimals <= 6 that is done here in integers:
 * v = mant / 2^k, so round(v * 10^decimals) = (mant * 10^decimals) / 2^k rounded half to even
 * (the product has at most 53 + 20 bits).  Elsewhere (and without a 128-bit integer type),
 * snprintf itself into at most SBW_FIXED_MAX octets. */
char *sbw_fixed(char *d, double v, int decimals)
{
#if defined(__SIZEOF_INT128__)
	if (decimals >= 1 && decimals <= 6 && v >= 0 && v < 1e12) {
		uint64_t bits;
		memcpy(&bits, &v, sizeof(bits));
		if (!(bits >> 63)) { /* not -0.0 (printf writes its sign) */
			int e = (int)(bits >> 52);
			uint64_t mant = bits & ((1ull << 52) - 1);
			if (e)
				mant |= 1ull << 52;
			else
				e = 1;
			int k = 1075 - e; /* v < 1e12 < 2^52: k > 0 */
			uint64_t scale = sb_p10[decimals], m = 0;
			if (decimals <= 3) {
				/* mant * 1000 < 2^63: in 64 bits; from k = 64 on below 1/2 */
				if (k < 64) {
					uint64_t p = mant * scale, q = p >> k, r = p - (q << k);
					uint64_t half = 1ull << (k - 1);
					m = q;
					if (r > half || (r == half && (m & 1)))
						m++;
				}
			} else if (k < 76) {
				unsigned __int128 p = (unsigned __int128)mant * scale;
				unsigned __int128 q = p >> k, r = p - (q << k);
				unsigned __int128 half = (unsigned __int128)1 << (k - 1);
				m = (uint64_t)q;
				if (r > half || (r == half && (m & 1)))
					m++;
			}
			/* (k >= 76: v * scale < 2^73 / 2^76 rounds to 0) */
			if (decimals == 3) { /* milliseconds: the divisions by constants */
				unsigned f = (unsigned)(m % 1000);
				d = sbw_u64(d, m / 1000);
				*d++ = '.';
				*d++ = (char)('0' + f / 100);
				return sb_pair(d, f % 100);
			}
			if (decimals == 1) {
				d = sbw_u64(d, m / 10);
				*d++ = '.';
				*d++ = (char)('0' + m % 10);
				return d;
			}
			uint64_t f = m % scale;
			d = sbw_u64(d, m / scale);
			*d++ = '.';
			for (int i = decimals - 1; i >= 0; i--) {
				d[i] = (char)('0' + f % 10);
				f /= 10;
			}
			return d + decimals;
		}
	}
#endif
	int n = snprintf(d, SBW_FIXED_MAX, "%.*f", decimals, v);
	if (n < 0)
		n = 0;
	if (n >= SBW_FIXED_MAX)
		n = SBW_FIXED_MAX - 1;
	return d + n;
}

void sb_fixed(struct sbuf *b, double v, int decimals)
{
	if (decimals >= 0 && decimals <= 6 && v > -1e18 && v < 1e18) {
		char *d = sb_room(b, SBW_FIXED_MAX);
		if (d)
			sb_done(b, sbw_fixed(d, v, decimals));
	} else {
		sb_printf(b, "%.*f", decimals, v);
	}
}

void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(tmp)) {
		sb_put(b, tmp, (size_t)n);
		return;
	}
	if (!sb_grow(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

size_t mta_utf8_len(const void *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	if (n == 0)
		return 0;
	unsigned char c = s[0];
	size_t len;
	uint32_t cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
		cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		cp = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

#if defined(__SSE2__)
/* Mask of the octets of x that a JSON string cannot hold as they are: below 0x20 or from 0x80
 * up (signed below 0x20), 0x7F, '"' and '\\'. */
static inline unsigned json_bad16(__m128i x)
{
	__m128i bad = _mm_or_si128(_mm_cmplt_epi8(x, _mm_set1_epi8(0x20)),
	                           _mm_cmpeq_epi8(x, _mm_set1_epi8(0x7F)));
	bad = _mm_or_si128(bad, _mm_cmpeq_epi8(x, _mm_set1_epi8('"')));
	bad = _mm_or_si128(bad, _mm_cmpeq_epi8(x, _mm_set1_epi8('\\')));
	return (unsigned)_mm_movemask_epi8(bad);
}
#else
/* The same for 8 octets in a word (SWAR: a byte-wise "has zero / has less than" test). */
static inline uint64_t json_bad8(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	uint64_t bad = w & high;                                 /* >= 0x80 */
	bad |= (w - ones * 0x20) & ~w & high;                    /* < 0x20 */
	uint64_t q = w ^ (ones * '"'), bs = w ^ (ones * '\\'), d = w ^ (ones * 0x7F);
	bad |= (q - ones) & ~q & high;                           /* == '"' */
	bad |= (bs - ones) & ~bs & high;                         /* == '\\' */
	bad |= (d - ones) & ~d & high;                           /* == 0x7F */
	return bad;
}
#endif

static inline bool json_plain1(unsigned char c)
{
	return c >= 0x20 && c < 0x7F && c != '"' && c != '\\';
}

/* Every load lies inside s[0..n): the tail is checked with a load that overlaps what was
 * already found plain, never past the end. */
static inline size_t json_plain(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
#if defined(__SSE2__)
	if (n >= 16) {
		for (; n - i >= 16; i += 16) {
			unsigned m =
			    json_bad16(_mm_loadu_si128((const __m128i *)(const void *)(s + i)));
			if (m)
				return i + (size_t)__builtin_ctz(m);
		}
		if (i == n)
			return n;
		/* the last 16 octets; those before i are plain */
		unsigned m =
		    json_bad16(_mm_loadu_si128((const __m128i *)(const void *)(s + n - 16)));
		m &= 0xFFFFu << (16 - (n - i));
		return m ? n - 16 + (size_t)__builtin_ctz(m) : n;
	}
	if (n >= 8) { /* the first 8 and the last 8 (overlapping) in one register */
		uint64_t lo, hi;
		memcpy(&lo, s, 8);
		memcpy(&hi, s + n - 8, 8);
		unsigned m = json_bad16(_mm_set_epi64x((long long)hi, (long long)lo));
		if (m & 0xFFu)
			return (size_t)__builtin_ctz(m);
		return m ? n - 8 + (size_t)__builtin_ctz(m >> 8) : n;
	}
	if (n >= 4) {
		uint32_t lo, hi;
		memcpy(&lo, s, 4);
		memcpy(&hi, s + n - 4, 4);
		unsigned m = json_bad16(_mm_cvtsi32_si128((int)lo)) & 0xFu;
		if (m)
			return (size_t)__builtin_ctz(m);
		m = json_bad16(_mm_cvtsi32_si128((int)hi)) & 0xFu;
		return m ? n - 4 + (size_t)__builtin_ctz(m) : n;
	}
#else
	for (; n - i >= 8; i += 8) {
		uint64_t w;
		memcpy(&w, s + i, 8);
		if (json_bad8(w))
			break;
	}
#endif
	while (i < n && json_plain1(s[i]))
		i++;
	return i;
}

size_t sb_json_plain(const char *s, size_t n)
{
	return json_plain(s, n);
}

/* The part of a JSON string from its first octet that needs escaping: at most 6 octets out
 * per octet in. */
static char *json_escape(char *d, const unsigned char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0;
	while (i < n) {
		unsigned char c = s[i];
		if (json_plain1(c)) {
			size_t j = i + json_plain((const char *)s + i, n - i);
			memcpy(d, s + i, j - i);
			d += j - i;
			i = j;
			continue;
		}
		size_t l;
		if (c == '"' || c == '\\') {
			*d++ = '\\';
			*d++ = (char)c;
		} else if (c == '\n') {
			d = SBW_LIT(d, "\\n");
		} else if (c == '\r') {
			d = SBW_LIT(d, "\\r");
		} else if (c == '\t') {
			d = SBW_LIT(d, "\\t");
		} else if (c >= 0x80 && (l = mta_utf8_len(s + i, n - i)) != 0) {
			memcpy(d, s + i, l);
			d += l;
			i += l;
			continue;
		} else {
			/* control octets, 0x7F, and octets that are not part of valid UTF-8 (kept
			 * visible without breaking JSON) */
			d = SBW_LIT(d, "\\u00");
			*d++ = hex[c >> 4];
			*d++ = hex[c & 15];
		}
		i++;
	}
	return d;
}

/* memcpy for the short strings of summaries and findings: two overlapping moves, no call */
static inline void sb_copy(char *d, const char *s, size_t n)
{
	if (n >= 8 && n <= 16) {
		uint64_t a, b;
		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
		memcpy(d, &a, 8);
		memcpy(d + n - 8, &b, 8);
	} else if (n > 16 && n <= 32) {
		uint64_t a[2], b[2];
		memcpy(a, s, 16);
		memcpy(b, s + n - 16, 16);
		memcpy(d, a, 16);
		memcpy(d + n - 16, b, 16);
	} else if (n >= 4 && n < 8) {
		uint32_t a, b;
		memcpy(&a, s, 4);
		memcpy(&b, s + n - 4, 4);
		memcpy(d, &a, 4);
		memcpy(d + n - 4, &b, 4);
	} else {
		memcpy(d, s, n);
	}
}

/* The JSON string of s[0..n) whose first `plain` octets need no escape, at d. */
static char *json_str_at(char *d, const char *s, size_t n, size_t plain)
{
	*d++ = '"';
	sb_copy(d, s, plain);
	d += plain;
	if (plain < n)
		d = json_escape(d, (const unsigned char *)s + plain, n - plain);
	*d++ = '"';
	return d;
}

char *sbw_json_str(char *d, const char *s, size_t n)
{
	return json_str_at(d, s, n, json_plain(s, n));
}

void sb_json_str(struct sbuf *b, const char *s, size_t n)
{
	/* room for the plain prefix as it is and the rest escaped at worst */
	size_t i = json_plain(s, n);
	if ((n - i) > (SIZE_MAX - n) / 8) {
		b->oom = true;
		return;
	}
	char *d = sb_room(b, i + SBW_JSON_MAX(n - i));
	if (d)
		sb_done(b, json_str_at(d, s, n, i));
}

char *sb_take(struct sbuf *b)
{
	if (b->oom) {
		sb_free(b);
		return NULL;
	}
	char *p = b->p;
	if (!p) {
		p = malloc(1);
		if (p)
			p[0] = '\0';
	}
	memset(b, 0, sizeof(*b));
	return p;
}

const char *sb_str(const struct sbuf *b)
{
	return b->p ? b->p : "";
}

/* ---- JSON writer ---- */

void jw_init(struct jw *w, struct sbuf *b)
{
	memset(w, 0, sizeof(*w));
	w->b = b;
}

void jw_str_k(struct jw *w, const char *k, size_t kn, const char *v)
{
	jw_key(w, k, kn);
	if (v)
		sb_json_str(w->b, v, strlen(v));
	else
		sb_put(w->b, "null", 4);
}

void jw_open(struct jw *w, const char *k, size_t kn, char c)
{
	jw_key(w, k, kn);
	sb_putc(w->b, c);
	if (w->depth < JW_MAX_DEPTH)
		w->need_comma[w->depth] = false;
	w->depth++;
}

void jw_close(struct jw *w, char c)
{
	if (w->depth > 0)
		w->depth--;
	sb_putc(w->b, c);
}

char *sbw_time(char *d, int64_t sec, uint32_t usec)
{
	if (sec >= 0) {
		unsigned u = usec % 1000000u;
		d = sbw_u64(d, (uint64_t)sec);
		*d++ = '.';
		d = sb_pair(d, u / 10000);
		d = sb_pair(d, u / 100 % 100);
		return sb_pair(d, u % 100);
	}
	int n;
	usec %= 1000000u; /* as above: a value of 10^6 or more never reaches here from a front end */
	if (usec > 0)
		n = snprintf(d, SBW_TIME_MAX, "-%" PRId64 ".%06u", -(sec + 1), 1000000u - usec);
	else
		n = snprintf(d, SBW_TIME_MAX, "%" PRId64 ".%06u", sec, usec);
	if (n < 0)
		n = 0;
	if (n >= SBW_TIME_MAX)
		n = SBW_TIME_MAX - 1;
	return d + n;
}

void jw_time(struct jw *w, const char *k, int64_t sec, uint32_t usec)
{
	JW_KEY(w, k);
	char *d = sb_room(w->b, SBW_TIME_MAX + 1);
	if (d)
		sb_done(w->b, sbw_time(d, sec, usec));
}

void jw_double(struct jw *w, const char *k, double v, int decimals)
{
	JW_KEY(w, k);
	if (v != v || v > 1e300 || v < -1e300)
		sb_puts(w->b, "null");
	else
		sb_fixed(w->b, v, decimals);
}

void jw_milli(struct jw *w, const char *k, uint64_t v)
{
	JW_KEY(w, k);
	sb_milli(w->b, v);
}

char *sbw_milli(char *d, uint64_t v)
{
	if (v >= 1000000000000000ull) /* 1e15: beyond, as jw_double renders it */
		return sbw_fixed(d, (double)v / 1000.0, 3);
	/* v < 1e15 is exact as a double, and v / 1000.0 is within 2^-53 relative (< 1.2e-4
	 * absolute) of v / 1000, which has exactly 3 decimals: printf "%.3f" prints v / 1000 */
	unsigned f = (unsigned)(v % 1000);
	d = sbw_u64(d, v / 1000);
	*d++ = '.';
	*d++ = (char)('0' + f / 100);
	return sb_pair(d, f % 100);
}

void sb_milli(struct sbuf *b, uint64_t v)
{
	char *d = sb_room(b, SBW_MILLI_MAX);
	if (d)
		sb_done(b, sbw_milli(d, v));
}
