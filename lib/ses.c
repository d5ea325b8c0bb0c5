/* ses.c — ISO 8327-1 / X.225 SPDU decoding (§8.2 structure, §6.3.7 concatenation) */
#include "ses.h"

#include <stdio.h>
#include <string.h>

#include "rd.h"

struct si_info {
	enum ses_type first; /* type when the SPDU opens its TSDU */
	enum ses_type later; /* type after a category 0 SPDU */
	uint8_t cat_first, cat_later;
};

/* X.225 Table 6 and §8.3: SI value -> type and category; 0 type = unknown SI. */
static bool ses_si_lookup(uint8_t si, struct si_info *o)
{
	static const struct {
		uint8_t si;
		struct si_info i;
	} tab[] = {
	    {0, {SES_ER, SES_ER, 2, 2}},    {1, {SES_GT, SES_DT, 0, 2}},
	    {2, {SES_PT, SES_PT, 0, 0}},    {5, {SES_EX, SES_EX, 1, 1}},
	    {7, {SES_PR, SES_PR, 1, 1}},    {8, {SES_NF, SES_NF, 1, 1}},
	    {9, {SES_FN, SES_FN, 1, 1}},    {10, {SES_DN, SES_DN, 1, 1}},
	    {12, {SES_RF, SES_RF, 1, 1}},   {13, {SES_CN, SES_CN, 1, 1}},
	    {14, {SES_AC, SES_AC, 1, 1}},   {15, {SES_CDO, SES_CDO, 1, 1}},
	    {16, {SES_OA, SES_OA, 1, 1}},   {21, {SES_GTC, SES_GTC, 1, 1}},
	    {22, {SES_GTA, SES_GTA, 1, 1}}, {25, {SES_AB, SES_AI, 1, 2}},
	    {26, {SES_AA, SES_AIA, 1, 2}},  {29, {SES_AR, SES_AR, 2, 2}},
	    {33, {SES_TD, SES_TD, 1, 1}},   {34, {SES_RA, SES_RA, 2, 2}},
	    {41, {SES_MAP, SES_MAP, 2, 2}}, {42, {SES_MAA, SES_MAA, 2, 2}},
	    {45, {SES_AS, SES_AS, 2, 2}},   {48, {SES_ED, SES_ED, 2, 2}},
	    {49, {SES_MIP, SES_MIP, 2, 2}}, {50, {SES_MIA, SES_MIA, 2, 2}},
	    {53, {SES_RS, SES_RS, 2, 2}},   {57, {SES_AD, SES_AD, 2, 2}},
	    {58, {SES_ADA, SES_ADA, 2, 2}}, {61, {SES_CD, SES_CD, 2, 2}},
	    {62, {SES_CDA, SES_CDA, 2, 2}},
	};
	for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
		if (tab[i].si == si) {
			*o = tab[i].i;
			return true;
		}
	return false;
}

bool ses_read_li(struct rd *r, size_t *li)
{
	uint8_t b = rd_u8(r);
	if (r->err)
		return false;
	if (b != 0xFF) {
		*li = b;
		return true;
	}
	uint16_t v = rd_be16(r);
	if (r->err)
		return false;
	*li = v;
	return true;
}

struct ses_serial ses_parse_serial(const uint8_t *p, size_t n)
{
	struct ses_serial s = {SES_SN_OK, 0, (uint8_t)(n > 255 ? 255 : n)};
	if (n == 0) {
		s.st = SES_SN_EMPTY;
		return s;
	}
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9') {
			s.st = SES_SN_NONDIGIT;
			s.v = 0;
			return s;
		}
		if (v < 100000000000ull)
			v = v * 10 + (uint64_t)(p[i] - '0');
	}
	if (n > SES_SN_MAX_DIGITS) {
		s.st = SES_SN_TOO_LONG;
		s.v = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
		return s;
	}
	s.v = (uint32_t)v;
	return s;
}

/* PGIs whose value is a sequence of PIs (§8.3.1 Table 11, §8.3.30): Connection Identifier,
 * Connect/Accept Item, Linking Information. */
static bool ses_pgi_nested(uint8_t code)
{
	return code == 1 || code == 5 || code == 33;
}

