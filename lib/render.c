/* render.c — one rendering of findings and stats for every front end (JSON Lines, text) */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mtadiag/engine.h"
#include "sbuf.h"

/* Written straight into one allocation of the upper bound (strings escaped at most
 * SBW_JSON_MAX): the text of the jw_* writer for the same members. */
char *mta_finding_json(const struct mta_finding *f)
{
	const char *code = mta_finding_code_str(f->code), *sev = mta_severity_str(f->severity);
	const char *cli = f->conn ? f->conn->client : "", *srv = f->conn ? f->conn->server : "";
	const char *dir = mta_dir_str(f->dir), *msg = f->message ? f->message : "";
	const char *det = f->detail_json && f->detail_json[0] ? f->detail_json : NULL;
	size_t cn = strlen(code), sn = strlen(sev), an = strlen(cli), bn = strlen(srv);
	size_t dn = strlen(dir), mn = strlen(msg), xn = det ? strlen(det) : 0;
	struct sbuf b;
	sb_init(&b);
	char *d = sb_room(&b, 256 + SBW_JSON_MAX(cn) + SBW_JSON_MAX(sn) + SBW_JSON_MAX(an) +
	                          SBW_JSON_MAX(bn) + SBW_JSON_MAX(dn) + SBW_JSON_MAX(mn) + xn);
	if (!d) {
		sb_free(&b);
		return NULL;
	}
	d = SBW_LIT(d, "{\"kind\":\"finding\",\"code\":");
	d = sbw_json_str(d, code, cn);
	d = SBW_LIT(d, ",\"severity\":");
	d = sbw_json_str(d, sev, sn);
	d = SBW_LIT(d, ",\"frame\":");
	d = sbw_u64(d, f->frame);
	d = SBW_LIT(d, ",\"time\":");
	d = sbw_time(d, f->time.sec, f->time.usec);
	d = SBW_LIT(d, ",\"conn\":{\"client\":");
	d = sbw_json_str(d, cli, an);
	d = SBW_LIT(d, ",\"server\":");
	d = sbw_json_str(d, srv, bn);
	d = SBW_LIT(d, "},\"dir\":");
	d = sbw_json_str(d, dir, dn);
	d = SBW_LIT(d, ",\"message\":");
	d = sbw_json_str(d, msg, mn);
	if (f->related_frame) {
		d = SBW_LIT(d, ",\"related_frame\":");
		d = sbw_u64(d, f->related_frame);
	}
	if (det) {
		d = SBW_LIT(d, ",\"detail\":");
		d = sbw_mem(d, det, xn);
	}
	*d++ = '}';
	sb_done(&b, d);
	return sb_take(&b);
}

/* "2009-10-05 06:06:07.492060" in UTC, so reports do not depend on the local time zone. */
static void fmt_time(struct sbuf *b, struct mta_time t)
{
	time_t s = (time_t)t.sec;
	struct tm tm;
	if (!gmtime_r(&s, &tm)) {
		sb_printf(b, "%" PRId64 ".%06u", t.sec, t.usec);
		return;
	}
	char tmp[32];
	strftime(tmp, sizeof(tmp), "%Y-%m-%d %H:%M:%S", &tm);
	sb_printf(b, "%s.%06u", tmp, t.usec % 1000000u);
}

/* "YYYY-MM-DD HH:MM:SS.uuuuuu" as fmt_time writes it, for 0 <= sec < 253402300800 (up to
 * the year 9999, four-digit years): the proleptic Gregorian calendar of gmtime from the day
 * count (days since 1970-01-01 shifted to an era starting on 0000-03-01).  26 octets; false
 * (nothing written) outside that range. */
static bool fmt_time_fast(char *d, struct mta_time t)
{
	static const char d2[] = "00010203040506070809101112131415161718192021222324"
	                         "25262728293031323334353637383940414243444546474849"
	                         "50515253545556575859606162636465666768697071727374"
	                         "75767778798081828384858687888990919293949596979899";
	if (t.sec < 0 || t.sec >= 253402300800)
		return false;
	uint64_t sec = (uint64_t)t.sec;
	unsigned sod = (unsigned)(sec % 86400);
	uint64_t z = sec / 86400 + 719468; /* days since 0000-03-01 */
	unsigned era = (unsigned)(z / 146097);
	unsigned doe = (unsigned)(z - (uint64_t)era * 146097);                /* [0, 146096] */
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
	unsigned mp = (5 * doy + 2) / 153;                                    /* March = 0 */
	unsigned day = doy - (153 * mp + 2) / 5 + 1;
	unsigned mon = mp < 10 ? mp + 3 : mp - 9;
	unsigned year = yoe + era * 400 + (mon <= 2);
	unsigned us = t.usec % 1000000u;
	memcpy(d, d2 + 2 * (year / 100), 2);
	memcpy(d + 2, d2 + 2 * (year % 100), 2);
	d[4] = '-';
	memcpy(d + 5, d2 + 2 * mon, 2);
	d[7] = '-';
	memcpy(d + 8, d2 + 2 * day, 2);
	d[10] = ' ';
	memcpy(d + 11, d2 + 2 * (sod / 3600), 2);
	d[13] = ':';
	memcpy(d + 14, d2 + 2 * (sod / 60 % 60), 2);
	d[16] = ':';
	memcpy(d + 17, d2 + 2 * (sod % 60), 2);
	d[19] = '.';
	memcpy(d + 20, d2 + 2 * (us / 10000), 2);
	memcpy(d + 22, d2 + 2 * (us / 100 % 100), 2);
	memcpy(d + 24, d2 + 2 * (us % 100), 2);
	return true;
}

