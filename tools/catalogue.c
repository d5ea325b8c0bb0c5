/* catalogue.c — print the finding catalogue (include/mtadiag/findings.def) as a Markdown table
 * for the README; tests/scripts/test_catalogue.sh checks the README carries exactly this. */
#include <stdio.h>

#include "mtadiag/finding.h"

int main(void)
{
	printf("| code | severity | meaning |\n|---|---|---|\n");
	for (unsigned i = 0; i < MTA_F_COUNT; i++) {
		enum mta_finding_code c = (enum mta_finding_code)i;
		printf("| `%s` | %s | %s |\n", mta_finding_code_str(c),
		       mta_severity_str(mta_finding_default_severity(c)), mta_finding_description(c));
	}
	return 0;
}
