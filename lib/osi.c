/* osi.c — the OSI analyser: RFC 1006 framing, X.224 class 0, ISO 8327 session, X.410 RTS
 *
 * Per direction the reassembled TCP stream is cut into TPKTs (tpkt.c), each TPKT's TPDU is
 * decoded (cotp.c), DT user data is gathered into TSDUs, and every TSDU goes to the SPDU
 * parser (ses.c) and the session protocol machine (ses_sm.c).  A connection counts as an ISO
 * session association only once a TSDU decodes as session SPDUs (CN, AC, GT+DT, ...); until
 * then nothing is reported, so port-102 traffic that is S7comm or raw COTP gives no finding.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyser.h"
#include "cotp.h"
#include "rts.h"
#include "sbuf.h"
#include "ses.h"
#include "ses_sm.h"
#include "tpkt.h"

/* Largest TSDU gathered from DT TPDUs: the configured per-direction buffer cap
 * (mta_config.max_buf_per_dir, default 1 MiB); a longer one is dropped (osidiag.memcap). */
static size_t osi_tsdu_cap(const struct conn *c)
{
	const struct mta_config *cfg = conn_cfg(c);
	return cfg && cfg->max_buf_per_dir ? cfg->max_buf_per_dir : MTA_DEFAULT_MAX_BUF_PER_DIR;
}

struct osi_dir {
	size_t left; /* octets left unconsumed at the last delivery (partial TPKT) */
	bool resync; /* framing lost: looking for the next TPKT header */
	bool reserved_warned;
	struct cotp_tsdu_buf tsdu;
	uint64_t tpkts, tsdus;
	bool truncated_reported;
};

struct osi {
	struct conn *c;
	bool session; /* a TSDU decoded as ISO 8327 session */
	bool cr_seen, cc_seen;
	bool exp_cr, exp_cc; /* expedited data asked / agreed (RFC 1006 class 0 extension) */
	uint8_t tpdu_size_cr, tpdu_size_cc;
	uint16_t cr_src_ref, cc_src_ref;
	struct osi_dir d[2];
	struct ses_assoc a;
	/* how it ended */
	const char *end_how;
	int end_side;
	uint64_t end_frame;
	bool fin_seen[2];
	bool rst_seen;
	bool dr_seen;
	uint8_t dr_reason;
	bool memcap_reported;
};

/* ---- emission ------------------------------------------------------------------------------- */

static void osi_flush(struct osi *o, struct ses_out *out)
{
	if (o->session)
		for (unsigned i = 0; i < out->n; i++) {
			const struct ses_find *f = &out->f[i];
			conn_emit_now(o->c, f->code, (int)f->sev, f->side ? MTA_S2C : MTA_C2S,
			              f->related, f->detail[0] ? f->detail : NULL, "%s", f->msg);
		}
	out->n = 0;
	out->lost = 0;
}

static void osi_set_frame(struct osi *o)
{
	o->a.frame = conn_cur_frame(o->c);
}

static void osi_trace(struct osi *o, int dir, const struct ses_tsdu *t, bool expedited)
{
	const struct mta_config *cfg = conn_cfg(o->c);
	if (!cfg || !cfg->osi_trace)
		return;
	char b[320];
	size_t k = 0;
	b[0] = '\0';
	for (unsigned i = 0; i < t->n && k < sizeof b - 40; i++) {
		const struct spdu *s = &t->s[i];
		int w = snprintf(b + k, sizeof b - k, "%s%s/%u", i ? "," : "",
		                 ses_type_name(s->type), s->si);
		if (w > 0)
			k += (size_t)w;
		if (s->serial.st == SES_SN_OK)
			w = snprintf(b + k, sizeof b - k, ":%u", s->serial.v);
		else if (s->link_serial.st == SES_SN_OK) /* AR: the Linking Information's serial */
			w = snprintf(b + k, sizeof b - k, ":%u", s->link_serial.v);
		else if (s->serial.st != SES_SN_ABSENT) /* present but not a valid serial (S5) */
			w = snprintf(b + k, sizeof b - k, ":?");
		else
			w = 0;
		if (w > 0)
			k += (size_t)w;
	}
	/* markers: TSDUs the parser judged invalid (S1, S2, S3), TSDUs of the expedited flow */
	const char *mark = t->st == SES_TSDU_OVERRUN                                    ? "!overrun"
	                   : t->st == SES_TSDU_BAD_CONCAT || t->st == SES_TSDU_TOO_MANY ? "!concat"
	                   : t->token_misuse                                            ? "!misuse"
	                   : expedited ? "!expedited"
	                               : NULL;
	if (mark && k < sizeof b - 12)
		snprintf(b + k, sizeof b - k, "%s%s", t->n ? "," : "", mark);
	cfg->osi_trace(cfg->osi_trace_user, conn_cur_frame(o->c), dir ? MTA_S2C : MTA_C2S, b);
}

/* ---- protocol events (mta_config.events) ---------------------------------------------------- */

struct osi_vsnap {
	bool known;
	uint32_t vm, va;
};

static struct osi_vsnap osi_vsnap(const struct ses_assoc *a, int side)
{
	struct osi_vsnap v = {a->spm[side].known, a->spm[side].vm, a->spm[side].va};
	return v;
}

