/* b64.h — base64 (RFC 4648 section 4) as DKIM uses it for b=, bh= and p=.
 *
 * RFC 6376 3.5 and 3.6.1 define base64string as base64 characters with FWS
 * allowed anywhere between them (signatures are folded across lines), and
 * at most two "=" of padding at the end.  The decoder here is strict about
 * everything else: any byte outside the alphabet, padding anywhere but the
 * end, a length that is not a multiple of four (padding included) is an
 * error, never silently skipped.  Bits left over in the last quantum are not
 * checked (standard encoders write zeros; nothing depends on them).
 *
 * Ownership: decoded and encoded bytes live in the arena given.
 */
#ifndef MAILAUTH_B64_H
#define MAILAUTH_B64_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "slice.h"

enum b64_status {
	B64_OK,
	B64_E_SYNTAX, /* byte outside the alphabet, misplaced '=', bad length */
	B64_E_NOMEM,
};

/* Decode in (FWS: SP, HTAB, CR and LF are skipped anywhere) into the arena.
 * An input that is empty or only FWS decodes to an empty slice (ptr not
 * NULL) with B64_OK; callers that need data check the length. */
enum b64_status b64_decode(struct arena *a, struct slice in, struct slice *out);

/* Encode len bytes with padding, no line breaks.  SLICE_NULL on out of
 * memory. */
struct slice b64_encode(struct arena *a, const void *data, size_t len);

#endif
