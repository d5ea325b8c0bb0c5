/* ses_sm.c — ISO 8327-1 / X.225 session protocol machine model (Annex A, Tables A.4-A.7)
 *
 * One model per SPM (initiator = side 0, responder = side 1).  Every SPDU is applied as
 * "send" to its sender's model and "receive" to the peer's, in capture order; validity is
 * judged against the receiver's model (a conforming receiver is what aborts).  The rows of
 * the anomaly catalogue (docs/osi-session-sync.md §5) are decided here; X.410 RTS rows
 * (W1-W6) are judged separately and add at most one finding of their own per SPDU.
 */
#include "ses_sm.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rts.h"

const char *ses_side_name(int side)
{
	return side == 0 ? "initiator" : "responder";
}

static enum mta_severity ses_default_sev(enum mta_finding_code c)
{
	return mta_finding_default_severity(c);
}

void ses_emit(struct ses_assoc *a, struct ses_out *out, enum mta_finding_code code, int sev,
              int side, uint64_t related, const char *detail, const char *fmt, ...)
{
	enum mta_severity sv = sev < 0 ? ses_default_sev(code) : (enum mta_severity)sev;
	if (out->n == SES_OUT_MAX) {
		out->lost++;
		return;
	}
	struct ses_find *f = &out->f[out->n++];
	memset(f, 0, sizeof *f);
	f->code = code;
	f->sev = sv;
	f->side = side;
	f->frame = a->frame;
	f->related = related;
	if (detail)
		snprintf(f->detail, sizeof f->detail, "%s", detail);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof f->msg, fmt, ap);
	va_end(ap);
	if (sv == MTA_SEV_ERROR && code != MTA_F_OSI_ABORT_CAUSE) {
		a->last_error_frame = a->frame;
		a->last_error_code = code;
		size_t k = strlen(f->msg);
		if (k >= sizeof a->last_error_msg)
			k = sizeof a->last_error_msg - 1;
		memcpy(a->last_error_msg, f->msg, k);
		a->last_error_msg[k] = '\0';
	}
}

void ses_sm_init(struct ses_assoc *a)
{
	memset(a, 0, sizeof *a);
	a->ulsn = SES_SN_MAX_DIGITS;
	a->cur = -1;
	a->ckpt = RTS_DEFAULT_CHECKPOINT;
	a->window = RTS_DEFAULT_WINDOW;
	for (int i = 0; i < SES_TK_N; i++)
		a->tok[i] = SES_OWNER_UNKNOWN;
	for (int i = 0; i < 2; i++)
		a->spm[i].vact = -1;
}

bool ses_sm_open(const struct ses_assoc *a)
{
	return (a->cn_seen || a->learning) && !a->rf_seen && !a->released && !a->aborted;
}

void ses_sm_gap(struct ses_assoc *a)
{
	for (int i = 0; i < 2; i++) {
		a->spm[i].known = false;
		a->spm[i].fresh = SES_FRESH_NONE;
		a->spm[i].major_sent = a->spm[i].major_owed = false;
	}
	a->mips_n = 0;
	a->rs_pending = a->ai_pending = a->ad_pending = false;
}

/* ---- helpers ------------------------------------------------------------------------------ */

static bool fu_has(const struct ses_assoc *a, uint16_t bit)
{
	return a->fu_known && (a->fu & bit);
}
static bool fu_lacks(const struct ses_assoc *a, uint16_t bit)
{
	return a->fu_known && !(a->fu & bit);
}

static const char *owner_name(int o)
{
	return o == 0                ? "the initiator"
	       : o == 1              ? "the responder"
	       : o == SES_OWNER_NONE ? "nobody (not available)"
	                             : "unknown";
}

static void tokens_from_setting(struct ses_assoc *a, uint8_t set, bool have)
{
	static const int shift[SES_TK_N] = {0, 2, 4, 6};
	static const uint16_t need[SES_TK_N] = {SES_FU_HALF_DUPLEX, SES_FU_MINOR_SYNC, 0,
	                                        SES_FU_NEG_RELEASE};
	for (int t = 0; t < SES_TK_N; t++) {
		bool avail = t == SES_TK_MAJOR
		                 ? (a->fu & (SES_FU_MAJOR_SYNC | SES_FU_ACTIVITY)) != 0
		                 : (a->fu & need[t]) != 0;
		if (!avail) {
			a->tok[t] = SES_OWNER_NONE;
			continue;
		}
		unsigned v = have ? (set >> shift[t]) & 3u : 0u;
		a->tok[t] = v == 0 ? 0 : v == 1 ? 1 : SES_OWNER_UNKNOWN;
	}
}

/* GT Token Item / GTC: the named tokens go to the receiver of the SPDU. */
static void tokens_give(struct ses_assoc *a, int to, uint8_t item)
{
	static const uint8_t bit[SES_TK_N] = {SES_TOK_DATA, SES_TOK_MINOR, SES_TOK_MAJOR,
	                                      SES_TOK_RELEASE};
	for (int t = 0; t < SES_TK_N; t++)
		if ((item & bit[t]) && a->tok[t] != SES_OWNER_NONE)
			a->tok[t] = to;
}

static void tokens_all(struct ses_assoc *a, int to)
{
	for (int t = 0; t < SES_TK_N; t++)
		if (a->tok[t] != SES_OWNER_NONE)
			a->tok[t] = to;
}

static void hist_add(struct ses_assoc *a, int side, const struct spdu *s)
{
	unsigned i = a->hist_pos[side]++ % 8;
	a->hist[side][i].frame = s->frame;
	size_t n = s->len < sizeof a->hist[side][i].head ? s->len : sizeof a->hist[side][i].head;
	if (s->raw)
		memcpy(a->hist[side][i].head, s->raw, n);
	a->hist[side][i].n = (uint8_t)n;
}

static uint64_t hist_find(const struct ses_assoc *a, int side, const uint8_t *p, size_t n)
{
	if (!p || n == 0)
		return 0;
	for (unsigned k = 1; k <= 8 && k <= a->hist_pos[side]; k++) {
		unsigned i = (a->hist_pos[side] - k) % 8;
		size_t m = n < a->hist[side][i].n ? n : a->hist[side][i].n;
		if (m && memcmp(a->hist[side][i].head, p, m) == 0)
			return a->hist[side][i].frame;
	}
	return 0;
}

static struct ses_mip_rec *mip_find(struct ses_assoc *a, uint32_t sn)
{
	for (unsigned k = 1; k <= a->mips_n; k++) {
		struct ses_mip_rec *m = &a->mips[(a->mips_pos - k) % SES_MIP_HIST];
		if (m->sn == sn)
			return m;
	}
	return NULL;
}

static struct ses_activity *act_cur(struct ses_assoc *a)
{
	return a->cur >= 0 ? &a->act[a->cur] : NULL;
}

static void act_begin(struct ses_assoc *a, int side, const struct spdu *s, bool resumed)
{
	if (a->n_act == SES_MAX_ACTIVITIES) {
		a->act_dropped++;
		a->cur = -1;
		return;
	}
	struct ses_activity *x = &a->act[a->n_act];
	memset(x, 0, sizeof *x);
	x->id_len = (uint8_t)(s->act_id_len < sizeof x->id ? s->act_id_len : sizeof x->id);
	if (x->id_len)
		memcpy(x->id, s->act_id, x->id_len);
	x->side = side;
	x->resumed = resumed;
	x->first_frame = x->last_frame = s->frame;
	x->end = "open";
	a->cur = (int)a->n_act++;
}

static void act_end(struct ses_assoc *a, const char *how, uint64_t frame)
{
	struct ses_activity *x = act_cur(a);
	if (x) {
		x->end = how;
		x->last_frame = frame;
	}
	a->cur = -1;
}

static void set_vact(struct ses_assoc *a, int v)
{
	a->spm[0].vact = a->spm[1].vact = v;
}