static char osi_owner_char(int owner)
{
	return owner == 0 ? 'I' : owner == 1 ? 'R' : owner == SES_OWNER_NONE ? '-' : '?';
}

/* "dk=I mi=R ma=I tr=-": data, minor sync, major/activity and release tokens (I initiator,
 * R responder, - not available, ? not known). */
static void osi_tokens(const struct ses_assoc *a, char *b, size_t n)
{
	snprintf(b, n, "dk=%c mi=%c ma=%c tr=%c", osi_owner_char(a->tok[SES_TK_DATA]),
	         osi_owner_char(a->tok[SES_TK_MINOR]), osi_owner_char(a->tok[SES_TK_MAJOR]),
	         osi_owner_char(a->tok[SES_TK_RELEASE]));
}

static bool osi_is_confirm(enum ses_type t)
{
	return t == SES_MIA || t == SES_MAA || t == SES_AEA;
}

/* An activity identifier as hex digits into b (bn octets with the NUL); returns the digits. */
static size_t hexid(char *b, size_t bn, const uint8_t *p, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	size_t k = 0;
	for (size_t i = 0; i < n && k + 2 < bn; i++) {
		b[k++] = hx[p[i] >> 4];
		b[k++] = hx[p[i] & 15];
	}
	b[k] = '\0';
	return k;
}

static void osi_tsdu_event(struct osi *o, int dir, const struct ses_tsdu *t, bool expedited,
                           struct osi_vsnap before)
{
	const struct ses_assoc *a = &o->a;
	struct mta_event ev;
	char label[160], tokens[32], actid[2 * sizeof a->act[0].id + 1];
	size_t k = 0;
	int principal = -1;
	int ckpt_side = dir;
	conn_event_init(o->c, &ev, MTA_EV_OSI_SPDU, dir ? MTA_S2C : MTA_C2S);
	label[0] = '\0';
	for (unsigned i = 0; i < a->tsdu_n && i < t->n; i++) {
		const struct spdu *s = &t->s[i];
		enum ses_type ty = a->tsdu_type[i];
		int64_t sn = s->serial.st == SES_SN_OK        ? (int64_t)s->serial.v
		             : s->link_serial.st == SES_SN_OK ? (int64_t)s->link_serial.v
		                                              : -1;
		if (principal < 0 && s->cat != 0)
			principal = (int)i;
		if (osi_is_confirm(ty))
			ckpt_side = 1 - dir;
		if (k < sizeof label - 1) {
			int w;
			if (sn >= 0)
				w = snprintf(label + k, sizeof label - k, "%s%s(%lld)",
				             i ? "+" : "", ses_type_name(ty), (long long)sn);
			else
				w = snprintf(label + k, sizeof label - k, "%s%s", i ? "+" : "",
				             ses_type_name(ty));
			if (w > 0)
				k += (size_t)w;
		}
	}
	if (principal < 0 && t->n > 0)
		principal = 0;
	if (principal >= 0) {
		const struct spdu *s = &t->s[principal];
		ev.spdu = ses_type_name(a->tsdu_type[principal]);
		ev.serial = s->serial.st == SES_SN_OK        ? (int64_t)s->serial.v
		            : s->link_serial.st == SES_SN_OK ? (int64_t)s->link_serial.v
		                                             : -1;
		if (a->tsdu_type[principal] == SES_AB && a->has_rts_abort_reason &&
		    k < sizeof label)
			snprintf(label + k, sizeof label - k, " reason %lld",
			         (long long)a->rts_abort_reason);
	} else {
		snprintf(label, sizeof label, "(no SPDU)");
	}
	k = strlen(label);
	const char *mark = t->st == SES_TSDU_OVERRUN ? " !overrun"
	                   : t->st == SES_TSDU_BAD_CONCAT || t->st == SES_TSDU_TOO_MANY ? " !concat"
	                   : expedited ? " [expedited]"
	                               : "";
	if (*mark && k < sizeof label)
		snprintf(label + k, sizeof label - k, "%s", mark);
	ev.label = label;
	struct osi_vsnap after = osi_vsnap(a, 1 - dir);
	ev.v_known_before = before.known;
	ev.vm_before = before.vm;
	ev.va_before = before.va;
	ev.v_known_after = after.known;
	ev.vm_after = after.vm;
	ev.va_after = after.va;
	osi_tokens(a, tokens, sizeof tokens);
	ev.tokens = tokens;
	if (a->cur >= 0) {
		const struct ses_activity *x = &a->act[a->cur];
		hexid(actid, sizeof actid, x->id, x->id_len);
		ev.activity_id = actid;
	}
	if (a->rts && a->ac_seen) {
		const struct ses_spm *S = &a->spm[ckpt_side];
		ev.window_size = a->window > INT32_MAX ? INT32_MAX : (int)a->window;
		ev.window_used = S->known && !S->vsc && S->vm >= S->va ? (int)(S->vm - S->va) : 0;
	}
	conn_event(o->c, &ev);
}

