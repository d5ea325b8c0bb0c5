/* test_sbuf.c — string buffer and JSON writer */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <stdio.h>

#include "mtadiag/engine.h"
#include "sbuf.h"
#include "testutil.h"

static void test_json_escapes(void **state)
{
	(void)state;
	struct sbuf b;
	sb_init(&b);
	const char in[] = "a\"b\\c\n\r\t\x01\x7f\xff\xc3\xa9";
	sb_json_str(&b, in, sizeof(in) - 1);
	assert_string_equal(sb_str(&b), "\"a\\\"b\\\\c\\n\\r\\t\\u0001\\u007f\\u00ff\xc3\xa9\"");
	sb_free(&b);
}

static void test_json_embedded_nul_and_overlong(void **state)
{
	(void)state;
	struct sbuf b;
	sb_init(&b);
	const char in[] = { 'x', 0, (char)0xc0, (char)0x80, (char)0xed, (char)0xa0, (char)0x80 };
	sb_json_str(&b, in, sizeof(in));
	/* NUL escaped, overlong and surrogate encodings not passed through */
	assert_string_equal(sb_str(&b), "\"x\\u0000\\u00c0\\u0080\\u00ed\\u00a0\\u0080\"");
	sb_free(&b);
}

/* The 8-octets-at-a-time run scan of sb_json_str: every octet value at every position of a
 * string of plain text (so at each lane of the word, and in the tail) comes out as the one-octet
 * rendering says, and the text around it untouched. */
static void test_json_runs(void **state)
{
	(void)state;
	char in[40];
	struct sbuf one, whole, want;
	sb_init(&one);
	sb_init(&whole);
	sb_init(&want);
	for (int c = 1; c < 256; c++) {
		char ch = (char)c;
		sb_reset(&one);
		sb_json_str(&one, &ch, 1); /* "X" with X escaped as needed */
		for (size_t len = 1; len <= sizeof(in); len++) {
			for (size_t at = 0; at < len; at++) {
				memset(in, 'a', len);
				in[at] = ch;
				sb_reset(&whole);
				sb_json_str(&whole, in, len);
				sb_reset(&want);
				sb_putc(&want, '"');
				for (size_t k = 0; k < at; k++)
					sb_putc(&want, 'a');
				if (c < 0x80)
					sb_put(&want, one.p + 1, one.len - 2);
				else
					sb_printf(&want, "\\u00%02x", c); /* a lone non-ASCII octet: not UTF-8 */
				for (size_t k = at + 1; k < len; k++)
					sb_putc(&want, 'a');
				sb_putc(&want, '"');
				assert_string_equal(whole.p, want.p);
			}
		}
	}
	/* the numbers written without printf agree with printf */
	uint64_t vals[] = { 0, 1, 9, 10, 99, 100, 101, 999, 1000, 65535, 1234567890123ull, UINT64_MAX };
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		sb_reset(&whole);
		sb_u64(&whole, vals[i]);
		sb_reset(&want);
		sb_printf(&want, "%llu", (unsigned long long)vals[i]);
		assert_string_equal(whole.p, want.p);
		sb_reset(&whole);
		sb_i64(&whole, -(int64_t)(vals[i] >> 1));
		sb_reset(&want);
		sb_printf(&want, "%lld", -(long long)(vals[i] >> 1));
		assert_string_equal(whole.p, want.p);
	}
	/* every digit count: 10^k - 1, 10^k and 10^k + 1; around 2^32 */
	for (uint64_t p = 1, k = 0; k < 20; k++, p *= 10) {
		uint64_t around[] = { p - 1, p, p + 1, ((uint64_t)1 << 32) - 1 + k % 3 };
		for (size_t i = 0; i < 4; i++) {
			sb_reset(&whole);
			sb_u64(&whole, around[i]);
			sb_reset(&want);
			sb_printf(&want, "%llu", (unsigned long long)around[i]);
			assert_string_equal(whole.p, want.p);
		}
	}
	for (int k = 0; k < 200000; k++) {
		double v = (double)k * 0.0137 + (double)(k % 7) * 1e-4;
		for (int d = 1; d <= 3; d++) {
			sb_reset(&whole);
			sb_fixed(&whole, v, d);
			sb_reset(&want);
			sb_printf(&want, "%.*f", d, v);
			assert_string_equal(whole.p, want.p);
		}
	}
	/* jw_milli is jw_double(v / 1000.0, 3) by integer arithmetic */
	uint64_t x = 88172645463325252ull;
	for (int k = 0; k < 300000; k++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		uint64_t v = k < 100000 ? (uint64_t)k : x >> (k % 64);
		struct jw w1, w2;
		sb_reset(&whole);
		sb_reset(&want);
		jw_init(&w1, &whole);
		jw_init(&w2, &want);
		jw_milli(&w1, NULL, v);
		jw_double(&w2, NULL, (double)v / 1000.0, 3);
		assert_string_equal(whole.p, want.p);
	}
	sb_free(&one);
	sb_free(&whole);
	sb_free(&want);
}

