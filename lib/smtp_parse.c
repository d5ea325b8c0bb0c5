/* smtp_parse.c — pure SMTP line parsers (RFC 5321 §4.1, §4.2; RFC 3463; RFC 3030; RFC 2920) */
#include "smtp_parse.h"

#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define SMTP_HAVE_AVX2 1 /* an AVX2 variant of the body scan, chosen at run time */
#endif

static const char *const smtp_verb_names[SV_COUNT] = {
    [SV_UNKNOWN] = "UNKNOWN",     [SV_HELO] = "HELO",
    [SV_EHLO] = "EHLO",           [SV_MAIL] = "MAIL",
    [SV_RCPT] = "RCPT",           [SV_DATA] = "DATA",
    [SV_BDAT] = "BDAT",           [SV_RSET] = "RSET",
    [SV_VRFY] = "VRFY",           [SV_EXPN] = "EXPN",
    [SV_HELP] = "HELP",           [SV_NOOP] = "NOOP",
    [SV_QUIT] = "QUIT",           [SV_STARTTLS] = "STARTTLS",
    [SV_AUTH] = "AUTH",           [SV_TURN] = "TURN",
    [SV_ETRN] = "ETRN",           [SV_ATRN] = "ATRN",
    [SV_SEND] = "SEND",           [SV_SOML] = "SOML",
    [SV_SAML] = "SAML",           [SV_END_OF_DATA] = "END_OF_DATA",
    [SV_AUTH_CONT] = "AUTH_CONT",
};

const char *smtp_verb_name(enum smtp_verb v)
{
	if ((unsigned)v >= SV_COUNT || !smtp_verb_names[v])
		return "UNKNOWN";
	return smtp_verb_names[v];
}

static int smtp_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

static bool smtp_is_alpha(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool smtp_is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* Case-insensitive compare of p[0..n) with the NUL-terminated s (exact length). */
static bool smtp_ieq(const uint8_t *p, size_t n, const char *s)
{
	/* the first letter rejects most table entries before any strlen */
	if (n == 0 || smtp_lower(p[0]) != smtp_lower((unsigned char)s[0]))
		return n == 0 && s[0] == '\0';
	size_t k = strlen(s);
	if (n != k)
		return false;
	for (size_t i = 0; i < n; i++)
		if (smtp_lower(p[i]) != smtp_lower((unsigned char)s[i]))
			return false;
	return true;
}

/* Case-insensitive prefix test. */
static bool smtp_iprefix(const uint8_t *p, size_t n, const char *s)
{
	size_t k = strlen(s);
	if (n < k)
		return false;
	return smtp_ieq(p, k, s);
}

/* The four octets at p as one number, upper-cased (p holds letters and digits only: clearing bit
 * 0x20 turns a-z into A-Z and a digit into a control octet no verb contains). */
static uint32_t smtp_upper4(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]) &
	       ~UINT32_C(0x20202020);
}

#define SMTP_W4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

