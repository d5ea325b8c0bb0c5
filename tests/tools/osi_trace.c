/* osi_trace.c — print the session SPDUs mtadiag decodes, frame by frame (testing aid)
 *
 * Usage: osi_trace FILE.pcap
 * Output: one line per session TSDU: "<frame>\t<c2s|s2c>\t<SPDUs>", the SPDUs as the OSI
 * analyser resolved them ("GT/1,MIP/49:5" = name / SI value : serial).  Used by
 * tests/scripts/test_osi_tshark_diff.sh to compare with tshark's ses.type/ses.serial_number.
 * It uses mta_config.osi_trace; findings and summaries are not printed.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "mtadiag/engine.h"

static void on_trace(void *user, uint64_t frame, enum mta_dir dir, const char *spdus)
{
	(void)user;
	printf("%llu\t%s\t%s\n", (unsigned long long)frame, dir == MTA_C2S ? "c2s" : "s2c", spdus);
}

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	if (argc != 2) {
		fprintf(stderr, "usage: osi_trace FILE\n");
		return 2;
	}
	pcap_t *p = pcap_open_offline(argv[1], err);
	if (!p) {
		fprintf(stderr, "osi_trace: %s\n", err);
		return 2;
	}
	struct mta_config cfg;
	mta_config_defaults(&cfg);
	cfg.osi_trace = on_trace;
	struct mta_hooks hooks;
	memset(&hooks, 0, sizeof hooks);
	struct mta_engine *e = mta_engine_new(&cfg, &hooks, NULL);
	if (!e) {
		pcap_close(p);
		return 2;
	}
	struct pcap_pkthdr *h;
	const u_char *d;
	uint64_t n = 0;
	int lt = pcap_datalink(p);
	while (pcap_next_ex(p, &h, &d) == 1) {
		struct mta_frame f = {
		    ++n, {h->ts.tv_sec, (uint32_t)h->ts.tv_usec}, lt, d, h->caplen, h->len};
		mta_engine_feed(e, &f);
	}
	mta_engine_finish(e);
	mta_engine_free(e);
	pcap_close(p);
	return 0;
}
