/* rotate.h — the -w capture file: pcap_dump with size-based rotation and reopening on SIGHUP */
#ifndef MTA_CLI_ROTATE_H
#define MTA_CLI_ROTATE_H

#include <stdbool.h>
#include <stdint.h>

#include <pcap/pcap.h>

/* File names follow tcpdump's -C/-W scheme.  Without a file count (-W): FILE, FILE1, FILE2 ...
 * With -W N: FILE followed by the file index 0 .. N-1, zero-padded to the number of digits of
 * N-1 (-W 10: FILE0 .. FILE9; -W 100: FILE00 .. FILE99), and the index wraps to 0, overwriting
 * the oldest file (-W 1 writes FILE over and over). */
struct rotate {
	pcap_t *pcap;        /* link type and snapshot length of the files */
	const char *base;    /* FILE as given */
	uint64_t limit;      /* bytes per file before the next one is started; 0 = one file */
	unsigned files;      /* -W: files in the ring; 0 = no ring */
	unsigned digits;     /* width of the index with -W */
	unsigned long index; /* of the current file */
	pcap_dumper_t *d;
	char *name; /* the current file's name */
	bool failed;
};

/* Open the first file (created or truncated).  Returns 0, or -1 with the reason in why. */
int rotate_open(struct rotate *r, pcap_t *p, const char *base, uint64_t limit, unsigned files,
                char *why, size_t whylen);
/* Write one packet, first moving to the next file when this record would take the current
 * one past the limit (a file always takes at least one packet).  Returns 0, or -1 with the
 * reason in why; after a failure the writer stays closed and writes nothing more. */
int rotate_write(struct rotate *r, const struct pcap_pkthdr *h, const u_char *data, char *why,
                 size_t whylen);
/* Push buffered records to the file (after each batch of packets) and check for write
 * errors.  Returns 0 or -1 with why. */
int rotate_flush(struct rotate *r, char *why, size_t whylen);
/* SIGHUP: open the current file's name again, appending when the file is still there (the
 * name was not rotated away) and creating it otherwise, then close the old one.  Returns 0,
 * or -1 with why: when the name cannot be opened, writing goes on to the old file (and
 * r->failed stays false); when the old file could not be flushed, r->failed is set. */
int rotate_reopen(struct rotate *r, char *why, size_t whylen);
/* Flush and close.  Returns 0, or -1 with why when the last records could not be written. */
int rotate_close(struct rotate *r, char *why, size_t whylen);

/* The name of file number index, as described above (malloc'd, NULL when out of memory). */
char *rotate_name(const char *base, unsigned long index, unsigned digits);
/* Digits of the index with -W files: of files - 1 (tcpdump's rule). */
unsigned rotate_digits(unsigned files);

#endif
