/* test_events.c — protocol events (mta_config.events) from the whole engine on the scenario
 * captures in pcaps/: TCP, SMTP and OSI events with their values, and no change to the findings
 * whether events are on or off. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <pcap/pcap.h>

#include "mtadiag/engine.h"
#include "sbuf.h"

/* An event as recorded: strings copied (they are borrowed only during the hook). */
struct ev {
	enum mta_event_kind kind;
	enum mta_proto proto;
	enum mta_dir dir;
	uint64_t frame, conn_first;
	char label[160], state[16], cmd[16], spdu[16], tokens[32], act[40];
	int code;
	uint32_t txn;
	uint64_t latency, octets;
	int64_t serial;
	bool kb, ka;
	uint64_t vmb, vab, vma, vaa;
	int wused, wsize;
};

struct rec {
	struct ev *ev;
	size_t n, cap;
	struct sbuf findings; /* one line per finding: code frame severity */
};

static void cp(char *dst, size_t cap, const char *s)
{
	snprintf(dst, cap, "%s", s ? s : "");
}

static void on_event(void *u, const struct mta_event *e)
{
	struct rec *r = u;
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		r->ev = realloc(r->ev, r->cap * sizeof(*r->ev));
		assert_non_null(r->ev);
	}
	assert_non_null(e->label);
	assert_non_null(e->conn);
	struct ev *x = &r->ev[r->n++];
	memset(x, 0, sizeof(*x));
	x->kind = e->kind;
	x->proto = e->proto;
	x->dir = e->dir;
	x->frame = e->frame;
	x->conn_first = e->conn_first_frame;
	cp(x->label, sizeof(x->label), e->label);
	cp(x->state, sizeof(x->state), e->smtp_state);
	cp(x->cmd, sizeof(x->cmd), e->smtp_cmd);
	cp(x->spdu, sizeof(x->spdu), e->spdu);
	cp(x->tokens, sizeof(x->tokens), e->tokens);
	cp(x->act, sizeof(x->act), e->activity_id);
	x->code = e->reply_code;
	x->txn = e->transaction;
	x->latency = e->latency_usec;
	x->octets = e->data_octets;
	x->serial = e->serial;
	x->kb = e->v_known_before;
	x->ka = e->v_known_after;
	x->vmb = e->vm_before;
	x->vab = e->va_before;
	x->vma = e->vm_after;
	x->vaa = e->va_after;
	x->wused = e->window_used;
	x->wsize = e->window_size;
}

static void on_finding(void *u, const struct mta_finding *f)
{
	struct rec *r = u;
	sb_printf(&r->findings, "%s %" PRIu64 " %d %s\n", mta_finding_code_str(f->code), f->frame,
	          (int)f->severity, f->message);
}

static void run_skip(const char *rel, bool events, unsigned skip, struct rec *r)
{
	char path[1024], err[PCAP_ERRBUF_SIZE];
	snprintf(path, sizeof(path), "%s/%s", MTA_SOURCE_DIR, rel);
	memset(r, 0, sizeof(*r));
	sb_init(&r->findings);
	pcap_t *p = pcap_open_offline(path, err);
	if (!p)
		fail_msg("%s: %s", path, err);
	struct mta_config cfg;
	mta_config_defaults(&cfg);
	cfg.hash_seed = 7;
	cfg.events = events;
	cfg.skip_protos = skip;
	struct mta_hooks h = {.on_finding = on_finding, .on_event = on_event};
	struct mta_engine *e = mta_engine_new(&cfg, &h, r);
	assert_non_null(e);
	struct pcap_pkthdr *hd;
	const u_char *d;
	uint64_t n = 0;
	while (pcap_next_ex(p, &hd, &d) == 1) {
		struct mta_frame f = {
		    .number = ++n,
		    .ts = {hd->ts.tv_sec, (uint32_t)hd->ts.tv_usec},
		    .linktype = pcap_datalink(p),
		    .data = d,
		    .caplen = hd->caplen,
		    .wirelen = hd->len,
		};
		mta_engine_feed(e, &f);
	}
	mta_engine_finish(e);
	mta_engine_free(e);
	pcap_close(p);
}

