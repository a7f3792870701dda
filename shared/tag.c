/* tag.c — tag=value lists (RFC 6376 3.2), used by DKIM (RFC 6376 3.5,
 * 3.6.1), ARC (RFC 8617 4.1) and DMARC (RFC 9989) records.  See tag.h for the
 * grammar and for the decisions taken where the RFC leaves room.
 *
 * One pass over the input, left to right, never backwards: each recognizer
 * takes (p, end) and returns the position after what it matched.  The
 * results are slices into the caller's input; only the tag array is
 * allocated (in the caller's arena).
 */
#include "tag.h"

#include <string.h>

#include "mailauth_limits.h"

static bool tag_is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static bool tag_is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* ALNUMPUNC = ALPHA / DIGIT / "_" */
static bool tag_is_alnumpunc(char c)
{
	return tag_is_alpha(c) || (c >= '0' && c <= '9') || c == '_';
}

/* VALCHAR = %x21-3A / %x3C-7E, plus 8-bit bytes (RFC 6376 3.2 advises not to
 * preclude UTF-8 in values; see tag.h). */
static bool tag_is_valchar(char ch)
{
	unsigned char c = (unsigned char)ch;
	return (c >= 0x21 && c <= 0x7e && c != ';') || c >= 0x80;
}

/* Skip FWS (possibly none).  Returns the position after it, or NULL when a
 * line break is not followed by SP/HTAB (that is not folding: a line end
 * inside a tag list that does not continue the line, or a bare CR). */
static const char *tag_skip_fws(const char *p, const char *end)
{
	while (p < end) {
		if (tag_is_wsp(*p)) {
			p++;
			continue;
		}
		const char *q = p;
		if (*q == '\r') {
			q++;
			if (q == end || *q != '\n')
				return NULL; /* bare CR */
		}
		if (*q != '\n')
			break;
		q++;
		/* RFC 5322 3.2.2: a fold is a line break followed by WSP. */
		if (q == end || !tag_is_wsp(*q))
			return NULL;
		p = q;
	}
	return p;
}

/* The tag-spec starting at p, up to the next ';' or the end, for error
 * reports. */
static struct slice tag_spec_extent(const char *p, const char *end)
{
	const char *semi = memchr(p, ';', (size_t)(end - p));
	return slice_between(p, semi ? semi : end);
}

static bool tag_list_append(struct arena *a, struct tag **arr, size_t *cap, size_t n,
                            struct tag t)
{
	if (n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 8;
		if (ncap > TAG_MAX_TAGS)
			ncap = TAG_MAX_TAGS;
		struct tag *na = arena_realloc(a, *arr, *cap * sizeof **arr, ncap * sizeof **arr);
		if (!na)
			return false;
		*arr = na;
		*cap = ncap;
	}
	(*arr)[n] = t;
	return true;
}

enum tag_status tag_list_parse(struct arena *a, struct slice in, struct tag_list *out,
                               struct slice *where)
{
	const char *p = in.ptr, *end = in.ptr + in.len;
	struct tag *arr = NULL;
	size_t n = 0, cap = 0;
	struct slice bad = SLICE_NULL;
	enum tag_status st = TAG_E_SYNTAX;

	out->tags = NULL;
	out->n = 0;
	if (where)
		*where = SLICE_NULL;
	if (!in.ptr) {
		/* No input at all is an empty list. */
		if (where)
			*where = slice_make("", 0);
		return TAG_E_SYNTAX;
	}

	for (;;) {
		const char *spec = tag_skip_fws(p, end);
		if (!spec) {
			bad = tag_spec_extent(p, end);
			goto fail;
		}
		p = spec;
		if (p == end) {
			/* Only FWS left: fine after a trailing ';' (n > 0), but an
			 * empty list has no tag-spec at all. */
			if (n > 0)
				break;
			bad = in;
			goto fail;
		}
		if (*p == ';') {
			/* Empty tag-spec (";;", "; ;", a leading ';'). */
			bad = slice_make(p, 1);
			goto fail;
		}

		/* tag-name = ALPHA *ALNUMPUNC */
		if (!tag_is_alpha(*p)) {
			bad = tag_spec_extent(spec, end);
			goto fail;
		}
		const char *name_start = p++;
		while (p < end && tag_is_alnumpunc(*p))
			p++;
		struct slice name = slice_between(name_start, p);

		/* [FWS] "=" [FWS] */
		p = tag_skip_fws(p, end);
		if (!p || p == end || *p != '=') {
			bad = tag_spec_extent(spec, end);
			goto fail;
		}
		p = tag_skip_fws(p + 1, end);
		if (!p) {
			bad = tag_spec_extent(spec, end);
			goto fail;
		}

		/* tag-value [FWS]: tvals separated by WSP/FWS; the value ends at
		 * the last VALCHAR before ';' or the end. */
		const char *val_start = p, *val_end = p;
		while (p < end && *p != ';') {
			if (tag_is_valchar(*p)) {
				while (p < end && tag_is_valchar(*p))
					p++;
				val_end = p;
				continue;
			}
			const char *q = tag_skip_fws(p, end);
			if (!q || q == p) {
				/* A control byte, NUL, DEL or a broken line break. */
				bad = tag_spec_extent(spec, end);
				goto fail;
			}
			p = q;
		}
		struct slice value = slice_between(val_start, val_end);

		/* RFC 6376 3.2: duplicates invalidate the whole list.  At most
		 * TAG_MAX_TAGS comparisons per name keeps this linear. */
		for (size_t i = 0; i < n; i++) {
			if (slice_eq(arr[i].name, name)) {
				bad = name;
				st = TAG_E_DUPLICATE;
				goto fail;
			}
		}
		if (n == TAG_MAX_TAGS) {
			bad = name;
			st = TAG_E_LIMIT;
			goto fail;
		}
		struct tag t = { name, value };
		if (!tag_list_append(a, &arr, &cap, n, t)) {
			st = TAG_E_NOMEM;
			goto fail;
		}
		n++;

		if (p == end)
			break;
		p++; /* the ';' */
	}

	out->tags = arr;
	out->n = n;
	return TAG_OK;

fail:
	if (where && st != TAG_E_NOMEM)
		*where = bad;
	return st;
}

const struct tag *tag_list_get(const struct tag_list *l, const char *name)
{
	struct slice want = slice_from_cstr(name);
	for (size_t i = 0; i < l->n; i++)
		if (slice_eq(l->tags[i].name, want))
			return &l->tags[i];
	return NULL;
}

const char *tag_status_str(enum tag_status s)
{
	switch (s) {
	case TAG_OK:
		return "ok";
	case TAG_E_SYNTAX:
		return "tag-list syntax error";
	case TAG_E_DUPLICATE:
		return "duplicate tag";
	case TAG_E_LIMIT:
		return "too many tags";
	case TAG_E_NOMEM:
		return "out of memory";
	}
	return "unknown tag-list status";
}
