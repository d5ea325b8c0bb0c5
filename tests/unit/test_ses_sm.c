/* test_ses_sm.c — the session protocol machine driven with parsed SPDUs (no packets) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ses.h"
#include "ses_sm.h"

static uint64_t g_frame;

/* Parse a hex TSDU and step it; returns the findings. */
static struct ses_out feed(struct ses_assoc *a, int dir, const char *hex)
{
	uint8_t b[512];
	size_t n = 0;
	for (const char *p = hex; p[0] && p[1];) {
		if (*p == ' ') {
			p++;
			continue;
		}
		unsigned v;
		assert_int_equal(sscanf(p, "%2x", &v), 1);
		b[n++] = (uint8_t)v;
		p += 2;
	}
	struct ses_tsdu t;
	ses_parse_tsdu(b, n, &t);
	struct ses_out out;
	out.n = out.lost = 0;
	ses_sm_tsdu(a, dir, &t, ++g_frame, &out);
	return out;
}

static void expect_none(struct ses_out o)
{
	for (unsigned i = 0; i < o.n; i++)
		fprintf(stderr, "unexpected %s: %s\n", mta_finding_code_str(o.f[i].code),
		        o.f[i].msg);
	assert_int_equal(o.n, 0);
}

static const struct ses_find *expect_one(struct ses_out *o, enum mta_finding_code c)
{
	for (unsigned i = 0; i < o->n; i++)
		if (o->f[i].code != c)
			fprintf(stderr, "other %s: %s\n", mta_finding_code_str(o->f[i].code),
			        o->f[i].msg);
	assert_int_equal(o->n, 1);
	assert_int_equal(o->f[0].code, c);
	return &o->f[0];
}

static bool has(const struct ses_out *o, enum mta_finding_code c)
{
	for (unsigned i = 0; i < o->n; i++)
		if (o->f[i].code == c)
			return true;
	return false;
}

/* CN / AC of an X.410 BAS association: half-duplex, minor sync, activity, exceptions
 * (0x0249), all tokens with the initiator. */
#define CN_BAS "0D 0C 05 06 16 01 02 1A 01 00 14 02 02 49"
#define AC_BAS "0E 0C 05 06 16 01 02 1A 01 00 14 02 02 49"
#define GT_AS  "01 00 2D 03 29 01 01"
#define GT_DT  "01 00 01 00 41 42 43"
#define MIP(d) "01 00 31 03 2A 01 3" d
#define MIA(d) "02 00 32 03 2A 01 3" d
#define AE(d)  "01 00 29 03 2A 01 3" d
#define AEA(d) "02 00 2A 03 2A 01 3" d

static void setup_bas(struct ses_assoc *a)
{
	ses_sm_init(a);
	g_frame = 0;
	expect_none(feed(a, 0, CN_BAS));
	expect_none(feed(a, 1, AC_BAS));
	assert_true(a->fu_known);
	assert_int_equal(a->fu, 0x0249);
	assert_int_equal(a->tok[SES_TK_MINOR], 0);
}

static void test_clean_transfer(void **state)
{
	(void)state;
	struct ses_assoc a;
	setup_bas(&a);
	for (int act = 0; act < 2; act++) {
		expect_none(feed(&a, 0, GT_AS));
		expect_none(feed(&a, 0, GT_DT));
		expect_none(feed(&a, 0, MIP("1")));
		expect_none(feed(&a, 1, MIA("1")));
		expect_none(feed(&a, 0, GT_DT));
		expect_none(feed(&a, 0, MIP("2")));
		expect_none(feed(&a, 0, MIP("3")));
		expect_none(feed(&a, 1, MIA("3")));
		expect_none(feed(&a, 0, AE("4")));
		expect_none(feed(&a, 1, AEA("4")));
		assert_int_equal(a.spm[0].vact, 0);
	}
	assert_int_equal(a.n_act, 2);
	assert_string_equal(a.act[0].end, "end_confirmed");
	assert_int_equal(a.act[0].mips, 3);
	assert_int_equal(a.act[0].mips_confirmed, 3);
}