/* Both SPMs start a serial baseline: V(A) = V(M) = sn, V(R) = vr. */
static void baseline(struct ses_assoc *a, uint32_t sn, uint32_t vr, int fresh)
{
	for (int i = 0; i < 2; i++) {
		struct ses_spm *m = &a->spm[i];
		m->known = true;
		m->va = m->vm = sn;
		m->vr = vr;
		m->vsc = false;
		m->fresh = fresh;
		m->fresh_sn = sn;
		m->major_sent = m->major_owed = false;
	}
	a->mips_n = 0;
	a->octets_since_sync = 0;
	a->ckpt_reported = false;
}

static const char *serial_problem(const struct ses_serial *sn)
{
	switch (sn->st) {
	case SES_SN_ABSENT:
		return "is missing";
	case SES_SN_EMPTY:
		return "is empty";
	case SES_SN_NONDIGIT:
		return "holds octets that are not decimal digits";
	case SES_SN_TOO_LONG:
		return "has more than 6 digits";
	default:
		return "is valid";
	}
}

static uint32_t serial_limit(const struct ses_assoc *a)
{
	uint32_t lim = 1;
	if (a->ulsn == 0 || a->ulsn > 9)
		return UINT32_MAX;
	for (unsigned i = 0; i < a->ulsn; i++)
		lim *= 10;
	return lim - 1;
}

/* ---- connection phase --------------------------------------------------------------------- */

static void on_cn(struct ses_assoc *a, int dir, const struct spdu *s, struct ses_out *out)
{
	(void)dir;
	(void)out;
	a->cn_seen = true;
	a->learning = false;
	a->cn_frame = s->frame;
	a->fu_cn = s->has_sur ? s->sur : SES_FU_DEFAULT;
	a->has_ver_cn = s->has_version;
	a->ver_cn = s->version;
	a->ext_rx[0] = s->has_proto_opt && (s->proto_opt & 1);
	a->has_tset_cn = s->has_token_set;
	a->tset_cn = s->token_set;
	if (s->has_ulsn)
		a->ulsn = s->ulsn;
	if (s->has_udata && rts_parse_connect(s->udata, s->udata_len, false, &a->rts_rq)) {
		a->rts = true;
		a->recover = a->rts_rq.recover;
	}
}

static void on_ac(struct ses_assoc *a, int dir, const struct spdu *s, struct ses_out *out)
{
	a->ac_seen = true;
	a->ac_frame = s->frame;
	a->fu_ac = s->has_sur ? s->sur : SES_FU_DEFAULT;
	a->fu = (a->cn_seen ? a->fu_cn : SES_FU_DEFAULT) & a->fu_ac;
	if (!a->cn_seen)
		a->fu = a->fu_ac; /* CN not captured: the AC's selection is all we know */
	a->fu_known = true;
	a->learning = false;
	a->has_ver_ac = s->has_version;
	a->ver_ac = s->version;
	a->ext_rx[1] = s->has_proto_opt && (s->proto_opt & 1);
	a->has_tset_ac = s->has_token_set;
	a->tset_ac = s->token_set;
	if (s->has_ulsn)
		a->ulsn = s->ulsn;
	if (s->isn.st == SES_SN_OK) {
		a->has_isn = true;
		a->isn = s->isn.v;
	}
	/* Token positions: the AC's Token Setting wins, else the CN's, else the initiator. */
	if (a->has_tset_ac)
		tokens_from_setting(a, a->tset_ac, true);
	else
		tokens_from_setting(a, a->tset_cn, a->has_tset_cn);
	/* N2: inconsistent selection (§5.6, §8.3.4) */
	char why[160] = "";
	uint16_t f = a->fu;
	if ((f & SES_FU_HALF_DUPLEX) && (f & SES_FU_DUPLEX))
		snprintf(why, sizeof why, "both half-duplex and duplex are selected");
	else if (!(f & (SES_FU_HALF_DUPLEX | SES_FU_DUPLEX)))
		snprintf(why, sizeof why, "neither half-duplex nor duplex is selected");
	else if ((f & SES_FU_MINOR_SYNC) && (f & SES_FU_SYMM_SYNC))
		snprintf(why, sizeof why,
		         "both minor synchronize and symmetric synchronize are selected");
	else if ((f & SES_FU_DATA_SEP) && (f & SES_FU_ACTIVITY))
		snprintf(why, sizeof why,
		         "data separation is selected together with activity management");
	else if (a->has_tset_ac && (a->tset_ac & 0xAA))
		snprintf(why, sizeof why,
		         "the ACCEPT's Token Setting leaves a token to the \"called user's "
		         "choice\" (0x%02x)",
		         a->tset_ac);
	else if (!(f & SES_FU_ACTIVITY) &&
	         (f & (SES_FU_MINOR_SYNC | SES_FU_MAJOR_SYNC | SES_FU_RESYNC)) &&
	         s->isn.st == SES_SN_ABSENT)
		snprintf(why, sizeof why,
		         "a synchronization unit is selected without activity management but the "
		         "ACCEPT carries no Initial Serial Number");
	if (why[0])
		ses_emit(a, out, MTA_F_OSI_NEGOTIATION_INCONSISTENT, -1, dir, a->cn_frame, NULL,
		         "ACCEPT from the responder: %s (functional units CN 0x%04x, AC 0x%04x, "
		         "selected 0x%04x); the association cannot work as negotiated.",
		         why, a->fu_cn, a->fu_ac, a->fu);
	if (f & SES_FU_ACTIVITY)
		set_vact(a, 0); /* no activity until AS/AR */
	/* Serial baseline without activity management: the AC's ISN (§7.4). */
	if (!(f & SES_FU_ACTIVITY) && a->has_isn) {
		baseline(a, a->isn, 0, SES_FRESH_NONE);
	}
	/* RTS values in force (the accept's, defaults otherwise) and W4 */
	if (s->has_udata && rts_parse_connect(s->udata, s->udata_len, true, &a->rts_ac))
		a->rts = true;
	if (a->rts) {
		int64_t rq_ck =
		    a->rts_rq.has_checkpoint ? a->rts_rq.checkpoint : RTS_DEFAULT_CHECKPOINT;
		int64_t rq_w = a->rts_rq.has_window ? a->rts_rq.window : RTS_DEFAULT_WINDOW;
		a->ckpt = a->rts_ac.has_checkpoint ? a->rts_ac.checkpoint : RTS_DEFAULT_CHECKPOINT;
		a->window = a->rts_ac.has_window ? a->rts_ac.window : RTS_DEFAULT_WINDOW;
		if (a->rts_rq.mode != RTS_MODE_NONE && a->rts_ac.mode != RTS_MODE_NONE &&
		    (a->ckpt > rq_ck || a->window > rq_w)) {
			char d[128];
			snprintf(d, sizeof d,
			         "{\"proposed_checkpoint\":%lld,\"accepted_checkpoint\":%lld,"
			         "\"proposed_window\":%lld,\"accepted_window\":%lld}",
			         (long long)rq_ck, (long long)a->ckpt, (long long)rq_w,
			         (long long)a->window);
			ses_emit(a, out, MTA_F_OSI_RTS_NEGOTIATION_RAISED, -1, dir, a->cn_frame, d,
			         "The responder's RTS accept raises what the initiator proposed: "
			         "checkpoint size %lld -> %lld (x1024 octets), window %lld -> "
			         "%lld; an accept may only lower these values.",
			         (long long)rq_ck, (long long)a->ckpt, (long long)rq_w,
			         (long long)a->window);
		}
	}
}

/* ---- sync points -------------------------------------------------------------------------- */

static void mip_apply(struct ses_assoc *a, int dir, uint32_t sn_used)
{
	struct ses_spm *S = &a->spm[dir], *R = &a->spm[1 - dir];
	/* send side (§7.20.2, [24]) */
	if (S->vsc) {
		S->va = S->vm;
		S->vsc = false;
	}
	S->vm++;
	/* receive side (§7.20.3, [23]) */
	if (!R->vsc) {
		R->va = R->vm;
		R->vsc = true;
	}
	R->vm++;
	S->fresh = R->fresh = SES_FRESH_NONE;
	(void)sn_used;
}

