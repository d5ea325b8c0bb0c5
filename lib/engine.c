/* engine.c — frames in, findings and summaries out: decode, connection table, reassembly
 * hookup, analyser selection, timers and finding emission.  No global state. */
#include "mtadiag/engine.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "analyser.h"
#include "decode.h"
#include "flow.h"
#include "reasm.h"
#include "sbuf.h"

struct mta_engine {
	struct mta_config cfg;
	struct mta_hooks hooks;
	void *user;
	struct mta_stats stats;
	struct flow_table ft;
	uint64_t next_conn_id;
	uint64_t cur_frame;
	struct mta_time cur_time;
	int64_t cur_us;           /* cur_time in microseconds (time_usec) */
	struct mta_time now;      /* latest capture time seen: drives timers */
	int64_t now_us;           /* now in microseconds (time_usec) */
	bool have_now;
	struct sbuf msg;          /* scratch for finding messages */
	struct sbuf sum[2];       /* scratch for summaries: JSON, text (conn_summary_buf) */
	uint8_t smtp_ports[8192]; /* bit sets over the 65536 ports */
	uint8_t osi_ports[8192];
};

/* Once per connection or rarer (creation, detection, closing, TCP events): kept out of the
 * per-segment path, whose instruction cache lines are what a host that runs other work
 * between our frames (a Wireshark plugin) pays for on every frame. */
#define ENGINE_RARE __attribute__((noinline, cold))

/* ---- configuration ---- */

void mta_config_defaults(struct mta_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->smtp_ports[0] = 25;
	cfg->smtp_ports[1] = 587;
	cfg->smtp_ports[2] = 2525;
	cfg->n_smtp_ports = 3;
	cfg->osi_ports[0] = 102;
	cfg->n_osi_ports = 1;
	cfg->stall_usec = MTA_DEFAULT_STALL_USEC;
	cfg->idle_timeout_usec = MTA_DEFAULT_IDLE_TIMEOUT_USEC;
	cfg->close_linger_usec = MTA_DEFAULT_CLOSE_LINGER_USEC;
	cfg->max_conns = MTA_DEFAULT_MAX_CONNS;
	cfg->max_buf_per_dir = MTA_DEFAULT_MAX_BUF_PER_DIR;
	cfg->max_line = MTA_DEFAULT_MAX_LINE;
	cfg->hash_seed = 0;
}

int mta_parse_port_list(const char *s, uint16_t *ports, size_t *n)
{
	uint16_t tmp[MTA_MAX_PORTS];
	size_t k = 0;
	const char *p = s;
	if (!s || !*s)
		return -1;
	for (;;) {
		unsigned long v = 0;
		size_t digits = 0;
		while (*p >= '0' && *p <= '9' && digits < 6) {
			v = v * 10 + (unsigned long)(*p - '0');
			p++;
			digits++;
		}
		if (digits == 0 || v == 0 || v > 65535 || k == MTA_MAX_PORTS)
			return -1;
		tmp[k++] = (uint16_t)v;
		if (*p == '\0')
			break;
		if (*p != ',')
			return -1;
		p++;
	}
	memcpy(ports, tmp, k * sizeof(tmp[0]));
	*n = k;
	return 0;
}

static bool port_in(const uint8_t *set, uint16_t port)
{
	return (set[port >> 3] >> (port & 7)) & 1;
}

static void port_set(uint8_t *set, const uint16_t *ports, size_t n)
{
	for (size_t i = 0; i < n; i++)
		set[ports[i] >> 3] |= (uint8_t)(1u << (ports[i] & 7));
}

/* ---- time ---- */

/* Microseconds since the epoch, saturating: capture timestamps are input, and a damaged record
 * may carry any value. */
static int64_t time_usec(struct mta_time t)
{
	const int64_t lim = INT64_MAX / 1000000 - 1;
	int64_t s = t.sec > lim ? lim : t.sec < -lim ? -lim : t.sec;
	uint32_t u = t.usec < 1000000u ? t.usec : t.usec % 1000000u; /* runs per frame */
	return s * 1000000 + (int64_t)u;
}

uint64_t mta_time_diff_usec(struct mta_time a, struct mta_time b)
{
	int64_t x = time_usec(a), y = time_usec(b);
	return y > x ? (uint64_t)y - (uint64_t)x : 0;
}

