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

#endif
