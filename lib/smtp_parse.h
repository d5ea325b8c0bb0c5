/* smtp_parse.h — pure SMTP line parsers (RFC 5321, RFC 2920, RFC 3030, RFC 3207, RFC 4954, RFC
 * 3463)
 *
 * Every function takes (p, n) and never reads p[n] or beyond.  Lines are given without their
 * line terminator (CRLF or bare LF).  Nothing here keeps state or allocates.
 */
#ifndef MTA_SMTP_PARSE_H
#define MTA_SMTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* RFC 5321 §4.5.3.1: limits including the CRLF. */
#define SMTP_CMD_LINE_MAX   512u
#define SMTP_REPLY_LINE_MAX 512u
#define SMTP_TEXT_LINE_MAX  1000u
/* RFC 4954 §4: an AUTH command (with initial response) may be up to 12 288 octets. */
#define SMTP_AUTH_LINE_MAX 12288u

enum smtp_verb {
	SV_UNKNOWN = 0,
	SV_HELO,
	SV_EHLO,
	SV_MAIL,
	SV_RCPT,
	SV_DATA,
	SV_BDAT,
	SV_RSET,
	SV_VRFY,
	SV_EXPN,
	SV_HELP,
	SV_NOOP,
	SV_QUIT,
	SV_STARTTLS,
	SV_AUTH,
	SV_TURN,
	SV_ETRN,
	SV_ATRN,
	SV_SEND,
	SV_SOML,
	SV_SAML,
	/* Not verbs: units of the session machine that also get a reply. */
	SV_END_OF_DATA, /* the CRLF.CRLF that ends a DATA body */
	SV_AUTH_CONT,   /* a client line answering a 334 challenge */
	SV_COUNT
};

/* "MAIL", "END_OF_DATA", "AUTH_CONT", "UNKNOWN" ... */
const char *smtp_verb_name(enum smtp_verb v);

struct smtp_cmd {
	enum smtp_verb verb;
	const uint8_t *verb_p; /* the verb as sent */
	size_t verb_len;
	const uint8_t *arg; /* after the separating space(s); may be empty */
	size_t arg_len;
};

/* Split a command line into verb (case-insensitive) and argument.  Returns false when the line
 * holds no verb-shaped token (empty, starts with a space, or the token has non-alphanumeric
 * octets); verb is then SV_UNKNOWN. */
bool smtp_parse_cmd(const uint8_t *p, size_t n, struct smtp_cmd *out);

struct smtp_reply_line {
	int code;            /* 100..999 */
	bool more;           /* '-' separator: more lines follow */
	bool has_enh;        /* RFC 3463 enhanced status code at the start of the text */
	char enh[16];        /* "5.1.1" */
	const uint8_t *text; /* after "NNN " / "NNN-" (and not past the line) */
	size_t text_len;
};

/* Returns false when the line does not start with three digits followed by ' ', '-' or the end
 * of the line. */
bool smtp_parse_reply(const uint8_t *p, size_t n, struct smtp_reply_line *out);

/* EHLO keywords (RFC 5321 §4.1.1.1 ehlo-line), as a bit set. */
enum {
	SMTP_EXT_PIPELINING = 1u << 0,
	SMTP_EXT_SIZE = 1u << 1,
	SMTP_EXT_8BITMIME = 1u << 2,
	SMTP_EXT_CHUNKING = 1u << 3,
	SMTP_EXT_STARTTLS = 1u << 4,
	SMTP_EXT_AUTH = 1u << 5,
	SMTP_EXT_DSN = 1u << 6,
	SMTP_EXT_ENHANCEDSTATUSCODES = 1u << 7,
	SMTP_EXT_SMTPUTF8 = 1u << 8,
	SMTP_EXT_BINARYMIME = 1u << 9,
	SMTP_EXT_OTHER = 1u << 31,
};
/* The keyword of one EHLO reply line's text (e.g. "SIZE 10240000" -> SMTP_EXT_SIZE; "AUTH=LOGIN"
 * counts as AUTH).  0 when the text holds no keyword. */
uint32_t smtp_ehlo_keyword(const uint8_t *text, size_t n);

/* The address of "FROM:<a@b> SIZE=1" / "TO:<c@d>" (prefix matched case-insensitively, spaces
 * after the colon tolerated).  *addr points into p (between the angle brackets, or the first
 * token when there are none).  Returns false when the prefix is missing. */
bool smtp_parse_path(const uint8_t *p, size_t n, const char *prefix, const uint8_t **addr,
                     size_t *addr_len);

/* "1000 LAST" -> size 1000, last true (RFC 3030 bdat-cmd).  False on a missing or non-decimal
 * size or an unknown trailing token. */
bool smtp_parse_bdat(const uint8_t *p, size_t n, uint64_t *size, bool *last);

/* A queue id named in a reply's text: "... queued as ABC123", "OK id=1MuZRF-0005uK-Ao",
 * "2.0.0 u4HKN5s8013546 Message accepted for delivery".  *id points into text. */
bool smtp_reply_queue_id(const uint8_t *text, size_t n, const uint8_t **id, size_t *id_len);

/* Line framing: the first LF in p[0..n).  Returns false when there is none.  *content is the
 * line length without its terminator, *term the terminator length (1 for a bare LF, 2 for
 * CRLF), *bare_lf whether the LF had no CR before it. */
static inline bool smtp_find_line(const uint8_t *p, size_t n, size_t *content, size_t *term,
                                  bool *bare_lf)
{
	/* inline: it runs for every command and reply line */
	const uint8_t *lf = n ? (const uint8_t *)memchr(p, '\n', n) : NULL;
	if (!lf)
		return false;
	size_t at = (size_t)(lf - p);
	bool cr = at > 0 && p[at - 1] == '\r';
	*content = cr ? at - 1 : at;
	*term = cr ? 2 : 1;
	*bare_lf = !cr;
	return true;
}

/* Does the line look like a command (a known verb) / like a reply?  Used to resynchronise
 * after a capture gap. */
bool smtp_looks_like_cmd(const uint8_t *p, size_t n);
bool smtp_looks_like_reply(const uint8_t *p, size_t n);

/* Streaming detector of the DATA end-of-data marker (RFC 5321 §4.1.1.4: CRLF "." CRLF, the
 * first CRLF being the end of the previous line or the end of the DATA command).  Feed body
 * octets; it stops right after the marker. */
enum smtp_body_pos {
	SB_BOL = 0, /* at the beginning of a line (after CRLF, or at the start of the body) */
	SB_LINE,    /* inside a line */
	SB_CR,      /* inside a line, after a CR */
	SB_DOT,     /* a '.' at the beginning of a line */
	SB_DOT_CR,  /* ".\r" at the beginning of a line */
};
struct smtp_body_scan {
	enum smtp_body_pos pos;
	uint64_t line_len;   /* octets of the current line so far (without CRLF) */
	uint64_t long_lines; /* lines over SMTP_TEXT_LINE_MAX incl. CRLF */
	uint64_t longest;    /* longest line seen, octets incl. CRLF */
	uint64_t bare_lf;    /* LF without CR */
	uint64_t stuffed;    /* dot-stuffed lines */
	uint64_t lines;
	bool no_avx2;        /* scan with SSE2 even where the CPU has AVX2 (tests run both) */
};
/* Returns the octets used from p: all of n, or up to and including the LF of the marker, in
 * which case *done is set. */
size_t smtp_body_feed(struct smtp_body_scan *s, const uint8_t *p, size_t n, bool *done);

#endif
