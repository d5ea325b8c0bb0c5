/* link.c — link-layer framing: Ethernet II with IEEE 802.1Q/802.1ad tags and PPPoE sessions
 * (RFC 2516), Linux cooked (SLL, SLL2), raw IP, BSD NULL/LOOP (libpcap LINKTYPE_ registry,
 * tcpdump.org/linktypes.html) */
#include "decode.h"

#include <mtadiag/engine.h>

#include "rd.h"

#define ETHERTYPE_IPV4   0x0800
#define ETHERTYPE_IPV6   0x86DD
#define ETHERTYPE_8021Q  0x8100
#define ETHERTYPE_8021AD 0x88A8
#define ETHERTYPE_QINQ   0x9100 /* pre-standard stacked-tag type still sent by some switches */
#define ETHERTYPE_PPPOE_SESSION 0x8864
/* Type/length values below this are an IEEE 802.3 length (LLC/SNAP follows), not a type. */
#define ETHERTYPE_MIN    0x0600

#define ETH_HDR_LEN  14
#define VLAN_TAG_LEN 4
#define SLL_HDR_LEN  16
#define SLL_PROTO    14
#define SLL2_HDR_LEN 20
#define SLL2_PROTO   0
#define NULL_HDR_LEN 4
/* PPPoE session header (version/type, code, session id, length) plus the PPP protocol field. */
#define PPPOE_HDR_LEN   6
#define PPPOE_VER_TYPE  0x11
#define PPPOE_CODE_SESS 0x00
#define PPP_IPV4        0x0021
#define PPP_IPV6        0x0057

/* Address family values in BSD NULL/LOOP headers.  IPv6 differs between systems: 24 on
 * NetBSD/OpenBSD/BSD/OS, 28 on FreeBSD/DragonFly, 30 on macOS, 10 on Linux. */
#define BSD_AF_INET 2

bool mta_linktype_supported(int linktype)
{
	switch (linktype) {
	case MTA_LINKTYPE_NULL:
	case MTA_LINKTYPE_ETHERNET:
	case MTA_LINKTYPE_RAW:
	case MTA_DLT_RAW_BSD:
	case MTA_DLT_RAW_OPENBSD:
	case MTA_LINKTYPE_LOOP:
	case MTA_LINKTYPE_LINUX_SLL:
	case MTA_LINKTYPE_IPV4:
	case MTA_LINKTYPE_IPV6:
	case MTA_LINKTYPE_LINUX_SLL2:
		return true;
	default:
		return false;
	}
}

static bool link_is_vlan_type(uint16_t t)
{
	return t == ETHERTYPE_8021Q || t == ETHERTYPE_8021AD || t == ETHERTYPE_QINQ;
}

/* PPPoE session stage (RFC 2516 §4): map the PPP protocol (RFC 1661 §2; RFC 2516 §7 forbids
 * protocol-field compression) to an ethertype.  Discovery frames and PPP control protocols
 * (LCP, IPCP, ...) are not IP.  The PPPoE length is not needed: the IP length bounds the
 * packet as it does over Ethernet. */
static uint16_t link_pppoe(struct rd *r, enum dec_status *st)
{
	if (rd_left(r) < PPPOE_HDR_LEN + 2) {
		*st = DEC_TRUNCATED;
		return 0;
	}
	uint8_t vt = rd_u8(r);
	uint8_t code = rd_u8(r);
	rd_skip(r, 4); /* session id, length */
	uint16_t proto = rd_be16(r);
	*st = DEC_NOT_IP;
	if (vt != PPPOE_VER_TYPE || code != PPPOE_CODE_SESS)
		return 0;
	if (proto == PPP_IPV4)
		return ETHERTYPE_IPV4;
	if (proto == PPP_IPV6)
		return ETHERTYPE_IPV6;
	return 0;
}

/* r is positioned just after a type field whose value is type.  Skip any number of VLAN tags
 * (each 2 octets TCI + 2 octets inner type); the loop ends because every pass consumes four
 * captured octets.  Then map the final type to IPv4/IPv6, looking into a PPPoE session. */
