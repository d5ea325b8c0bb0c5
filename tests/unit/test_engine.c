/* test_engine.c — engine life cycle: independence of engines, roles, caps, timers, config */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mtadiag/engine.h"
#include "sbuf.h"
#include "testutil.h"

#define CLI 0xC0000201u /* 192.0.2.1 */
#define SRV 0xC6336402u /* 198.51.100.2 */

/* Everything an engine reports, as one transcript. */
struct rec {
	struct sbuf out;
};

static void on_finding(void *u, const struct mta_finding *f)
{
	struct rec *r = u;
	char *j = mta_finding_json(f);
	sb_puts(&r->out, j);
	sb_putc(&r->out, '\n');
	free(j);
}

static void on_summary(void *u, const struct mta_summary *s)
{
	struct rec *r = u;
	sb_puts(&r->out, s->json);
	sb_putc(&r->out, '\n');
}

static void on_follow(void *u, const struct mta_conn_id *c, uint64_t first, enum mta_dir dir,
		      uint64_t off, const uint8_t *data, size_t len, uint64_t gap)
{
	struct rec *r = u;
	sb_printf(&r->out, "follow %s %s %" PRIu64 " %s %" PRIu64 " ", c->client, c->server, first,
		  mta_dir_str(dir), off);
	if (gap)
		sb_printf(&r->out, "gap %" PRIu64, gap);
	else
		sb_put(&r->out, (const char *)data, len);
	sb_putc(&r->out, '\n');
}

static const struct mta_hooks hooks = { .on_finding = on_finding, .on_summary = on_summary, .on_follow = on_follow };

/* A small SMTP-like exchange on client port `cport`, as frames. */
struct script {
	uint8_t buf[32][256];
	struct mta_frame fr[32];
	size_t n;
};

static void add(struct script *s, int c2s, uint16_t cport, uint32_t seq, uint32_t ack,
		uint8_t flags, const char *payload, int64_t t)
{
	size_t len = payload ? strlen(payload) : 0;
	size_t fl;
	if (c2s)
		fl = tu_build_tcp4(s->buf[s->n], CLI, SRV, cport, 25, seq, ack, flags, 8192, payload,
				   len);
	else
		fl = tu_build_tcp4(s->buf[s->n], SRV, CLI, 25, cport, seq, ack, flags, 8192, payload,
				   len);
	struct mta_frame *f = &s->fr[s->n];
	f->number = s->n + 1;
	f->ts.sec = 1700000000 + t;
	f->ts.usec = 0;
	f->linktype = MTA_LINKTYPE_ETHERNET;
	f->data = s->buf[s->n];
	f->caplen = f->wirelen = (uint32_t)fl;
	s->n++;
}

static void make_session(struct script *s, uint16_t cport)
{
	memset(s, 0, sizeof(*s));
	uint32_t c = 1000, v = 5000;
	add(s, 1, cport, c, 0, 0x02, NULL, 0);
	add(s, 0, cport, v, c + 1, 0x12, NULL, 0);
	c++, v++;
	add(s, 1, cport, c, v, 0x10, NULL, 0);
	const char *g = "220 mx.example.net ESMTP\r\n";
	add(s, 0, cport, v, c, 0x18, g, 1);
	v += (uint32_t)strlen(g);
	const char *h = "EHLO client.example.org\r\n";
	add(s, 1, cport, c, v, 0x18, h, 1);
	c += (uint32_t)strlen(h);
	/* the reply arrives in two segments, the second before the first */
	const char *r1 = "250-mx.example.net\r\n", *r2 = "250 PIPELINING\r\n";
	add(s, 0, cport, v + (uint32_t)strlen(r1), c, 0x18, r2, 2);
	add(s, 0, cport, v, c, 0x10, r1, 2);
	v += (uint32_t)(strlen(r1) + strlen(r2));
	const char *q = "QUIT\r\n";
	add(s, 1, cport, c, v, 0x18, q, 3);
	c += (uint32_t)strlen(q);
	const char *bye = "221 bye\r\n";
	add(s, 0, cport, v, c, 0x19, bye, 3);
	v += (uint32_t)strlen(bye) + 1;
	add(s, 1, cport, c, v, 0x11, NULL, 3);
	add(s, 0, cport, v, c + 1, 0x10, NULL, 3);
}