/* The verb of an alphanumeric token p[0..n), case-insensitively (RFC 5321 §2.4). */
static enum smtp_verb smtp_verb_lookup(const uint8_t *p, size_t n)
{
	if (n == 8)
		return smtp_upper4(p) == SMTP_W4('S', 'T', 'A', 'R') &&
		               smtp_upper4(p + 4) == SMTP_W4('T', 'T', 'L', 'S')
		           ? SV_STARTTLS
		           : SV_UNKNOWN;
	if (n != 4)
		return SV_UNKNOWN;
	switch (smtp_upper4(p)) {
	case SMTP_W4('H', 'E', 'L', 'O'):
		return SV_HELO;
	case SMTP_W4('E', 'H', 'L', 'O'):
		return SV_EHLO;
	case SMTP_W4('M', 'A', 'I', 'L'):
		return SV_MAIL;
	case SMTP_W4('R', 'C', 'P', 'T'):
		return SV_RCPT;
	case SMTP_W4('D', 'A', 'T', 'A'):
		return SV_DATA;
	case SMTP_W4('B', 'D', 'A', 'T'):
		return SV_BDAT;
	case SMTP_W4('R', 'S', 'E', 'T'):
		return SV_RSET;
	case SMTP_W4('V', 'R', 'F', 'Y'):
		return SV_VRFY;
	case SMTP_W4('E', 'X', 'P', 'N'):
		return SV_EXPN;
	case SMTP_W4('H', 'E', 'L', 'P'):
		return SV_HELP;
	case SMTP_W4('N', 'O', 'O', 'P'):
		return SV_NOOP;
	case SMTP_W4('Q', 'U', 'I', 'T'):
		return SV_QUIT;
	case SMTP_W4('A', 'U', 'T', 'H'):
		return SV_AUTH;
	case SMTP_W4('T', 'U', 'R', 'N'):
		return SV_TURN;
	case SMTP_W4('E', 'T', 'R', 'N'):
		return SV_ETRN;
	case SMTP_W4('A', 'T', 'R', 'N'):
		return SV_ATRN;
	case SMTP_W4('S', 'E', 'N', 'D'):
		return SV_SEND;
	case SMTP_W4('S', 'O', 'M', 'L'):
		return SV_SOML;
	case SMTP_W4('S', 'A', 'M', 'L'):
		return SV_SAML;
	default:
		return SV_UNKNOWN;
	}
}

bool smtp_parse_cmd(const uint8_t *p, size_t n, struct smtp_cmd *out)
{
	memset(out, 0, sizeof(*out));
	size_t i = 0;
	while (i < n && p[i] != ' ' && p[i] != '\t')
		i++;
	out->verb_p = p;
	out->verb_len = i;
	if (i == 0)
		return false;
	for (size_t k = 0; k < i; k++)
		if (!smtp_is_alpha(p[k]) && !smtp_is_digit(p[k]))
			return false;
	out->verb = smtp_verb_lookup(p, i);
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	out->arg = p + i;
	out->arg_len = n - i;
	return true;
}

bool smtp_parse_reply(const uint8_t *p, size_t n, struct smtp_reply_line *out)
{
	/* as a memset would leave it, without clearing all of enh on every line */
	out->code = 0;
	out->more = false;
	out->has_enh = false;
	out->enh[0] = '\0';
	out->text = NULL;
	out->text_len = 0;
	if (n < 3 || p[0] < '1' || p[0] > '9' || !smtp_is_digit(p[1]) || !smtp_is_digit(p[2]))
		return false;
	if (n > 3 && p[3] != ' ' && p[3] != '-')
		return false;
	out->code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	out->more = n > 3 && p[3] == '-';
	out->text = p + (n > 3 ? 4 : 3);
	out->text_len = n > 3 ? n - 4 : 0;

	/* RFC 3463: class "." subject "." detail; class 2, 4 or 5, subject and detail 1-3 digits,
	 * followed by a space or the end of the text. */
	const uint8_t *t = out->text;
	size_t tn = out->text_len, i = 0, pos = 0;
	if (tn >= 5 && (t[0] == '2' || t[0] == '4' || t[0] == '5') && t[1] == '.') {
		i = 2;
		size_t d = 0;
		while (i < tn && smtp_is_digit(t[i]) && d < 4) {
			i++;
			d++;
		}
		if (d >= 1 && d <= 3 && i < tn && t[i] == '.') {
			i++;
			size_t d2 = 0;
			while (i < tn && smtp_is_digit(t[i]) && d2 < 4) {
				i++;
				d2++;
			}
			if (d2 >= 1 && d2 <= 3 && (i == tn || t[i] == ' ')) {
				pos = i;
				if (pos < sizeof(out->enh)) {
					memcpy(out->enh, t, pos);
					out->enh[pos] = '\0';
					out->has_enh = true;
				}
			}
		}
	}
	return true;
}

