/* sbuf.c — growable string buffer and JSON writer used to render findings and summaries */
#include "sbuf.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void sb_u64(struct sbuf *b, uint64_t v)
{
	static const char d2[] = "00010203040506070809101112131415161718192021222324"
	                         "25262728293031323334353637383940414243444546474849"
	                         "50515253545556575859606162636465666768697071727374"
	                         "75767778798081828384858687888990919293949596979899";
	static const uint64_t p10[20] = {
	    1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
	    100000000ull, 1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull,
	    10000000000000ull, 100000000000000ull, 1000000000000000ull, 10000000000000000ull,
	    100000000000000000ull, 1000000000000000000ull, 10000000000000000000ull};
	/* the digits straight into the buffer, from the last one back: no copy, no call */
	size_t n = 1;
	while (n < 20 && v >= p10[n])
		n++;
	if (b->cap - b->len <= n && !sb_grow(b, n))
		return;
	if (b->oom)
		return;
	char *d = b->p + b->len + n;
	*d = '\0';
	if (v >> 32) {
		while (v >= 100) {
			unsigned r = (unsigned)(v % 100);
			v /= 100;
			*--d = d2[2 * r + 1];
			*--d = d2[2 * r];
		}
	}
	uint32_t w = (uint32_t)v;
	while (w >= 100) {
		unsigned r = w % 100;
		w /= 100;
		*--d = d2[2 * r + 1];
		*--d = d2[2 * r];
	}
	if (w >= 10) {
		*--d = d2[2 * w + 1];
		*--d = d2[2 * w];
	} else {
		*--d = (char)('0' + w);
	}
	b->len += n;
}

void sb_i64(struct sbuf *b, int64_t v)
{
	if (v < 0) {
		sb_putc(b, '-');
		sb_u64(b, (uint64_t)0 - (uint64_t)v);
	} else {
		sb_u64(b, (uint64_t)v);
	}
}

