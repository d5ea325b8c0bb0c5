/* floor.c — the floor for any libpcap tool: read a saved capture and touch every packet.
 *
 * Sums the captured lengths and the first octet of each packet and prints the totals, so the
 * reading cannot be optimised away.  Nothing else: no decoding, no state.  Whatever a
 * libpcap-based analyser costs beyond this is its own work.
 *
 * The file is read through the same 1 MiB stdio buffer mtadiag gives libpcap (with the default
 * 4 KiB buffer, a read(2) per 4 KiB is most of the floor's time), so the two pay the same for
 * getting the octets in.
 *
 *     floor FILE
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

struct totals {
	uint64_t packets;
	uint64_t caplen;
	uint64_t first;
};

static void floor_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct totals *t = (struct totals *)user;

	t->packets++;
	t->caplen += h->caplen;
	if (h->caplen > 0)
		t->first += bytes[0];
}

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	struct totals t = {0, 0, 0};
	pcap_t *p;

	if (argc != 2) {
		fprintf(stderr, "usage: %s FILE\n", argv[0]);
		return 2;
	}
	FILE *fp = fopen(argv[1], "rb");
	static char iobuf[1 << 20];
	if (!fp) {
		perror(argv[1]);
		return 2;
	}
	setvbuf(fp, iobuf, _IOFBF, sizeof(iobuf));
	p = pcap_fopen_offline(fp, err);
	if (!p) {
		fprintf(stderr, "%s: %s\n", argv[1], err);
		return 2;
	}
	if (pcap_loop(p, -1, floor_packet, (u_char *)&t) == -1) {
		fprintf(stderr, "%s: %s\n", argv[1], pcap_geterr(p));
		pcap_close(p);
		return 2;
	}
	pcap_close(p);
	printf("packets %llu caplen %llu first %llu\n", (unsigned long long)t.packets,
	       (unsigned long long)t.caplen, (unsigned long long)t.first);
	return 0;
}