static const struct {
	const char *kw;
	uint8_t len;
	uint32_t bit;
} smtp_ext_table[] = {
    {"PIPELINING", 10, SMTP_EXT_PIPELINING},
    {"SIZE", 4, SMTP_EXT_SIZE},
    {"8BITMIME", 8, SMTP_EXT_8BITMIME},
    {"CHUNKING", 8, SMTP_EXT_CHUNKING},
    {"STARTTLS", 8, SMTP_EXT_STARTTLS},
    {"AUTH", 4, SMTP_EXT_AUTH},
    {"DSN", 3, SMTP_EXT_DSN},
    {"ENHANCEDSTATUSCODES", 19, SMTP_EXT_ENHANCEDSTATUSCODES},
    {"SMTPUTF8", 8, SMTP_EXT_SMTPUTF8},
    {"BINARYMIME", 10, SMTP_EXT_BINARYMIME},
};

/* ALPHA / DIGIT / "-" */
static inline bool smtp_is_kw_char(uint8_t c)
{
	return (uint8_t)((c | 0x20) - 'a') < 26 || (uint8_t)(c - '0') < 10 || c == '-';
}

/* p[0..k) (ALPHA / DIGIT / "-" only) equals the upper-case kw[0..k), case-insensitively.  On
 * that alphabet two octets that differ in bit 0x20 alone are the two cases of one letter, so
 * eight octets are compared at once. */
static bool smtp_kw_eq(const uint8_t *p, const char *kw, size_t k)
{
	size_t m = 0;
	for (; k - m >= 8; m += 8) {
		uint64_t a, b;
		memcpy(&a, p + m, 8);
		memcpy(&b, kw + m, 8);
		if ((a ^ b) & ~UINT64_C(0x2020202020202020))
			return false;
	}
	for (; m < k; m++)
		if ((p[m] ^ (uint8_t)kw[m]) & ~0x20u)
			return false;
	return true;
}

uint32_t smtp_ehlo_keyword(const uint8_t *text, size_t n)
{
	size_t i = 0;
	while (i < n && text[i] == ' ')
		i++;
	size_t s = i;
	/* ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-"); old servers wrote "AUTH=LOGIN" */
	while (i < n && smtp_is_kw_char(text[i]))
		i++;
	if (i == s)
		return 0;
	if (i < n && text[i] != ' ' && text[i] != '=')
		return 0;
	size_t k = i - s;
	/* the length first: a keyword is compared only with the entries as long as it */
	for (size_t e = 0; e < sizeof(smtp_ext_table) / sizeof(smtp_ext_table[0]); e++)
		if (smtp_ext_table[e].len == k && smtp_kw_eq(text + s, smtp_ext_table[e].kw, k))
			return smtp_ext_table[e].bit;
	return SMTP_EXT_OTHER;
}

bool smtp_parse_path(const uint8_t *p, size_t n, const char *prefix, const uint8_t **addr,
                     size_t *addr_len)
{
	*addr = p;
	*addr_len = 0;
	if (!smtp_iprefix(p, n, prefix))
		return false;
	size_t i = strlen(prefix);
	while (i < n && p[i] == ' ')
		i++;
	if (i < n && p[i] == '<') {
		size_t s = ++i;
		const uint8_t *gt = memchr(p + s, '>', n - s);
		i = gt ? (size_t)(gt - p) : n;
		*addr = p + s;
		*addr_len = i - s;
		return true;
	}
	size_t s = i;
	while (i < n && p[i] != ' ')
		i++;
	*addr = p + s;
	*addr_len = i - s;
	return true;
}