/* ---- engine life cycle ---- */

struct mta_engine *mta_engine_new(const struct mta_config *cfg, const struct mta_hooks *hooks,
				  void *user)
{
	struct mta_engine *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	if (cfg)
		e->cfg = *cfg;
	else
		mta_config_defaults(&e->cfg);
	if (e->cfg.max_conns == 0)
		e->cfg.max_conns = MTA_DEFAULT_MAX_CONNS;
	if (e->cfg.max_buf_per_dir == 0)
		e->cfg.max_buf_per_dir = MTA_DEFAULT_MAX_BUF_PER_DIR;
	if (e->cfg.max_line == 0)
		e->cfg.max_line = MTA_DEFAULT_MAX_LINE;
	if (e->cfg.n_smtp_ports > MTA_MAX_PORTS)
		e->cfg.n_smtp_ports = MTA_MAX_PORTS;
	if (e->cfg.n_osi_ports > MTA_MAX_PORTS)
		e->cfg.n_osi_ports = MTA_MAX_PORTS;
	if (hooks)
		e->hooks = *hooks;
	e->user = user;
	port_set(e->smtp_ports, e->cfg.smtp_ports, e->cfg.n_smtp_ports);
	port_set(e->osi_ports, e->cfg.osi_ports, e->cfg.n_osi_ports);
	sb_init(&e->msg);
	sb_init(&e->sum[0]);
	sb_init(&e->sum[1]);
	uint32_t seed = e->cfg.hash_seed;
	while (seed == 0) {
		if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed)) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			seed = (uint32_t)ts.tv_nsec ^ (uint32_t)(uintptr_t)e ^ 0x6d746164u;
		}
	}
	if (flow_init(&e->ft, e->cfg.max_conns, seed) != 0) {
		free(e);
		return NULL;
	}
	return e;
}

const struct mta_stats *mta_engine_stats(const struct mta_engine *e)
{
	return &e->stats;
}

/* ---- connection facts for analysers ---- */

const struct mta_conn_id *conn_id(const struct conn *c) { return &c->cid; }
const struct mta_config *conn_cfg(const struct conn *c) { return &c->eng->cfg; }
uint64_t conn_first_frame(const struct conn *c) { return c->first_frame; }
uint64_t conn_last_frame(const struct conn *c) { return c->last_frame; }
struct mta_time conn_first_time(const struct conn *c) { return c->first_time; }
struct mta_time conn_last_time(const struct conn *c) { return c->last_time; }
bool conn_syn_seen(const struct conn *c) { return c->syn_seen; }

uint64_t conn_cur_frame(const struct conn *c)
{
	return c->in_frame ? c->eng->cur_frame : c->last_frame;
}

struct mta_time conn_cur_time(const struct conn *c)
{
	return c->in_frame ? c->eng->cur_time : c->last_time;
}

unsigned conn_finding_count(const struct conn *c, enum mta_finding_code code)
{
	if (!c->fcount || (unsigned)code >= MTA_F_COUNT)
		return 0;
	return c->fcount[code];
}

/* ---- protocol events ---- */

bool conn_events_on(const struct conn *c)
{
	return c->eng->cfg.events && c->eng->hooks.on_event;
}

void conn_event_init(const struct conn *c, struct mta_event *ev, enum mta_event_kind kind,
                     enum mta_dir dir)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	ev->dir = dir;
	ev->frame = conn_cur_frame(c);
	ev->ts = conn_cur_time(c);
	ev->label = "";
	ev->reply_code = -1;
	ev->serial = -1;
	ev->window_used = -1;
	ev->window_size = -1;
}

void conn_event(struct conn *c, struct mta_event *ev)
{
	struct mta_engine *e = c->eng;
	if (!conn_events_on(c))
		return;
	ev->proto = c->ops ? c->ops->proto : MTA_PROTO_NONE;
	ev->conn = &c->cid;
	ev->conn_first_frame = c->first_frame;
	if (!ev->label)
		ev->label = "";
	e->hooks.on_event(e->user, ev);
}

