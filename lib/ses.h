/* ses.h — ISO 8327-1 / X.225 SPDU decoding: one TSDU in, the SPDUs it holds out (pure) */
#ifndef MTA_SES_H
#define MTA_SES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* SPDU types after the shared SI values are resolved by position (X.225 §6.3.7, Table 6).
 * SI 42 cannot be resolved from the octets (MAA and AEA are encoded identically): it is
 * SES_MAA here and the protocol machine names it AEA when an ACTIVITY END is outstanding. */
enum ses_type {
	SES_NONE = 0,
	SES_CN,
	SES_AC,
	SES_RF,
	SES_FN,
	SES_DN,
	SES_NF,
	SES_AB,
	SES_AA,
	SES_GT,
	SES_PT,
	SES_DT,
	SES_EX,
	SES_PR,
	SES_TD,
	SES_CD,
	SES_CDA,
	SES_GTC,
	SES_GTA,
	SES_MIP,
	SES_MIA,
	SES_MAP,
	SES_MAA,
	SES_RS,
	SES_RA,
	SES_ER,
	SES_ED,
	SES_AS,
	SES_AR,
	SES_AE,
	SES_AEA,
	SES_AI,
	SES_AIA,
	SES_AD,
	SES_ADA,
	SES_CDO,
	SES_OA,
	SES_UNKNOWN,
	SES_TYPE_COUNT
};

/* Session User Requirements bits (PI 20, §8.3.1.16). */
#define SES_FU_HALF_DUPLEX 0x0001
#define SES_FU_DUPLEX      0x0002
#define SES_FU_EXPEDITED   0x0004
#define SES_FU_MINOR_SYNC  0x0008
#define SES_FU_MAJOR_SYNC  0x0010
#define SES_FU_RESYNC      0x0020
#define SES_FU_ACTIVITY    0x0040
#define SES_FU_NEG_RELEASE 0x0080
#define SES_FU_CAPABILITY  0x0100
#define SES_FU_EXCEPTIONS  0x0200
#define SES_FU_TYPED_DATA  0x0400
#define SES_FU_SYMM_SYNC   0x0800
#define SES_FU_DATA_SEP    0x1000
#define SES_FU_DEFAULT     0x0349 /* PI 20 absent: the basic activity subset */

/* Token Item bits (PI 16, §8.3.16.3). */
#define SES_TOK_DATA    0x01
#define SES_TOK_MINOR   0x04
#define SES_TOK_MAJOR   0x10
#define SES_TOK_RELEASE 0x40

/* Serial number syntax (PI 42 and the other serial PIs, §8.3.1.10). */
enum ses_serial_status {
	SES_SN_ABSENT = 0,
	SES_SN_OK,
	SES_SN_EMPTY,
	SES_SN_NONDIGIT,
	SES_SN_TOO_LONG, /* more than SES_SN_MAX_DIGITS octets */
};
#define SES_SN_MAX_DIGITS 6

struct ses_serial {
	enum ses_serial_status st;
	uint32_t v;     /* value when st == SES_SN_OK */
	uint8_t digits; /* octets in the PI */
};

/* One SPDU as found in a TSDU.  Pointers borrow the caller's TSDU buffer. */
struct spdu {
	enum ses_type type;
	uint8_t si;
	uint8_t cat;        /* 0, 1, 2 (X.225 Table 6); 1 also for EX/PR/unknown */
	size_t off;         /* offset of the SI octet in the TSDU */
	size_t len;         /* SI + LI + parameter field (+ user information for DT/TD/EX) */
	size_t li;          /* the LI value */
	const uint8_t *raw; /* &tsdu[off] */
	uint64_t frame;     /* frame where the TSDU completed (set by the caller, 0 here) */

