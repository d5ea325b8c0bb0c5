/* tpkt.c — RFC 1006 TPKT framing (version 3, reserved 0, 16-bit length) */
#include "tpkt.h"

enum tpkt_status tpkt_parse(const uint8_t *p, size_t n, struct tpkt_hdr *h)
{
	if (n < TPKT_HDR_LEN)
		return TPKT_NEED;
	h->version = p[0];
	h->reserved = p[1];
	h->length = (uint16_t)((p[2] << 8) | p[3]);
	if (h->version != 3)
		return TPKT_BAD_VERSION;
	if (h->length < TPKT_MIN_LEN)
		return TPKT_BAD_LENGTH;
	if (h->reserved != 0)
		return TPKT_BAD_RESERVED;
	return TPKT_OK;
}

/* The COTP code octet (high nibble) of a class 0 stack. */
static int tpkt_code_plausible(uint8_t c)
{
	switch (c & 0xF0) {
	case 0xE0:
	case 0xD0:
	case 0xF0:
	case 0x80:
	case 0x70:
	case 0x10:
	case 0xC0:
		return 1;
	default:
		return 0;
	}
}

size_t tpkt_resync(const uint8_t *p, size_t n)
{
	size_t i;
	for (i = 1; i < n; i++) {
		if (p[i] != 3)
			continue;
		if (n - i < 2)
			return i;
		if (p[i + 1] != 0)
			continue;
		if (n - i < 4)
			return i;
		size_t len = ((size_t)p[i + 2] << 8) | p[i + 3];
		if (len < TPKT_MIN_LEN)
			continue;
		if (n - i < 6)
			return i;
		if (tpkt_code_plausible(p[i + 5]))
			return i;
	}
	return i;
}

int tpkt_looks_like_header(const uint8_t *p, size_t n)
{
	if (n < 6 || p[0] != 3 || p[1] != 0)
		return 0;
	if ((((size_t)p[2] << 8) | p[3]) < TPKT_MIN_LEN)
		return 0;
	return tpkt_code_plausible(p[5]);
}

const char *tpkt_status_str(enum tpkt_status s)
{
	switch (s) {
	case TPKT_OK:
		return "valid";
	case TPKT_NEED:
		return "incomplete";
	case TPKT_BAD_VERSION:
		return "version is not 3";
	case TPKT_BAD_RESERVED:
		return "reserved octet is not 0";
	case TPKT_BAD_LENGTH:
		return "length is below 7";
	}
	return "?";
}