/* The model follows what was seen: both SPMs continue as if sn were the expected serial. */
static void mip_resync(struct ses_assoc *a, int dir, uint32_t sn)
{
	struct ses_spm *S = &a->spm[dir], *R = &a->spm[1 - dir];
	if (!S->known || !R->known || R->vsc == false || R->va > sn)
		R->va = sn;
	S->va = R->va;
	S->vm = R->vm = sn + 1;
	S->vsc = false;
	R->vsc = true;
	S->known = R->known = true;
	S->fresh = R->fresh = SES_FRESH_NONE;
}

static void rts_on_mip(struct ses_assoc *a, int dir, const struct spdu *s, struct ses_spm *S,
                       struct ses_out *out)
{
	if (!a->rts || !a->ac_seen) /* values in force unknown without the accept */
		return;
	if (a->ckpt == 0) {
		if (!a->w3_reported) {
			a->w3_reported = true;
			ses_emit(
			    a, out, MTA_F_OSI_RTS_MIP_WITHOUT_CHECKPOINTING, -1, dir, 0, NULL,
			    "The %s sends MINOR SYNC POINTs although RTS negotiated no "
			    "checkpointing (checkpoint size 0); a strict peer may reject them.",
			    ses_side_name(dir));
		}
		return;
	}
	if (s->serial.st == SES_SN_OK && S->known) {
		uint32_t sn = s->serial.v;
		uint32_t conf = (S->vsc ? S->vm : S->va); /* lowest still unconfirmed */
		int64_t outstanding = (int64_t)sn - (int64_t)conf + 1;
		if (outstanding > a->window) {
			char d[128];
			snprintf(d, sizeof d,
			         "{\"serial\":%u,\"last_confirmed\":%lld,\"window\":%lld}", sn,
			         (long long)conf - 1, (long long)a->window);
			ses_emit(a, out, MTA_F_OSI_RTS_WINDOW_EXCEEDED, -1, dir, 0, d,
			         "The %s sent checkpoint %u while the last confirmed one is %lld: "
			         "%lld checkpoints are unconfirmed but the RTS window is %lld.",
			         ses_side_name(dir), sn, (long long)conf - 1,
			         (long long)outstanding, (long long)a->window);
			return;
		}
	}
	if (s->has_sync_type && (s->sync_type & 0x01))
		ses_emit(
		    a, out, MTA_F_OSI_RTS_MIP_UNCONFIRMED, -1, dir, 0, NULL,
		    "Checkpoint %u of the %s's RTS transfer does not ask for confirmation (Sync "
		    "Type \"no explicit confirmation\"); RTS always confirms checkpoints.",
		    s->serial.v, ses_side_name(dir));
}

static void on_mip(struct ses_assoc *a, int dir, const struct spdu *s, struct ses_out *out)
{
	struct ses_spm *S = &a->spm[dir], *R = &a->spm[1 - dir];
	const struct ses_serial *sn = &s->serial;
	bool valid_serial = false;
	char d[192];
	if (a->learning && !a->fu_known)
		a->fu |= SES_FU_MINOR_SYNC;
	struct ses_activity *x = act_cur(a);
	if (x) {
		x->mips++;
		x->last_frame = s->frame;
	}
	a->mip_sent[dir]++;

	/* one validity finding, in the contract's order (§1.3) */
	bool done = a->quiet;
	if (!done && fu_lacks(a, SES_FU_MINOR_SYNC) && !(a->fu & SES_FU_SYMM_SYNC)) {
		done = true;
		ses_emit(a, out, MTA_F_OSI_FU_NOT_SELECTED, -1, dir, a->ac_frame, NULL,
		         "MINOR SYNC POINT from the %s, but the minor synchronize functional unit "
		         "was not selected (CN 0x%04x, AC 0x%04x); the peer rejects it as an "
		         "invalid SPDU for this connection.",
		         ses_side_name(dir), a->fu_cn, a->fu_ac);
	}
	if (!done && fu_has(a, SES_FU_ACTIVITY) && R->vact == 0) {
		done = true;
		ses_emit(
		    a, out, MTA_F_OSI_MIP_OUTSIDE_ACTIVITY, -1, dir, 0, NULL,
		    "MINOR SYNC POINT (serial %u) from the %s while no activity is in progress; "
		    "with activity management a sync point is only valid inside an activity.",
		    sn->v, ses_side_name(dir));
	}
	if (!done &&
	    (R->major_sent || R->major_owed || a->rs_pending || a->ai_pending || a->ad_pending)) {
		done = true;
		const char *why =
		    R->major_owed
		        ? (R->major_is_ae ? "its own ACTIVITY END is still unconfirmed"
		                          : "its own MAJOR SYNC POINT is still unconfirmed")
		    : R->major_sent ? "the peer's MAJOR SYNC POINT / ACTIVITY END awaits an answer"
		    : a->rs_pending ? "a RESYNCHRONIZE is pending"
		    : a->ai_pending ? "an ACTIVITY INTERRUPT is pending"
		                    : "an ACTIVITY DISCARD is pending";
		ses_emit(a, out, MTA_F_OSI_MIP_WRONG_STATE, -1, dir,
		         R->major_owed   ? R->major_frame
		         : R->major_sent ? R->major_frame
		                         : 0,
		         NULL,
		         "MINOR SYNC POINT (serial %u) from the %s while %s; no sync point may be "
		         "sent in that state.",
		         sn->v, ses_side_name(dir), why);
	}
	if (!done && a->tok[SES_TK_MINOR] >= 0 && a->tok[SES_TK_MINOR] != dir) {
		done = true;
		ses_emit(a, out, MTA_F_OSI_MIP_WITHOUT_MINOR_TOKEN, -1, dir, 0, NULL,
		         "MINOR SYNC POINT (serial %u) from the %s, but the synchronize-minor "
		         "token is held by %s.",
		         sn->v, ses_side_name(dir), owner_name(a->tok[SES_TK_MINOR]));
	}
	if (!done && fu_has(a, SES_FU_HALF_DUPLEX) && a->tok[SES_TK_DATA] >= 0 &&
	    a->tok[SES_TK_DATA] != dir) {
		done = true;
		ses_emit(a, out, MTA_F_OSI_MIP_WITHOUT_DATA_TOKEN, -1, dir, 0, NULL,
		         "MINOR SYNC POINT (serial %u) from the %s on a half-duplex connection, "
		         "but the data token is held by %s.",
		         sn->v, ses_side_name(dir), owner_name(a->tok[SES_TK_DATA]));
	}
	if (sn->st != SES_SN_OK) {
		if (!done) {
			done = true;
			ses_emit(a, out, MTA_F_OSI_SERIAL_MALFORMED, -1, dir, 0, NULL,
			         "MINOR SYNC POINT from the %s: its serial number %s; the peer "
			         "cannot process it.",
			         ses_side_name(dir), serial_problem(sn));
		}
	} else {
		valid_serial = true;
		uint32_t lim = serial_limit(a);
		if (!done && sn->v > lim) {
			done = true;
			valid_serial = false;
			snprintf(d, sizeof d, "{\"seen\":%u,\"limit\":%u}", sn->v, lim);
			ses_emit(a, out, MTA_F_OSI_MIP_SERIAL_LIMIT, -1, dir, 0, d,
			         "MINOR SYNC POINT from the %s carries serial %u, past the largest "
			         "serial allowed on this connection (%u).",
			         ses_side_name(dir), sn->v, lim);
		}
		if (!done && R->known && sn->v != R->vm) {
			done = true;
			valid_serial = false;
			const char *sub, *expl;
			uint32_t exp = R->vm;
			if (R->fresh == SES_FRESH_AS) {
				sub = "not_reset";
				expl = "the first sync point of an activity must carry 1 (ACTIVITY "
				       "START resets the serial)";
			} else if (R->fresh == SES_FRESH_AR) {
				sub = "ar_off_by_one";
				expl = "the first sync point after ACTIVITY RESUME must carry the "
				       "resumed serial + 1";
			} else if (R->fresh == SES_FRESH_RA) {
				sub = "after_ra";
				expl = "after RESYNCHRONIZE the next sync point carries the serial "
				       "of the RESYNCHRONIZE ACK";
			} else if (sn->v + 1 == exp) {
				sub = "duplicate";
				expl = "the previous sync point's serial was used again";
			} else if (sn->v > exp) {
				sub = "gap";
				expl = "serials were skipped";
			} else {
				sub = "regress";
				expl = "the serial went backwards";
			}
			uint64_t rel = 0;
			if (a->mips_n)
				rel = a->mips[(a->mips_pos - 1) % SES_MIP_HIST].frame;
			snprintf(
			    d, sizeof d,
			    "{\"expected\":%u,\"seen\":%u,\"subkind\":\"%s\",\"va\":%u,\"vm\":%u}",
			    exp, sn->v, sub, R->va, R->vm);
			ses_emit(a, out, MTA_F_OSI_MIP_SERIAL, -1, dir, rel, d,
			         "MINOR SYNC POINT from the %s carries serial %u but the %s "
			         "expects %u (V(M)=%u, V(A)=%u): %s (%s). A conforming receiver "
			         "aborts the association here.",
			         ses_side_name(dir), sn->v, ses_side_name(1 - dir), exp, R->vm,
			         R->va, expl, sub);
		}
	}
	if (!done && s->has_sync_type && (s->sync_type & 0x02) && fu_lacks(a, SES_FU_DATA_SEP)) {
		ses_emit(a, out, MTA_F_OSI_MIP_DATA_SEPARATION, -1, dir, 0, NULL,
		         "MINOR SYNC POINT (serial %u) from the %s asks for data separation, a "
		         "functional unit that was not selected.",
		         sn->v, ses_side_name(dir));
	}
	/* RTS rows, judged separately */
	if (!a->quiet)
		rts_on_mip(a, dir, s, S, out);

	/* model update: after an invalid serial (reported or not) follow what was seen */
	if (sn->st == SES_SN_OK && R->known && sn->v != R->vm)
		valid_serial = false;
	if (sn->st == SES_SN_OK && (!R->known || !valid_serial))
		mip_resync(a, dir, sn->v);
	else if (R->known || S->known)
		mip_apply(a, dir, sn->v);
	a->octets_since_sync = 0;
	a->ckpt_reported = false;
	if (sn->st == SES_SN_OK) {
		struct ses_mip_rec *m = &a->mips[a->mips_pos++ % SES_MIP_HIST];
		m->sn = sn->v;
		m->frame = s->frame;
		m->noconf = s->has_sync_type && (s->sync_type & 0x01);
		m->confirmed = false;
		if (a->mips_n < SES_MIP_HIST)
			a->mips_n++;
	}
}