/* SYN, SYN-ACK, FIN and RST of an analysed connection: the first of each per direction. */
ENGINE_RARE static void tcp_events(struct conn *c, enum mta_dir dir, uint8_t flags)
{
	struct mta_event ev;
	if ((flags & TCPF_SYN) && !c->ev_syn[dir]) {
		c->ev_syn[dir] = true;
		conn_event_init(c, &ev, MTA_EV_TCP, dir);
		ev.label = (flags & TCPF_ACK) ? "SYN-ACK" : "SYN";
		conn_event(c, &ev);
	}
	if ((flags & TCPF_FIN) && !c->ev_fin[dir]) {
		c->ev_fin[dir] = true;
		conn_event_init(c, &ev, MTA_EV_TCP, dir);
		ev.label = "FIN";
		conn_event(c, &ev);
	}
	if ((flags & TCPF_RST) && !c->ev_rst[dir]) {
		c->ev_rst[dir] = true;
		conn_event_init(c, &ev, MTA_EV_TCP, dir);
		ev.label = "RST";
		conn_event(c, &ev);
	}
}

static void gap_event(struct conn *c, enum mta_dir dir, uint64_t octets)
{
	struct mta_event ev;
	char label[40];
	conn_event_init(c, &ev, MTA_EV_TCP, dir);
	snprintf(label, sizeof(label), "gap %llu", (unsigned long long)octets);
	ev.label = label;
	conn_event(c, &ev);
}

static void conn_vemit(struct conn *c, enum mta_finding_code code, int sev, enum mta_dir dir,
		       uint64_t frame, struct mta_time ts, uint64_t related, const char *detail,
		       const char *fmt, va_list ap)
{
	struct mta_engine *e = c->eng;
	if ((unsigned)code >= MTA_F_COUNT)
		return;
	enum mta_severity s = sev < 0 || sev > MTA_SEV_ERROR ? mta_finding_default_severity(code)
							      : (enum mta_severity)sev;
	char tmp[512];
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	const char *msg = tmp;
	if (n < 0)
		msg = mta_finding_description(code);
	e->stats.findings[s]++;
	if (!c->fcount)
		c->fcount = calloc(MTA_F_COUNT, sizeof(*c->fcount));
	if (c->fcount && c->fcount[code] < UINT16_MAX)
		c->fcount[code]++;
	if (!e->hooks.on_finding)
		return;
	struct mta_finding f = {
		.code = code,
		.severity = s,
		.frame = frame,
		.time = ts,
		.conn = &c->cid,
		.dir = dir,
		.message = msg,
		.related_frame = related,
		.detail_json = detail,
	};
	e->hooks.on_finding(e->user, &f);
}

void conn_emit(struct conn *c, enum mta_finding_code code, int sev, enum mta_dir dir,
	       uint64_t frame, struct mta_time ts, uint64_t related, const char *detail_json,
	       const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	conn_vemit(c, code, sev, dir, frame, ts, related, detail_json, fmt, ap);
	va_end(ap);
}

void conn_emit_now(struct conn *c, enum mta_finding_code code, int sev, enum mta_dir dir,
		   uint64_t related, const char *detail_json, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	conn_vemit(c, code, sev, dir, conn_cur_frame(c), conn_cur_time(c), related, detail_json,
		   fmt, ap);
	va_end(ap);
}

void conn_summary(struct conn *c, const char *json, const char *text)
{
	struct mta_engine *e = c->eng;
	/* counted here: an analyser summarises only what really was a session or association
	 * (port-102 traffic that is not ISO session gets no summary) */
	if (c->ops && c->ops->proto == MTA_PROTO_SMTP)
		e->stats.smtp_sessions++;
	else if (c->ops && c->ops->proto == MTA_PROTO_OSI)
		e->stats.osi_associations++;
	if (!e->hooks.on_summary)
		return;
	struct mta_summary s = {
		.proto = c->ops ? c->ops->proto : MTA_PROTO_NONE,
		.conn = &c->cid,
		.first_frame = c->first_frame,
		.last_frame = c->last_frame,
		.json = json ? json : "{}",
		.text = text ? text : "",
	};
	e->hooks.on_summary(e->user, &s);
}

struct sbuf *conn_summary_buf(struct conn *c, int which)
{
	struct sbuf *b = &c->eng->sum[which ? 1 : 0];
	sb_reset(b);
	return b;
}

/* ---- reassembly sink ---- */

