/* testutil.h — helpers shared by the cmocka unit tests */
#ifndef MTA_TESTUTIL_H
#define MTA_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* A copy of src[0..n) placed flush against an inaccessible guard page, so a one-octet
 * over-read faults.  Free with tu_guarded_free(). */
uint8_t *tu_guarded_copy(const void *src, size_t n);
void tu_guarded_free(uint8_t *p, size_t n);

#endif
