/* mtap.c — the mtadiag engine as a Wireshark 4.0 postdissector: registration, engine, rendering.
 *
 * Analysis happens once, on the first pass, in frame order: every frame's own bytes (the
 * top-level tvb) are fed to one engine per open capture, and what the engine reports is kept in
 * file-scoped storage keyed by frame.  Rendering (protocol item, fields, expert infos, tap data)
 * reads that storage on every pass, so one-pass, two-pass and GUI re-dissection show the same,
 * except what can only be decided when the capture ends (contract §1.3).  The engine's protocol
 * events (mta_config.events) are kept the same way and give the per-frame fields: SMTP state,
 * command, reply code, transaction; session SPDUs with serial, V(M)/V(A), tokens, activity and
 * RTS window.
 *
 * Cost: loaded together, the two plugins share one engine and one postdissector (see
 * "sharing"), so a frame is decoded, looked up and analysed once, and Wireshark makes one
 * postdissector call per frame for both.  A plugin on its own core classifies every TCP
 * connection as mtadiag does (it knows both port sets) but analyses only its own protocol
 * (mta_config.skip_protos).  Per-frame storage is an array per protocol indexed by frame
 * number; rendering formats no text for items Wireshark does not display (tshark -q).
 *
 * End of the capture: 4.0 gives a plugin no "end of first pass" event of its own, but every
 * front end that makes a sequential pass calls the postseq_cleanup routines right after it
 * (tshark -2 between its passes, Wireshark when a file has been read or a live capture stops),
 * so the engine is finished there.  As a fallback (a GUI re-scan after a preference change does
 * not call them) the first frame dissected with PINFO_FD_VISITED set finishes it too.
 *
 * Severity: Wireshark takes an expert info's severity from its registration, and a finding can
 * be reported with another severity than its default (smtpdiag.rst is an error inside a mail
 * transaction).  Expert names need not be unique — expert_register_field_array does not check
 * them, and the hf it registers per entry joins the same-name chain of display-filter fields —
 * so each code is registered once per severity, all with the code as name: the rendered expert
 * info always carries the finding's severity, and filters on the name match every variant.  The
 * default-severity entry is registered last so that name look-ups (the Expert Info severity
 * override table) reach it.
 */
#define _GNU_SOURCE /* dladdr */
#define WS_BUILD_DLL
#include <wireshark.h>
#include <epan/packet.h>
#include <epan/proto.h>
#include <epan/expert.h>
#include <epan/prefs.h>
#include <epan/range.h>
#include <epan/tap.h>
#include <wiretap/wtap.h>
#include <wiretap/pcap-encap.h>

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mtap.h"

#define MTAP_NSEV 4

static int proto_mtap = -1;
static int mtap_tap = -1;

static int hf_findings = -1, hf_code = -1, hf_severity = -1, hf_message = -1, hf_related = -1,
           hf_client = -1, hf_server = -1, hf_dir = -1, hf_detail = -1, hf_summary = -1,
           hf_sum_first = -1, hf_sum_last = -1, hf_sum_line = -1, hf_sum_json = -1, hf_conv = -1,
           hf_tcp_event = -1;
/* SMTP fields */
static int hf_event = -1, hf_state = -1, hf_command = -1, hf_reply_code = -1, hf_transaction = -1,
           hf_latency = -1, hf_data_octets = -1;
/* OSI fields */
static int hf_tsdu = -1, hf_spdu = -1, hf_serial = -1, hf_kind = -1, hf_vm_before = -1,
           hf_vm_after = -1, hf_va_before = -1, hf_va_after = -1, hf_tokens = -1, hf_activity = -1,
           hf_win_used = -1, hf_win_size = -1, hf_tpdu = -1;
static gint ett_mtap = -1, ett_finding = -1, ett_summary = -1, ett_event = -1;

static expert_field ei_ids[MTA_F_COUNT][MTAP_NSEV];

/* Preferences (read when a capture is opened: a change applies at the next re-dissection). */
static range_t *pref_ports;
static guint pref_stall_sec = (guint)(MTA_DEFAULT_STALL_USEC / 1000000u);
static guint pref_max_conns = MTA_DEFAULT_MAX_CONNS;
static guint pref_max_buf = MTA_DEFAULT_MAX_BUF_PER_DIR;

/* Wireshark encapsulation -> libpcap link type, for the link types the engine decodes. */
struct encap_map {
	int wtap_encap;
	int linktype;
};
static struct encap_map encaps[16];
static size_t n_encaps;

int mtap_tap_id(void)
{
	return mtap_tap;
}

/* ---- expert infos from the catalogue --------------------------------------------------- */

static int mtap_pi_severity(enum mta_severity s)
{
	switch (s) {
	case MTA_SEV_ERROR:
		return PI_ERROR;
	case MTA_SEV_WARNING:
		return PI_WARN;
	case MTA_SEV_NOTE:
		return PI_NOTE;
	case MTA_SEV_CHAT:
	default:
		return PI_CHAT;
	}
}

/* Expert group: TCP-level events are PI_SEQUENCE, broken encodings PI_MALFORMED, negative
 * replies PI_RESPONSE_CODE, lost analysis state PI_UNDECODED, the rest protocol rules. */
static int mtap_pi_group(enum mta_finding_code c)
{
	switch (c) {
	case MTA_F_SMTP_RST:
	case MTA_F_SMTP_MISSING_PSH:
	case MTA_F_SMTP_STALL:
	case MTA_F_SMTP_ABRUPT_CLOSE:
	case MTA_F_SMTP_DATA_AFTER_CLOSE:
	case MTA_F_SMTP_MESSAGE_LOST:
	case MTA_F_SMTP_TCP_GAP:
	case MTA_F_SMTP_RETRANSMISSION:
	case MTA_F_SMTP_ZERO_WINDOW:
	case MTA_F_OSI_TSDU_TRUNCATED:
	case MTA_F_OSI_COTP_DISCONNECT:
	case MTA_F_OSI_ABORT_CAUSE:
	case MTA_F_OSI_ABRUPT_END:
	case MTA_F_OSI_ABORT:
	case MTA_F_OSI_TCP_RST:
		return PI_SEQUENCE;
	case MTA_F_SMTP_REPLY_ERROR:
	case MTA_F_OSI_EXCEPTION_REPORT:
		return PI_RESPONSE_CODE;
	case MTA_F_SMTP_STARTTLS:
		return PI_SECURITY;
	case MTA_F_SMTP_MEMCAP:
	case MTA_F_OSI_MEMCAP:
		return PI_UNDECODED;
	case MTA_F_OSI_TPKT_BAD_HEADER:
	case MTA_F_OSI_SPDU_OVERRUN:
	case MTA_F_OSI_SERIAL_MALFORMED:
		return PI_MALFORMED;
	default:
		return PI_PROTOCOL;
	}
}

