/* test_ses.c — SPDU parser: wire examples of X.225, concatenation, hostile lengths */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ses.h"
#include "testutil.h"

static enum ses_tsdu_status parse(const uint8_t *p, size_t n, struct ses_tsdu *t)
{
	uint8_t *g = tu_guarded_copy(p, n);
	enum ses_tsdu_status st = ses_parse_tsdu(g, n, t);
	/* pointers into g are not used after this */
	tu_guarded_free(g, n);
	return st;
}

static void test_gt_dt(void **state)
{
	(void)state;
	static const uint8_t p[] = {0x01, 0x00, 0x01, 0x00, 'a', 'b', 'c'};
	struct ses_tsdu t;
	assert_int_equal(parse(p, sizeof p, &t), SES_TSDU_OK);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.s[0].type, SES_GT);
	assert_int_equal(t.s[1].type, SES_DT);
	assert_int_equal(t.s[1].uinfo_len, 3);
	assert_true(ses_tsdu_plausible(&t, p, sizeof p));
}

static void test_mip_confirm(void **state)
{
	(void)state;
	static const uint8_t p[] = {0x01, 0x00, 0x31, 0x03, 0x2A, 0x01, 0x35};
	struct ses_tsdu t;
	assert_int_equal(parse(p, sizeof p, &t), SES_TSDU_OK);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.s[1].type, SES_MIP);
	assert_int_equal(t.s[1].serial.st, SES_SN_OK);
	assert_int_equal(t.s[1].serial.v, 5);
	assert_false(t.s[1].has_sync_type);
}

static void test_mip_noconfirm(void **state)
{
	(void)state;
	static const uint8_t p[] = {0x01, 0x00, 0x31, 0x07, 0x0F, 0x01,
	                            0x01, 0x2A, 0x02, 0x31, 0x32};
	struct ses_tsdu t;
	assert_int_equal(parse(p, sizeof p, &t), SES_TSDU_OK);
	assert_int_equal(t.s[1].type, SES_MIP);
	assert_true(t.s[1].has_sync_type);
	assert_int_equal(t.s[1].sync_type, 1);
	assert_int_equal(t.s[1].serial.v, 12);
	assert_false(t.s[1].reserved_bits);
}

static void test_mia(void **state)
{
	(void)state;
	static const uint8_t p[] = {0x02, 0x00, 0x32, 0x03, 0x2A, 0x01, 0x35};
	struct ses_tsdu t;
	assert_int_equal(parse(p, sizeof p, &t), SES_TSDU_OK);
	assert_int_equal(t.s[0].type, SES_PT);
	assert_int_equal(t.s[1].type, SES_MIA);
	assert_int_equal(t.s[1].serial.v, 5);
}

static void test_as_ae_aea(void **state)
{
	(void)state;
	static const uint8_t as[] = {0x01, 0x00, 0x2D, 0x05, 0x29, 0x03, 0x02, 0x01, 0x01};
	static const uint8_t ae[] = {0x01, 0x00, 0x29, 0x03, 0x2A, 0x01, 0x33};
	static const uint8_t aea[] = {0x02, 0x00, 0x2A, 0x03, 0x2A, 0x01, 0x33};
	struct ses_tsdu t;
	assert_int_equal(parse(as, sizeof as, &t), SES_TSDU_OK);
	assert_int_equal(t.s[1].type, SES_AS);
	assert_int_equal(t.s[1].act_id_len, 3);
	assert_int_equal(parse(ae, sizeof ae, &t), SES_TSDU_OK);
	assert_int_equal(t.s[1].type, SES_AE);
	assert_int_equal(t.s[1].serial.v, 3);
	assert_int_equal(parse(aea, sizeof aea, &t), SES_TSDU_OK);
	assert_int_equal(t.s[1].type, SES_MAA); /* MAA/AEA: resolved by the machine */
	assert_int_equal(t.s[1].serial.v, 3);
}

static void test_map_with_sync_type(void **state)
{
	(void)state;
	static const uint8_t p[] = {0x01, 0x00, 0x29, 0x06, 0x0F, 0x01, 0x01, 0x2A, 0x01, 0x34};
	struct ses_tsdu t;
	assert_int_equal(parse(p, sizeof p, &t), SES_TSDU_OK);
	assert_int_equal(t.s[1].type, SES_MAP);
}