static void on_mia(struct ses_assoc *a, int dir, const struct spdu *s, struct ses_out *out)
{
	struct ses_spm *S = &a->spm[dir], *R = &a->spm[1 - dir]; /* R sent the MIPs */
	const struct ses_serial *sn = &s->serial;
	char d[192];
	bool done = a->quiet, valid = false;
	a->mia_sent[dir]++;
	if (!done && fu_lacks(a, SES_FU_MINOR_SYNC) && !(a->fu & SES_FU_SYMM_SYNC)) {
		done = true;
		ses_emit(a, out, MTA_F_OSI_FU_NOT_SELECTED, -1, dir, a->ac_frame, NULL,
		         "MINOR SYNC ACK from the %s, but the minor synchronize functional unit "
		         "was not selected (CN 0x%04x, AC 0x%04x).",
		         ses_side_name(dir), a->fu_cn, a->fu_ac);
	}
	if (sn->st != SES_SN_OK) {
		if (!done) {
			done = true;
			ses_emit(a, out, MTA_F_OSI_SERIAL_MALFORMED, -1, dir, 0, NULL,
			         "MINOR SYNC ACK from the %s: its serial number %s.",
			         ses_side_name(dir), serial_problem(sn));
		}
		return;
	}
	uint32_t v = sn->v;
	struct ses_mip_rec *m = mip_find(a, v);
	uint64_t rel = m ? m->frame : 0;
	if (!R->known) {
		/* learning: the MIA tells us V(A) at least */
		return;
	}
	if (!done && R->va == R->vm) {
		done = true;
		snprintf(d, sizeof d, "{\"seen\":%u,\"va\":%u,\"vm\":%u}", v, R->va, R->vm);
		ses_emit(a, out, MTA_F_OSI_MIA_NOTHING_PENDING, -1, dir, rel, d,
		         "MINOR SYNC ACK for serial %u from the %s, but no sync point is waiting "
		         "for confirmation (V(A)=V(M)=%u at the %s).",
		         v, ses_side_name(dir), R->vm, ses_side_name(1 - dir));
	}
	if (!done && R->vsc) {
		done = true;
		snprintf(d, sizeof d, "{\"seen\":%u,\"va\":%u,\"vm\":%u}", v, R->va, R->vm);
		ses_emit(a, out, MTA_F_OSI_MIA_WRONG_SIDE, -1, dir, rel, d,
		         "MINOR SYNC ACK for serial %u from the %s, which did not receive the last "
		         "MINOR SYNC POINT (it sent it, or the tokens moved); only the receiver of "
		         "a sync point may confirm it.",
		         v, ses_side_name(dir));
	}
	if (!done && R->major_sent && v + 1 == R->vm) {
		done = true;
		snprintf(d, sizeof d, "{\"seen\":%u,\"major_serial\":%u}", v, R->major_sn);
		ses_emit(a, out, MTA_F_OSI_MIA_NAMES_MAJOR, -1, dir, R->major_frame, d,
		         "MINOR SYNC ACK from the %s names serial %u, which belongs to the "
		         "outstanding %s; it must be answered by %s.",
		         ses_side_name(dir), v,
		         R->major_is_ae ? "ACTIVITY END" : "MAJOR SYNC POINT",
		         R->major_is_ae ? "ACTIVITY END ACK" : "MAJOR SYNC ACK");
	}
	if (!done && !(R->va <= v && v < R->vm)) {
		done = true;
		snprintf(
		    d, sizeof d,
		    "{\"seen\":%u,\"va\":%u,\"vm\":%u,\"expected_min\":%u,\"expected_max\":%u}", v,
		    R->va, R->vm, R->va, R->vm - 1);
		ses_emit(a, out, MTA_F_OSI_MIA_NOT_OUTSTANDING, -1, dir, rel, d,
		         "MINOR SYNC ACK from the %s confirms serial %u, which is not outstanding: "
		         "the %s waits for confirmation of %u..%u (V(A)=%u, V(M)=%u).",
		         ses_side_name(dir), v, ses_side_name(1 - dir), R->va, R->vm - 1, R->va,
		         R->vm);
	}
	if (!done)
		valid = true;
	if (valid && m && m->noconf && !a->quiet)
		ses_emit(a, out, MTA_F_OSI_MIA_UNREQUESTED, -1, dir, m->frame, NULL,
		         "MINOR SYNC ACK from the %s confirms serial %u, whose sync point did not "
		         "ask for confirmation (allowed).",
		         ses_side_name(dir), v);
	/* model update: V(A) <- sn+1 (§7.21, [25]); a serial past V(M) means sync points were
	 * missed: follow what was seen */
	if (R->va <= v && v < R->vm) {
		R->va = S->va = v + 1;
		struct ses_activity *cx = act_cur(a);
		if (cx) {
			cx->has_confirmed = true;
			cx->last_confirmed = v;
		}
	} else if (v >= R->vm) {
		R->vm = S->vm = v + 1;
		R->va = S->va = v + 1;
	}
	struct ses_activity *x = act_cur(a);
	if (x) {
		unsigned c = 0;
		for (unsigned k = 1; k <= a->mips_n; k++) {
			struct ses_mip_rec *q = &a->mips[(a->mips_pos - k) % SES_MIP_HIST];
			if (q->sn <= v)
				q->confirmed = true;
		}
		for (unsigned k = 1; k <= a->mips_n; k++)
			c += a->mips[(a->mips_pos - k) % SES_MIP_HIST].confirmed;
		x->mips_confirmed = c;
	}
}

