/* json.h — a small bounded JSON (RFC 8259) reader for .expect lines and finding records */
#ifndef MTA_CLI_JSON_H
#define MTA_CLI_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits that keep hostile input cheap: nesting depth (the parser recurses once per level),
 * members per object (duplicate keys are looked for by a linear scan) and document size. */
#define JSON_MAX_DEPTH   32
#define JSON_MAX_MEMBERS 1024
#define JSON_MAX_TEXT    (1u << 20)

#define JSON_NONE UINT32_MAX

enum json_type { JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUM, JSON_STR, JSON_ARR, JSON_OBJ };

/* One value.  Nodes live in an array of the document and link to each other by index, so the
 * array may grow while parsing.  Strings are stored decoded (escapes resolved, UTF-8) and
 * NUL-terminated in the document's string pool; numbers keep their literal text there. */
struct json_node {
	enum json_type type;
	uint32_t str; /* JSON_STR: decoded text; JSON_NUM: literal (offsets into the pool) */
	uint32_t len;
	uint32_t key; /* member name when the node is an object member, else JSON_NONE */
	uint32_t keylen;
	uint32_t first; /* JSON_ARR/JSON_OBJ: first element or member */
	uint32_t next;  /* next element or member of the parent */
	uint32_t count; /* JSON_ARR/JSON_OBJ: number of elements or members */
};

struct json_doc {
	struct json_node *node; /* node[0] is the root after a successful parse */
	size_t n_node, cap_node;
	char *pool;
	size_t n_pool, cap_pool;
};

void json_init(struct json_doc *d);
void json_free(struct json_doc *d);
/* Parse exactly one JSON value (surrounding white space allowed) from text[0..len).
 * Returns 0, or -1 with a short reason in err (the document is then empty). */
int json_parse(struct json_doc *d, const char *text, size_t len, char *err, size_t errlen);

/* Member `key` of object node `obj`, or JSON_NONE. */
uint32_t json_get(const struct json_doc *d, uint32_t obj, const char *key);
/* Decoded string of a JSON_STR node (NUL-terminated; may hold NULs from \u0000). */
const char *json_str(const struct json_doc *d, uint32_t n, size_t *len);
/* A JSON_NUM node holding a non-negative integer literal that fits 64 bits. */
bool json_u64(const struct json_doc *d, uint32_t n, uint64_t *v);
/* Deep equality as JSON values: objects regardless of member order, arrays in order, strings
 * after decoding, numbers by value (1.50 equals 1.5; integer literals exactly). */
bool json_equal(const struct json_doc *a, uint32_t ia, const struct json_doc *b, uint32_t ib);

#endif