static void test_mip_gap_then_resync(void **state)
{
	(void)state;
	struct ses_assoc a;
	setup_bas(&a);
	expect_none(feed(&a, 0, GT_AS));
	expect_none(feed(&a, 0, MIP("1")));
	uint64_t mip1 = g_frame;
	struct ses_out o = feed(&a, 0, MIP("3"));
	const struct ses_find *f = expect_one(&o, MTA_F_OSI_MIP_SERIAL);
	assert_non_null(strstr(f->detail, "\"expected\":2"));
	assert_non_null(strstr(f->detail, "\"seen\":3"));
	assert_non_null(strstr(f->detail, "\"subkind\":\"gap\""));
	assert_int_equal(f->related, mip1);
	/* the model follows what was seen: 4 is fine, no cascade */
	expect_none(feed(&a, 0, MIP("4")));
	expect_none(feed(&a, 1, MIA("4")));
}

static void test_mip_subkinds(void **state)
{
	(void)state;
	struct ses_assoc a;
	setup_bas(&a);
	expect_none(feed(&a, 0, GT_AS));
	struct ses_out o = feed(&a, 0, MIP("2"));
	assert_non_null(strstr(expect_one(&o, MTA_F_OSI_MIP_SERIAL)->detail, "not_reset"));
	o = feed(&a, 0, MIP("2"));
	assert_non_null(strstr(expect_one(&o, MTA_F_OSI_MIP_SERIAL)->detail, "duplicate"));
	expect_none(feed(&a, 0, MIP("3")));
	expect_none(feed(&a, 0, MIP("4")));
	o = feed(&a, 0, MIP("1"));
	assert_non_null(strstr(expect_one(&o, MTA_F_OSI_MIP_SERIAL)->detail, "regress"));
}

static void test_mip_after_ar(void **state)
{
	(void)state;
	struct ses_assoc a;
	setup_bas(&a);
	/* GT + AR resuming after serial 4: next MIP must be 5 */
	expect_none(feed(&a, 0, "01 00 1D 0C 21 07 29 02 02 01 2A 01 34 29 01 07"));
	struct ses_out o = feed(&a, 0, MIP("4"));
	assert_non_null(strstr(expect_one(&o, MTA_F_OSI_MIP_SERIAL)->detail, "ar_off_by_one"));
}

static void test_mip_outside_activity(void **state)
{
	(void)state;
	struct ses_assoc a;
	setup_bas(&a);
	expect_none(feed(&a, 0, GT_AS));
	expect_none(feed(&a, 0, AE("1")));
	expect_none(feed(&a, 1, AEA("1")));
	struct ses_out o = feed(&a, 0, MIP("1"));
	expect_one(&o, MTA_F_OSI_MIP_OUTSIDE_ACTIVITY);
}

static void test_mip_without_tokens(void **state)
{
	(void)state;
	struct ses_assoc a;
	setup_bas(&a);
	expect_none(feed(&a, 0, GT_AS));
	struct ses_out o = feed(&a, 1, MIP("1"));
	expect_one(&o, MTA_F_OSI_MIP_WITHOUT_MINOR_TOKEN);
	/* hand over only the minor token: the responder still lacks the data token */
	setup_bas(&a);
	expect_none(feed(&a, 0, GT_AS));
	expect_none(feed(&a, 0, "01 03 10 01 04"));
	assert_int_equal(a.tok[SES_TK_MINOR], 1);
	o = feed(&a, 1, MIP("1"));
	expect_one(&o, MTA_F_OSI_MIP_WITHOUT_DATA_TOKEN);
}

static void test_mip_wrong_state(void **state)
{
	(void)state;
	struct ses_assoc a;
	setup_bas(&a);
	expect_none(feed(&a, 0, GT_AS));
	expect_none(feed(&a, 0, AE("1")));
	struct ses_out o = feed(&a, 0, MIP("2"));
	expect_one(&o, MTA_F_OSI_MIP_WRONG_STATE);
}

static void test_fu_not_selected(void **state)
{
	(void)state;
	struct ses_assoc a;
	ses_sm_init(&a);
	/* minor sync proposed by the initiator, not by the responder (0x0241) */
	expect_none(feed(&a, 0, CN_BAS));
	expect_none(feed(&a, 1, "0E 0C 05 06 16 01 02 1A 01 00 14 02 02 41"));
	expect_none(feed(&a, 0, GT_AS));
	struct ses_out o = feed(&a, 0, MIP("1"));
	expect_one(&o, MTA_F_OSI_FU_NOT_SELECTED);
	o = feed(&a, 1, MIA("1"));
	expect_one(&o, MTA_F_OSI_FU_NOT_SELECTED);
}