static void on_major(struct ses_assoc *a, int dir, const struct spdu *s, struct ses_out *out)
{
	struct ses_spm *S = &a->spm[dir], *R = &a->spm[1 - dir];
	bool ae = s->type == SES_AE;
	const struct ses_serial *sn = &s->serial;
	const char *nm = ae ? "ACTIVITY END" : "MAJOR SYNC POINT";
	bool done = a->quiet;
	char d[160];
	if (ae && a->learning)
		a->act_learned = true;
	if (!done && ae && R->vact == 0) {
		done = true;
		ses_emit(a, out, MTA_F_OSI_ACTIVITY_MISUSE, -1, dir, 0, NULL,
		         "ACTIVITY END from the %s while no activity is in progress.",
		         ses_side_name(dir));
	}
	if (!done && a->tok[SES_TK_MAJOR] >= 0 && a->tok[SES_TK_MAJOR] != dir) {
		done = true;
		ses_emit(a, out, MTA_F_OSI_ACTIVITY_MISUSE, -1, dir, 0, NULL,
		         "%s from the %s, but the major/activity token is held by %s.", nm,
		         ses_side_name(dir), owner_name(a->tok[SES_TK_MAJOR]));
	}
	if (!done && sn->st != SES_SN_OK) {
		done = true;
		ses_emit(a, out, MTA_F_OSI_SERIAL_MALFORMED, -1, dir, 0, NULL,
		         "%s from the %s: its serial number %s.", nm, ses_side_name(dir),
		         serial_problem(sn));
	}
	bool bad = false;
	if (!done && sn->st == SES_SN_OK && R->known && sn->v != R->vm) {
		done = true;
		bad = true;
		snprintf(d, sizeof d, "{\"expected\":%u,\"seen\":%u}", R->vm, sn->v);
		ses_emit(a, out, MTA_F_OSI_MAJOR_SERIAL, -1, dir, 0, d,
		         "%s from the %s carries serial %u but the %s expects %u (V(M)=%u); a peer "
		         "that ignores it leaves the transfer hanging.",
		         nm, ses_side_name(dir), sn->v, ses_side_name(1 - dir), R->vm, R->vm);
	}
	if (sn->st == SES_SN_OK && R->known && sn->v != R->vm)
		bad = true;
	if (sn->st == SES_SN_OK && (!R->known || bad)) {
		mip_resync(a, dir, sn->v);
	} else {
		if (S->vsc) {
			S->va = S->vm;
			S->vsc = false;
		}
		S->vm++;
		if (!R->vsc)
			R->va = R->vm;
		R->vm++;
	}
	S->major_sent = true;
	S->major_is_ae = ae;
	S->major_sn = sn->st == SES_SN_OK ? sn->v : S->vm - 1;
	S->major_frame = s->frame;
	R->major_owed = true;
	R->major_is_ae = ae;
	R->major_sn = S->major_sn;
	R->major_frame = s->frame;
	S->vnextact = R->vnextact = !ae;
	S->fresh = R->fresh = SES_FRESH_NONE;
	struct ses_activity *x = act_cur(a);
	if (x)
		x->last_frame = s->frame;
	/* W2 accounting ends the interval at the AE/MAP too */
	a->octets_since_sync = 0;
	a->ckpt_reported = false;
}

static void on_major_ack(struct ses_assoc *a, int dir, const struct spdu *s, struct ses_out *out)
{
	struct ses_spm *S = &a->spm[dir], *R = &a->spm[1 - dir]; /* R sent the MAP/AE */
	const struct ses_serial *sn = &s->serial;
	bool ae = R->major_sent ? R->major_is_ae : (R->vact == 1 || a->act_learned);
	const char *nm = ae ? "ACTIVITY END ACK" : "MAJOR SYNC ACK";
	bool done = a->quiet;
	char d[160];
	if (!done && R->known && sn->st == SES_SN_OK && !R->major_sent) {
		done = true;
		snprintf(d, sizeof d, "{\"seen\":%u}", sn->v);
		ses_emit(a, out, MTA_F_OSI_MAJOR_ACK_SERIAL, -1, dir, 0, d,
		         "%s (serial %u) from the %s, but no MAJOR SYNC POINT or ACTIVITY END is "
		         "outstanding.",
		         nm, sn->v, ses_side_name(dir));
	}
	if (!done && sn->st == SES_SN_OK && R->known && sn->v + 1 != R->vm) {
		done = true;
		snprintf(d, sizeof d, "{\"expected\":%u,\"seen\":%u}", R->vm - 1, sn->v);
		ses_emit(a, out, MTA_F_OSI_MAJOR_ACK_SERIAL, -1, dir, R->major_frame, d,
		         "%s from the %s carries serial %u but the %s expects %u (V(M)-1).", nm,
		         ses_side_name(dir), sn->v, ses_side_name(1 - dir), R->vm - 1);
	}
	/* V(A) = V(R) = V(M) ([22]); Vact = Vnextact */
	if (sn->st == SES_SN_OK && !R->known) {
		R->vm = S->vm = sn->v + 1;
		R->known = S->known = true;
	}
	for (int i = 0; i < 2; i++) {
		a->spm[i].va = a->spm[i].vr = a->spm[i].vm;
		a->spm[i].vsc = false;
		a->spm[i].major_sent = a->spm[i].major_owed = false;
	}
	(void)S;
	if (ae) {
		set_vact(a, 0);
		struct ses_activity *x = act_cur(a);
		if (x)
			x->mips_confirmed = x->mips;
		act_end(a, "end_confirmed", s->frame);
		a->w3_reported = false;
	}
}

/* ---- activities ----------------------------------------------------------------------------- */

static bool act_token_check(struct ses_assoc *a, int dir, const char *nm, struct ses_out *out)
{
	if (a->tok[SES_TK_MAJOR] >= 0 && a->tok[SES_TK_MAJOR] != dir) {
		ses_emit(a, out, MTA_F_OSI_ACTIVITY_MISUSE, -1, dir, 0, NULL,
		         "%s from the %s, but the major/activity token is held by %s.", nm,
		         ses_side_name(dir), owner_name(a->tok[SES_TK_MAJOR]));
		return true;
	}
	return false;
}