static void test_gt_tokens_gtc_gta_ab(void **state)
{
	(void)state;
	static const uint8_t gt[] = {0x01, 0x03, 0x10, 0x01, 0x15};
	static const uint8_t gtc[] = {0x15, 0x00};
	static const uint8_t gta[] = {0x16, 0x00};
	static const uint8_t ab[] = {0x19, 0x03, 0x11, 0x01, 0x05};
	struct ses_tsdu t;
	assert_int_equal(parse(gt, sizeof gt, &t), SES_TSDU_OK);
	assert_int_equal(t.n, 1);
	assert_int_equal(t.s[0].type, SES_GT);
	assert_true(t.s[0].has_token_item);
	assert_int_equal(t.s[0].token_item, 0x15);
	assert_int_equal(parse(gtc, sizeof gtc, &t), SES_TSDU_OK);
	assert_int_equal(t.s[0].type, SES_GTC);
	assert_int_equal(parse(gta, sizeof gta, &t), SES_TSDU_OK);
	assert_int_equal(t.s[0].type, SES_GTA);
	assert_int_equal(parse(ab, sizeof ab, &t), SES_TSDU_OK);
	assert_int_equal(t.s[0].type, SES_AB);
	assert_true(t.s[0].has_tdisc);
	assert_int_equal(t.s[0].tdisc, 5);
}

static void test_ai_aia_after_gt_pt(void **state)
{
	(void)state;
	static const uint8_t ai[] = {0x01, 0x00, 0x19, 0x00};
	static const uint8_t aia[] = {0x02, 0x00, 0x1A, 0x00};
	struct ses_tsdu t;
	assert_int_equal(parse(ai, sizeof ai, &t), SES_TSDU_OK);
	assert_int_equal(t.s[1].type, SES_AI);
	assert_int_equal(parse(aia, sizeof aia, &t), SES_TSDU_OK);
	assert_int_equal(t.s[1].type, SES_AIA);
}

static void test_cn_params(void **state)
{
	(void)state;
	/* CN: PGI 5 {PI 19, PI 22, PI 26}, PI 20 = 0x0249, PGI 193 user data */
	static const uint8_t p[] = {0x0D, 0x13, 0x05, 0x09, 0x13, 0x01, 0x00,
	                            0x16, 0x01, 0x02, 0x1A, 0x01, 0x00, 0x14,
	                            0x02, 0x02, 0x49, 0xC1, 0x02, 0xAA, 0xBB};
	struct ses_tsdu t;
	assert_int_equal(parse(p, sizeof p, &t), SES_TSDU_OK);
	assert_int_equal(t.s[0].type, SES_CN);
	assert_true(t.s[0].has_sur);
	assert_int_equal(t.s[0].sur, 0x0249);
	assert_int_equal(t.s[0].version, 2);
	assert_true(t.s[0].has_token_set);
	assert_int_equal(t.s[0].udata_len, 2);
	assert_false(t.s[0].pi_order);
	assert_true(ses_tsdu_plausible(&t, p, sizeof p));
}

static void test_three_octet_li(void **state)
{
	(void)state;
	uint8_t p[4 + 300];
	p[0] = 0x0D;
	p[1] = 0xFF;
	p[2] = 0x01;
	p[3] = 0x2C; /* 300 */
	p[4] = 0xC1;
	p[5] = 0xFF;
	p[6] = 0x01;
	p[7] = 0x28; /* 296 */
	memset(p + 8, 0x55, 296);
	struct ses_tsdu t;
	assert_int_equal(parse(p, sizeof p, &t), SES_TSDU_OK);
	assert_int_equal(t.s[0].li, 300);
	assert_int_equal(t.s[0].udata_len, 296);
}

