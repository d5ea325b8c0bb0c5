/* expect.h — regression mode: compare reported findings with a .expect file (contract §4) */
#ifndef MTA_CLI_EXPECT_H
#define MTA_CLI_EXPECT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mtadiag/finding.h"

struct expect_set;

/* Read FILE: JSON Lines, one expected finding per line with at least "code" (a known finding
 * code) and "frame" (an integer >= 1); blank lines and lines starting with '#' are skipped.
 * Returns the set, or NULL with a one-line reason in err ("FILE:LINE: why"). */
struct expect_set *expect_load(const char *path, char *err, size_t errlen);
void expect_free(struct expect_set *x);

/* Whether a reported finding takes part in the comparison: severity note or higher, or a chat
 * finding whose code the file lists. */
bool expect_wants(const struct expect_set *x, enum mta_finding_code code, enum mta_severity sev);
/* Record one reported finding (its JSON rendering, copied).  Returns 0, -1 when out of memory. */
int expect_add(struct expect_set *x, enum mta_finding_code code, uint64_t frame, const char *json);

/* Match expected against reported as multisets: an expected line matches a reported finding
 * when every key it names is present in the finding with an equal JSON value.  Prints every
 * "missing: LINE" and "unexpected: JSON" and a verdict line to out.  Returns the number of
 * differences, or -1 when a reported finding could not be parsed (an engine bug, reported on
 * stderr and counted as a difference by the caller). */
long expect_compare(struct expect_set *x, FILE *out);

#endif
