/* ses_sm.h — ISO 8327-1 / X.225 session protocol machine model per association (Annex A) */
#ifndef MTA_SES_SM_H
#define MTA_SES_SM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mtadiag/finding.h"
#include "rts.h"
#include "ses.h"

/* A finding decided by the machine (or by the OSI glue through ses_emit), on `frame`. */
struct ses_find {
	enum mta_finding_code code;
	enum mta_severity sev;
	int side; /* sender of the offending unit: 0 initiator (c2s), 1 responder */
	uint64_t frame;
	uint64_t related;
	char detail[192]; /* JSON object or "" */
	char msg[400];
};

#define SES_OUT_MAX 16
struct ses_out {
	struct ses_find f[SES_OUT_MAX];
	unsigned n;
	unsigned lost; /* findings that did not fit */
};

/* The variables of one session protocol machine (X.225 §5.9, A.5.4). */
struct ses_spm {
	bool known;          /* serial baseline known (CN/AC, AS, AR, RA or a first MIP) */
	uint32_t vm, va, vr; /* V(M), V(A), V(R) */
	bool vsc;            /* this SPM received the most recent MIP */
	int vact;            /* activity in progress: -1 unknown, 0, 1 */
	bool vnextact;
	int fresh; /* SES_FRESH_*: what set the baseline, for mip_serial sub-kinds */
	uint32_t fresh_sn;
	bool major_sent; /* sent MAP/AE, awaits MAA/AEA (STA04A/B) */
	bool major_owed; /* received MAP/AE, not yet answered (STA10A/B) */
	bool major_is_ae;
	uint32_t major_sn;
	uint64_t major_frame;
};
enum { SES_FRESH_NONE = 0, SES_FRESH_AS, SES_FRESH_AR, SES_FRESH_RA };

struct ses_mip_rec {
	uint32_t sn;
	uint64_t frame;
	bool noconf; /* Sync Type bit 1: explicit confirmation not required */
	bool confirmed;
};
#define SES_MIP_HIST 64

#define SES_MAX_ACTIVITIES 32
struct ses_activity {
	uint8_t id[8];
	uint8_t id_len;
	int side;     /* who started it */
	bool resumed; /* AR, not AS */
	uint64_t first_frame, last_frame;
	unsigned mips; /* sync points sent (MIP) */
	unsigned mips_confirmed;
	bool has_confirmed;      /* a sync point of it was confirmed: last_confirmed is valid */
	uint32_t last_confirmed; /* highest serial confirmed (for a later ACTIVITY RESUME) */
	uint64_t octets;         /* DT user information octets */
	const char
	    *end; /* "end_confirmed", "end_unconfirmed", "interrupted", "discarded", "open" ... */
};

/* Token indexes and owners. */
enum { SES_TK_DATA = 0, SES_TK_MINOR, SES_TK_MAJOR, SES_TK_RELEASE, SES_TK_N };
#define SES_OWNER_UNKNOWN (-1)
#define SES_OWNER_NONE    (-2) /* token not available on this connection */

struct ses_assoc {
	/* connection phase */
	bool cn_seen, ac_seen, rf_seen;
	uint64_t cn_frame, ac_frame;
	bool learning; /* capture began after the CN/AC */
	uint16_t fu_cn, fu_ac, fu;
	bool fu_known;    /* fu is the negotiated set */
	bool act_learned; /* learning mode saw activity SPDUs */
	uint8_t ver_cn, ver_ac;
	bool has_ver_cn, has_ver_ac;
	uint8_t ulsn;   /* digits allowed (PI 56; 0 = no limit) */
	bool ext_rx[2]; /* side announced it receives extended concatenation */
	bool has_tset_cn, has_tset_ac;
	uint8_t tset_cn, tset_ac;
	bool has_isn;
	uint32_t isn;
	int tok[SES_TK_N]; /* owner side, SES_OWNER_UNKNOWN or SES_OWNER_NONE */

