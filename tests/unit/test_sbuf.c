/* test_sbuf.c — string buffer and JSON writer */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sbuf.h"

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

static void test_safe(void **state)
{
	(void)state;
	struct sbuf b;
	sb_init(&b);
	sb_safe(&b, "ab\x01\xff" "cdef", 8, 6);
	assert_string_equal(sb_str(&b), "ab\\x01\\xffcd...");
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
		cmocka_unit_test(test_safe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
