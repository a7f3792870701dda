/* dns_zone.h — the zone file behind the resolver spec "zone:/path/file".
 *
 * The file format is documented at the top of dns.h (it goes into the
 * README).  This module only reads and checks the file and turns every
 * record into the text form libunbound's local-data takes; dns.c loads that
 * into a ub_ctx.  RFC 1035 5.1 (presentation format, character-string
 * escapes), RFC 1035 3.3 (255-octet character-strings), RFC 2181 (names).
 *
 * Ownership: everything a parsed zone holds lives in the arena given to the
 * parser; the zone dies with it.
 */
#ifndef MAILAUTH_DNS_ZONE_H
#define MAILAUTH_DNS_ZONE_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "slice.h"

/* One resource record, ready for ub_ctx_data_add(): "owner TTL IN TYPE
 * rdata" with the owner in lower case and absolute (final dot). */
struct dns_zone_rr {
	unsigned line;     /* 1-based line in the file, for messages */
	const char *text;
	const char *owner; /* lower case, final dot */
	bool cname;
};

struct dns_zone {
	struct dns_zone_rr *rr;
	size_t nrr;
	/* `name. TIMEOUT` lines: names in lower case with the final dot. */
	const char **timeout;
	size_t ntimeout;
	/* Every owner and TIMEOUT name and each of their ancestors, lower case
	 * with the final dot, without the root, each once (sorted by length
	 * and bytes).  The loader switches unbound's built-in zones off for
	 * all of them. */
	const char **names;
	size_t nnames;
};

/* Parse a whole zone file held in text.  fname is used only in messages.
 * On error returns false and writes "zone file FNAME line N: problem" into
 * err (errlen bytes; always NUL-terminated when errlen > 0). */
bool dns_zone_parse(struct arena *a, struct slice text, const char *fname, struct dns_zone *z,
                    char *err, size_t errlen);

/* Read the file at path (at most DNS_ZONE_MAX_BYTES) and parse it. */
bool dns_zone_load(struct arena *a, const char *path, struct dns_zone *z, char *err,
                   size_t errlen);

#endif
