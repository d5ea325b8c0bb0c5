/* cotp.h — ISO 8073 / X.224 class 0 TPDUs over RFC 1006, and TSDU reassembly (DT + EOT) */
#ifndef MTA_COTP_H
#define MTA_COTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cotp_code {
	COTP_CR = 0xE0,
	COTP_CC = 0xD0,
	COTP_DR = 0x80,
	COTP_DC = 0xC0,
	COTP_DT = 0xF0,
	COTP_ED = 0x10,
	COTP_AK = 0x60,
	COTP_EA = 0x20,
	COTP_RJ = 0x50,
	COTP_ER = 0x70,
};

enum cotp_status {
	COTP_OK = 0,
	COTP_MALFORMED, /* LI 0 or 255, or LI past the TPKT, or a fixed part too short */
};

struct cotp_tpdu {
	enum cotp_status st;
	uint8_t li;
	uint8_t code; /* high nibble of octet 2 (enum cotp_code) */
	uint8_t cdt;  /* low nibble (CR/CC credit) */
	uint16_t dst_ref, src_ref;
	uint8_t class_opt; /* CR/CC: class (high nibble) and options */
	bool has_tpdu_size;
	uint8_t tpdu_size_log2; /* parameter 0xC0 */
	bool has_add_opt;
	uint8_t add_opt; /* parameter 0xC6 */
	bool has_pref_size;
	uint32_t pref_size; /* parameter 0xF0 (class 2-4, seen in the wild) */
	uint8_t reason;     /* DR reason, ER reject cause */
	bool eot;           /* DT/ED: bit 8 of the third octet */
	uint8_t nr;         /* DT: TPDU-NR (0 in class 0) */
	const uint8_t *ud;  /* user data after the header */
	size_t ud_len;
};

/* Decode one TPDU (the TPKT payload p[0..n)). */
enum cotp_status cotp_parse(const uint8_t *p, size_t n, struct cotp_tpdu *t);
const char *cotp_code_name(uint8_t code);
const char *cotp_dr_reason_str(uint8_t r);
const char *cotp_er_cause_str(uint8_t c);

/* TSDU reassembly for one direction: DT user data is gathered until EOT (X.224 §13.7). */
struct cotp_tsdu_buf {
	uint8_t *p;
	size_t len, cap;
	size_t max;           /* cap on a TSDU; past it the TSDU is dropped (counted) */
	bool overflow;        /* current TSDU exceeded max: its octets are discarded to EOT */
	uint64_t first_frame; /* frame of the first fragment of the TSDU being gathered */
	unsigned frags;
};

void cotp_tsdu_init(struct cotp_tsdu_buf *b, size_t max);
void cotp_tsdu_free(struct cotp_tsdu_buf *b);
/* Add a DT's user data.  Returns 1 when the TSDU is complete (then b->p/b->len hold it until
 * the next call), 0 when more is needed, -1 when the TSDU overflowed max (complete but lost)
 * or memory failed. */
int cotp_tsdu_add(struct cotp_tsdu_buf *b, const uint8_t *p, size_t n, bool eot, uint64_t frame);
/* A TSDU is partly gathered (DT without EOT seen). */
static inline bool cotp_tsdu_partial(const struct cotp_tsdu_buf *b)
{
	return b->frags > 0;
}
void cotp_tsdu_reset(struct cotp_tsdu_buf *b);

#endif
