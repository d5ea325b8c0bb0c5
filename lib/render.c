/* render.c — one rendering of findings and stats for every front end (JSON Lines, text) */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mtadiag/engine.h"
#include "sbuf.h"

char *mta_finding_json(const struct mta_finding *f)
{
	struct sbuf b;
	struct jw w;
	sb_init(&b);
	jw_init(&w, &b);
	jw_obj(&w, NULL);
	jw_str(&w, "kind", "finding");
	jw_str(&w, "code", mta_finding_code_str(f->code));
	jw_str(&w, "severity", mta_severity_str(f->severity));
	jw_u64(&w, "frame", f->frame);
	jw_time(&w, "time", f->time.sec, f->time.usec);
	jw_obj(&w, "conn");
	jw_str(&w, "client", f->conn ? f->conn->client : "");
	jw_str(&w, "server", f->conn ? f->conn->server : "");
	jw_obj_end(&w);
	jw_str(&w, "dir", mta_dir_str(f->dir));
	jw_str(&w, "message", f->message ? f->message : "");
	if (f->related_frame)
		jw_u64(&w, "related_frame", f->related_frame);
	if (f->detail_json && f->detail_json[0])
		jw_raw(&w, "detail", f->detail_json);
	jw_obj_end(&w);
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

char *mta_finding_text(const struct mta_finding *f)
{
	struct sbuf b;
	sb_init(&b);
	sb_printf(&b, "#%" PRIu64 " ", f->frame);
	fmt_time(&b, f->time);
	const char *cli = f->conn ? f->conn->client : "?";
	const char *srv = f->conn ? f->conn->server : "?";
	if (f->dir == MTA_C2S)
		sb_printf(&b, " %s > %s", cli, srv);
	else
		sb_printf(&b, " %s < %s", cli, srv);
	sb_printf(&b, " %-7s %s: %s", mta_severity_str(f->severity), mta_finding_code_str(f->code),
		  f->message ? f->message : "");
	if (f->related_frame)
		sb_printf(&b, " [see #%" PRIu64 "]", f->related_frame);
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
