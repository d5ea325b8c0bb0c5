/* fuzz_ses.c — X.225 SPDU decoding of one TSDU (ses.h): every SPDU and every parameter value
 * the decoder points at must lie inside the TSDU, which is an exact-size copy of the input. */
#include <stdlib.h>
#include <string.h>

#include "rd.h"
#include "ses.h"

#define INSIDE(q, len, p, n) ((len) == 0 || ((q) >= (p) && (len) <= (size_t)((p) + (n) - (q))))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *p = malloc(size ? size : 1);
	if (!p)
		return 0;
	memcpy(p, data, size);
	static struct ses_tsdu t; /* large; reset by the parser */
	enum ses_tsdu_status st = ses_parse_tsdu(p, size, &t);
	if (st != t.st || t.n > SES_MAX_SPDUS || memchr(t.why, 0, sizeof(t.why)) == NULL)
		abort();
	for (unsigned i = 0; i < t.n; i++) {
		const struct spdu *s = &t.s[i];
		if (s->type >= SES_TYPE_COUNT || !ses_type_name(s->type) || !ses_type_long(s->type))
			abort();
		if (s->off > size || s->len > size - s->off || s->raw != p + s->off)
			abort();
		if (!INSIDE(s->act_id, s->act_id_len, p, size) ||
		    !INSIDE(s->reflect, s->reflect_len, p, size) ||
		    !INSIDE(s->udata, s->udata_len, p, size) || !INSIDE(s->uinfo, s->uinfo_len, p, size))
			abort();
		if (s->serial.st == SES_SN_OK && s->serial.digits > SES_SN_MAX_DIGITS)
			abort();
	}
	(void)ses_tsdu_plausible(&t, p, size);
	struct ses_serial sn = ses_parse_serial(p, size < 16 ? size : 16);
	if (sn.st == SES_SN_OK && (sn.digits == 0 || sn.digits > SES_SN_MAX_DIGITS))
		abort();
	struct rd r = rd_make(p, size);
	size_t li;
	while (ses_read_li(&r, &li))
		if (r.off > size)
			abort();
	free(p);
	return 0;
}
