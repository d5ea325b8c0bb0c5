/* finding.c — the finding catalogue as tables, generated from include/mtadiag/findings.def */
#include <string.h>

#include "mtadiag/finding.h"

struct fdef {
	const char *code;
	enum mta_severity sev;
	const char *desc;
};

static const struct fdef fdefs[MTA_F_COUNT] = {
#define MTA_FINDING(id, code, sev, desc) [MTA_F_##id] = { code, MTA_SEV_##sev, desc },
#include "mtadiag/findings.def"
#undef MTA_FINDING
};

const char *mta_finding_code_str(enum mta_finding_code c)
{
	return (unsigned)c < MTA_F_COUNT ? fdefs[c].code : "unknown";
}

enum mta_severity mta_finding_default_severity(enum mta_finding_code c)
{
	return (unsigned)c < MTA_F_COUNT ? fdefs[c].sev : MTA_SEV_NOTE;
}

const char *mta_finding_description(enum mta_finding_code c)
{
	return (unsigned)c < MTA_F_COUNT ? fdefs[c].desc : "";
}

enum mta_proto mta_finding_proto(enum mta_finding_code c)
{
	const char *s = mta_finding_code_str(c);
	if (strncmp(s, "smtpdiag.", 9) == 0)
		return MTA_PROTO_SMTP;
	if (strncmp(s, "osidiag.", 8) == 0)
		return MTA_PROTO_OSI;
	return MTA_PROTO_NONE;
}

enum mta_finding_code mta_finding_from_str(const char *s)
{
	for (unsigned i = 0; i < MTA_F_COUNT; i++)
		if (strcmp(fdefs[i].code, s) == 0)
			return (enum mta_finding_code)i;
	return MTA_F_COUNT;
}

static const char *const sev_names[] = { "chat", "note", "warning", "error" };

const char *mta_severity_str(enum mta_severity s)
{
	return (unsigned)s < 4 ? sev_names[s] : "unknown";
}

int mta_severity_from_str(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(sev_names[i], s) == 0)
			return i;
	return -1;
}

const char *mta_dir_str(enum mta_dir d)
{
	return d == MTA_C2S ? "c2s" : "s2c";
}
