/* test_render.c — the finding renderings (text and JSON) against printf, gmtime and strftime */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "mtadiag/engine.h"
#include "sbuf.h"

/* The text line as printf, gmtime_r and strftime render it (the definition of the format). */
static void ref_text(char *out, size_t cap, const struct mta_finding *f)
{
	char when[64];
	time_t s = (time_t)f->time.sec;
	struct tm tm;
	if (gmtime_r(&s, &tm)) {
		char tmp[32];
		strftime(tmp, sizeof(tmp), "%Y-%m-%d %H:%M:%S", &tm);
		snprintf(when, sizeof(when), "%s.%06u", tmp, f->time.usec % 1000000u);
	} else {
		snprintf(when, sizeof(when), "%" PRId64 ".%06u", f->time.sec, f->time.usec);
	}
	const char *cli = f->conn ? f->conn->client : "?";
	const char *srv = f->conn ? f->conn->server : "?";
	int n = snprintf(out, cap, "#%" PRIu64 " %s %s %s %s %-7s %s: %s", f->frame, when, cli,
	                 f->dir == MTA_C2S ? ">" : "<", srv, mta_severity_str(f->severity),
	                 mta_finding_code_str(f->code), f->message ? f->message : "");
	if (f->related_frame && n > 0 && (size_t)n < cap)
		snprintf(out + n, cap - (size_t)n, " [see #%" PRIu64 "]", f->related_frame);
}

/* Dates: the epoch, leap days (2000 is a leap year, 2100 is not), ends of years and days,
 * the last second of 9999 and beyond it, negative times, and pseudo-random seconds over the
 * whole range.  Outside 0 <= sec < 253402300800 render.c takes the same gmtime/strftime path
 * as ref_text: those cases check only that the fast calendar is not used there. */
static void test_text_times(void **state)
{
	(void)state;
	struct mta_conn_id id = {"10.0.0.1:1025", "192.0.2.25:25"};
	struct mta_finding f = {
	    .code = MTA_F_SMTP_RST,
	    .severity = MTA_SEV_WARNING,
	    .frame = 12345,
	    .conn = &id,
	    .dir = MTA_C2S,
	    .message = "a message with \"quotes\"",
	};
	int64_t secs[] = {0,          1,          59,         86399,        86400,
	                  68169599,   951782400,  951868799,  951868800,    4107542399,
	                  4107542400, 4102444799, 1254722767, 253402300799, 253402300800,
	                  -1,         -86401,     2147483647, 2147483648,   1767225600};
	char want[512];
	for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
		for (uint32_t us = 0; us < 3; us++) {
			f.time.sec = secs[i];
			f.time.usec = us == 0 ? 0 : us == 1 ? 492060 : 1999999;
			f.dir = us == 1 ? MTA_S2C : MTA_C2S;
			f.related_frame = us == 2 ? 77 : 0;
			f.severity = (enum mta_severity)(us + i) % 4;
			char *got = mta_finding_text(&f);
			assert_non_null(got);
			ref_text(want, sizeof(want), &f);
			assert_string_equal(got, want);
			free(got);
		}
	}
	uint64_t x = 0x853C49E6748FEA9Bull;
	f.conn = NULL;
	for (int k = 0; k < 100000; k++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		f.time.sec = (int64_t)(x % 253402300800ull);
		f.time.usec = (uint32_t)(x >> 40) % 1000000u;
		char *got = mta_finding_text(&f);
		assert_non_null(got);
		ref_text(want, sizeof(want), &f);
		assert_string_equal(got, want);
		free(got);
	}
}