static uint8_t ses_first_octet(const uint8_t *v, size_t n)
{
	return n ? v[0] : 0;
}

static void ses_take_pi(struct spdu *s, uint8_t pgi, uint8_t code, const uint8_t *v, size_t n)
{
	if (pgi == 33) { /* Linking Information of AR */
		if (code == 42)
			s->link_serial = ses_parse_serial(v, n);
		if (code == 41) {
			s->old_act_id = v;
			s->old_act_id_len = n;
		}
		return;
	}
	switch (code) {
	case 15:
		s->has_sync_type = true;
		s->sync_type = ses_first_octet(v, n);
		if (s->sync_type & 0xFC)
			s->reserved_bits = true;
		break;
	case 16:
		s->has_token_item = true;
		s->token_item = ses_first_octet(v, n);
		if (s->token_item & 0xAA)
			s->reserved_bits = true;
		break;
	case 17:
		s->has_tdisc = true;
		s->tdisc = ses_first_octet(v, n);
		break;
	case 19:
		s->has_proto_opt = true;
		s->proto_opt = ses_first_octet(v, n);
		break;
	case 20:
		s->has_sur = true;
		s->sur = n >= 2 ? (uint16_t)((v[0] << 8) | v[1]) : ses_first_octet(v, n);
		break;
	case 22:
		s->has_version = true;
		s->version = ses_first_octet(v, n);
		break;
	case 23:
		s->isn = ses_parse_serial(v, n);
		break;
	case 24:
		s->has_prepare = true;
		s->prepare = ses_first_octet(v, n);
		break;
	case 25:
		s->has_enclosure = true;
		s->enclosure = ses_first_octet(v, n);
		if (s->enclosure & 0xFC)
			s->reserved_bits = true;
		break;
	case 26:
		s->has_token_set = true;
		s->token_set = ses_first_octet(v, n);
		break;
	case 27:
		s->has_resync_type = true;
		s->resync_type = ses_first_octet(v, n);
		break;
	case 41:
		if (pgi == 0) {
			s->act_id = v;
			s->act_id_len = n;
		}
		break;
	case 42:
		if (pgi == 0)
			s->serial = ses_parse_serial(v, n);
		break;
	case 46: /* MIA user data (ISODE PI_MIA_DATA) */
		s->has_udata = true;
		s->udata = v;
		s->udata_len = n;
		break;
	case 49:
		s->reflect = v;
		s->reflect_len = n;
		break;
	case 50:
		s->has_reason = true;
		s->reason = ses_first_octet(v, n);
		break;
	case 56:
		s->has_ulsn = true;
		s->ulsn = ses_first_octet(v, n);
		break;
	case 193:
	case 194:
		if (pgi == 0) {
			s->has_udata = true;
			s->udata = v;
			s->udata_len = n;
		}
		break;
	default: /* unknown codes are skipped (A.4.3.1.1) */
		break;
	}
}

/* Walk the PGI/PI units of window w (level `pgi`: 0 = the SPDU's parameter field).
 * Returns false when a unit's LI reaches past the window (S1). */
static bool ses_units(struct rd *w, struct spdu *s, uint8_t pgi, int depth)
{
	int last = -1;
	while (rd_left(w) > 0) {
		uint8_t code = rd_u8(w);
		size_t li;
		if (!ses_read_li(w, &li))
			return false;
		if (rd_left(w) < li) {
			w->err = true;
			return false;
		}
		struct rd v = rd_sub(w, li);
		if ((int)code <= last && !s->pi_order) {
			s->pi_order = true;
			s->pi_order_code = code;
		}
		last = code;
		if (ses_pgi_nested(code) && depth == 0) {
			if (!ses_units(&v, s, code, depth + 1))
				return false;
		} else {
			ses_take_pi(s, pgi, code, v.p, v.len);
		}
	}
	return !w->err;
}

static bool ses_has_uinfo(enum ses_type t)
{
	return t == SES_DT || t == SES_TD || t == SES_EX;
}

