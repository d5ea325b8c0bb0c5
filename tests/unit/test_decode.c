/* test_decode.c — link/IP/TCP decoding: every link type, IPv4 options and fragments, IPv6
 * extension chains, TCP options, malformed lengths, snaplen cuts at every offset, random input */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <mtadiag/engine.h>

#include "decode.h"
#include "testutil.h"

/* ---- frame construction ---------------------------------------------------------------- */

/* One layer's bytes plus how many of them are headers.  For a TCP segment hdr is the TCP
 * header; for an IP packet it includes the TCP header; for a frame the link header too. */
struct seg {
	uint8_t b[2048];
	size_t len;
	size_t hdr;
};

#define SPORT 40000
#define DPORT 25
#define SEQ   0x01020304u
#define ACK   0xA0B0C0D0u
#define WIN   0xFAF0

static const uint8_t V4SRC[4] = { 192, 0, 2, 1 };
static const uint8_t V4DST[4] = { 198, 51, 100, 7 };
static const uint8_t V6SRC[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
static const uint8_t V6DST[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x25 };

static void be16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* TCP header with the given options (length a multiple of 4) and paylen payload octets. */
static void mk_tcp(struct seg *s, const uint8_t *opt, size_t optlen, size_t paylen, uint8_t flags)
{
	assert_true(optlen % 4 == 0 && optlen <= 40);
	memset(s, 0, sizeof(*s));
	be16(s->b, SPORT);
	be16(s->b + 2, DPORT);
	be32(s->b + 4, SEQ);
	be32(s->b + 8, ACK);
	s->b[12] = (uint8_t)(((20 + optlen) / 4) << 4);
	s->b[13] = flags;
	be16(s->b + 14, WIN);
	if (optlen)
		memcpy(s->b + 20, opt, optlen);
	s->hdr = 20 + optlen;
	for (size_t i = 0; i < paylen; i++)
		s->b[s->hdr + i] = (uint8_t)(i * 7 + 3);
	s->len = s->hdr + paylen;
}

static void mk_plain_tcp(struct seg *s, size_t paylen)
{
	mk_tcp(s, NULL, 0, paylen, TCPF_ACK | TCPF_PSH);
}

/* IPv4 around l4: options opt[0..optlen) (a multiple of 4), protocol, flags+offset field. */
static void mk_ipv4(struct seg *s, const struct seg *l4, const uint8_t *opt, size_t optlen,
		    uint8_t proto, uint16_t frag)
{
	assert_true(optlen % 4 == 0 && optlen <= 40);
	memset(s, 0, sizeof(*s));
	size_t hl = 20 + optlen;
	s->b[0] = (uint8_t)(0x40 | (hl / 4));
	be16(s->b + 2, (unsigned)(hl + l4->len));
	be16(s->b + 4, 0x1234);
	be16(s->b + 6, frag);
	s->b[8] = 64;
	s->b[9] = proto;
	memcpy(s->b + 12, V4SRC, 4);
	memcpy(s->b + 16, V4DST, 4);
	if (optlen)
		memcpy(s->b + 20, opt, optlen);
	memcpy(s->b + hl, l4->b, l4->len);
	s->len = hl + l4->len;
	s->hdr = hl + l4->hdr;
}

/* IPv6 around l4: the first next-header value and an extension chain ext[0..extlen). */
static void mk_ipv6(struct seg *s, const struct seg *l4, uint8_t nh, const uint8_t *ext,
		    size_t extlen)
{
	memset(s, 0, sizeof(*s));
	s->b[0] = 0x60;
	be16(s->b + 4, (unsigned)(extlen + l4->len));
	s->b[6] = nh;
	s->b[7] = 64;
	memcpy(s->b + 8, V6SRC, 16);
	memcpy(s->b + 24, V6DST, 16);
	if (extlen)
		memcpy(s->b + 40, ext, extlen);
	memcpy(s->b + 40 + extlen, l4->b, l4->len);
	s->len = 40 + extlen + l4->len;
	s->hdr = 40 + extlen + l4->hdr;
}

/* An 8-octet-unit extension header (hop-by-hop, routing, destination options) of
 * (units + 1) * 8 octets, filled with Pad1 options; returns its length. */
static size_t put_ext(uint8_t *e, uint8_t next, uint8_t units)
{
	size_t n = ((size_t)units + 1) * 8;
	memset(e, 0, n);
	e[0] = next;
	e[1] = units;
	return n;
}

/* An authentication header whose length field is len4 ((len4 + 2) * 4 octets). */
static size_t put_ah(uint8_t *e, uint8_t next, uint8_t len4)
{
	size_t n = ((size_t)len4 + 2) * 4;
	memset(e, 0xAA, n);
	e[0] = next;
	e[1] = len4;
	e[2] = e[3] = 0;
	return n;
}

/* Link framings.  f->hdr counts the link header and everything up to the TCP payload. */
static void fr_link(struct seg *f, const uint8_t *lh, size_t lhlen, const struct seg *l3)
{
	memset(f, 0, sizeof(*f));
	if (lhlen)
		memcpy(f->b, lh, lhlen);
	memcpy(f->b + lhlen, l3->b, l3->len);
	f->len = lhlen + l3->len;
	f->hdr = lhlen + l3->hdr;
}

/* Ethernet II with tags (each a TPID; the TCI is filled in), padded to the 60-octet minimum
 * when pad is set (the FCS is not captured). */
static void fr_eth(struct seg *f, const struct seg *l3, uint16_t type, const uint16_t *tpids,
		   size_t ntags, bool pad)
{
	uint8_t h[14 + 4 * 8];
	size_t n = 0;

	assert_true(ntags <= 8);
	memcpy(h, "\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb", 12);
	n = 12;
	for (size_t i = 0; i < ntags; i++) {
		be16(h + n, tpids[i]);
		be16(h + n + 2, (unsigned)(100 + i));
		n += 4;
	}
	be16(h + n, type);
	n += 2;
	fr_link(f, h, n, l3);
	if (pad && f->len < 60)
		f->len = 60; /* padding octets are already zero */
}

static void fr_sll(struct seg *f, const struct seg *l3, uint16_t proto)
{
	uint8_t h[16] = { 0, 0, 0, 1, 0, 6, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0, 0 };
	be16(h + 14, proto);
	fr_link(f, h, sizeof(h), l3);
}

static void fr_sll2(struct seg *f, const struct seg *l3, uint16_t proto)
{
	uint8_t h[20] = { 0, 0, 0, 0, 0, 0, 0, 2, 0, 1, 4, 6, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 };
	be16(h, proto);
	fr_link(f, h, sizeof(h), l3);
}

/* BSD NULL / LOOP header carrying family in big- or little-endian order. */
static void fr_null(struct seg *f, const struct seg *l3, uint32_t family, bool big)
{
	uint8_t h[4];
	if (big) {
		be32(h, family);
	} else {
		h[0] = (uint8_t)family;
		h[1] = (uint8_t)(family >> 8);
		h[2] = (uint8_t)(family >> 16);
		h[3] = (uint8_t)(family >> 24);
	}
	fr_link(f, h, 4, l3);
}

static void fr_raw(struct seg *f, const struct seg *l3)
{
	fr_link(f, NULL, 0, l3);
}

/* A PPPoE session header (RFC 2516) and PPP protocol field in front of l3. */
static void mk_pppoe(struct seg *s, const struct seg *l3, uint16_t ppp_proto)
{
	memset(s, 0, sizeof(*s));
	s->b[0] = 0x11;
	s->b[1] = 0x00;
	be16(s->b + 2, 0x1a2b);
	be16(s->b + 4, (unsigned)(l3->len + 2));
	be16(s->b + 6, ppp_proto);
	memcpy(s->b + 8, l3->b, l3->len);
	s->len = l3->len + 8;
	s->hdr = l3->hdr + 8;
}

/* Ready-made packets: IPv4 and IPv6 around a plain TCP segment with paylen payload octets. */
static void pkt_v4(struct seg *ip, size_t paylen)
{
	struct seg t;
	mk_plain_tcp(&t, paylen);
	mk_ipv4(ip, &t, NULL, 0, 6, 0x4000 /* DF */);
}

static void pkt_v6(struct seg *ip, size_t paylen)
{
	struct seg t;
	mk_plain_tcp(&t, paylen);
	mk_ipv6(ip, &t, 6, NULL, 0);
}

/* ---- checking ------------------------------------------------------------------------- */

/* Decode src[0..caplen) placed flush against a guard page.  On DEC_OK *payoff (if given) is
 * the payload's offset in the frame; out->payload is cleared because the copy is gone. */
static enum dec_status decode_guarded(int lt, const uint8_t *src, size_t caplen, size_t wirelen,
				      struct pkt *out, size_t *payoff)
{
	uint8_t *g = tu_guarded_copy(src, caplen);
	enum dec_status st = decode_frame(lt, g, caplen, wirelen, out);
	if (st == DEC_OK) {
		if (payoff)
			*payoff = (size_t)(out->payload - g);
		assert_non_null(out->payload);
		assert_true(out->payload >= g);
		assert_true(out->payload_len <= caplen);
		assert_true((size_t)(out->payload - g) <= caplen - out->payload_len);
		assert_true(out->payload_len <= out->payload_wire);
		assert_true(out->payload_wire <= wirelen);
		assert_true(out->ipver == 4 || out->ipver == 6);
		if (out->payload_len)
			assert_memory_equal(out->payload, src + (out->payload - g),
					    out->payload_len);
	}
	out->payload = NULL;
	tu_guarded_free(g, caplen);
	return st;
}

/* Everything decode_frame reports about the headers (not the payload window). */
static void assert_same_headers(const struct pkt *a, const struct pkt *b)
{
	assert_int_equal(a->ipver, b->ipver);
	assert_memory_equal(a->src, b->src, 16);
	assert_memory_equal(a->dst, b->dst, 16);
	assert_int_equal(a->sport, b->sport);
	assert_int_equal(a->dport, b->dport);
	assert_int_equal(a->seq, b->seq);
	assert_int_equal(a->ack, b->ack);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->win, b->win);
	assert_int_equal(a->has_wscale, b->has_wscale);
	assert_int_equal(a->wscale, b->wscale);
	assert_int_equal(a->has_mss, b->has_mss);
	assert_int_equal(a->mss, b->mss);
	assert_int_equal(a->sack_permitted, b->sack_permitted);
}