static void osi_tpdu_event(struct osi *o, int dir, const struct cotp_tpdu *t)
{
	struct mta_event ev;
	char label[48];
	conn_event_init(o->c, &ev, MTA_EV_OSI_TPDU, dir ? MTA_S2C : MTA_C2S);
	ev.spdu = cotp_code_name(t->code);
	if (t->code == COTP_DR || t->code == COTP_ER)
		snprintf(label, sizeof label, "%s %s %u", ev.spdu,
		         t->code == COTP_DR ? "reason" : "cause", t->reason);
	else
		snprintf(label, sizeof label, "%s", ev.spdu);
	ev.label = label;
	conn_event(o->c, &ev);
}

/* ---- TSDUs ---------------------------------------------------------------------------------- */

static void osi_tsdu(struct osi *o, int dir, const uint8_t *p, size_t n, bool expedited)
{
	struct ses_tsdu t;
	struct ses_out out;
	out.n = out.lost = 0;
	ses_parse_tsdu(p, n, &t);
	if (!o->session) {
		if (!ses_tsdu_plausible(&t, p, n))
			return;
		o->session = true;
	}
	o->d[dir].tsdus++;
	osi_trace(o, dir, &t, expedited);
	bool events = conn_events_on(o->c);
	struct osi_vsnap before = {false, 0, 0};
	if (events)
		before = osi_vsnap(&o->a, 1 - dir);
	ses_sm_tsdu(&o->a, dir, &t, conn_cur_frame(o->c), &out);
	if (events)
		osi_tsdu_event(o, dir, &t, expedited, before);
	for (unsigned i = 0; i < t.n; i++)
		if (t.s[i].type == SES_AB && !o->end_how) {
			o->end_how = "ab";
			o->end_side = dir;
			o->end_frame = conn_cur_frame(o->c);
		} else if (t.s[i].type == SES_DN && o->a.released && !o->end_how) {
			o->end_how = "release";
			o->end_side = dir;
			o->end_frame = conn_cur_frame(o->c);
		} else if (t.s[i].type == SES_RF && !o->end_how) {
			o->end_how = "refused";
			o->end_side = dir;
			o->end_frame = conn_cur_frame(o->c);
		}
	osi_flush(o, &out);
}

static void osi_truncated(struct osi *o, int dir, const char *what, struct ses_out *out)
{
	struct osi_dir *d = &o->d[dir];
	if (d->truncated_reported)
		return;
	if (!cotp_tsdu_partial(&d->tsdu) && d->left == 0)
		return;
	d->truncated_reported = true;
	if (cotp_tsdu_partial(&d->tsdu))
		ses_emit(&o->a, out, MTA_F_OSI_TSDU_TRUNCATED, -1, dir, d->tsdu.first_frame, NULL,
		         "%s while the %s's transport message (TSDU) was incomplete: %zu octets in "
		         "%u DATA TPDUs without end-of-TSDU; the receiver logs a transport receive "
		         "failure (\"tp_receive() failed\").",
		         what, ses_side_name(dir), d->tsdu.len, d->tsdu.frags);
	else
		ses_emit(&o->a, out, MTA_F_OSI_TSDU_TRUNCATED, -1, dir, 0, NULL,
		         "%s in the middle of a TPKT from the %s (%zu octets of it received); the "
		         "receiver logs a transport receive failure.",
		         what, ses_side_name(dir), d->left);
}

/* ---- TPDUs ---------------------------------------------------------------------------------- */

