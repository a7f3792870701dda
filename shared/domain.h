/* domain.h — domain-name helpers shared by SPF, DKIM, DMARC and ARC.
 *
 * Names are compared and walked in their textual, dotted form (RFC 1034
 * 3.1).  Every function here takes slices that may hold any bytes and never
 * reads past ptr + len.  The comparison helpers are plain ASCII
 * case-insensitive (RFC 4343): call domain_normalize() first when a name may
 * hold U-labels, so both sides are in A-label form (RFC 5890, IDNA2008).
 *
 * Ownership: slices returned by domain_parent() and domain_last_labels()
 * point into their argument; domain_normalize() copies into the arena.
 */
#ifndef MAILAUTH_DOMAIN_H
#define MAILAUTH_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "slice.h"

/* Normalize a domain name for comparison and DNS lookup:
 *   - one trailing dot is removed ("example.com." -> "example.com");
 *   - a name holding bytes >= 0x80 is taken as UTF-8 and converted to
 *     A-labels with libidn2 (IDNA2008 lookup, RFC 5891 section 5, with UTS 46
 *     non-transitional mapping, so "BÜCHER.de" and "bücher.de" both give
 *     "xn--bcher-kva.de");
 *   - ASCII letters are lower-cased;
 *   - the result is validated: not empty, no empty label, each label at most
 *     DNS_MAX_LABEL (63) octets, the name at most DOMAIN_MAX_TEXT_NAME (253),
 *     labels made of letters, digits, '-' and '_' only ('_' because DKIM and
 *     DMARC names such as "_dmarc.example.com" go through here too).
 * On success *out is a lower-case ASCII copy in a (also NUL-terminated in
 * memory) and the function returns true.  Returns false, with *out set to
 * SLICE_NULL, when the name is invalid (including NUL bytes, malformed
 * UTF-8, IDNA-disallowed characters, input above DOMAIN_MAX_INPUT_BYTES) or
 * when the arena is exhausted; callers that must tell the two apart check
 * the arena afterwards — an invalid domain is by far the usual case. */
bool domain_normalize(struct arena *a, struct slice in, struct slice *out);

/* True when the two names are equal ignoring ASCII case and one trailing dot
 * on either.  No IDNA processing: normalize first. */
bool domain_eq(struct slice a, struct slice b);

/* True when child equals parent or ends with "." + parent (ASCII
 * case-insensitive, one trailing dot ignored on either).  An empty parent
 * contains nothing (false).  "badexample.com" is not within "example.com". */
bool domain_is_within(struct slice child, struct slice parent);

/* Number of labels, ignoring one trailing dot; 0 for an empty name.  Empty
 * labels ("a..b") are counted as labels: validate with domain_normalize(). */
size_t domain_label_count(struct slice d);

/* The name without its leftmost label ("a.b.c" -> "b.c"); an empty slice
 * (pointing at the end of d) for a single label or an empty name.  One
 * trailing dot of d is not part of the result. */
struct slice domain_parent(struct slice d);

/* The rightmost n labels of d ("a.b.c", 2 -> "b.c"); all of d (without one
 * trailing dot) when n >= its label count; empty when n is 0. */
struct slice domain_last_labels(struct slice d, size_t n);

#endif