static void run(const char *rel, bool events, struct rec *r)
{
	run_skip(rel, events, 0, r);
}

static void rec_free(struct rec *r)
{
	free(r->ev);
	sb_free(&r->findings);
}

/* The k-th event (0-based) of `kind` on `frame`. */
static const struct ev *find(const struct rec *r, enum mta_event_kind kind, uint64_t frame,
                             unsigned k)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->ev[i].kind == kind && r->ev[i].frame == frame && k-- == 0)
			return &r->ev[i];
	fail_msg("no event of kind %d on frame %" PRIu64, (int)kind, frame);
	return NULL;
}

static void dump(const struct rec *r)
{
	for (size_t i = 0; i < r->n; i++)
		fprintf(stderr, "  %" PRIu64 " kind %d [%s] %s\n", r->ev[i].frame,
		        (int)r->ev[i].kind, r->ev[i].label, r->ev[i].spdu);
}

/* Seed 003: the gateway's invalid MINOR SYNC POINT (serial 3 where the responder expects 2),
 * then the responder's ABORT.  V(M)/V(A) are the responder's (the receiver's) model. */
static void test_seed003_invalid_mip(void **state)
{
	(void)state;
	struct rec r;
	run("pcaps/osi/seed003_invalid_mip_abort.pcap", true, &r);
	if (r.n != 16)
		dump(&r);
	assert_int_equal(r.n, 16);
	for (size_t i = 0; i < r.n; i++) {
		assert_int_equal(r.ev[i].proto, MTA_PROTO_OSI);
		assert_int_equal(r.ev[i].conn_first, 1);
	}
	/* TCP and COTP */
	assert_string_equal(find(&r, MTA_EV_TCP, 1, 0)->label, "SYN");
	assert_string_equal(find(&r, MTA_EV_TCP, 2, 0)->label, "SYN-ACK");
	assert_string_equal(find(&r, MTA_EV_OSI_TPDU, 4, 0)->label, "CR");
	assert_string_equal(find(&r, MTA_EV_OSI_TPDU, 5, 0)->spdu, "CC");
	assert_int_equal(find(&r, MTA_EV_TCP, 16, 0)->dir, MTA_S2C);
	assert_string_equal(find(&r, MTA_EV_TCP, 16, 0)->label, "FIN");

	/* frame 10: the first MIP, serial 1: V(M) 1 -> 2, V(A) stays 1; one checkpoint open */
	const struct ev *e = find(&r, MTA_EV_OSI_SPDU, 10, 0);
	assert_string_equal(e->label, "GT+MIP(1)");
	assert_string_equal(e->spdu, "MIP");
	assert_int_equal(e->serial, 1);
	assert_true(e->kb && e->ka);
	assert_int_equal(e->vmb, 1);
	assert_int_equal(e->vab, 1);
	assert_int_equal(e->vma, 2);
	assert_int_equal(e->vaa, 1);
	assert_int_equal(e->wused, 1);
	assert_int_equal(e->wsize, 3);
	assert_string_equal(e->act, "020101");
	assert_string_equal(e->tokens, "dk=I mi=I ma=I tr=-");

	/* frame 11: its confirmation at the initiator's model: V(A) 1 -> 2, nothing open */
	e = find(&r, MTA_EV_OSI_SPDU, 11, 0);
	assert_string_equal(e->label, "PT+MIA(1)");
	assert_int_equal(e->dir, MTA_S2C);
	assert_int_equal(e->vmb, 2);
	assert_int_equal(e->vab, 1);
	assert_int_equal(e->vma, 2);
	assert_int_equal(e->vaa, 2);
	assert_int_equal(e->wused, 0);

	/* frame 13: the invalid MIP: serial 3 while V(M) = 2; the model follows it (V(M) 4) */
	e = find(&r, MTA_EV_OSI_SPDU, 13, 0);
	assert_string_equal(e->label, "GT+MIP(3)");
	assert_string_equal(e->spdu, "MIP");
	assert_int_equal(e->serial, 3);
	assert_int_equal(e->dir, MTA_C2S);
	assert_true(e->kb);
	assert_int_equal(e->vmb, 2);
	assert_int_equal(e->vab, 2);
	assert_int_equal(e->vma, 4);
	assert_int_equal(e->vaa, 2);
	assert_int_equal(e->wused, 2);

	/* frame 14: the responder's ABORT ends the activity */
	e = find(&r, MTA_EV_OSI_SPDU, 14, 0);
	assert_string_equal(e->label, "AB");
	assert_string_equal(e->spdu, "AB");
	assert_int_equal(e->serial, -1);
	assert_string_equal(e->act, "");
	assert_string_equal(find(&r, MTA_EV_OSI_SPDU, 6, 0)->spdu, "CN");
	/* before the AC nothing about the serials is known */
	assert_false(find(&r, MTA_EV_OSI_SPDU, 7, 0)->kb);
	rec_free(&r);
}