bool smtp_parse_bdat(const uint8_t *p, size_t n, uint64_t *size, bool *last)
{
	size_t i = 0;
	uint64_t v = 0;
	*size = 0;
	*last = false;
	if (n == 0 || !smtp_is_digit(p[0]))
		return false;
	while (i < n && smtp_is_digit(p[i])) {
		if (v > (UINT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t)(p[i] - '0');
		i++;
	}
	if (i < n && p[i] != ' ')
		return false;
	while (i < n && p[i] == ' ')
		i++;
	if (i < n) {
		size_t s = i;
		while (i < n && p[i] != ' ')
			i++;
		if (!smtp_ieq(p + s, i - s, "LAST"))
			return false;
		while (i < n && p[i] == ' ')
			i++;
		if (i != n)
			return false;
		*last = true;
	}
	*size = v;
	return true;
}

static bool smtp_is_id_char(uint8_t c)
{
	return smtp_is_alpha(c) || smtp_is_digit(c) || c == '-' || c == '.' || c == '_' ||
	       c == '@' || c == '/' || c == '+' || c == '=';
}

/* Find the case-insensitive needle in text; returns its offset or n. */
static size_t smtp_ifind(const uint8_t *t, size_t n, const char *needle)
{
	size_t k = strlen(needle);
	if (k > n)
		return n;
	if (k == 0)
		return 0;
	int first = smtp_lower((unsigned char)needle[0]);
	for (size_t i = 0; i + k <= n; i++) {
		if (smtp_lower(t[i]) != first)
			continue; /* most positions end here, before any call */
		size_t m = 1;
		while (m < k && smtp_lower(t[i + m]) == smtp_lower((unsigned char)needle[m]))
			m++;
		if (m == k)
			return i;
	}
	return n;
}

/* The token starting at t[i]: id characters, optionally inside <>. */
static bool smtp_token_at(const uint8_t *t, size_t n, size_t i, const uint8_t **id, size_t *len)
{
	if (i < n && t[i] == '<')
		i++;
	size_t s = i;
	while (i < n && smtp_is_id_char(t[i]))
		i++;
	/* a trailing '.' ends a sentence, it is not part of the id */
	size_t e = i;
	while (e > s && t[e - 1] == '.')
		e--;
	if (e == s)
		return false;
	*id = t + s;
	*len = e - s;
	return true;
}

bool smtp_reply_queue_id(const uint8_t *text, size_t n, const uint8_t **id, size_t *id_len)
{
	size_t at;
	/* Postfix: "2.0.0 Ok: queued as 4F3B21C0A1B" */
	at = smtp_ifind(text, n, "queued as ");
	if (at < n)
		return smtp_token_at(text, n, at + 10, id, id_len);
	/* Exim: "OK id=1MuZRF-0005uK-Ao" */
	at = smtp_ifind(text, n, "id=");
	if (at < n && (at == 0 || text[at - 1] == ' '))
		return smtp_token_at(text, n, at + 3, id, id_len);
	/* Sendmail "2.0.0 u4HKN5s8013546 Message accepted for delivery", Exchange
	 * "2.6.0 <msgid@host> Queued mail for delivery": the token before the phrase. */
	at = smtp_ifind(text, n, " Message accepted");
	if (at == n)
		at = smtp_ifind(text, n, " Queued mail for delivery");
	if (at < n && at > 0) {
		size_t e = at, s = at;
		while (s > 0 && text[s - 1] != ' ')
			s--;
		/* the token must not be the enhanced status code itself */
		if (e > s &&
		    !(e - s <= 9 && smtp_is_digit(text[s]) && s + 1 < e && text[s + 1] == '.'))
			return smtp_token_at(text, e, s, id, id_len);
	}
	return false;
}

bool smtp_looks_like_cmd(const uint8_t *p, size_t n)
{
	struct smtp_cmd c;
	return smtp_parse_cmd(p, n, &c) && c.verb != SV_UNKNOWN;
}

bool smtp_looks_like_reply(const uint8_t *p, size_t n)
{
	struct smtp_reply_line r;
	return smtp_parse_reply(p, n, &r) && r.code >= 200 && r.code <= 599;
}

/* Bit k set when p[k] is LF, for the 64 octets at p. */
static inline uint64_t smtp_lf_mask64(const uint8_t *p)
{
#if defined(__SSE2__)
	const __m128i lf = _mm_set1_epi8('\n');
	uint64_t m0 = (uint32_t)_mm_movemask_epi8(
	    _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)p), lf));
	uint64_t m1 = (uint32_t)_mm_movemask_epi8(
	    _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 16)), lf));
	uint64_t m2 = (uint32_t)_mm_movemask_epi8(
	    _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 32)), lf));
	uint64_t m3 = (uint32_t)_mm_movemask_epi8(
	    _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 48)), lf));
	return m0 | m1 << 16 | m2 << 32 | m3 << 48;