static void on_as_ar(struct ses_assoc *a, int dir, const struct spdu *s, struct ses_out *out)
{
	bool ar = s->type == SES_AR;
	const char *nm = ar ? "ACTIVITY RESUME" : "ACTIVITY START";
	struct ses_spm *R = &a->spm[1 - dir];
	bool done = a->quiet;
	if (a->learning)
		a->act_learned = true;
	if (!done && fu_lacks(a, SES_FU_ACTIVITY)) {
		done = true;
		ses_emit(a, out, MTA_F_OSI_ACTIVITY_MISUSE, -1, dir, 0, NULL,
		         "%s from the %s, but activity management was not selected.", nm,
		         ses_side_name(dir));
	}
	if (!done && R->vact == 1) {
		done = true;
		ses_emit(a, out, MTA_F_OSI_ACTIVITY_MISUSE, -1, dir, 0, NULL,
		         "%s from the %s while an activity is already in progress.", nm,
		         ses_side_name(dir));
	}
	if (!done)
		done = act_token_check(a, dir, nm, out);
	if (!done && ar && s->link_serial.st != SES_SN_OK) {
		done = true;
		ses_emit(
		    a, out, MTA_F_OSI_SERIAL_MALFORMED, -1, dir, 0, NULL,
		    "ACTIVITY RESUME from the %s: the serial number of its linking information %s.",
		    ses_side_name(dir), serial_problem(&s->link_serial));
	}
	/* C3: resuming an activity interrupted on this association at another checkpoint than
	 * the last one confirmed (§7.30.1: the AR names the last sync point) */
	if (!done && ar && s->link_serial.st == SES_SN_OK && s->old_act_id_len) {
		for (unsigned i = a->n_act; i-- > 0;) {
			const struct ses_activity *p = &a->act[i];
			size_t n =
			    s->old_act_id_len < sizeof p->id ? s->old_act_id_len : sizeof p->id;
			if (p->id_len != n || memcmp(p->id, s->old_act_id, n) != 0)
				continue;
			uint32_t want = p->has_confirmed ? p->last_confirmed : 0;
			if (s->link_serial.v != want) {
				char d[128];
				snprintf(d, sizeof d, "{\"expected\":%u,\"seen\":%u}", want,
				         s->link_serial.v);
				ses_emit(a, out, MTA_F_OSI_RECOVERY_FAILURE, -1, dir, p->last_frame,
				         d,
				         "ACTIVITY RESUME from the %s resumes activity %u at "
				         "checkpoint %u, but the last checkpoint confirmed in it "
				         "was %u: data after that point is lost or sent twice.",
				         ses_side_name(dir), i + 1, s->link_serial.v, want);
			}
			break;
		}
	}
	if (a->cur >= 0)
		act_end(a, "superseded", s->frame);
	if (ar && s->link_serial.st == SES_SN_OK)
		baseline(a, s->link_serial.v + 1, 1, SES_FRESH_AR);
	else
		baseline(a, 1, 1, ar ? SES_FRESH_AR : SES_FRESH_AS);
	set_vact(a, 1);
	a->w3_reported = false;
	act_begin(a, dir, s, ar);
}

static void on_ai_ad(struct ses_assoc *a, int dir, const struct spdu *s, struct ses_out *out)
{
	bool ad = s->type == SES_AD;
	const char *nm = ad ? "ACTIVITY DISCARD" : "ACTIVITY INTERRUPT";
	bool done = a->quiet;
	if (!done && a->spm[1 - dir].vact == 0) {
		done = true;
		ses_emit(a, out, MTA_F_OSI_ACTIVITY_MISUSE, -1, dir, 0, NULL,
		         "%s from the %s while no activity is in progress.", nm,
		         ses_side_name(dir));
	}
	if (!done)
		(void)act_token_check(a, dir, nm, out);
	if (ad)
		a->ad_pending = true;
	else
		a->ai_pending = true;
	a->aiad_side = dir;
}

static void on_aia_ada(struct ses_assoc *a, int dir, const struct spdu *s)
{
	bool ada = s->type == SES_ADA;
	int to = a->ai_pending || a->ad_pending ? a->aiad_side : 1 - dir;
	a->ai_pending = a->ad_pending = false;
	set_vact(a, 0);
	tokens_all(a, to); /* §7.32, §7.34: every token to the AI/AD sender */
	for (int i = 0; i < 2; i++)
		a->spm[i].major_sent = a->spm[i].major_owed = false;
	act_end(a, ada ? "discarded" : "interrupted", s->frame);
}

/* ---- resynchronize ------------------------------------------------------------------------ */

static void on_rs(struct ses_assoc *a, int dir, const struct spdu *s, struct ses_out *out)
{
	struct ses_spm *R = &a->spm[1 - dir];
	uint8_t type = s->has_resync_type ? s->resync_type : 0;
	bool done = a->quiet;
	char d[160];
	if (!done && s->serial.st != SES_SN_OK && type != 1) {
		done = true;
		ses_emit(a, out, MTA_F_OSI_SERIAL_MALFORMED, -1, dir, 0, NULL,
		         "RESYNCHRONIZE from the %s: its serial number %s.", ses_side_name(dir),
		         serial_problem(&s->serial));
	}
	if (!done && type == 0 && s->serial.st == SES_SN_OK && R->known &&
	    (s->serial.v < R->vr || s->serial.v > R->vm)) {
		snprintf(d, sizeof d, "{\"seen\":%u,\"vr\":%u,\"vm\":%u,\"subkind\":\"restart\"}",
		         s->serial.v, R->vr, R->vm);
		ses_emit(a, out, MTA_F_OSI_RESYNC_SERIAL, -1, dir, 0, d,
		         "RESYNCHRONIZE (restart) from the %s names serial %u, outside the allowed "
		         "range V(R)=%u..V(M)=%u.",
		         ses_side_name(dir), s->serial.v, R->vr, R->vm);
	}
	a->rs_pending = true;
	a->rs_side = dir;
	a->rs_type = type;
	a->rs_sn = s->serial.st == SES_SN_OK ? s->serial.v : 0;
	a->rs_frame = s->frame;
}

static void on_ra(struct ses_assoc *a, int dir, const struct spdu *s, struct ses_out *out)
{
	struct ses_spm *R = &a->spm[1 - dir];
	bool done = a->quiet;
	char d[160];
	if (!done && s->serial.st != SES_SN_OK) {
		done = true;
		ses_emit(a, out, MTA_F_OSI_SERIAL_MALFORMED, -1, dir, 0, NULL,
		         "RESYNCHRONIZE ACK from the %s: its serial number %s.", ses_side_name(dir),
		         serial_problem(&s->serial));
	}
	if (!done && a->rs_pending && a->rs_type == 0 && s->serial.v != a->rs_sn) {
		done = true;
		snprintf(d, sizeof d, "{\"expected\":%u,\"seen\":%u,\"subkind\":\"restart\"}",
		         a->rs_sn, s->serial.v);
		ses_emit(a, out, MTA_F_OSI_RESYNC_SERIAL, -1, dir, a->rs_frame, d,
		         "RESYNCHRONIZE ACK (restart) from the %s carries serial %u, not the %u "
		         "the RESYNCHRONIZE asked for.",
		         ses_side_name(dir), s->serial.v, a->rs_sn);
	}
	if (!done && a->rs_pending && a->rs_type == 1 && R->known && s->serial.v < R->vm) {
		done = true;
		snprintf(d, sizeof d, "{\"expected_min\":%u,\"seen\":%u,\"subkind\":\"abandon\"}",
		         R->vm, s->serial.v);
		ses_emit(
		    a, out, MTA_F_OSI_RESYNC_SERIAL, -1, dir, a->rs_frame, d,
		    "RESYNCHRONIZE ACK (abandon) from the %s carries serial %u, below V(M)=%u.",
		    ses_side_name(dir), s->serial.v, R->vm);
	}
	uint32_t vr0 = a->spm[0].vr;
	bool restart = !a->rs_pending || a->rs_type == 0;
	if (s->serial.st == SES_SN_OK)
		baseline(a, s->serial.v, restart ? vr0 : 0, SES_FRESH_RA);
	if (s->has_token_set && a->rs_pending) {
		/* RA Token Setting: 00 requestor side, 01 acceptor side (§8.3.24.4) */
		static const int shift[SES_TK_N] = {0, 2, 4, 6};
		for (int t = 0; t < SES_TK_N; t++) {
			if (a->tok[t] == SES_OWNER_NONE)
				continue;
			unsigned v = (s->token_set >> shift[t]) & 3u;
			a->tok[t] = v == 0   ? a->rs_side
			            : v == 1 ? 1 - a->rs_side
			                     : SES_OWNER_UNKNOWN;
		}
	}
	a->rs_pending = false;
}

/* ---- data ----------------------------------------------------------------------------------- */

