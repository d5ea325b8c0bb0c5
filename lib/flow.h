/* flow.h — the connection table: symmetric seeded 4-tuple hash, LRU order, caps */
#ifndef MTA_FLOW_H
#define MTA_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "analyser.h"
#include "decode.h"
#include "reasm.h"

struct mta_engine;

/* An endpoint-ordered key: the same for both directions of a connection. */
struct flow_key {
	uint8_t ipver;
	uint8_t a[16], b[16];  /* a <= b (address, then port) */
	uint16_t pa, pb;
};

enum conn_detect {
	DETECT_PENDING = 0, /* no analyser yet; waiting for the first payload */
	DETECT_ATTACHED,    /* an analyser owns the connection */
	DETECT_IGNORED,     /* neither SMTP nor OSI */
};

struct conn {
	/* what every segment touches, together at the front (the table, the timers, the
	 * analyser): in a host that runs other work between our frames (a Wireshark plugin)
	 * each line touched is likely a cache miss */
	struct flow_key key;
	uint32_t hash;
	struct conn *hnext;              /* hash chain */
	struct conn *prev, *next;        /* active LRU list or closed list */
	struct mta_engine *eng;
	int64_t close_us;                /* when it closed, microseconds (time_usec): for the linger */
	int64_t last_us;                 /* last_time in microseconds (time_usec) */
	uint64_t last_frame;
	struct mta_time last_time;
	enum conn_detect detect;
	const struct analyser_ops *ops;
	void *st;
	bool cli_is_a;                   /* the client is endpoint a of the key */
	bool syn_seen;
	bool closed;                     /* both FINs delivered, or RST */
	bool rst_seen;
	bool fin_seen[2];
	bool in_frame;                   /* a frame of this connection is being processed */
	uint8_t early_dirs;              /* analyser state deferred (engine.c, conn_attach): bit
					    d set when direction d sent a segment meanwhile */
	struct reasm rs[2];              /* indexed by enum mta_dir */
	/* set up once, read at the end */
	uint64_t id;                     /* creation order */
	uint8_t cli_addr[16], srv_addr[16];
	uint16_t cli_port, srv_port;
	uint8_t ipver;
	bool ev_syn[2], ev_fin[2], ev_rst[2]; /* TCP events given (mta_config.events) */
	uint64_t first_frame;
	struct mta_time first_time;
	struct mta_conn_id cid;
	uint16_t *fcount;                /* findings per code, lazily allocated */
};

struct flow_table {
	struct conn **buckets;
	size_t nbuckets;                 /* power of two */
	size_t max_buckets;              /* nbuckets grows up to this */
	size_t count;
	uint32_t seed;
	uint64_t secret[5];              /* flow_hash's keys, derived from seed */
	struct conn *lru_head, *lru_tail;        /* active: least recently used first */
	struct conn *closed_head, *closed_tail;  /* closed: oldest close first */
};

int flow_init(struct flow_table *t, size_t max_conns, uint32_t seed);
void flow_destroy(struct flow_table *t); /* frees the buckets only */
void flow_key_make(struct flow_key *k, const struct pkt *p, bool *src_is_a);
uint32_t flow_hash(const struct flow_table *t, const struct flow_key *k);
struct conn *flow_lookup(struct flow_table *t, const struct flow_key *k, uint32_t h);
void flow_insert(struct flow_table *t, struct conn *c);
void flow_remove(struct flow_table *t, struct conn *c);
void flow_touch(struct flow_table *t, struct conn *c);   /* move to the LRU tail */
void flow_mark_closed(struct flow_table *t, struct conn *c);

#endif
