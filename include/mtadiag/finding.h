/* finding.h — the finding vocabulary shared by the engine and its front ends (contract §1) */
#ifndef MTADIAG_FINDING_H
#define MTADIAG_FINDING_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum mta_severity {
	MTA_SEV_CHAT = 0,
	MTA_SEV_NOTE = 1,
	MTA_SEV_WARNING = 2,
	MTA_SEV_ERROR = 3,
};

enum mta_finding_code {
#define MTA_FINDING(id, code, sev, desc) MTA_F_##id,
#include "mtadiag/findings.def"
#undef MTA_FINDING
	MTA_F_COUNT
};

enum mta_proto { MTA_PROTO_NONE = 0, MTA_PROTO_SMTP = 1, MTA_PROTO_OSI = 2 };

/* Direction of a unit relative to the connection's roles. */
enum mta_dir { MTA_C2S = 0, MTA_S2C = 1 };

/* Capture timestamp. */
struct mta_time {
	int64_t sec;
	uint32_t usec;
};

/* A connection as the contract prints it: "ip:port", IPv6 in brackets. */
struct mta_conn_id {
	char client[56];
	char server[56];
};

struct mta_finding {
	enum mta_finding_code code;
	enum mta_severity severity;
	uint64_t frame;
	struct mta_time time;
	const struct mta_conn_id *conn;
	enum mta_dir dir;
	const char *message;       /* never NULL */
	uint64_t related_frame;    /* 0: none */
	const char *detail_json;   /* a JSON object text, or NULL */
};

const char *mta_finding_code_str(enum mta_finding_code c);
enum mta_severity mta_finding_default_severity(enum mta_finding_code c);
const char *mta_finding_description(enum mta_finding_code c);
enum mta_proto mta_finding_proto(enum mta_finding_code c);
/* Lookup by code string; returns MTA_F_COUNT when unknown. */
enum mta_finding_code mta_finding_from_str(const char *s);

const char *mta_severity_str(enum mta_severity s);
/* "error", "warning", "note", "chat"; returns -1 when unknown. */
int mta_severity_from_str(const char *s);
const char *mta_dir_str(enum mta_dir d);

#ifdef __cplusplus
}
#endif
#endif