/* The fields every frame built with mk_tcp carries. */
static void assert_tcp_basics(const struct pkt *p, int ipver)
{
	assert_int_equal(p->ipver, ipver);
	if (ipver == 4) {
		uint8_t s[16] = { 0 }, d[16] = { 0 };
		memcpy(s, V4SRC, 4);
		memcpy(d, V4DST, 4);
		assert_memory_equal(p->src, s, 16);
		assert_memory_equal(p->dst, d, 16);
	} else {
		assert_memory_equal(p->src, V6SRC, 16);
		assert_memory_equal(p->dst, V6DST, 16);
	}
	assert_int_equal(p->sport, SPORT);
	assert_int_equal(p->dport, DPORT);
	assert_int_equal(p->seq, SEQ);
	assert_int_equal(p->ack, ACK);
	assert_int_equal(p->win, WIN);
}

/* A valid frame f of link type lt: decode it complete, then at every capture length from 0 to
 * f->len against a guard page (wire length always f->len).  Headers cut: DEC_TRUNCATED; from
 * the payload's first octet on: DEC_OK, the same header fields, payload_len == what was
 * captured of the payload (padding after the IP length excluded). */
static void check_all_caplens(int lt, const struct seg *f, struct pkt *full)
{
	size_t off;
	size_t pay = f->len - f->hdr; /* includes link padding */
	struct pkt p;

	assert_int_equal(decode_guarded(lt, f->b, f->len, f->len, full, &off), DEC_OK);
	assert_int_equal(off, f->hdr);
	assert_true(full->payload_wire <= pay);
	assert_int_equal(full->payload_len, full->payload_wire);

	for (size_t c = 0; c <= f->len; c++) {
		enum dec_status st = decode_guarded(lt, f->b, c, f->len, &p, &off);
		if (c < f->hdr) {
			if (st != DEC_TRUNCATED)
				fail_msg("linktype %d caplen %zu of %zu (headers %zu): status %d", lt,
					 c, f->len, f->hdr, (int)st);
			continue;
		}
		if (st != DEC_OK)
			fail_msg("linktype %d caplen %zu of %zu (headers %zu): status %d", lt, c,
				 f->len, f->hdr, (int)st);
		assert_int_equal(off, f->hdr);
		size_t want = c - f->hdr;
		if (want > full->payload_wire)
			want = full->payload_wire;
		assert_int_equal(p.payload_len, want);
		assert_int_equal(p.payload_wire, full->payload_wire);
		assert_same_headers(&p, full);
	}
}

static enum dec_status dec(int lt, const struct seg *f, struct pkt *p)
{
	return decode_guarded(lt, f->b, f->len, f->len, p, NULL);
}

/* ---- link layers ---------------------------------------------------------------------- */

static void test_ethernet_ipv4(void **state)
{
	(void)state;
	struct seg ip, f;
	struct pkt p;

	pkt_v4(&ip, 37);
	fr_eth(&f, &ip, 0x0800, NULL, 0, true);
	check_all_caplens(MTA_LINKTYPE_ETHERNET, &f, &p);
	assert_tcp_basics(&p, 4);
	assert_int_equal(p.flags, TCPF_ACK | TCPF_PSH);
	assert_int_equal(p.payload_len, 37);
	assert_int_equal(p.payload_wire, 37);
	assert_false(p.has_mss);
	assert_false(p.has_wscale);
	assert_false(p.sack_permitted);
}

static void test_ethernet_ipv6(void **state)
{
	(void)state;
	struct seg ip, f;
	struct pkt p;

	pkt_v6(&ip, 100);
	fr_eth(&f, &ip, 0x86DD, NULL, 0, true);
	check_all_caplens(MTA_LINKTYPE_ETHERNET, &f, &p);
	assert_tcp_basics(&p, 6);
	assert_int_equal(p.payload_wire, 100);
}

/* 14 + 20 + 20 = 54 octets padded to 60: the six padding octets are not payload. */
static void test_ethernet_padding(void **state)
{
	(void)state;
	struct seg ip, f;
	struct pkt p;

	pkt_v4(&ip, 0);
	fr_eth(&f, &ip, 0x0800, NULL, 0, true);
	assert_int_equal(f.len, 60);
	assert_int_equal(f.hdr, 54);
	f.b[54] = 0xEE; /* padding that would look like payload if the IP length were ignored */
	check_all_caplens(MTA_LINKTYPE_ETHERNET, &f, &p);
	assert_int_equal(p.payload_len, 0);
	assert_int_equal(p.payload_wire, 0);

	/* Two payload octets, still padded. */
	pkt_v4(&ip, 2);
	fr_eth(&f, &ip, 0x0800, NULL, 0, true);
	assert_int_equal(f.len, 60);
	check_all_caplens(MTA_LINKTYPE_ETHERNET, &f, &p);
	assert_int_equal(p.payload_wire, 2);
}

static void test_vlan_tags(void **state)
{
	(void)state;
	static const uint16_t q[] = { 0x8100 };
	static const uint16_t qinq[] = { 0x88A8, 0x8100 };
	static const uint16_t old_qinq[] = { 0x9100, 0x8100 };
	static const uint16_t deep[] = { 0x88A8, 0x9100, 0x8100, 0x8100, 0x88A8, 0x8100 };
	static const struct {
		const uint16_t *t;
		size_t n;
	} cases[] = { { q, 1 }, { qinq, 2 }, { old_qinq, 2 }, { deep, 6 } };
	struct seg ip4, ip6, f;
	struct pkt p;
	size_t l3off;
	uint16_t et;

	pkt_v4(&ip4, 5);
	pkt_v6(&ip6, 9);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fr_eth(&f, &ip4, 0x0800, cases[i].t, cases[i].n, true);
		assert_int_equal(link_parse(MTA_LINKTYPE_ETHERNET, f.b, f.len, &et, &l3off),
				 DEC_OK);
		assert_int_equal(et, 0x0800);
		assert_int_equal(l3off, 14 + 4 * cases[i].n);
		check_all_caplens(MTA_LINKTYPE_ETHERNET, &f, &p);
		assert_tcp_basics(&p, 4);
		assert_int_equal(p.payload_wire, 5);

		fr_eth(&f, &ip6, 0x86DD, cases[i].t, cases[i].n, false);
		check_all_caplens(MTA_LINKTYPE_ETHERNET, &f, &p);
		assert_tcp_basics(&p, 6);

		/* An ARP frame behind the tags is still not IP. */
		fr_eth(&f, &ip4, 0x0806, cases[i].t, cases[i].n, true);
		assert_int_equal(dec(MTA_LINKTYPE_ETHERNET, &f, &p), DEC_NOT_IP);
	}
}

static void test_ethernet_not_ip(void **state)
{
	(void)state;
	struct seg ip, f;
	struct pkt p;

	pkt_v4(&ip, 10);
	fr_eth(&f, &ip, 0x0806, NULL, 0, true); /* ARP */
	assert_int_equal(dec(MTA_LINKTYPE_ETHERNET, &f, &p), DEC_NOT_IP);
	fr_eth(&f, &ip, 0x88CC, NULL, 0, true); /* LLDP */
	assert_int_equal(dec(MTA_LINKTYPE_ETHERNET, &f, &p), DEC_NOT_IP);
	/* IEEE 802.3 length field followed by LLC (e.g. spanning tree): not a type at all. */
	fr_eth(&f, &ip, 46, NULL, 0, true);
	f.b[14] = 0x42;
	f.b[15] = 0x42;
	f.b[16] = 0x03;
	assert_int_equal(dec(MTA_LINKTYPE_ETHERNET, &f, &p), DEC_NOT_IP);
	/* The largest 802.3 length (1500), and a value between lengths and types. */
	fr_eth(&f, &ip, 0x05DC, NULL, 0, true);
	assert_int_equal(dec(MTA_LINKTYPE_ETHERNET, &f, &p), DEC_NOT_IP);
	fr_eth(&f, &ip, 0x05FF, NULL, 0, true);
	assert_int_equal(dec(MTA_LINKTYPE_ETHERNET, &f, &p), DEC_NOT_IP);
}