static void osi_tpdu(struct osi *o, int dir, const uint8_t *p, size_t n)
{
	struct cotp_tpdu t;
	struct ses_out out;
	out.n = out.lost = 0;
	osi_set_frame(o);
	if (cotp_parse(p, n, &t) != COTP_OK) {
		if (o->session)
			ses_emit(&o->a, &out, MTA_F_OSI_COTP_UNEXPECTED_TPDU, -1, dir, 0, NULL,
			         "A malformed transport TPDU from the %s (length indicator %u in a "
			         "TPKT of %zu octets).",
			         ses_side_name(dir), n ? p[0] : 0, n + TPKT_HDR_LEN);
		osi_flush(o, &out);
		return;
	}
	if (t.code != COTP_DT && t.code != COTP_ED && conn_events_on(o->c))
		osi_tpdu_event(o, dir, &t);
	switch (t.code) {
	case COTP_CR:
		o->cr_seen = true;
		o->exp_cr = t.has_add_opt && (t.add_opt & 0x01);
		o->tpdu_size_cr = t.has_tpdu_size ? t.tpdu_size_log2 : 0;
		o->cr_src_ref = t.src_ref;
		break;
	case COTP_CC:
		o->cc_seen = true;
		o->exp_cc = t.has_add_opt && (t.add_opt & 0x01);
		o->tpdu_size_cc = t.has_tpdu_size ? t.tpdu_size_log2 : 0;
		o->cc_src_ref = t.src_ref;
		break;
	case COTP_DT: {
		if (o->session && (t.li != 2 || t.nr != 0))
			ses_emit(&o->a, &out, MTA_F_OSI_COTP_UNEXPECTED_TPDU, -1, dir, 0, NULL,
			         "A DATA TPDU from the %s does not have the class 0 form (length "
			         "indicator %u, TPDU-NR %u; class 0 uses 2 and 0).",
			         ses_side_name(dir), t.li, t.nr);
		osi_flush(o, &out);
		struct osi_dir *d = &o->d[dir];
		int r = cotp_tsdu_add(&d->tsdu, t.ud, t.ud_len, t.eot, conn_cur_frame(o->c));
		if (r == 1) {
			osi_tsdu(o, dir, d->tsdu.p, d->tsdu.len, false);
			d->tsdu.len = 0;
		} else if (r == -2 && o->session) {
			/* reported where the cap is hit, so a TSDU that never ends is reported too
			 */
			ses_emit(&o->a, &out, MTA_F_OSI_MEMCAP, -1, dir, d->tsdu.first_frame, NULL,
			         "A transport message (TSDU) from the %s is larger than the buffer "
			         "cap of %zu octets; it was not analysed, and serial checks start "
			         "again after it.",
			         ses_side_name(dir), d->tsdu.max);
			ses_sm_gap(&o->a);
		}
		break;
	}
	case COTP_ED:
		if (!(o->exp_cr && o->exp_cc) && (o->cr_seen || o->cc_seen)) {
			if (o->session)
				ses_emit(&o->a, &out, MTA_F_OSI_COTP_UNEXPECTED_TPDU, -1, dir, 0,
				         NULL,
				         "An EXPEDITED DATA TPDU from the %s although expedited "
				         "data was not agreed in CR/CC.",
				         ses_side_name(dir));
		}
		osi_flush(o, &out);
		/* the expedited flow carries EX, PR and short AB SPDUs (X.225 §6.3.3) */
		osi_tsdu(o, dir, t.ud, t.ud_len, true);
		break;
	case COTP_DR:
	case COTP_ER: {
		bool dr = t.code == COTP_DR;
		char how[128];
		if (dr) {
			o->dr_seen = true;
			o->dr_reason = t.reason;
			snprintf(how, sizeof how, "transport DISCONNECT REQUEST (reason %u, %s)",
			         t.reason, cotp_dr_reason_str(t.reason));
		} else {
			snprintf(how, sizeof how, "transport ERROR TPDU (cause %u, %s)", t.reason,
			         cotp_er_cause_str(t.reason));
		}
		ses_emit(&o->a, &out, MTA_F_OSI_COTP_DISCONNECT, -1, dir, 0, NULL,
		         "The %s sent a %s: the transport connection ends here.",
		         ses_side_name(dir), how);
		osi_truncated(o, 0,
		              dr ? "The transport connection was disconnected"
		                 : "A transport error ended the connection",
		              &out);
		osi_truncated(o, 1,
		              dr ? "The transport connection was disconnected"
		                 : "A transport error ended the connection",
		              &out);
		if (ses_sm_abort(&o->a, dir, how, &out) && !o->end_how) {
			o->end_how = dr ? "cotp_dr" : "cotp_er";
			o->end_side = dir;
			o->end_frame = conn_cur_frame(o->c);
		} else if (!o->end_how && dr) {
			o->end_how = o->a.released ? "release" : "cotp_dr";
			o->end_side = dir;
			o->end_frame = conn_cur_frame(o->c);
		}
		osi_flush(o, &out);
		break;
	}
	case COTP_AK:
	case COTP_EA:
	case COTP_RJ:
	case COTP_DC:
	default:
		if (o->session)
			ses_emit(&o->a, &out, MTA_F_OSI_COTP_UNEXPECTED_TPDU, -1, dir, 0, NULL,
			         "A %s TPDU (code 0x%02x) from the %s; class 0 over RFC 1006 has "
			         "no such TPDU.",
			         cotp_code_name(t.code), t.code, ses_side_name(dir));
		osi_flush(o, &out);
		break;
	}
	osi_flush(o, &out);
}

/* ---- stream --------------------------------------------------------------------------------- */

static size_t osi_data(struct osi *o, int dir, const uint8_t *p, size_t n)
{
	struct osi_dir *d = &o->d[dir];
	size_t off = 0;
	struct ses_out out;
	out.n = out.lost = 0;
	osi_set_frame(o);
	d->left = 0; /* the octets held back last time are part of p now */
	while (off < n) {
		if (d->resync) {
			/* search for the next plausible header; bounded by the octets at hand */
			if (n - off < TPKT_HDR_LEN + 2)
				break;
			if (!tpkt_looks_like_header(p + off, n - off)) {
				off += tpkt_resync(p + off, n - off);
				continue;
			}
		}
		struct tpkt_hdr h;
		enum tpkt_status st = tpkt_parse(p + off, n - off, &h);
		if (st == TPKT_NEED)
			break;
		if (st == TPKT_BAD_VERSION || st == TPKT_BAD_LENGTH) {
			if (!d->resync && o->session)
				ses_emit(&o->a, &out, MTA_F_OSI_TPKT_BAD_HEADER, -1, dir, 0, NULL,
				         "A TPKT header from the %s is invalid (%s: %02x %02x %02x "
				         "%02x); RFC 1006 peers drop the connection, and the byte "
				         "stream cannot be framed until the next valid header.",
				         ses_side_name(dir), tpkt_status_str(st), p[off],
				         p[off + 1], p[off + 2], p[off + 3]);
			osi_flush(o, &out);
			d->resync = true;
			cotp_tsdu_reset(&d->tsdu);
			off += tpkt_resync(p + off, n - off);
			continue;
		}
		if (st == TPKT_BAD_RESERVED && !d->reserved_warned && o->session) {
			d->reserved_warned = true;
			ses_emit(&o->a, &out, MTA_F_OSI_TPKT_BAD_HEADER, MTA_SEV_WARNING, dir, 0,
			         NULL,
			         "A TPKT header from the %s has reserved octet 0x%02x instead of "
			         "0; some RFC 1006 stacks refuse such connections (known from "
			         "Exchange 4.0).",
			         ses_side_name(dir), h.reserved);
			osi_flush(o, &out);
		}
		if (n - off < h.length)
			break;
		d->resync = false;
		d->tpkts++;
		osi_tpdu(o, dir, p + off + TPKT_HDR_LEN, h.length - TPKT_HDR_LEN);
		off += h.length;
	}
	osi_flush(o, &out);
	d->left = n - off;
	return off;
}

