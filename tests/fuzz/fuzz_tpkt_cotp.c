/* fuzz_tpkt_cotp.c — RFC 1006 TPKT framing and X.224 class 0 TPDU decoding (tpkt.h, cotp.h):
 * the input is read as a byte stream of TPKTs the way the OSI analyser reads it (resynchronising
 * after a bad header); each TPKT's TPDU is copied into an exact-size buffer and decoded, and the
 * DT user data is gathered into TSDUs under a small cap. */
#include <stdlib.h>
#include <string.h>

#include "cotp.h"
#include "tpkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cotp_tsdu_buf tb;
	cotp_tsdu_init(&tb, 4096);
	size_t off = 0;
	uint64_t frame = 0;
	while (off < size) {
		struct tpkt_hdr h;
		size_t left = size - off;
		/* the header probe on an exact-size copy of (at most) the next 8 octets */
		size_t pn = left < 8 ? left : 8;
		uint8_t probe[8];
		uint8_t *pc = malloc(pn);
		if (!pc)
			break;
		memcpy(pc, data + off, pn);
		memcpy(probe, pc, pn);
		int looks = tpkt_looks_like_header(pc, pn);
		free(pc);
		if (looks && (pn < 6 || probe[0] != 3 || probe[1] != 0))
			abort();
		enum tpkt_status st = tpkt_parse(data + off, left, &h);
		if (!tpkt_status_str(st))
			abort();
		if (st == TPKT_NEED)
			break;
		if (st != TPKT_OK) {
			size_t skip = tpkt_resync(data + off, left);
			if (skip < 1 || skip > left)
				abort();
			off += skip;
			continue;
		}
		if (h.length < TPKT_MIN_LEN)
			abort();
		if (h.length > left)
			break; /* the rest of this TPKT is not there */
		size_t n = h.length - TPKT_HDR_LEN;
		uint8_t *tpdu = malloc(n);
		if (!tpdu)
			break;
		memcpy(tpdu, data + off + TPKT_HDR_LEN, n);
		struct cotp_tpdu t;
		if (cotp_parse(tpdu, n, &t) == COTP_OK) {
			if (t.ud_len && (t.ud < tpdu || t.ud_len > (size_t)(tpdu + n - t.ud)))
				abort();
			if (!cotp_code_name(t.code) || !cotp_dr_reason_str(t.reason) ||
			    !cotp_er_cause_str(t.reason))
				abort();
			if (t.code == COTP_DR || t.code == COTP_ER) {
				cotp_tsdu_reset(&tb); /* the connection ends: a partial TSDU is dropped */
				if (cotp_tsdu_partial(&tb))
					abort();
			}
			if (t.code == COTP_DT) {
				int r = cotp_tsdu_add(&tb, t.ud, t.ud_len, t.eot, ++frame);
				if (r == 1 && tb.len > tb.max)
					abort();
				if (r == 1 && tb.len)
					(void)memchr(tb.p, 0x55, tb.len); /* the TSDU must be readable */
			}
		}
		free(tpdu);
		off += h.length;
	}
	cotp_tsdu_free(&tb);
	return 0;
}
