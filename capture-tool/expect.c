/* expect.c — regression mode: compare reported findings with a .expect file (contract §4)
 *
 * Both sides are parsed into JSON documents.  Findings are grouped by (code, frame), the two
 * keys every expected line has; inside a group an expected line may match several reported
 * findings (when it names few keys), so the pairing is a maximum bipartite matching rather than
 * first-come: the verdict does not depend on the order of the lines in the file.
 */
#include "expect.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

struct expect_item {
	char *line; /* as written, white space trimmed */
	unsigned lineno;
	enum mta_finding_code code;
	uint64_t frame;
	struct json_doc doc;
	bool matched;
};

struct expect_rep {
	enum mta_finding_code code;
	uint64_t frame;
	char *json;
	struct json_doc doc;
	bool matched;
};

struct expect_set {
	struct expect_item *item;
	size_t n_item, cap_item;
	struct expect_rep *rep;
	size_t n_rep, cap_rep;
	bool listed[MTA_F_COUNT]; /* codes the file names */
};

/* Groups larger than this (expected x reported pairs) fall back to first-come pairing, so a
 * hostile file cannot make the matching quadratic in memory. */
#define EXPECT_MAX_PAIRS (1u << 24)

static char *expect_trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 &&
	       (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		s[--n] = '\0';
	return s;
}

/* Check one parsed line; fills code and frame.  Returns NULL or the reason it is unusable
 * (in why when it needs formatting). */
static const char *expect_check_line(struct expect_item *it, char *why, size_t whylen)
{
	const struct json_doc *d = &it->doc;
	uint32_t c, f;
	const char *code;
	size_t len;

	if (d->node[0].type != JSON_OBJ)
		return "not a JSON object";
	for (uint32_t m = d->node[0].first; m != JSON_NONE; m = d->node[m].next)
		if (memchr(d->pool + d->node[m].key, '\0', d->node[m].keylen))
			return "a key contains NUL";
	c = json_get(d, 0, "code");
	f = json_get(d, 0, "frame");
	if (c == JSON_NONE || f == JSON_NONE)
		return "needs at least \"code\" and \"frame\"";
	code = json_str(d, c, &len);
	if (!code || strlen(code) != len)
		return "\"code\" is not a string";
	it->code = mta_finding_from_str(code);
	if (it->code == MTA_F_COUNT) {
		snprintf(why, whylen, "unknown finding code \"%.64s\"", code);
		return why;
	}
	if (!json_u64(d, f, &it->frame) || it->frame == 0)
		return "\"frame\" is not a frame number (an integer >= 1)";
	return NULL;
}

/* Read one line (without its LF) into buf[0..cap); returns its length, -1 at end of file, -2
 * when longer than cap - 1, -3 when it holds a NUL octet. */
static long expect_read_line(FILE *fp, char *buf, size_t cap)
{
	size_t n = 0;
	bool nul = false;
	int c;

	while ((c = getc(fp)) != EOF && c != '\n') {
		if (c == '\0')
			nul = true;
		if (n + 1 >= cap)
			return -2;
		buf[n++] = (char)c;
	}
	if (c == EOF && n == 0)
		return -1;
	buf[n] = '\0';
	return nul ? -3 : (long)n;
}

struct expect_set *expect_load(const char *path, char *err, size_t errlen)
{
	struct expect_set *x = calloc(1, sizeof(*x));
	char *buf = malloc(JSON_MAX_TEXT + 1);
	unsigned lineno = 0;
	FILE *fp = NULL;

	if (!x || !buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	fp = fopen(path, "r");
	if (!fp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	for (;;) {
		long n = expect_read_line(fp, buf, JSON_MAX_TEXT + 1);
		char jerr[96], cerr[128];
		const char *why;
		struct expect_item *it;
		char *line;

		if (n == -1)
			break;
		lineno++;
		if (n == -2) {
			snprintf(err, errlen, "%s:%u: line longer than %u octets", path, lineno,
			         JSON_MAX_TEXT);
			goto fail;
		}
		if (n == -3) {
			snprintf(err, errlen, "%s:%u: NUL octet in line", path, lineno);
			goto fail;
		}
		line = expect_trim(buf);
		if (*line == '\0' || *line == '#')
			continue;
		if (x->n_item == x->cap_item) {
			size_t cap = x->cap_item ? x->cap_item * 2 : 32;
			struct expect_item *p = realloc(x->item, cap * sizeof(*p));

			if (!p) {
				snprintf(err, errlen, "%s: out of memory", path);
				goto fail;
			}
			x->item = p;
			x->cap_item = cap;
		}
		it = &x->item[x->n_item];
		memset(it, 0, sizeof(*it));
		json_init(&it->doc);
		it->lineno = lineno;
		it->line = strdup(line);
		if (!it->line) {
			snprintf(err, errlen, "%s: out of memory", path);
			goto fail;
		}
		x->n_item++;
		if (json_parse(&it->doc, line, strlen(line), jerr, sizeof(jerr))) {
			snprintf(err, errlen, "%s:%u: not valid JSON (%s)", path, lineno, jerr);
			goto fail;
		}
		why = expect_check_line(it, cerr, sizeof(cerr));
		if (why) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, why);
			goto fail;
		}
		x->listed[it->code] = true;
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	fclose(fp);
	free(buf);
	return x;
fail:
	if (fp)
		fclose(fp);
	free(buf);
	expect_free(x);
	return NULL;
}

void expect_free(struct expect_set *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->n_item; i++) {
		free(x->item[i].line);
		json_free(&x->item[i].doc);
	}
	for (size_t i = 0; i < x->n_rep; i++) {
		free(x->rep[i].json);
		json_free(&x->rep[i].doc);
	}
	free(x->item);
	free(x->rep);
	free(x);
}

