/* test_tpkt_cotp.c — RFC 1006 TPKT headers, X.224 class 0 TPDUs, TSDU reassembly */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cotp.h"
#include "testutil.h"
#include "tpkt.h"

static void test_tpkt(void **state)
{
	(void)state;
	struct tpkt_hdr h;
	static const uint8_t ok[] = {0x03, 0x00, 0x00, 0x0A};
	static const uint8_t ver[] = {0x04, 0x00, 0x00, 0x0A};
	static const uint8_t shortlen[] = {0x03, 0x00, 0x00, 0x06};
	static const uint8_t resv[] = {0x03, 0x01, 0x00, 0x0A};
	assert_int_equal(tpkt_parse(ok, 3, &h), TPKT_NEED);
	assert_int_equal(tpkt_parse(ok, 4, &h), TPKT_OK);
	assert_int_equal(h.length, 10);
	assert_int_equal(tpkt_parse(ver, 4, &h), TPKT_BAD_VERSION);
	assert_int_equal(tpkt_parse(shortlen, 4, &h), TPKT_BAD_LENGTH);
	assert_int_equal(tpkt_parse(resv, 4, &h), TPKT_BAD_RESERVED);
	/* resync finds the next header 03 00 00 07 02 F0 */
	static const uint8_t junk[] = {0x03, 0x00, 0x00, 0x02, 0xAA, 0x03,
	                               0x00, 0x00, 0x07, 0x02, 0xF0, 0x80};
	uint8_t *g = tu_guarded_copy(junk, sizeof junk);
	assert_int_equal(tpkt_resync(g, sizeof junk), 5);
	for (size_t k = 1; k <= sizeof junk; k++)
		assert_true(tpkt_resync(g, k) <= k);
	tu_guarded_free(g, sizeof junk);
	assert_true(tpkt_looks_like_header(junk + 5, sizeof junk - 5));
	assert_false(tpkt_looks_like_header(junk, sizeof junk));
	assert_false(tpkt_looks_like_header(junk + 5, 5));
}

static void test_cotp_cr_dt_dr_er(void **state)
{
	(void)state;
	static const uint8_t cr[] = {0x0E, 0xE0, 0x00, 0x00, 0x00, 0x01, 0x00, 0xC0,
	                             0x01, 0x0B, 0xC6, 0x01, 0x01, 0xC2, 0x00};
	static const uint8_t dt[] = {0x02, 0xF0, 0x80, 0x01, 0x00};
	static const uint8_t dr[] = {0x06, 0x80, 0x00, 0x01, 0x00, 0x02, 0x00};
	static const uint8_t er[] = {0x04, 0x70, 0x00, 0x01, 0x02};
	static const uint8_t bad[] = {0x09, 0xF0, 0x80};
	struct cotp_tpdu t;
	uint8_t *g = tu_guarded_copy(cr, sizeof cr);
	assert_int_equal(cotp_parse(g, sizeof cr, &t), COTP_OK);
	tu_guarded_free(g, sizeof cr);
	assert_int_equal(t.code, COTP_CR);
	assert_true(t.has_tpdu_size);
	assert_int_equal(t.tpdu_size_log2, 11);
	assert_true(t.has_add_opt);
	assert_int_equal(t.src_ref, 1);
	assert_int_equal(cotp_parse(dt, sizeof dt, &t), COTP_OK);
	assert_int_equal(t.code, COTP_DT);
	assert_true(t.eot);
	assert_int_equal(t.ud_len, 2);
	assert_int_equal(cotp_parse(dr, sizeof dr, &t), COTP_OK);
	assert_int_equal(t.code, COTP_DR);
	assert_int_equal(cotp_parse(er, sizeof er, &t), COTP_OK);
	assert_int_equal(t.reason, 2);
	assert_int_equal(cotp_parse(bad, sizeof bad, &t), COTP_MALFORMED);
	for (size_t k = 0; k < sizeof cr; k++) {
		g = tu_guarded_copy(cr, k);
		(void)cotp_parse(g, k, &t);
		tu_guarded_free(g, k);
	}
}

static void test_tsdu_reassembly(void **state)
{
	(void)state;
	struct cotp_tsdu_buf b;
	cotp_tsdu_init(&b, 8);
	assert_int_equal(cotp_tsdu_add(&b, (const uint8_t *)"abc", 3, false, 5), 0);
	assert_true(cotp_tsdu_partial(&b));
	assert_int_equal(cotp_tsdu_add(&b, (const uint8_t *)"de", 2, true, 6), 1);
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.p, "abcde", 5);
	assert_int_equal(b.first_frame, 5);
	assert_false(cotp_tsdu_partial(&b));
	/* over the cap: the TSDU is dropped, the next one is fine */
	assert_int_equal(cotp_tsdu_add(&b, (const uint8_t *)"123456", 6, false, 7), 0);
	assert_int_equal(cotp_tsdu_add(&b, (const uint8_t *)"789", 3, true, 8), -1);
	assert_int_equal(cotp_tsdu_add(&b, (const uint8_t *)"x", 1, true, 9), 1);
	assert_int_equal(b.len, 1);
	cotp_tsdu_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tpkt),
	    cmocka_unit_test(test_cotp_cr_dt_dr_er),
	    cmocka_unit_test(test_tsdu_reassembly),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