static void test_bad_concat(void **state)
{
	(void)state;
	static const uint8_t bare_mip[] = {0x31, 0x03, 0x2A, 0x01, 0x35};
	static const uint8_t pt_mip[] = {0x02, 0x00, 0x31, 0x03, 0x2A, 0x01, 0x35};
	static const uint8_t gt_mia[] = {0x01, 0x00, 0x32, 0x03, 0x2A, 0x01, 0x35};
	static const uint8_t cn_gt[] = {0x0D, 0x00, 0x01, 0x00};
	static const uint8_t mip_trailer[] = {0x01, 0x00, 0x31, 0x03, 0x2A, 0x01, 0x35, 0x2D, 0x00};
	struct ses_tsdu t;
	assert_int_equal(parse(bare_mip, sizeof bare_mip, &t), SES_TSDU_BAD_CONCAT);
	assert_int_equal(parse(pt_mip, sizeof pt_mip, &t), SES_TSDU_BAD_CONCAT);
	assert_int_equal(parse(gt_mia, sizeof gt_mia, &t), SES_TSDU_BAD_CONCAT);
	assert_int_equal(parse(cn_gt, sizeof cn_gt, &t), SES_TSDU_BAD_CONCAT);
	assert_int_equal(parse(mip_trailer, sizeof mip_trailer, &t), SES_TSDU_BAD_CONCAT);
}

static void test_extended_ok(void **state)
{
	(void)state;
	static const uint8_t p[] = {0x01, 0x00, 0x2D, 0x03, 0x29, 0x01, 0x01, 0x31,
	                            0x03, 0x2A, 0x01, 0x31, 0x01, 0x00, 'x'};
	struct ses_tsdu t;
	assert_int_equal(parse(p, sizeof p, &t), SES_TSDU_OK);
	assert_int_equal(t.n, 4);
	assert_true(t.extended);
	assert_int_equal(t.s[3].type, SES_DT);
}

static void test_token_misuse(void **state)
{
	(void)state;
	static const uint8_t p[] = {0x01, 0x04, 0xC1, 0x02, 0x01, 0x02,
	                            0x31, 0x03, 0x2A, 0x01, 0x35};
	static const uint8_t q[] = {0x01, 0x03, 0x10, 0x01, 0x01, 0x39, 0x00};
	struct ses_tsdu t;
	assert_int_equal(parse(p, sizeof p, &t), SES_TSDU_OK);
	assert_true(t.token_misuse);
	assert_int_equal(parse(q, sizeof q, &t), SES_TSDU_OK);
	assert_int_equal(t.s[1].type, SES_AD);
	assert_true(t.token_misuse);
}

static void test_hostile_lengths(void **state)
{
	(void)state;
	static const uint8_t over[] = {0x01, 0x00, 0x31, 0x09, 0x2A, 0x01, 0x35};
	static const uint8_t pi_over[] = {0x01, 0x00, 0x31, 0x03, 0x2A, 0x05, 0x35};
	static const uint8_t li3_short[] = {0x0D, 0xFF, 0x01};
	static const uint8_t li3_over[] = {0x0D, 0xFF, 0xFF, 0xFF, 0x00};
	struct ses_tsdu t;
	assert_int_equal(parse(over, sizeof over, &t), SES_TSDU_OVERRUN);
	assert_int_equal(t.n, 1);
	assert_int_equal(parse(pi_over, sizeof pi_over, &t), SES_TSDU_OVERRUN);
	assert_int_equal(parse(li3_short, sizeof li3_short, &t), SES_TSDU_OVERRUN);
	assert_int_equal(parse(li3_over, sizeof li3_over, &t), SES_TSDU_OVERRUN);
	/* every prefix of a valid TSDU parses without reading past it */
	static const uint8_t cn[] = {0x0D, 0x13, 0x05, 0x09, 0x13, 0x01, 0x00,
	                             0x16, 0x01, 0x02, 0x1A, 0x01, 0x00, 0x14,
	                             0x02, 0x02, 0x49, 0xC1, 0x02, 0xAA, 0xBB};
	for (size_t k = 1; k < sizeof cn; k++) {
		enum ses_tsdu_status st = parse(cn, k, &t);
		assert_int_equal(st, SES_TSDU_OVERRUN);
	}
}

static void test_serials(void **state)
{
	(void)state;
	struct ses_serial s = ses_parse_serial((const uint8_t *)"999999", 6);
	assert_int_equal(s.st, SES_SN_OK);
	assert_int_equal(s.v, 999999);
	s = ses_parse_serial((const uint8_t *)"1234567", 7);
	assert_int_equal(s.st, SES_SN_TOO_LONG);
	s = ses_parse_serial((const uint8_t *)"1a", 2);
	assert_int_equal(s.st, SES_SN_NONDIGIT);
	s = ses_parse_serial((const uint8_t *)"", 0);
	assert_int_equal(s.st, SES_SN_EMPTY);
	static const uint8_t nosn[] = {0x01, 0x00, 0x31, 0x00};
	struct ses_tsdu t;
	assert_int_equal(parse(nosn, sizeof nosn, &t), SES_TSDU_OK);
	assert_int_equal(t.s[1].serial.st, SES_SN_ABSENT);
}