/* A reference JSON string rendering, octet by octet (the rules of sbuf.h): the SSE2 scan and
 * the unchecked writers must give the same text. */
static bool ref_in(unsigned char c, unsigned lo, unsigned hi)
{
	return c >= lo && c <= hi;
}

/* The length of the well-formed UTF-8 sequence at s, 0 if there is none: written from the
 * grammar of RFC 3629 section 4 (the second octet's range depends on the first), not from code
 * point arithmetic as sbuf.c does, so the two are independent. */
static size_t ref_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	unsigned lo = 0x80, hi = 0xBF; /* range of the second octet */
	size_t len;
	if (ref_in(c, 0xC2, 0xDF))
		len = 2;
	else if (c == 0xE0)
		len = 3, lo = 0xA0;
	else if (ref_in(c, 0xE1, 0xEC) || ref_in(c, 0xEE, 0xEF))
		len = 3;
	else if (c == 0xED)
		len = 3, hi = 0x9F;
	else if (c == 0xF0)
		len = 4, lo = 0x90;
	else if (ref_in(c, 0xF1, 0xF3))
		len = 4;
	else if (c == 0xF4)
		len = 4, hi = 0x8F;
	else
		return 0;
	if (n < len || !ref_in(s[1], lo, hi))
		return 0;
	for (size_t i = 2; i < len; i++)
		if (!ref_in(s[i], 0x80, 0xBF))
			return 0;
	return len;
}

static void ref_json(struct sbuf *b, const unsigned char *s, size_t n)
{
	sb_putc(b, '"');
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t l;
		if (c == '"' || c == '\\') {
			sb_putc(b, '\\');
			sb_putc(b, (char)c);
		} else if (c == '\n') {
			sb_put(b, "\\n", 2);
		} else if (c == '\r') {
			sb_put(b, "\\r", 2);
		} else if (c == '\t') {
			sb_put(b, "\\t", 2);
		} else if (c < 0x20 || c == 0x7F) {
			sb_printf(b, "\\u%04x", c);
		} else if (c < 0x80) {
			sb_putc(b, (char)c);
		} else if ((l = ref_utf8_len(s + i, n - i)) != 0) {
			sb_put(b, (const char *)s + i, l);
			i += l;
			continue;
		} else {
			sb_printf(b, "\\u00%02x", c);
		}
		i++;
	}
	sb_putc(b, '"');
}

/* Every length up to 80 (all the SSE2 tail cases: 1-3, 4-7, 8-15, the overlapping last block),
 * with quotes, controls, DEL, valid 2/3/4-octet UTF-8 and broken sequences at every position,
 * including sequences cut by the end of the string and straddling each 16-octet block
 * boundary; the input sits flush against a guard page (no over-read). */
