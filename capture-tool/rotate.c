/* rotate.c — the -w capture file: pcap_dump with size-based rotation and reopening on SIGHUP
 * (pcap savefile format, pcap-savefile(5); file naming as tcpdump's -C/-W)
 */
#include "rotate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A pcap record: 16-octet header, then the captured octets. */
#define ROTATE_RECORD_HDR 16u

unsigned rotate_digits(unsigned files)
{
	unsigned d = 0;

	for (unsigned x = files ? files - 1 : 0; x > 0; x /= 10)
		d++;
	return d;
}

char *rotate_name(const char *base, unsigned long index, unsigned digits)
{
	size_t n = strlen(base) + 32;
	char *s = malloc(n);

	if (!s)
		return NULL;
	if (index == 0 && digits == 0)
		snprintf(s, n, "%s", base);
	else
		snprintf(s, n, "%s%0*lu", base, (int)digits, index);
	return s;
}

static void rotate_error(struct rotate *r, const char *what, char *why, size_t whylen)
{
	snprintf(why, whylen, "%s: %s", r->name ? r->name : r->base, what);
	r->failed = true;
}

/* Open the file r->name: created (or truncated) when fresh, else appended to. */
static int rotate_open_name(struct rotate *r, bool append, char *why, size_t whylen)
{
	r->d = append ? pcap_dump_open_append(r->pcap, r->name) : pcap_dump_open(r->pcap, r->name);
	if (!r->d) {
		/* libpcap's message names the file already. */
		snprintf(why, whylen, "%s", pcap_geterr(r->pcap));
		r->failed = true;
		return -1;
	}
	return 0;
}

int rotate_open(struct rotate *r, pcap_t *p, const char *base, uint64_t limit, unsigned files,
                char *why, size_t whylen)
{
	memset(r, 0, sizeof(*r));
	r->pcap = p;
	r->base = base;
	r->limit = limit;
	r->files = files;
	r->digits = files ? rotate_digits(files) : 0;
	r->name = rotate_name(base, 0, r->digits);
	if (!r->name) {
		rotate_error(r, "out of memory", why, whylen);
		return -1;
	}
	return rotate_open_name(r, false, why, whylen);
}

static int rotate_check(struct rotate *r, char *why, size_t whylen)
{
	FILE *fp = pcap_dump_file(r->d);

	if (pcap_dump_flush(r->d) != 0 || ferror(fp)) {
		rotate_error(r, errno ? strerror(errno) : "write error", why, whylen);
		return -1;
	}
	return 0;
}

/* Close the current file; -1 when its last records could not be written. */
static int rotate_close_file(struct rotate *r, char *why, size_t whylen)
{
	int rc = 0;
	FILE *fp;

	if (!r->d)
		return 0;
	errno = 0;
	fp = pcap_dump_file(r->d);
	if (fflush(fp) != 0 || ferror(fp)) {
		rotate_error(r, errno ? strerror(errno) : "write error", why, whylen);
		rc = -1;
	}
	/* pcap_dump_close gives no status: the fflush above caught what fclose would. */
	pcap_dump_close(r->d);
	r->d = NULL;
	return rc;
}

static int rotate_next(struct rotate *r, char *why, size_t whylen)
{
	char *name;

	if (rotate_close_file(r, why, whylen) != 0)
		return -1;
	r->index++;
	if (r->files && r->index >= r->files)
		r->index = 0;
	name = rotate_name(r->base, r->index, r->digits);
	if (!name) {
		rotate_error(r, "out of memory", why, whylen);
		return -1;
	}
	free(r->name);
	r->name = name;
	return rotate_open_name(r, false, why, whylen);
}

int rotate_write(struct rotate *r, const struct pcap_pkthdr *h, const u_char *data, char *why,
                 size_t whylen)
{
	if (r->failed || !r->d)
		return -1;
	if (r->limit) {
		int64_t pos = pcap_dump_ftell64(r->d);
		uint64_t rec = ROTATE_RECORD_HDR + (uint64_t)h->caplen;

		/* The global header is 24 octets: a file holding more has a packet already. */
		if (pos < 0) {
			rotate_error(r, strerror(errno), why, whylen);
			return -1;
		}
		if ((uint64_t)pos > 24 && (uint64_t)pos + rec > r->limit &&
		    rotate_next(r, why, whylen) != 0)
			return -1;
	}
	pcap_dump((u_char *)r->d, h, data);
	return 0;
}

int rotate_flush(struct rotate *r, char *why, size_t whylen)
{
	if (r->failed || !r->d)
		return r->failed ? -1 : 0;
	errno = 0;
	return rotate_check(r, why, whylen);
}

int rotate_reopen(struct rotate *r, char *why, size_t whylen)
{
	pcap_dumper_t *old = r->d;

	if (r->failed || !old)
		return -1;
	/* The old file is flushed before the name is opened again, so appending to a file that
	 * was not moved away continues it exactly; when the new open fails, writing goes on to
	 * the old file (the caller reports why). */
	errno = 0;
	if (rotate_check(r, why, whylen) != 0)
		return -1;
	r->d = pcap_dump_open_append(r->pcap, r->name);
	if (!r->d) {
		snprintf(why, whylen, "%s", pcap_geterr(r->pcap));
		r->d = old;
		return -1;
	}
	pcap_dump_close(old);
	return 0;
}

int rotate_close(struct rotate *r, char *why, size_t whylen)
{
	int rc = 0; /* an earlier failure was reported when it happened */

	if (rotate_close_file(r, why, whylen) != 0)
		rc = -1;
	free(r->name);
	r->name = NULL;
	return rc;
}
