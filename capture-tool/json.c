/* json.c — a small bounded JSON (RFC 8259) reader for .expect lines and finding records
 *
 * Recursive descent with an explicit depth limit; every read of the input checks the remaining
 * length first.  Strict grammar (no comments, no trailing commas, no leading zeros); duplicate
 * member names are rejected because "other keys must match" would otherwise be ambiguous.
 */
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct json_parser {
	struct json_doc *d;
	const char *p;
	size_t len, off;
	char *err;
	size_t errlen;
	bool failed;
};

void json_init(struct json_doc *d)
{
	memset(d, 0, sizeof(*d));
}

void json_free(struct json_doc *d)
{
	free(d->node);
	free(d->pool);
	json_init(d);
}

static int json_fail(struct json_parser *ps, const char *why)
{
	if (!ps->failed) {
		ps->failed = true;
		snprintf(ps->err, ps->errlen, "%s at offset %zu", why, ps->off);
	}
	return -1;
}

static uint32_t json_new_node(struct json_parser *ps, enum json_type t)
{
	struct json_doc *d = ps->d;

	if (d->n_node == d->cap_node) {
		size_t cap = d->cap_node ? d->cap_node * 2 : 16;
		struct json_node *n;

		if (cap >= JSON_NONE) {
			json_fail(ps, "too many values");
			return JSON_NONE;
		}
		n = realloc(d->node, cap * sizeof(*n));
		if (!n) {
			json_fail(ps, "out of memory");
			return JSON_NONE;
		}
		d->node = n;
		d->cap_node = cap;
	}
	d->node[d->n_node] = (struct json_node){.type = t,
	                                        .str = 0,
	                                        .len = 0,
	                                        .key = JSON_NONE,
	                                        .keylen = 0,
	                                        .first = JSON_NONE,
	                                        .next = JSON_NONE,
	                                        .count = 0};
	return (uint32_t)d->n_node++;
}

/* Append n octets to the string pool (no terminator); returns 0 or -1. */
static int json_pool_put(struct json_parser *ps, const char *s, size_t n)
{
	struct json_doc *d = ps->d;

	if (d->cap_pool - d->n_pool < n + 1) {
		size_t cap = d->cap_pool ? d->cap_pool : 256;
		char *p;

		while (cap - d->n_pool < n + 1)
			cap *= 2;
		if (cap > UINT32_MAX)
			return json_fail(ps, "document too large");
		p = realloc(d->pool, cap);
		if (!p)
			return json_fail(ps, "out of memory");
		d->pool = p;
		d->cap_pool = cap;
	}
	memcpy(d->pool + d->n_pool, s, n);
	d->n_pool += n;
	return 0;
}

static void json_skip_ws(struct json_parser *ps)
{
	while (ps->off < ps->len) {
		char c = ps->p[ps->off];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		ps->off++;
	}
}

static bool json_lit(struct json_parser *ps, const char *word)
{
	size_t n = strlen(word);

	if (ps->len - ps->off < n || memcmp(ps->p + ps->off, word, n) != 0)
		return false;
	ps->off += n;
	return true;
}

static int json_hex4(struct json_parser *ps, unsigned *out)
{
	unsigned v = 0;

	if (ps->len - ps->off < 4)
		return json_fail(ps, "truncated \\u escape");
	for (int i = 0; i < 4; i++) {
		char c = ps->p[ps->off++];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return json_fail(ps, "bad \\u escape");
	}
	*out = v;
	return 0;
}

static int json_put_utf8(struct json_parser *ps, unsigned cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return json_pool_put(ps, b, n);
}