static void mtap_register_experts(void)
{
	static ei_register_info ei[MTA_F_COUNT * MTAP_NSEV];
	int n = 0;

	for (int c = 0; c < MTA_F_COUNT; c++) {
		for (int s = 0; s < MTAP_NSEV; s++) {
			ei_ids[c][s].ei = EI_INIT_EI;
			ei_ids[c][s].hf = EI_INIT_HF;
		}
		if (mta_finding_proto((enum mta_finding_code)c) != mtap_desc.proto)
			continue;
		enum mta_severity def = mta_finding_default_severity((enum mta_finding_code)c);
		for (int k = 0; k < MTAP_NSEV; k++) {
			/* the other severities first, the default one last */
			enum mta_severity s = (enum mta_severity)((def + 1 + k) % MTAP_NSEV);
			ei_register_info r = {
			    &ei_ids[c][s],
			    {mta_finding_code_str((enum mta_finding_code)c),
			     mtap_pi_group((enum mta_finding_code)c), mtap_pi_severity(s),
			     mta_finding_description((enum mta_finding_code)c), EXPFILL}};
			ei[n++] = r;
		}
	}
	expert_register_field_array(expert_register_protocol(proto_mtap), ei, n);
}

/* ---- link types ------------------------------------------------------------------------ */

static void mtap_build_encap_map(void)
{
	/* Canonical link types first: several map to the same encapsulation (12, 14 and 101 are
	 * all raw IP), and the first one wins. */
	static const int linktypes[] = {
	    MTA_LINKTYPE_ETHERNET, MTA_LINKTYPE_LINUX_SLL, MTA_LINKTYPE_LINUX_SLL2,
	    MTA_LINKTYPE_RAW,      MTA_LINKTYPE_IPV4,      MTA_LINKTYPE_IPV6,
	    MTA_LINKTYPE_NULL,     MTA_LINKTYPE_LOOP,      MTA_DLT_RAW_BSD,
	    MTA_DLT_RAW_OPENBSD,
	};
	n_encaps = 0;
	for (size_t i = 0; i < G_N_ELEMENTS(linktypes); i++) {
		int lt = linktypes[i];
		if (!mta_linktype_supported(lt))
			continue;
		int w = wtap_pcap_encap_to_wtap_encap(lt);
		if (w < 0 || w == WTAP_ENCAP_UNKNOWN)
			continue;
		bool dup = false;
		for (size_t j = 0; j < n_encaps; j++)
			dup = dup || encaps[j].wtap_encap == w;
		if (!dup && n_encaps < G_N_ELEMENTS(encaps)) {
			encaps[n_encaps].wtap_encap = w;
			encaps[n_encaps].linktype = lt;
			n_encaps++;
		}
	}
}

static int mtap_linktype(int wtap_encap)
{
	for (size_t i = 0; i < n_encaps; i++)
		if (encaps[i].wtap_encap == wtap_encap)
			return encaps[i].linktype;
	return -1; /* the engine counts it as an unsupported link type */
}

/* ---- the analysis of an open capture ---------------------------------------------------- */

/* One engine and what it reported, per protocol and frame.  When both plugins are loaded, the
 * SMTP plugin's core serves both (see "sharing" below), so each frame is decoded, looked up and
 * analysed once; otherwise each plugin has its own. */
#define MTAP_NPROTO 3 /* indexed by enum mta_proto */

struct mtap_core {
	struct mta_engine *engine;
	bool finished;
	guint32 last_fed;
	unsigned protos;                          /* 1u << proto: the protocols analysed and kept */
	struct mtap_frame **frames[MTAP_NPROTO];  /* by frame number (g_malloc'd) */
	guint32 n_frames[MTAP_NPROTO];
	wmem_map_t *strings; /* interned strings */
	/* mtap_intern_name's cache: the short names events carry (SMTP state and verb, SPDU and
	 * TPDU names) are nearly always the same few literals */
	struct {
		const char *key, *copy;
	} intern_cache[64];
	/* the endpoints of the connection reported last (findings and summaries come in runs of
	 * one connection): kept once, not interned (each connection has its own) */
	struct {
		const struct mta_conn_id *id;
		const char *client, *server;
	} last_conn;
	/* the frame, event, finding and summary records and their strings: bump-allocated from
	 * chunks that live as long as the core (one per open capture) */
	struct mtap_chunk *chunks;
	size_t chunk_used, chunk_cap; /* in the newest chunk */
	size_t chunk_total;           /* octets in all chunks */
};

/* Chunks of 256 KiB while a capture's records are small; past 2 MiB in all, chunks of 2 MiB
 * aligned to 2 MiB and offered to the kernel as a transparent huge page (MADV_HUGEPAGE): a
 * large capture's records (tens of MB: events, findings, summaries) then cost one page fault
 * per 2 MiB instead of 512, and fewer TLB entries, inside a process that touches a lot of other
 * memory per frame.  Where the kernel declines, they are ordinary pages. */
#define MTAP_CHUNK_SMALL ((size_t)256 * 1024)
#define MTAP_CHUNK_HUGE ((size_t)2 * 1024 * 1024)

struct mtap_chunk {
	struct mtap_chunk *next;
	max_align_t data[];
};

/* A new chunk with at least need octets of room. */
static void mtap_chunk_add(struct mtap_core *k, size_t need)
{
	size_t size = k->chunk_total >= MTAP_CHUNK_HUGE ? MTAP_CHUNK_HUGE : MTAP_CHUNK_SMALL;
	while (size - offsetof(struct mtap_chunk, data) < need)
		size *= 2; /* a record larger than a chunk (a very long summary) */
	void *mem = NULL;
	if (posix_memalign(&mem, size >= MTAP_CHUNK_HUGE ? MTAP_CHUNK_HUGE : 64, size) != 0)
		g_error("mtap: out of memory for %zu octets of records", size); /* as g_malloc */
#ifdef MADV_HUGEPAGE
	if (size >= MTAP_CHUNK_HUGE)
		(void)madvise(mem, size, MADV_HUGEPAGE);
#endif
	struct mtap_chunk *c = (struct mtap_chunk *)mem;
	c->next = k->chunks;
	k->chunks = c;
	k->chunk_used = 0;
	k->chunk_cap = size - offsetof(struct mtap_chunk, data);
	k->chunk_total += size;
}

/* n octets aligned for any record, not cleared. */
static inline void *mtap_alloc(struct mtap_core *k, size_t n)
{
	n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	if (!k->chunks || k->chunk_cap - k->chunk_used < n)
		mtap_chunk_add(k, n);
	void *p = (char *)k->chunks->data + k->chunk_used;
	k->chunk_used += n;
	return p;
}

/* A zeroed record of n octets. */
static inline void *mtap_alloc0(struct mtap_core *k, size_t n)
{
	void *p = mtap_alloc(k, n);
	memset(p, 0, n);
	return p;
}

/* A copy of s that lives as long as the core. */
static const char *mtap_strdup(struct mtap_core *k, const char *s)
{
	size_t n = strlen(s) + 1;
	return (const char *)memcpy(mtap_alloc(k, n), s, n);
}

static struct mtap_core own;

/* ---- storage --------------------------------------------------------------------------- */

static const char *mtap_intern(struct mtap_core *k, const char *s)
{
	if (!s)
		return NULL;
	const char *v = (const char *)wmem_map_lookup(k->strings, s);
	if (!v) {
		char *copy = wmem_strdup(wmem_file_scope(), s);
		wmem_map_insert(k->strings, copy, copy);
		v = copy;
	}
	return v;
}

