/* mtap.h — glue shared by the smtpdiag and osidiag Wireshark 4.0 epan plugins.
 *
 * Each plugin is one shared object that compiles the files of plugins/common/ in, so every static
 * below exists once per plugin.  The plugin's own file defines only `mtap_desc` (which protocol
 * it shows, its filter name, its port preference); the common code does the rest: the plugin_*
 * symbols the loader looks up (mtap_plugin.c), protocol, fields, expert infos generated from
 * findings.def, preferences, the postdissector that feeds one engine per open capture, and the
 * stats tree.
 * Loaded together, the two plugins use the SMTP plugin's engine and postdissector for both
 * protocols (mtap.c, "sharing"); the storage structs below are then passed between them, so a
 * change to them bumps MTAP_LINK_ABI.
 */
#ifndef MTADIAG_PLUGIN_MTAP_H
#define MTADIAG_PLUGIN_MTAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mtadiag/engine.h"

struct mtap_desc {
	const char *filter;        /* protocol filter name and finding prefix: "smtpdiag" */
	const char *name;          /* long protocol name */
	const char *short_name;    /* "SMTPDIAG" */
	const char *stats_name;    /* GUI Statistics menu entry */
	enum mta_proto proto;      /* the protocol this plugin analyses and shows */
	const char *ports_default; /* this plugin's port set, e.g. "25,587,2525" */
	const char *ports_title;
	const char *peer_filter; /* the other plugin, whose port set the engine also needs */
	const char *peer_ports_default;
	bool has_stall; /* the SMTP stall threshold preference */
};

/* Defined by each plugin. */
extern const struct mtap_desc mtap_desc;

/* One finding as stored for its frame (file scope). */
struct mtap_item {
	struct mtap_item *next;
	enum mta_finding_code code;
	enum mta_severity severity;
	enum mta_dir dir;
	uint64_t related_frame;
	const char *message;
	const char *client;
	const char *server;
	const char *detail_json; /* or NULL */
};

/* A connection summary, stored on the connection's first frame. */
struct mtap_summary {
	struct mtap_summary *next;
	uint64_t first_frame;
	uint64_t last_frame;
	const char *client;
	const char *server;
	const char *text;
	const char *json;
};

/* A protocol event (struct mta_event) as stored for its frame: only what the fields show. */
struct mtap_ev {
	struct mtap_ev *next;
	const char *label; /* TCP and OSI events: the engine's label; SMTP: NULL */
	uint8_t kind;      /* enum mta_event_kind */
	uint8_t dir;       /* enum mta_dir */
	union {
		struct {
			const char *state, *cmd; /* interned */
			uint32_t transaction;
			int16_t code; /* -1: not a reply */
			uint64_t latency_usec, data_octets;
		} smtp;
		struct {
			const char *spdu, *tokens, *activity_id; /* interned or NULL */
			int64_t serial;
			uint32_t vm_before, va_before, vm_after, va_after;
			int32_t window_used, window_size;
			bool known_before, known_after;
		} osi;
	} u;
};

/* Everything shown on one frame; also the tap data of the stats tree. */
struct mtap_frame {
	struct mtap_item *items, *items_tail;
	unsigned n_items;
	struct mtap_summary *summaries, *summaries_tail;
	struct mtap_ev *evs, *evs_tail;
	uint32_t conv; /* first frame of the connection the events belong to, 0 none */
};

/* mtap.c */
void mtap_proto_register(void);
void mtap_proto_handoff(void);
int mtap_tap_id(void);
bool mtap_next_spdu(const char **pp, char *name, size_t cap, int64_t *serial);

/* mtap_stats.c */
void mtap_stats_register(void);

#endif