static size_t osi_on_stream(void *st, enum mta_dir dir, const struct rs_event *ev)
{
	struct osi *o = st;
	int s = dir == MTA_S2C;
	struct ses_out out;
	out.n = out.lost = 0;
	osi_set_frame(o);
	switch (ev->type) {
	case RS_DATA:
		return osi_data(o, s, ev->data, ev->len);
	case RS_GAP:
		/* framing and the serial baselines are lost; the model learns again */
		o->d[s].resync = true;
		o->d[s].left = 0;
		cotp_tsdu_reset(&o->d[s].tsdu);
		ses_sm_gap(&o->a);
		if (ev->cause == RS_GAP_MEMCAP && o->session && !o->memcap_reported) {
			o->memcap_reported = true;
			ses_emit(&o->a, &out, MTA_F_OSI_MEMCAP, -1, s, 0, NULL,
			         "The reassembly buffer cap was reached on the %s's stream: %llu "
			         "octets were dropped; the analysis continues with a known gap.",
			         ses_side_name(s), (unsigned long long)(ev->dropped + ev->gap_len));
		}
		break;
	case RS_FIN:
		o->fin_seen[s] = true;
		osi_truncated(o, s, "The connection was closed (FIN)", &out);
		ses_sm_tcp_end(&o->a, s, false, &out);
		if (!o->end_how) {
			o->end_how = "fin";
			o->end_side = s;
			o->end_frame = conn_cur_frame(o->c);
		}
		break;
	case RS_RETRANS:
		break;
	}
	osi_flush(o, &out);
	return 0;
}

static void osi_on_segment(void *st, const struct seg_info *si)
{
	struct osi *o = st;
	if (!(si->flags & TCPF_RST))
		return;
	int s = si->dir == MTA_S2C;
	struct ses_out out;
	out.n = out.lost = 0;
	osi_set_frame(o);
	o->rst_seen = true;
	ses_emit(&o->a, &out, MTA_F_OSI_TCP_RST, -1, s, 0, NULL,
	         "The %s reset the TCP connection%s.", ses_side_name(s),
	         o->a.released  ? " after the session was released"
	         : o->a.aborted ? " after the association was aborted"
	                        : "");
	char how[96];
	snprintf(how, sizeof how, "TCP reset from the %s", ses_side_name(s));
	if (ses_sm_abort(&o->a, s, how, &out) && !o->end_how) {
		o->end_how = "rst";
		o->end_side = s;
		o->end_frame = si->frame;
	}
	ses_sm_tcp_end(&o->a, s, true, &out);
	osi_truncated(o, 0, "The connection was reset", &out);
	osi_truncated(o, 1, "The connection was reset", &out);
	if (!o->end_how) {
		o->end_how = "rst";
		o->end_side = s;
		o->end_frame = si->frame;
	}
	osi_flush(o, &out);
}

/* ---- summary -------------------------------------------------------------------------------- */

/* "key":[names of the functional units in fu] (names and key plain ASCII: copied as they
 * are); at most OSI_FU_LIST_MAX octets beyond the key */
#define OSI_FU_LIST_MAX 200
static char *fu_list(char *d, const char *k, size_t kn, uint16_t fu)
{
	static const char *const n[13] = {
	    "half_duplex", "duplex",         "expedited",          "minor_sync",      "major_sync",
	    "resync",      "activity",       "negotiated_release", "capability_data", "exceptions",
	    "typed_data",  "symmetric_sync", "data_separation"};
	*d++ = '"';
	d = sbw_mem(d, k, kn);
	d = SBW_LIT(d, "\":[");
	bool first = true;
	for (int i = 0; i < 13; i++) {
		if (!(fu & (1u << i)))
			continue;
		if (!first)
			*d++ = ',';
		first = false;
		*d++ = '"';
		d = sbw_mem(d, n[i], strlen(n[i]));
		*d++ = '"';
	}
	*d++ = ']';
	return d;
}

/* the octets as lowercase hex, at most (bn - 2) / 2 of them (as snprintf "%02x" each into
 * bn octets would) */
static const char *end_text(const char *how)
{
	if (!how)
		return "capture_end";
	return how;
}

