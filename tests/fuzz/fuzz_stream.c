/* fuzz_stream.c — the application analysers driven through the engine: the input is cut into
 * chunks (2-octet length + bytes) sent alternately by client and server of one TCP connection
 * on the SMTP or the OSI port (first octet), each chunk one segment in an exact-size frame;
 * the second octet's bits vary PSH, segment splitting and a final FIN or RST. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtadiag/engine.h"

static void on_finding(void *u, const struct mta_finding *f)
{
	(void)u;
	free(mta_finding_json(f));
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static void send_seg(struct mta_engine *e, uint64_t *frame, int c2s, uint16_t sport,
		     uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags, const uint8_t *d,
		     size_t n)
{
	size_t fl = 40 + n;
	uint8_t *b = malloc(fl);
	if (!b)
		return;
	memset(b, 0, 40);
	b[0] = 0x45;
	put16(b + 2, (uint16_t)fl);
	b[8] = 64;
	b[9] = 6;
	put32(b + 12, c2s ? 0xC0000201u : 0xC6336402u);
	put32(b + 16, c2s ? 0xC6336402u : 0xC0000201u);
	put16(b + 20, c2s ? sport : dport);
	put16(b + 22, c2s ? dport : sport);
	put32(b + 24, seq);
	put32(b + 28, ack);
	b[32] = 5 << 4;
	b[33] = flags;
	put16(b + 34, 65535);
	if (n)
		memcpy(b + 40, d, n);
	++*frame;
	struct mta_frame f = { *frame, { 1700000000 + (int64_t)*frame, 0 }, MTA_LINKTYPE_RAW, b,
			       (uint32_t)fl, (uint32_t)fl };
	mta_engine_feed(e, &f);
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2 || size > 65536)
		return 0;
	uint16_t dport = (data[0] & 1) ? 102 : 25;
	uint8_t mode = data[1];
	struct mta_config cfg;
	mta_config_defaults(&cfg);
	cfg.max_buf_per_dir = 16 * 1024;
	cfg.max_line = 1024;
	struct mta_hooks hooks = { .on_finding = on_finding };
	struct mta_engine *e = mta_engine_new(&cfg, &hooks, NULL);
	if (!e)
		return 0;
	uint64_t frame = 0;
	uint32_t seq[2] = { 1000, 90000 };
	send_seg(e, &frame, 1, 40000, dport, seq[0]++, 0, 0x02, NULL, 0);
	send_seg(e, &frame, 0, 40000, dport, seq[1]++, seq[0], 0x12, NULL, 0);
	size_t off = 2;
	int c2s = dport == 25 ? 0 : 1; /* SMTP servers speak first, OSI initiators do */
	while (size - off >= 2) {
		size_t n = (size_t)((data[off] << 8) | data[off + 1]) % 2048;
		off += 2;
		if (n > size - off)
			n = size - off;
		int d = c2s ? 0 : 1;
		uint8_t flags = 0x10 | ((mode & 1) ? 0 : 0x08);
		if ((mode & 2) && n > 1) {
			size_t h = n / 2;
			send_seg(e, &frame, c2s, 40000, dport, seq[d], seq[!d], 0x10, data + off, h);
			send_seg(e, &frame, c2s, 40000, dport, seq[d] + (uint32_t)h, seq[!d], flags,
				 data + off + h, n - h);
		} else {
			send_seg(e, &frame, c2s, 40000, dport, seq[d], seq[!d], flags, data + off, n);
		}
		seq[d] += (uint32_t)n;
		off += n;
		c2s = !c2s;
	}
	if (mode & 4)
		send_seg(e, &frame, 1, 40000, dport, seq[0], seq[1], 0x14, NULL, 0);
	else if (mode & 8)
		send_seg(e, &frame, 0, 40000, dport, seq[1], seq[0], 0x11, NULL, 0);
	mta_engine_finish(e);
	mta_engine_free(e);
	return 0;
}