static void test_json_blocks(void **state)
{
	(void)state;
	static const char *const inserts[] = {
	    "\"", "\\", "\n", "\x01", "\x7f", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
	    "\xc3", "\xe2\x82", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf", "\x80", "\xff",
	};
	unsigned char in[96];
	struct sbuf got, want, raw;
	sb_init(&got);
	sb_init(&want);
	sb_init(&raw);
	for (size_t len = 0; len <= 80; len++) {
		for (size_t k = 0; k < sizeof(inserts) / sizeof(inserts[0]); k++) {
			size_t il = strlen(inserts[k]);
			for (size_t at = 0; at <= len; at++) {
				size_t n = 0;
				for (; n < at; n++)
					in[n] = (unsigned char)('a' + n % 26);
				size_t cut = il < len + 1 - at ? il : len + 1 - at; /* may be cut */
				memcpy(in + n, inserts[k], cut);
				n += cut;
				for (; n < len + 1; n++)
					in[n] = (unsigned char)('A' + n % 26);
				uint8_t *g = tu_guarded_copy(in, n);
				sb_reset(&got);
				sb_json_str(&got, (const char *)g, n);
				sb_reset(&want);
				ref_json(&want, g, n);
				assert_string_equal(got.p, want.p);
				/* the unchecked writer within its bound, and the plain prefix */
				sb_reset(&raw);
				char *d = sb_room(&raw, SBW_JSON_MAX(n));
				assert_non_null(d);
				char *e = sbw_json_str(d, (const char *)g, n);
				assert_true((size_t)(e - d) <= SBW_JSON_MAX(n));
				sb_done(&raw, e);
				assert_string_equal(raw.p, want.p);
				size_t plain = sb_json_plain((const char *)g, n);
				assert_int_equal(plain, at); /* every insert starts with an escaped octet */
				tu_guarded_free(g, n);
			}
		}
	}
	sb_free(&got);
	sb_free(&want);
	sb_free(&raw);
}

/* Every first and second octet from 0x80 up, with the third and fourth octets at the edges of
 * the continuation range (0x7F, 0x80, 0xBF, 0xC0): every boundary of RFC 3629's grammar
 * (overlong forms, surrogates, beyond U+10FFFF, cut sequences) against the reference. */
static void test_json_utf8_edges(void **state)
{
	(void)state;
	static const unsigned char tails[] = { 0x7F, 0x80, 0xBF, 0xC0 };
	struct sbuf got, want;
	sb_init(&got);
	sb_init(&want);
	unsigned valid = 0;
	for (unsigned a = 0x80; a <= 0xFF; a++) {
		for (unsigned b = 0; b <= 0xFF; b++) {
			for (size_t t = 0; t < sizeof(tails) * sizeof(tails); t++) {
				unsigned char in[4] = { (unsigned char)a, (unsigned char)b,
				                        tails[t % sizeof(tails)], tails[t / sizeof(tails)] };
				for (size_t n = 1; n <= 4; n++) {
					sb_reset(&got);
					sb_json_str(&got, (const char *)in, n);
					sb_reset(&want);
					ref_json(&want, in, n);
					assert_string_equal(got.p, want.p);
					/* the validator the front ends share, on its own */
					assert_int_equal(mta_utf8_len(in, n), ref_utf8_len(in, n));
					valid += ref_utf8_len(in, n) == n;
				}
			}
		}
	}
	/* the loop met well-formed sequences of every length: 2-octet ones at least */
	assert_true(valid > 1000);
	/* ASCII is a sequence of one; nothing is none */
	assert_int_equal(mta_utf8_len("a", 1), 1);
	assert_int_equal(mta_utf8_len("", 0), 0);
	sb_free(&got);
	sb_free(&want);
}

/* Numbers: sbw_u64 at every digit count boundary, 0, 9, 10, 99, 100, UINT64_MAX, and pseudo-
 * random values of every bit length, as printf; never more than SBW_U64_MAX octets. */
