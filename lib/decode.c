/* decode.c — one frame from link layer to TCP payload (link.c, ip.c, tcp.c in a row) */
#include "decode.h"

#include <string.h>

#include <mtadiag/engine.h>

#include "rd.h"

#define FAST_ETH  14 /* Ethernet II header */
#define FAST_IPV4 20 /* IPv4 header without options */
#define FAST_TCP  20 /* TCP header without options */

/* Ethernet II, IPv4 without options, TCP: nearly every frame on a mail gateway's segment,
 * decoded in one go.  Any other frame, and any frame the general path would reject or report
 * on (a fragment, a length that lies, a cut header), returns false and goes the general way
 * (link_parse, ip_parse, tcp_parse), so both give the same result for every frame; the unit
 * tests compare the two over mutated frames.  caplen <= wirelen. */
static bool decode_eth_ipv4_tcp(const uint8_t *p, size_t caplen, size_t wirelen, struct pkt *out)
{
	if (caplen < FAST_ETH + FAST_IPV4 + FAST_TCP || rd_load_be16(p + 12) != 0x0800 ||
	    p[FAST_ETH] != 0x45)
		return false;
	const uint8_t *ip = p + FAST_ETH;
	size_t ipwire = wirelen - FAST_ETH, ipcap = caplen - FAST_ETH;
	size_t tot = rd_load_be16(ip + 2);
	if (tot == 0)
		tot = ipwire; /* left for TCP segmentation offload: as ip.c */
	/* a total length below the TCP header, or beyond the frame, is the general path's to
	 * judge; so are fragments (MF or an offset) and other protocols */
	if (tot < FAST_IPV4 + FAST_TCP || tot > ipwire || (rd_load_be16(ip + 6) & 0x3FFF) || ip[9] != 6)
		return false;
	size_t l4wire = tot - FAST_IPV4;
	size_t l4cap = (ipcap < tot ? ipcap : tot) - FAST_IPV4; /* >= 20: caplen >= 54 */
	const uint8_t *t = ip + FAST_IPV4;
	size_t thlen = (size_t)(t[12] >> 4) * 4;
	if (thlen < FAST_TCP || thlen > l4cap)
		return false;
	out->ipver = 4;
	memcpy(out->src, ip + 12, 4);
	memcpy(out->dst, ip + 16, 4);
	out->sport = rd_load_be16(t);
	out->dport = rd_load_be16(t + 2);
	out->seq = rd_load_be32(t + 4);
	out->ack = rd_load_be32(t + 8);
	out->flags = t[13];
	out->win = rd_load_be16(t + 14);
	if (thlen > FAST_TCP)
		tcp_options(t + FAST_TCP, thlen - FAST_TCP, out);
	out->payload = t + thlen;
	out->payload_len = (uint32_t)(l4cap - thlen);
	out->payload_wire = (uint32_t)(l4wire - thlen);
	return true;
}

enum dec_status decode_frame(int linktype, const uint8_t *p, size_t caplen, size_t wirelen,
			     struct pkt *out)
{
	uint16_t ethertype = 0;
	size_t l3off = 0, l4off = 0, l4cap = 0, l4wire = 0;
	enum dec_status st;

	memset(out, 0, sizeof(*out));
	/* libpcap guarantees caplen <= wirelen; a caller that breaks it must not make us read
	 * past the captured bytes or compute a negative wire length. */
	if (caplen > wirelen)
		caplen = wirelen;
	if (linktype == MTA_LINKTYPE_ETHERNET && decode_eth_ipv4_tcp(p, caplen, wirelen, out))
		return DEC_OK; /* (it writes nothing to out when it returns false) */
	st = link_parse(linktype, p, caplen, &ethertype, &l3off);
	if (st != DEC_OK)
		return st;
	/* link_parse returns DEC_OK only with l3off <= caplen. */
	st = ip_parse(ethertype, p + l3off, caplen - l3off, wirelen - l3off, out, &l4off, &l4cap,
		      &l4wire);
	if (st != DEC_OK)
		return st;
	/* ip_parse returns DEC_OK only with l4off + l4cap <= caplen - l3off. */
	return tcp_parse(p + l3off + l4off, l4cap, l4wire, out);
}