void sb_fixed(struct sbuf *b, double v, int decimals)
{
	if (decimals >= 1 && decimals <= 6 && v >= 0 && v < 1e12) {
		/* fixed point without printf: integer part, '.', decimals digits */
		uint64_t scale = 1;
		for (int i = 0; i < decimals; i++)
			scale *= 10;
		double x = v * (double)scale;
		uint64_t m = (uint64_t)x;
		double rest = x - (double)m;
		if (x >= 1e8 || (rest > 0.499999 && rest < 0.500001)) {
			/* large, or too close to a tie to be sure to round as printf does (on the
			 * exact binary value): let printf decide */
			sb_printf(b, "%.*f", decimals, v);
			return;
		}
		if (rest >= 0.5)
			m++;
		char frac[8];
		uint64_t f = m % scale;
		sb_u64(b, m / scale);
		frac[0] = '.';
		for (int i = decimals; i >= 1; i--) {
			frac[i] = (char)('0' + f % 10);
			f /= 10;
		}
		sb_put(b, frac, (size_t)decimals + 1);
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

/* Length of a valid UTF-8 sequence starting at s (at most n octets), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
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

/* True when none of the 8 octets at p needs escaping in a JSON string: all in 0x20..0x7E and
 * none is '"' or '\\' (SWAR: a byte-wise "has zero / has less than" test on one word). */
static bool json_plain8(const unsigned char *p)
{
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	uint64_t w;
	memcpy(&w, p, 8);
	uint64_t bad = w & high;                                 /* >= 0x80 */
	bad |= (w - ones * 0x20) & ~w & high;                    /* < 0x20 */
	uint64_t q = w ^ (ones * '"'), bs = w ^ (ones * '\\'), d = w ^ (ones * 0x7F);
	bad |= (q - ones) & ~q & high;                           /* == '"' */
	bad |= (bs - ones) & ~bs & high;                         /* == '\\' */
	bad |= (d - ones) & ~d & high;                           /* == 0x7F */
	return bad == 0;
}

static bool json_plain1(unsigned char c)
{
	return c >= 0x20 && c < 0x7F && c != '"' && c != '\\';
}

void sb_json_str(struct sbuf *b, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	/* the common case, a string with nothing to escape: one reservation, one copy */
	size_t i = 0;
	while (n - i >= 8 && json_plain8(s + i))
		i += 8;
	while (i < n && json_plain1(s[i]))
		i++;
	if (i == n) {
		if (b->cap - b->len <= n + 2 && !sb_grow(b, n + 2))
			return;
		if (b->oom)
			return;
		char *d = b->p + b->len;
		d[0] = '"';
		memcpy(d + 1, str, n);
		d[n + 1] = '"';
		d[n + 2] = '\0';
		b->len += n + 2;
		return;
	}
	/* else: the plain prefix, then octet by octet */
	sb_putc(b, '"');
	sb_put(b, str, i);
	while (i < n) {
		unsigned char c = s[i];
		if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
			/* a run of printable ASCII needs no escaping: find its end 8 octets at a
			 * time, copy it at once */
			size_t j = i + 1;
			while (n - j >= 8 && json_plain8(s + j))
				j += 8;
			while (j < n && s[j] >= 0x20 && s[j] < 0x7F && s[j] != '"' && s[j] != '\\')
				j++;
			sb_put(b, str + i, j - i);
			i = j;
			continue;
		}
		if (c == '"' || c == '\\') {
			sb_putc(b, '\\');
			sb_putc(b, (char)c);
			i++;
		} else if (c == '\n') {
			sb_puts(b, "\\n");
			i++;
		} else if (c == '\r') {
			sb_puts(b, "\\r");
			i++;
		} else if (c == '\t') {
			sb_puts(b, "\\t");
			i++;
		} else if (c < 0x20 || c == 0x7F) {
			sb_printf(b, "\\u%04x", c);
			i++;
		} else {
			size_t l = utf8_len(s + i, n - i);
			if (l == 0) {
				/* not UTF-8: keep the octet visible without breaking JSON */
				sb_printf(b, "\\u00%02x", c);
				i++;
			} else {
				sb_put(b, (const char *)s + i, l);
				i += l;
			}
		}
	}
	sb_putc(b, '"');
}

void sb_safe(struct sbuf *b, const char *str, size_t n, size_t max)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t lim = n < max ? n : max;
	for (size_t i = 0; i < lim; i++) {
		if (s[i] >= 0x20 && s[i] < 0x7F)
			sb_putc(b, (char)s[i]);
		else
			sb_printf(b, "\\x%02x", s[i]);
	}
	if (n > max)
		sb_puts(b, "...");
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

void jw_time(struct jw *w, const char *k, int64_t sec, uint32_t usec)
{
	JW_KEY(w, k);
	if (sec < 0 && usec > 0) {
		sb_printf(w->b, "-%" PRId64 ".%06u", -(sec + 1), 1000000u - usec);
	} else if (sec >= 0) {
		char frac[7];
		unsigned u = usec % 1000000u;
		sb_u64(w->b, (uint64_t)sec);
		for (int i = 5; i >= 0; i--) {
			frac[i + 1] = (char)('0' + u % 10);
			u /= 10;
		}
		frac[0] = '.';
		sb_put(w->b, frac, 7);
	} else {
		sb_printf(w->b, "%" PRId64 ".%06u", sec, usec % 1000000u);
	}
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

void sb_milli(struct sbuf *b, uint64_t v)
{
	if (v >= 1000000000000000ull) { /* 1e15: beyond, leave it to printf as jw_double does */
		sb_fixed(b, (double)v / 1000.0, 3);
		return;
	}
	/* v < 1e15 is exact as a double, and v / 1000.0 is within 2^-53 relative (< 1.2e-4
	 * absolute) of v / 1000, which has exactly 3 decimals: printf "%.3f" prints v / 1000 */
	char frac[4];
	unsigned f = (unsigned)(v % 1000);
	frac[0] = '.';
	frac[1] = (char)('0' + f / 100);
	frac[2] = (char)('0' + f / 10 % 10);
	frac[3] = (char)('0' + f % 10);
	sb_u64(b, v / 1000);
	sb_put(b, frac, 4);
}

void jw_raw(struct jw *w, const char *k, const char *json)
{
	JW_KEY(w, k);
	sb_puts(w->b, json ? json : "null");
}