#else
	uint64_t m = 0;
	for (unsigned k = 0; k < 64; k++)
		m |= (uint64_t)(p[k] == '\n') << k;
	return m;
#endif
}

#if defined(SMTP_HAVE_AVX2)
/* smtp_lf_mask64 in two 32-octet compares */
static inline __attribute__((target("avx2"))) uint64_t smtp_lf_mask64_avx2(const uint8_t *p)
{
	const __m256i lf = _mm256_set1_epi8('\n');
	uint64_t m0 = (uint32_t)_mm256_movemask_epi8(
	    _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(const void *)p), lf));
	uint64_t m1 = (uint32_t)_mm256_movemask_epi8(
	    _mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(const void *)(p + 32)), lf));
	return m0 | m1 << 32;
}
#define SMTP_LF_MASK64(avx2, p) ((avx2) ? smtp_lf_mask64_avx2(p) : smtp_lf_mask64(p))
#else
#define SMTP_LF_MASK64(avx2, p) smtp_lf_mask64(p)
#endif

/* One line of the body ended (CRLF seen): account for its length. */
static void smtp_body_eol(struct smtp_body_scan *s, unsigned term)
{
	uint64_t total = s->line_len + term;
	if (total > SMTP_TEXT_LINE_MAX)
		s->long_lines++;
	if (total > s->longest)
		s->longest = total;
	s->lines++;
	s->line_len = 0;
}

/* Octets that need the SB_BOL state when they open a line after a CRLF: '.', CR, LF (bit c). */
#define SMTP_BOL_SPECIAL ((UINT64_C(1) << '.') | (UINT64_C(1) << '\r') | (UINT64_C(1) << '\n'))

/* The SB_LINE fast path of smtp_body_feed, from p[i] (inside a line): jump from LF to LF; a CR
 * just before an LF makes CRLF, any other CR is part of the line.  A CRLF followed by an
 * ordinary octet (the common case) stays here: that octet starts the next line, exactly as
 * SB_BOL would have taken it.  The LFs of 64 octets are found at once (smtp_lf_mask64) and taken
 * from the mask one by one, so a line costs no call; the last < 64 octets of a buffer of 64 or
 * more are taken from the mask of its last 64 octets, shifted (only a buffer shorter than 64
 * goes through memchr).  A line that ends in CRLF, is followed by an ordinary octet in the
 * buffer and is no longer than the longest line so far (nor than SMTP_TEXT_LINE_MAX) changes
 * nothing but the line count: that is all the common case does, in locals; every other line
 * takes the exact accounting below.
 * Returns n when every octet is used, else the index of the octet after a CRLF that SB_BOL must
 * look at (s->pos is then SB_BOL). */