struct sink_ctx {
	struct conn *c;
	enum mta_dir dir;
};

static inline bool conn_state(struct conn *c);

static size_t stream_sink(void *ctx, const struct rs_event *ev)
{
	struct sink_ctx *sc = ctx;
	struct conn *c = sc->c;
	struct mta_engine *e = c->eng;

	if (e->cfg.follow_all && e->hooks.on_follow) {
		if (ev->type == RS_DATA && ev->new_len > 0 && ev->new_len <= ev->len) {
			size_t old = ev->len - ev->new_len;
			e->hooks.on_follow(e->user, &c->cid, c->first_frame, sc->dir, ev->offset + old,
					   ev->data + old, ev->new_len, 0);
		} else if (ev->type == RS_GAP && ev->gap_len > 0) {
			e->hooks.on_follow(e->user, &c->cid, c->first_frame, sc->dir, ev->offset, NULL,
					   0, ev->gap_len);
		}
	}
	if (ev->type == RS_GAP && ev->cause == RS_GAP_MEMCAP)
		e->stats.buf_cap_hits++;
	if (ev->type == RS_FIN)
		c->fin_seen[sc->dir] = true;
	if (ev->type == RS_GAP && ev->gap_len > 0 && c->detect == DETECT_ATTACHED &&
	    conn_events_on(c))
		gap_event(c, sc->dir, ev->gap_len);

	size_t used = ev->type == RS_DATA ? ev->len : 0;
	if (c->detect == DETECT_ATTACHED && c->ops->on_stream && conn_state(c)) {
		size_t u = c->ops->on_stream(c->st, sc->dir, ev);
		if (ev->type == RS_DATA)
			used = u > ev->len ? ev->len : u;
	}
	return used;
}

/* ---- connections ---- */

static void fmt_endpoint(char *out, size_t n, uint8_t ipver, const uint8_t *addr, uint16_t port)
{
	char a[INET6_ADDRSTRLEN];
	if (ipver == 6) {
		if (!inet_ntop(AF_INET6, addr, a, sizeof(a)))
			strcpy(a, "?");
		snprintf(out, n, "[%s]:%u", a, port);
	} else {
		/* dotted quad and port by hand: inet_ntop + snprintf cost more than the rest of a
		 * short connection's set-up; same text */
		char t[24];
		size_t k = 0;
		for (int i = 0; i < 4; i++) {
			unsigned v = addr[i];
			if (v >= 100)
				t[k++] = (char)('0' + v / 100);
			if (v >= 10)
				t[k++] = (char)('0' + v / 10 % 10);
			t[k++] = (char)('0' + v % 10);
			t[k++] = i < 3 ? '.' : ':';
		}
		char d[5];
		int m = 0;
		unsigned pv = port;
		do {
			d[m++] = (char)('0' + pv % 10);
			pv /= 10;
		} while (pv);
		while (m)
			t[k++] = d[--m];
		if (n == 0)
			return;
		if (k >= n)
			k = n - 1;
		memcpy(out, t, k);
		out[k] = '\0';
	}
}

static void conn_set_roles(struct conn *c, const uint8_t *cli, uint16_t cport, const uint8_t *srv,
			   uint16_t sport)
{
	memcpy(c->cli_addr, cli, 16);
	memcpy(c->srv_addr, srv, 16);
	c->cli_port = cport;
	c->srv_port = sport;
	/* the key holds the same 16 octets per address (decode zeroes an IPv4 address's rest) */
	c->cli_is_a = cport == c->key.pa && memcmp(cli, c->key.a, 16) == 0;
	fmt_endpoint(c->cid.client, sizeof(c->cid.client), c->ipver, cli, cport);
	fmt_endpoint(c->cid.server, sizeof(c->cid.server), c->ipver, srv, sport);
}

static void conn_swap_roles(struct conn *c)
{
	uint8_t a[16];
	uint16_t p = c->cli_port;
	memcpy(a, c->cli_addr, 16);
	conn_set_roles(c, c->srv_addr, c->srv_port, a, p);
	struct reasm t = c->rs[0];
	c->rs[0] = c->rs[1];
	c->rs[1] = t;
	bool f = c->fin_seen[0];
	c->fin_seen[0] = c->fin_seen[1];
	c->fin_seen[1] = f;
}