/* mtap_intern with a pointer-keyed cache in front of the map, checked by content, so the
 * common case is one short strcmp. */
static const char *mtap_intern_name(struct mtap_core *k, const char *s)
{
	if (!s)
		return NULL;
	guint slot = (guint)(((guintptr)s >> 3) * 2654435761u) % G_N_ELEMENTS(k->intern_cache);
	if (k->intern_cache[slot].key == s && strcmp(k->intern_cache[slot].copy, s) == 0)
		return k->intern_cache[slot].copy;
	const char *v = mtap_intern(k, s);
	k->intern_cache[slot].key = s;
	k->intern_cache[slot].copy = v;
	return v;
}

/* The client and server strings of a connection, copied once per run of its reports. */
static void mtap_conn_strings(struct mtap_core *k, const struct mta_conn_id *id, const char **client,
                              const char **server)
{
	if (!id) {
		*client = *server = NULL;
		return;
	}
	if (k->last_conn.id != id || strcmp(k->last_conn.client, id->client) != 0 ||
	    strcmp(k->last_conn.server, id->server) != 0) {
		k->last_conn.id = id;
		k->last_conn.client = mtap_strdup(k, id->client);
		k->last_conn.server = mtap_strdup(k, id->server);
	}
	*client = k->last_conn.client;
	*server = k->last_conn.server;
}

static struct mtap_frame *mtap_core_lookup(enum mta_proto proto, guint32 num)
{
	if ((unsigned)proto >= MTAP_NPROTO)
		return NULL;
	return num < own.n_frames[proto] ? own.frames[proto][num] : NULL;
}

/* The frame's record of protocol proto, created when needed; NULL for a protocol not kept. */
static struct mtap_frame *mtap_frame_get(struct mtap_core *k, enum mta_proto proto, uint64_t num)
{
	if ((unsigned)proto >= MTAP_NPROTO || !(k->protos & (1u << proto)))
		return NULL;
	if (num == 0 || num >= G_MAXUINT32 || !k->strings)
		return NULL;
	struct mtap_frame **frames = k->frames[proto];
	guint32 n_frames = k->n_frames[proto];
	if (num >= n_frames) {
		guint32 n = n_frames ? n_frames : 4096;
		while (n <= num && n < G_MAXUINT32 / 2)
			n *= 2;
		if (n <= num)
			n = (guint32)num + 1;
		frames = (struct mtap_frame **)g_realloc(frames, (gsize)n * sizeof(*frames));
		memset(frames + n_frames, 0, (gsize)(n - n_frames) * sizeof(*frames));
		k->frames[proto] = frames;
		k->n_frames[proto] = n;
	}
	struct mtap_frame *fr = frames[num];
	if (!fr) {
		fr = (struct mtap_frame *)mtap_alloc0(k, sizeof(*fr));
		frames[num] = fr;
	}
	return fr;
}

static void mtap_on_finding(void *user, const struct mta_finding *f)
{
	struct mtap_core *k = (struct mtap_core *)user;
	struct mtap_frame *fr = mtap_frame_get(k, mta_finding_proto(f->code), f->frame);
	if (!fr)
		return;
	struct mtap_item *it = (struct mtap_item *)mtap_alloc0(k, sizeof(*it));
	it->code = f->code;
	it->severity = f->severity;
	it->dir = f->dir;
	it->related_frame = f->related_frame;
	it->message = mtap_strdup(k, f->message ? f->message : "");
	mtap_conn_strings(k, f->conn, &it->client, &it->server);
	it->detail_json = f->detail_json ? mtap_strdup(k, f->detail_json) : NULL;
	if (fr->items_tail)
		fr->items_tail->next = it;
	else
		fr->items = it;
	fr->items_tail = it;
	fr->n_items++;
}

static void mtap_on_summary(void *user, const struct mta_summary *s)
{
	struct mtap_core *k = (struct mtap_core *)user;
	struct mtap_frame *fr = mtap_frame_get(k, s->proto, s->first_frame);
	if (!fr)
		return;
	struct mtap_summary *sm = (struct mtap_summary *)mtap_alloc0(k, sizeof(*sm));
	sm->first_frame = s->first_frame;
	sm->last_frame = s->last_frame;
	mtap_conn_strings(k, s->conn, &sm->client, &sm->server);
	sm->text = s->text ? mtap_strdup(k, s->text) : "";
	sm->json = s->json ? mtap_strdup(k, s->json) : NULL;
	if (fr->summaries_tail)
		fr->summaries_tail->next = sm;
	else
		fr->summaries = sm;
	fr->summaries_tail = sm;
}

static uint32_t mtap_u32(uint64_t v)
{
	return v > G_MAXUINT32 ? G_MAXUINT32 : (uint32_t)v;
}

static void mtap_on_event(void *user, const struct mta_event *e)
{
	struct mtap_core *k = (struct mtap_core *)user;
	struct mtap_frame *fr = mtap_frame_get(k, e->proto, e->frame);
	if (!fr)
		return;
	struct mtap_ev *ev = (struct mtap_ev *)mtap_alloc0(k, sizeof(*ev));
	ev->kind = (uint8_t)e->kind;
	ev->dir = (uint8_t)e->dir;
	switch (e->kind) {
	case MTA_EV_SMTP_CMD:
	case MTA_EV_SMTP_REPLY:
	case MTA_EV_SMTP_DATA:
	case MTA_EV_SMTP_TLS:
		ev->u.smtp.state = mtap_intern_name(k, e->smtp_state);
		ev->u.smtp.cmd = mtap_intern_name(k, e->smtp_cmd);
		ev->u.smtp.transaction = e->transaction;
		ev->u.smtp.code =
		    (int16_t)(e->reply_code >= 0 && e->reply_code <= 999 ? e->reply_code : -1);
		ev->u.smtp.latency_usec = e->latency_usec;
		ev->u.smtp.data_octets = e->data_octets;
		break;
	case MTA_EV_OSI_TPDU:
	case MTA_EV_OSI_SPDU:
		ev->label = mtap_intern(k, e->label);
		ev->u.osi.spdu = mtap_intern_name(k, e->spdu);
		ev->u.osi.tokens = mtap_intern(k, e->tokens);
		ev->u.osi.activity_id = mtap_intern(k, e->activity_id);
		ev->u.osi.serial = e->serial;
		ev->u.osi.known_before = e->v_known_before;
		ev->u.osi.known_after = e->v_known_after;
		ev->u.osi.vm_before = mtap_u32(e->vm_before);
		ev->u.osi.va_before = mtap_u32(e->va_before);
		ev->u.osi.vm_after = mtap_u32(e->vm_after);
		ev->u.osi.va_after = mtap_u32(e->va_after);
		ev->u.osi.window_used = e->window_used;
		ev->u.osi.window_size = e->window_size;
		break;
	case MTA_EV_TCP:
	default:
		ev->label = mtap_intern(k, e->label);
		break;
	}
	if (!fr->conv)
		fr->conv = mtap_u32(e->conn_first_frame);
	if (fr->evs_tail)
		fr->evs_tail->next = ev;
	else
		fr->evs = ev;
	fr->evs_tail = ev;
}