bool expect_wants(const struct expect_set *x, enum mta_finding_code code, enum mta_severity sev)
{
	if (sev >= MTA_SEV_NOTE)
		return true;
	return code < MTA_F_COUNT && x->listed[code];
}

int expect_add(struct expect_set *x, enum mta_finding_code code, uint64_t frame, const char *json)
{
	struct expect_rep *r;

	if (x->n_rep == x->cap_rep) {
		size_t cap = x->cap_rep ? x->cap_rep * 2 : 64;
		struct expect_rep *p = realloc(x->rep, cap * sizeof(*p));

		if (!p)
			return -1;
		x->rep = p;
		x->cap_rep = cap;
	}
	r = &x->rep[x->n_rep];
	memset(r, 0, sizeof(*r));
	r->code = code;
	r->frame = frame;
	r->json = strdup(json);
	if (!r->json)
		return -1;
	x->n_rep++;
	return 0;
}

/* Every key the expected line names is in the finding, with an equal value. */
static bool expect_matches(const struct expect_item *it, const struct expect_rep *r)
{
	const struct json_doc *e = &it->doc;

	if (it->code != r->code || it->frame != r->frame)
		return false;
	for (uint32_t m = e->node[0].first; m != JSON_NONE; m = e->node[m].next) {
		uint32_t k = json_get(&r->doc, 0, e->pool + e->node[m].key);

		if (k == JSON_NONE || !json_equal(e, m, &r->doc, k))
			return false;
	}
	return true;
}