/* Basic concatenation (Table 7): the category 2 SPDU allowed after GT or PT. */
static bool ses_pair_ok(enum ses_type c0, enum ses_type c2)
{
	if (c0 == SES_GT)
		switch (c2) {
		case SES_DT:
		case SES_MIP:
		case SES_MAP:
		case SES_AE:
		case SES_RS:
		case SES_AS:
		case SES_AR:
		case SES_AD:
		case SES_AI:
		case SES_CD:
			return true;
		default:
			return false;
		}
	if (c0 == SES_PT)
		switch (c2) {
		/* AR after PT: the 1995 text's reading of Table 7, accepted alongside GT+AR */
		case SES_MIA:
		case SES_MAA:
		case SES_AEA:
		case SES_RA:
		case SES_ADA:
		case SES_AIA:
		case SES_CDA:
		case SES_ER:
		case SES_ED:
		case SES_AR:
			return true;
		default:
			return false;
		}
	return false;
}

/* Extended concatenation sequences involving sync points (Table 8). */
static bool ses_ext_ok(const struct ses_tsdu *t)
{
	static const enum ses_type seqs[][4] = {
	    {SES_GT, SES_AS, SES_MIP, SES_NONE}, {SES_GT, SES_AR, SES_MIP, SES_NONE},
	    {SES_GT, SES_MIP, SES_DT, SES_NONE}, {SES_PT, SES_MIA, SES_DT, SES_NONE},
	    {SES_GT, SES_AS, SES_MIP, SES_DT},   {SES_GT, SES_AR, SES_MIP, SES_DT},
	    {SES_GT, SES_AS, SES_DT, SES_NONE},  {SES_GT, SES_AR, SES_DT, SES_NONE},
	};
	for (size_t i = 0; i < sizeof seqs / sizeof seqs[0]; i++) {
		unsigned len = seqs[i][3] == SES_NONE ? 3 : 4;
		if (len != t->n)
			continue;
		bool ok = true;
		for (unsigned k = 0; k < len && ok; k++)
			ok = t->s[k].type == seqs[i][k];
		if (ok)
			return true;
	}
	return false;
}

static enum ses_tsdu_status ses_fail(struct ses_tsdu *t, enum ses_tsdu_status st, const char *why)
{
	t->st = st;
	snprintf(t->why, sizeof t->why, "%s", why);
	return st;
}

static void ses_check_concat(struct ses_tsdu *t)
{
	char m[96];
	const struct spdu *a = &t->s[0];
	if (t->n == 1) {
		if (a->cat == 2) {
			snprintf(
			    m, sizeof m,
			    "%s stands alone in its TSDU without the GIVE/PLEASE TOKENS it needs",
			    ses_type_name(a->type));
			ses_fail(t, SES_TSDU_BAD_CONCAT, m);
		}
		return;
	}
	if (a->cat == 1) {
		snprintf(m, sizeof m, "%s must fill its TSDU alone but is followed by %s",
		         ses_type_name(a->type), ses_type_name(t->s[1].type));
		ses_fail(t, SES_TSDU_BAD_CONCAT, m);
		return;
	}
	if (a->cat == 2) {
		snprintf(m, sizeof m, "%s opens the TSDU without a GIVE/PLEASE TOKENS before it",
		         ses_type_name(a->type));
		ses_fail(t, SES_TSDU_BAD_CONCAT, m);
		return;
	}
	for (unsigned i = 1; i < t->n; i++)
		if (t->s[i].cat != 2) {
			snprintf(m, sizeof m, "%s may not follow %s in one TSDU",
			         ses_type_name(t->s[i].type), ses_type_name(t->s[i - 1].type));
			ses_fail(t, SES_TSDU_BAD_CONCAT, m);
			return;
		}
	if (!ses_pair_ok(a->type, t->s[1].type)) {
		snprintf(m, sizeof m, "%s may not be concatenated after %s",
		         ses_type_name(t->s[1].type), ses_type_name(a->type));
		ses_fail(t, SES_TSDU_BAD_CONCAT, m);
		return;
	}
	if (t->n > 2) {
		t->extended = true;
		if (!ses_ext_ok(t)) {
			snprintf(m, sizeof m,
			         "octets follow the %s, outside any allowed concatenation",
			         ses_type_name(t->s[1].type));
			ses_fail(t, SES_TSDU_BAD_CONCAT, m);
			return;
		}
	}
	/* S3 (Table 7 note a): the heralding GT/PT carries no user data; a GT carries no Token
	 * Item before RS, AD, AI or CD, nor before a segment that does not end its SSDU. */
	const struct spdu *b = &t->s[1];
	if (a->has_udata) {
		snprintf(m, sizeof m, "the %s heralding %s carries user data",
		         ses_type_name(a->type), ses_type_name(b->type));
		snprintf(t->why, sizeof t->why, "%s", m);
		t->token_misuse = true;
	} else if (a->type == SES_GT && a->has_token_item &&
	           (b->type == SES_RS || b->type == SES_AD || b->type == SES_AI ||
	            b->type == SES_CD || (b->has_enclosure && !(b->enclosure & 0x02)))) {
		snprintf(m, sizeof m, "the GT heralding %s carries a Token Item",
		         ses_type_name(b->type));
		snprintf(t->why, sizeof t->why, "%s", m);
		t->token_misuse = true;
	}
}

