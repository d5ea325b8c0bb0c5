/* capture.c — saved captures (pcap, pcapng) read through libpcap and fed to an engine
 *
 * One link type per file: libpcap 1.10 reports pcap_datalink() for the whole file, and for a
 * pcapng file whose interfaces have different link types it stops with an error at the first
 * packet of a differing interface ("an interface has a type ... different from the type of the
 * first interface"); that ends the analysis of the file there, like a truncated file.
 * pcap_datalink() gives DLT_ values (LINKTYPE_RAW in a file reads as DLT_RAW, 12 on Linux);
 * the engine accepts both numberings.
 */
#include "capture.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CAPTURE_IOBUF (1u << 20)

int capture_open(struct capture *c, const char *name, char *why, size_t whylen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct stat st;
	bool is_stdin = strcmp(name, "-") == 0;

	memset(c, 0, sizeof(*c));
	c->name = name;
	c->size = -1;
	c->linktype = -1;
	c->fp = is_stdin ? stdin : fopen(name, "rb");
	if (!c->fp) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fileno(c->fp), &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			snprintf(why, whylen, "%s", strerror(EISDIR));
			goto fail;
		}
		if (S_ISREG(st.st_mode)) {
			c->regular = true;
			c->size = st.st_size;
			c->dev = st.st_dev;
			c->ino = st.st_ino;
			if (st.st_size == 0) {
				snprintf(why, whylen, "empty file");
				goto fail;
			}
		}
	}
	/* libpcap reads each record with fread: with the default stdio buffer (st_blksize,
	 * 4 KiB) that is one read(2) per 4 KiB of capture.  1 MiB: a few hundred per GB. */
	if (c->regular) {
		/* glibc ignores the size when it allocates the buffer itself */
		c->iobuf = malloc(CAPTURE_IOBUF);
		if (c->iobuf && setvbuf(c->fp, c->iobuf, _IOFBF, CAPTURE_IOBUF) != 0) {
			free(c->iobuf);
			c->iobuf = NULL;
		}
	}
	c->pcap =
	    pcap_fopen_offline_with_tstamp_precision(c->fp, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
	if (!c->pcap) {
		/* libpcap leaves the FILE open when it refuses it. */
		if (strcmp(ebuf, "unknown file format") == 0)
			snprintf(why, whylen, "not a pcap or pcapng file (%s)", ebuf);
		else if (strstr(ebuf, "file header bytes, only got 0"))
			snprintf(why, whylen, "empty input");
		else if (strncmp(ebuf, "truncated", 9) == 0)
			snprintf(why, whylen, "capture file header is truncated (%s)", ebuf);
		else
			snprintf(why, whylen, "not a usable capture file (%s)", ebuf);
		goto fail;
	}
	c->linktype = pcap_datalink(c->pcap);
	return 0;
fail:
	if (c->fp != stdin)
		fclose(c->fp);
	c->fp = NULL;
	free(c->iobuf);
	c->iobuf = NULL;
	return -1;
}

void capture_close(struct capture *c)
{
	if (c->pcap)
		pcap_close(c->pcap); /* closes c->fp too */
	else if (c->fp && c->fp != stdin)
		fclose(c->fp);
	c->pcap = NULL;
	c->fp = NULL;
	free(c->iobuf); /* only now that nothing reads through it */
	c->iobuf = NULL;
}

static double capture_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void capture_progress(const struct capture *c, uint64_t frames, double t0, double now)
{
	off_t pos = ftello(c->fp);
	double pct = 0, rate = 0;

	if (pos >= 0 && c->size > 0)
		pct = 100.0 * (double)pos / (double)c->size;
	if (pct > 100)
		pct = 100;
	if (now > t0)
		rate = (double)frames / (now - t0);
	/* \r + erase to end of line: the line is rewritten in place. */
	fprintf(stderr, "\rmtadiag: %s: %5.1f%%  %llu frames  %.0f frames/s\033[K", c->name, pct,
	        (unsigned long long)frames, rate);
	fflush(stderr);
}

void capture_run(struct capture *c, struct mta_engine *e, uint64_t max_frames, bool progress,
                 struct capture_result *res)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	double t0 = progress ? capture_now() : 0, last = t0;
	int rc;

	memset(res, 0, sizeof(*res));
	while (max_frames == 0 || res->frames < max_frames) {
		struct mta_frame f;

		rc = pcap_next_ex(c->pcap, &h, &data);
		if (rc != 1) {
			if (rc != PCAP_ERROR_BREAK) {
				res->stopped = true;
				snprintf(res->why, sizeof(res->why), "%s", pcap_geterr(c->pcap));
			}
			break;
		}
		f.number = ++res->frames;
		f.ts.sec = (int64_t)h->ts.tv_sec;
		f.ts.usec = (uint32_t)h->ts.tv_usec;
		if (h->ts.tv_usec < 0) { /* not produced by libpcap; defensive */
			f.ts.usec = 0;
		} else if (h->ts.tv_usec >= 1000000) {
			/* a damaged record may carry tv_usec >= 10^6: carry it into the seconds */
			f.ts.sec += (int64_t)(h->ts.tv_usec / 1000000);
			f.ts.usec = (uint32_t)(h->ts.tv_usec % 1000000);
		}
		f.linktype = c->linktype;
		f.data = data;
		f.caplen = h->caplen;
		f.wirelen = h->len < h->caplen ? h->caplen : h->len;
		mta_engine_feed(e, &f);
		if (progress && (res->frames & 1023) == 0) {
			double now = capture_now();

			if (now - last >= 0.25) {
				capture_progress(c, res->frames, t0, now);
				last = now;
			}
		}
	}
	if (progress && last > t0) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
}