/* ---- engine life cycle ----------------------------------------------------------------- */

static void mtap_ports_from_range(const range_t *r, uint16_t *ports, size_t *n)
{
	*n = 0;
	for (guint i = 0; r && i < r->nranges; i++)
		for (guint32 p = r->ranges[i].low; p <= r->ranges[i].high && p <= 65535u; p++) {
			if (*n == MTA_MAX_PORTS)
				return; /* the engine keeps at most MTA_MAX_PORTS ports */
			ports[(*n)++] = (uint16_t)p;
		}
}

static bool mtap_peer_loaded(void)
{
	module_t *m = prefs_find_module(mtap_desc.peer_filter);
	return m && prefs_find_preference(m, "ports");
}

/* The port set of the other plugin when it is loaded, else its default. */
static void mtap_peer_ports(uint16_t *ports, size_t *n)
{
	if (mtap_peer_loaded()) {
		mtap_ports_from_range(prefs_get_range_value(mtap_desc.peer_filter, "ports"), ports,
		                      n);
		return;
	}
	(void)mta_parse_port_list(mtap_desc.peer_ports_default, ports, n);
}

/* A numeric preference of the other plugin, or 0 when it is not loaded or has none. */
static guint mtap_peer_uint(const char *name)
{
	module_t *m = prefs_find_module(mtap_desc.peer_filter);
	return m && prefs_find_preference(m, name) ? prefs_get_uint_value(mtap_desc.peer_filter, name)
	                                           : 0;
}

static void mtap_core_free(struct mtap_core *k)
{
	mta_engine_free(k->engine);
	for (int p = 0; p < MTAP_NPROTO; p++)
		g_free(k->frames[p]);
	while (k->chunks) {
		struct mtap_chunk *c = k->chunks;
		k->chunks = c->next;
		free(c);
	}
	memset(k, 0, sizeof *k);
}

/* A fresh core for a capture being opened; protos: the protocols to analyse and keep. */
static void mtap_core_start(struct mtap_core *k, unsigned protos)
{
	struct mta_config cfg;
	struct mta_hooks hooks = {0};

	mtap_core_free(k);
	mta_config_defaults(&cfg);
	if (mtap_desc.proto == MTA_PROTO_SMTP) {
		mtap_ports_from_range(pref_ports, cfg.smtp_ports, &cfg.n_smtp_ports);
		mtap_peer_ports(cfg.osi_ports, &cfg.n_osi_ports);
	} else {
		mtap_ports_from_range(pref_ports, cfg.osi_ports, &cfg.n_osi_ports);
		mtap_peer_ports(cfg.smtp_ports, &cfg.n_smtp_ports);
	}
	/* only the SMTP plugin's core analyses SMTP: the stall threshold is its preference; the
	 * caps are the larger of the two plugins' */
	if (mtap_desc.has_stall)
		cfg.stall_usec = (uint64_t)pref_stall_sec * 1000000u;
	guint max_conns = MAX(pref_max_conns, mtap_peer_uint("max_conns"));
	guint max_buf = MAX(pref_max_buf, mtap_peer_uint("max_buf"));
	if (max_conns > 0)
		cfg.max_conns = max_conns;
	if (max_buf > 0)
		cfg.max_buf_per_dir = max_buf;
	/* classify like mtadiag (both port sets), analyse only the protocols kept */
	cfg.skip_protos = ((1u << MTA_PROTO_SMTP) | (1u << MTA_PROTO_OSI)) & ~protos;
	cfg.events = true;
	hooks.on_finding = mtap_on_finding;
	hooks.on_summary = mtap_on_summary;
	hooks.on_event = mtap_on_event;
	k->protos = protos;
	k->strings = wmem_map_new(wmem_file_scope(), g_str_hash, g_str_equal);
	k->engine = mta_engine_new(&cfg, &hooks, k);
}

static void mtap_core_finish(void)
{
	if (own.engine && !own.finished) {
		own.finished = true;
		mta_engine_finish(own.engine);
	}
}

static void mtap_core_feed(tvbuff_t *tvb, packet_info *pinfo)
{
	if (!own.engine || !pinfo->rec || pinfo->rec->rec_type != REC_TYPE_PACKET)
		return;
	/* Frames are fed once each, in order.  A frame seen for the first time after the engine
	 * was finished (a live capture in the GUI, re-dissected meanwhile) goes on into the same
	 * engine, whose connections then restart mid-stream. */
	if (pinfo->num <= own.last_fed)
		return;
	own.last_fed = pinfo->num;
	own.finished = false;

	guint caplen = tvb_captured_length(tvb);
	struct mta_frame f;
	f.number = pinfo->num;
	f.ts.sec = (int64_t)pinfo->abs_ts.secs;
	f.ts.usec = pinfo->abs_ts.nsecs > 0 ? (uint32_t)(pinfo->abs_ts.nsecs / 1000) : 0;
	f.linktype = mtap_linktype(pinfo->rec->rec_header.packet_header.pkt_encap);
	f.data = caplen ? tvb_get_ptr(tvb, 0, (gint)caplen) : NULL;
	f.caplen = caplen;
	f.wirelen = tvb_reported_length(tvb);
	(void)mta_engine_feed(own.engine, &f);
}


/* ---- sharing ----------------------------------------------------------------------------
 *
 * Both plugins compile the engine in, and Wireshark loads each plugin's symbols privately.  Each
 * exports one symbol, mtap_link_v1: this build's identity and its frame renderer.  When both
 * are loaded from one folder and are the same build, the OSI plugin joins the SMTP plugin at
 * registration: the SMTP plugin's core then analyses both protocols, and its one postdissector
 * (bound to no protocol, so it runs while either is enabled) feeds each frame once and renders
 * both protocols' records, each while its protocol is enabled.  Otherwise each plugin has its
 * own core and its own postdissector. */
struct mtap_link {
	guint32 magic, abi;
	const char *version;
	gsize sizes[4];
	enum mta_proto proto;
	int *proto_id;
	gboolean (*render)(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
	                   struct mtap_frame *fr);
	struct mtap_link *joined; /* the SMTP plugin's: the OSI plugin's link once it joined */
};

#define MTAP_LINK_MAGIC 0x6d746170u /* "mtap" */
#define MTAP_LINK_ABI 1u            /* bump when this struct or the storage structs change */

static gboolean mtap_render_frame(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
                                  struct mtap_frame *fr);

WS_DLL_PUBLIC_DEF struct mtap_link mtap_link_v1 = {
    .magic = MTAP_LINK_MAGIC,
    .abi = MTAP_LINK_ABI,
    .version = MTA_VERSION,
    .sizes = {sizeof(struct mtap_frame), sizeof(struct mtap_item), sizeof(struct mtap_summary),
              sizeof(struct mtap_ev)},
    .proto = MTA_PROTO_NONE, /* set at registration */
    .proto_id = &proto_mtap,
    .render = mtap_render_frame,
    .joined = NULL,
};

static struct mtap_link *joined_to; /* the OSI plugin: the SMTP plugin's link it joined */