/* A string literal at ps->off (the opening quote); its decoded text goes to the pool. */
static int json_string(struct json_parser *ps, uint32_t *off, uint32_t *len)
{
	size_t start;

	if (ps->off >= ps->len || ps->p[ps->off] != '"')
		return json_fail(ps, "expected a string");
	ps->off++;
	start = ps->d->n_pool;
	for (;;) {
		size_t run = ps->off;
		char c;

		while (run < ps->len && ps->p[run] != '"' && ps->p[run] != '\\' &&
		       (unsigned char)ps->p[run] >= 0x20)
			run++;
		if (json_pool_put(ps, ps->p + ps->off, run - ps->off))
			return -1;
		ps->off = run;
		if (ps->off >= ps->len)
			return json_fail(ps, "unterminated string");
		c = ps->p[ps->off++];
		if (c == '"')
			break;
		if (c != '\\')
			return json_fail(ps, "control character in string");
		if (ps->off >= ps->len)
			return json_fail(ps, "unterminated string");
		c = ps->p[ps->off++];
		switch (c) {
		case '"':
		case '\\':
		case '/':
			if (json_pool_put(ps, &c, 1))
				return -1;
			break;
		case 'b':
			c = '\b';
			if (json_pool_put(ps, &c, 1))
				return -1;
			break;
		case 'f':
			c = '\f';
			if (json_pool_put(ps, &c, 1))
				return -1;
			break;
		case 'n':
			c = '\n';
			if (json_pool_put(ps, &c, 1))
				return -1;
			break;
		case 'r':
			c = '\r';
			if (json_pool_put(ps, &c, 1))
				return -1;
			break;
		case 't':
			c = '\t';
			if (json_pool_put(ps, &c, 1))
				return -1;
			break;
		case 'u': {
			unsigned cp, lo;

			if (json_hex4(ps, &cp))
				return -1;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return json_fail(ps, "lone low surrogate");
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (ps->len - ps->off < 2 || ps->p[ps->off] != '\\' ||
				    ps->p[ps->off + 1] != 'u')
					return json_fail(ps, "lone high surrogate");
				ps->off += 2;
				if (json_hex4(ps, &lo))
					return -1;
				if (lo < 0xdc00 || lo > 0xdfff)
					return json_fail(ps, "bad surrogate pair");
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			}
			if (json_put_utf8(ps, cp))
				return -1;
			break;
		}
		default:
			return json_fail(ps, "bad escape");
		}
	}
	if (json_pool_put(ps, "", 0))
		return -1;
	ps->d->pool[ps->d->n_pool++] = '\0'; /* json_pool_put kept room for it */
	*off = (uint32_t)start;
	*len = (uint32_t)(ps->d->n_pool - start - 1);
	return 0;
}

static bool json_digit(const struct json_parser *ps, size_t at)
{
	return at < ps->len && ps->p[at] >= '0' && ps->p[at] <= '9';
}

static int json_number(struct json_parser *ps, uint32_t node)
{
	size_t start = ps->off;
	uint32_t off;

	if (ps->off < ps->len && ps->p[ps->off] == '-')
		ps->off++;
	if (!json_digit(ps, ps->off))
		return json_fail(ps, "bad number");
	if (ps->p[ps->off] == '0')
		ps->off++;
	else
		while (json_digit(ps, ps->off))
			ps->off++;
	if (ps->off < ps->len && ps->p[ps->off] == '.') {
		ps->off++;
		if (!json_digit(ps, ps->off))
			return json_fail(ps, "bad number");
		while (json_digit(ps, ps->off))
			ps->off++;
	}
	if (ps->off < ps->len && (ps->p[ps->off] == 'e' || ps->p[ps->off] == 'E')) {
		ps->off++;
		if (ps->off < ps->len && (ps->p[ps->off] == '+' || ps->p[ps->off] == '-'))
			ps->off++;
		if (!json_digit(ps, ps->off))
			return json_fail(ps, "bad number");
		while (json_digit(ps, ps->off))
			ps->off++;
	}
	off = (uint32_t)ps->d->n_pool;
	if (json_pool_put(ps, ps->p + start, ps->off - start))
		return -1;
	ps->d->pool[ps->d->n_pool++] = '\0';
	ps->d->node[node].str = off;
	ps->d->node[node].len = (uint32_t)(ps->off - start);
	return 0;
}

static int json_value(struct json_parser *ps, int depth, uint32_t *out);

