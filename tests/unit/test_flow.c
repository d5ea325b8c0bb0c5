/* test_flow.c — connection table: symmetric hashing, seeds, lists */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flow.h"

static struct pkt mkpkt(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport)
{
	struct pkt p;
	memset(&p, 0, sizeof(p));
	p.ipver = 4;
	p.src[0] = (uint8_t)(src >> 24);
	p.src[1] = (uint8_t)(src >> 16);
	p.src[2] = (uint8_t)(src >> 8);
	p.src[3] = (uint8_t)src;
	p.dst[0] = (uint8_t)(dst >> 24);
	p.dst[1] = (uint8_t)(dst >> 16);
	p.dst[2] = (uint8_t)(dst >> 8);
	p.dst[3] = (uint8_t)dst;
	p.sport = sport;
	p.dport = dport;
	return p;
}

static void test_symmetric_key(void **state)
{
	(void)state;
	struct flow_table t;
	assert_int_equal(flow_init(&t, 16, 1), 0);
	struct pkt a = mkpkt(0xC0000201, 40000, 0xC6336402, 25);
	struct pkt b = mkpkt(0xC6336402, 25, 0xC0000201, 40000);
	struct flow_key ka, kb;
	bool sa, sb;
	flow_key_make(&ka, &a, &sa);
	flow_key_make(&kb, &b, &sb);
	assert_memory_equal(&ka, &kb, sizeof(ka));
	assert_true(sa != sb);
	assert_int_equal(flow_hash(&t, &ka), flow_hash(&t, &kb));
	/* same addresses, ports swapped between the sides: another connection */
	struct pkt c = mkpkt(0xC0000201, 25, 0xC6336402, 40000);
	struct flow_key kc;
	bool sc;
	flow_key_make(&kc, &c, &sc);
	assert_memory_not_equal(&ka, &kc, sizeof(ka));
	flow_destroy(&t);
}

static void test_seed_changes_hash(void **state)
{
	(void)state;
	struct flow_table t1, t2;
	assert_int_equal(flow_init(&t1, 16, 1), 0);
	assert_int_equal(flow_init(&t2, 16, 2), 0);
	int differ = 0;
	for (uint16_t port = 1000; port < 1100; port++) {
		struct pkt p = mkpkt(0x0A000001, port, 0x0A000002, 25);
		struct flow_key k;
		bool s;
		flow_key_make(&k, &p, &s);
		differ += flow_hash(&t1, &k) != flow_hash(&t2, &k);
	}
	assert_true(differ > 90);
	flow_destroy(&t1);
	flow_destroy(&t2);
}

static void test_insert_lookup_lists(void **state)
{
	(void)state;
	struct flow_table t;
	assert_int_equal(flow_init(&t, 4, 7), 0);
	struct conn *cs[50];
	for (int i = 0; i < 50; i++) {
		struct pkt p = mkpkt(0x0A000001, (uint16_t)(2000 + i), 0x0A000002, 25);
		cs[i] = calloc(1, sizeof(struct conn));
		bool s;
		flow_key_make(&cs[i]->key, &p, &s);
		cs[i]->hash = flow_hash(&t, &cs[i]->key);
		flow_insert(&t, cs[i]);
	}
	assert_int_equal(t.count, 50);
	for (int i = 0; i < 50; i++)
		assert_ptr_equal(flow_lookup(&t, &cs[i]->key, cs[i]->hash), cs[i]);
	/* LRU: the oldest first; touching moves to the tail */
	assert_ptr_equal(t.lru_head, cs[0]);
	flow_touch(&t, cs[0]);
	assert_ptr_equal(t.lru_head, cs[1]);
	assert_ptr_equal(t.lru_tail, cs[0]);
	flow_mark_closed(&t, cs[5]);
	assert_ptr_equal(t.closed_head, cs[5]);
	assert_true(cs[5]->closed);
	for (struct conn *c = t.lru_head; c; c = c->next)
		assert_ptr_not_equal(c, cs[5]);
	for (int i = 0; i < 50; i++) {
		flow_remove(&t, cs[i]);
		assert_null(flow_lookup(&t, &cs[i]->key, cs[i]->hash));
		free(cs[i]);
	}
	assert_int_equal(t.count, 0);
	assert_null(t.lru_head);
	assert_null(t.closed_head);
	flow_destroy(&t);
}

/* The table grows while connections outnumber buckets, up to the cap's size, and finds every
 * connection before and after each doubling. */
static void test_grow(void **state)
{
	(void)state;
	struct flow_table t;
	enum { N = 5000 };
	assert_int_equal(flow_init(&t, 4096, 3), 0);
	size_t n0 = t.nbuckets;
	struct conn **cs = calloc(N, sizeof(*cs));
	assert_non_null(cs);
	for (int i = 0; i < N; i++) {
		struct pkt p = mkpkt(0x0A000001u + (uint32_t)(i / 1000), (uint16_t)(2000 + i % 1000),
		                     0x0A000002, 25);
		cs[i] = calloc(1, sizeof(struct conn));
		bool s;
		flow_key_make(&cs[i]->key, &p, &s);
		cs[i]->hash = flow_hash(&t, &cs[i]->key);
		flow_insert(&t, cs[i]);
		if (i % 997 == 0)
			for (int k = 0; k <= i; k++)
				assert_ptr_equal(flow_lookup(&t, &cs[k]->key, cs[k]->hash), cs[k]);
	}
	assert_true(t.nbuckets > n0);
	assert_int_equal(t.nbuckets, 4096); /* not beyond the cap's size */
	for (int i = 0; i < N; i++)
		assert_ptr_equal(flow_lookup(&t, &cs[i]->key, cs[i]->hash), cs[i]);
	for (int i = 0; i < N; i++) {
		flow_remove(&t, cs[i]);
		free(cs[i]);
	}
	assert_int_equal(t.count, 0);
	free(cs);
	flow_destroy(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_symmetric_key),
		cmocka_unit_test(test_seed_changes_hash),
		cmocka_unit_test(test_insert_lookup_lists),
		cmocka_unit_test(test_grow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