static bool is_service_port(const struct mta_engine *e, uint16_t port)
{
	return port_in(e->smtp_ports, port) || port_in(e->osi_ports, port);
}

/* The analyser's state for an attached connection whose creation was deferred: created now,
 * and told of the handshake segments it missed (each was without payload, FIN, RST or a zero
 * window: all an analyser learns from them is that their sender's window was open).  False
 * when the allocation fails: the connection is then ignored from here on. */
ENGINE_RARE static bool conn_state_create(struct conn *c)
{
	c->st = c->ops->create(c);
	if (!c->st) {
		c->eng->stats.alloc_failures++;
		c->detect = DETECT_IGNORED;
		return false;
	}
	for (int d = 0; d < 2; d++) {
		if (!(c->early_dirs & (1u << d)) || !c->ops->on_segment)
			continue;
		struct seg_info si = {.frame = c->eng->cur_frame,
		                      .ts = c->eng->cur_time,
		                      .dir = (enum mta_dir)d,
		                      .flags = TCPF_ACK,
		                      .win = 1};
		c->ops->on_segment(c->st, &si);
	}
	c->early_dirs = 0;
	return true;
}

static inline bool conn_state(struct conn *c)
{
	return c->st || conn_state_create(c);
}

/* Attach an analyser.  With defer (a connection that began with its SYN), its state is
 * created only at the first segment that carries more than the handshake does (conn_state):
 * a SYN flood, or a port scan, then costs the connection record alone. */
static void conn_attach(struct conn *c, const struct analyser_ops *ops, bool defer)
{
	if (!ops || !ops->create || (c->eng->cfg.skip_protos & (1u << ops->proto))) {
		c->detect = DETECT_IGNORED;
		return;
	}
	c->ops = ops;
	c->detect = DETECT_ATTACHED;
	if (!defer)
		(void)conn_state(c);
}

static const struct analyser_ops *smtp_ops(void)
{
	return &smtp_analyser;
}

static const struct analyser_ops *osi_ops(void)
{
	return &osi_analyser;
}

/* Detection by the server's port (contract §1.1, §1.2). */
static void conn_detect_by_port(const struct mta_engine *e, struct conn *c)
{
	if (port_in(e->smtp_ports, c->srv_port))
		conn_attach(c, smtp_ops(), c->syn_seen);
	else if (port_in(e->osi_ports, c->srv_port))
		conn_attach(c, osi_ops(), c->syn_seen);
}

/* Heuristics on the first payload of a connection on no known port: a server greeting
 * "220 "/"220-" makes it SMTP (its sender is the server); a TPKT holding a COTP CR or CC makes
 * it OSI (the CR's sender is the initiator). */
ENGINE_RARE static void conn_detect_by_payload(struct conn *c, enum mta_dir dir, const uint8_t *p,
						size_t n)
{
	if (n >= 4 && p[0] == '2' && p[1] == '2' && p[2] == '0' && (p[3] == ' ' || p[3] == '-')) {
		if (dir == MTA_C2S) {
			if (c->syn_seen) {
				c->detect = DETECT_IGNORED;
				return;
			}
			conn_swap_roles(c);
		}
		conn_attach(c, smtp_ops(), false);
		return;
	}
	if (n >= 6 && p[0] == 3 && p[1] == 0 && p[4] >= 2) {
		uint8_t code = p[5] & 0xF0;
		bool cr = code == 0xE0, cc = code == 0xD0;
		if ((cr && dir == MTA_S2C) || (cc && dir == MTA_C2S)) {
			if (c->syn_seen) {
				c->detect = DETECT_IGNORED;
				return;
			}
			conn_swap_roles(c);
		}
		if (cr || cc) {
			conn_attach(c, osi_ops(), false);
			return;
		}
	}
	c->detect = DETECT_IGNORED;
}

static void conn_free(struct mta_engine *e, struct conn *c)
{
	flow_remove(&e->ft, c);
	reasm_free(&c->rs[0]);
	reasm_free(&c->rs[1]);
	free(c->fcount);
	free(c);
}