/* "#frame time client > server severity code: message [see #related]", written straight
 * into one allocation of the upper bound (the text of the printf formats before). */
char *mta_finding_text(const struct mta_finding *f)
{
	const char *cli = f->conn ? f->conn->client : "?";
	const char *srv = f->conn ? f->conn->server : "?";
	const char *sev = mta_severity_str(f->severity), *code = mta_finding_code_str(f->code);
	const char *msg = f->message ? f->message : "";
	size_t an = strlen(cli), bn = strlen(srv), sn = strlen(sev), cn = strlen(code);
	size_t mn = strlen(msg);
	struct sbuf b;
	sb_init(&b);
	char *d = sb_room(&b, 128 + an + bn + sn + cn + mn);
	if (!d) {
		sb_free(&b);
		return NULL;
	}
	*d++ = '#';
	d = sbw_u64(d, f->frame);
	*d++ = ' ';
	if (fmt_time_fast(d, f->time)) {
		d += 26;
		sb_done(&b, d);
	} else {
		sb_done(&b, d);
		fmt_time(&b, f->time);
		d = sb_room(&b, 128 + an + bn + sn + cn + mn);
		if (!d) {
			sb_free(&b);
			return NULL;
		}
	}
	*d++ = ' ';
	d = sbw_mem(d, cli, an);
	d = f->dir == MTA_C2S ? SBW_LIT(d, " > ") : SBW_LIT(d, " < ");
	d = sbw_mem(d, srv, bn);
	*d++ = ' ';
	d = sbw_mem(d, sev, sn);
	for (size_t i = sn; i < 7; i++) /* %-7s */
		*d++ = ' ';
	*d++ = ' ';
	d = sbw_mem(d, code, cn);
	*d++ = ':';
	*d++ = ' ';
	d = sbw_mem(d, msg, mn);
	if (f->related_frame) {
		d = SBW_LIT(d, " [see #");
		d = sbw_u64(d, f->related_frame);
		*d++ = ']';
	}
	sb_done(&b, d);
	return sb_take(&b);
}

char *mta_stats_json(const struct mta_stats *s)
{
	struct sbuf b;
	struct jw w;
	sb_init(&b);
	jw_init(&w, &b);
	jw_obj(&w, NULL);
	jw_str(&w, "kind", "stats");
	jw_u64(&w, "frames", s->frames);
	jw_u64(&w, "bytes", s->bytes);
	jw_u64(&w, "tcp_segments", s->tcp_segments);
	jw_u64(&w, "truncated", s->truncated);
	jw_u64(&w, "unsupported_link", s->unsupported_link);
	jw_u64(&w, "non_ip", s->non_ip);
	jw_u64(&w, "non_tcp", s->non_tcp);
	jw_u64(&w, "ip_fragments", s->ip_fragments);
	jw_u64(&w, "malformed", s->malformed);
	jw_u64(&w, "connections", s->connections);
	jw_u64(&w, "smtp_sessions", s->smtp_sessions);
	jw_u64(&w, "osi_associations", s->osi_associations);
	jw_u64(&w, "conns_evicted", s->conns_evicted);
	jw_u64(&w, "conns_idle_closed", s->conns_idle_closed);
	jw_u64(&w, "buf_cap_hits", s->buf_cap_hits);
	jw_u64(&w, "alloc_failures", s->alloc_failures);
	jw_obj(&w, "findings");
	jw_u64(&w, "error", s->findings[MTA_SEV_ERROR]);
	jw_u64(&w, "warning", s->findings[MTA_SEV_WARNING]);
	jw_u64(&w, "note", s->findings[MTA_SEV_NOTE]);
	jw_u64(&w, "chat", s->findings[MTA_SEV_CHAT]);
	jw_obj_end(&w);
	jw_obj_end(&w);
	return sb_take(&b);
}
