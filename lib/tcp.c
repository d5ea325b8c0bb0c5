/* tcp.c — TCP header and options (RFC 9293; MSS, window scale RFC 7323, SACK-permitted
 * RFC 2018) */
#include "decode.h"

#include "rd.h"

#define TCP_MIN_HDR 20

#define TCPOPT_EOL       0
#define TCPOPT_NOP       1
#define TCPOPT_MSS       2
#define TCPOPT_WSCALE    3
#define TCPOPT_SACK_PERM 4

/* RFC 7323 §2.3: a shift above 14 is used as 14. */
#define TCP_MAX_WSCALE 14

/* Options occupy o[0..n).  A length octet that is < 2 or runs past the header ends option
 * parsing; what was decoded before it stands and the segment itself is still good. */
void tcp_options(const uint8_t *o, size_t n, struct pkt *out)
{
	size_t i = 0;

	while (i < n) {
		uint8_t kind = o[i];

		if (kind == TCPOPT_EOL)
			return;
		if (kind == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (n - i < 2)
			return;
		size_t len = o[i + 1];
		if (len < 2 || len > n - i)
			return;
		switch (kind) {
		case TCPOPT_MSS:
			if (len == 4) {
				out->has_mss = true;
				out->mss = (uint16_t)((o[i + 2] << 8) | o[i + 3]);
			}
			break;
		case TCPOPT_WSCALE:
			if (len == 3) {
				out->has_wscale = true;
				out->wscale = o[i + 2] > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : o[i + 2];
			}
			break;
		case TCPOPT_SACK_PERM:
			if (len == 2)
				out->sack_permitted = true;
			break;
		default:
			break;
		}
		i += len;
	}
}

enum dec_status tcp_parse(const uint8_t *p, size_t caplen, size_t wirelen, struct pkt *out)
{
	if (caplen > wirelen)
		caplen = wirelen;

	struct rd r = rd_make(p, caplen);
	if (wirelen < TCP_MIN_HDR)
		return DEC_MALFORMED;
	if (caplen < TCP_MIN_HDR)
		return DEC_TRUNCATED;
	out->sport = rd_be16(&r);
	out->dport = rd_be16(&r);
	out->seq = rd_be32(&r);
	out->ack = rd_be32(&r);
	uint8_t doff = rd_u8(&r);
	out->flags = rd_u8(&r);
	out->win = rd_be16(&r);
	rd_skip(&r, 4); /* checksum, urgent pointer */
	if (r.err)
		return DEC_TRUNCATED; /* not reached: caplen >= 20 */

	size_t hlen = (size_t)(doff >> 4) * 4;
	if (hlen < TCP_MIN_HDR || hlen > wirelen)
		return DEC_MALFORMED;
	if (hlen > caplen)
		return DEC_TRUNCATED; /* options cut by the snapshot length */
	out->has_mss = out->has_wscale = out->sack_permitted = false;
	out->mss = 0;
	out->wscale = 0;
	tcp_options(p + TCP_MIN_HDR, hlen - TCP_MIN_HDR, out);
	out->payload = p + hlen;
	out->payload_len = (uint32_t)(caplen - hlen);
	out->payload_wire = (uint32_t)(wirelen - hlen);
	return DEC_OK;
}