static void test_order_and_reserved(void **state)
{
	(void)state;
	static const uint8_t order[] = {0x01, 0x00, 0x31, 0x06, 0x2A, 0x01, 0x35, 0x0F, 0x01, 0x00};
	static const uint8_t resv[] = {0x01, 0x00, 0x31, 0x06, 0x0F, 0x01, 0x80, 0x2A, 0x01, 0x35};
	struct ses_tsdu t;
	assert_int_equal(parse(order, sizeof order, &t), SES_TSDU_OK);
	assert_true(t.s[1].pi_order);
	assert_int_equal(parse(resv, sizeof resv, &t), SES_TSDU_OK);
	assert_true(t.s[1].reserved_bits);
}

static void test_not_session(void **state)
{
	(void)state;
	/* S7comm job header: 0x32 0x01 ... */
	static const uint8_t s7[] = {0x32, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00};
	static const uint8_t s7p[] = {0x72, 0x01, 0x00, 0x10};
	static const uint8_t raw[] = {'h', 'e', 'l', 'l', 'o'};
	struct ses_tsdu t;
	ses_parse_tsdu(s7, sizeof s7, &t);
	assert_false(ses_tsdu_plausible(&t, s7, sizeof s7));
	ses_parse_tsdu(s7p, sizeof s7p, &t);
	assert_false(ses_tsdu_plausible(&t, s7p, sizeof s7p));
	ses_parse_tsdu(raw, sizeof raw, &t);
	assert_false(ses_tsdu_plausible(&t, raw, sizeof raw));
}

static void test_mia_pi46(void **state)
{
	(void)state;
	static const uint8_t p[] = {0x02, 0x00, 0x32, 0x07, 0x2A, 0x01,
	                            0x32, 0x2E, 0x02, 0x01, 0x02};
	struct ses_tsdu t;
	assert_int_equal(parse(p, sizeof p, &t), SES_TSDU_OK);
	assert_true(t.s[1].has_udata);
	assert_int_equal(t.s[1].udata_len, 2);
	assert_int_equal(t.s[1].serial.v, 2);
}

static void test_ar_linking(void **state)
{
	(void)state;
	/* GT + AR: PGI 33 {PI 41 old id, PI 42 "4"}, PI 41 new id */
	static const uint8_t p[] = {0x01, 0x00, 0x1D, 0x0C, 0x21, 0x07, 0x29, 0x02,
	                            0x02, 0x01, 0x2A, 0x01, 0x34, 0x29, 0x01, 0x07};
	struct ses_tsdu t;
	assert_int_equal(parse(p, sizeof p, &t), SES_TSDU_OK);
	assert_int_equal(t.s[1].type, SES_AR);
	assert_int_equal(t.s[1].link_serial.st, SES_SN_OK);
	assert_int_equal(t.s[1].link_serial.v, 4);
	assert_int_equal(t.s[1].serial.st, SES_SN_ABSENT);
	assert_int_equal(t.s[1].act_id_len, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_gt_dt),
	    cmocka_unit_test(test_mip_confirm),
	    cmocka_unit_test(test_mip_noconfirm),
	    cmocka_unit_test(test_mia),
	    cmocka_unit_test(test_as_ae_aea),
	    cmocka_unit_test(test_map_with_sync_type),
	    cmocka_unit_test(test_gt_tokens_gtc_gta_ab),
	    cmocka_unit_test(test_ai_aia_after_gt_pt),
	    cmocka_unit_test(test_cn_params),
	    cmocka_unit_test(test_three_octet_li),
	    cmocka_unit_test(test_bad_concat),
	    cmocka_unit_test(test_extended_ok),
	    cmocka_unit_test(test_token_misuse),
	    cmocka_unit_test(test_hostile_lengths),
	    cmocka_unit_test(test_serials),
	    cmocka_unit_test(test_order_and_reserved),
	    cmocka_unit_test(test_not_session),
	    cmocka_unit_test(test_mia_pi46),
	    cmocka_unit_test(test_ar_linking),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
