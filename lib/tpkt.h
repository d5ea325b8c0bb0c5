/* tpkt.h — RFC 1006 TPKT framing of a TCP byte stream (pure) */
#ifndef MTA_TPKT_H
#define MTA_TPKT_H

#include <stddef.h>
#include <stdint.h>

#define TPKT_HDR_LEN 4
#define TPKT_MIN_LEN 7 /* header + the shortest TPDU (a class 0 DT header) */

enum tpkt_status {
	TPKT_OK = 0,
	TPKT_NEED,         /* fewer than 4 octets: wait for more */
	TPKT_BAD_VERSION,  /* first octet not 3 */
	TPKT_BAD_RESERVED, /* second octet not 0 (KB Q157015: some peers refuse it) */
	TPKT_BAD_LENGTH,   /* length field below 7 */
};

struct tpkt_hdr {
	uint8_t version, reserved;
	uint16_t length; /* whole TPKT including the header */
};

/* Read the header at p[0..n).  TPKT_OK does not mean the whole TPKT is there: check
 * n >= h->length. */
enum tpkt_status tpkt_parse(const uint8_t *p, size_t n, struct tpkt_hdr *h);

/* After a bad header: the offset (>= 1) of the next place that looks like a TPKT header
 * (03 00, length >= 7, and the TPDU code octet, when present, a known class 0 code), or the
 * first offset from which no header can still start within p[0..n) (bytes before it can be
 * discarded).  Work is linear in n. */
size_t tpkt_resync(const uint8_t *p, size_t n);

/* p[0..n) starts with something that looks like a TPKT header (03 00, length >= 7, a known
 * class 0 TPDU code); needs n >= 6, false otherwise. */
int tpkt_looks_like_header(const uint8_t *p, size_t n);

const char *tpkt_status_str(enum tpkt_status s);

#endif