static void test_digits(void **state)
{
	(void)state;
	char buf[64], ref[64];
	uint64_t fixed[] = {0, 9, 10, 99, 100, 999, 1000, 9999, 10000, 99999, 100000, 999999,
	                    1000000, 99999999, 100000000, 4294967295ull, 4294967296ull,
	                    9999999999999999999ull, 10000000000000000000ull, UINT64_MAX};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		char *e = sbw_u64(buf, fixed[i]);
		*e = '\0';
		snprintf(ref, sizeof(ref), "%llu", (unsigned long long)fixed[i]);
		assert_string_equal(buf, ref);
	}
	uint64_t x = 0x9E3779B97F4A7C15ull;
	for (int k = 0; k < 200000; k++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		uint64_t v = x >> (k % 64);
		char *e = sbw_u64(buf, v);
		assert_true(e - buf <= SBW_U64_MAX);
		*e = '\0';
		snprintf(ref, sizeof(ref), "%llu", (unsigned long long)v);
		assert_string_equal(buf, ref);
	}
	struct sbuf b;
	sb_init(&b);
	int64_t sv[] = {0, -1, 1, INT64_MIN, INT64_MAX, -100, -99};
	for (size_t i = 0; i < sizeof(sv) / sizeof(sv[0]); i++) {
		sb_reset(&b);
		sb_i64(&b, sv[i]);
		snprintf(ref, sizeof(ref), "%lld", (long long)sv[i]);
		assert_string_equal(b.p, ref);
	}
	/* jw_time: usec as six digits, negative seconds as before */
	struct {
		int64_t sec;
		uint32_t usec;
		const char *want;
	} tv[] = {
	    {0, 0, "0.000000"},
	    {1254722767, 492060, "1254722767.492060"},
	    {5, 9, "5.000009"},
	    {7, 1999999, "7.999999"},
	    {-1, 500000, "-0.500000"},
	    {-2, 0, "-2.000000"},
	    {INT64_MAX, 999999, "9223372036854775807.999999"},
	    /* out-of-range microseconds are reduced as for positive seconds, and the longest
	     * negative time stays within SBW_TIME_MAX */
	    {-1, 1500000, "-0.500000"},
	    {INT64_MIN + 1, 1500000, "-9223372036854775806.500000"},
	    {INT64_MIN, 1, "-9223372036854775807.999999"},
	};
	for (size_t i = 0; i < sizeof(tv) / sizeof(tv[0]); i++) {
		struct jw w;
		sb_reset(&b);
		jw_init(&w, &b);
		jw_time(&w, NULL, tv[i].sec, tv[i].usec);
		assert_string_equal(b.p, tv[i].want);
		char *e = sbw_time(buf, tv[i].sec, tv[i].usec);
		assert_true(e - buf <= SBW_TIME_MAX);
		assert_int_equal((size_t)(e - buf), strlen(tv[i].want));
		assert_memory_equal(buf, tv[i].want, strlen(tv[i].want));
	}
	sb_free(&b);
}

/* sb_fixed / sbw_fixed / sb_milli against printf itself: exact binary ties (0.0625 to 3
 * decimals, 2.5 to 0), decimal "ties" that are not exact in binary, -0.0, negative values,
 * the 1e12 edge, tiny and subnormal values, and pseudo-random doubles of every magnitude. */