enum ses_tsdu_status ses_parse_tsdu(const uint8_t *p, size_t n, struct ses_tsdu *t)
{
	memset(t, 0, sizeof *t);
	if (n == 0)
		return ses_fail(t, SES_TSDU_EMPTY, "empty TSDU");
	struct rd r = rd_make(p, n);
	while (rd_left(&r) > 0) {
		if (t->n == SES_MAX_SPDUS)
			return ses_fail(t, SES_TSDU_TOO_MANY,
			                "more SPDUs in one TSDU than any concatenation allows");
		size_t off = r.off;
		uint8_t si = rd_u8(&r);
		size_t li;
		char m[96];
		if (!ses_read_li(&r, &li) || rd_left(&r) < li) {
			t->overrun_si = si;
			t->overrun_off = off;
			snprintf(m, sizeof m,
			         "SPDU with SI %u at offset %zu declares %s octets, %zu remain", si,
			         off, r.err ? "more" : "more parameter", n - off);
			return ses_fail(t, SES_TSDU_OVERRUN, m);
		}
		struct spdu *s = &t->s[t->n];
		struct si_info inf;
		if (ses_si_lookup(si, &inf)) {
			bool after0 = t->n > 0 && t->s[0].cat == 0;
			s->type = after0 ? inf.later : inf.first;
			s->cat = after0 ? inf.cat_later : inf.cat_first;
			/* after the cat 2 SPDU of an extended sequence, SI 1 is still DT */
			if (t->n >= 2 && si == 1) {
				s->type = SES_DT;
				s->cat = 2;
			}
		} else {
			s->type = SES_UNKNOWN;
			s->cat = 1;
		}
		s->si = si;
		s->off = off;
		s->li = li;
		s->raw = p + off;
		struct rd w = rd_sub(&r, li);
		if (!ses_units(&w, s, 0, 0)) {
			t->overrun_si = si;
			t->overrun_off = off;
			snprintf(m, sizeof m,
			         "a parameter of the %s SPDU reaches past the SPDU's own length",
			         ses_type_name(s->type));
			return ses_fail(t, SES_TSDU_OVERRUN, m);
		}
		if (s->type == SES_MAP && !(s->has_sync_type && (s->sync_type & 0x01)))
			s->type =
			    SES_AE; /* SI 41 without "not end of activity": ACTIVITY END (ISODE) */
		if (s->type == SES_AE && s->has_sync_type && (s->sync_type & 0x01))
			s->type = SES_MAP;
		if (ses_has_uinfo(s->type)) {
			s->uinfo = p + r.off;
			s->uinfo_len = rd_left(&r);
			rd_skip(&r, s->uinfo_len);
		}
		s->len = r.off - off;
		t->n++;
	}
	ses_check_concat(t);
	return t->st;
}

bool ses_tsdu_plausible(const struct ses_tsdu *t, const uint8_t *p, size_t n)
{
	if (n == 0 || p[0] == 0x32 || p[0] == 0x72)
		return false;
	if (t->st != SES_TSDU_OK || t->n == 0)
		return false;
	const struct spdu *a = &t->s[0];
	switch (a->type) {
	case SES_CN:
	case SES_AC:
	case SES_RF:
	case SES_FN:
	case SES_DN:
	case SES_NF:
	case SES_AB:
	case SES_AA:
	case SES_GTC:
	case SES_GTA:
	case SES_CDO:
	case SES_OA:
		return t->n == 1;
	case SES_GT:
	case SES_PT:
		/* a lone GT/PT of two octets is too weak a signature for raw data */
		return t->n >= 2 || a->has_token_item;
	default:
		return false;
	}
}