/* The other plugin's link when it is loaded from this plugin's folder and is this build. */
static struct mtap_link *mtap_peer_link(void)
{
	Dl_info info;
	if (!dladdr(&mtap_link_v1, &info) || !info.dli_fname)
		return NULL;
	char *dir = g_path_get_dirname(info.dli_fname);
	char *file = g_strdup_printf("%s.so", mtap_desc.peer_filter);
	char *path = g_build_filename(dir, file, NULL);
	void *h = dlopen(path, RTLD_LAZY | RTLD_NOLOAD); /* only if Wireshark loaded it */
	g_free(path);
	g_free(file);
	g_free(dir);
	if (!h)
		return NULL;
	struct mtap_link *l = (struct mtap_link *)dlsym(h, "mtap_link_v1");
	dlclose(h); /* drops the reference NOLOAD took; Wireshark keeps its own */
	if (!l || l->magic != MTAP_LINK_MAGIC || l->abi != MTAP_LINK_ABI || !l->version ||
	    strcmp(l->version, MTA_VERSION) != 0 ||
	    memcmp(l->sizes, mtap_link_v1.sizes, sizeof l->sizes) != 0)
		return NULL;
	return l;
}

/* At registration (every plugin is loaded by then): the OSI plugin joins the SMTP plugin. */
static void mtap_link_register(void)
{
	mtap_link_v1.proto = mtap_desc.proto;
	if (mtap_desc.proto != MTA_PROTO_OSI)
		return;
	struct mtap_link *l = mtap_peer_link();
	if (l && !l->joined) {
		l->joined = &mtap_link_v1;
		joined_to = l;
	}
}

static bool mtap_proto_enabled(int id)
{
	return id >= 0 && proto_is_protocol_enabled(find_protocol_by_id(id));
}

static void mtap_init(void)
{
	if (joined_to)
		return; /* the SMTP plugin's core serves this plugin */
	unsigned protos = 0;
	if (mtap_proto_enabled(proto_mtap))
		protos |= 1u << mtap_desc.proto;
	struct mtap_link *j = mtap_link_v1.joined;
	if (j && mtap_proto_enabled(*j->proto_id))
		protos |= 1u << j->proto;
	if (protos)
		mtap_core_start(&own, protos);
	else
		mtap_core_free(&own);
}

static void mtap_cleanup(void)
{
	mtap_core_free(&own);
}


/* ---- rendering ------------------------------------------------------------------------- */

static void mtap_render_item(proto_tree *pt, tvbuff_t *tvb, packet_info *pinfo,
                             const struct mtap_item *it)
{
	const char *code = mta_finding_code_str(it->code);
	const char *sev = mta_severity_str(it->severity);
	proto_item *ci = proto_tree_add_string_format(pt, hf_code, tvb, 0, 0, code, "%s [%s]: %s",
	                                              code, sev, it->message);
	proto_item_set_generated(ci);
	proto_tree *ft = proto_item_add_subtree(ci, ett_finding);
	proto_item_set_generated(proto_tree_add_string(ft, hf_severity, tvb, 0, 0, sev));
	proto_item_set_generated(proto_tree_add_string(ft, hf_message, tvb, 0, 0, it->message));
	proto_item_set_generated(
	    proto_tree_add_string(ft, hf_dir, tvb, 0, 0, mta_dir_str(it->dir)));
	if (it->client)
		proto_item_set_generated(
		    proto_tree_add_string(ft, hf_client, tvb, 0, 0, it->client));
	if (it->server)
		proto_item_set_generated(
		    proto_tree_add_string(ft, hf_server, tvb, 0, 0, it->server));
	if (it->related_frame && it->related_frame <= G_MAXUINT32)
		proto_item_set_generated(
		    proto_tree_add_uint(ft, hf_related, tvb, 0, 0, (guint32)it->related_frame));
	if (it->detail_json)
		proto_item_set_generated(
		    proto_tree_add_string(ft, hf_detail, tvb, 0, 0, it->detail_json));
	/* The expert info carries the message; Wireshark cuts expert texts at 239 octets, the
	 * message field above keeps it whole. */
	expert_add_info_format(pinfo, ci, &ei_ids[it->code][it->severity], "%s", it->message);
}

static void mtap_render_summary(proto_tree *pt, tvbuff_t *tvb, const struct mtap_summary *sm)
{
	proto_item *si = proto_tree_add_none_format(
	    pt, hf_summary, tvb, 0, 0, "Connection summary: %s -> %s, frames %" PRIu64 "-%" PRIu64,
	    sm->client ? sm->client : "?", sm->server ? sm->server : "?", sm->first_frame,
	    sm->last_frame);
	proto_item_set_generated(si);
	proto_tree *st = proto_item_add_subtree(si, ett_summary);
	if (sm->first_frame <= G_MAXUINT32)
		proto_item_set_generated(
		    proto_tree_add_uint(st, hf_sum_first, tvb, 0, 0, (guint32)sm->first_frame));
	if (sm->last_frame <= G_MAXUINT32)
		proto_item_set_generated(
		    proto_tree_add_uint(st, hf_sum_last, tvb, 0, 0, (guint32)sm->last_frame));
	const char *p = sm->text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len > 0) {
			char *line = g_strndup(p, len);
			proto_item_set_generated(
			    proto_tree_add_string(st, hf_sum_line, tvb, 0, 0, line));
			g_free(line);
		}
		p += len + (nl ? 1 : 0);
	}
	if (sm->json)
		proto_item_set_generated(
		    proto_tree_add_string(st, hf_sum_json, tvb, 0, 0, sm->json));
}

static const char *mtap_smtp_kind(unsigned kind)
{
	switch (kind) {
	case MTA_EV_SMTP_CMD:
		return "command";
	case MTA_EV_SMTP_REPLY:
		return "reply";
	case MTA_EV_SMTP_DATA:
		return "data";
	case MTA_EV_SMTP_TLS:
		return "tls";
	default:
		return "?";
	}
}

/* A generated item only when it is shown or filtered on: the caller skips the value work. */
#define MTAP_GEN(expr) proto_item_set_generated(expr)

