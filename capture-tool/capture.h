/* capture.h — saved captures (pcap, pcapng) read through libpcap and fed to an engine */
#ifndef MTA_CLI_CAPTURE_H
#define MTA_CLI_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include <pcap/pcap.h>

#include "mtadiag/engine.h"

struct capture {
	const char *name; /* as given on the command line; "-" is standard input */
	pcap_t *pcap;
	FILE *fp;   /* owned by pcap once pcap is open */
	off_t size; /* -1 when unknown (a pipe) */
	dev_t dev;  /* identity of a regular file, for de-duplication */
	ino_t ino;
	bool regular;
	int linktype;
	char *iobuf; /* stdio buffer of fp (regular files), freed after fp is closed */
};

/* Open a capture file.  Returns 0, or -1 with the reason, in the user's terms, in why (the
 * caller prefixes the file name): "No such file or directory", "empty file",
 * "not a pcap or pcapng file (unknown file format)". */
int capture_open(struct capture *c, const char *name, char *why, size_t whylen);
void capture_close(struct capture *c);

struct capture_result {
	uint64_t frames;                 /* frames read and fed */
	bool stopped;                    /* the file could not be read to its end */
	char why[PCAP_ERRBUF_SIZE + 64]; /* when stopped: what libpcap said */
};

/* Feed every frame (or the first max_frames when non-zero) to the engine, numbering them from 1
 * as Wireshark does.  With progress, a status line on stderr (a terminal) is refreshed at most
 * four times a second and erased at the end. */
void capture_run(struct capture *c, struct mta_engine *e, uint64_t max_frames, bool progress,
                 struct capture_result *res);

#endif