static void test_serial_malformed_and_limit(void **state)
{
	(void)state;
	struct ses_assoc a;
	setup_bas(&a);
	expect_none(feed(&a, 0, GT_AS));
	struct ses_out o = feed(&a, 0, "01 00 31 00");
	expect_one(&o, MTA_F_OSI_SERIAL_MALFORMED);
	o = feed(&a, 0, "01 00 31 04 2A 02 31 41");
	expect_one(&o, MTA_F_OSI_SERIAL_MALFORMED);
	/* negotiated upper limit of 3 digits (PI 56 in PGI 5) */
	ses_sm_init(&a);
	expect_none(feed(&a, 0, "0D 0F 05 09 16 01 02 1A 01 00 38 01 03 14 02 02 49"));
	expect_none(feed(&a, 1, AC_BAS));
	assert_int_equal(a.ulsn, 3);
	expect_none(feed(&a, 0, GT_AS));
	o = feed(&a, 0, "01 00 31 06 2A 04 31 30 30 30");
	expect_one(&o, MTA_F_OSI_MIP_SERIAL_LIMIT);
}

static void test_mia_rows(void **state)
{
	(void)state;
	struct ses_assoc a;
	setup_bas(&a);
	expect_none(feed(&a, 0, GT_AS));
	expect_none(feed(&a, 0, MIP("1")));
	struct ses_out o = feed(&a, 1, MIA("5"));
	expect_one(&o, MTA_F_OSI_MIA_NOT_OUTSTANDING);
	/* A4: all confirmed, another MIA */
	setup_bas(&a);
	expect_none(feed(&a, 0, GT_AS));
	expect_none(feed(&a, 0, MIP("1")));
	expect_none(feed(&a, 1, MIA("1")));
	o = feed(&a, 1, MIA("1"));
	expect_one(&o, MTA_F_OSI_MIA_NOTHING_PENDING);
	/* A2: the MIP sender acknowledges itself */
	setup_bas(&a);
	expect_none(feed(&a, 0, GT_AS));
	expect_none(feed(&a, 0, MIP("1")));
	o = feed(&a, 0, MIA("1"));
	expect_one(&o, MTA_F_OSI_MIA_WRONG_SIDE);
	/* A3: MIA naming the outstanding AE's serial */
	setup_bas(&a);
	expect_none(feed(&a, 0, GT_AS));
	expect_none(feed(&a, 0, MIP("1")));
	expect_none(feed(&a, 0, AE("2")));
	o = feed(&a, 1, MIA("2"));
	expect_one(&o, MTA_F_OSI_MIA_NAMES_MAJOR);
	/* A5: MIA for a MIP that asked for no confirmation */
	setup_bas(&a);
	expect_none(feed(&a, 0, GT_AS));
	expect_none(feed(&a, 0, "01 00 31 06 0F 01 01 2A 01 31"));
	o = feed(&a, 1, MIA("1"));
	const struct ses_find *f = expect_one(&o, MTA_F_OSI_MIA_UNREQUESTED);
	assert_int_equal(f->sev, MTA_SEV_CHAT);
}

static void test_major_rows(void **state)
{
	(void)state;
	struct ses_assoc a;
	setup_bas(&a);
	expect_none(feed(&a, 0, GT_AS));
	expect_none(feed(&a, 0, MIP("1")));
	struct ses_out o = feed(&a, 0, AE("1"));
	expect_one(&o, MTA_F_OSI_MAJOR_SERIAL);
	setup_bas(&a);
	expect_none(feed(&a, 0, GT_AS));
	expect_none(feed(&a, 0, AE("1")));
	o = feed(&a, 1, AEA("2"));
	expect_one(&o, MTA_F_OSI_MAJOR_ACK_SERIAL);
	/* J3: AS while an activity runs; AE without an activity */
	setup_bas(&a);
	expect_none(feed(&a, 0, GT_AS));
	o = feed(&a, 0, GT_AS);
	expect_one(&o, MTA_F_OSI_ACTIVITY_MISUSE);
	setup_bas(&a);
	o = feed(&a, 0, AE("1"));
	expect_one(&o, MTA_F_OSI_ACTIVITY_MISUSE);
	/* AS from the side without the activity token */
	setup_bas(&a);
	o = feed(&a, 1, GT_AS);
	expect_one(&o, MTA_F_OSI_ACTIVITY_MISUSE);
}

