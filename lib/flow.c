/* flow.c — connection table: symmetric seeded hash of the TCP 4-tuple, LRU and closed lists */
#include "flow.h"

#include <stdlib.h>
#include <string.h>

#include "rd.h"

/* The table starts with FLOW_BUCKETS_MIN buckets and doubles (flow_insert) while there are
 * more connections than buckets, up to one bucket per connection of the cap: a capture with
 * few connections at a time keeps a table small enough to stay in cache. */
#define FLOW_BUCKETS_MIN 1024

int flow_init(struct flow_table *t, size_t max_conns, uint32_t seed)
{
	memset(t, 0, sizeof(*t));
	size_t n = FLOW_BUCKETS_MIN;
	t->buckets = calloc(n, sizeof(*t->buckets));
	if (!t->buckets)
		return -1;
	t->nbuckets = n;
	/* bounded so a huge cap does not cost memory when it is reached */
	t->max_buckets = n;
	while (t->max_buckets < max_conns && t->max_buckets < ((size_t)1 << 22))
		t->max_buckets <<= 1;
	t->seed = seed;
	/* five keys from the seed (splitmix64 steps): every bit of the seed reaches every key */
	uint64_t x = seed;
	for (int i = 0; i < 5; i++) {
		uint64_t z = (x += 0x9e3779b97f4a7c15ull);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		t->secret[i] = z ^ (z >> 31);
	}
	return 0;
}

/* Twice the buckets; on allocation failure the table stays as it is (longer chains). */
static void flow_grow(struct flow_table *t)
{
	size_t n = t->nbuckets * 2;
	struct conn **nb = calloc(n, sizeof(*nb));
	if (!nb)
		return;
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct conn *c = t->buckets[i];
		while (c) {
			struct conn *next = c->hnext;
			size_t b = c->hash & (n - 1);
			c->hnext = nb[b];
			nb[b] = c;
			c = next;
		}
	}
	free(t->buckets);
	t->buckets = nb;
	t->nbuckets = n;
}

void flow_destroy(struct flow_table *t)
{
	free(t->buckets);
	t->buckets = NULL;
}

