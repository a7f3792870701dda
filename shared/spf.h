/* spf.h — Sender Policy Framework, RFC 7208: check_host() for the MAIL FROM
 * and HELO identities, and the result strings Exim administrators know.
 *
 * check_host() (RFC 7208 section 4) is implemented as the RFC describes it:
 * record lookup over TXT only (4.4), selection of exactly one "v=spf1"
 * record (4.5), full syntax check before evaluation (4.6), the mechanisms
 * all, include, a, mx, ptr, ip4, ip6, exists with dual CIDR lengths (5),
 * the modifiers redirect and exp with unknown modifiers ignored (6), the
 * macro language (7, spf_macro.h), the processing limits of 4.6.4 and the
 * overall time budget.  Parsing lives in spf_record.c, macros in
 * spf_macro.c, addresses in spf_addr.c, evaluation and output here.
 *
 * Identities (RFC 7208 2.3, 2.4):
 *   spf_check()      MAIL FROM: <sender> is the address, <domain> its
 *                    domain; with the null sender (empty mail_from, or
 *                    "<>") the HELO name is used as <domain> with the local
 *                    part "postmaster" (2.4), and out->used_helo is set.
 *                    An address without "@" is taken as a domain with the
 *                    local part "postmaster"; an empty local part ("@dom")
 *                    becomes "postmaster" (4.3).
 *   spf_check_helo() HELO: <domain> is the HELO name, <sender> is
 *                    "postmaster@" + HELO (2.3).
 * An identity whose domain is malformed (empty or over-long label, not
 * multi-label, characters other than letters, digits, '-' and '_', an
 * address literal such as "[192.0.2.1]") gives "none" (4.3).
 *
 * Processing limits (mailauth_limits.h):
 *   SPF_MAX_DNS_TERMS     include/a/mx/ptr/exists/redirect per check: the
 *                         11th is permerror (4.6.4)
 *   SPF_MAX_VOID_LOOKUPS  terms whose lookup gives NXDOMAIN or no data:
 *                         the 3rd is permerror.  Counted per term, on the
 *                         term's own query (TXT of an include/redirect
 *                         target, A/AAAA of "a", MX of "mx", A of "exists",
 *                         PTR of "ptr"); lookups of MX hosts and of PTR
 *                         names, which depend on data outside the
 *                         publisher's record, are not counted
 *   SPF_MAX_MX_NAMES      more MX records than this is permerror (4.6.4)
 *   SPF_MAX_PTR_NAMES     PTR names after the first 10 are ignored (4.6.4)
 *   time budget           every DNS wait ends at deadline_ms; a lookup that
 *                         does not answer in time is temperror (4.6.4)
 *   SPF_MAX_RECORD_BYTES, SPF_MAX_EXPANSION, SPF_MAX_IDENTITY_BYTES (local)
 * Every permerror and temperror carries a reason naming the limit or the
 * problem.
 *
 * DNS: SERVFAIL, timeouts and DNSSEC failures are temperror (RFC 7208 2.6.6,
 * 5), except where the RFC says otherwise: a failed PTR lookup makes "ptr"
 * not match, a failed address lookup of a PTR name skips that name (5.5),
 * and any problem with the exp= lookup only drops the explanation (6.2).
 * The A/AAAA lookups of all MX hosts of one "mx" and of all PTR names are
 * sent together as one batch (they do not depend on each other); the
 * result is the one a sequential walk in preference order would give.
 * Answers are cached for the duration of one check.
 *
 * The evaluator keeps no global state: one check may run per thread, each
 * with its own arena; the resolver is whatever dns.h allows.
 *
 * Ownership: every slice and string in struct spf_outcome and struct
 * spf_fields lives in the arena passed to the call (or is static).
 */
#ifndef MAILAUTH_SPF_H
#define MAILAUTH_SPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "dns.h"
#include "slice.h"

/* RFC 7208 2.6 results.  spf_result_str() gives the RFC word. */
enum spf_result {
	SPF_NONE,
	SPF_NEUTRAL,
	SPF_PASS,
	SPF_FAIL,
	SPF_SOFTFAIL,
	SPF_TEMPERROR,
	SPF_PERMERROR,
};

