/* catalogue.c — print the finding catalogue (include/mtadiag/findings.def) for the documents
 * that list it, so they cannot drift from the code:
 *
 *   mtadiag-catalogue           Markdown table for the README (tests/scripts/test_catalogue.sh
 *                               checks the README carries exactly this)
 *   mtadiag-catalogue --roff    the FINDINGS section of mtadiag(1), one tagged paragraph per
 *                               code (the build puts it into docs/mtadiag.1.in)
 */
#include <stdio.h>
#include <string.h>

#include "mtadiag/finding.h"

static void markdown(void)
{
	printf("| code | severity | meaning |\n|---|---|---|\n");
	for (unsigned i = 0; i < MTA_F_COUNT; i++) {
		enum mta_finding_code c = (enum mta_finding_code)i;
		printf("| `%s` | %s | %s |\n", mta_finding_code_str(c),
		       mta_severity_str(mta_finding_default_severity(c)), mta_finding_description(c));
	}
}

/* Text for a roff text line: backslashes escaped, and a control character at the start of a
 * line made harmless.  Hyphens stay hyphens (\- is for the minus of an option). */
static void roff_text(const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", stdout);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", stdout);
		else
			putchar(*s);
	}
}

static void roff(void)
{
	const char *prev = "";
	size_t prev_len = 0;

	for (unsigned i = 0; i < MTA_F_COUNT; i++) {
		enum mta_finding_code c = (enum mta_finding_code)i;
		const char *code = mta_finding_code_str(c);
		const char *dot = strchr(code, '.');
		size_t plen = dot ? (size_t)(dot - code) : strlen(code);

		/* A subsection per protocol prefix, in catalogue order. */
		if (prev_len != plen || strncmp(prev, code, plen) != 0) {
			if (strncmp(code, "smtpdiag", plen) == 0 && plen == 8)
				puts(".SS SMTP over TCP (smtpdiag.*)");
			else if (strncmp(code, "osidiag", plen) == 0 && plen == 7)
				puts(".SS X.400 over OSI: RFC 1006, COTP, ISO 8327 session, RTS (osidiag.*)");
			else
				printf(".SS %.*s.*\n", (int)plen, code);
			prev = code;
			prev_len = plen;
		}
		printf(".TP\n.BR %s \" (%s)\"\n", code,
		       mta_severity_str(mta_finding_default_severity(c)));
		roff_text(mta_finding_description(c));
		putchar('\n');
	}
}

int main(int argc, char **argv)
{
	if (argc == 1) {
		markdown();
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--roff") == 0) {
		roff();
		return 0;
	}
	fputs("usage: mtadiag-catalogue [--roff]\n", stderr);
	return 2;
}
