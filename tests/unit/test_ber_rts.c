/* test_ber_rts.c — BER reader and the RTS connection/abort parameters */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ber.h"
#include "rts.h"
#include "testutil.h"

static void test_ber_definite_indefinite(void **state)
{
	(void)state;
	static const uint8_t def[] = {0x30, 0x03, 0x02, 0x01, 0x05};
	static const uint8_t ind[] = {0x31, 0x80, 0xA0, 0x80, 0x80, 0x01,
	                              0x00, 0x00, 0x00, 0x00, 0x00};
	struct ber_tlv t;
	uint8_t *g = tu_guarded_copy(def, sizeof def);
	assert_int_equal(ber_read(g, sizeof def, &t), BER_OK);
	assert_int_equal(t.tag, 16);
	assert_true(t.cons);
	assert_int_equal(t.len, 3);
	tu_guarded_free(g, sizeof def);
	g = tu_guarded_copy(ind, sizeof ind);
	assert_int_equal(ber_read(g, sizeof ind, &t), BER_OK);
	assert_true(t.indef);
	assert_int_equal(t.total, sizeof ind);
	for (size_t k = 0; k < sizeof ind; k++)
		assert_int_not_equal(ber_read(g, k, &t), BER_OK);
	tu_guarded_free(g, sizeof ind);
	int64_t v;
	static const uint8_t neg[] = {0xFF};
	assert_true(ber_int(neg, 1, &v));
	assert_int_equal(v, -1);
}

static void test_ber_hostile(void **state)
{
	(void)state;
	/* nesting deeper than the limit, lengths past the buffer, long length forms */
	uint8_t deep[64];
	for (size_t i = 0; i < sizeof deep; i += 2) {
		deep[i] = 0x30;
		deep[i + 1] = 0x80;
	}
	struct ber_tlv t;
	uint8_t *g = tu_guarded_copy(deep, sizeof deep);
	assert_int_not_equal(ber_read(g, sizeof deep, &t), BER_OK);
	tu_guarded_free(g, sizeof deep);
	static const uint8_t longlen[] = {0x04, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x00};
	g = tu_guarded_copy(longlen, sizeof longlen);
	assert_int_equal(ber_read(g, sizeof longlen, &t), BER_SHORT);
	tu_guarded_free(g, sizeof longlen);
	static const uint8_t prim_indef[] = {0x04, 0x80, 0x00, 0x00};
	assert_int_equal(ber_read(prim_indef, sizeof prim_indef, &t), BER_BAD);
}

static void test_pconnect_x410(void **state)
{
	(void)state;
	static const uint8_t pc[] = {0x31, 0x10, 0xA0, 0x03, 0x80, 0x01, 0x00, 0xA1, 0x09,
	                             0x80, 0x01, 0x04, 0x81, 0x01, 0x05, 0x82, 0x01, 0x01};
	struct rts_params p;
	uint8_t *g = tu_guarded_copy(pc, sizeof pc);
	assert_true(rts_parse_connect(g, sizeof pc, false, &p));
	tu_guarded_free(g, sizeof pc);
	assert_int_equal(p.mode, RTS_MODE_X410);
	assert_int_equal(p.checkpoint, 4);
	assert_int_equal(p.window, 5);
	assert_true(p.has_dialogue);
	assert_int_equal(p.dialogue, 1);
}

static void test_rtorq_normal_mode(void **state)
{
	(void)state;
	/* a CP-type in normal mode wrapping, somewhere deep, [16] { [0] 2, [1] 3 } (indefinite) */
	static const uint8_t cp[] = {0x31, 0x80, 0xA0, 0x03, 0x80, 0x01, 0x01, 0xA2, 0x80,
	                             0x61, 0x80, 0xB0, 0x80, 0x80, 0x01, 0x02, 0x81, 0x01,
	                             0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
	struct rts_params p;
	assert_true(rts_parse_connect(cp, sizeof cp, false, &p));
	assert_int_equal(p.mode, RTS_MODE_NORMAL);
	assert_int_equal(p.checkpoint, 2);
	assert_int_equal(p.window, 3);
	assert_false(rts_parse_connect(cp, sizeof cp, true, &p));
}

static void test_abort_info(void **state)
{
	(void)state;
	static const uint8_t ai[] = {0x31, 0x03, 0x80, 0x01, 0x04};
	int64_t r;
	assert_true(rts_parse_abort(ai, sizeof ai, &r));
	assert_int_equal(r, 4);
	assert_string_equal(rts_abort_reason_str(r), "protocolError");
	static const uint8_t junk[] = {0x01, 0x02, 0x03};
	assert_false(rts_parse_abort(junk, sizeof junk, &r));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ber_definite_indefinite),
	    cmocka_unit_test(test_ber_hostile),
	    cmocka_unit_test(test_pconnect_x410),
	    cmocka_unit_test(test_rtorq_normal_mode),
	    cmocka_unit_test(test_abort_info),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
