/* tag.h — the tag-list parser of RFC 6376 section 3.2, shared by DKIM
 * signatures and key records, ARC headers and DMARC records.
 *
 *   tag-list  =  tag-spec *( ";" tag-spec ) [ ";" ]
 *   tag-spec  =  [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
 *   tag-name  =  ALPHA *ALNUMPUNC          (ALNUMPUNC = ALPHA / DIGIT / "_")
 *   tag-value =  [ tval *( 1*(WSP / FWS) tval ) ]
 *   tval      =  1*VALCHAR                 (VALCHAR = %x21-3A / %x3C-7E)
 *
 * The whole list is validated first; names and values are slices into the
 * input (values with surrounding FWS removed, inner FWS kept as it was).
 * Duplicate tag names are an error (RFC 6376 3.2: "Tags with duplicate names
 * MUST NOT occur within a single tag-list; if a tag name does occur more than
 * once, the entire tag-list is invalid"); unknown tags are kept for the
 * caller to ignore.  Tag names compare case-sensitively (RFC 6376 3.2), so
 * "H=" and "h=" are two different tags.
 *
 * Decisions where the text leaves room:
 * - FWS is any run of SP/HTAB and line breaks in which every line break
 *   (CRLF, or a bare LF: header fields may come from Exim's LF spool) is
 *   followed by at least one SP/HTAB.  A line break followed by anything
 *   else, and a bare CR, are syntax errors.  Runs of several folds
 *   (RFC 5322 obs-FWS, whitespace-only continuation lines) are accepted.
 * - A tag-value may be empty ("g=" is not "g" omitted, RFC 6376 3.2).
 * - One trailing ";" is allowed, and FWS after it (RFC 7489 / RFC 9989
 *   dmarc-sep = *WSP ";" *WSP).
 * - An empty tag-spec (";;", "; ;", a list that is only ";") is a syntax
 *   error: the ABNF has no empty tag-spec, and the ARC test suite
 *   (ams_format_tags_sc, as_format_tags_sc) expects such a header to fail.
 * - An empty list (no bytes, or only FWS) is a syntax error: tag-list needs
 *   at least one tag-spec.
 * - Bytes 0x80-0xFF are accepted inside values (RFC 6376 3.2 advises not to
 *   preclude UTF-8 there); never inside names.  Other control bytes
 *   (including NUL and DEL) are syntax errors everywhere.
 * - More than TAG_MAX_TAGS tags is TAG_E_LIMIT (a local limit).
 *
 * Time is linear in the input length (the duplicate check compares each
 * name with at most TAG_MAX_TAGS others).  Nothing is read past in.ptr +
 * in.len and the input need not be NUL-terminated.
 */
#ifndef MAILAUTH_TAG_H
#define MAILAUTH_TAG_H

#include <stddef.h>

#include "arena.h"
#include "slice.h"

struct tag {
	struct slice name;
	struct slice value;
};

struct tag_list {
	struct tag *tags; /* in input order; lives in the arena */
	size_t n;
};

enum tag_status {
	TAG_OK,
	TAG_E_SYNTAX,    /* not a tag list; *where points at the offending tag */
	TAG_E_DUPLICATE, /* the same tag twice; *where is its second occurrence */
	TAG_E_LIMIT,     /* more than TAG_MAX_TAGS */
	TAG_E_NOMEM,
};

/* Parse in into out (arrays in arena a).  where (may be NULL) receives the
 * tag or text the error is about, for log lines:
 *   TAG_E_SYNTAX     the offending tag-spec, from its first non-FWS byte up
 *                    to (not including) the next ";" or the end; for an
 *                    empty tag-spec the ";" that ends it; for an empty list
 *                    the (empty) input;
 *   TAG_E_DUPLICATE  the name of the second occurrence;
 *   TAG_E_LIMIT      the name of the first tag over the limit;
 *   TAG_OK/NOMEM     SLICE_NULL.
 * It is a slice into in (not NUL-terminated; escape it before logging).
 * On any error out is set to the empty list. */
enum tag_status tag_list_parse(struct arena *a, struct slice in, struct tag_list *out,
                               struct slice *where);

/* The tag named name (exact, case-sensitive; name is our own literal), or
 * NULL.  The result points into l. */
const struct tag *tag_list_get(const struct tag_list *l, const char *name);

/* A fixed English word for s, for logs ("ok", "syntax error", ...). */
const char *tag_status_str(enum tag_status s);

#endif