static void run(struct mta_engine *e, const struct script *s)
{
	for (size_t i = 0; i < s->n; i++)
		assert_int_equal(mta_engine_feed(e, &s->fr[i]), 0);
	mta_engine_finish(e);
}

static struct mta_engine *mk(struct rec *r)
{
	struct mta_config cfg;
	mta_config_defaults(&cfg);
	cfg.follow_all = true;
	sb_init(&r->out);
	struct mta_engine *e = mta_engine_new(&cfg, &hooks, r);
	assert_non_null(e);
	return e;
}

static void test_interleaved_engines_are_independent(void **state)
{
	(void)state;
	static struct script a, b;
	make_session(&a, 40001);
	make_session(&b, 40002);

	struct rec ra, rb, ia, ib;
	struct mta_engine *ea = mk(&ra), *eb = mk(&rb);
	run(ea, &a);
	run(eb, &b);

	struct mta_engine *xa = mk(&ia), *xb = mk(&ib);
	for (size_t i = 0; i < a.n || i < b.n; i++) {
		if (i < a.n)
			mta_engine_feed(xa, &a.fr[i]);
		if (i < b.n)
			mta_engine_feed(xb, &b.fr[i]);
	}
	mta_engine_finish(xa);
	mta_engine_finish(xb);

	/* the transcript is not empty: both directions' bytes were delivered in order */
	assert_non_null(strstr(sb_str(&ra.out), "s2c 0 220 mx.example.net ESMTP\r\n"));
	assert_non_null(strstr(sb_str(&ra.out), "250-mx.example.net\r\n\nfollow"));
	assert_non_null(strstr(sb_str(&ra.out), "c2s 25 QUIT\r\n"));
	assert_string_equal(sb_str(&ra.out), sb_str(&ia.out));
	assert_string_equal(sb_str(&rb.out), sb_str(&ib.out));
	assert_string_not_equal(sb_str(&ra.out), sb_str(&rb.out));
	assert_int_equal(mta_engine_stats(ea)->tcp_segments, a.n);
	assert_int_equal(mta_engine_stats(xa)->connections, 1);

	mta_engine_free(ea);
	mta_engine_free(eb);
	mta_engine_free(xa);
	mta_engine_free(xb);
	sb_free(&ra.out);
	sb_free(&rb.out);
	sb_free(&ia.out);
	sb_free(&ib.out);
}

/* Roles without the handshake: the side on the service port is the server. */
static void test_roles_without_syn(void **state)
{
	(void)state;
	struct rec r;
	struct mta_engine *e = mk(&r);
	static struct script s;
	memset(&s, 0, sizeof(s));
	add(&s, 0, 40003, 100, 200, 0x18, "250 ok\r\n", 0); /* server speaks first in the capture */
	run(e, &s);
	assert_non_null(strstr(sb_str(&r.out), "follow 192.0.2.1:40003 198.51.100.2:25 1 s2c 0 250 ok"));
	mta_engine_free(e);
	sb_free(&r.out);
}

