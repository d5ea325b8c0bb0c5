/* fuzz_pcap.c — end to end: the input is a classic pcap file; every record goes to an engine
 * (records copied into exact-size buffers), then the capture is finished and the output
 * rendered.  The header's thiszone field (unused by readers) supplies the upper 32 bits of
 * every record's seconds, so the 64-bit timestamps pcapng can carry are reached too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtadiag/engine.h"

static void on_finding(void *u, const struct mta_finding *f)
{
	(void)u;
	free(mta_finding_json(f));
	free(mta_finding_text(f));
}

static void on_summary(void *u, const struct mta_summary *s)
{
	(void)u;
	if (!s->json || !s->text)
		abort();
}

static uint32_t get32(const uint8_t *p, int swap)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 24)
		return 0;
	uint32_t magic;
	memcpy(&magic, data, 4);
	int swap;
	if (magic == 0xa1b2c3d4u || magic == 0xa1b23c4du)
		swap = 0;
	else if (magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u)
		swap = 1;
	else
		return 0;
	int nsec = magic == 0xa1b23c4du || magic == 0x4d3cb2a1u;
	int linktype = (int)(get32(data + 20, swap) & 0x0fffffff);
	int64_t sec_hi = (int64_t)(int32_t)get32(data + 8, swap) * ((int64_t)1 << 32);

	struct mta_config cfg;
	mta_config_defaults(&cfg);
	cfg.max_conns = 64;
	cfg.max_buf_per_dir = 64 * 1024;
	struct mta_hooks hooks = { .on_finding = on_finding, .on_summary = on_summary };
	struct mta_engine *e = mta_engine_new(&cfg, &hooks, NULL);
	if (!e)
		return 0;
	size_t off = 24;
	uint64_t frame = 0;
	while (size - off >= 16) {
		uint32_t sec = get32(data + off, swap), frac = get32(data + off + 4, swap);
		uint32_t incl = get32(data + off + 8, swap), orig = get32(data + off + 12, swap);
		off += 16;
		if (incl > size - off || incl > 262144)
			break;
		uint8_t *rec = malloc(incl ? incl : 1);
		if (!rec)
			break;
		memcpy(rec, data + off, incl);
		off += incl;
		struct mta_frame f = { ++frame, { sec_hi + sec, nsec ? frac / 1000 : frac % 1000000 },
				       linktype, rec, incl, orig };
		mta_engine_feed(e, &f);
		free(rec);
	}
	mta_engine_finish(e);
	free(mta_stats_json(mta_engine_stats(e)));
	mta_engine_free(e);
	return 0;
}