static void test_pppoe(void **state)
{
	(void)state;
	static const uint16_t q[] = { 0x8100 };
	struct seg ip, ppp, f;
	struct pkt p;
	size_t l3off;
	uint16_t et;

	pkt_v4(&ip, 25);
	mk_pppoe(&ppp, &ip, 0x0021);
	fr_eth(&f, &ppp, 0x8864, NULL, 0, true);
	assert_int_equal(link_parse(MTA_LINKTYPE_ETHERNET, f.b, f.len, &et, &l3off), DEC_OK);
	assert_int_equal(l3off, 22);
	assert_int_equal(et, 0x0800);
	check_all_caplens(MTA_LINKTYPE_ETHERNET, &f, &p);
	assert_tcp_basics(&p, 4);
	assert_int_equal(p.payload_wire, 25);
	fr_eth(&f, &ppp, 0x8864, q, 1, true);
	check_all_caplens(MTA_LINKTYPE_ETHERNET, &f, &p);
	assert_tcp_basics(&p, 4);

	pkt_v6(&ip, 3);
	mk_pppoe(&ppp, &ip, 0x0057);
	fr_eth(&f, &ppp, 0x8864, NULL, 0, true);
	check_all_caplens(MTA_LINKTYPE_ETHERNET, &f, &p);
	assert_tcp_basics(&p, 6);
	fr_sll(&f, &ppp, 0x8864);
	check_all_caplens(MTA_LINKTYPE_LINUX_SLL, &f, &p);
	assert_tcp_basics(&p, 6);

	/* PPP control protocols, the discovery stage, a PPPoE code or version other than a
	 * session's: not IP. */
	mk_pppoe(&ppp, &ip, 0xC021); /* LCP */
	fr_eth(&f, &ppp, 0x8864, NULL, 0, true);
	assert_int_equal(dec(MTA_LINKTYPE_ETHERNET, &f, &p), DEC_NOT_IP);
	mk_pppoe(&ppp, &ip, 0x8021); /* IPCP */
	fr_eth(&f, &ppp, 0x8864, NULL, 0, true);
	assert_int_equal(dec(MTA_LINKTYPE_ETHERNET, &f, &p), DEC_NOT_IP);
	mk_pppoe(&ppp, &ip, 0x0057);
	fr_eth(&f, &ppp, 0x8863, NULL, 0, true);
	assert_int_equal(dec(MTA_LINKTYPE_ETHERNET, &f, &p), DEC_NOT_IP);
	ppp.b[1] = 0x09; /* PADI */
	fr_eth(&f, &ppp, 0x8864, NULL, 0, true);
	assert_int_equal(dec(MTA_LINKTYPE_ETHERNET, &f, &p), DEC_NOT_IP);
	ppp.b[1] = 0x00;
	ppp.b[0] = 0x21;
	fr_eth(&f, &ppp, 0x8864, NULL, 0, true);
	assert_int_equal(dec(MTA_LINKTYPE_ETHERNET, &f, &p), DEC_NOT_IP);
}

static void test_sll(void **state)
{
	(void)state;
	struct seg ip, f;
	struct pkt p;
	size_t l3off;
	uint16_t et;

	pkt_v4(&ip, 12);
	fr_sll(&f, &ip, 0x0800);
	assert_int_equal(link_parse(MTA_LINKTYPE_LINUX_SLL, f.b, f.len, &et, &l3off), DEC_OK);
	assert_int_equal(l3off, 16);
	assert_int_equal(et, 0x0800);
	check_all_caplens(MTA_LINKTYPE_LINUX_SLL, &f, &p);
	assert_tcp_basics(&p, 4);

	pkt_v6(&ip, 12);
	fr_sll(&f, &ip, 0x86DD);
	check_all_caplens(MTA_LINKTYPE_LINUX_SLL, &f, &p);
	assert_tcp_basics(&p, 6);

	fr_sll(&f, &ip, 0x0806);
	assert_int_equal(dec(MTA_LINKTYPE_LINUX_SLL, &f, &p), DEC_NOT_IP);

	/* libpcap on Linux puts a stripped VLAN tag back after the cooked header. */
	struct seg tagged;
	memset(&tagged, 0, sizeof(tagged));
	be16(tagged.b, 42);
	be16(tagged.b + 2, 0x86DD);
	memcpy(tagged.b + 4, ip.b, ip.len);
	tagged.len = ip.len + 4;
	tagged.hdr = ip.hdr + 4;
	fr_sll(&f, &tagged, 0x8100);
	check_all_caplens(MTA_LINKTYPE_LINUX_SLL, &f, &p);
	assert_tcp_basics(&p, 6);
	fr_sll2(&f, &tagged, 0x8100);
	check_all_caplens(MTA_LINKTYPE_LINUX_SLL2, &f, &p);
	assert_tcp_basics(&p, 6);
	/* The same IPv6 packet with the protocol in SLL2's place is not IP for SLL. */
	fr_sll2(&f, &ip, 0x86DD);
	assert_int_not_equal(dec(MTA_LINKTYPE_LINUX_SLL, &f, &p), DEC_OK);
}

static void test_sll2(void **state)
{
	(void)state;
	struct seg ip, f;
	struct pkt p;
	size_t l3off;
	uint16_t et;

	pkt_v6(&ip, 3);
	fr_sll2(&f, &ip, 0x86DD);
	assert_int_equal(link_parse(MTA_LINKTYPE_LINUX_SLL2, f.b, f.len, &et, &l3off), DEC_OK);
	assert_int_equal(l3off, 20);
	assert_int_equal(et, 0x86DD);
	check_all_caplens(MTA_LINKTYPE_LINUX_SLL2, &f, &p);
	assert_tcp_basics(&p, 6);

	pkt_v4(&ip, 3);
	fr_sll2(&f, &ip, 0x0800);
	check_all_caplens(MTA_LINKTYPE_LINUX_SLL2, &f, &p);
	assert_tcp_basics(&p, 4);

	fr_sll2(&f, &ip, 0x0806);
	assert_int_equal(dec(MTA_LINKTYPE_LINUX_SLL2, &f, &p), DEC_NOT_IP);
}

static void test_raw(void **state)
{
	(void)state;
	static const int lts[] = { MTA_LINKTYPE_RAW, MTA_DLT_RAW_BSD, MTA_DLT_RAW_OPENBSD };
	struct seg ip4, ip6, f;
	struct pkt p;

	pkt_v4(&ip4, 20);
	pkt_v6(&ip6, 21);
	for (size_t i = 0; i < 3; i++) {
		fr_raw(&f, &ip4);
		check_all_caplens(lts[i], &f, &p);
		assert_tcp_basics(&p, 4);
		assert_int_equal(p.payload_wire, 20);
		fr_raw(&f, &ip6);
		check_all_caplens(lts[i], &f, &p);
		assert_tcp_basics(&p, 6);
		assert_int_equal(p.payload_wire, 21);
		/* Neither 4 nor 6 in the version nibble. */
		f.b[0] = 0x50;
		assert_int_equal(dec(lts[i], &f, &p), DEC_MALFORMED);
		f.b[0] = 0x00;
		assert_int_equal(dec(lts[i], &f, &p), DEC_MALFORMED);
	}
}

static void test_linktype_ipv4_ipv6(void **state)
{
	(void)state;
	struct seg ip4, ip6, f;
	struct pkt p;

	pkt_v4(&ip4, 8);
	pkt_v6(&ip6, 8);
	fr_raw(&f, &ip4);
	check_all_caplens(MTA_LINKTYPE_IPV4, &f, &p);
	assert_tcp_basics(&p, 4);
	fr_raw(&f, &ip6);
	check_all_caplens(MTA_LINKTYPE_IPV6, &f, &p);
	assert_tcp_basics(&p, 6);
	/* The link type fixes the version: the other one contradicts it. */
	fr_raw(&f, &ip6);
	assert_int_equal(dec(MTA_LINKTYPE_IPV4, &f, &p), DEC_MALFORMED);
	fr_raw(&f, &ip4);
	assert_int_equal(dec(MTA_LINKTYPE_IPV6, &f, &p), DEC_MALFORMED);
}