static void on_dt(struct ses_assoc *a, int dir, const struct spdu *s, struct ses_out *out)
{
	a->user_octets[dir] += s->uinfo_len;
	struct ses_activity *x = act_cur(a);
	if (x) {
		x->octets += s->uinfo_len;
		x->last_frame = s->frame;
	}
	if (a->quiet || !a->rts || !a->ac_seen)
		return;
	struct ses_spm *R = &a->spm[1 - dir];
	if (fu_has(a, SES_FU_ACTIVITY) && R->vact == 0) {
		ses_emit(a, out, MTA_F_OSI_RTS_DATA_OUTSIDE_TURN, -1, dir, 0, NULL,
		         "DATA from the %s outside any activity (%zu octets); an RTS receiver "
		         "aborts with \"unexpected data indication\".",
		         ses_side_name(dir), s->uinfo_len);
		return;
	}
	if (a->tok[SES_TK_DATA] >= 0 && a->tok[SES_TK_DATA] != dir) {
		ses_emit(
		    a, out, MTA_F_OSI_RTS_DATA_OUTSIDE_TURN, -1, dir, 0, NULL,
		    "DATA from the %s, which does not hold the turn (the data token is with %s).",
		    ses_side_name(dir), owner_name(a->tok[SES_TK_DATA]));
		return;
	}
	if (a->ckpt > 0 && R->vact == 1) {
		a->octets_since_sync += s->uinfo_len;
		uint64_t lim = (uint64_t)a->ckpt * 1024u;
		if (a->octets_since_sync > lim && !a->ckpt_reported) {
			char d[128];
			a->ckpt_reported = true;
			snprintf(d, sizeof d, "{\"octets\":%llu,\"limit\":%llu}",
			         (unsigned long long)a->octets_since_sync, (unsigned long long)lim);
			ses_emit(a, out, MTA_F_OSI_RTS_CHECKPOINT_OVERRUN, -1, dir, 0, d,
			         "The %s sent %llu octets since the last checkpoint, more than the "
			         "negotiated checkpoint size of %lld x 1024 = %llu octets.",
			         ses_side_name(dir), (unsigned long long)a->octets_since_sync,
			         (long long)a->ckpt, (unsigned long long)lim);
		}
	}
}

/* ---- release and abort ---------------------------------------------------------------------- */

static const char *tdisc_str(uint8_t td, char *b, size_t n)
{
	snprintf(b, n, "%s%s%s%s%s", (td & 0x01) ? "transport released" : "transport kept",
	         (td & 0x02) ? ", user abort" : "", (td & 0x04) ? ", protocol error" : "",
	         (td & 0x08) ? ", no reason" : "",
	         (td & 0x10) ? ", implementation restriction" : "");
	return b;
}

bool ses_sm_abort(struct ses_assoc *a, int dir, const char *how, struct ses_out *out)
{
	if (!ses_sm_open(a))
		return false;
	a->aborted = true;
	a->abort_frame = a->frame;
	snprintf(a->abort_how, sizeof a->abort_how, "%s", how);
	char state[96] = "";
	struct ses_activity *x = act_cur(a);
	if (x)
		snprintf(state, sizeof state,
		         " during activity %u (%u sync points sent, %u confirmed)",
		         (unsigned)a->cur + 1, x->mips, x->mips_confirmed);
	char d[128] = "";
	if (a->ab_seen && a->has_ab_tdisc && a->has_rts_abort_reason)
		snprintf(d, sizeof d, "{\"transport_disconnect\":%u,\"rts_abort_reason\":%lld}",
		         a->ab_tdisc, (long long)a->rts_abort_reason);
	else if (a->ab_seen && a->has_ab_tdisc)
		snprintf(d, sizeof d, "{\"transport_disconnect\":%u}", a->ab_tdisc);
	ses_emit(a, out, MTA_F_OSI_ABORT, -1, dir, a->last_error_frame, d[0] ? d : NULL,
	         "The association was aborted by the %s: %s%s.", ses_side_name(dir), how, state);
	if (a->last_error_frame) {
		snprintf(d, sizeof d, "{\"cause\":\"%s\"}",
		         mta_finding_code_str(a->last_error_code));
		ses_emit(a, out, MTA_F_OSI_ABORT_CAUSE, -1, dir, a->last_error_frame, d,
		         "Most likely cause of this abort (frame %llu, %s): %s",
		         (unsigned long long)a->last_error_frame,
		         mta_finding_code_str(a->last_error_code), a->last_error_msg);
	}
	if (x)
		act_end(a, "aborted", a->frame);
	return true;
}

static bool sync_unconfirmed(const struct ses_assoc *a)
{
	for (int i = 0; i < 2; i++) {
		const struct ses_spm *m = &a->spm[i];
		if (m->vact == 1 || m->major_sent ||
		    (m->known && !m->vsc && m->va < m->vm && a->mips_n))
			return true;
	}
	return false;
}

void ses_sm_tcp_end(struct ses_assoc *a, int dir, bool rst, struct ses_out *out)
{
	if (a->ended || a->ab_seen || a->released || a->rf_seen)
		return;
	if (a->aborted && a->abort_frame != a->frame)
		return; /* a DR or an earlier RST already ended it */
	if (!(a->cn_seen || a->learning))
		return;
	if (!sync_unconfirmed(a))
		return;
	a->ended = true;
	struct ses_activity *x = act_cur(a);
	const struct ses_spm *m = &a->spm[dir];
	ses_emit(a, out, MTA_F_OSI_ABRUPT_END, -1, dir, 0, NULL,
	         "The %s %s the connection while %s (V(M)=%u, V(A)=%u) without an ABORT: the "
	         "transfer in progress was lost.",
	         ses_side_name(dir), rst ? "reset" : "closed",
	         x ? "an activity was open" : "sync points were unconfirmed", m->vm, m->va);
	if (x)
		act_end(a, rst ? "reset" : "closed", a->frame);
}

static void on_ab(struct ses_assoc *a, int dir, const struct spdu *s, struct ses_out *out)
{
	char how[160], td[96] = "no Transport Disconnect item";
	a->ab_seen = true;
	if (s->has_tdisc) {
		a->has_ab_tdisc = true;
		a->ab_tdisc = s->tdisc;
		tdisc_str(s->tdisc, td, sizeof td);
	}
	int64_t rr;
	if (s->has_udata && rts_parse_abort(s->udata, s->udata_len, &rr)) {
		a->has_rts_abort_reason = true;
		a->rts_abort_reason = rr;
		snprintf(how, sizeof how, "ABORT SPDU (%s; RTS abortReason %lld %s)", td,
		         (long long)rr, rts_abort_reason_str(rr));
	} else {
		snprintf(how, sizeof how, "ABORT SPDU (%s)", td);
	}
	(void)ses_sm_abort(a, dir, how, out);
}

static void on_er(struct ses_assoc *a, int dir, const struct spdu *s, struct ses_out *out)
{
	uint64_t rel = hist_find(a, 1 - dir, s->reflect, s->reflect_len);
	ses_emit(a, out, MTA_F_OSI_EXCEPTION_REPORT, -1, dir, rel, NULL,
	         "EXCEPTION REPORT from the %s: it found a protocol error in %s it received%s; an "
	         "RTS peer usually aborts next.",
	         ses_side_name(dir), rel ? "an SPDU" : "what",
	         rel ? " (the reflected octets match it)" : "");
}

/* ---- dispatch ---------------------------------------------------------------------------------
 */