/* Sort keys: (code, frame), then position, so groups are contiguous and stable. */
static int expect_cmp_item(const void *a, const void *b, void *ctx)
{
	const struct expect_set *set = ctx;
	const struct expect_item *x = &set->item[*(const size_t *)a];
	const struct expect_item *y = &set->item[*(const size_t *)b];

	if (x->code != y->code)
		return x->code < y->code ? -1 : 1;
	if (x->frame != y->frame)
		return x->frame < y->frame ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

static int expect_cmp_rep(const void *a, const void *b, void *ctx)
{
	const struct expect_set *set = ctx;
	const struct expect_rep *x = &set->rep[*(const size_t *)a];
	const struct expect_rep *y = &set->rep[*(const size_t *)b];

	if (x->code != y->code)
		return x->code < y->code ? -1 : 1;
	if (x->frame != y->frame)
		return x->frame < y->frame ? -1 : 1;
	return *(const size_t *)a < *(const size_t *)b ? -1 : 1;
}

/* Maximum matching between ne expected (ei) and nr reported (ri) findings of one group, by
 * augmenting paths found breadth first (no recursion). */
static int expect_match_group(struct expect_set *x, const size_t *ei, size_t ne, const size_t *ri,
                              size_t nr)
{
	unsigned char *adj = NULL;
	size_t *match_r = NULL, *match_e = NULL, *prev = NULL, *queue = NULL;
	unsigned char *seen = NULL;
	int rc = -1;

	if (ne == 0 || nr == 0)
		return 0;
	if (ne > EXPECT_MAX_PAIRS / nr) {
		/* Pathological group: first come, first matched. */
		for (size_t a = 0; a < ne; a++)
			for (size_t b = 0; b < nr; b++)
				if (!x->rep[ri[b]].matched &&
				    expect_matches(&x->item[ei[a]], &x->rep[ri[b]])) {
					x->rep[ri[b]].matched = x->item[ei[a]].matched = true;
					break;
				}
		return 0;
	}
	adj = malloc(ne * nr);
	match_r = malloc(nr * sizeof(size_t));
	match_e = malloc(ne * sizeof(size_t));
	prev = malloc(nr * sizeof(size_t));
	queue = malloc(ne * sizeof(size_t));
	seen = malloc(nr);
	if (!adj || !match_r || !match_e || !prev || !queue || !seen)
		goto out;
	for (size_t a = 0; a < ne; a++) {
		match_e[a] = SIZE_MAX;
		for (size_t b = 0; b < nr; b++)
			adj[a * nr + b] = expect_matches(&x->item[ei[a]], &x->rep[ri[b]]);
	}
	for (size_t b = 0; b < nr; b++)
		match_r[b] = SIZE_MAX;
	for (size_t a = 0; a < ne; a++) {
		size_t qh = 0, qt = 0, found = SIZE_MAX;

		memset(seen, 0, nr);
		queue[qt++] = a;
		while (qh < qt && found == SIZE_MAX) {
			size_t u = queue[qh++];

			for (size_t b = 0; b < nr; b++) {
				if (!adj[u * nr + b] || seen[b])
					continue;
				seen[b] = 1;
				prev[b] = u;
				if (match_r[b] == SIZE_MAX) {
					found = b;
					break;
				}
				queue[qt++] =
				    match_r[b]; /* each expected enters once: b seen once */
			}
		}
		/* Flip the alternating path ending at the free reported finding. */
		for (size_t b = found; b != SIZE_MAX;) {
			size_t u = prev[b], next = match_e[u];

			match_e[u] = b;
			match_r[b] = u;
			if (u == a)
				break;
			b = next;
		}
	}
	for (size_t a = 0; a < ne; a++)
		if (match_e[a] != SIZE_MAX) {
			x->item[ei[a]].matched = true;
			x->rep[ri[match_e[a]]].matched = true;
		}
	rc = 0;
out:
	free(adj);
	free(match_r);
	free(match_e);
	free(prev);
	free(queue);
	free(seen);
	return rc;
}

long expect_compare(struct expect_set *x, FILE *out)
{
	size_t *ei = malloc((x->n_item + 1) * sizeof(size_t));
	size_t *ri = malloc((x->n_rep + 1) * sizeof(size_t));
	size_t a = 0, b = 0, matched = 0, missing = 0, unexpected = 0;
	long rc = -1;
	bool bad_json = false;

	if (!ei || !ri)
		goto out;
	for (size_t i = 0; i < x->n_rep; i++) {
		char jerr[96];

		if (json_parse(&x->rep[i].doc, x->rep[i].json, strlen(x->rep[i].json), jerr,
		               sizeof(jerr)) ||
		    x->rep[i].doc.node[0].type != JSON_OBJ) {
			/* Cannot happen with a sound renderer; never let it pass silently. */
			fprintf(stderr,
			        "mtadiag: internal error: finding JSON not parseable (%s): %s\n",
			        jerr, x->rep[i].json);
			json_free(&x->rep[i].doc);
			bad_json = true;
		}
	}
	for (size_t i = 0; i < x->n_item; i++)
		ei[i] = i;
	for (size_t i = 0; i < x->n_rep; i++)
		ri[i] = i;
	qsort_r(ei, x->n_item, sizeof(size_t), expect_cmp_item, x);
	qsort_r(ri, x->n_rep, sizeof(size_t), expect_cmp_rep, x);
	while (a < x->n_item && b < x->n_rep) {
		const struct expect_item *it = &x->item[ei[a]];
		const struct expect_rep *r = &x->rep[ri[b]];
		size_t a2 = a, b2 = b;

		if (it->code != r->code ? it->code < r->code : it->frame < r->frame) {
			a++;
			continue;
		}
		if (it->code != r->code || it->frame != r->frame) {
			b++;
			continue;
		}
		while (a2 < x->n_item && x->item[ei[a2]].code == it->code &&
		       x->item[ei[a2]].frame == it->frame)
			a2++;
		while (b2 < x->n_rep && x->rep[ri[b2]].code == r->code &&
		       x->rep[ri[b2]].frame == r->frame)
			b2++;
		if (expect_match_group(x, ei + a, a2 - a, ri + b, b2 - b))
			goto out;
		a = a2;
		b = b2;
	}
	for (size_t i = 0; i < x->n_item; i++) {
		if (x->item[i].matched) {
			matched++;
			continue;
		}
		missing++;
		fprintf(out, "missing: %s\n", x->item[i].line);
	}
	for (size_t i = 0; i < x->n_rep; i++) {
		if (x->rep[i].matched)
			continue;
		unexpected++;
		fprintf(out, "unexpected: %s\n", x->rep[i].json);
	}
	if (missing == 0 && unexpected == 0)
		fprintf(out, "expect: %zu findings matched\n", matched);
	else
		fprintf(out, "expect: %zu matched, %zu missing, %zu unexpected\n", matched, missing,
		        unexpected);
	rc = (long)(missing + unexpected);
	if (bad_json)
		rc = -1;
out:
	free(ei);
	free(ri);
	return rc;
}
