/* fuzz_ber.c — the BER reader (ber.h, X.690) and the RTS/RTSE value parsers built on it
 * (rts.h): every TLV is walked recursively (depth bounded like the reader's own); contents must
 * lie inside their parent.  The input is an exact-size copy. */
#include <stdlib.h>
#include <string.h>

#include "ber.h"
#include "rts.h"

static void walk(const uint8_t *p, size_t n, unsigned depth)
{
	struct ber_tlv t;
	size_t off = 0;
	while (off < n) {
		enum ber_status st = ber_read(p + off, n - off, &t);
		if (st != BER_OK)
			return;
		if (t.total == 0 || t.total > n - off)
			abort();
		if (t.len && (t.v < p + off || t.len > (size_t)(p + off + t.total - t.v)))
			abort();
		int64_t v;
		if (!t.cons)
			(void)ber_int(t.v, t.len, &v);
		if (t.cons && depth < BER_MAX_DEPTH) {
			struct ber_it it;
			struct ber_tlv c;
			ber_it_init(&it, &t);
			unsigned k = 0;
			while (ber_next(&it, &c) == BER_OK && k++ < 4096) {
				if (c.len && (c.v < t.v || c.len > (size_t)(t.v + t.len - c.v)))
					abort();
			}
			walk(t.v, t.len, depth + 1);
		}
		off += t.total;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *p = malloc(size ? size : 1);
	if (!p)
		return 0;
	memcpy(p, data, size);
	walk(p, size, 0);
	struct rts_params o;
	(void)rts_parse_connect(p, size, false, &o);
	(void)rts_parse_connect(p, size, true, &o);
	int64_t reason;
	if (rts_parse_abort(p, size, &reason) && !rts_abort_reason_str(reason))
		abort();
	free(p);
	return 0;
}
