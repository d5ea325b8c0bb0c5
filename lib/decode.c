/* decode.c — one frame from link layer to TCP payload (link.c, ip.c, tcp.c in a row) */
#include "decode.h"

#include <string.h>

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