ENGINE_RARE static void conn_end(struct mta_engine *e, struct conn *c, enum conn_end_reason why)
{
	if (why != CONN_END_EVICTED) {
		enum rs_gap_cause cause = why == CONN_END_CAPTURE ? RS_GAP_CAPTURE_END : RS_GAP_CLOSED;
		for (int d = 0; d < 2; d++) {
			struct sink_ctx sc = { c, (enum mta_dir)d };
			reasm_flush(&c->rs[d], cause, conn_cur_frame(c), stream_sink, &sc);
		}
	}
	if (c->detect == DETECT_ATTACHED && conn_state(c)) {
		if (c->ops->on_end)
			c->ops->on_end(c->st, why);
		if (c->ops->destroy)
			c->ops->destroy(c->st);
		c->st = NULL;
	}
	if (why == CONN_END_IDLE)
		e->stats.conns_idle_closed++;
	conn_free(e, c);
}

/* Close connections whose linger or idle time has passed. */
static void expire(struct mta_engine *e)
{
	struct conn *c;
	int64_t t = e->now_us; /* as mta_time_diff_usec, on times converted once */
	while ((c = e->ft.closed_head)) {
		int64_t x = c->close_us;
		if (!(t > x && (uint64_t)t - (uint64_t)x > e->cfg.close_linger_usec))
			break;
		conn_end(e, c, CONN_END_CLOSED);
	}
	if (e->cfg.idle_timeout_usec == 0)
		return;
	while ((c = e->ft.lru_head)) {
		int64_t x = c->last_us;
		if (!(t > x && (uint64_t)t - (uint64_t)x > e->cfg.idle_timeout_usec))
			break;
		conn_end(e, c, CONN_END_IDLE);
	}
}

/* Make room under the connection cap: finished connections first, else the least recently
 * active one, which is reported as a memcap finding by its analyser. */
static void make_room(struct mta_engine *e)
{
	while (e->ft.count >= e->cfg.max_conns) {
		struct conn *c = e->ft.closed_head;
		if (c) {
			conn_end(e, c, CONN_END_CLOSED);
			continue;
		}
		c = e->ft.lru_head;
		if (!c)
			break;
		e->stats.conns_evicted++;
		c->in_frame = true; /* its memcap finding goes on the frame that forced it out */
		conn_end(e, c, CONN_END_EVICTED);
	}
}