	struct ses_spm spm[2];
	struct ses_mip_rec mips[SES_MIP_HIST]; /* sent MIPs, newest at mips_pos-1 */
	unsigned mips_pos, mips_n;

	bool rs_pending;
	int rs_side;
	uint8_t rs_type;
	uint32_t rs_sn;
	uint64_t rs_frame;
	bool ai_pending, ad_pending;
	int aiad_side;

	/* RTS */
	struct rts_params rts_rq, rts_ac;
	bool rts; /* RTS in use (PConnect/RTORQ seen, or learning RTS-looking traffic) */
	int64_t ckpt, window; /* in force */
	uint64_t octets_since_sync;
	bool ckpt_reported; /* W2 once per sync interval */
	bool w3_reported;   /* W3 once per activity */
	bool recover;       /* the CN asked to recover a transfer */

	/* activities */
	struct ses_activity act[SES_MAX_ACTIVITIES];
	unsigned n_act;
	unsigned act_dropped;
	int cur; /* index in act[] of the open activity, -1 none */

	/* end and correlation */
	bool released; /* FN answered by DN */
	bool fn_seen;
	bool ab_seen;
	bool aborted; /* the abort finding was given */
	bool ended;   /* abrupt_end given */
	uint64_t abort_frame;
	char abort_how[160];
	int64_t rts_abort_reason;
	bool has_rts_abort_reason;
	uint8_t ab_tdisc;
	bool has_ab_tdisc;
	uint64_t last_error_frame;
	enum mta_finding_code last_error_code;
	char last_error_msg[200];
	uint64_t frame; /* frame being processed */

	/* recent SPDUs per sender, to find what an EXCEPTION REPORT reflects */
	struct {
		uint64_t frame;
		uint8_t head[16];
		uint8_t n;
	} hist[2][8];
	unsigned hist_pos[2];

	/* counters */
	uint64_t spdus[2];
	uint64_t mip_sent[2], mia_sent[2];
	uint64_t user_octets[2];
	bool quiet; /* validity findings suppressed (TSDU already reported) */

	/* the last TSDU's SPDUs as the machine resolved them (MAA/AEA, AE/MAP), in TSDU order */
	enum ses_type step_type;
	enum ses_type tsdu_type[SES_MAX_SPDUS];
	unsigned tsdu_n;
};

void ses_sm_init(struct ses_assoc *a);
/* One TSDU of direction `dir` (0 = initiator's) completed in `frame`: the encoding rows
 * (S1-S4, S6, S7) and then each SPDU through ses_sm_step in X.225 §6.3.7.1 order. */
void ses_sm_tsdu(struct ses_assoc *a, int dir, const struct ses_tsdu *t, uint64_t frame,
                 struct ses_out *out);
/* One SPDU (s->frame set) sent by side `dir`: both SPMs' models updated, validity judged at
 * the receiver's. */
void ses_sm_step(struct ses_assoc *a, int dir, const struct spdu *s, struct ses_out *out);
/* Bytes of the stream were lost: forget the serial baselines (learning again). */
void ses_sm_gap(struct ses_assoc *a);
/* An event that ends an open association (AB SPDU, COTP DR/ER, TCP RST): `abort` once per
 * association and `abort_cause` when an error finding preceded it.  how: the decoded reason.
 * Returns true when the abort finding was given. */
bool ses_sm_abort(struct ses_assoc *a, int dir, const char *how, struct ses_out *out);
/* TCP FIN or RST from `dir`: abrupt_end when an activity is open or sync points are
 * unconfirmed and no AB was seen. */
void ses_sm_tcp_end(struct ses_assoc *a, int dir, bool rst, struct ses_out *out);
/* The association is open (connected or learnt, not released, refused or aborted). */
bool ses_sm_open(const struct ses_assoc *a);

/* Add a finding on a->frame (sev < 0: the catalogue default); keeps the error bookkeeping. */
void ses_emit(struct ses_assoc *a, struct ses_out *out, enum mta_finding_code code, int sev,
              int side, uint64_t related, const char *detail, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));

const char *ses_side_name(int side);

#endif
