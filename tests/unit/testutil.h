/* testutil.h — helpers shared by the cmocka unit tests */
#ifndef MTA_TESTUTIL_H
#define MTA_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* A copy of src[0..n) placed flush against an inaccessible guard page, so a one-octet
 * over-read faults.  Free with tu_guarded_free(). */
uint8_t *tu_guarded_copy(const void *src, size_t n);
void tu_guarded_free(uint8_t *p, size_t n);


/* Build an Ethernet + IPv4 + TCP frame into buf (at least 54 + len octets); returns its
 * length.  Addresses are host-order IPv4 values; checksums are left zero. */
size_t tu_build_tcp4(uint8_t *buf, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
		     uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win, const void *payload,
		     size_t len);

#endif