/* Operational status of a call (never a verdict). */
enum spf_status {
	SPF_OK = 0,
	SPF_ERR_NOMEM = -1, /* arena exhausted; out->result is temperror */
	SPF_ERR_ARG = -2,   /* bad argument (no arena, client IP not an IP
	                       address); out->result is permerror */
};

enum spf_identity {
	SPF_ID_MAILFROM,
	SPF_ID_HELO,
};

struct spf_request {
	struct slice ip;        /* client address, text: IPv4, IPv6, IPv4-mapped */
	struct slice helo;      /* HELO/EHLO argument as given; may be empty */
	struct slice mail_from; /* MAIL FROM address without "<>"; empty: null sender */
	struct slice receiver;  /* our host name, for %{r} and Received-SPF;
	                           empty: "unknown" */
	uint64_t now;           /* seconds since the epoch, for %{t}; 0: time(NULL) */
	/* Explanation used for "fail" when the record has no usable exp=: an
	 * explain-string (macros allowed, RFC 7208 6.2).  Empty: the built-in
	 * SPF_DEFAULT_EXPLANATION. */
	struct slice default_explanation;
};

/* Built-in default explanation (an explain-string). */
#define SPF_DEFAULT_EXPLANATION "%{o} does not designate %{c} as permitted sender"

struct spf_outcome {
	enum spf_result result;
	enum spf_identity identity; /* which identity was checked */
	bool used_helo;             /* MAIL FROM check used the HELO name (null sender) */
	struct slice domain;        /* <domain> checked (as given, trailing dot removed) */
	struct slice sender;        /* <sender> checked, e.g. "postmaster@helo.example" */
	struct slice client_ip;     /* %{c} form of the client address */
	struct slice mechanism;     /* directive that matched at the top level (after
	                               redirects), e.g. "-all", "include:x.example";
	                               empty when none matched */
	struct slice explanation;   /* fail only: exp= text or the default */
	const char *reason;         /* why this result; never NULL */
	unsigned dns_queries;       /* DNS questions asked (cache hits not counted) */
	unsigned dns_terms;         /* DNS-querying terms evaluated */
	unsigned void_lookups;
};

/* MAIL FROM check (with the HELO fallback for the null sender).
 * deadline_ms is a dns_now_ms() value; 0 means now + SPF_DEFAULT_BUDGET_MS.
 * Returns SPF_OK, or an enum spf_status error; out is always filled. */
int spf_check(struct dns_resolver *r, struct arena *a, const struct spf_request *req,
              uint64_t deadline_ms, struct spf_outcome *out);

/* HELO check (RFC 7208 2.3).  Same conventions as spf_check(). */
int spf_check_helo(struct dns_resolver *r, struct arena *a, const struct spf_request *req,
                   uint64_t deadline_ms, struct spf_outcome *out);

/* "pass", "fail", "softfail", "neutral", "none", "permerror", "temperror". */
const char *spf_result_str(enum spf_result res);
/* Parse a result word (case-insensitive); false when unknown. */
bool spf_result_parse(struct slice s, enum spf_result *out);

/* The strings Exim's SPF support offers, built from one outcome:
 *   spf_result          the result word
 *   spf_header_comment  "<receiver>: domain of <d> designates <ip> as
 *                       permitted sender" and the like for each result
 *   spf_smtp_comment    for fail/softfail/neutral: the explanation followed
 *                       by the reason; empty otherwise
 *   spf_received        a complete header field, "Received-SPF: <result>
 *                       (<comment>) key=value; ..." (RFC 7208 9.1),
 *                       folded with LF + TAB, no final line end
 *   spf_used_domain     the domain that was checked
 *   authres             the Authentication-Results entry (RFC 8601 2.7.2):
 *                       "spf=<result> smtp.mailfrom=<domain>", or
 *                       "smtp.helo=<helo>" for the HELO identity and for the
 *                       null sender; errors carry their reason as a comment
 * Text from the SMTP session or DNS is escaped (quoted-string / comment
 * rules) and control bytes never reach a header.  All strings are
 * NUL-terminated and live in a. */
struct spf_fields {
	const char *spf_result;
	const char *spf_header_comment;
	const char *spf_smtp_comment;
	const char *spf_received;
	const char *spf_used_domain;
	const char *authres;
};

int spf_fields_make(struct arena *a, const struct spf_request *req, const struct spf_outcome *o,
                    struct spf_fields *f);

#endif