static void check_v1(struct ses_assoc *a, int dir, const struct spdu *s, struct ses_out *out)
{
	if (!a->ac_seen || s->type == SES_CN || s->type == SES_AC)
		return;
	bool v2 = (a->has_ver_cn ? a->ver_cn : 1) & (a->has_ver_ac ? a->ver_ac : 1) & 2;
	if (v2)
		return;
	if (s->has_enclosure && s->type != SES_DT)
		ses_emit(a, out, MTA_F_OSI_V1_LIMIT, -1, dir, 0, NULL,
		         "%s from the %s carries an Enclosure Item, which session version 1 only "
		         "allows in DATA.",
		         ses_type_long(s->type), ses_side_name(dir));
	else if (s->has_udata && s->udata_len > 512)
		ses_emit(
		    a, out, MTA_F_OSI_V1_LIMIT, -1, dir, 0, NULL,
		    "%s from the %s carries %zu octets of user data; session version 1 allows 512.",
		    ses_type_long(s->type), ses_side_name(dir), s->udata_len);
	else
		return;
}

void ses_sm_step(struct ses_assoc *a, int dir, const struct spdu *in, struct ses_out *out)
{
	struct spdu tmp = *in;
	const struct spdu *s = &tmp;
	a->frame = in->frame;
	a->spdus[dir]++;
	if (!a->cn_seen && !a->ac_seen && in->type != SES_CN && in->type != SES_AC)
		a->learning = true;
	/* SI 42: MAA or AEA by what is outstanding (§2.2) */
	if (tmp.type == SES_MAA) {
		const struct ses_spm *R = &a->spm[1 - dir];
		if ((R->major_sent && R->major_is_ae) ||
		    (!R->major_sent && (R->vact == 1 || a->act_learned)))
			tmp.type = SES_AEA;
	}
	/* SI 41 without Sync Type when activity management is not selected: a MAP */
	if (tmp.type == SES_AE && fu_lacks(a, SES_FU_ACTIVITY))
		tmp.type = SES_MAP;
	a->step_type = tmp.type;
	if (!a->quiet)
		check_v1(a, dir, s, out);
	switch (s->type) {
	case SES_CN:
		on_cn(a, dir, s, out);
		break;
	case SES_AC:
		on_ac(a, dir, s, out);
		break;
	case SES_RF:
		a->rf_seen = true;
		if (a->recover)
			ses_emit(a, out, MTA_F_OSI_RECOVERY_FAILURE, -1, dir, a->cn_frame, NULL,
			         "The %s refused the connection that asked to recover an "
			         "interrupted RTS transfer; the transfer cannot be resumed.",
			         ses_side_name(dir));
		break;
	case SES_FN:
		a->fn_seen = true;
		break;
	case SES_DN:
		if (a->fn_seen)
			a->released = true;
		break;
	case SES_AB:
		if (a->recover && a->n_act == 0 && !a->aborted)
			ses_emit(a, out, MTA_F_OSI_RECOVERY_FAILURE, -1, dir, a->cn_frame, NULL,
			         "The association that was to recover an interrupted RTS transfer "
			         "was aborted before any activity resumed.");
		on_ab(a, dir, s, out);
		break;
	case SES_GT:
		if (s->has_token_item)
			tokens_give(a, 1 - dir, s->token_item);
		break;
	case SES_GTC:
		tokens_all(a, 1 - dir);
		break;
	case SES_MIP:
		on_mip(a, dir, s, out);
		break;
	case SES_MIA:
		on_mia(a, dir, s, out);
		break;
	case SES_MAP:
	case SES_AE:
		on_major(a, dir, s, out);
		break;
	case SES_MAA:
	case SES_AEA:
		on_major_ack(a, dir, s, out);
		break;
	case SES_AS:
	case SES_AR:
		on_as_ar(a, dir, s, out);
		break;
	case SES_AI:
	case SES_AD:
		on_ai_ad(a, dir, s, out);
		break;
	case SES_AIA:
	case SES_ADA:
		on_aia_ada(a, dir, s);
		break;
	case SES_RS:
		on_rs(a, dir, s, out);
		break;
	case SES_RA:
		on_ra(a, dir, s, out);
		break;
	case SES_DT:
		on_dt(a, dir, s, out);
		break;
	case SES_ER:
		on_er(a, dir, s, out);
		break;
	default:
		break;
	}
	hist_add(a, dir, in);
}

/* X.225 §6.3.7.1: AS/AR first, then DT, then the sync SPDUs, then the category 0 SPDU. */
static int proc_rank(enum ses_type t, unsigned idx)
{
	if (idx == 0)
		return 9;
	if (t == SES_AS || t == SES_AR)
		return 1;
	if (t == SES_DT)
		return 2;
	return 3;
}

void ses_sm_tsdu(struct ses_assoc *a, int dir, const struct ses_tsdu *t, uint64_t frame,
                 struct ses_out *out)
{
	a->frame = frame;
	a->quiet = false;
	a->tsdu_n = t->n < SES_MAX_SPDUS ? t->n : SES_MAX_SPDUS;
	for (unsigned i = 0; i < a->tsdu_n; i++)
		a->tsdu_type[i] = t->s[i].type;
	if (t->st == SES_TSDU_OVERRUN) {
		ses_emit(a, out, MTA_F_OSI_SPDU_OVERRUN, -1, dir, 0, NULL,
		         "A session PDU from the %s does not fit its transport message: %s; the "
		         "peer cannot decode it.",
		         ses_side_name(dir), t->why);
		return;
	}
	if (t->st == SES_TSDU_EMPTY)
		return;
	if (t->st == SES_TSDU_BAD_CONCAT || t->st == SES_TSDU_TOO_MANY) {
		ses_emit(a, out, MTA_F_OSI_BAD_CONCATENATION, -1, dir, 0, NULL,
		         "Session PDUs from the %s are concatenated in a way X.225 forbids: %s; "
		         "ISODE-based peers abort with \"not expecting ... to be concatenated\".",
		         ses_side_name(dir), t->why);
		a->quiet = true;
	} else if (t->extended && (a->cn_seen && a->ac_seen) && !a->ext_rx[1 - dir]) {
		ses_emit(a, out, MTA_F_OSI_BAD_CONCATENATION, -1, dir, 0, NULL,
		         "The %s uses extended concatenation (%u SPDUs in one TSDU), which the %s "
		         "did not announce it can receive.",
		         ses_side_name(dir), t->n, ses_side_name(1 - dir));
		a->quiet = true;
	} else if (t->token_misuse) {
		ses_emit(a, out, MTA_F_OSI_TOKEN_ITEM_MISUSE, -1, dir, 0, NULL,
		         "Session PDUs from the %s: %s, which X.225 Table 7 forbids.",
		         ses_side_name(dir), t->why);
		a->quiet = true;
	}
	/* encoding remarks (S4, S6): at most one per TSDU, after the structural ones */
	if (!a->quiet) {
		for (unsigned i = 0; i < t->n; i++) {
			const struct spdu *s = &t->s[i];
			if (s->reserved_bits) {
				ses_emit(
				    a, out, MTA_F_OSI_RESERVED_BITS, -1, dir, 0, NULL,
				    "%s from the %s sets reserved bits (Sync Type 0x%02x, Token "
				    "Item 0x%02x, Enclosure 0x%02x); receivers must ignore them.",
				    ses_type_long(s->type), ses_side_name(dir), s->sync_type,
				    s->token_item, s->enclosure);
				break;
			}
			if (s->pi_order) {
				ses_emit(a, out, MTA_F_OSI_PI_ORDER, -1, dir, 0, NULL,
				         "%s from the %s lists its parameters out of order or "
				         "twice (code %u); many stacks tolerate it.",
				         ses_type_long(s->type), ses_side_name(dir),
				         s->pi_order_code);
				break;
			}
		}
	}
	unsigned order[SES_MAX_SPDUS], k = 0;
	for (int rank = 1; rank <= 9; rank++)
		for (unsigned i = 0; i < t->n; i++)
			if (proc_rank(t->s[i].type, i) == rank)
				order[k++] = i;
	for (unsigned i = 0; i < k; i++) {
		struct spdu s = t->s[order[i]];
		s.frame = frame;
		ses_sm_step(a, dir, &s, out);
		a->tsdu_type[order[i]] = a->step_type;
	}
	a->quiet = false;
}