/* The JSON rendering: member order, escaping, related frame and detail only when set. */
static void test_json(void **state)
{
	(void)state;
	struct mta_conn_id id = {"10.0.0.1:1025", "192.0.2.25:25"};
	struct mta_finding f = {
	    .code = MTA_F_SMTP_RST,
	    .severity = MTA_SEV_ERROR,
	    .frame = 7,
	    .time = {1254722767, 492060},
	    .conn = &id,
	    .dir = MTA_S2C,
	    .message = "tab\there \"q\" \xc3\xa9 \x01",
	    .related_frame = 5,
	    .detail_json = "{\"code\":421}",
	};
	char *s = mta_finding_json(&f);
	assert_non_null(s);
	assert_string_equal(
	    s, "{\"kind\":\"finding\",\"code\":\"smtpdiag.rst\",\"severity\":\"error\",\"frame\":7,"
	       "\"time\":1254722767.492060,\"conn\":{\"client\":\"10.0.0.1:1025\",\"server\":"
	       "\"192.0.2.25:25\"},\"dir\":\"s2c\",\"message\":\"tab\\there \\\"q\\\" \xc3\xa9 "
	       "\\u0001\",\"related_frame\":5,\"detail\":{\"code\":421}}");
	free(s);
	f.conn = NULL;
	f.related_frame = 0;
	f.detail_json = "";
	f.message = "";
	f.dir = MTA_C2S;
	s = mta_finding_json(&f);
	assert_non_null(s);
	assert_string_equal(
	    s, "{\"kind\":\"finding\",\"code\":\"smtpdiag.rst\",\"severity\":\"error\",\"frame\":7,"
	       "\"time\":1254722767.492060,\"conn\":{\"client\":\"\",\"server\":\"\"},"
	       "\"dir\":\"c2s\",\"message\":\"\"}");
	free(s);
}

/* The largest renderings: every field at its longest (control octets escape to six octets each,
 * UINT64_MAX frames, the longest negative time, a long detail), against the same JSON written
 * with the checked writers (sb_*, which grow the buffer) and the time printed by printf: the
 * one allocation mta_finding_json reserves up front must hold all of it. */
static void test_json_longest(void **state)
{
	(void)state;
	static char msg[3000], cli[112], srv[112], det[2000];
	for (size_t i = 0; i + 1 < sizeof(msg); i++)
		msg[i] = (char)(i % 3 ? 0x01 : '"');
	memset(cli, 0x1f, sizeof(cli) - 1);
	memset(srv, '\\', sizeof(srv) - 1);
	det[0] = '{';
	memset(det + 1, ' ', sizeof(det) - 3);
	det[sizeof(det) - 2] = '}';
	struct mta_conn_id id;
	memcpy(id.client, cli, sizeof(id.client));
	memcpy(id.server, srv, sizeof(id.server));
	id.client[sizeof(id.client) - 1] = id.server[sizeof(id.server) - 1] = '\0';
	struct mta_finding f = {
	    .code = MTA_F_SMTP_RST,
	    .severity = MTA_SEV_ERROR,
	    .frame = UINT64_MAX,
	    .time = {INT64_MIN + 1, 1},
	    .conn = &id,
	    .dir = MTA_S2C,
	    .message = msg,
	    .related_frame = UINT64_MAX,
	    .detail_json = det,
	};
	struct sbuf want;
	sb_init(&want);
	sb_puts(&want, "{\"kind\":\"finding\",\"code\":\"smtpdiag.rst\",\"severity\":\"error\",");
	sb_printf(&want, "\"frame\":%" PRIu64 ",\"time\":-%" PRId64 ".%06u,\"conn\":{\"client\":",
	          UINT64_MAX, -(INT64_MIN + 2), 999999u);
	sb_json_str(&want, id.client, strlen(id.client));
	sb_puts(&want, ",\"server\":");
	sb_json_str(&want, id.server, strlen(id.server));
	sb_puts(&want, "},\"dir\":\"s2c\",\"message\":");
	sb_json_str(&want, msg, strlen(msg));
	sb_printf(&want, ",\"related_frame\":%" PRIu64 ",\"detail\":%s}", UINT64_MAX, det);
	char *got = mta_finding_json(&f);
	assert_non_null(got);
	assert_string_equal(got, sb_str(&want));
	free(got);
	sb_free(&want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_text_times),
	    cmocka_unit_test(test_json),
	    cmocka_unit_test(test_json_longest),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