/* The octets at p as a big-endian number: comparing two of them orders as memcmp does. */
static uint64_t be64(const uint8_t *p)
{
	uint64_t v = rd_load_u64(p);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

/* memcmp order of the addresses, then the ports (without a call: this runs per packet) */
static int ep_cmp(const uint8_t *a, uint16_t pa, const uint8_t *b, uint16_t pb)
{
	uint64_t x = be64(a), y = be64(b);
	if (x == y) {
		x = be64(a + 8);
		y = be64(b + 8);
	}
	if (x != y)
		return x < y ? -1 : 1;
	return (int)pa - (int)pb;
}

void flow_key_make(struct flow_key *k, const struct pkt *p, bool *src_is_a)
{
	memset(k, 0, sizeof(*k));
	k->ipver = p->ipver;
	if (ep_cmp(p->src, p->sport, p->dst, p->dport) <= 0) {
		memcpy(k->a, p->src, 16);
		memcpy(k->b, p->dst, 16);
		k->pa = p->sport;
		k->pb = p->dport;
		*src_is_a = true;
	} else {
		memcpy(k->a, p->dst, 16);
		memcpy(k->b, p->src, 16);
		k->pa = p->dport;
		k->pb = p->sport;
		*src_is_a = false;
	}
}

#if defined(__SIZEOF_INT128__)
/* The 128-bit product of a and b folded to 64 bits. */
static uint64_t flow_mum(uint64_t a, uint64_t b)
{
	unsigned __int128 r = (unsigned __int128)a * b;
	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* Keyed multiply-fold hash over the ordered key: the address words, each xored with a key
 * from the seed, multiplied in pairs (two independent products, so the latency is about that
 * of two multiplications, not a chain of ten), then the ports and version.  The keys keep
 * collisions unpredictable to a sender who shapes traffic; tests fix the seed. */
uint32_t flow_hash(const struct flow_table *t, const struct flow_key *k)
{
	const uint64_t *s = t->secret;
	uint64_t h = flow_mum(rd_load_u64(k->a) ^ s[0], rd_load_u64(k->b) ^ s[1]) ^
	             flow_mum(rd_load_u64(k->a + 8) ^ s[2], rd_load_u64(k->b + 8) ^ s[3]);
	uint64_t ports = ((uint64_t)k->ipver << 32) | ((uint64_t)k->pa << 16) | k->pb;
	h = flow_mum(h ^ ports ^ s[4], 0x9e3779b97f4a7c15ull);
	return (uint32_t)(h ^ (h >> 32));
}
#else
/* murmur3-style mixing over the ordered key, where the compiler has no 128-bit product; the
 * seed keeps collisions unpredictable to a sender who shapes traffic, and is fixed in tests
 * for determinism. */
static uint32_t mix(uint32_t h, uint32_t k)
{
	k *= 0xcc9e2d51u;
	k = (k << 15) | (k >> 17);
	k *= 0x1b873593u;
	h ^= k;
	h = (h << 13) | (h >> 19);
	return h * 5 + 0xe6546b64u;
}

uint32_t flow_hash(const struct flow_table *t, const struct flow_key *k)
{
	uint32_t h = t->seed ^ k->ipver;
	size_t n = k->ipver == 6 ? 16 : 4;
	for (size_t i = 0; i < n; i += 4) {
		uint32_t w;
		memcpy(&w, k->a + i, 4);
		h = mix(h, w);
		memcpy(&w, k->b + i, 4);
		h = mix(h, w);
	}
	h = mix(h, ((uint32_t)k->pa << 16) | k->pb);
	h ^= (uint32_t)n;
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}
#endif

static bool key_eq(const struct flow_key *x, const struct flow_key *y)
{
	uint64_t xa[2], ya[2], xb[2], yb[2];
	memcpy(xa, x->a, 16);
	memcpy(ya, y->a, 16);
	memcpy(xb, x->b, 16);
	memcpy(yb, y->b, 16);
	return x->ipver == y->ipver && x->pa == y->pa && x->pb == y->pb &&
	       ((xa[0] ^ ya[0]) | (xa[1] ^ ya[1]) | (xb[0] ^ yb[0]) | (xb[1] ^ yb[1])) == 0;
}

struct conn *flow_lookup(struct flow_table *t, const struct flow_key *k, uint32_t h)
{
	for (struct conn *c = t->buckets[h & (t->nbuckets - 1)]; c; c = c->hnext)
		if (c->hash == h && key_eq(&c->key, k))
			return c;
	return NULL;
}

static void list_unlink(struct conn **head, struct conn **tail, struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		*head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		*tail = c->prev;
	c->prev = c->next = NULL;
}

static void list_append(struct conn **head, struct conn **tail, struct conn *c)
{
	c->next = NULL;
	c->prev = *tail;
	if (*tail)
		(*tail)->next = c;
	else
		*head = c;
	*tail = c;
}

void flow_insert(struct flow_table *t, struct conn *c)
{
	if (t->count >= t->nbuckets && t->nbuckets < t->max_buckets)
		flow_grow(t);
	size_t b = c->hash & (t->nbuckets - 1);
	c->hnext = t->buckets[b];
	t->buckets[b] = c;
	t->count++;
	list_append(&t->lru_head, &t->lru_tail, c);
}

void flow_remove(struct flow_table *t, struct conn *c)
{
	struct conn **pp = &t->buckets[c->hash & (t->nbuckets - 1)];
	while (*pp && *pp != c)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = c->hnext;
	c->hnext = NULL;
	if (c->closed)
		list_unlink(&t->closed_head, &t->closed_tail, c);
	else
		list_unlink(&t->lru_head, &t->lru_tail, c);
	t->count--;
}

void flow_touch(struct flow_table *t, struct conn *c)
{
	if (c->closed || t->lru_tail == c)
		return;
	list_unlink(&t->lru_head, &t->lru_tail, c);
	list_append(&t->lru_head, &t->lru_tail, c);
}

void flow_mark_closed(struct flow_table *t, struct conn *c)
{
	if (c->closed)
		return;
	list_unlink(&t->lru_head, &t->lru_tail, c);
	c->closed = true;
	list_append(&t->closed_head, &t->closed_tail, c);
}