static const char *osi_end_how(const struct osi *o, enum conn_end_reason why)
{
	const char *how = end_text(o->end_how);
	if (!o->end_how && why == CONN_END_IDLE)
		how = "idle";
	if (!o->end_how && why == CONN_END_EVICTED)
		how = "evicted";
	return how;
}

/* The JSON summary, written straight into the buffer: before each part, room for its upper
 * bound is made once, then fragments, numbers and strings are copied in unchecked.  The text
 * is what the jw_* writer gives for the same members. */
#define OJ_ROOM(n) SB_REROOM(bp, d, n)

static void osi_summary_json(struct osi *o, const char *how, struct sbuf *bp)
{
	struct ses_assoc *a = &o->a;
	const struct mta_conn_id *id = conn_id(o->c);
	size_t cn = strlen(id->client), sn = strlen(id->server);
	char *d = sb_room(bp, 1024 + 2 * SBW_JSON_MAX(cn) + 2 * SBW_JSON_MAX(sn) +
	                          3 * OSI_FU_LIST_MAX);
	if (!d)
		return;
	d = SBW_LIT(d, "{\"kind\":\"osi_association\",\"conn\":{\"client\":");
	d = sbw_json_str(d, id->client, cn);
	d = SBW_LIT(d, ",\"server\":");
	d = sbw_json_str(d, id->server, sn);
	d = SBW_LIT(d, "},\"initiator\":");
	d = sbw_json_str(d, id->client, cn);
	d = SBW_LIT(d, ",\"responder\":");
	d = sbw_json_str(d, id->server, sn);
	d = SBW_LIT(d, ",\"first_frame\":");
	d = sbw_u64(d, conn_first_frame(o->c));
	d = SBW_LIT(d, ",\"last_frame\":");
	d = sbw_u64(d, conn_last_frame(o->c));
	struct mta_time ft = conn_first_time(o->c), lt = conn_last_time(o->c);
	d = SBW_LIT(d, ",\"first_time\":");
	d = sbw_time(d, ft.sec, ft.usec);
	d = SBW_LIT(d, ",\"last_time\":");
	d = sbw_time(d, lt.sec, lt.usec);
	if (a->learning)
		d = SBW_LIT(d, ",\"learning\":true");
	else
		d = SBW_LIT(d, ",\"learning\":false");
	if (a->cn_seen) {
		d = SBW_LIT(d, ",\"cn\":{\"frame\":");
		d = sbw_u64(d, a->cn_frame);
		*d++ = ',';
		d = fu_list(d, "functional_units", 16, a->fu_cn);
		if (a->has_ver_cn) {
			d = SBW_LIT(d, ",\"version\":");
			d = sbw_u64(d, a->ver_cn);
		}
		if (a->has_tset_cn) {
			d = SBW_LIT(d, ",\"token_setting\":");
			d = sbw_u64(d, a->tset_cn);
		}
		*d++ = '}';
	}
	if (a->ac_seen) {
		d = SBW_LIT(d, ",\"ac\":{\"frame\":");
		d = sbw_u64(d, a->ac_frame);
		*d++ = ',';
		d = fu_list(d, "functional_units", 16, a->fu_ac);
		if (a->has_ver_ac) {
			d = SBW_LIT(d, ",\"version\":");
			d = sbw_u64(d, a->ver_ac);
		}
		if (a->has_tset_ac) {
			d = SBW_LIT(d, ",\"token_setting\":");
			d = sbw_u64(d, a->tset_ac);
		}
		if (a->has_isn) {
			d = SBW_LIT(d, ",\"initial_serial\":");
			d = sbw_u64(d, a->isn);
		}
		d = SBW_LIT(d, "},");
		d = fu_list(d, "functional_units_selected", 25, a->fu);
	}
	OJ_ROOM(256);
	if (a->rts) {
		if (a->rts_rq.mode == RTS_MODE_NORMAL || a->rts_ac.mode == RTS_MODE_NORMAL)
			d = SBW_LIT(d, ",\"rts\":{\"mode\":\"x228\"");
		else
			d = SBW_LIT(d, ",\"rts\":{\"mode\":\"x410\"");
		d = SBW_LIT(d, ",\"checkpointSize\":");
		d = sbw_i64(d, a->ckpt);
		d = SBW_LIT(d, ",\"windowSize\":");
		d = sbw_i64(d, a->window);
		if (a->rts_rq.has_dialogue && a->rts_rq.dialogue == 1)
			d = SBW_LIT(d, ",\"dialogueMode\":\"twa\"");
		else
			d = SBW_LIT(d, ",\"dialogueMode\":\"monologue\"");
		if (a->recover)
			d = SBW_LIT(d, ",\"recover\":true}");
		else
			d = SBW_LIT(d, ",\"recover\":false}");
	}
	d = SBW_LIT(d, ",\"activities\":[");
	for (unsigned i = 0; i < a->n_act; i++) {
		const struct ses_activity *x = &a->act[i];
		char hid[20];
		size_t hn = hexid(hid, sizeof hid, x->id, x->id_len);
		const char *by = ses_side_name(x->side), *end = x->end ? x->end : "open";
		size_t bn = strlen(by), en = strlen(end);
		OJ_ROOM(256 + 5 * SBW_U64_MAX + SBW_JSON_MAX(hn) + SBW_JSON_MAX(bn) +
		        SBW_JSON_MAX(en));
		if (i)
			*d++ = ',';
		d = SBW_LIT(d, "{\"id\":");
		d = sbw_json_str(d, hid, hn);
		d = SBW_LIT(d, ",\"by\":");
		d = sbw_json_str(d, by, bn);
		if (x->resumed)
			d = SBW_LIT(d, ",\"resumed\":true");
		else
			d = SBW_LIT(d, ",\"resumed\":false");
		d = SBW_LIT(d, ",\"first_frame\":");
		d = sbw_u64(d, x->first_frame);
		d = SBW_LIT(d, ",\"last_frame\":");
		d = sbw_u64(d, x->last_frame);
		d = SBW_LIT(d, ",\"sync_points\":");
		d = sbw_u64(d, x->mips);
		d = SBW_LIT(d, ",\"sync_points_confirmed\":");
		d = sbw_u64(d, x->mips_confirmed);
		d = SBW_LIT(d, ",\"user_octets\":");
		d = sbw_u64(d, x->octets);
		d = SBW_LIT(d, ",\"end\":");
		d = sbw_json_str(d, end, en);
		*d++ = '}';
	}
	const char *by = o->end_how ? ses_side_name(o->end_side) : "";
	const char *arn = a->has_rts_abort_reason ? rts_abort_reason_str(a->rts_abort_reason) : "";
	const char *rc = a->aborted && a->last_error_frame
	                     ? mta_finding_code_str(a->last_error_code)
	                     : "";
	size_t hown = strlen(how), byn = strlen(by), arnn = strlen(arn), rcn = strlen(rc);
	OJ_ROOM(512 + SBW_JSON_MAX(hown) + SBW_JSON_MAX(byn) + SBW_JSON_MAX(arnn) +
	        SBW_JSON_MAX(rcn) + 12 * SBW_U64_MAX);
	d = SBW_LIT(d, "],\"end\":{\"how\":");
	d = sbw_json_str(d, how, hown);
	if (o->end_how) {
		d = SBW_LIT(d, ",\"by\":");
		d = sbw_json_str(d, by, byn);
		d = SBW_LIT(d, ",\"frame\":");
		d = sbw_u64(d, o->end_frame);
	}
	if (a->has_ab_tdisc) {
		d = SBW_LIT(d, ",\"transport_disconnect\":");
		d = sbw_u64(d, a->ab_tdisc);
	}
	if (a->has_rts_abort_reason) {
		d = SBW_LIT(d, ",\"rts_abort_reason\":");
		d = sbw_i64(d, a->rts_abort_reason);
		d = SBW_LIT(d, ",\"rts_abort_reason_name\":");
		d = sbw_json_str(d, arn, arnn);
	}
	if (o->dr_seen) {
		d = SBW_LIT(d, ",\"cotp_dr_reason\":");
		d = sbw_u64(d, o->dr_reason);
	}
	if (a->aborted && a->last_error_frame) {
		d = SBW_LIT(d, ",\"root_cause\":{\"frame\":");
		d = sbw_u64(d, a->last_error_frame);
		d = SBW_LIT(d, ",\"code\":");
		d = sbw_json_str(d, rc, rcn);
		*d++ = '}';
	}
	d = SBW_LIT(d, "},\"counts\":{\"tsdus_c2s\":");
	d = sbw_u64(d, o->d[0].tsdus);
	d = SBW_LIT(d, ",\"tsdus_s2c\":");
	d = sbw_u64(d, o->d[1].tsdus);
	d = SBW_LIT(d, ",\"mip_c2s\":");
	d = sbw_u64(d, a->mip_sent[0]);
	d = SBW_LIT(d, ",\"mip_s2c\":");
	d = sbw_u64(d, a->mip_sent[1]);
	d = SBW_LIT(d, ",\"mia_c2s\":");
	d = sbw_u64(d, a->mia_sent[0]);
	d = SBW_LIT(d, ",\"mia_s2c\":");
	d = sbw_u64(d, a->mia_sent[1]);
	d = SBW_LIT(d, ",\"user_octets_c2s\":");
	d = sbw_u64(d, a->user_octets[0]);
	d = SBW_LIT(d, ",\"user_octets_s2c\":");
	d = sbw_u64(d, a->user_octets[1]);
	d = SBW_LIT(d, "},\"findings\":{");
	bool first = true;
	for (int c = 0; c < MTA_F_COUNT; c++) {
		/* the count first: most are 0, and the protocol test compares strings */
		unsigned k = conn_finding_count(o->c, (enum mta_finding_code)c);
		if (!k || mta_finding_proto((enum mta_finding_code)c) != MTA_PROTO_OSI)
			continue;
		/* the codes are plain ASCII literals of the catalogue: keys as they are */
		const char *code = mta_finding_code_str((enum mta_finding_code)c);
		size_t kn = strlen(code);
		OJ_ROOM(kn + 4 + SBW_U64_MAX);
		if (!first)
			*d++ = ',';
		first = false;
		*d++ = '"';
		d = sbw_mem(d, code, kn);
		*d++ = '"';
		*d++ = ':';
		d = sbw_u64(d, k);
	}
	OJ_ROOM(2);
	*d++ = '}';
	*d++ = '}';
	sb_done(bp, d);
}
#undef OJ_ROOM