static void mtap_render_smtp(proto_tree *pt, tvbuff_t *tvb, const struct mtap_ev *e)
{
	const char *cmd = e->u.smtp.cmd ? e->u.smtp.cmd : "";
	const char *state = e->u.smtp.state ? e->u.smtp.state : "";
	guint32 txn = e->u.smtp.transaction;
	proto_item *ei;
	switch (e->kind) {
	case MTA_EV_SMTP_CMD:
		ei = proto_tree_add_string_format(pt, hf_event, tvb, 0, 0, "command",
		                                  "Command %s (transaction %u), state %s", cmd, txn,
		                                  state);
		break;
	case MTA_EV_SMTP_REPLY:
		if (cmd[0])
			ei = proto_tree_add_string_format(
			    pt, hf_event, tvb, 0, 0, "reply",
			    "Reply %d to %s after %.3f ms (transaction %u), state %s",
			    e->u.smtp.code, cmd, (double)e->u.smtp.latency_usec / 1000.0, txn,
			    state);
		else
			ei = proto_tree_add_string_format(
			    pt, hf_event, tvb, 0, 0, "reply",
			    "Reply %d (greeting or unsolicited), state %s", e->u.smtp.code, state);
		break;
	case MTA_EV_SMTP_DATA:
		ei = proto_tree_add_string_format(pt, hf_event, tvb, 0, 0, "data",
		                                  "End of %s: %" PRIu64 " octets (transaction %u)",
		                                  strcmp(cmd, "BDAT") == 0 ? "BDAT chunk"
		                                                           : "message",
		                                  e->u.smtp.data_octets, txn);
		break;
	case MTA_EV_SMTP_TLS:
	default:
		ei = proto_tree_add_string_format(pt, hf_event, tvb, 0, 0, mtap_smtp_kind(e->kind),
		                                  "TLS starts (after 220 to STARTTLS)");
		break;
	}
	MTAP_GEN(ei);
	proto_tree *et = proto_item_add_subtree(ei, ett_event);
	MTAP_GEN(proto_tree_add_string(et, hf_state, tvb, 0, 0, state));
	if (cmd[0])
		MTAP_GEN(proto_tree_add_string(et, hf_command, tvb, 0, 0, cmd));
	if (e->u.smtp.code >= 0)
		MTAP_GEN(
		    proto_tree_add_uint(et, hf_reply_code, tvb, 0, 0, (guint32)e->u.smtp.code));
	if (txn)
		MTAP_GEN(proto_tree_add_uint(et, hf_transaction, tvb, 0, 0, txn));
	if (e->kind == MTA_EV_SMTP_REPLY && cmd[0]) {
		nstime_t t;
		t.secs = (time_t)(e->u.smtp.latency_usec / 1000000u);
		t.nsecs = (int)(e->u.smtp.latency_usec % 1000000u) * 1000;
		MTAP_GEN(proto_tree_add_time(et, hf_latency, tvb, 0, 0, &t));
	}
	if (e->kind == MTA_EV_SMTP_DATA)
		MTAP_GEN(
		    proto_tree_add_uint64(et, hf_data_octets, tvb, 0, 0, e->u.smtp.data_octets));
}

/* Next SPDU of an OSI event label "GT+MIP(3) !overrun" (the markers after a space end it):
 * its name into name[cap], its serial into *serial (-1 none); returns false at the end. */
bool mtap_next_spdu(const char **pp, char *name, size_t cap, int64_t *serial)
{
	const char *p = *pp;
	if (*p == '+')
		p++;
	if (*p == '\0' || *p == ' ')
		return false;
	size_t k = 0;
	while (*p && *p != '+' && *p != ' ' && *p != '(') {
		if (k + 1 < cap)
			name[k++] = *p;
		p++;
	}
	name[k] = '\0';
	if (k == 0)
		return false; /* "(no SPDU)": nothing decoded */
	*serial = -1;
	if (*p == '(') {
		int64_t v = 0;
		bool digits = false;
		for (p++; *p >= '0' && *p <= '9'; p++) {
			if (v < G_MAXUINT32)
				v = v * 10 + (*p - '0');
			digits = true;
		}
		if (digits)
			*serial = v;
		while (*p && *p != '+' && *p != ' ')
			p++;
	}
	*pp = p;
	return true;
}

/* The SPDUs of an OSI event's label: each name, and its serial. */
static void mtap_render_spdus(proto_tree *et, tvbuff_t *tvb, const char *label)
{
	char name[32];
	int64_t sn;
	const char *p = label;
	while (mtap_next_spdu(&p, name, sizeof name, &sn)) {
		MTAP_GEN(proto_tree_add_string(et, hf_spdu, tvb, 0, 0, name));
		if (sn >= 0 && sn <= G_MAXUINT32)
			MTAP_GEN(proto_tree_add_uint(et, hf_serial, tvb, 0, 0, (guint32)sn));
	}
}

static void mtap_render_osi(proto_tree *pt, tvbuff_t *tvb, const struct mtap_ev *e)
{
	const char *label = e->label ? e->label : "";
	const char *dir = mta_dir_str((enum mta_dir)e->dir);
	if (e->kind == MTA_EV_OSI_TPDU) {
		MTAP_GEN(proto_tree_add_string_format(pt, hf_tpdu, tvb, 0, 0,
		                                      e->u.osi.spdu ? e->u.osi.spdu : label,
		                                      "Transport %s (%s)", label, dir));
		return;
	}
	proto_item *ei;
	if (e->u.osi.known_before && e->u.osi.known_after)
		ei = proto_tree_add_string_format(
		    pt, hf_tsdu, tvb, 0, 0, label,
		    "Session TSDU (%s): %s, V(M) %u->%u V(A) %u->%u, tokens %s%s%s", dir, label,
		    e->u.osi.vm_before, e->u.osi.vm_after, e->u.osi.va_before, e->u.osi.va_after,
		    e->u.osi.tokens ? e->u.osi.tokens : "?",
		    e->u.osi.activity_id ? ", activity " : "",
		    e->u.osi.activity_id ? e->u.osi.activity_id : "");
	else
		ei = proto_tree_add_string_format(pt, hf_tsdu, tvb, 0, 0, label,
		                                  "Session TSDU (%s): %s, tokens %s%s%s", dir,
		                                  label, e->u.osi.tokens ? e->u.osi.tokens : "?",
		                                  e->u.osi.activity_id ? ", activity " : "",
		                                  e->u.osi.activity_id ? e->u.osi.activity_id : "");
	MTAP_GEN(ei);
	proto_tree *et = proto_item_add_subtree(ei, ett_event);
	if (e->u.osi.spdu)
		MTAP_GEN(proto_tree_add_string(et, hf_kind, tvb, 0, 0, e->u.osi.spdu));
	mtap_render_spdus(et, tvb, label);
	if (e->u.osi.known_before) {
		MTAP_GEN(proto_tree_add_uint(et, hf_vm_before, tvb, 0, 0, e->u.osi.vm_before));
		MTAP_GEN(proto_tree_add_uint(et, hf_va_before, tvb, 0, 0, e->u.osi.va_before));
	}
	if (e->u.osi.known_after) {
		MTAP_GEN(proto_tree_add_uint(et, hf_vm_after, tvb, 0, 0, e->u.osi.vm_after));
		MTAP_GEN(proto_tree_add_uint(et, hf_va_after, tvb, 0, 0, e->u.osi.va_after));
	}
	if (e->u.osi.tokens)
		MTAP_GEN(proto_tree_add_string(et, hf_tokens, tvb, 0, 0, e->u.osi.tokens));
	if (e->u.osi.activity_id)
		MTAP_GEN(proto_tree_add_string(et, hf_activity, tvb, 0, 0, e->u.osi.activity_id));
	if (e->u.osi.window_size >= 0) {
		MTAP_GEN(proto_tree_add_uint(
		    et, hf_win_used, tvb, 0, 0,
		    (guint32)(e->u.osi.window_used > 0 ? e->u.osi.window_used : 0)));
		MTAP_GEN(
		    proto_tree_add_uint(et, hf_win_size, tvb, 0, 0, (guint32)e->u.osi.window_size));
	}
}

