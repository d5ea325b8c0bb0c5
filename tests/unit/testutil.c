/* testutil.c — guard-page buffers for over-read detection in unit tests */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static size_t page_size(void)
{
	long ps = sysconf(_SC_PAGESIZE);
	return ps > 0 ? (size_t)ps : 4096;
}

uint8_t *tu_guarded_copy(const void *src, size_t n)
{
	size_t ps = page_size();
	size_t data_pages = (n + ps - 1) / ps;
	size_t total = (data_pages + 1) * ps;
	uint8_t *base = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		abort();
	if (mprotect(base + data_pages * ps, ps, PROT_NONE) != 0)
		abort();
	uint8_t *p = base + data_pages * ps - n;
	if (n)
		memcpy(p, src, n);
	return p;
}

void tu_guarded_free(uint8_t *p, size_t n)
{
	size_t ps = page_size();
	size_t data_pages = (n + ps - 1) / ps;
	uint8_t *base = p + n - data_pages * ps;
	munmap(base, (data_pages + 1) * ps);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

size_t tu_build_tcp4(uint8_t *buf, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
		     uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win, const void *payload,
		     size_t len)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };
	memcpy(buf, macs, 12);
	put16(buf + 12, 0x0800);
	uint8_t *ip = buf + 14;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + 20 + len));
	ip[8] = 64;
	ip[9] = 6;
	put32(ip + 12, src);
	put32(ip + 16, dst);
	uint8_t *tcp = ip + 20;
	memset(tcp, 0, 20);
	put16(tcp, sport);
	put16(tcp + 2, dport);
	put32(tcp + 4, seq);
	put32(tcp + 8, ack);
	tcp[12] = 5 << 4;
	tcp[13] = flags;
	put16(tcp + 14, win);
	if (len)
		memcpy(tcp + 20, payload, len);
	return 14 + 20 + 20 + len;
}
