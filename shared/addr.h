/* addr.h — RFC 5322 address lists, and the Author Domain(s) of a message.
 *
 * The From field is where DMARC is bypassed (several From fields, several
 * addresses, quoted local parts holding "<...>", unbalanced brackets,
 * escaped quotes).  The parser therefore implements the grammar of RFC 5322
 * 3.4 (address-list, mailbox, name-addr, angle-addr, group, addr-spec) with
 * 3.2 (quoted strings, comments, CFWS), the obsolete forms of 4.4 that are
 * still seen (obs-route, obs-local-part, obs-domain, CFWS around dots,
 * empty list elements, obs-phrase with dots) and UTF-8 in atoms, quoted
 * strings and comments (RFC 6532 3.2).  Anything else is a syntax error:
 * the parser never guesses which part of a malformed field is the address.
 *
 * Ownership: mailboxes and the arrays live in the arena; their slices
 * point into the parsed value or into the arena.  Nothing is kept after a
 * call returns.
 */
#ifndef MAILAUTH_ADDR_H
#define MAILAUTH_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "msg.h"
#include "slice.h"

enum addr_status {
	ADDR_OK = 0,
	ADDR_E_SYNTAX,  /* not an RFC 5322 address-list; reason/err_offset say why and where */
	ADDR_E_LIMIT,   /* comments nested deeper than MSG_MAX_COMMENT_DEPTH */
	ADDR_E_NOMEM,   /* operational failure */
};

struct addr_mailbox {
	/* The display-name (phrase) as written from its first to its last
	 * word: quotes and comments between words kept, CFWS around it not, no
	 * RFC 2047 decoding; empty for a bare addr-spec or "<addr-spec>". */
	struct slice display;
	/* local-part without CFWS; a quoted string keeps its quotes and
	 * backslashes ("\"john doe\""), dot-separated words are joined by
	 * single dots. */
	struct slice local;
	/* domain without CFWS, atoms joined by single dots; "[...]" for a
	 * domain-literal. */
	struct slice domain;
	/* domain_normalize(domain): lower-case A-labels.  SLICE_NULL (ptr NULL)
	 * for a domain-literal or a name domain_normalize() refuses. */
	struct slice domain_norm;
	unsigned group;         /* 0 outside a group, else the group's number (1-based) */
	bool angle;             /* written as "<addr-spec>" (name-addr or angle-addr) */
	bool domain_literal;    /* "[...]": no domain name, DMARC cannot use it */
	bool obs_route;         /* had an obsolete source route "<@a,@b:...>" (ignored, RFC 5322 4.4) */
};

struct addr_list {
	struct addr_mailbox *mbox; /* n entries */
	size_t n;                  /* mailboxes stored */
	size_t total;              /* mailboxes in the field (> n when truncated) */
	size_t ngroups;            /* groups, empty ones included */
	bool truncated;            /* total exceeded the max_store given to addr_parse_list() */
	const char *reason;        /* static text: "ok" or what the syntax error was */
	size_t err_offset;         /* byte offset in value where the error was seen */
};

/* Parse value (a header field body as received: after the colon, folding
 * kept, CRLF or LF line ends) as an RFC 5322 address-list.  At most
 * max_store mailboxes are stored and their domains normalized; later ones
 * are still parsed (the whole field must be valid) and counted in total.
 * Time and memory are linear in value.len.  On any error *out holds no
 * mailboxes (n == 0): a field that does not parse yields no address at
 * all, never the part before the error. */
enum addr_status addr_parse_list(struct arena *a, struct slice value, size_t max_store,
                                 struct addr_list *out);

/* Which case applies to the From fields of a message (RFC 9989 5.3.1
 * "Extract Author Domain", RFC 5322 3.6: exactly one From field). */
enum addr_from_kind {
	/* One From field with one mailbox whose domain is a valid name:
	 * domains[0] is the Author Domain. */
	ADDR_FROM_ONE,
	/* No From field at all. */
	ADDR_FROM_NONE,
	/* One From field but no usable domain: a syntax error, an empty group,
	 * a domain-literal or an invalid domain name (reason says which). */
	ADDR_FROM_NO_DOMAIN,
	/* Several From fields (forbidden by RFC 5322 3.6).  domains lists the
	 * distinct domains of every field that parsed. */
	ADDR_FROM_MULTI_FIELD,
	/* One From field with several mailboxes (possibly in groups).  domains
	 * lists the distinct usable domains; RFC 9989 5.3.1 needs exactly one
	 * domain, which holds only when every address shares it (see
	 * addr_from_single_domain()). */
	ADDR_FROM_MULTI_ADDRESS,
};

struct addr_from {
	enum addr_from_kind kind;
	struct slice *domains;  /* distinct normalized domains, in order of appearance */
	size_t ndomains;
	size_t nfields;         /* From fields in the message */
	size_t naddresses;      /* mailboxes across all From fields */
	bool syntax_error;      /* at least one From field did not parse */
	bool unusable;          /* at least one mailbox had no usable domain */
	bool truncated;         /* more than MSG_MAX_FROM_ADDRESSES mailboxes: domains is incomplete */
	const char *reason;     /* static text explaining the kind */
};

/* Classify the From fields of m (matched case-insensitively by name, all of
 * them, in order).  Returns ADDR_OK or ADDR_E_NOMEM; the verdict is in
 * *out.  Domains are collected from at most MSG_MAX_FROM_ADDRESSES
 * mailboxes in total. */
enum addr_status addr_from_domains(struct arena *a, const struct msg *m, struct addr_from *out);

/* True when exactly one Author Domain was extracted (RFC 9989 5.3.1: with
 * zero or several, DMARC validation is not possible), stored in *domain:
 * ADDR_FROM_ONE, or ADDR_FROM_MULTI_ADDRESS where every mailbox has the same
 * usable domain.  False for every other case, including several From fields
 * (RFC 9989 4.4: a repeated From field leaves no reliable policy); then
 * *domain is SLICE_NULL.  Going forward anyway with several domains, which
 * 5.3.1 allows, is a local-policy choice left to the caller. */
bool addr_from_single_domain(const struct addr_from *f, struct slice *domain);

/* "one", "none", "nodomain", "multiple-fields", "multiple-addresses". */
const char *addr_from_kind_str(enum addr_from_kind k);
const char *addr_status_str(enum addr_status s);

#endif
