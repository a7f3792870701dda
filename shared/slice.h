/* slice.h — byte strings that carry their length.
 *
 * Every parser in the core works on slices: input may hold NUL bytes and
 * 8-bit bytes and is never assumed to be NUL-terminated.  A slice never owns
 * its bytes; whoever made the bytes (the message buffer, an arena, a DNS
 * answer copied into an arena) keeps them alive.
 */
#ifndef MAILAUTH_SLICE_H
#define MAILAUTH_SLICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct slice {
	const char *ptr;
	size_t len;
};

/* A slice over a string literal (compile-time length, no strlen). */
#define SLICE_LIT(s) ((struct slice){ "" s, sizeof(s) - 1 })
#define SLICE_NULL ((struct slice){ NULL, 0 })

static inline struct slice slice_make(const char *p, size_t len)
{
	struct slice s = { p, len };
	return s;
}

/* Slice over a NUL-terminated string of our own (configuration, argv).
 * Never use on message or DNS data. */
struct slice slice_from_cstr(const char *s);

static inline const char *slice_end(struct slice s) { return s.ptr + s.len; }

/* Sub-slice [from, end); from/end are clamped to the slice. */
struct slice slice_sub(struct slice s, size_t from, size_t end);
/* Slice between two pointers inside the same buffer (b >= a). */
struct slice slice_between(const char *a, const char *b);

bool slice_eq(struct slice a, struct slice b);
/* ASCII case-insensitive equality of whole slices (never a prefix match). */
bool slice_eq_ci(struct slice a, struct slice b);
bool slice_eq_cstr_ci(struct slice a, const char *lit);
bool slice_starts_with_ci(struct slice s, struct slice prefix);
bool slice_ends_with_ci(struct slice s, struct slice suffix);

/* Position of the first byte c, or NULL. */
const char *slice_find_byte(struct slice s, char c);

/* Remove leading/trailing SP, HTAB, CR and LF. */
struct slice slice_trim_ws(struct slice s);

/* Split at the first byte c: *head gets the part before, *tail the part
 * after.  Returns false (and head = s, tail empty) when c is absent. */
bool slice_split_byte(struct slice s, char c, struct slice *head, struct slice *tail);

/* Decimal digits only, no sign, no spaces; fails on empty input, on any
 * other byte and on values above max. */
bool slice_parse_u64(struct slice s, uint64_t max, uint64_t *out);

/* True when every byte is printable US-ASCII (0x21..0x7e) or SP/HTAB. */
bool slice_is_printable_ascii(struct slice s);

#endif