static void mtap_render_event(proto_tree *pt, tvbuff_t *tvb, const struct mtap_ev *e)
{
	if (e->kind == MTA_EV_TCP)
		MTAP_GEN(proto_tree_add_string_format(
		    pt, hf_tcp_event, tvb, 0, 0, e->label ? e->label : "", "TCP %s (%s)",
		    e->label ? e->label : "", mta_dir_str((enum mta_dir)e->dir)));
	else if (mtap_desc.proto == MTA_PROTO_SMTP)
		mtap_render_smtp(pt, tvb, e);
	else
		mtap_render_osi(pt, tvb, e);
}

/* The protocol item's text: what happened on the frame, most telling first. */
static void mtap_append_info(proto_item *ti, const struct mtap_frame *fr)
{
	if (fr->n_items)
		proto_item_append_text(ti, ", %u finding%s", fr->n_items,
		                       fr->n_items == 1 ? "" : "s");
	if (fr->summaries)
		proto_item_append_text(ti, ", connection summary");
	for (const struct mtap_ev *e = fr->evs; e; e = e->next) {
		if (e->kind == MTA_EV_SMTP_REPLY)
			proto_item_append_text(ti, ", %d %s", e->u.smtp.code,
			                       e->u.smtp.cmd ? e->u.smtp.cmd : "");
		else if (e->kind == MTA_EV_SMTP_CMD)
			proto_item_append_text(ti, ", %s", e->u.smtp.cmd ? e->u.smtp.cmd : "");
		else if (e->label && e->label[0])
			proto_item_append_text(ti, ", %s", e->label);
	}
}

/* One protocol's record of a frame: protocol item, findings (their expert infos also without a
 * tree: they feed the expert tap), and the events and summaries when they are wanted. */
static gboolean mtap_render_frame(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
                                  struct mtap_frame *fr)
{
	if (!fr)
		return FALSE;
	bool want_tree = tree && proto_field_is_referenced(tree, proto_mtap);
	if (!fr->n_items && !want_tree) {
		/* nothing to show or count for the expert tap: only the stats tree wants it */
		if (have_tap_listener(mtap_tap))
			tap_queue_packet(mtap_tap, pinfo, fr);
		return TRUE;
	}
	/* what Wireshark sets when it calls a protocol's dissector: expert infos name it */
	const char *saved_proto = pinfo->current_proto;
	pinfo->current_proto = mtap_desc.short_name;
	proto_item *ti = proto_tree_add_item(tree, proto_mtap, tvb, 0, 0, ENC_NA);
	proto_item_set_generated(ti);
	if (tree && PTREE_DATA(tree)->visible)
		mtap_append_info(ti, fr);
	proto_tree *pt = proto_item_add_subtree(ti, ett_mtap);
	MTAP_GEN(proto_tree_add_uint(pt, hf_findings, tvb, 0, 0, fr->n_items));
	for (const struct mtap_item *it = fr->items; it; it = it->next)
		mtap_render_item(pt, tvb, pinfo, it);
	/* the events and summaries only when the tree is shown or a filter, column or -e asks
	 * for one of our fields (tshark -q -z expert needs neither) */
	if (want_tree) {
		if (fr->conv)
			MTAP_GEN(proto_tree_add_uint(pt, hf_conv, tvb, 0, 0, fr->conv));
		for (const struct mtap_ev *e = fr->evs; e; e = e->next)
			mtap_render_event(pt, tvb, e);
		for (const struct mtap_summary *sm = fr->summaries; sm; sm = sm->next)
			mtap_render_summary(pt, tvb, sm);
	}
	if (have_tap_listener(mtap_tap))
		tap_queue_packet(mtap_tap, pinfo, fr);
	pinfo->current_proto = saved_proto;
	return TRUE;
}

/* Analysis on the first pass (each frame once, in order); the end of the capture on the first
 * frame of a later pass, should no postseq cleanup have come. */
static void mtap_analyse(tvbuff_t *tvb, packet_info *pinfo)
{
	if (!PINFO_FD_VISITED(pinfo))
		mtap_core_feed(tvb, pinfo);
	else
		mtap_core_finish();
}

/* The postdissector of a plugin on its own core (bound to its protocol). */
static int mtap_dissect(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree, void *data _U_)
{
	mtap_analyse(tvb, pinfo);
	if (!mtap_render_frame(tvb, pinfo, tree, mtap_core_lookup(mtap_desc.proto, pinfo->num)))
		return 0;
	return tvb_captured_length(tvb);
}

/* The one postdissector of both plugins when the OSI plugin joined (bound to no protocol). */
static int mtap_dissect_both(tvbuff_t *tvb, packet_info *pinfo, proto_tree *tree,
                             void *data _U_)
{
	struct mtap_link *j = mtap_link_v1.joined;
	gboolean any = FALSE;
	if (!own.engine)
		return 0;
	mtap_analyse(tvb, pinfo);
	/* a protocol disabled when the capture was opened has no records (mtap_init); most
	 * frames have none of either protocol, and then neither renderer is entered (the OSI
	 * plugin's is in the other library: its code stays out of the cache) */
	struct mtap_frame *fr = mtap_core_lookup(mtap_desc.proto, pinfo->num);
	struct mtap_frame *fj = mtap_core_lookup(j->proto, pinfo->num);
	if (fr)
		any |= mtap_render_frame(tvb, pinfo, tree, fr);
	if (fj)
		any |= j->render(tvb, pinfo, tree, fj);
	return any ? (int)tvb_captured_length(tvb) : 0;
}

/* ---- registration ---------------------------------------------------------------------- */

static const char *mtap_abbrev(const char *suffix)
{
	return g_strdup_printf("%s.%s", mtap_desc.filter, suffix); /* lives as long as the hf */
}

