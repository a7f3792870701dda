/* spf_record.h — parsing one SPF record (RFC 7208 sections 4.5, 4.6, 5, 6
 * and the ABNF of section 12) into mechanisms and modifiers.
 *
 *   record   = version terms *SP          version = "v=spf1"
 *   terms    = *( 1*SP ( directive / modifier ) )
 *   directive = [ qualifier ] mechanism   qualifier = "+" / "-" / "?" / "~"
 *   mechanism = all / include / a / mx / ptr / ip4 / ip6 / exists
 *   modifier = redirect / explanation / unknown-modifier
 *   unknown-modifier = name "=" macro-string
 *   name     = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )
 *
 * The whole record is checked before anything is evaluated (RFC 7208 4.6:
 * a syntax error anywhere is a permerror, even after a matching
 * mechanism).  Decisions where the text leaves room:
 * - Terms are separated by SP only; any other byte outside %x21-7E (TAB,
 *   CR, LF, NUL, 8-bit) makes the record invalid (RFC 7208 3.1, 4.6.1).
 * - A term that looks like `name=` is a modifier; "redirect" and "exp" are
 *   never unknown modifiers, so `exp=-all` is a syntax error, not an unknown
 *   modifier (OpenSPF suite exp-syntax-error, redirect-syntax-error).
 * - `exp=` with an empty domain-spec is a syntax error (RFC 7208 erratum;
 *   suite exp-empty-domain).  redirect and exp may appear once each.
 * - Unknown modifiers are ignored, but their value must be a valid
 *   macro-string (suite unknown-modifier-syntax); c/r/t are exp-only.
 * - CIDR lengths have no leading zeros (ip4 0..32, ip6 0..128); "a/24/64"
 *   and "ip4:x//32" are syntax errors; dual CIDR only on a and mx.
 * - Records longer than SPF_MAX_RECORD_BYTES (a local limit) are refused.
 *
 * Ownership: slices in the result point into the record text, which must
 * outlive the struct; the mechanism array lives in the arena.
 */
#ifndef MAILAUTH_SPF_RECORD_H
#define MAILAUTH_SPF_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "slice.h"

enum spf_mech_kind {
	SPF_MECH_ALL,
	SPF_MECH_INCLUDE,
	SPF_MECH_A,
	SPF_MECH_MX,
	SPF_MECH_PTR,
	SPF_MECH_IP4,
	SPF_MECH_IP6,
	SPF_MECH_EXISTS,
};

/* The qualifier's result word, in the numbering of enum spf_result
 * (spf.h) for pass/fail/softfail/neutral. */
enum spf_qualifier {
	SPF_QUAL_PASS,     /* "+" or none */
	SPF_QUAL_FAIL,     /* "-" */
	SPF_QUAL_SOFTFAIL, /* "~" */
	SPF_QUAL_NEUTRAL,  /* "?" */
};

struct spf_mech {
	enum spf_mech_kind kind;
	enum spf_qualifier qual;
	struct slice text;        /* the directive as written, qualifier included */
	struct slice domain_spec; /* include/exists: always set; a/mx/ptr: empty
	                             when absent (the current domain is used) */
	unsigned cidr4, cidr6;    /* a/mx: both (defaults 32/128); ip4: cidr4;
	                             ip6: cidr6 */
	uint8_t net[16];          /* ip4: net[0..3]; ip6: all 16 */
};

struct spf_record {
	struct spf_mech *mech;
	size_t n_mech;
	bool has_redirect, has_exp;
	struct slice redirect;    /* domain-spec */
	struct slice exp;         /* domain-spec */
	size_t n_dns_terms;       /* include a mx ptr exists (+ redirect) */
};

enum spf_record_status {
	SPF_RECORD_OK,
	SPF_RECORD_SYNTAX,  /* permerror */
	SPF_RECORD_NOMEM,
};

/* True when txt is an SPF version 1 record: it starts with "v=spf1"
 * (case-insensitive) followed by SP or the end (RFC 7208 4.5). */
bool spf_record_is_spf1(struct slice txt);

/* Parse txt (which starts with the version).  On SPF_RECORD_SYNTAX, *why
 * names the problem (static text) and *bad the offending term (may be
 * empty); both may be NULL. */
enum spf_record_status spf_record_parse(struct arena *a, struct slice txt, struct spf_record *out,
                                        const char **why, struct slice *bad);

/* "all", "include", ... */
const char *spf_mech_kind_str(enum spf_mech_kind k);
/* True for the mechanisms that count against SPF_MAX_DNS_TERMS. */
bool spf_mech_queries_dns(enum spf_mech_kind k);

#endif