static void test_resync(void **state)
{
	(void)state;
	struct ses_assoc a;
	setup_bas(&a);
	expect_none(feed(&a, 0, GT_AS));
	expect_none(feed(&a, 0, MIP("1")));
	expect_none(feed(&a, 0, MIP("2")));
	/* RS restart to 7: beyond V(M)=3 */
	struct ses_out o = feed(&a, 0, "01 00 35 06 1B 01 00 2A 01 37");
	expect_one(&o, MTA_F_OSI_RESYNC_SERIAL);
	/* RA must echo the restart serial */
	o = feed(&a, 1, "02 00 22 06 1B 01 00 2A 01 36");
	expect_one(&o, MTA_F_OSI_RESYNC_SERIAL);
	/* after RA(6) the next MIP carries 6 */
	o = feed(&a, 0, MIP("7"));
	assert_non_null(strstr(expect_one(&o, MTA_F_OSI_MIP_SERIAL)->detail, "after_ra"));
	setup_bas(&a);
	expect_none(feed(&a, 0, GT_AS));
	expect_none(feed(&a, 0, MIP("1")));
	expect_none(feed(&a, 0, "01 00 35 06 1B 01 00 2A 01 31"));
	expect_none(feed(&a, 1, "02 00 22 06 1B 01 00 2A 01 31"));
	expect_none(feed(&a, 0, MIP("1")));
}

static void test_concat_rows(void **state)
{
	(void)state;
	struct ses_assoc a;
	setup_bas(&a);
	expect_none(feed(&a, 0, GT_AS));
	struct ses_out o = feed(&a, 0, "31 03 2A 01 31"); /* bare MIP */
	expect_one(&o, MTA_F_OSI_BAD_CONCATENATION);
	o = feed(&a, 0, "01 00 31 09 2A 01 32"); /* LI past the TSDU */
	expect_one(&o, MTA_F_OSI_SPDU_OVERRUN);
	o = feed(&a, 0, "01 04 C1 02 01 02 31 03 2A 01 33");
	expect_one(&o, MTA_F_OSI_TOKEN_ITEM_MISUSE);
	o = feed(&a, 0, "01 00 31 06 2A 01 34 0F 01 00");
	expect_one(&o, MTA_F_OSI_PI_ORDER);
	o = feed(&a, 0, "01 00 31 06 0F 01 80 2A 01 35");
	expect_one(&o, MTA_F_OSI_RESERVED_BITS);
	/* extended concatenation the responder did not announce */
	o = feed(&a, 0, "01 00 31 03 2A 01 36 01 00 41");
	expect_one(&o, MTA_F_OSI_BAD_CONCATENATION);
}

static void test_v1_limit(void **state)
{
	(void)state;
	struct ses_assoc a;
	ses_sm_init(&a);
	expect_none(feed(&a, 0, "0D 0C 05 06 16 01 01 1A 01 00 14 02 02 49"));
	expect_none(feed(&a, 1, "0E 0C 05 06 16 01 01 1A 01 00 14 02 02 49"));
	expect_none(feed(&a, 0, GT_AS));
	struct ses_out o = feed(&a, 0, "01 00 31 06 19 01 03 2A 01 31");
	expect_one(&o, MTA_F_OSI_V1_LIMIT);
}

static void test_negotiation(void **state)
{
	(void)state;
	struct ses_assoc a;
	ses_sm_init(&a);
	expect_none(feed(&a, 0, "0D 0C 05 06 16 01 02 1A 01 00 14 02 02 4B"));
	struct ses_out o = feed(&a, 1, "0E 0C 05 06 16 01 02 1A 01 00 14 02 02 4B");
	expect_one(&o, MTA_F_OSI_NEGOTIATION_INCONSISTENT);
}

static void test_abort_cause(void **state)
{
	(void)state;
	struct ses_assoc a;
	setup_bas(&a);
	expect_none(feed(&a, 0, GT_AS));
	expect_none(feed(&a, 0, MIP("1")));
	expect_none(feed(&a, 1, MIA("1")));
	struct ses_out o = feed(&a, 0, MIP("3"));
	expect_one(&o, MTA_F_OSI_MIP_SERIAL);
	uint64_t bad = g_frame;
	o = feed(&a, 1, "19 03 11 01 05");
	assert_int_equal(o.n, 2);
	assert_int_equal(o.f[0].code, MTA_F_OSI_ABORT);
	assert_int_equal(o.f[1].code, MTA_F_OSI_ABORT_CAUSE);
	assert_int_equal(o.f[1].related, bad);
	assert_int_equal(o.f[1].frame, g_frame);
	/* the AA and a later RST do not repeat it */
	expect_none(feed(&a, 0, "1A 00"));
	o.n = 0;
	assert_false(ses_sm_abort(&a, 0, "TCP reset", &o));
	ses_sm_tcp_end(&a, 0, true, &o);
	assert_int_equal(o.n, 0);
}

