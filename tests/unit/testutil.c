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