static void test_null_loop(void **state)
{
	(void)state;
	static const uint32_t v6fam[] = { 24, 28, 30, 10 };
	struct seg ip4, ip6, f;
	struct pkt p;

	pkt_v4(&ip4, 4);
	pkt_v6(&ip6, 4);

	/* NULL: host byte order of whichever machine captured; both orders accepted. */
	for (int big = 0; big <= 1; big++) {
		fr_null(&f, &ip4, 2, big);
		check_all_caplens(MTA_LINKTYPE_NULL, &f, &p);
		assert_tcp_basics(&p, 4);
		for (size_t i = 0; i < 4; i++) {
			fr_null(&f, &ip6, v6fam[i], big);
			check_all_caplens(MTA_LINKTYPE_NULL, &f, &p);
			assert_tcp_basics(&p, 6);
		}
		fr_null(&f, &ip4, 17 /* AF_UNIX-ish nonsense */, big);
		assert_int_equal(dec(MTA_LINKTYPE_NULL, &f, &p), DEC_NOT_IP);
		fr_null(&f, &ip4, 0, big);
		assert_int_equal(dec(MTA_LINKTYPE_NULL, &f, &p), DEC_NOT_IP);
	}

	/* LOOP: network byte order only. */
	fr_null(&f, &ip4, 2, true);
	check_all_caplens(MTA_LINKTYPE_LOOP, &f, &p);
	assert_tcp_basics(&p, 4);
	for (size_t i = 0; i < 4; i++) {
		fr_null(&f, &ip6, v6fam[i], true);
		check_all_caplens(MTA_LINKTYPE_LOOP, &f, &p);
		assert_tcp_basics(&p, 6);
	}
	fr_null(&f, &ip4, 2, false);
	assert_int_equal(dec(MTA_LINKTYPE_LOOP, &f, &p), DEC_NOT_IP);
	fr_null(&f, &ip4, 0x0800, true);
	assert_int_equal(dec(MTA_LINKTYPE_LOOP, &f, &p), DEC_NOT_IP);
}

static void test_unsupported_link(void **state)
{
	(void)state;
	static const int bad[] = { -1, 2, 9, 105 /* 802.11 */, 127, 195, 277, 65535, 1 << 20 };
	static const int good[] = { 0, 1, 12, 14, 101, 108, 113, 228, 229, 276 };
	struct seg ip, f;
	struct pkt p;

	pkt_v4(&ip, 4);
	fr_raw(&f, &ip);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(mta_linktype_supported(bad[i]));
		assert_int_equal(dec(bad[i], &f, &p), DEC_UNSUPPORTED_LINK);
		assert_int_equal(decode_guarded(bad[i], f.b, 0, 0, &p, NULL), DEC_UNSUPPORTED_LINK);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(mta_linktype_supported(good[i]));
	/* The engine counts unsupported link types from decode_frame's answer alone: the two must
	 * agree on every link type. */
	for (int lt = -2; lt <= 300; lt++)
		assert_int_equal(mta_linktype_supported(lt), dec(lt, &f, &p) != DEC_UNSUPPORTED_LINK);
}

/* ---- IPv4 ----------------------------------------------------------------------------- */

static void test_ipv4_options(void **state)
{
	(void)state;
	/* NOP, NOP, record route (len 7, pointer 4, one slot), EOL: 12 octets, IHL 8. */
	static const uint8_t opt[12] = { 1, 1, 7, 7, 4, 0, 0, 0, 0, 0, 0, 0 };
	struct seg t, ip, f;
	struct pkt p;
	size_t l4off, l4cap, l4wire;

	mk_plain_tcp(&t, 50);
	mk_ipv4(&ip, &t, opt, sizeof(opt), 6, 0);
	assert_int_equal(ip_parse(0x0800, ip.b, ip.len, ip.len, &p, &l4off, &l4cap, &l4wire),
			 DEC_OK);
	assert_int_equal(l4off, 32);
	assert_int_equal(l4cap, 70);
	assert_int_equal(l4wire, 70);
	/* Captured short: the window shrinks, the wire length does not. */
	assert_int_equal(ip_parse(0x0800, ip.b, 40, ip.len, &p, &l4off, &l4cap, &l4wire), DEC_OK);
	assert_int_equal(l4cap, 8);
	assert_int_equal(l4wire, 70);
	/* Link padding after the total length is not part of the segment. */
	assert_int_equal(ip_parse(0x0800, ip.b, ip.len + 6, ip.len + 6, &p, &l4off, &l4cap,
				  &l4wire),
			 DEC_OK);
	assert_int_equal(l4cap, 70);
	assert_int_equal(l4wire, 70);

	fr_eth(&f, &ip, 0x0800, NULL, 0, true);
	check_all_caplens(MTA_LINKTYPE_ETHERNET, &f, &p);
	assert_tcp_basics(&p, 4);
	assert_int_equal(p.payload_wire, 50);

	/* The largest header: IHL 15, 40 octets of options. */
	uint8_t big[40];
	memset(big, 1, sizeof(big));
	mk_ipv4(&ip, &t, big, sizeof(big), 6, 0);
	fr_raw(&f, &ip);
	check_all_caplens(MTA_LINKTYPE_RAW, &f, &p);
	assert_int_equal(f.hdr, 60 + 20);
}

/* Captured on the sender before segmentation offload: total length 0, the frame is the
 * packet. */
static void test_ipv4_tso(void **state)
{
	(void)state;
	struct seg t, ip, f;
	struct pkt p;

	mk_plain_tcp(&t, 1400);
	mk_ipv4(&ip, &t, NULL, 0, 6, 0x4000);
	be16(ip.b + 2, 0);
	fr_eth(&f, &ip, 0x0800, NULL, 0, true);
	check_all_caplens(MTA_LINKTYPE_ETHERNET, &f, &p);
	assert_tcp_basics(&p, 4);
	assert_int_equal(p.payload_wire, 1400);
	/* The wire length decides even when the capture is short. */
	assert_int_equal(decode_guarded(MTA_LINKTYPE_ETHERNET, f.b, 100, f.len + 10, &p, NULL),
			 DEC_OK);
	assert_int_equal(p.payload_len, 100 - 54);
	assert_int_equal(p.payload_wire, 1410);
	/* Total length 0 with options: the header still has to fit. */
	ip.b[0] = 0x4F;
	fr_raw(&f, &ip);
	f.len = 59;
	assert_int_equal(dec(MTA_LINKTYPE_RAW, &f, &p), DEC_MALFORMED);
}

static void test_ipv4_fragments(void **state)
{
	(void)state;
	static const uint16_t frag[] = {
		0x2000,          /* first: MF, offset 0 */
		0x2000 | 185,    /* middle */
		370,             /* last: offset only */
		0x4000 | 0x0001, /* DF with an offset still is a fragment */
		0x1FFF,
	};
	struct seg t, ip, f;
	struct pkt p;

	mk_plain_tcp(&t, 40);
	for (size_t i = 0; i < sizeof(frag) / sizeof(frag[0]); i++) {
		mk_ipv4(&ip, &t, NULL, 0, 6, frag[i]);
		fr_eth(&f, &ip, 0x0800, NULL, 0, true);
		assert_int_equal(dec(MTA_LINKTYPE_ETHERNET, &f, &p), DEC_FRAGMENT);
		/* A fragment of another protocol is counted as a fragment too. */
		mk_ipv4(&ip, &t, NULL, 0, 17, frag[i]);
		fr_raw(&f, &ip);
		assert_int_equal(dec(MTA_LINKTYPE_RAW, &f, &p), DEC_FRAGMENT);
	}
	/* DF alone, and the reserved bit, are not fragmentation. */
	mk_ipv4(&ip, &t, NULL, 0, 6, 0x4000);
	fr_raw(&f, &ip);
	assert_int_equal(dec(MTA_LINKTYPE_RAW, &f, &p), DEC_OK);
	mk_ipv4(&ip, &t, NULL, 0, 6, 0x8000);
	fr_raw(&f, &ip);
	assert_int_equal(dec(MTA_LINKTYPE_RAW, &f, &p), DEC_OK);
}

static void test_ipv4_not_tcp(void **state)
{
	(void)state;
	static const uint8_t protos[] = { 1, 17, 41, 47, 50, 51, 132, 255, 0 };
	struct seg t, ip, f;
	struct pkt p;

	mk_plain_tcp(&t, 10);
	for (size_t i = 0; i < sizeof(protos); i++) {
		mk_ipv4(&ip, &t, NULL, 0, protos[i], 0);
		fr_eth(&f, &ip, 0x0800, NULL, 0, true);
		assert_int_equal(dec(MTA_LINKTYPE_ETHERNET, &f, &p), DEC_NOT_TCP);
		/* The addresses are known even so. */
		assert_int_equal(p.ipver, 4);
		assert_memory_equal(p.src, V4SRC, 4);
	}
}