static void test_abrupt_end(void **state)
{
	(void)state;
	struct ses_assoc a;
	setup_bas(&a);
	expect_none(feed(&a, 0, GT_AS));
	expect_none(feed(&a, 0, MIP("1")));
	struct ses_out o;
	o.n = 0;
	ses_sm_tcp_end(&a, 0, false, &o);
	expect_one(&o, MTA_F_OSI_ABRUPT_END);
	/* after a completed activity and release: nothing */
	setup_bas(&a);
	expect_none(feed(&a, 0, GT_AS));
	expect_none(feed(&a, 0, AE("1")));
	expect_none(feed(&a, 1, AEA("1")));
	o.n = 0;
	ses_sm_tcp_end(&a, 0, false, &o);
	assert_int_equal(o.n, 0);
}

static void test_learning(void **state)
{
	(void)state;
	struct ses_assoc a;
	ses_sm_init(&a);
	g_frame = 0;
	expect_none(feed(&a, 0, MIP("7")));
	assert_true(a.learning);
	expect_none(feed(&a, 1, MIA("7")));
	expect_none(feed(&a, 0, MIP("8")));
	struct ses_out o = feed(&a, 0, MIP("9"));
	expect_none(o);
	o = feed(&a, 0, MIP("2"));
	expect_one(&o, MTA_F_OSI_MIP_SERIAL);
}

static void test_exception_report(void **state)
{
	(void)state;
	struct ses_assoc a;
	setup_bas(&a);
	expect_none(feed(&a, 0, GT_AS));
	struct ses_out o = feed(&a, 0, MIP("4"));
	expect_one(&o, MTA_F_OSI_MIP_SERIAL);
	uint64_t bad = g_frame;
	/* PT + ER reflecting the MIP's octets */
	o = feed(&a, 1, "02 00 00 09 31 07 31 05 2A 01 34 00 00");
	const struct ses_find *f = expect_one(&o, MTA_F_OSI_EXCEPTION_REPORT);
	(void)f;
	(void)bad;
}

static void test_rts_window(void **state)
{
	(void)state;
	struct ses_assoc a;
	ses_sm_init(&a);
	g_frame = 0;
	/* CN with PConnect: SET { [0] { [0] 0 }, [1] { ckpt 1, window 2 } } */
	expect_none(feed(&a, 0,
	                 "0D 20 05 06 16 01 02 1A 01 00 14 02 02 49 C1 12 31 10 A0 03 80 01 00 A1 "
	                 "09 80 01 01 81 01 02 82 01 00"));
	expect_none(feed(&a, 1,
	                 "0E 1D 05 06 16 01 02 1A 01 00 14 02 02 49 C1 0F 31 0D A0 03 80 01 00 A1 "
	                 "06 80 01 01 81 01 02"));
	assert_true(a.rts);
	assert_int_equal(a.ckpt, 1);
	assert_int_equal(a.window, 2);
	expect_none(feed(&a, 0, GT_AS));
	expect_none(feed(&a, 0, MIP("1")));
	expect_none(feed(&a, 0, MIP("2")));
	struct ses_out o = feed(&a, 0, MIP("3"));
	expect_one(&o, MTA_F_OSI_RTS_WINDOW_EXCEEDED);
	/* W5: no confirmation asked */
	expect_none(feed(&a, 1, MIA("3")));
	o = feed(&a, 0, "01 00 31 06 0F 01 01 2A 01 34");
	expect_one(&o, MTA_F_OSI_RTS_MIP_UNCONFIRMED);
	/* W6: data from the responder (no turn) */
	o = feed(&a, 1, GT_DT);
	expect_one(&o, MTA_F_OSI_RTS_DATA_OUTSIDE_TURN);
	/* W4: an accept raising the window */
	ses_sm_init(&a);
	expect_none(feed(&a, 0,
	                 "0D 20 05 06 16 01 02 1A 01 00 14 02 02 49 C1 12 31 10 A0 03 80 01 00 A1 "
	                 "09 80 01 01 81 01 02 82 01 00"));
	o = feed(&a, 1,
	         "0E 1D 05 06 16 01 02 1A 01 00 14 02 02 49 C1 0F 31 0D A0 03 80 01 00 A1 06 80 01 "
	         "01 81 01 05");
	expect_one(&o, MTA_F_OSI_RTS_NEGOTIATION_RAISED);
	assert_true(has(&o, MTA_F_OSI_RTS_NEGOTIATION_RAISED));
}