/* SI 41 is ACTIVITY END when activity management is selected, SI 42 its AEA; activity ids and
 * the serial baseline of each new activity. */
static void test_activity_end_not_map(void **state)
{
	(void)state;
	struct rec r;
	run("pcaps/osi/clean_rts_transfer.pcap", true, &r);
	const struct ev *e = find(&r, MTA_EV_OSI_SPDU, 19, 0);
	assert_string_equal(e->label, "GT+AE(4)");
	assert_string_equal(e->spdu, "AE");
	assert_int_equal(e->serial, 4);
	e = find(&r, MTA_EV_OSI_SPDU, 20, 0);
	assert_string_equal(e->label, "PT+AEA(4)");
	assert_string_equal(e->spdu, "AEA");
	assert_string_equal(e->act, "");      /* the activity is over */
	e = find(&r, MTA_EV_OSI_SPDU, 21, 0); /* the next activity starts at serial 1 again */
	assert_string_equal(e->spdu, "AS");
	assert_string_equal(e->act, "020102");
	assert_int_equal(e->vma, 1);
	assert_int_equal(e->vaa, 1);
	for (size_t i = 0; i < r.n; i++)
		assert_null(strstr(r.ev[i].label, "MAP"));
	rec_free(&r);
}

/* A pipelined SMTP session: each reply names the command it answers, its code, its
 * transaction and its latency. */
static void test_smtp_pipelined(void **state)
{
	(void)state;
	struct rec r;
	run("pcaps/smtp/pipelining-advertised.pcap", true, &r);
	static const struct {
		uint64_t frame;
		const char *cmd;
		int code;
		uint32_t txn;
	} want[] = {
	    {4, "", 220, 0},
	    {6, "EHLO", 250, 0},
	    {8, "MAIL", 250, 1},
	    {8, "RCPT", 250, 1},
	    {8, "RCPT", 250, 1},
	    {8, "DATA", 354, 1},
	    {10, "END_OF_DATA", 250, 1},
	    {12, "RSET", 250, 0},
	    {12, "QUIT", 221, 0},
	};
	size_t k = 0;
	for (size_t i = 0; i < r.n; i++) {
		const struct ev *e = &r.ev[i];
		assert_int_equal(e->proto, MTA_PROTO_SMTP);
		if (e->kind != MTA_EV_SMTP_REPLY)
			continue;
		assert_true(k < sizeof(want) / sizeof(want[0]));
		if (e->frame != want[k].frame || strcmp(e->cmd, want[k].cmd) != 0 ||
		    e->code != want[k].code || e->txn != want[k].txn)
			fail_msg("reply %zu: frame %" PRIu64 " %s %d txn %u", k, e->frame, e->cmd,
			         e->code, e->txn);
		k++;
	}
	assert_int_equal(k, sizeof(want) / sizeof(want[0]));
	/* the four pipelined commands of frame 7, in order, all in transaction 1 */
	const char *cmds[] = {"MAIL", "RCPT", "RCPT", "DATA"};
	for (unsigned i = 0; i < 4; i++) {
		const struct ev *e = find(&r, MTA_EV_SMTP_CMD, 7, i);
		assert_string_equal(e->cmd, cmds[i]);
		assert_int_equal(e->txn, 1);
	}
	assert_string_equal(find(&r, MTA_EV_SMTP_CMD, 7, 0)->label,
	                    "MAIL FROM:<alice@example.org>");
	/* the replies of frame 8 came 10 ms after the commands of frame 7 */
	assert_int_equal(find(&r, MTA_EV_SMTP_REPLY, 8, 0)->latency, 10000);
	const struct ev *d = find(&r, MTA_EV_SMTP_DATA, 9, 0);
	assert_int_equal(d->octets, 195);
	assert_int_equal(d->txn, 1);
	assert_string_equal(find(&r, MTA_EV_TCP, 13, 0)->label, "FIN");
	rec_free(&r);
}

