/* fuzz_decode.c — link/IP/TCP decoding of one frame; the first octet picks the link type */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "mtadiag/engine.h"

static const int linktypes[] = {
	MTA_LINKTYPE_NULL, MTA_LINKTYPE_ETHERNET, MTA_LINKTYPE_RAW,  MTA_LINKTYPE_LOOP,
	MTA_LINKTYPE_LINUX_SLL, MTA_LINKTYPE_IPV4, MTA_LINKTYPE_IPV6, MTA_LINKTYPE_LINUX_SLL2, MTA_DLT_RAW_BSD, MTA_DLT_RAW_OPENBSD,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int lt = linktypes[data[0] % (sizeof(linktypes) / sizeof(linktypes[0]))];
	size_t n = size - 1;
	uint8_t *frame = malloc(n ? n : 1);
	if (!frame)
		return 0;
	memcpy(frame, data + 1, n);
	struct pkt p;
	/* as captured, and as if the snapshot length had cut the wire frame */
	if (decode_frame(lt, frame, n, n, &p) == DEC_OK) {
		if (p.payload_len && (p.payload < frame || p.payload + p.payload_len > frame + n))
			abort();
	}
	(void)decode_frame(lt, frame, n, n + 1000, &p);
	free(frame);
	return 0;
}