static void test_resume_wrong_checkpoint(void **state)
{
	(void)state;
	struct ses_assoc a;
	setup_bas(&a);
	expect_none(feed(&a, 0, GT_AS));
	expect_none(feed(&a, 0, MIP("1")));
	expect_none(feed(&a, 1, MIA("1")));
	expect_none(feed(&a, 0, MIP("2")));
	expect_none(feed(&a, 0, "01 00 19 00")); /* AI */
	expect_none(feed(&a, 1, "02 00 1A 00")); /* AIA */
	assert_string_equal(a.act[0].end, "interrupted");
	/* AR naming activity 01 resumed after serial 2, but only 1 was confirmed */
	struct ses_out o = feed(&a, 0, "01 00 1D 0B 21 06 29 01 01 2A 01 32 29 01 07");
	const struct ses_find *f = expect_one(&o, MTA_F_OSI_RECOVERY_FAILURE);
	assert_non_null(strstr(f->detail, "\"expected\":1"));
	expect_none(feed(&a, 0, MIP("3")));
}

/* One validity finding per SPDU, the first in the contract's order (§1.3). */
static void test_one_finding_per_spdu(void **state)
{
	(void)state;
	struct ses_assoc a;
	setup_bas(&a);
	/* outside an activity, from the side without tokens, with a wrong serial: M2 only */
	struct ses_out o = feed(&a, 1, MIP("7"));
	expect_one(&o, MTA_F_OSI_MIP_OUTSIDE_ACTIVITY);
	setup_bas(&a);
	expect_none(feed(&a, 0, GT_AS));
	/* without tokens and with a wrong serial: M3 only */
	o = feed(&a, 1, MIP("7"));
	expect_one(&o, MTA_F_OSI_MIP_WITHOUT_MINOR_TOKEN);
	/* MIA: not selected beats malformed */
	ses_sm_init(&a);
	expect_none(feed(&a, 0, CN_BAS));
	expect_none(feed(&a, 1, "0E 0C 05 06 16 01 02 1A 01 00 14 02 02 41"));
	o = feed(&a, 1, "02 00 32 00");
	expect_one(&o, MTA_F_OSI_FU_NOT_SELECTED);
}

static void test_rts_without_accept(void **state)
{
	(void)state;
	struct ses_assoc a;
	ses_sm_init(&a);
	g_frame = 0;
	/* only the initiator's direction captured: PConnect seen, PAccept not: the values in
	 * force are unknown, so no RTS row may be judged */
	expect_none(feed(&a, 0,
	                 "0D 20 05 06 16 01 02 1A 01 00 14 02 02 49 C1 12 31 10 A0 03 80 01 00 A1 "
	                 "09 80 01 00 81 01 02 82 01 00"));
	assert_true(a.rts);
	expect_none(feed(&a, 0, GT_AS));
	for (int i = 0; i < 5; i++)
		expect_none(feed(&a, 0, GT_DT));
	expect_none(feed(&a, 0, MIP("1")));
	expect_none(feed(&a, 0, MIP("2")));
	expect_none(feed(&a, 0, MIP("3")));
	expect_none(feed(&a, 0, MIP("4")));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_clean_transfer),
	    cmocka_unit_test(test_mip_gap_then_resync),
	    cmocka_unit_test(test_mip_subkinds),
	    cmocka_unit_test(test_mip_after_ar),
	    cmocka_unit_test(test_mip_outside_activity),
	    cmocka_unit_test(test_mip_without_tokens),
	    cmocka_unit_test(test_mip_wrong_state),
	    cmocka_unit_test(test_fu_not_selected),
	    cmocka_unit_test(test_serial_malformed_and_limit),
	    cmocka_unit_test(test_mia_rows),
	    cmocka_unit_test(test_major_rows),
	    cmocka_unit_test(test_resync),
	    cmocka_unit_test(test_concat_rows),
	    cmocka_unit_test(test_v1_limit),
	    cmocka_unit_test(test_negotiation),
	    cmocka_unit_test(test_abort_cause),
	    cmocka_unit_test(test_abrupt_end),
	    cmocka_unit_test(test_learning),
	    cmocka_unit_test(test_exception_report),
	    cmocka_unit_test(test_rts_window),
	    cmocka_unit_test(test_rts_without_accept),
	    cmocka_unit_test(test_one_finding_per_spdu),
	    cmocka_unit_test(test_resume_wrong_checkpoint),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
