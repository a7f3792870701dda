/* orgdom.h — Organizational Domains: the public-suffix-list answer of
 * RFC 7489 section 3.2 (our "compatibility mode") and the list of names the
 * DNS Tree Walk of RFC 9989 section 4.10 queries.
 *
 * The public suffix list is libpsl with Debian's list file
 * (ORGDOM_PSL_FILE, package "publicsuffix"), loaded once per process on
 * first use and then shared read-only.  When that file is missing or
 * unreadable, libpsl's built-in list is used instead (it is compiled into
 * libpsl and ages with the library; orgdom_psl_source() says which one is in
 * use, for the logs).  The context lives until the process ends.  The
 * lazy first load is not thread-safe; Exim runs one thread per process.
 *
 * Ownership: every slice returned points into the caller's arena; nothing
 * here keeps a pointer to caller data.
 */
#ifndef MAILAUTH_ORGDOM_H
#define MAILAUTH_ORGDOM_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "mailauth_limits.h"
#include "slice.h"

/* Debian's copy of https://publicsuffix.org/list/ (package publicsuffix), in
 * the compiled DAFSA form libpsl loads in about a millisecond (the text
 * form takes about ten, paid by every Exim process that needs it). */
#define ORGDOM_PSL_FILE "/usr/share/publicsuffix/public_suffix_list.dafsa"

/* Select the list file before first use (configuration).  path NULL means
 * ORGDOM_PSL_FILE.  Returns false when the file could not be loaded; the
 * built-in list is then used.  Once a list is loaded, later calls are
 * ignored and return whether the list in use came from a file. */
bool orgdom_init(const char *path);

/* "file:<path>", "builtin" or "none" (libpsl without a built-in list and no
 * readable file: every lookup then gives ORGDOM_NO_LIST).  Loads the list
 * if that has not happened yet.  A static string. */
const char *orgdom_psl_source(void);

enum orgdom_kind {
	/* *out is the registrable domain: the longest matching public suffix
	 * plus one label (RFC 7489 3.2 steps 3-4). */
	ORGDOM_REGISTRABLE,
	/* The name is itself a public suffix (or below a wildcard rule with no
	 * label to spare): there is no label to add.  *out is the name itself,
	 * which RFC 7489 6.6.3 then queries as its own Organizational Domain. */
	ORGDOM_IS_SUFFIX,
	/* Not a valid domain name (domain_normalize() failed); *out empty. */
	ORGDOM_INVALID,
	/* No public suffix list at all (see orgdom_psl_source()); *out empty. */
	ORGDOM_NO_LIST,
	/* The arena is exhausted; *out empty.  An operational failure. */
	ORGDOM_NOMEM,
};

/* RFC 7489 3.2 Organizational Domain of domain (any case, U-labels or
 * A-labels, one trailing dot allowed; it is normalized first).  *out is a
 * lower-case A-label name in a.  The list has ICANN and private sections;
 * both are used, as libpsl does. */
enum orgdom_kind orgdom_registrable(struct arena *a, struct slice domain, struct slice *out);

/* The names an RFC 9989 4.10 DNS Tree Walk queries, in order, for a walk
 * that starts at a domain:
 *   1. the domain itself;
 *   2. if it has x >= DMARC_TREEWALK_MAX_LABELS labels, its rightmost
 *      DMARC_TREEWALK_MAX_LABELS - 1 labels, else its parent (step 4);
 *   3. then one label less each time, down to the single top-level label.
 * So a walk never has more than DMARC_TREEWALK_MAX_LABELS queries.  The
 * walk stops earlier at run time (a single DMARC record with psd=y or psd=n,
 * steps 2 and 6) — that decision belongs to the caller, which goes through
 * the list in order. */
struct orgdom_walk {
	struct slice domain;                             /* the normalized start */
	size_t n;                                        /* entries used */
	struct slice target[DMARC_TREEWALK_MAX_LABELS];  /* e.g. "mail.example.com" */
	/* "_dmarc." + target, ready for dns.h; SLICE_NULL when that name would
	 * exceed DOMAIN_MAX_TEXT_NAME octets — it cannot exist in the DNS
	 * (RFC 1035 2.3.4), so the caller treats it as "no record" without a
	 * query. */
	struct slice query[DMARC_TREEWALK_MAX_LABELS];
};

enum orgdom_status {
	ORGDOM_OK,
	ORGDOM_E_INVALID, /* not a valid domain name */
	ORGDOM_E_NOMEM,   /* operational failure */
};

/* Fill *w for domain (normalized first, like orgdom_registrable()).  On
 * failure w->n is 0. */
enum orgdom_status orgdom_treewalk(struct arena *a, struct slice domain, struct orgdom_walk *w);

const char *orgdom_kind_str(enum orgdom_kind k);

#endif