const char *ses_type_name(enum ses_type t)
{
	static const char *const names[SES_TYPE_COUNT] = {
	    [SES_NONE] = "-",  [SES_CN] = "CN",           [SES_AC] = "AC",   [SES_RF] = "RF",
	    [SES_FN] = "FN",   [SES_DN] = "DN",           [SES_NF] = "NF",   [SES_AB] = "AB",
	    [SES_AA] = "AA",   [SES_GT] = "GT",           [SES_PT] = "PT",   [SES_DT] = "DT",
	    [SES_EX] = "EX",   [SES_PR] = "PR",           [SES_TD] = "TD",   [SES_CD] = "CD",
	    [SES_CDA] = "CDA", [SES_GTC] = "GTC",         [SES_GTA] = "GTA", [SES_MIP] = "MIP",
	    [SES_MIA] = "MIA", [SES_MAP] = "MAP",         [SES_MAA] = "MAA", [SES_RS] = "RS",
	    [SES_RA] = "RA",   [SES_ER] = "ER",           [SES_ED] = "ED",   [SES_AS] = "AS",
	    [SES_AR] = "AR",   [SES_AE] = "AE",           [SES_AEA] = "AEA", [SES_AI] = "AI",
	    [SES_AIA] = "AIA", [SES_AD] = "AD",           [SES_ADA] = "ADA", [SES_CDO] = "CDO",
	    [SES_OA] = "OA",   [SES_UNKNOWN] = "unknown",
	};
	return (unsigned)t < SES_TYPE_COUNT && names[t] ? names[t] : "?";
}

const char *ses_type_long(enum ses_type t)
{
	static const char *const names[SES_TYPE_COUNT] = {
	    [SES_NONE] = "-",
	    [SES_CN] = "CONNECT",
	    [SES_AC] = "ACCEPT",
	    [SES_RF] = "REFUSE",
	    [SES_FN] = "FINISH",
	    [SES_DN] = "DISCONNECT",
	    [SES_NF] = "NOT FINISHED",
	    [SES_AB] = "ABORT",
	    [SES_AA] = "ABORT ACCEPT",
	    [SES_GT] = "GIVE TOKENS",
	    [SES_PT] = "PLEASE TOKENS",
	    [SES_DT] = "DATA TRANSFER",
	    [SES_EX] = "EXPEDITED",
	    [SES_PR] = "PREPARE",
	    [SES_TD] = "TYPED DATA",
	    [SES_CD] = "CAPABILITY DATA",
	    [SES_CDA] = "CAPABILITY DATA ACK",
	    [SES_GTC] = "GIVE TOKENS CONFIRM",
	    [SES_GTA] = "GIVE TOKENS ACK",
	    [SES_MIP] = "MINOR SYNC POINT",
	    [SES_MIA] = "MINOR SYNC ACK",
	    [SES_MAP] = "MAJOR SYNC POINT",
	    [SES_MAA] = "MAJOR SYNC ACK",
	    [SES_RS] = "RESYNCHRONIZE",
	    [SES_RA] = "RESYNCHRONIZE ACK",
	    [SES_ER] = "EXCEPTION REPORT",
	    [SES_ED] = "EXCEPTION DATA",
	    [SES_AS] = "ACTIVITY START",
	    [SES_AR] = "ACTIVITY RESUME",
	    [SES_AE] = "ACTIVITY END",
	    [SES_AEA] = "ACTIVITY END ACK",
	    [SES_AI] = "ACTIVITY INTERRUPT",
	    [SES_AIA] = "ACTIVITY INTERRUPT ACK",
	    [SES_AD] = "ACTIVITY DISCARD",
	    [SES_ADA] = "ACTIVITY DISCARD ACK",
	    [SES_CDO] = "CONNECT DATA OVERFLOW",
	    [SES_OA] = "OVERFLOW ACCEPT",
	    [SES_UNKNOWN] = "unknown SPDU",
	};
	return (unsigned)t < SES_TYPE_COUNT && names[t] ? names[t] : "?";
}
