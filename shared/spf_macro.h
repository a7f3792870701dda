/* spf_macro.h — the SPF macro language (RFC 7208 section 7).
 *
 *   domain-spec    = macro-string domain-end
 *   domain-end     = ( "." toplabel [ "." ] ) / macro-expand
 *   toplabel       = ( *alphanum ALPHA *alphanum ) /
 *                    ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
 *   explain-string = *( macro-string / SP )
 *   macro-string   = *( macro-expand / macro-literal )
 *   macro-expand   = ( "%{" macro-letter transformers *delimiter "}" )
 *                    / "%%" / "%_" / "%-"
 *   macro-literal  = %x21-24 / %x26-7E
 *   macro-letter   = "s" / "l" / "o" / "d" / "i" / "p" / "h" /
 *                    "c" / "r" / "t" / "v"
 *   transformers   = *DIGIT [ "r" ]
 *   delimiter      = "." / "-" / "+" / "," / "/" / "_" / "="
 *
 * Letters and "r" are case-insensitive; an upper-case letter means the
 * expansion is URL-escaped afterwards (every byte outside RFC 3986
 * "unreserved" becomes %XX with upper-case hex).  c, r and t are allowed in
 * explanation text only (RFC 7208 7.1 / 7.3).  A DIGIT transformer of zero
 * is a syntax error ("If a DIGIT is specified, the value MUST be nonzero").
 *
 * Transformation: the value is split at any of the delimiters (default
 * "."), reversed when "r" is given, the rightmost N parts are kept, and the
 * parts are joined with "." (RFC 7208 7.3 — not with the original
 * delimiters).
 *
 * Domain mode (a target name for a DNS query): one trailing dot of the
 * result is removed, then, when the result exceeds 253 bytes, labels are
 * removed from the left until it does not (RFC 7208 7.3).  Expansion output
 * is bounded by SPF_MAX_EXPANSION (a local limit): a longer expansion is
 * SPF_MACRO_TOOLONG, which the evaluator reports as permerror for domains
 * and treats like an unusable explanation otherwise.
 */
#ifndef MAILAUTH_SPF_MACRO_H
#define MAILAUTH_SPF_MACRO_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "slice.h"

enum spf_macro_mode {
	SPF_MACRO_DOMAIN,   /* domain-spec: letters s l o d i p v h, no SP */
	SPF_MACRO_EXPLAIN,  /* explain-string: adds c r t and SP */
	SPF_MACRO_MODIFIER, /* value of an unknown modifier: like DOMAIN, no
	                       domain-end rule, may be empty */
};

enum spf_macro_status {
	SPF_MACRO_OK,
	SPF_MACRO_SYNTAX,   /* not a valid macro-string / domain-spec */
	SPF_MACRO_TOOLONG,  /* expansion above SPF_MAX_EXPANSION */
	SPF_MACRO_NOMEM,
};

/* The values the letters expand to (RFC 7208 7.3).  p is looked up lazily
 * by the evaluator: it checks spf_macro_uses_p() first and fills p in. */
struct spf_macro_vars {
	struct slice s, l, o, d, i, p, v, h, c, r, t;
};

/* Check the syntax of s for the given mode.  In SPF_MACRO_DOMAIN mode this
 * is the whole domain-spec rule, domain-end included, and s must not be
 * empty.  On failure *why (if why is not NULL) names the problem. */
bool spf_macro_valid(struct slice s, enum spf_macro_mode mode, const char **why);

/* True when s contains a %{p} (any case) macro. */
bool spf_macro_uses_p(struct slice s);

/* Expand s (which should have passed spf_macro_valid for the same mode;
 * it is checked again).  On SPF_MACRO_OK, *out is the result in arena a
 * (NUL-terminated in memory as well). */
enum spf_macro_status spf_macro_expand(struct arena *a, struct slice s, enum spf_macro_mode mode,
                                       const struct spf_macro_vars *v, struct slice *out);

/* True when t is a toplabel (ABNF above). */
bool spf_macro_is_toplabel(struct slice t);

#endif