/* v as printf "%04x" (v < 0x10000: exactly four digits) */
static void hex4(struct sbuf *t, uint16_t v)
{
	static const char hx[] = "0123456789abcdef";
	char h[4] = {hx[v >> 12], hx[(v >> 8) & 15], hx[(v >> 4) & 15], hx[v & 15]};
	sb_put(t, h, 4);
}

/* The human block, piece by piece (no printf: once per association). */
static void osi_summary_text(struct osi *o, const char *how, struct sbuf *t)
{
	struct ses_assoc *a = &o->a;
	conn_summary_head(o->c, "OSI association", t);
	if (a->learning)
		SB_LIT(t, " (capture began mid-association)\n");
	else
		sb_putc(t, '\n');
	if (a->ac_seen) {
		SB_LIT(t, "  functional units selected 0x");
		hex4(t, a->fu);
		SB_LIT(t, " (CN 0x");
		hex4(t, a->fu_cn);
		SB_LIT(t, ", AC 0x");
		hex4(t, a->fu_ac);
		SB_LIT(t, ")\n");
	}
	if (a->rts) {
		SB_LIT(t, "  RTS: checkpoint size ");
		sb_i64(t, (int64_t)a->ckpt);
		SB_LIT(t, " x 1024 octets, window ");
		sb_i64(t, (int64_t)a->window);
		sb_putc(t, '\n');
	}
	for (unsigned i = 0; i < a->n_act; i++) {
		const struct ses_activity *x = &a->act[i];
		SB_LIT(t, "  activity ");
		sb_u64(t, i + 1);
		SB_LIT(t, " by the ");
		sb_puts(t, ses_side_name(x->side));
		SB_LIT(t, ", frames ");
		sb_u64(t, x->first_frame);
		sb_putc(t, '-');
		sb_u64(t, x->last_frame);
		SB_LIT(t, ": ");
		sb_u64(t, x->mips);
		SB_LIT(t, " sync points (");
		sb_u64(t, x->mips_confirmed);
		SB_LIT(t, " confirmed), ");
		sb_u64(t, x->octets);
		SB_LIT(t, " octets, ");
		sb_puts(t, x->end ? x->end : "open");
		sb_putc(t, '\n');
	}
	SB_LIT(t, "  ended: ");
	sb_puts(t, how);
	if (o->end_how) {
		SB_LIT(t, " by the ");
		sb_puts(t, ses_side_name(o->end_side));
		SB_LIT(t, " at frame ");
		sb_u64(t, o->end_frame);
	}
	if (a->aborted && a->last_error_frame) {
		SB_LIT(t, "; root cause: ");
		sb_puts(t, mta_finding_code_str(a->last_error_code));
		SB_LIT(t, " at frame ");
		sb_u64(t, a->last_error_frame);
	}
	SB_LIT(t, "\n");
}