/* The connection cap holds: the oldest connections are evicted and counted. */
static void test_connection_cap(void **state)
{
	(void)state;
	struct mta_config cfg;
	mta_config_defaults(&cfg);
	cfg.max_conns = 4;
	struct mta_engine *e = mta_engine_new(&cfg, NULL, NULL);
	assert_non_null(e);
	uint8_t buf[128];
	for (unsigned i = 0; i < 10; i++) {
		size_t n = tu_build_tcp4(buf, CLI, SRV, (uint16_t)(50000 + i), 25, i * 7, 0, 0x02, 1024,
					 NULL, 0);
		struct mta_frame f = { i + 1, { 1700000000, i }, MTA_LINKTYPE_ETHERNET, buf,
				       (uint32_t)n, (uint32_t)n };
		mta_engine_feed(e, &f);
	}
	const struct mta_stats *st = mta_engine_stats(e);
	assert_int_equal(st->connections, 10);
	assert_int_equal(st->conns_evicted, 6);
	mta_engine_finish(e);
	mta_engine_free(e);
}

/* Idle connections are closed by timeout, as capture time passes. */
static void test_idle_timeout(void **state)
{
	(void)state;
	struct mta_config cfg;
	mta_config_defaults(&cfg);
	cfg.idle_timeout_usec = 60 * 1000000ull;
	struct mta_engine *e = mta_engine_new(&cfg, NULL, NULL);
	uint8_t buf[128];
	size_t n = tu_build_tcp4(buf, CLI, SRV, 50000, 25, 1, 0, 0x02, 1024, NULL, 0);
	struct mta_frame f = { 1, { 1700000000, 0 }, MTA_LINKTYPE_ETHERNET, buf, (uint32_t)n,
			       (uint32_t)n };
	mta_engine_feed(e, &f);
	n = tu_build_tcp4(buf, CLI, SRV, 50001, 25, 1, 0, 0x02, 1024, NULL, 0);
	f.number = 2;
	f.ts.sec += 61;
	mta_engine_feed(e, &f);
	assert_int_equal(mta_engine_stats(e)->conns_idle_closed, 1);
	mta_engine_tick(e, (struct mta_time){ 1700000000 + 200, 0 });
	assert_int_equal(mta_engine_stats(e)->conns_idle_closed, 2);
	mta_engine_finish(e);
	mta_engine_free(e);
}

/* Frames the engine cannot use are counted, never an error. */
static void test_unusable_frames(void **state)
{
	(void)state;
	struct mta_engine *e = mta_engine_new(NULL, NULL, NULL);
	uint8_t junk[3] = { 1, 2, 3 };
	struct mta_frame f = { 1, { 0, 0 }, 147 /* DLT_USER0 */, junk, 3, 3 };
	assert_int_equal(mta_engine_feed(e, &f), 0);
	f.linktype = MTA_LINKTYPE_ETHERNET;
	f.number = 2;
	assert_int_equal(mta_engine_feed(e, &f), 0);
	f.caplen = 0;
	f.number = 3;
	assert_int_equal(mta_engine_feed(e, &f), 0);
	const struct mta_stats *st = mta_engine_stats(e);
	assert_int_equal(st->frames, 3);
	assert_int_equal(st->unsupported_link, 1);
	assert_int_equal(st->tcp_segments, 0);
	mta_engine_finish(e);
	mta_engine_free(e);
}

static void test_port_list(void **state)
{
	(void)state;
	uint16_t ports[MTA_MAX_PORTS];
	size_t n = 0;
	assert_int_equal(mta_parse_port_list("25,587,2525", ports, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(ports[2], 2525);
	assert_int_equal(mta_parse_port_list("25,", ports, &n), -1);
	assert_int_equal(mta_parse_port_list("0", ports, &n), -1);
	assert_int_equal(mta_parse_port_list("65536", ports, &n), -1);
	assert_int_equal(mta_parse_port_list("1x", ports, &n), -1);
	assert_int_equal(mta_parse_port_list("", ports, &n), -1);
	assert_int_equal(n, 3); /* unchanged on error */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interleaved_engines_are_independent),
		cmocka_unit_test(test_roles_without_syn),
		cmocka_unit_test(test_connection_cap),
		cmocka_unit_test(test_idle_timeout),
		cmocka_unit_test(test_unusable_frames),
		cmocka_unit_test(test_port_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