/* A RST during DATA: the TCP event, and no DATA event for a body that never ended. */
static void test_smtp_rst(void **state)
{
	(void)state;
	struct rec r;
	run("pcaps/smtp/seed000-rst-during-data.pcap", true, &r);
	const struct ev *e = find(&r, MTA_EV_TCP, 18, 0);
	assert_string_equal(e->label, "RST");
	assert_int_equal(e->dir, MTA_S2C);
	for (size_t i = 0; i < r.n; i++)
		assert_int_not_equal(r.ev[i].kind, MTA_EV_SMTP_DATA);
	rec_free(&r);
}

/* The lines of a findings transcript whose code belongs to proto (static buffer). */
static const char *only_proto(const char *all, unsigned proto)
{
	static char out[1 << 16];
	const char *pfx = proto == MTA_PROTO_SMTP ? "smtpdiag." : "osidiag.";
	size_t k = 0;
	out[0] = '\0';
	for (const char *p = all; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
		if (strncmp(p, pfx, strlen(pfx)) == 0) {
			assert_true(k + len < sizeof(out));
			memcpy(out + k, p, len);
			k += len;
			out[k] = '\0';
		}
		p += len;
	}
	return out;
}

/* On every scenario capture: events never change the findings, and without cfg.events the
 * hook is never called; mta_config.skip_protos leaves the other protocol's results intact. */
static void test_events_change_nothing(void **state)
{
	(void)state;
	const char *dirs[] = {"pcaps/smtp", "pcaps/osi"};
	unsigned files = 0;
	for (int k = 0; k < 2; k++) {
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", MTA_SOURCE_DIR, dirs[k]);
		DIR *dir = opendir(path);
		assert_non_null(dir);
		struct dirent *de;
		while ((de = readdir(dir)) != NULL) {
			size_t n = strlen(de->d_name);
			if (n < 6 || strcmp(de->d_name + n - 5, ".pcap") != 0)
				continue;
			char rel[600];
			snprintf(rel, sizeof(rel), "%s/%s", dirs[k], de->d_name);
			struct rec on, off;
			run(rel, true, &on);
			run(rel, false, &off);
			assert_int_equal(off.n, 0);
			assert_true(on.n > 0);
			assert_string_equal(sb_str(&on.findings), sb_str(&off.findings));
			/* skipping one protocol leaves exactly the other one's findings and
			 * events */
			for (unsigned proto = MTA_PROTO_SMTP; proto <= MTA_PROTO_OSI; proto++) {
				struct rec only;
				run_skip(rel, true, 1u << (MTA_PROTO_SMTP + MTA_PROTO_OSI - proto),
				         &only);
				assert_string_equal(sb_str(&only.findings),
				                    only_proto(sb_str(&on.findings), proto));
				size_t want = 0;
				for (size_t i = 0; i < on.n; i++)
					want += on.ev[i].proto == (enum mta_proto)proto;
				assert_int_equal(only.n, want);
				rec_free(&only);
			}
			rec_free(&on);
			rec_free(&off);
			files++;
		}
		closedir(dir);
	}
	assert_true(files >= 30);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_seed003_invalid_mip),
	    cmocka_unit_test(test_activity_end_not_map),
	    cmocka_unit_test(test_smtp_pipelined),
	    cmocka_unit_test(test_smtp_rst),
	    cmocka_unit_test(test_events_change_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