/* Render the renderings the front end uses (mta_config.summary_no_*) and hand them over. */
static void osi_summary(struct osi *o, enum conn_end_reason why)
{
	const struct mta_config *cfg = conn_cfg(o->c);
	const char *how = osi_end_how(o, why);
	struct sbuf *jb = NULL, *tb = NULL;
	if (!cfg->summary_no_json) {
		jb = conn_summary_buf(o->c, 0);
		osi_summary_json(o, how, jb);
	}
	if (!cfg->summary_no_text) {
		tb = conn_summary_buf(o->c, 1);
		osi_summary_text(o, how, tb);
	}
	conn_summary(o->c, jb ? sb_str(jb) : NULL, tb ? sb_str(tb) : NULL);
}

/* ---- life cycle ----------------------------------------------------------------------------- */

static void *osi_create(struct conn *c)
{
	struct osi *o = calloc(1, sizeof *o);
	if (!o)
		return NULL;
	o->c = c;
	ses_sm_init(&o->a);
	for (int i = 0; i < 2; i++)
		cotp_tsdu_init(&o->d[i].tsdu, osi_tsdu_cap(c));
	return o;
}

static void osi_destroy(void *st)
{
	struct osi *o = st;
	if (!o)
		return;
	for (int i = 0; i < 2; i++)
		cotp_tsdu_free(&o->d[i].tsdu);
	free(o);
}

static void osi_on_end(void *st, enum conn_end_reason why)
{
	struct osi *o = st;
	if (!o->session)
		return;
	struct ses_out out;
	out.n = out.lost = 0;
	osi_set_frame(o);
	if (why == CONN_END_EVICTED && !o->memcap_reported) {
		o->memcap_reported = true;
		ses_emit(&o->a, &out, MTA_F_OSI_MEMCAP, -1, 0, 0, NULL,
		         "The connection table was full: this association's state was dropped; "
		         "anything after this frame is not analysed.");
	}
	osi_flush(o, &out);
	osi_summary(o, why);
}

const struct analyser_ops osi_analyser = {
    .proto = MTA_PROTO_OSI,
    .name = "osi",
    .create = osi_create,
    .destroy = osi_destroy,
    .on_segment = osi_on_segment,
    .on_stream = osi_on_stream,
    .on_tick = NULL,
    .on_end = osi_on_end,
};