	/* parameters (present flag + value) */
	bool has_sync_type;
	uint8_t sync_type; /* PI 15 */
	bool has_token_item;
	uint8_t token_item; /* PI 16 */
	bool has_tdisc;
	uint8_t tdisc; /* PI 17 Transport Disconnect */
	bool has_proto_opt;
	uint8_t proto_opt; /* PI 19 */
	bool has_sur;
	uint16_t sur; /* PI 20 Session User Requirements */
	bool has_version;
	uint8_t version; /* PI 22 */
	bool has_prepare;
	uint8_t prepare; /* PI 24 */
	bool has_enclosure;
	uint8_t enclosure; /* PI 25 */
	bool has_token_set;
	uint8_t token_set; /* PI 26 */
	bool has_resync_type;
	uint8_t resync_type; /* PI 27 */
	bool has_ulsn;
	uint8_t ulsn; /* PI 56 */
	bool has_reason;
	uint8_t reason;                /* PI 50 first octet */
	struct ses_serial isn;         /* PI 23 */
	struct ses_serial serial;      /* PI 42 at the SPDU's top level */
	struct ses_serial link_serial; /* PI 42 inside PGI 33 (AR Linking Information) */
	const uint8_t *act_id;
	size_t act_id_len; /* PI 41 (top level: AS/AR new id) */
	const uint8_t *old_act_id;
	size_t old_act_id_len; /* PI 41 inside PGI 33: the activity an AR resumes */
	const uint8_t *reflect;
	size_t reflect_len; /* PI 49 */
	const uint8_t *udata;
	size_t udata_len; /* PGI 193, PGI 194, PI 46 (MIA) */
	bool has_udata;
	const uint8_t *uinfo;
	size_t uinfo_len; /* user information after the parameters */

	/* encoding remarks found while decoding (the machine decides what to report) */
	bool pi_order; /* S4: codes not increasing within a level, or duplicated */
	uint8_t pi_order_code;
	bool reserved_bits; /* S6: reserved bits in Sync Type / Token Item / Enclosure */
};

#define SES_MAX_SPDUS 8

enum ses_tsdu_status {
	SES_TSDU_OK = 0,
	SES_TSDU_OVERRUN,    /* S1: an LI reaches past its TSDU or enclosing unit */
	SES_TSDU_BAD_CONCAT, /* S2 */
	SES_TSDU_EMPTY,      /* no octet at all */
	SES_TSDU_TOO_MANY,   /* more than SES_MAX_SPDUS SPDUs (also S2: no valid sequence is that
	                        long) */
};

struct ses_tsdu {
	struct spdu s[SES_MAX_SPDUS];
	unsigned n; /* SPDUs decoded (whole ones) */
	enum ses_tsdu_status st;
	bool extended;     /* three or more SPDUs (extended concatenation, Table 8) */
	bool token_misuse; /* S3: the heralding GT/PT carries user data or a forbidden Token Item */
	char why[96];      /* a phrase describing an OVERRUN / BAD_CONCAT / S3 */
	uint8_t overrun_si;
	size_t overrun_off;
};

/* Decode a TSDU.  Never reads past p[n).  Returns the status (also in t->st). */
enum ses_tsdu_status ses_parse_tsdu(const uint8_t *p, size_t n, struct ses_tsdu *t);

/* Decode an LI at r (one octet, or 0xFF + two octets): returns false on a short buffer. */
struct rd;
bool ses_read_li(struct rd *r, size_t *li);

/* Serial number from its PI value (§8.3.1.10). */
struct ses_serial ses_parse_serial(const uint8_t *p, size_t n);

/* Short name ("MIP"), and the long one an administrator reads ("MINOR SYNC POINT"). */
const char *ses_type_name(enum ses_type t);
const char *ses_type_long(enum ses_type t);

/* Would this TSDU be taken for an ISO 8327 session TSDU?  True when it decodes without
 * error and starts with a connection-phase SPDU (CN, AC, RF, FN, DN, AB, AA, ...) or a
 * category 0 SPDU followed by an allowed category 2 one.  A TSDU starting with 0x32
 * (S7comm) or 0x72 (S7comm-plus) never is. */
bool ses_tsdu_plausible(const struct ses_tsdu *t, const uint8_t *p, size_t n);

#endif