static inline __attribute__((always_inline)) size_t
smtp_body_lines_impl(struct smtp_body_scan *s, const uint8_t *p, size_t n, size_t i, bool avx2)
{
	uint64_t carry = s->line_len; /* octets of the current line before p[i] */
	uint64_t lines = s->lines;
	uint64_t thr = s->longest < SMTP_TEXT_LINE_MAX ? s->longest : SMTP_TEXT_LINE_MAX;
	size_t blk = i, ret;
	for (;;) {
		uint64_t mask; /* the LFs of p[blk .. blk + 64) (bit k: p[blk + k]) */
		size_t next;
		if (n - blk >= 64) {
			mask = SMTP_LF_MASK64(avx2, p + blk);
			next = blk + 64;
		} else if (blk == n) {
			break;
		} else if (n >= 64) {
			/* the tail: the mask of the last 64 octets without the ones already seen */
			mask = SMTP_LF_MASK64(avx2, p + n - 64) >> (64 - (n - blk));
			next = n;
		} else {
			uint8_t tmp[64]; /* a short buffer: its octets, then no LF */
			memset(tmp, 0, sizeof(tmp));
			memcpy(tmp, p + blk, n - blk);
			mask = SMTP_LF_MASK64(avx2, tmp);
			next = n;
		}
		while (mask) {
			size_t j = blk + (size_t)__builtin_ctzll(mask);
			mask &= mask - 1;
			uint64_t total = carry + (j - i) + 1; /* the line with its terminator */
			bool crlf = j > i && p[j - 1] == '\r';
			if (crlf && total <= thr && j + 1 < n) {
				uint8_t c = p[j + 1];
				if (c > '.' || !((SMTP_BOL_SPECIAL >> c) & 1)) {
					lines++;
					carry = 0;
					i = j + 1;
					continue;
				}
			}
			/* the exact accounting (smtp_body_eol) */
			if (total > SMTP_TEXT_LINE_MAX)
				s->long_lines++;
			if (total > s->longest) {
				s->longest = total;
				thr = total < SMTP_TEXT_LINE_MAX ? total : SMTP_TEXT_LINE_MAX;
			}
			lines++;
			carry = 0;
			i = j + 1;
			if (!crlf) {
				/* a bare LF ends the line for length accounting, but only CRLF
				 * opens the way to the end-of-data marker */
				s->bare_lf++;
				if (i == n) {
					ret = n;
					goto out;
				}
				continue;
			}
			if (i < n && p[i] != '.' && p[i] != '\r' && p[i] != '\n')
				continue; /* an ordinary octet: counted as the next line's first */
			s->pos = SB_BOL;
			ret = i;
			goto out;
		}
		blk = next;
	}
	/* no LF after p[i] (i < n: a line end at n - 1 returned above) */
	if (p[n - 1] == '\r') {
		carry += n - 1 - i;
		s->pos = SB_CR;
	} else {
		carry += n - i;
	}
	ret = n;
out:
	s->line_len = carry;
	s->lines = lines;
	return ret;
}

static size_t smtp_body_lines(struct smtp_body_scan *s, const uint8_t *p, size_t n, size_t i)
{
	return smtp_body_lines_impl(s, p, n, i, false);
}

#if defined(SMTP_HAVE_AVX2)
static __attribute__((target("avx2"))) size_t
smtp_body_lines_avx2(struct smtp_body_scan *s, const uint8_t *p, size_t n, size_t i)
{
	return smtp_body_lines_impl(s, p, n, i, true);
}
#endif

size_t smtp_body_feed(struct smtp_body_scan *s, const uint8_t *p, size_t n, bool *done)
{
	*done = false;
	size_t i = 0;
	while (i < n) {
		uint8_t c = p[i];
		switch (s->pos) {
		case SB_LINE:
#if defined(SMTP_HAVE_AVX2)
			if (!s->no_avx2 && __builtin_cpu_supports("avx2")) {
				i = smtp_body_lines_avx2(s, p, n, i);
				continue;
			}
#endif
			i = smtp_body_lines(s, p, n, i);
			continue;
		case SB_BOL:
			if (c == '.') {
				s->pos = SB_DOT;
				s->line_len = 1;
			} else if (c == '\r') {
				s->pos = SB_CR;
			} else {
				s->pos = SB_LINE;
				s->line_len = 1;
				if (c == '\n') {
					s->bare_lf++;
					s->line_len = 0;
					smtp_body_eol(s, 1);
				}
			}
			i++;
			continue;
		case SB_CR:
			if (c == '\n') {
				smtp_body_eol(s, 2);
				s->pos = SB_BOL;
			} else if (c == '\r') {
				s->line_len++; /* the first CR is a lone CR inside the line */
			} else {
				s->line_len += 2;
				s->pos = SB_LINE;
			}
			i++;
			continue;
		case SB_DOT:
			if (c == '\r') {
				s->pos = SB_DOT_CR;
			} else {
				s->stuffed++;
				s->pos = SB_LINE;
				if (c == '\n') {
					s->bare_lf++;
					smtp_body_eol(s, 1);
				} else {
					s->line_len++;
				}
			}
			i++;
			continue;
		case SB_DOT_CR:
			i++;
			if (c == '\n') {
				s->pos = SB_BOL;
				s->line_len = 0;
				*done = true;
				return i;
			}
			s->line_len += 1;
			s->pos = c == '\r' ? SB_CR : SB_LINE;
			if (c != '\r')
				s->line_len++;
			continue;
		}
	}
	return n;
}
