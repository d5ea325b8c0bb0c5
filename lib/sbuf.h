/* sbuf.h — growable string buffer and a small JSON writer (for findings and summaries) */
#ifndef MTA_SBUF_H
#define MTA_SBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct sbuf {
	char *p;      /* always NUL-terminated when non-NULL */
	size_t len;
	size_t cap;
	bool oom;     /* an allocation failed: contents are incomplete */
};

void sb_init(struct sbuf *b);
void sb_free(struct sbuf *b);
void sb_reset(struct sbuf *b);                 /* len = 0, keep the allocation */
bool sb_grow(struct sbuf *b, size_t extra); /* room for extra octets + NUL; false if oom */
/* The writers are inline: a capacity check and a copy, the slow path in sb_grow. */
static inline void sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (b->cap - b->len <= n && !sb_grow(b, n))
		return;
	if (b->oom)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}
static inline void sb_putc(struct sbuf *b, char c)
{
	if (b->cap - b->len <= 1 && !sb_grow(b, 1))
		return;
	if (b->oom)
		return;
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}
void sb_puts(struct sbuf *b, const char *s);
/* sb_put of a string literal, its length folded at compile time */
#define SB_LIT(b, lit) sb_put((b), "" lit, sizeof(lit) - 1)
void sb_u64(struct sbuf *b, uint64_t v);       /* decimal, as printf "%" PRIu64 */
void sb_i64(struct sbuf *b, int64_t v);        /* decimal, as printf "%" PRId64 */
/* v with `decimals` digits after the point, exactly as printf "%.*f" renders it. */
void sb_fixed(struct sbuf *b, double v, int decimals);
void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A JSON string literal with quotes; invalid UTF-8 and control octets are escaped as \u00XX. */
void sb_json_str(struct sbuf *b, const char *s, size_t n);

/* Unchecked writing, for renderers that know an upper bound of what they write: sb_room makes
 * room for n octets (plus the NUL) and returns where to write, NULL when out of memory (then
 * write nothing); the sbw_* writers write at d, at most the octets their comments say, and
 * return the end; sb_done sets the length to end (which must lie within the room). */
static inline char *sb_room(struct sbuf *b, size_t n)
{
	if (b->cap - b->len <= n && !sb_grow(b, n))
		return NULL;
	if (b->oom)
		return NULL;
	return b->p + b->len;
}
static inline void sb_done(struct sbuf *b, char *end)
{
	b->len = (size_t)(end - b->p);
	*end = '\0';
}
/* a string literal's octets (no NUL): the length folded at compile time, one copy */
#define SBW_LIT(d, lit) ((char *)memcpy((d), "" lit, sizeof(lit) - 1) + sizeof(lit) - 1)
static inline char *sbw_mem(char *d, const char *s, size_t n)
{
	memcpy(d, s, n);
	return d + n;
}
#define SBW_U64_MAX 20
char *sbw_u64(char *d, uint64_t v); /* sb_u64: at most 20 octets */
char *sbw_i64(char *d, int64_t v); /* sb_i64: at most 20 octets */
/* sb_json_str: at most SBW_JSON_MAX(n) octets */
#define SBW_JSON_MAX(n) (6 * (size_t)(n) + 2)
char *sbw_json_str(char *d, const char *s, size_t n);
#define SBW_TIME_MAX 28
/* Inside a void renderer writing at d into b: close what was written, then make room for n
 * more octets at the new d, or return from the renderer when there is no memory (b is then
 * marked out of memory). */
#define SB_REROOM(b, d, n)                                                                         \
	do {                                                                                       \
		sb_done((b), (d));                                                                 \
		(d) = sb_room((b), (n));                                                           \
		if (!(d))                                                                          \
			return;                                                                    \
	} while (0)