void mtap_proto_register(void)
{
	static hf_register_info hf[40];
	static gint *ett[] = {&ett_mtap, &ett_finding, &ett_summary, &ett_event};
	int n = 0;

#define MTAP_HF(var, label, suffix, type, disp, blurb)                                             \
	do {                                                                                       \
		hf_register_info r = {                                                             \
		    &(var), {label, mtap_abbrev(suffix), type, disp, NULL, 0, blurb, HFILL}};      \
		hf[n++] = r;                                                                       \
	} while (0)
	MTAP_HF(hf_findings, "Findings", "findings", FT_UINT32, BASE_DEC,
	        "Number of findings mtadiag reports on this frame");
	MTAP_HF(hf_code, "Finding", "code", FT_STRING, BASE_NONE,
	        "Finding code (also the expert-info name)");
	MTAP_HF(hf_severity, "Severity", "severity", FT_STRING, BASE_NONE,
	        "error, warning, note or chat");
	MTAP_HF(hf_message, "Message", "message", FT_STRING, BASE_NONE,
	        "What the finding means, in full");
	MTAP_HF(hf_dir, "Direction", "dir", FT_STRING, BASE_NONE,
	        "Who sent the offending unit: c2s or s2c");
	MTAP_HF(hf_client, "Client", "client", FT_STRING, BASE_NONE,
	        "Connection initiator, ip:port");
	MTAP_HF(hf_server, "Server", "server", FT_STRING, BASE_NONE,
	        "Connection responder, ip:port");
	MTAP_HF(hf_related, "Related frame", "related_frame", FT_FRAMENUM, BASE_NONE,
	        "The frame of the cause or effect");
	MTAP_HF(hf_detail, "Detail", "detail", FT_STRING, BASE_NONE,
	        "Machine-readable specifics (JSON)");
	MTAP_HF(hf_summary, "Connection summary", "summary", FT_NONE, BASE_NONE,
	        "What mtadiag saw on this connection (shown on its first frame)");
	MTAP_HF(hf_sum_first, "First frame", "summary.first_frame", FT_FRAMENUM, BASE_NONE, NULL);
	MTAP_HF(hf_sum_last, "Last frame", "summary.last_frame", FT_FRAMENUM, BASE_NONE, NULL);
	MTAP_HF(hf_sum_line, "Summary line", "summary.line", FT_STRING, BASE_NONE, NULL);
	MTAP_HF(hf_sum_json, "Summary (JSON)", "summary.json", FT_STRING, BASE_NONE, NULL);
	MTAP_HF(hf_conv, "Connection", "conv", FT_FRAMENUM, BASE_NONE,
	        "The connection this frame's events belong to (its first frame; the connection "
	        "summary is there)");
	MTAP_HF(hf_tcp_event, "TCP event", "tcp_event", FT_STRING, BASE_NONE,
	        "SYN, SYN-ACK, FIN, RST (first of each per direction), no-PSH, gap N");
	if (mtap_desc.proto == MTA_PROTO_SMTP) {
		MTAP_HF(hf_event, "SMTP event", "event", FT_STRING, BASE_NONE,
		        "command, reply, data (end of a message or BDAT chunk) or tls");
		MTAP_HF(hf_state, "Session state", "state", FT_STRING, BASE_NONE,
		        "After the unit: connect, greeting, ehlo, helo, auth, starttls, mail, "
		        "rcpt, data, bdat, quit, tls");
		MTAP_HF(hf_command, "Command", "cmd", FT_STRING, BASE_NONE,
		        "The command's verb, or of the command a reply answers (END_OF_DATA: the "
		        "message's end)");
		MTAP_HF(hf_reply_code, "Reply code", "reply_code", FT_UINT16, BASE_DEC, NULL);
		MTAP_HF(hf_transaction, "Mail transaction", "transaction", FT_UINT32, BASE_DEC,
		        "1-based index of the mail transaction in the session");
		MTAP_HF(hf_latency, "Reply latency", "latency", FT_RELATIVE_TIME, BASE_NONE,
		        "Time from the command to its reply");
		MTAP_HF(hf_data_octets, "Message octets", "data_octets", FT_UINT64, BASE_DEC,
		        "Octets of a DATA body (as sent, without the end marker) or a BDAT chunk");
	} else {
		MTAP_HF(hf_tsdu, "Session TSDU", "tsdu", FT_STRING, BASE_NONE,
		        "The SPDUs of a TSDU completed in this frame as the session layer means "
		        "them, with serials: GT+MIP(3)");
		MTAP_HF(hf_kind, "SPDU kind", "kind", FT_STRING, BASE_NONE,
		        "The TSDU's main SPDU (not the GT/PT carrier), as X.225 resolves it: AE, "
		        "not MAP");
		MTAP_HF(hf_spdu, "SPDU", "spdu", FT_STRING, BASE_NONE,
		        "Each session PDU of the TSDU (X.225 name), e.g. MIP, MIA, AB");
		MTAP_HF(hf_serial, "Serial number", "serial", FT_UINT32, BASE_DEC,
		        "Serial number carried by an SPDU");
		MTAP_HF(hf_vm_before, "V(M) before", "vm_before", FT_UINT32, BASE_DEC,
		        "Next serial number at the receiver's model, before the TSDU");
		MTAP_HF(hf_vm_after, "V(M)", "vm", FT_UINT32, BASE_DEC,
		        "V(M) after the TSDU: the next serial number at the receiver's model");
		MTAP_HF(hf_va_before, "V(A) before", "va_before", FT_UINT32, BASE_DEC,
		        "Lowest serial number still to be confirmed, at the receiver's model");
		MTAP_HF(hf_va_after, "V(A)", "va", FT_UINT32, BASE_DEC,
		        "V(A) after the TSDU: the lowest serial still to be confirmed");
		MTAP_HF(hf_tokens, "Token holders", "tokens", FT_STRING, BASE_NONE,
		        "After the TSDU: dk data, mi minor sync, ma major/activity, tr release; I "
		        "initiator, R responder, - not available, ? not known");
		MTAP_HF(hf_activity, "Activity", "activity", FT_STRING, BASE_NONE,
		        "Identifier (hex) of the activity open after the TSDU");
		MTAP_HF(hf_win_used, "RTS window used", "rts_window_used", FT_UINT32, BASE_DEC,
		        "Checkpoints sent and not yet confirmed");
		MTAP_HF(hf_win_size, "RTS window size", "rts_window_size", FT_UINT32, BASE_DEC,
		        "windowSize in force (RTS)");
		MTAP_HF(hf_tpdu, "Transport TPDU", "tpdu", FT_STRING, BASE_NONE,
		        "A COTP TPDU other than DT: CR, CC, DR, ER ...");
	}
#undef MTAP_HF

	proto_mtap =
	    proto_register_protocol(mtap_desc.name, mtap_desc.short_name, mtap_desc.filter);
	proto_register_field_array(proto_mtap, hf, n);
	proto_register_subtree_array(ett, G_N_ELEMENTS(ett));
	mtap_register_experts();

	module_t *m = prefs_register_protocol(proto_mtap, NULL);
	range_convert_str(wmem_epan_scope(), &pref_ports, mtap_desc.ports_default, 65535);
	prefs_register_range_preference(m, "ports", mtap_desc.ports_title,
	                                "TCP ports of this protocol (at most 32 are used); "
	                                "connections on other ports are still recognised by "
	                                "their first bytes",
	                                &pref_ports, 65535);
	if (mtap_desc.has_stall)
		prefs_register_uint_preference(
		    m, "stall", "Stall threshold (seconds)",
		    "A command or reply unanswered for longer than this is a stall", 10,
		    &pref_stall_sec);
	prefs_register_uint_preference(m, "max_conns", "Connections tracked at most",
	                               "Connection table cap of the analysis engine", 10,
	                               &pref_max_conns);
	prefs_register_uint_preference(m, "max_buf", "Bytes buffered per direction at most",
	                               "Reassembly buffer cap per connection direction", 10,
	                               &pref_max_buf);
	prefs_register_static_text_preference(
	    m, "note", "Changes apply when the capture is dissected again (reload).",
	    "The analysis runs once per capture, in frame order.");

	mtap_link_register();
	register_init_routine(mtap_init);
	register_cleanup_routine(mtap_cleanup);
	register_postseq_cleanup_routine(mtap_core_finish);
	mtap_tap = register_tap(mtap_desc.filter);
	mtap_build_encap_map();
}

void mtap_proto_handoff(void)
{
	if (joined_to)
		return; /* the SMTP plugin's postdissector renders this plugin's records */
	if (mtap_link_v1.joined)
		register_postdissector(create_dissector_handle(mtap_dissect_both, -1));
	else
		register_postdissector(create_dissector_handle(mtap_dissect, proto_mtap));
}