static enum dec_status link_finish_type(struct rd *r, uint16_t type, uint16_t *ethertype,
					size_t *l3off)
{
	while (link_is_vlan_type(type)) {
		if (rd_left(r) < VLAN_TAG_LEN)
			return DEC_TRUNCATED;
		rd_skip(r, 2); /* PCP, DEI, VID */
		type = rd_be16(r);
	}
	if (type == ETHERTYPE_PPPOE_SESSION) {
		enum dec_status st;
		type = link_pppoe(r, &st);
		if (!type)
			return st;
	}
	if (type != ETHERTYPE_IPV4 && type != ETHERTYPE_IPV6)
		return DEC_NOT_IP;
	*ethertype = type;
	*l3off = r->off;
	return DEC_OK;
}

static bool link_bsd_af_inet6(uint32_t af)
{
	return af == 24 || af == 28 || af == 30 || af == 10;
}

static enum dec_status link_family(uint32_t af, uint16_t *ethertype)
{
	if (af == BSD_AF_INET) {
		*ethertype = ETHERTYPE_IPV4;
		return DEC_OK;
	}
	if (link_bsd_af_inet6(af)) {
		*ethertype = ETHERTYPE_IPV6;
		return DEC_OK;
	}
	return DEC_NOT_IP;
}

enum dec_status link_parse(int linktype, const uint8_t *p, size_t caplen, uint16_t *ethertype,
			   size_t *l3off)
{
	struct rd r = rd_make(p, caplen);

	switch (linktype) {
	case MTA_LINKTYPE_ETHERNET: {
		if (caplen < ETH_HDR_LEN)
			return DEC_TRUNCATED;
		rd_skip(&r, 12); /* destination, source */
		uint16_t type = rd_be16(&r);
		if (type < ETHERTYPE_MIN)
			return DEC_NOT_IP; /* 802.3 length + LLC */
		return link_finish_type(&r, type, ethertype, l3off);
	}
	case MTA_LINKTYPE_LINUX_SLL: {
		if (caplen < SLL_HDR_LEN)
			return DEC_TRUNCATED;
		rd_skip(&r, SLL_PROTO);
		uint16_t type = rd_be16(&r);
		return link_finish_type(&r, type, ethertype, l3off);
	}
	case MTA_LINKTYPE_LINUX_SLL2: {
		if (caplen < SLL2_HDR_LEN)
			return DEC_TRUNCATED;
		rd_skip(&r, SLL2_PROTO);
		uint16_t type = rd_be16(&r);
		/* The rest of the header: reserved, ifindex, hatype, pkttype, halen, address. */
		r.off = SLL2_HDR_LEN;
		return link_finish_type(&r, type, ethertype, l3off);
	}
	case MTA_LINKTYPE_RAW:
	case MTA_DLT_RAW_BSD:
	case MTA_DLT_RAW_OPENBSD: {
		if (caplen < 1)
			return DEC_TRUNCATED;
		/* No link header: the IP version nibble says which protocol follows. */
		unsigned v = p[0] >> 4;
		if (v == 4)
			*ethertype = ETHERTYPE_IPV4;
		else if (v == 6)
			*ethertype = ETHERTYPE_IPV6;
		else
			return DEC_MALFORMED;
		*l3off = 0;
		return DEC_OK;
	}
	case MTA_LINKTYPE_IPV4:
		*ethertype = ETHERTYPE_IPV4;
		*l3off = 0;
		return DEC_OK;
	case MTA_LINKTYPE_IPV6:
		*ethertype = ETHERTYPE_IPV6;
		*l3off = 0;
		return DEC_OK;
	case MTA_LINKTYPE_NULL: {
		if (caplen < NULL_HDR_LEN)
			return DEC_TRUNCATED;
		/* The family is in the byte order of the capturing host, which the file does not
		 * record reliably (a capture may be read elsewhere): try both orders.  No valid
		 * family value reads as another valid one when swapped. */
		struct rd rb = rd_make(p, caplen);
		uint32_t le = rd_le32(&r), be = rd_be32(&rb);
		if (link_family(le, ethertype) == DEC_OK || link_family(be, ethertype) == DEC_OK) {
			*l3off = NULL_HDR_LEN;
			return DEC_OK;
		}
		return DEC_NOT_IP;
	}
	case MTA_LINKTYPE_LOOP: {
		if (caplen < NULL_HDR_LEN)
			return DEC_TRUNCATED;
		/* OpenBSD loopback: the family is always in network byte order. */
		if (link_family(rd_be32(&r), ethertype) != DEC_OK)
			return DEC_NOT_IP;
		*l3off = NULL_HDR_LEN;
		return DEC_OK;
	}
	default:
		return DEC_UNSUPPORTED_LINK;
	}
}
