/* fuzz_smtp_parse.c — the pure SMTP parsers of smtp_parse.h (RFC 5321, 2920, 3030, 3463, 4954):
 * the input is framed into lines by smtp_find_line, each line is copied into an exact-size
 * buffer (a read of p[n] is an ASan report) and given to every line parser; the whole input
 * also goes through the end-of-data scanner in chunks.  Every pointer a parser returns must lie
 * inside the line it was given. */
#include <stdlib.h>
#include <string.h>

#include "smtp_parse.h"

#define INSIDE(q, len, p, n) ((q) >= (p) && (len) <= (size_t)((p) + (n) - (q)))

static void fuzz_line(const uint8_t *p, size_t n)
{
	struct smtp_cmd c;
	if (smtp_parse_cmd(p, n, &c)) {
		if ((int)c.verb < 0 || c.verb >= SV_COUNT || !smtp_verb_name(c.verb))
			abort();
		if (!INSIDE(c.verb_p, c.verb_len, p, n) || (c.arg_len && !INSIDE(c.arg, c.arg_len, p, n)))
			abort();
		const uint8_t *a;
		size_t al;
		if (smtp_parse_path(c.arg, c.arg_len, "FROM:", &a, &al) && al &&
		    !INSIDE(a, al, c.arg, c.arg_len))
			abort();
		if (smtp_parse_path(c.arg, c.arg_len, "TO:", &a, &al) && al &&
		    !INSIDE(a, al, c.arg, c.arg_len))
			abort();
		uint64_t sz;
		bool last;
		(void)smtp_parse_bdat(c.arg, c.arg_len, &sz, &last);
	}
	struct smtp_reply_line r;
	if (smtp_parse_reply(p, n, &r)) {
		/* three digits; smtp_parse.h says 100..999 but "000".."099" are accepted too */
		if (r.code < 0 || r.code > 999 || memchr(r.enh, 0, sizeof(r.enh)) == NULL)
			abort();
		if (r.text_len && !INSIDE(r.text, r.text_len, p, n))
			abort();
		(void)smtp_ehlo_keyword(r.text, r.text_len);
		const uint8_t *id;
		size_t il;
		if (smtp_reply_queue_id(r.text, r.text_len, &id, &il) && il &&
		    !INSIDE(id, il, r.text, r.text_len))
			abort();
	}
	(void)smtp_ehlo_keyword(p, n);
	(void)smtp_looks_like_cmd(p, n);
	(void)smtp_looks_like_reply(p, n);
	const uint8_t *a;
	size_t al;
	if (smtp_parse_path(p, n, "FROM:", &a, &al) && al && !INSIDE(a, al, p, n))
		abort();
	uint64_t sz;
	bool last;
	(void)smtp_parse_bdat(p, n, &sz, &last);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;
	while (off < size) {
		size_t content, term;
		bool bare;
		size_t left = size - off, take;
		if (smtp_find_line(data + off, left, &content, &term, &bare)) {
			if (term < 1 || term > 2 || content + term > left || data[off + content + term - 1] != '\n' ||
			    bare != (term == 1))
				abort();
			take = content + term;
		} else {
			content = left;
			take = left;
		}
		uint8_t *line = malloc(content ? content : 1);
		if (!line)
			return 0;
		memcpy(line, data + off, content);
		fuzz_line(line, content);
		free(line);
		off += take;
	}

	/* end-of-data scanner: chunk sizes from the data itself, each chunk in its own buffer */
	struct smtp_body_scan s;
	memset(&s, 0, sizeof(s));
	off = 0;
	while (off < size) {
		size_t n = 1 + data[off] % 64;
		if (n > size - off)
			n = size - off;
		uint8_t *chunk = malloc(n);
		if (!chunk)
			return 0;
		memcpy(chunk, data + off, n);
		bool done = false;
		size_t used = smtp_body_feed(&s, chunk, n, &done);
		free(chunk);
		if (used > n || (!done && used != n) || (done && used == 0))
			abort();
		off += used;
		if (done)
			memset(&s, 0, sizeof(s)); /* the next message body */
	}
	return 0;
}