static bool json_key_eq(const struct json_doc *d, uint32_t n, const char *k, size_t klen)
{
	return d->node[n].keylen == klen && memcmp(d->pool + d->node[n].key, k, klen) == 0;
}

static int json_container(struct json_parser *ps, int depth, uint32_t node, bool obj)
{
	char close = obj ? '}' : ']';
	uint32_t last = JSON_NONE;

	ps->off++; /* the opening bracket */
	json_skip_ws(ps);
	if (ps->off < ps->len && ps->p[ps->off] == close) {
		ps->off++;
		return 0;
	}
	for (;;) {
		uint32_t key = JSON_NONE, keylen = 0, child;

		json_skip_ws(ps);
		if (obj) {
			if (ps->d->node[node].count >= JSON_MAX_MEMBERS)
				return json_fail(ps, "too many members");
			if (json_string(ps, &key, &keylen))
				return -1;
			for (uint32_t m = ps->d->node[node].first; m != JSON_NONE;
			     m = ps->d->node[m].next)
				if (json_key_eq(ps->d, m, ps->d->pool + key, keylen))
					return json_fail(ps, "duplicate key");
			json_skip_ws(ps);
			if (ps->off >= ps->len || ps->p[ps->off] != ':')
				return json_fail(ps, "expected ':'");
			ps->off++;
		}
		if (json_value(ps, depth + 1, &child))
			return -1;
		ps->d->node[child].key = key;
		ps->d->node[child].keylen = keylen;
		if (last == JSON_NONE)
			ps->d->node[node].first = child;
		else
			ps->d->node[last].next = child;
		last = child;
		ps->d->node[node].count++;
		json_skip_ws(ps);
		if (ps->off >= ps->len)
			return json_fail(ps, obj ? "unterminated object" : "unterminated array");
		if (ps->p[ps->off] == ',') {
			ps->off++;
			continue;
		}
		if (ps->p[ps->off] == close) {
			ps->off++;
			return 0;
		}
		return json_fail(ps, obj ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static int json_value(struct json_parser *ps, int depth, uint32_t *out)
{
	uint32_t n;
	char c;

	if (depth > JSON_MAX_DEPTH)
		return json_fail(ps, "nested too deeply");
	json_skip_ws(ps);
	if (ps->off >= ps->len)
		return json_fail(ps, "expected a value");
	c = ps->p[ps->off];
	switch (c) {
	case '{':
	case '[':
		n = json_new_node(ps, c == '{' ? JSON_OBJ : JSON_ARR);
		if (n == JSON_NONE || json_container(ps, depth, n, c == '{'))
			return -1;
		break;
	case '"': {
		uint32_t off, len;

		n = json_new_node(ps, JSON_STR);
		if (n == JSON_NONE || json_string(ps, &off, &len))
			return -1;
		ps->d->node[n].str = off;
		ps->d->node[n].len = len;
		break;
	}
	case 't':
	case 'f':
	case 'n':
		if (json_lit(ps, "true"))
			n = json_new_node(ps, JSON_TRUE);
		else if (json_lit(ps, "false"))
			n = json_new_node(ps, JSON_FALSE);
		else if (json_lit(ps, "null"))
			n = json_new_node(ps, JSON_NULL);
		else
			return json_fail(ps, "unknown literal");
		if (n == JSON_NONE)
			return -1;
		break;
	default:
		n = json_new_node(ps, JSON_NUM);
		if (n == JSON_NONE || json_number(ps, n))
			return -1;
		break;
	}
	*out = n;
	return 0;
}

int json_parse(struct json_doc *d, const char *text, size_t len, char *err, size_t errlen)
{
	struct json_parser ps = {d, text, len, 0, err, errlen, false};
	uint32_t root;

	json_free(d);
	if (len > JSON_MAX_TEXT) {
		snprintf(err, errlen, "longer than %u octets", JSON_MAX_TEXT);
		return -1;
	}
	if (json_value(&ps, 0, &root) == 0) {
		json_skip_ws(&ps);
		if (ps.off == ps.len)
			return 0; /* root is node 0: the first one created */
		json_fail(&ps, "text after the value");
	}
	json_free(d);
	return -1;
}

uint32_t json_get(const struct json_doc *d, uint32_t obj, const char *key)
{
	size_t klen = strlen(key);

	if (obj >= d->n_node || d->node[obj].type != JSON_OBJ)
		return JSON_NONE;
	for (uint32_t m = d->node[obj].first; m != JSON_NONE; m = d->node[m].next)
		if (json_key_eq(d, m, key, klen))
			return m;
	return JSON_NONE;
}

const char *json_str(const struct json_doc *d, uint32_t n, size_t *len)
{
	if (n >= d->n_node || d->node[n].type != JSON_STR)
		return NULL;
	if (len)
		*len = d->node[n].len;
	return d->pool + d->node[n].str;
}

static bool json_is_int_literal(const char *s)
{
	return strpbrk(s, ".eE") == NULL;
}

bool json_u64(const struct json_doc *d, uint32_t n, uint64_t *v)
{
	const char *s;
	uint64_t x = 0;

	if (n >= d->n_node || d->node[n].type != JSON_NUM)
		return false;
	s = d->pool + d->node[n].str;
	if (*s == '-' || !json_is_int_literal(s))
		return false;
	for (; *s; s++) {
		unsigned dgt = (unsigned)(*s - '0');

		if (x > (UINT64_MAX - dgt) / 10)
			return false;
		x = x * 10 + dgt;
	}
	*v = x;
	return true;
}

static bool json_num_equal(const char *a, const char *b)
{
	if (strcmp(a, b) == 0)
		return true;
	if (json_is_int_literal(a) && json_is_int_literal(b)) {
		/* JSON integer literals have no leading zeros: different text is a different
		 * value, except for the two spellings of zero. */
		return (strcmp(a, "-0") == 0 || strcmp(a, "0") == 0) &&
		       (strcmp(b, "-0") == 0 || strcmp(b, "0") == 0);
	}
	return strtod(a, NULL) == strtod(b, NULL);
}

static bool json_equal_at(const struct json_doc *a, uint32_t ia, const struct json_doc *b,
                          uint32_t ib, int depth)
{
	const struct json_node *x, *y;

	if (ia >= a->n_node || ib >= b->n_node || depth > JSON_MAX_DEPTH + 1)
		return false;
	x = &a->node[ia];
	y = &b->node[ib];
	if (x->type != y->type)
		return false;
	switch (x->type) {
	case JSON_NULL:
	case JSON_FALSE:
	case JSON_TRUE:
		return true;
	case JSON_NUM:
		return json_num_equal(a->pool + x->str, b->pool + y->str);
	case JSON_STR:
		return x->len == y->len && memcmp(a->pool + x->str, b->pool + y->str, x->len) == 0;
	case JSON_ARR: {
		uint32_t m = x->first, k = y->first;

		if (x->count != y->count)
			return false;
		for (; m != JSON_NONE && k != JSON_NONE; m = a->node[m].next, k = b->node[k].next)
			if (!json_equal_at(a, m, b, k, depth + 1))
				return false;
		return true;
	}
	case JSON_OBJ:
		if (x->count != y->count)
			return false;
		/* Keys are unique within an object (the parser rejects duplicates), so equal
		 * counts plus every member of x found equal in y is equality. */
		for (uint32_t m = x->first; m != JSON_NONE; m = a->node[m].next) {
			uint32_t k;

			for (k = y->first; k != JSON_NONE; k = b->node[k].next)
				if (a->node[m].keylen == b->node[k].keylen &&
				    memcmp(a->pool + a->node[m].key, b->pool + b->node[k].key,
				           a->node[m].keylen) == 0)
					break;
			if (k == JSON_NONE || !json_equal_at(a, m, b, k, depth + 1))
				return false;
		}
		return true;
	}
	return false;
}

bool json_equal(const struct json_doc *a, uint32_t ia, const struct json_doc *b, uint32_t ib)
{
	return json_equal_at(a, ia, b, ib, 0);
}
