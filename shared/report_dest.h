/* report_dest.h — where an aggregate report may go: rua= URIs (RFC 9989
 * 4.7 dmarc-uri, RFC 6068 mailto), their size limits, and the verification
 * of external destinations (RFC 9990 "Verifying External Destinations").
 *
 * Only mailto: URIs are supported (RFC 9990 defines no other transport).
 * A URI may end in "!" size [k|m|g|t] (RFC 7489 6.2, units of 2^10, 2^20,
 * 2^30, 2^40 bytes); RFC 9990 "Transport": a URI whose limit the report
 * exceeds after compression and encoding MUST NOT be used.
 *
 * External destinations: when the Organizational Domain of the policy
 * domain differs from that of the URI's host (public suffix list,
 * orgdom_registrable), "<policy-domain>._report._dmarc.<host>" must hold a
 * TXT record starting with v=DMARC1, or nothing is sent there.  A rua= in
 * that record replaces the URI, but only with URIs for the same host;
 * one for another host cancels the destination altogether.
 *
 * Ownership: results live in the arena given; they may point into the
 * caller's input.
 */
#ifndef MAILAUTH_REPORT_DEST_H
#define MAILAUTH_REPORT_DEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "dns.h"
#include "slice.h"

enum report_uri_status {
	REPORT_URI_OK,
	REPORT_URI_UNSUPPORTED, /* not a mailto: URI */
	REPORT_URI_BAD,         /* a mailto: URI without one usable address */
	REPORT_URI_NOMEM,
};

struct report_uri {
	struct slice text;     /* as given, size suffix included */
	struct slice address;  /* local@host, decoded; safe for a To: field */
	struct slice host;     /* the address's domain, lower-case A-labels */
	uint64_t max_bytes;    /* 0: no limit */
};

/* Parse one rua URI.  On failure *why is a static text for the log. */
enum report_uri_status report_uri_parse(struct arena *a, struct slice text,
                                        struct report_uri *out, const char **why);

/* Size of the report as the mail transport carries it: the base64 form of
 * len bytes (RFC 2045 6.8, line breaks not counted). */
uint64_t report_encoded_size(size_t len);

enum report_dest_status {
	REPORT_DEST_OK,        /* send to out->uris */
	REPORT_DEST_REFUSED,   /* do not send; out->why says why */
	REPORT_DEST_TEMPFAIL,  /* the check could not be made now; try later */
	REPORT_DEST_NOMEM,
};

struct report_dest {
	enum report_dest_status status;
	bool external;               /* a _report._dmarc check was needed */
	const char *why;             /* for REFUSED/TEMPFAIL, in the arena */
	const struct report_uri *uris; /* OK: the URI itself or its replacements */
	size_t n_uris;
};

/* Decide whether reports about pdomain may go to u.  r may be NULL when no
 * DNS is available: an external destination is then TEMPFAIL.  deadline_ms
 * is a dns_now_ms() value. */
enum report_dest_status report_dest_check(struct dns_resolver *r, struct arena *a,
                                          struct slice pdomain, const struct report_uri *u,
                                          uint64_t deadline_ms, struct report_dest *out);

#endif