static void test_fixed_exact(void **state)
{
	(void)state;
	char ref[512];
	struct sbuf b;
	sb_init(&b);
	double fixed[] = {0.0, -0.0, 0.0625, 0.125, 0.375, 2.5, 3.5, 0.5, 1.5, 0.0005, 0.0015,
	                  1.0005, 2.675, 1.005, 0.045, 123.4565, 999999.9995, 1e12, 1e12 - 0.5,
	                  999999999999.9995, 1e-300, 4.9e-324, 2.2250738585072014e-308, -1.5, -0.0625,
	                  -123.456789, 1e17, 9.999e17, 0.1, 0.7, 1e-7, 5e-7, 4.9999999e-7,
	                  0.00049999999999999999, 44.8775, 26.4545};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		for (int d = 0; d <= 6; d++) {
			sb_reset(&b);
			sb_fixed(&b, fixed[i], d);
			snprintf(ref, sizeof(ref), "%.*f", d, fixed[i]);
			assert_string_equal(b.p, ref);
		}
	}
	/* every tie m + 1/2 in the last place, for each number of decimals */
	for (int d = 1; d <= 6; d++) {
		double scale = 1;
		for (int i = 0; i < d; i++)
			scale *= 10;
		for (int m = 0; m < 5000; m++) {
			double v = ((double)m + 0.5) / scale;
			sb_reset(&b);
			sb_fixed(&b, v, d);
			snprintf(ref, sizeof(ref), "%.*f", d, v);
			assert_string_equal(b.p, ref);
		}
	}
	uint64_t x = 0x2545F4914F6CDD1Dull;
	char buf[64];
	for (int k = 0; k < 300000; k++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* averages as the summaries compute them, and raw bit patterns of positive doubles
		 * below 1e18 */
		double v;
		if (k & 1) {
			uint64_t n = 1 + (x >> 59);
			v = (double)(x >> (k % 48)) / (double)n / 1000.0;
		} else {
			uint64_t bits = (x >> 2) % 0x43A0000000000000ull; /* below 2^59 */
			memcpy(&v, &bits, sizeof(v));
		}
		int d = 1 + k % 6;
		char *e = sbw_fixed(buf, v, d);
		assert_true(e - buf <= SBW_FIXED_MAX);
		*e = '\0';
		snprintf(ref, sizeof(ref), "%.*f", d, v);
		assert_string_equal(buf, ref);
		uint64_t ms = x >> (k % 64);
		sb_reset(&b);
		sb_milli(&b, ms);
		snprintf(ref, sizeof(ref), "%.3f", (double)ms / 1000.0);
		assert_string_equal(b.p, ref);
	}
	/* outside the unchecked range: printf, in full */
	sb_reset(&b);
	sb_fixed(&b, 1e30, 2);
	snprintf(ref, sizeof(ref), "%.2f", 1e30);
	assert_string_equal(b.p, ref);
	sb_free(&b);
}

static void test_writer_commas(void **state)
{
	(void)state;
	struct sbuf b;
	struct jw w;
	sb_init(&b);
	jw_init(&w, &b);
	jw_obj(&w, NULL);
	jw_str(&w, "k", "v");
	jw_arr(&w, "a");
	jw_u64(&w, NULL, 1);
	jw_u64(&w, NULL, 2);
	jw_obj(&w, NULL);
	jw_bool(&w, "t", true);
	jw_obj_end(&w);
	jw_arr_end(&w);
	jw_time(&w, "time", 1254722767, 492060);
	jw_null(&w, "n");
	jw_str(&w, "s", NULL);
	jw_obj_end(&w);
	assert_string_equal(sb_str(&b), "{\"k\":\"v\",\"a\":[1,2,{\"t\":true}],"
					"\"time\":1254722767.492060,\"n\":null,\"s\":null}");
	char *s = sb_take(&b);
	assert_non_null(s);
	assert_null(b.p);
	free(s);
}

static void test_printf_long(void **state)
{
	(void)state;
	struct sbuf b;
	sb_init(&b);
	char big[1000];
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	sb_printf(&b, "<%s>", big);
	assert_int_equal(b.len, 1001);
	assert_int_equal(b.p[0], '<');
	assert_int_equal(b.p[1000], '>');
	sb_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_escapes),
		cmocka_unit_test(test_json_embedded_nul_and_overlong),
		cmocka_unit_test(test_json_runs),
		cmocka_unit_test(test_writer_commas),
		cmocka_unit_test(test_printf_long),
		cmocka_unit_test(test_json_blocks),
		cmocka_unit_test(test_json_utf8_edges),
		cmocka_unit_test(test_digits),
		cmocka_unit_test(test_fixed_exact),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
