/* ar.h — the Authentication-Results header field (RFC 8601): a builder for
 * the one field we add, and a parser that finds the authserv-id of fields
 * already in a message, so the glue can remove those that claim ours
 * (RFC 8601 section 5).
 *
 *   authres-payload = [CFWS] authserv-id [ CFWS authres-version ]
 *                     ( no-result / 1*resinfo ) [CFWS] CRLF
 *   resinfo    = [CFWS] ";" methodspec [ CFWS reasonspec ] [ CFWS 1*propspec ]
 *   methodspec = [CFWS] method [CFWS] "=" [CFWS] result
 *   reasonspec = "reason" [CFWS] "=" [CFWS] value
 *   propspec   = ptype [CFWS] "." [CFWS] property [CFWS] "=" pvalue
 *   pvalue     = [CFWS] ( value / [ [ local-part ] "@" ] domain-name ) [CFWS]
 *   value      = token / quoted-string          (RFC 2045 5.1)
 *
 * The builder writes every value as a token when the grammar allows it, as
 * local-part "@" domain-name for addresses (quoting only the local part
 * when it is not a dot-atom), and as a quoted-string otherwise.  Free text
 * (comments, reason=) is escaped: '(' ')' '\' become quoted-pairs in
 * comments, '"' and '\' in quoted strings; control and 8-bit bytes become
 * '?'; text longer than AR_MAX_TEXT is cut with "...".  Each resinfo starts
 * on its own line; long lines are folded at spaces near AR_FOLD_WIDTH.
 * Result words are written as given, except that the non-standard
 * "tmperror" is written "temperror".
 *
 * Ownership: the builder's output lives in the arena given to ar_begin().
 */
#ifndef MAILAUTH_AR_H
#define MAILAUTH_AR_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "dmarc.h"
#include "slice.h"

/* One ptype.property=value (RFC 8601 2.3).  ptype and property are our own
 * static words (keywords); value is data and is quoted as needed. */
struct ar_prop {
	const char *ptype;    /* "smtp", "header", "body", "policy" */
	const char *property; /* "mailfrom", "helo", "d", "from", "dmarc", ... */
	struct slice value;
};

/* One resinfo. */
struct ar_entry {
	const char *method;     /* "spf", "dkim", "dmarc", "arc", ... */
	const char *result;     /* "pass", "temperror", ... */
	struct slice comment;   /* written "(...)" after the result; may be empty */
	struct slice reason;    /* reason= value; may be empty */
	const struct ar_prop *props;
	size_t n_props;
};

struct ar_builder {
	struct buf b;
	size_t value_start; /* offset of the value, after "Authentication-Results:" */
	size_t col;         /* display column on the current line */
	size_t n_entries;
	size_t n_skipped;   /* entries refused (a method or result not a keyword) */
	bool crlf;          /* line ends: CRLF (wire) or LF (Exim's header_add) */
};

/* Start a field for authserv_id (a token, else written as a quoted-string).
 * crlf selects the line end used when folding. */
void ar_begin(struct ar_builder *w, struct arena *a, struct slice authserv_id, bool crlf);

/* Append one resinfo.  Entries whose method or result is not a keyword
 * (RFC 8601 2.2: ldh-str) are skipped and counted in n_skipped. */
void ar_add(struct ar_builder *w, const struct ar_entry *e);

/* spf=result (comment) smtp.mailfrom=identity, or smtp.helo=identity when
 * is_helo (RFC 8601 2.7.2). */
void ar_add_spf(struct ar_builder *w, const char *result, struct slice comment,
                struct slice identity, bool is_helo);

/* dkim=result [reason=] header.d= header.i= header.s= header.a= header.b=
 * (RFC 8601 2.7.1, RFC 6008 for header.b: the first 8 characters of b=);
 * empty slices are left out. */
void ar_add_dkim(struct ar_builder *w, const char *result, struct slice reason,
                 struct slice d, struct slice i, struct slice s, struct slice alg,
                 struct slice b);

/* dmarc=result (p=.. sp=.. dis=.. ...) [reason=] header.from=author
 * policy.dmarc=disposition (RFC 9989 9.1).  Nothing for DMARC off. */
void ar_add_dmarc(struct ar_builder *w, const struct dmarc_eval *e);

/* arc=result (comment) header.oldest-pass=N smtp.remote-ip=ip (RFC 8617
 * 10.1); oldest_pass is written when have_oldest_pass. */
void ar_add_arc(struct ar_builder *w, const char *result, struct slice comment,
                bool have_oldest_pass, unsigned oldest_pass, struct slice remote_ip);

/* The whole field, "Authentication-Results: id; ..." (or "id; none" with
 * no entries), without a final line end.  SLICE_NULL when memory ran out or
 * the field would exceed AR_MAX_HEADER_BYTES. */
struct slice ar_finish(struct ar_builder *w);
/* The same field's value only (after the colon), e.g. for an ARC
 * ARC-Authentication-Results payload. */
struct slice ar_value(struct ar_builder *w);

/* ------------------------------------------------------------------ */
/* Parsing fields already present                                      */

enum ar_parse_status {
	AR_PARSE_OK,        /* authserv-id [version] then ";" */
	AR_PARSE_MALFORMED, /* an authserv-id, but what follows breaks the grammar */
	AR_PARSE_NO_ID,     /* no authserv-id could be read */
	AR_PARSE_NOMEM,
};

/* Read the authserv-id from a field value (the bytes after
 * "Authentication-Results:", folding allowed, CRLF or LF line ends),
 * skipping CFWS (nested comments to any depth) and an authres-version.  *id
 * is the token, or the decoded content of a quoted-string (a copy in a).
 * *version is 0 when absent (RFC 8601 2.2: version 1 implied). */
enum ar_parse_status ar_parse_authserv_id(struct arena *a, struct slice value,
                                          struct slice *id, unsigned *version);

/* True when the field value names authserv_id (compared ignoring ASCII
 * case), malformed rest or not: such a field claims to be ours and must be
 * removed before we add our own (RFC 8601 5). */
bool ar_claims_authserv_id(struct arena *a, struct slice value, struct slice authserv_id);

const char *ar_parse_status_str(enum ar_parse_status s);

#endif