static void test_ipv4_malformed(void **state)
{
	(void)state;
	struct seg ip, f;
	struct pkt p;

	for (unsigned ihl = 0; ihl < 5; ihl++) {
		pkt_v4(&ip, 10);
		ip.b[0] = (uint8_t)(0x40 | ihl);
		fr_eth(&f, &ip, 0x0800, NULL, 0, true);
		assert_int_equal(dec(MTA_LINKTYPE_ETHERNET, &f, &p), DEC_MALFORMED);
		/* Known from the first octet: even a cut frame is malformed. */
		assert_int_equal(decode_guarded(MTA_LINKTYPE_ETHERNET, f.b, 15, f.len, &p, NULL),
				 DEC_MALFORMED);
	}

	/* Total length one more than the bytes on the wire. */
	pkt_v4(&ip, 10);
	be16(ip.b + 2, (unsigned)ip.len + 1);
	fr_raw(&f, &ip);
	assert_int_equal(dec(MTA_LINKTYPE_RAW, &f, &p), DEC_MALFORMED);
	/* ... and with a short snapshot it is still known from the wire length. */
	assert_int_equal(decode_guarded(MTA_LINKTYPE_RAW, f.b, 20, f.len, &p, NULL),
			 DEC_MALFORMED);
	/* Total length below the header length. */
	be16(ip.b + 2, 19);
	fr_raw(&f, &ip);
	assert_int_equal(dec(MTA_LINKTYPE_RAW, &f, &p), DEC_MALFORMED);
	be16(ip.b + 2, 1);
	fr_raw(&f, &ip);
	assert_int_equal(dec(MTA_LINKTYPE_RAW, &f, &p), DEC_MALFORMED);
	/* Header (IHL 15) longer than the whole packet. */
	pkt_v4(&ip, 0);
	ip.b[0] = 0x4F;
	fr_raw(&f, &ip);
	assert_int_equal(dec(MTA_LINKTYPE_RAW, &f, &p), DEC_MALFORMED);
	/* Total length leaves fewer than 20 octets for TCP. */
	pkt_v4(&ip, 0);
	be16(ip.b + 2, 30);
	fr_raw(&f, &ip);
	assert_int_equal(dec(MTA_LINKTYPE_RAW, &f, &p), DEC_MALFORMED);
	/* IPv4 ethertype, IPv6 header. */
	pkt_v6(&ip, 10);
	fr_eth(&f, &ip, 0x0800, NULL, 0, true);
	assert_int_equal(dec(MTA_LINKTYPE_ETHERNET, &f, &p), DEC_MALFORMED);
	/* Wire shorter than 20 octets. */
	pkt_v4(&ip, 0);
	assert_int_equal(decode_guarded(MTA_LINKTYPE_IPV4, ip.b, 12, 12, &p, NULL),
			 DEC_MALFORMED);
}

/* ---- IPv6 ----------------------------------------------------------------------------- */

static void test_ipv6_ext_chain(void **state)
{
	(void)state;
	uint8_t ext[256];
	size_t n = 0;
	struct seg t, ip, f;
	struct pkt p;
	size_t l4off, l4cap, l4wire;

	/* hop-by-hop (8) -> routing (24) -> destination options (16) -> TCP */
	n += put_ext(ext + n, 43, 0);
	n += put_ext(ext + n, 60, 2);
	n += put_ext(ext + n, 6, 1);
	assert_int_equal(n, 48);
	mk_tcp(&t, (const uint8_t *)"\x02\x04\x05\xa0", 4, 33, TCPF_ACK);
	mk_ipv6(&ip, &t, 0, ext, n);
	assert_int_equal(ip_parse(0x86DD, ip.b, ip.len, ip.len, &p, &l4off, &l4cap, &l4wire),
			 DEC_OK);
	assert_int_equal(l4off, 88);
	assert_int_equal(l4wire, 24 + 33);
	assert_int_equal(l4cap, 24 + 33);
	/* Cut inside the destination options: the TCP header is not captured. */
	assert_int_equal(ip_parse(0x86DD, ip.b, 80, ip.len, &p, &l4off, &l4cap, &l4wire),
			 DEC_TRUNCATED);

	fr_eth(&f, &ip, 0x86DD, NULL, 0, true);
	check_all_caplens(MTA_LINKTYPE_ETHERNET, &f, &p);
	assert_tcp_basics(&p, 6);
	assert_true(p.has_mss);
	assert_int_equal(p.mss, 1440);
	assert_int_equal(p.payload_wire, 33);

	/* Destination options twice and the largest unit count (2048 octets do not fit the
	 * builder; 255 units would, on IPv6 jumbo links only). */
	n = 0;
	n += put_ext(ext + n, 60, 0);
	n += put_ext(ext + n, 6, 20);
	mk_ipv6(&ip, &t, 60, ext, n);
	fr_sll2(&f, &ip, 0x86DD);
	check_all_caplens(MTA_LINKTYPE_LINUX_SLL2, &f, &p);
	assert_tcp_basics(&p, 6);
}

static void test_ipv6_ah(void **state)
{
	(void)state;
	uint8_t ext[128];
	size_t n = 0;
	struct seg t, ip, f;
	struct pkt p;
	size_t l4off, l4cap, l4wire;

	/* hop-by-hop -> AH (len 4: 24 octets, HMAC-SHA1-96) -> TCP */
	n += put_ext(ext + n, 51, 0);
	n += put_ah(ext + n, 6, 4);
	assert_int_equal(n, 32);
	mk_plain_tcp(&t, 17);
	mk_ipv6(&ip, &t, 0, ext, n);
	assert_int_equal(ip_parse(0x86DD, ip.b, ip.len, ip.len, &p, &l4off, &l4cap, &l4wire),
			 DEC_OK);
	assert_int_equal(l4off, 72);
	fr_eth(&f, &ip, 0x86DD, NULL, 0, true);
	check_all_caplens(MTA_LINKTYPE_ETHERNET, &f, &p);
	assert_tcp_basics(&p, 6);
	assert_int_equal(p.payload_wire, 17);

	/* AH directly, an odd 4-octet count (len 3: 20 octets; legal for IPv4-style AH). */
	n = put_ah(ext, 6, 3);
	mk_ipv6(&ip, &t, 51, ext, n);
	assert_int_equal(ip_parse(0x86DD, ip.b, ip.len, ip.len, &p, &l4off, &l4cap, &l4wire),
			 DEC_OK);
	assert_int_equal(l4off, 60);
	fr_raw(&f, &ip);
	check_all_caplens(MTA_LINKTYPE_RAW, &f, &p);
}

static void test_ipv6_fragment_and_not_tcp(void **state)
{
	(void)state;
	uint8_t ext[64];
	size_t n;
	struct seg t, ip, f;
	struct pkt p;

	mk_plain_tcp(&t, 30);

	/* Fragment header directly, and after hop-by-hop; first and later fragments. */
	memset(ext, 0, sizeof(ext));
	ext[0] = 6;
	be16(ext + 2, 0x0001); /* offset 0, M */
	mk_ipv6(&ip, &t, 44, ext, 8);
	fr_eth(&f, &ip, 0x86DD, NULL, 0, true);
	assert_int_equal(dec(MTA_LINKTYPE_ETHERNET, &f, &p), DEC_FRAGMENT);
	assert_int_equal(p.ipver, 6);
	be16(ext + 2, 0x0100); /* offset 32 octets, last */
	mk_ipv6(&ip, &t, 44, ext, 8);
	fr_raw(&f, &ip);
	assert_int_equal(dec(MTA_LINKTYPE_RAW, &f, &p), DEC_FRAGMENT);
	n = put_ext(ext, 44, 0);
	memset(ext + n, 0, 8);
	ext[n] = 6;
	be16(ext + n + 2, 0x0001);
	mk_ipv6(&ip, &t, 0, ext, n + 8);
	fr_raw(&f, &ip);
	assert_int_equal(dec(MTA_LINKTYPE_RAW, &f, &p), DEC_FRAGMENT);

	/* ESP: opaque, not TCP as far as we can tell. */
	memset(ext, 0x55, 16);
	mk_ipv6(&ip, &t, 50, ext, 16);
	fr_raw(&f, &ip);
	assert_int_equal(dec(MTA_LINKTYPE_RAW, &f, &p), DEC_NOT_TCP);
	/* No next header, directly and after destination options. */
	mk_ipv6(&ip, &t, 59, NULL, 0);
	fr_raw(&f, &ip);
	assert_int_equal(dec(MTA_LINKTYPE_RAW, &f, &p), DEC_NOT_TCP);
	n = put_ext(ext, 59, 0);
	mk_ipv6(&ip, &t, 60, ext, n);
	fr_raw(&f, &ip);
	assert_int_equal(dec(MTA_LINKTYPE_RAW, &f, &p), DEC_NOT_TCP);
	/* UDP, ICMPv6. */
	mk_ipv6(&ip, &t, 17, NULL, 0);
	fr_raw(&f, &ip);
	assert_int_equal(dec(MTA_LINKTYPE_RAW, &f, &p), DEC_NOT_TCP);
	mk_ipv6(&ip, &t, 58, NULL, 0);
	fr_raw(&f, &ip);
	assert_int_equal(dec(MTA_LINKTYPE_RAW, &f, &p), DEC_NOT_TCP);
}

