/* cli.h — small helpers the front end's modules share: option numbers (main.c, live.c) and
 * UTF-8 sequences (the JSON writers of report.c and html.c) */
#ifndef MTA_CLI_CLI_H
#define MTA_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Unsigned decimal, at most max: no sign, no blanks, no suffix, no overflow.  *v is set only
 * on success. */
static inline bool cli_parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		unsigned d = (unsigned)(*s - '0');
		if (d > max || x > (max - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*v = x;
	return true;
}

/* Length of the valid UTF-8 sequence at p (1 to 4), or 0 when p does not start one: no
 * overlong forms, surrogates or code points above U+10FFFF (RFC 3629).  p is NUL-terminated;
 * the check of the continuation octets stops at the terminator. */
static inline size_t cli_utf8_len(const unsigned char *p)
{
	unsigned char c = p[0];
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 1;
	else if (c >= 0xe0 && c <= 0xef)
		n = 2;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 3;
	else
		return 0;
	for (size_t i = 1; i <= n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((n == 2 && c == 0xe0 && p[1] < 0xa0) || (n == 2 && c == 0xed && p[1] >= 0xa0) ||
	    (n == 3 && c == 0xf0 && p[1] < 0x90) || (n == 3 && c == 0xf4 && p[1] >= 0x90))
		return 0;
	return n + 1;
}

#endif
