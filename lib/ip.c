/* ip.c — IPv4 (RFC 791) and IPv6 (RFC 8200) headers: addresses, fragments, extension-header
 * chain, and the window of the TCP segment bounded by the IP length fields */
#include "decode.h"

#include <string.h>

#include "rd.h"

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86DD

#define IPPROTO_TCP_ 6

#define IPV4_MIN_HDR   20
#define IPV4_MF        0x2000
#define IPV4_OFFMASK   0x1FFF
#define IPV6_HDR       40
/* Extension headers walked before giving up.  RFC 8200 sets no limit; every header is at least
 * 8 octets, so the payload length already bounds the walk, but a small cap keeps the cost of a
 * hostile packet constant. */
#define IPV6_MAX_EXT   16

/* IPv6 next-header values (IANA "Assigned Internet Protocol Numbers"). */
#define NH_HOPOPTS  0
#define NH_ROUTING  43
#define NH_FRAGMENT 44
#define NH_ESP      50
#define NH_AH       51
#define NH_NONE     59
#define NH_DSTOPTS  60

static enum dec_status ip_v4(const uint8_t *p, size_t caplen, size_t wirelen, struct pkt *out,
			     size_t *l4off, size_t *l4caplen, size_t *l4wirelen)
{
	struct rd r = rd_make(p, caplen);
	uint8_t vihl = rd_u8(&r);

	if (r.err)
		return DEC_TRUNCATED;
	if (vihl >> 4 != 4)
		return DEC_MALFORMED;
	size_t hlen = (size_t)(vihl & 0x0F) * 4;
	if (hlen < IPV4_MIN_HDR || hlen > wirelen)
		return DEC_MALFORMED;
	/* The fixed header and the options must be captured before anything after them is. */
	if (caplen < hlen)
		return DEC_TRUNCATED;
	rd_skip(&r, 1); /* DSCP/ECN */
	size_t tot = rd_be16(&r);
	rd_skip(&r, 2); /* identification */
	uint16_t frag = rd_be16(&r);
	rd_skip(&r, 1); /* TTL */
	uint8_t proto = rd_u8(&r);
	rd_skip(&r, 2); /* header checksum */
	const uint8_t *src = rd_bytes(&r, 4);
	const uint8_t *dst = rd_bytes(&r, 4);
	if (r.err)
		return DEC_TRUNCATED; /* not reached: caplen >= hlen >= 20 */

	out->ipver = 4;
	memset(out->src, 0, sizeof(out->src));
	memset(out->dst, 0, sizeof(out->dst));
	memcpy(out->src, src, 4);
	memcpy(out->dst, dst, 4);

	/* A capture taken on the sending host before TCP segmentation offload carries one large
	 * segment whose total length the stack left 0 for the NIC to fill in; the frame length
	 * is all there is (Wireshark does the same).  Such frames are common in mail servers'
	 * own captures, so they are decoded rather than dropped. */
	if (tot == 0)
		tot = wirelen;
	/* Bytes after the total length are link padding (Ethernet minimum frame) and ignored; a
	 * total length shorter than the header or longer than the frame on the wire is a lie. */
	if (tot < hlen || tot > wirelen)
		return DEC_MALFORMED;
	if ((frag & IPV4_MF) || (frag & IPV4_OFFMASK))
		return DEC_FRAGMENT;
	if (proto != IPPROTO_TCP_)
		return DEC_NOT_TCP;
	*l4off = hlen;
	*l4wirelen = tot - hlen;
	*l4caplen = (caplen < tot ? caplen : tot) - hlen;
	return DEC_OK;
}

static enum dec_status ip_v6(const uint8_t *p, size_t caplen, size_t wirelen, struct pkt *out,
			     size_t *l4off, size_t *l4caplen, size_t *l4wirelen)
{
	struct rd r = rd_make(p, caplen);
	uint8_t v = rd_u8(&r);

	if (r.err)
		return DEC_TRUNCATED;
	if (v >> 4 != 6)
		return DEC_MALFORMED;
	if (wirelen < IPV6_HDR)
		return DEC_MALFORMED;
	if (caplen < IPV6_HDR)
		return DEC_TRUNCATED;
	rd_skip(&r, 3); /* traffic class, flow label */
	size_t plen = rd_be16(&r);
	uint8_t nh = rd_u8(&r);
	rd_skip(&r, 1); /* hop limit */
	const uint8_t *src = rd_bytes(&r, 16);
	const uint8_t *dst = rd_bytes(&r, 16);
	if (r.err)
		return DEC_TRUNCATED; /* not reached: caplen >= 40 */

	out->ipver = 6;
	memcpy(out->src, src, 16);
	memcpy(out->dst, dst, 16);

	/* A zero payload length means a jumbogram (RFC 2675) when a hop-by-hop jumbo option
	 * follows; TCP over jumbograms does not occur on the links we capture, so anything but
	 * "no next header" with a zero length is not decoded. */
	if (plen == 0)
		return nh == NH_NONE ? DEC_NOT_TCP : DEC_MALFORMED;
	if (plen > wirelen - IPV6_HDR)
		return DEC_MALFORMED;

	/* [off, end) is the packet as the IP length describes it; capend is how much of that
	 * was captured. */
	size_t end = IPV6_HDR + plen;
	size_t capend = caplen < end ? caplen : end;
	size_t off = IPV6_HDR;

	for (unsigned n = 0;; n++) {
		size_t elen;

		switch (nh) {
		case IPPROTO_TCP_:
			/* Every extension length was checked against end, but only their first two
			 * octets against capend: the TCP header may start past the capture. */
			if (off > capend)
				return DEC_TRUNCATED;
			*l4off = off;
			*l4wirelen = end - off;
			*l4caplen = capend - off;
			return DEC_OK;
		case NH_FRAGMENT:
			if (end - off < 8)
				return DEC_MALFORMED;
			return DEC_FRAGMENT;
		case NH_HOPOPTS:
		case NH_ROUTING:
		case NH_DSTOPTS:
		case NH_AH:
			break;
		default:
			/* ESP (opaque), no next header, UDP, ICMPv6, mobility ... */
			return DEC_NOT_TCP;
		}
		if (n == IPV6_MAX_EXT)
			return DEC_NOT_TCP; /* a chain this long is not decoded */
		if (end - off < 2)
			return DEC_MALFORMED;
		/* off may lie past capend: the previous header's length was checked against
		 * the packet, not against the capture. */
		if (off > capend || capend - off < 2)
			return DEC_TRUNCATED;
		uint8_t next = p[off];
		uint8_t hlen = p[off + 1];
		/* AH counts 4-octet units minus 2 (RFC 4302); the others 8-octet units minus 1. */
		elen = nh == NH_AH ? ((size_t)hlen + 2) * 4 : ((size_t)hlen + 1) * 8;
		if (end - off < elen)
			return DEC_MALFORMED;
		off += elen;
		nh = next;
	}
}

enum dec_status ip_parse(uint16_t ethertype, const uint8_t *p, size_t caplen, size_t wirelen,
			 struct pkt *out, size_t *l4off, size_t *l4caplen, size_t *l4wirelen)
{
	if (caplen > wirelen)
		caplen = wirelen;
	switch (ethertype) {
	case ETHERTYPE_IPV4:
		return ip_v4(p, caplen, wirelen, out, l4off, l4caplen, l4wirelen);
	case ETHERTYPE_IPV6:
		return ip_v6(p, caplen, wirelen, out, l4off, l4caplen, l4wirelen);
	default:
		return DEC_NOT_IP;
	}
}