static void test_ipv6_chain_limit(void **state)
{
	(void)state;
	uint8_t ext[8 * 20];
	struct seg t, ip, f;
	struct pkt p;

	mk_plain_tcp(&t, 1);
	/* 16 destination-option headers: decoded. */
	for (size_t i = 0; i < 16; i++)
		put_ext(ext + 8 * i, i == 15 ? 6 : 60, 0);
	mk_ipv6(&ip, &t, 60, ext, 8 * 16);
	fr_raw(&f, &ip);
	check_all_caplens(MTA_LINKTYPE_RAW, &f, &p);
	/* 17: beyond the walk's limit, not decoded (and not called malformed). */
	for (size_t i = 0; i < 17; i++)
		put_ext(ext + 8 * i, i == 16 ? 6 : 60, 0);
	mk_ipv6(&ip, &t, 60, ext, 8 * 17);
	fr_raw(&f, &ip);
	assert_int_equal(dec(MTA_LINKTYPE_RAW, &f, &p), DEC_NOT_TCP);
}

static void test_ipv6_malformed(void **state)
{
	(void)state;
	uint8_t ext[64];
	size_t n;
	struct seg t, ip, f;
	struct pkt p;

	/* Payload length beyond the wire. */
	pkt_v6(&ip, 10);
	be16(ip.b + 4, 31);
	fr_raw(&f, &ip);
	assert_int_equal(dec(MTA_LINKTYPE_RAW, &f, &p), DEC_MALFORMED);
	/* Zero payload length: a jumbogram, not decoded. */
	be16(ip.b + 4, 0);
	fr_raw(&f, &ip);
	assert_int_equal(dec(MTA_LINKTYPE_RAW, &f, &p), DEC_MALFORMED);
	ip.b[6] = 0;
	fr_raw(&f, &ip);
	assert_int_equal(dec(MTA_LINKTYPE_RAW, &f, &p), DEC_MALFORMED);
	/* Shorter than the fixed header on the wire. */
	pkt_v6(&ip, 0);
	assert_int_equal(decode_guarded(MTA_LINKTYPE_IPV6, ip.b, 39, 39, &p, NULL),
			 DEC_MALFORMED);
	/* IPv6 ethertype, IPv4 header. */
	pkt_v4(&ip, 10);
	fr_sll(&f, &ip, 0x86DD);
	assert_int_equal(dec(MTA_LINKTYPE_LINUX_SLL, &f, &p), DEC_MALFORMED);

	/* An extension header running past the payload length. */
	mk_plain_tcp(&t, 0);
	n = put_ext(ext, 6, 0);
	mk_ipv6(&ip, &t, 0, ext, n);
	ip.b[41] = 4; /* 40 octets, but only 28 remain */
	fr_raw(&f, &ip);
	assert_int_equal(dec(MTA_LINKTYPE_RAW, &f, &p), DEC_MALFORMED);
	/* ... known even when the capture ends right after its length octet. */
	assert_int_equal(decode_guarded(MTA_LINKTYPE_RAW, f.b, 42, f.len, &p, NULL),
			 DEC_MALFORMED);
	/* AH past the payload. */
	n = put_ah(ext, 6, 4);
	mk_ipv6(&ip, &t, 51, ext, n);
	ip.b[41] = 20;
	fr_raw(&f, &ip);
	assert_int_equal(dec(MTA_LINKTYPE_RAW, &f, &p), DEC_MALFORMED);
	/* Payload ends in the middle of an extension header's first two octets. */
	mk_ipv6(&ip, &t, 0, NULL, 0);
	be16(ip.b + 4, 1);
	fr_raw(&f, &ip);
	f.len = 41;
	assert_int_equal(dec(MTA_LINKTYPE_RAW, &f, &p), DEC_MALFORMED);
	/* A fragment header that does not fit. */
	mk_ipv6(&ip, &t, 44, NULL, 0);
	be16(ip.b + 4, 4);
	fr_raw(&f, &ip);
	f.len = 44;
	assert_int_equal(dec(MTA_LINKTYPE_RAW, &f, &p), DEC_MALFORMED);
	/* TCP with fewer than 20 octets of payload length left. */
	mk_ipv6(&ip, &t, 6, NULL, 0);
	be16(ip.b + 4, 19);
	fr_raw(&f, &ip);
	f.len = 59;
	assert_int_equal(dec(MTA_LINKTYPE_RAW, &f, &p), DEC_MALFORMED);
}

/* ---- TCP ------------------------------------------------------------------------------ */

static void test_tcp_options(void **state)
{
	(void)state;
	/* MSS 1460, NOP, WS 7, SACK permitted, timestamps, NOP NOP, EOL + pad: a typical SYN. */
	static const uint8_t syn[] = { 2, 4, 0x05, 0xB4, 1, 3, 3, 7, 4, 2, 8, 10, 1, 2, 3, 4,
				       5, 6, 7, 8, 1, 1, 0, 0 };
	struct seg t, ip, f;
	struct pkt p;

	mk_tcp(&t, syn, sizeof(syn), 0, TCPF_SYN);
	mk_ipv4(&ip, &t, NULL, 0, 6, 0x4000);
	fr_eth(&f, &ip, 0x0800, NULL, 0, true);
	check_all_caplens(MTA_LINKTYPE_ETHERNET, &f, &p);
	assert_tcp_basics(&p, 4);
	assert_int_equal(p.flags, TCPF_SYN);
	assert_true(p.has_mss);
	assert_int_equal(p.mss, 1460);
	assert_true(p.has_wscale);
	assert_int_equal(p.wscale, 7);
	assert_true(p.sack_permitted);
	assert_int_equal(p.payload_wire, 0);

	/* Every flag bit comes through. */
	mk_tcp(&t, NULL, 0, 0, 0xFF);
	mk_ipv4(&ip, &t, NULL, 0, 6, 0);
	fr_raw(&f, &ip);
	assert_int_equal(dec(MTA_LINKTYPE_RAW, &f, &p), DEC_OK);
	assert_int_equal(p.flags, 0xFF);
}