ENGINE_RARE static struct conn *conn_new(struct mta_engine *e, const struct flow_key *k, uint32_t h,
			     const struct pkt *p, const struct mta_frame *f)
{
	make_room(e);
	struct conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->key = *k;
	c->hash = h;
	c->eng = e;
	c->id = e->next_conn_id++;
	c->ipver = p->ipver;
	c->first_frame = c->last_frame = f->number;
	c->first_time = c->last_time = f->ts;
	c->last_us = e->cur_us;
	reasm_init(&c->rs[0], e->cfg.max_buf_per_dir);
	reasm_init(&c->rs[1], e->cfg.max_buf_per_dir);

	/* Roles: the SYN's sender is the client; without the SYN, the side on a service port is
	 * the server; else the first sender is the client. */
	bool src_client;
	if ((p->flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN)
		src_client = true;
	else if ((p->flags & (TCPF_SYN | TCPF_ACK)) == (TCPF_SYN | TCPF_ACK))
		src_client = false;
	else if (is_service_port(e, p->dport) && !is_service_port(e, p->sport))
		src_client = true;
	else if (is_service_port(e, p->sport) && !is_service_port(e, p->dport))
		src_client = false;
	else
		src_client = true;
	if (src_client)
		conn_set_roles(c, p->src, p->sport, p->dst, p->dport);
	else
		conn_set_roles(c, p->dst, p->dport, p->src, p->sport);
	c->syn_seen = (p->flags & TCPF_SYN) != 0;

	flow_insert(&e->ft, c);
	e->stats.connections++;
	conn_detect_by_port(e, c);
	return c;
}

/* The sender is the client when it is the key's endpoint the client is (src_is_a from
 * flow_key_make).  A connection from an endpoint to itself has a == b: every segment is C2S. */
static enum mta_dir pkt_dir(const struct conn *c, bool src_is_a)
{
	return src_is_a == c->cli_is_a ? MTA_C2S : MTA_S2C;
}

/* A RST, or the second FIN delivered: the connection is closed (it lingers for late segments
 * until expire ends it). */
ENGINE_RARE static void conn_closing(struct mta_engine *e, struct conn *c, const struct pkt *p,
				     const struct mta_frame *f)
{
	if (p->flags & TCPF_RST) {
		c->rst_seen = true;
		if (c->closed)
			return;
		for (int d = 0; d < 2; d++) {
			struct sink_ctx sd = { c, (enum mta_dir)d };
			reasm_flush(&c->rs[d], RS_GAP_CLOSED, f->number, stream_sink, &sd);
		}
	}
	c->close_us = e->cur_us;
	flow_mark_closed(&e->ft, c);
	/* it lingers for late segments: keep no empty buffers meanwhile */
	reasm_shrink(&c->rs[0]);
	reasm_shrink(&c->rs[1]);
}

static void process_segment(struct mta_engine *e, struct conn *c, const struct pkt *p,
			    const struct mta_frame *f, bool src_is_a)
{
	enum mta_dir dir = pkt_dir(c, src_is_a);
	struct reasm *r;

	if (p->flags & TCPF_SYN)
		c->syn_seen = true;
	if (c->detect == DETECT_PENDING && p->payload_len > 0)
		conn_detect_by_payload(c, dir, p->payload, p->payload_len);
	if (c->detect != DETECT_ATTACHED && !e->cfg.follow_all)
		return;
	dir = pkt_dir(c, src_is_a); /* roles may have been swapped by detection */
	r = &c->rs[dir];

	/* a deferred state stays so while the segments are the handshake's (conn_state) */
	if (c->detect == DETECT_ATTACHED && !c->st) {
		if (p->payload_wire == 0 && !(p->flags & (TCPF_FIN | TCPF_RST)) && p->win != 0)
			c->early_dirs |= (uint8_t)(1u << dir);
		else
			(void)conn_state(c);
	}
	if (c->detect == DETECT_ATTACHED && c->st && c->ops->on_segment) {
		struct seg_info si = {
			.frame = f->number,
			.ts = f->ts,
			.dir = dir,
			.flags = p->flags,
			.seq = p->seq,
			.ack = p->ack,
			.payload_len = p->payload_len,
			.payload_wire = p->payload_wire,
			.win = p->win,
		};
		if (p->payload_wire > 0 && r->started) {
			uint32_t start = p->seq + ((p->flags & TCPF_SYN) ? 1u : 0u);
			uint32_t next_seq = r->base + (uint32_t)r->next;
			si.retrans = SEQ_LEQ(start + p->payload_wire, next_seq);
		}
		c->ops->on_segment(c->st, &si);
	}

	struct sink_ctx sc = { c, dir };
	reasm_segment(r, p->seq, p->payload, p->payload_len, p->payload_wire, p->flags, f->number,
		      stream_sink, &sc);
	/* after the segment's own data, so a ladder shows "QUIT" before its "FIN" */
	if (c->detect == DETECT_ATTACHED && (p->flags & (TCPF_SYN | TCPF_FIN | TCPF_RST)) &&
	    conn_events_on(c))
		tcp_events(c, dir, p->flags);
	if (p->flags & TCPF_ACK) {
		struct sink_ctx sp = { c, (enum mta_dir)!dir };
		reasm_ack(&c->rs[!dir], p->ack, f->number, stream_sink, &sp);
	}
	if ((p->flags & TCPF_RST) || (c->fin_seen[0] && c->fin_seen[1] && !c->closed))
		conn_closing(e, c, p, f);
}

int mta_engine_feed(struct mta_engine *e, const struct mta_frame *f)
{
	struct pkt p;

	e->stats.frames++;
	e->stats.bytes += f->wirelen;
	e->cur_frame = f->number;
	e->cur_time = f->ts;
	e->cur_us = time_usec(f->ts);
	if (!e->have_now || e->cur_us > e->now_us) {
		e->now = f->ts;
		e->now_us = e->cur_us;
		e->have_now = true;
	}
	/* decode_frame answers DEC_UNSUPPORTED_LINK for exactly the link types
	 * mta_linktype_supported refuses */
	uint32_t wirelen = f->wirelen < f->caplen ? f->caplen : f->wirelen;
	switch (decode_frame(f->linktype, f->data, f->caplen, wirelen, &p)) {
	case DEC_OK:
		break;
	case DEC_UNSUPPORTED_LINK:
		e->stats.unsupported_link++;
		return 0;
	case DEC_NOT_IP:
		e->stats.non_ip++;
		return 0;
	case DEC_NOT_TCP:
		e->stats.non_tcp++;
		return 0;
	case DEC_FRAGMENT:
		e->stats.ip_fragments++;
		return 0;
	case DEC_TRUNCATED:
		e->stats.truncated++;
		return 0;
	case DEC_MALFORMED:
	default:
		e->stats.malformed++;
		return 0;
	}
	e->stats.tcp_segments++;
	if (p.payload_len < p.payload_wire)
		e->stats.truncated++;

	expire(e);

	struct flow_key k;
	bool src_is_a;
	flow_key_make(&k, &p, &src_is_a);
	uint32_t h = flow_hash(&e->ft, &k);
	struct conn *c = flow_lookup(&e->ft, &k, h);
	/* A new SYN on a finished connection (port reuse) starts a new connection. */
	if (c && c->closed && (p.flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN) {
		conn_end(e, c, CONN_END_CLOSED);
		c = NULL;
	}
	if (!c) {
		c = conn_new(e, &k, h, &p, f);
		if (!c) {
			e->stats.alloc_failures++;
			return 0;
		}
	}
	c->last_frame = f->number;
	c->last_time = f->ts;
	c->last_us = e->cur_us;
	flow_touch(&e->ft, c);
	c->in_frame = true;
	process_segment(e, c, &p, f, src_is_a);
	c->in_frame = false;
	return 0;
}

void mta_engine_tick(struct mta_engine *e, struct mta_time now)
{
	int64_t now_us = time_usec(now);
	if (!e->have_now || now_us > e->now_us) {
		e->now = now;
		e->now_us = now_us;
		e->have_now = true;
	}
	expire(e);
	for (struct conn *c = e->ft.lru_head; c; c = c->next)
		if (c->detect == DETECT_ATTACHED && c->st && c->ops->on_tick)
			c->ops->on_tick(c->st, e->now);
}

static int cmp_conn_first(const void *a, const void *b)
{
	const struct conn *x = *(struct conn *const *)a, *y = *(struct conn *const *)b;
	if (x->first_frame != y->first_frame)
		return x->first_frame < y->first_frame ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

void mta_engine_finish(struct mta_engine *e)
{
	size_t n = e->ft.count, k = 0;
	if (n == 0)
		return;
	struct conn **all = malloc(n * sizeof(*all));
	if (!all) {
		/* no memory to sort: end them in table order rather than lose them */
		while (e->ft.closed_head)
			conn_end(e, e->ft.closed_head, CONN_END_CAPTURE);
		while (e->ft.lru_head)
			conn_end(e, e->ft.lru_head, CONN_END_CAPTURE);
		return;
	}
	for (struct conn *c = e->ft.closed_head; c && k < n; c = c->next)
		all[k++] = c;
	for (struct conn *c = e->ft.lru_head; c && k < n; c = c->next)
		all[k++] = c;
	qsort(all, k, sizeof(*all), cmp_conn_first);
	for (size_t i = 0; i < k; i++) {
		struct conn *c = all[i];
		/* time has run to the end of the capture: timers (stalls) decide first */
		if (c->detect == DETECT_ATTACHED && c->st && c->ops->on_tick)
			c->ops->on_tick(c->st, e->now);
		conn_end(e, c, CONN_END_CAPTURE);
	}
	free(all);
}

void mta_engine_free(struct mta_engine *e)
{
	if (!e)
		return;
	/* Connections still open are dropped silently: mta_engine_finish reports them. */
	while (e->ft.closed_head) {
		struct conn *c = e->ft.closed_head;
		if (c->detect == DETECT_ATTACHED && c->ops->destroy)
			c->ops->destroy(c->st);
		conn_free(e, c);
	}
	while (e->ft.lru_head) {
		struct conn *c = e->ft.lru_head;
		if (c->detect == DETECT_ATTACHED && c->ops->destroy)
			c->ops->destroy(c->st);
		conn_free(e, c);
	}
	flow_destroy(&e->ft);
	sb_free(&e->msg);
	sb_free(&e->sum[0]);
	sb_free(&e->sum[1]);
	free(e);
}
