/* decode.h — link layer, IPv4/IPv6 and TCP header decoding (pure functions on bytes) */
#ifndef MTA_DECODE_H
#define MTA_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum dec_status {
	DEC_OK = 0,
	DEC_UNSUPPORTED_LINK, /* link type not decoded */
	DEC_NOT_IP,           /* ARP, LLDP, ... */
	DEC_NOT_TCP,          /* UDP, ICMP, ... */
	DEC_FRAGMENT,         /* IPv4 fragment or IPv6 fragment header: counted and skipped */
	DEC_TRUNCATED,        /* snaplen cut the frame before the end of the TCP header */
	DEC_MALFORMED,        /* a length or version field contradicts the bytes */
};

#define TCPF_FIN 0x01
#define TCPF_SYN 0x02
#define TCPF_RST 0x04
#define TCPF_PSH 0x08
#define TCPF_ACK 0x10
#define TCPF_URG 0x20
#define TCPF_ECE 0x40
#define TCPF_CWR 0x80

struct pkt {
	uint8_t ipver;           /* 4 or 6 */
	uint8_t src[16];         /* IPv4 in the first 4 octets */
	uint8_t dst[16];
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;           /* TCPF_* */
	uint16_t win;            /* raw window field (not scaled) */
	bool has_wscale;
	uint8_t wscale;
	bool has_mss;
	uint16_t mss;
	bool sack_permitted;
	const uint8_t *payload;  /* captured TCP payload (points into the frame) */
	uint32_t payload_len;    /* captured payload octets */
	uint32_t payload_wire;   /* payload octets on the wire (from the IP length) */
};

/* Link layer: find the network-layer protocol and its offset.  *ethertype is 0x0800 / 0x86DD
 * for IPv4 / IPv6 (also for DLT_RAW, NULL/LOOP, SLL, SLL2, 802.1Q/QinQ stripped). */
enum dec_status link_parse(int linktype, const uint8_t *p, size_t caplen, uint16_t *ethertype,
			   size_t *l3off);
/* IPv4/IPv6: fill addresses and return the TCP segment window.  wirelen is the length of the
 * packet from p on the wire (caplen <= wirelen); the IP length field bounds the segment, so
 * link-layer padding is ignored. */
enum dec_status ip_parse(uint16_t ethertype, const uint8_t *p, size_t caplen, size_t wirelen,
			 struct pkt *out, size_t *l4off, size_t *l4caplen, size_t *l4wirelen);
/* TCP header and options; payload pointer/lengths into out. */
enum dec_status tcp_parse(const uint8_t *p, size_t caplen, size_t wirelen, struct pkt *out);
/* The options o[0..n) of a TCP header (after its 20 fixed octets) into out's option fields,
 * which must be clear. */
void tcp_options(const uint8_t *o, size_t n, struct pkt *out);

/* All three in a row. */
enum dec_status decode_frame(int linktype, const uint8_t *p, size_t caplen, size_t wirelen,
			     struct pkt *out);

#endif