char *sbw_time(char *d, int64_t sec, uint32_t usec); /* the value of jw_time: at most 28 */
#define SBW_MILLI_MAX 32
char *sbw_milli(char *d, uint64_t v); /* sb_milli: at most 32 */
/* sb_fixed for -1e18 < v < 1e18 (finite) and 0 <= decimals <= 6: at most 27 octets */
#define SBW_FIXED_MAX 32
char *sbw_fixed(char *d, double v, int decimals);
/* Length of the prefix of s[0..n) that a JSON string holds as it is (printable ASCII other
 * than '"' and '\\'). */
size_t sb_json_plain(const char *s, size_t n);

/* Hand the string to the caller (malloc'd) and reset b; NULL if oom. */
char *sb_take(struct sbuf *b);
const char *sb_str(const struct sbuf *b);      /* "" when empty */

/* JSON writer: keeps commas right.  k is the key inside objects, NULL inside arrays. */
#define JW_MAX_DEPTH 16
struct jw {
	struct sbuf *b;
	int depth;
	bool need_comma[JW_MAX_DEPTH];
};
void jw_init(struct jw *w, struct sbuf *b);
/* The comma before a value and its key (n octets; k NULL inside arrays).  It and the writers
 * below are inline so that strlen() of a literal key is folded at compile time and the copy
 * of its octets is a few moves, not a call. */
static inline void jw_key(struct jw *w, const char *k, size_t n)
{
	/* the comma and the key in one go: keys are string literals of the analysers, plain
	 * ASCII, nothing to escape */
	bool comma = false;
	if (w->depth > 0 && w->depth <= JW_MAX_DEPTH) {
		comma = w->need_comma[w->depth - 1];
		w->need_comma[w->depth - 1] = true;
	}
	if (w->b->cap - w->b->len <= n + 4 && !sb_grow(w->b, n + 4))
		return;
	if (w->b->oom)
		return;
	char *d = w->b->p + w->b->len;
	if (comma)
		*d++ = ',';
	if (k) {
		*d++ = '"';
		memcpy(d, k, n);
		d += n;
		*d++ = '"';
		*d++ = ':';
	}
	*d = '\0';
	w->b->len = (size_t)(d - w->b->p);
}

void jw_open(struct jw *w, const char *k, size_t kn, char c);
void jw_close(struct jw *w, char c);
#define JW_KEY(w, k) jw_key((w), (k), (k) ? strlen(k) : 0)
static inline void jw_obj(struct jw *w, const char *k)     /* { */
{
	jw_open(w, k, k ? strlen(k) : 0, '{');
}
static inline void jw_obj_end(struct jw *w) { jw_close(w, '}'); } /* } */
static inline void jw_arr(struct jw *w, const char *k)     /* [ */
{
	jw_open(w, k, k ? strlen(k) : 0, '[');
}
static inline void jw_arr_end(struct jw *w) { jw_close(w, ']'); } /* ] */
static inline void jw_null(struct jw *w, const char *k)
{
	JW_KEY(w, k);
	sb_put(w->b, "null", 4);
}
void jw_str_k(struct jw *w, const char *k, size_t kn, const char *v);
static inline void jw_str(struct jw *w, const char *k, const char *v) /* NULL v -> null */
{
	jw_str_k(w, k, k ? strlen(k) : 0, v);
}
static inline void jw_u64(struct jw *w, const char *k, uint64_t v)
{
	JW_KEY(w, k);
	sb_u64(w->b, v);
}
static inline void jw_bool(struct jw *w, const char *k, bool v)
{
	JW_KEY(w, k);
	if (v)
		sb_put(w->b, "true", 4);
	else
		sb_put(w->b, "false", 5);
}
void jw_time(struct jw *w, const char *k, int64_t sec, uint32_t usec);  /* 1254722767.492060 */
void jw_double(struct jw *w, const char *k, double v, int decimals);
/* v / 1000 with 3 decimals (microseconds as milliseconds): the same text as
 * jw_double(w, k, (double)v / 1000.0, 3), by integer arithmetic. */
void jw_milli(struct jw *w, const char *k, uint64_t v);
void sb_milli(struct sbuf *b, uint64_t v); /* the value of jw_milli */

#endif