static void test_tcp_options_odd(void **state)
{
	(void)state;
	struct seg t, ip, f;
	struct pkt p;
	static const struct {
		uint8_t opt[40];
		size_t len;
		bool mss, ws, sack;
		uint16_t mssv;
		uint8_t wsv;
	} cases[] = {
		/* Options after EOL are not read. */
		{ { 0, 2, 4, 5, 0xB4, 0, 0, 0 }, 8, false, false, false, 0, 0 },
		/* Zero option length: stop, keep what came before. */
		{ { 2, 4, 1, 0, 3, 0, 7, 0 }, 8, true, false, false, 256, 0 },
		/* Option length 1: stop. */
		{ { 4, 2, 3, 1, 7, 0, 0, 0 }, 8, false, false, true, 0, 0 },
		/* Length running past the header: stop. */
		{ { 1, 1, 3, 3, 9, 2, 9, 5 }, 8, false, true, false, 0, 9 },
		/* MSS / window scale whose length is right but runs past the header (into the
		 * payload, or the guard page when the capture ends with the header). */
		{ { 1, 1, 1, 1, 1, 2, 4, 5 }, 8, false, false, false, 0, 0 },
		{ { 4, 2, 1, 1, 1, 1, 3, 3 }, 8, false, false, true, 0, 0 },
		/* Kind in the last octet with no room for its length. */
		{ { 1, 1, 1, 1, 1, 1, 1, 2 }, 8, false, false, false, 0, 0 },
		/* MSS with the wrong length is skipped, the next option still read. */
		{ { 2, 3, 5, 4, 2, 1, 1, 0 }, 8, false, false, true, 0, 0 },
		/* Window scale above 14 is used as 14 (RFC 7323 2.3). */
		{ { 3, 3, 200, 1 }, 4, false, true, false, 0, 14 },
		{ { 3, 3, 14, 1 }, 4, false, true, false, 0, 14 },
		/* Unknown option (experimental 254, length 6) skipped. */
		{ { 254, 6, 1, 2, 3, 4, 2, 4, 0x21, 0x34, 0, 0 }, 12, true, false, false, 0x2134, 0 },
		/* 40 octets of NOPs. */
		{ { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
		    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 },
		  40, false, false, false, 0, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mk_tcp(&t, cases[i].opt, cases[i].len, 11, TCPF_SYN | TCPF_ACK);
		mk_ipv6(&ip, &t, 6, NULL, 0);
		fr_sll(&f, &ip, 0x86DD);
		check_all_caplens(MTA_LINKTYPE_LINUX_SLL, &f, &p);
		assert_int_equal(p.has_mss, cases[i].mss);
		assert_int_equal(p.has_wscale, cases[i].ws);
		assert_int_equal(p.sack_permitted, cases[i].sack);
		assert_int_equal(p.mss, cases[i].mssv);
		assert_int_equal(p.wscale, cases[i].wsv);
		assert_int_equal(p.payload_wire, 11);
	}
}

static void test_tcp_malformed(void **state)
{
	(void)state;
	struct seg t, ip, f;
	struct pkt p;

	for (unsigned doff = 0; doff < 5; doff++) {
		mk_plain_tcp(&t, 30);
		t.b[12] = (uint8_t)(doff << 4);
		mk_ipv4(&ip, &t, NULL, 0, 6, 0);
		fr_eth(&f, &ip, 0x0800, NULL, 0, true);
		assert_int_equal(dec(MTA_LINKTYPE_ETHERNET, &f, &p), DEC_MALFORMED);
	}
	/* Data offset 15 (60 octets) in a 20 + 30 octet segment: beyond the segment even though
	 * the frame (with padding) would hold it. */
	mk_plain_tcp(&t, 30);
	t.b[12] = 0xF0;
	mk_ipv4(&ip, &t, NULL, 0, 6, 0);
	fr_eth(&f, &ip, 0x0800, NULL, 0, true);
	f.len += 40;
	assert_int_equal(dec(MTA_LINKTYPE_ETHERNET, &f, &p), DEC_MALFORMED);
	/* ... and also when the capture stops before the options. */
	assert_int_equal(decode_guarded(MTA_LINKTYPE_ETHERNET, f.b, 14 + 20 + 20, f.len, &p, NULL),
			 DEC_MALFORMED);
	/* Data offset 6 in a 20-octet segment (IPv6). */
	mk_plain_tcp(&t, 0);
	t.b[12] = 0x60;
	mk_ipv6(&ip, &t, 6, NULL, 0);
	fr_raw(&f, &ip);
	assert_int_equal(dec(MTA_LINKTYPE_RAW, &f, &p), DEC_MALFORMED);
	/* Exactly fitting: data offset 6 with 4 octets of options and no payload is fine. */
	mk_tcp(&t, (const uint8_t *)"\x01\x01\x01\x00", 4, 0, TCPF_ACK);
	mk_ipv6(&ip, &t, 6, NULL, 0);
	fr_raw(&f, &ip);
	check_all_caplens(MTA_LINKTYPE_RAW, &f, &p);
}

/* Direct calls of the three layers on the edges of their contracts. */
static void test_layer_edges(void **state)
{
	(void)state;
	struct seg t, ip;
	struct pkt p;
	size_t l4off = 99, l4cap = 99, l4wire = 99, l3off;
	uint16_t et;
	uint8_t *g;

	mk_plain_tcp(&t, 10);
	/* tcp_parse: payload captured to 4 of 10 octets. */
	g = tu_guarded_copy(t.b, 24);
	memset(&p, 0, sizeof(p));
	assert_int_equal(tcp_parse(g, 24, t.len, &p), DEC_OK);
	assert_ptr_equal(p.payload, g + 20);
	assert_int_equal(p.payload_len, 4);
	assert_int_equal(p.payload_wire, 10);
	assert_int_equal(tcp_parse(g, 19, t.len, &p), DEC_TRUNCATED);
	assert_int_equal(tcp_parse(g, 19, 19, &p), DEC_MALFORMED);
	assert_int_equal(tcp_parse(g, 0, 0, &p), DEC_MALFORMED);
	assert_int_equal(tcp_parse(g, 0, 20, &p), DEC_TRUNCATED);
	/* A caller passing caplen > wirelen gets the wire length as the capture. */
	assert_int_equal(tcp_parse(g, 24, 22, &p), DEC_OK);
	assert_int_equal(p.payload_len, 2);
	assert_int_equal(p.payload_wire, 2);
	tu_guarded_free(g, 24);

	/* ip_parse: unknown ethertype, empty input. */
	pkt_v4(&ip, 0);
	assert_int_equal(ip_parse(0x0806, ip.b, ip.len, ip.len, &p, &l4off, &l4cap, &l4wire),
			 DEC_NOT_IP);
	assert_int_equal(ip_parse(0x0800, ip.b, 0, ip.len, &p, &l4off, &l4cap, &l4wire),
			 DEC_TRUNCATED);
	assert_int_equal(ip_parse(0x86DD, ip.b, 0, 0, &p, &l4off, &l4cap, &l4wire),
			 DEC_TRUNCATED);

	/* link_parse: each header one octet short is truncated. */
	uint8_t z[32] = { 0 };
	assert_int_equal(link_parse(MTA_LINKTYPE_ETHERNET, z, 13, &et, &l3off), DEC_TRUNCATED);
	assert_int_equal(link_parse(MTA_LINKTYPE_LINUX_SLL, z, 15, &et, &l3off), DEC_TRUNCATED);
	assert_int_equal(link_parse(MTA_LINKTYPE_LINUX_SLL2, z, 19, &et, &l3off), DEC_TRUNCATED);
	assert_int_equal(link_parse(MTA_LINKTYPE_NULL, z, 3, &et, &l3off), DEC_TRUNCATED);
	assert_int_equal(link_parse(MTA_LINKTYPE_LOOP, z, 3, &et, &l3off), DEC_TRUNCATED);
	assert_int_equal(link_parse(MTA_LINKTYPE_RAW, z, 0, &et, &l3off), DEC_TRUNCATED);
	/* A VLAN tag cut in half. */
	z[12] = 0x81;
	z[13] = 0x00;
	assert_int_equal(link_parse(MTA_LINKTYPE_ETHERNET, z, 16, &et, &l3off), DEC_TRUNCATED);
	z[16] = 0x08;
	z[17] = 0x00;
	assert_int_equal(link_parse(MTA_LINKTYPE_ETHERNET, z, 18, &et, &l3off), DEC_OK);
	assert_int_equal(l3off, 18);
	assert_int_equal(et, 0x0800);
	/* A frame of nothing but VLAN tags. */
	for (size_t i = 12; i + 1 < sizeof(z); i += 4) {
		z[i] = 0x81;
		z[i + 1] = 0x00;
	}
	for (size_t c = 0; c <= sizeof(z); c++)
		assert_int_equal(decode_guarded(MTA_LINKTYPE_ETHERNET, z, c, sizeof(z), &p, NULL),
				 DEC_TRUNCATED);

	/* decode_frame with caplen > wirelen reads only wirelen octets. */
	struct seg f;
	pkt_v4(&ip, 10);
	fr_raw(&f, &ip);
	g = tu_guarded_copy(f.b, f.len);
	assert_int_equal(decode_frame(MTA_LINKTYPE_RAW, g, f.len, f.len - 4, &p), DEC_MALFORMED);
	tu_guarded_free(g, f.len);
}

/* ---- random input --------------------------------------------------------------------- */

static uint32_t rng_state;

static uint32_t rng(void)
{
	/* xorshift32: deterministic across platforms */
	uint32_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return rng_state = x;
}

static const int fuzz_lts[] = { 0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 105 };

/* Make random bytes look like an IPv4 (v4) or IPv6 packet carrying TCP in the link type lt,
 * with IP lengths that fit the wire length, so that the deeper layers see random input too. */
static void bias(int lt, uint8_t *b, size_t n, size_t wire, bool v4)
{
	uint16_t et = v4 ? 0x0800 : 0x86DD;
	size_t l = 0;

	switch (lt) {
	case MTA_LINKTYPE_ETHERNET:
		l = 14;
		if (n >= l)
			be16(b + 12, et);
		break;
	case MTA_LINKTYPE_LINUX_SLL:
		l = 16;
		if (n >= l)
			be16(b + 14, et);
		break;
	case MTA_LINKTYPE_LINUX_SLL2:
		l = 20;
		if (n >= l)
			be16(b, et);
		break;
	case MTA_LINKTYPE_NULL:
	case MTA_LINKTYPE_LOOP:
		l = 4;
		if (n >= l)
			be32(b, v4 ? 2 : 30);
		break;
	default:
		break;
	}
	if (v4 && n >= l + 20) {
		b[l] = (uint8_t)(0x45 + rng() % 4);
		be16(b + l + 2, (unsigned)(wire - l - rng() % 8));
		b[l + 6] &= 0x40;
		b[l + 7] = 0;
		b[l + 9] = 6;
	} else if (!v4 && n >= l + 40) {
		static const uint8_t nh[] = { 6, 6, 0, 43, 60, 51, 44 };
		b[l] = 0x60;
		be16(b + l + 4, (unsigned)(wire - l - 40 - rng() % 8));
		b[l + 6] = nh[rng() % sizeof(nh)];
	}
}

/* Random bytes of random lengths for each link type, random wire lengths at or above the
 * capture: no crash, no read past the capture (guard page), a known status and, when OK, a
 * payload window inside the capture. */
static void test_random_bytes(void **state)
{
	(void)state;
	uint8_t buf[512];
	struct pkt p;
	unsigned counts[DEC_MALFORMED + 1] = { 0 };

	rng_state = 0x6d746164u;
	for (size_t li = 0; li < sizeof(fuzz_lts) / sizeof(fuzz_lts[0]); li++) {
		for (int i = 0; i < 3000; i++) {
			size_t n = rng() % sizeof(buf);
			for (size_t k = 0; k < n; k++)
				buf[k] = (uint8_t)rng();
			size_t wire = n + ((i & 4) ? rng() % 64 : 0);
			if (i & 1)
				bias(fuzz_lts[li], buf, n, wire, (i & 2) != 0);
			enum dec_status st = decode_guarded(fuzz_lts[li], buf, n, wire, &p, NULL);
			assert_true(st >= DEC_OK && st <= DEC_MALFORMED);
			if (fuzz_lts[li] == 105)
				assert_int_equal(st, DEC_UNSUPPORTED_LINK);
			counts[st]++;
		}
	}
	/* The biasing above must reach the TCP layer for the test to mean anything. */
	assert_true(counts[DEC_OK] > 100);
	assert_true(counts[DEC_MALFORMED] > 100);
	assert_true(counts[DEC_TRUNCATED] > 100);
}

/* Valid frames with a few random octets changed, decoded at every capture length: whatever
 * the complete frame decodes to, every shorter capture decodes to that or to DEC_TRUNCATED,
 * and once DEC_OK the headers agree with the complete frame's. */
/* Ethernet II + IPv4 + TCP has a fast path in decode_frame; the same IPv4 packet behind a Linux
 * cooked header (protocol 0x0800) takes the general path.  The two must agree on every frame:
 * status, every header field, the payload window, for mutated headers (lengths, version and
 * header length, fragment bits, protocol, TCP data offset, options), every snapshot length and
 * wire lengths beyond the capture. */
static void test_fast_path_matches_general(void **state)
{
	(void)state;
	struct seg t, ip, base[6], eth, sll;
	size_t nb = 0;
	unsigned ok = 0, compared = 0;

	static const uint8_t ts[] = { 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2 };
	static const uint8_t syn[] = { 2, 4, 0x05, 0xB4, 1, 3, 3, 7, 4, 2, 0, 0 };
	mk_tcp(&t, NULL, 0, 30, TCPF_ACK | TCPF_PSH);
	mk_ipv4(&base[nb++], &t, NULL, 0, 6, 0x4000);
	mk_tcp(&t, ts, sizeof(ts), 700, TCPF_ACK);
	mk_ipv4(&base[nb++], &t, NULL, 0, 6, 0);
	mk_tcp(&t, syn, sizeof(syn), 0, TCPF_SYN);
	mk_ipv4(&base[nb++], &t, NULL, 0, 6, 0);
	mk_tcp(&t, NULL, 0, 0, TCPF_ACK);
	mk_ipv4(&base[nb++], &t, NULL, 0, 6, 0);
	mk_tcp(&t, NULL, 0, 5, TCPF_ACK);
	mk_ipv4(&base[nb++], &t, (const uint8_t *)"\x01\x01\x01\x00", 4, 6, 0);
	mk_tcp(&t, ts, sizeof(ts), 40, TCPF_ACK);
	mk_ipv4(&base[nb++], &t, NULL, 0, 6, 0x2000 /* MF */);

	rng_state = 0x9e3779b9u;
	for (size_t b = 0; b < nb; b++) {
		for (int i = 0; i < 400; i++) {
			ip = base[b];
			unsigned flips = i == 0 ? 0 : 1 + rng() % 3;
			for (unsigned k = 0; k < flips; k++) {
				size_t at = rng() % (ip.hdr + 2);
				if (rng() & 1)
					ip.b[at] = (uint8_t)rng();
				else
					ip.b[at] ^= (uint8_t)(1u << (rng() % 8));
			}
			fr_eth(&eth, &ip, 0x0800, NULL, 0, true);
			fr_sll(&sll, &ip, 0x0800);
			size_t extra = rng() % 3 == 0 ? rng() % 64 : 0; /* not captured */
			for (size_t c = 0; c <= eth.len; c++) {
				struct pkt pe, ps;
				size_t oe = 0, os = 0;
				size_t cs = c < 14 ? 0 : c - 14 + 16;
				if (c < 14 + 20 + 20 && c != eth.len)
					continue; /* the fast path needs the three headers */
				enum dec_status se = decode_guarded(MTA_LINKTYPE_ETHERNET, eth.b, c,
								    eth.len + extra, &pe, &oe);
				enum dec_status ss = decode_guarded(MTA_LINKTYPE_LINUX_SLL, sll.b, cs,
								    eth.len + extra + 2, &ps, &os);
				compared++;
				if (se != ss)
					fail_msg("base %zu mutation %d caplen %zu: fast %d, general %d", b,
						 i, c, (int)se, (int)ss);
				if (se != DEC_OK)
					continue;
				ok++;
				assert_same_headers(&pe, &ps);
				assert_int_equal(pe.payload_len, ps.payload_len);
				assert_int_equal(pe.payload_wire, ps.payload_wire);
				assert_int_equal(oe + 2, os);
			}
		}
	}
	/* the comparison covered decoded frames and rejected ones alike */
	assert_true(ok > 1000);
	assert_true(compared - ok > 1000);
}

static void test_mutated_prefixes(void **state)
{
	(void)state;
	uint8_t ext[64];
	struct seg t, ip, base[8], f;
	struct pkt full, p;
	int lt[8];
	size_t nb = 0;
	unsigned ok_full = 0;

	static const uint8_t syn[] = { 2, 4, 0x05, 0xB4, 1, 3, 3, 7, 4, 2, 0, 0 };
	static const uint16_t qinq[] = { 0x88A8, 0x8100 };
	mk_tcp(&t, syn, sizeof(syn), 9, TCPF_SYN);
	mk_ipv4(&ip, &t, (const uint8_t *)"\x01\x01\x01\x00", 4, 6, 0);
	fr_eth(&base[nb], &ip, 0x0800, qinq, 2, true);
	lt[nb++] = MTA_LINKTYPE_ETHERNET;
	fr_null(&base[nb], &ip, 2, false);
	lt[nb++] = MTA_LINKTYPE_NULL;
	struct seg ppp;
	mk_pppoe(&ppp, &ip, 0x0021);
	fr_eth(&base[nb], &ppp, 0x8864, NULL, 0, true);
	lt[nb++] = MTA_LINKTYPE_ETHERNET;
	size_t n = put_ext(ext, 51, 0);
	n += put_ah(ext + n, 60, 4);
	n += put_ext(ext + n, 6, 0);
	mk_ipv6(&ip, &t, 0, ext, n);
	fr_sll2(&base[nb], &ip, 0x86DD);
	lt[nb++] = MTA_LINKTYPE_LINUX_SLL2;
	fr_sll(&base[nb], &ip, 0x86DD);
	lt[nb++] = MTA_LINKTYPE_LINUX_SLL;
	fr_raw(&base[nb], &ip);
	lt[nb++] = MTA_LINKTYPE_RAW;
	fr_null(&base[nb], &ip, 24, true);
	lt[nb++] = MTA_LINKTYPE_LOOP;

	rng_state = 0x12345678u;
	for (size_t b = 0; b < nb; b++) {
		for (int i = 0; i < 120; i++) {
			f = base[b];
			unsigned flips = 1 + rng() % 3;
			for (unsigned k = 0; k < flips; k++) {
				/* Mostly in the headers, where the lengths live. */
				size_t at = rng() % (f.hdr + 4 < f.len ? f.hdr + 4 : f.len);
				if (rng() & 1)
					f.b[at] = (uint8_t)rng();
				else
					f.b[at] ^= (uint8_t)(1u << (rng() % 8));
			}
			enum dec_status fst = decode_guarded(lt[b], f.b, f.len, f.len, &full, NULL);
			ok_full += fst == DEC_OK;
			bool seen_ok = false;
			for (size_t c = 0; c <= f.len; c++) {
				enum dec_status st = decode_guarded(lt[b], f.b, c, f.len, &p, NULL);
				if (st != DEC_TRUNCATED && st != fst)
					fail_msg("frame %zu mutation %d caplen %zu: %d, complete %d", b,
						 i, c, (int)st, (int)fst);
				if (st == DEC_OK) {
					assert_same_headers(&p, &full);
					assert_int_equal(p.payload_wire, full.payload_wire);
					seen_ok = true;
				} else {
					assert_false(seen_ok); /* OK stays OK as the capture grows */
				}
			}
		}
	}
	assert_true(ok_full > 50);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ethernet_ipv4),
		cmocka_unit_test(test_ethernet_ipv6),
		cmocka_unit_test(test_ethernet_padding),
		cmocka_unit_test(test_vlan_tags),
		cmocka_unit_test(test_ethernet_not_ip),
		cmocka_unit_test(test_pppoe),
		cmocka_unit_test(test_sll),
		cmocka_unit_test(test_sll2),
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_linktype_ipv4_ipv6),
		cmocka_unit_test(test_null_loop),
		cmocka_unit_test(test_unsupported_link),
		cmocka_unit_test(test_ipv4_options),
		cmocka_unit_test(test_ipv4_tso),
		cmocka_unit_test(test_ipv4_fragments),
		cmocka_unit_test(test_ipv4_not_tcp),
		cmocka_unit_test(test_ipv4_malformed),
		cmocka_unit_test(test_ipv6_ext_chain),
		cmocka_unit_test(test_ipv6_ah),
		cmocka_unit_test(test_ipv6_fragment_and_not_tcp),
		cmocka_unit_test(test_ipv6_chain_limit),
		cmocka_unit_test(test_ipv6_malformed),
		cmocka_unit_test(test_tcp_options),
		cmocka_unit_test(test_tcp_options_odd),
		cmocka_unit_test(test_tcp_malformed),
		cmocka_unit_test(test_layer_edges),
		cmocka_unit_test(test_random_bytes),
		cmocka_unit_test(test_mutated_prefixes),
		cmocka_unit_test(test_fast_path_matches_general),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
