/* engine.h — the mtadiag engine: raw frames in, findings and summaries out.
 *
 * The engine knows nothing about libpcap, Wireshark, files or output formats.  It keeps no
 * global state: every piece of state hangs off a struct mta_engine, so several engines can run
 * side by side in one process.  Pointers handed to hooks are borrowed until the hook returns.
 */
#ifndef MTADIAG_ENGINE_H
#define MTADIAG_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mtadiag/finding.h"
#include "mtadiag/version.h" /* MTA_VERSION, generated from project(VERSION) */

#ifdef __cplusplus
extern "C" {
#endif

#define MTA_MAX_PORTS 32

/* Named defaults of every limit (contract §3, issue "foundation" §4). */
#define MTA_DEFAULT_MAX_CONNS         65536u
#define MTA_DEFAULT_MAX_BUF_PER_DIR   (1u << 20)   /* bytes buffered per direction */
#define MTA_DEFAULT_MAX_LINE          4096u        /* longest SMTP line kept */
#define MTA_DEFAULT_STALL_USEC        30000000ull  /* 30 s */
#define MTA_DEFAULT_IDLE_TIMEOUT_USEC 3600000000ull /* 1 h without a packet */
#define MTA_DEFAULT_CLOSE_LINGER_USEC 10000000ull  /* state kept 10 s after FIN/FIN or RST */

struct mta_config {
	uint16_t smtp_ports[MTA_MAX_PORTS];
	size_t n_smtp_ports;
	uint16_t osi_ports[MTA_MAX_PORTS];
	size_t n_osi_ports;
	uint64_t stall_usec;
	uint64_t idle_timeout_usec;
	uint64_t close_linger_usec;
	size_t max_conns;
	size_t max_buf_per_dir;
	size_t max_line;
	uint32_t hash_seed;           /* 0 (the default): a random seed per engine, so a sender
					 cannot aim connections at one hash bucket; output never
					 depends on it.  Tests may fix it. */
	/* Testing aid: reassemble every TCP connection (not only SMTP/OSI ones) and report the
	 * delivered bytes through mta_hooks.on_follow. */
	bool follow_all;
	/* Report protocol events through mta_hooks.on_event (plugins' per-frame fields, the
	 * HTML report's ladder diagrams). */
	bool events;
	/* Protocols not to analyse, as bits (1u << MTA_PROTO_SMTP, 1u << MTA_PROTO_OSI); 0 (the
	 * default) analyses both.  Connections are still classified exactly as usual (ports,
	 * then first payload), but one of a skipped protocol is only tracked: no findings,
	 * summaries or events, and little work per packet.  The Wireshark plugins use it so that
	 * each analyses only its own protocol. */
	unsigned skip_protos;
	/* When set, the OSI analyser reports every session TSDU it decodes on an ISO session
	 * connection: frame where it completed, direction, and its SPDUs as text ("GT,MIP:5" —
	 * names as X.225 resolves them, ':' + serial when one is present).  Used by the
	 * differential test against tshark (tests/tools/osi_trace.c); the plugins and reports
	 * use the protocol events (events / on_event) instead. */
	void (*osi_trace)(void *user, uint64_t frame, enum mta_dir dir, const char *spdus);
	void *osi_trace_user;
	/* A front end that prints only one rendering of the summaries (the CLI: --json, or the
	 * text report) may leave the other out: it is then passed as "{}" (JSON) or "" (text).
	 * Both false (the default): both are rendered. */
	bool summary_no_json;
	bool summary_no_text;
};

/* Fill *cfg with the named defaults: SMTP ports 25, 587, 2525; OSI port 102. */
void mta_config_defaults(struct mta_config *cfg);
/* Parse "25,587,2525" into a port list; returns 0, or -1 with nothing changed. */
int mta_parse_port_list(const char *s, uint16_t *ports, size_t *n);

/* libpcap link types the engine decodes (values as in pcap/dlt.h / the LINKTYPE_ registry). */
#define MTA_LINKTYPE_NULL       0
#define MTA_LINKTYPE_ETHERNET   1
#define MTA_LINKTYPE_RAW        101
#define MTA_LINKTYPE_LOOP       108
#define MTA_LINKTYPE_LINUX_SLL  113
#define MTA_LINKTYPE_IPV4       228
#define MTA_LINKTYPE_IPV6       229
#define MTA_LINKTYPE_LINUX_SLL2 276
#define MTA_DLT_RAW_BSD         12  /* DLT_RAW as some BSDs number it */
#define MTA_DLT_RAW_OPENBSD     14
bool mta_linktype_supported(int linktype);

struct mta_frame {
	uint64_t number;          /* 1-based, as Wireshark numbers it */
	struct mta_time ts;
	int linktype;
	const uint8_t *data;
	uint32_t caplen;
	uint32_t wirelen;
};

/* A per-connection summary (contract §2), rendered by the engine as one JSON object and as a
 * human text block so both front ends print the same thing. */
struct mta_summary {
	enum mta_proto proto;
	const struct mta_conn_id *conn;
	uint64_t first_frame;
	uint64_t last_frame;
	const char *json;  /* one JSON object, "kind":"smtp_session" or "osi_association" */
	const char *text;  /* several lines, each ending in '\n' */
};

/* Protocol events: what each frame means to the analysers (for per-frame fields in the
 * Wireshark plugins and the ladder diagrams of the HTML report).  Delivered through
 * mta_hooks.on_event only when mta_config.events is set, so they cost nothing otherwise.
 * Strings are borrowed until the hook returns; fields that do not apply are NULL / 0 / -1. */
enum mta_event_kind {
	MTA_EV_TCP = 0,    /* a TCP event on an analysed connection: label "SYN", "SYN-ACK",
			      "FIN", "RST" (the first of each per direction),
			      "no-PSH" (a data segment without PSH that ends a sender's burst,
			      only when it matters), "gap N" (octets lost to the capture) */
	MTA_EV_SMTP_CMD,   /* an SMTP command, label the line as sent; AUTH credentials and
			      continuation lines never appear ("AUTH PLAIN ***", "***"), nor
			      the arguments of a line that is no known command (its verb only,
			      or "(unrecognised command)") */
	MTA_EV_SMTP_REPLY, /* a complete (possibly multi-line) reply; latency_usec from its command */
	MTA_EV_SMTP_DATA,  /* end of a DATA body or BDAT chunk: octets in data_octets (label
			      "<message, N octets> ." or "<chunk, N octets>[ LAST]") */
	MTA_EV_SMTP_TLS,   /* the connection switched to TLS after 220 to STARTTLS */
	MTA_EV_OSI_TPDU,   /* a COTP TPDU other than DT and ED (CR, CC, DR, ER, ...); an ED
			      carries a TSDU and gives MTA_EV_OSI_SPDU, "[expedited]" */
	MTA_EV_OSI_SPDU,   /* one session TSDU (its SPDUs in label, as the session layer means
			      them: "GT+MIP(3)", "PT+MIA(2)", "AS", "AE", "AB reason 1") */
};

struct mta_event {
	enum mta_event_kind kind;
	enum mta_proto proto;
	const struct mta_conn_id *conn;
	uint64_t conn_first_frame;  /* identifies the connection: the frame that created it */
	uint64_t frame;             /* frame where the unit completed */
	struct mta_time ts;
	enum mta_dir dir;
	const char *label;          /* short text for a ladder arrow, never NULL */

	/* SMTP (MTA_EV_SMTP_*) */
	const char *smtp_state;     /* session state after the unit: "connect", "greeting",
				       "ehlo"/"helo", "auth", "starttls", "mail", "rcpt",
				       "data", "bdat", "quit", "tls" (a pipelined command's
				       successor may already have moved it on) */
	const char *smtp_cmd;       /* verb of the command (or of the command a reply answers) */
	int reply_code;             /* -1 when not a reply */
	uint32_t transaction;       /* 1-based index of the mail transaction, 0 outside one */
	uint64_t latency_usec;      /* reply: time since its command was sent */
	uint64_t data_octets;       /* MTA_EV_SMTP_DATA */

	/* OSI (MTA_EV_OSI_*) */
	const char *spdu;           /* the TSDU's principal SPDU as X.225 resolves it ("AE", not
				       "MAP"): the first one that is not a category 0 GT/PT
				       carrier, else the first; for MTA_EV_OSI_TPDU the TPDU
				       ("CR", "CC", "DR", ...) */
	int64_t serial;             /* serial number carried (an AR's: the resumed one), -1
				       when none */
	bool v_known_before;        /* the receiver's model knew its serial variables */
	bool v_known_after;
	uint64_t vm_before, vm_after; /* V(M) at the receiver's model, before and after */
	uint64_t va_before, va_after; /* V(A) */
	const char *tokens;         /* token holders after the unit: "dk=I mi=R ma=I tr=-"
				       (I initiator, R responder, - not available, ? not
				       known), NULL for non-session events */
	const char *activity_id;    /* current activity identifier (hex) after the unit, NULL
				       when none is open */
	int window_used;            /* RTS: checkpoints sent and not yet confirmed (by the side
				       that checkpoints in this unit: the MIP/DT sender, or the
				       peer of a MIA/MAA/AEA sender), -1 n/a */
	int window_size;            /* RTS windowSize in force, -1 n/a */
};

struct mta_hooks {
	void (*on_finding)(void *user, const struct mta_finding *f);
	void (*on_summary)(void *user, const struct mta_summary *s);
	/* Only with cfg.follow_all: each reassembled byte range of each direction, in stream
	 * order (len > 0, gap_len == 0), or a hole of gap_len octets (data NULL, len 0).
	 * conn_first_frame identifies the connection (the frame that created it). */
	void (*on_follow)(void *user, const struct mta_conn_id *conn, uint64_t conn_first_frame,
			  enum mta_dir dir, uint64_t offset, const uint8_t *data, size_t len,
			  uint64_t gap_len);
	/* Only with cfg.events: see struct mta_event. */
	void (*on_event)(void *user, const struct mta_event *ev);
};

struct mta_stats {
	uint64_t frames;
	uint64_t bytes;
	uint64_t truncated;        /* frames cut by the snapshot length before the TCP payload end */
	uint64_t unsupported_link; /* frames of a link type the engine does not decode */
	uint64_t non_ip;
	uint64_t malformed;        /* link/IP/TCP headers that contradict themselves */
	uint64_t ip_fragments;     /* counted and skipped */
	uint64_t non_tcp;
	uint64_t tcp_segments;
	uint64_t connections;      /* TCP connections tracked */
	uint64_t smtp_sessions;    /* summarised so far */
	uint64_t osi_associations; /* summarised so far (port-102 traffic that is not ISO session
				      is not one) */
	uint64_t conns_evicted;    /* by the connection cap */
	uint64_t conns_idle_closed;
	uint64_t buf_cap_hits;     /* reassembly buffer cap reached */
	uint64_t alloc_failures;   /* connections or analyser states that could not be allocated
				      (out of memory): those connections are not analysed */
	uint64_t findings[4];      /* by severity */
};

struct mta_engine;

/* cfg may be NULL for defaults.  Returns NULL on allocation failure. */
struct mta_engine *mta_engine_new(const struct mta_config *cfg, const struct mta_hooks *hooks,
				  void *user);
/* Returns 0; a frame the engine cannot use is counted in the stats, never an error. */
int mta_engine_feed(struct mta_engine *e, const struct mta_frame *f);
/* Fire timers up to `now` without a frame (live mode): stalls, idle timeouts. */
void mta_engine_tick(struct mta_engine *e, struct mta_time now);
/* End of capture: decide end-of-capture findings, close every connection, emit summaries. */
void mta_engine_finish(struct mta_engine *e);
void mta_engine_free(struct mta_engine *e);
const struct mta_stats *mta_engine_stats(const struct mta_engine *e);

/* Rendering shared by the front ends.  The writers return a malloc'd string (caller frees),
 * or NULL on allocation failure. */
char *mta_finding_json(const struct mta_finding *f);
char *mta_finding_text(const struct mta_finding *f);
char *mta_stats_json(const struct mta_stats *s);
/* Length (1 to 4) of the well-formed UTF-8 sequence at the start of s, which has n octets, or 0
 * when there is none: no overlong forms, surrogates, code points above U+10FFFF or sequences cut
 * by the end (RFC 3629).  The JSON writers pass such sequences through and escape other octets. */
size_t mta_utf8_len(const void *s, size_t n);

#ifdef __cplusplus
}
#endif
#endif
