/* slice.c — byte-string helpers; see slice.h.  No function here reads past
 * ptr + len or relies on a terminating NUL. */
#include "slice.h"

#include <string.h>

static inline unsigned char lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

struct slice slice_from_cstr(const char *s)
{
	struct slice r = { s, s ? strlen(s) : 0 };
	return r;
}

struct slice slice_sub(struct slice s, size_t from, size_t end)
{
	if (end > s.len)
		end = s.len;
	if (from > end)
		from = end;
	return slice_make(s.ptr + from, end - from);
}

struct slice slice_between(const char *a, const char *b)
{
	return slice_make(a, b >= a ? (size_t)(b - a) : 0);
}

bool slice_eq(struct slice a, struct slice b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

bool slice_eq_ci(struct slice a, struct slice b)
{
	if (a.len != b.len)
		return false;
	for (size_t i = 0; i < a.len; i++)
		if (lower((unsigned char)a.ptr[i]) != lower((unsigned char)b.ptr[i]))
			return false;
	return true;
}

bool slice_eq_cstr_ci(struct slice a, const char *lit)
{
	return slice_eq_ci(a, slice_from_cstr(lit));
}

bool slice_starts_with_ci(struct slice s, struct slice prefix)
{
	return s.len >= prefix.len && slice_eq_ci(slice_make(s.ptr, prefix.len), prefix);
}

bool slice_ends_with_ci(struct slice s, struct slice suffix)
{
	return s.len >= suffix.len &&
	       slice_eq_ci(slice_make(s.ptr + s.len - suffix.len, suffix.len), suffix);
}

const char *slice_find_byte(struct slice s, char c)
{
	return s.len ? memchr(s.ptr, c, s.len) : NULL;
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

struct slice slice_trim_ws(struct slice s)
{
	while (s.len && is_ws(s.ptr[0])) {
		s.ptr++;
		s.len--;
	}
	while (s.len && is_ws(s.ptr[s.len - 1]))
		s.len--;
	return s;
}

bool slice_split_byte(struct slice s, char c, struct slice *head, struct slice *tail)
{
	const char *p = slice_find_byte(s, c);
	if (!p) {
		*head = s;
		*tail = slice_make(slice_end(s), 0);
		return false;
	}
	*head = slice_between(s.ptr, p);
	*tail = slice_between(p + 1, slice_end(s));
	return true;
}

bool slice_parse_u64(struct slice s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (s.len == 0)
		return false;
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.ptr[i];
		if (c < '0' || c > '9')
			return false;
		unsigned d = c - '0';
		if (v > max / 10)
			return false;
		v *= 10;
		if (d > max || v > max - d)
			return false;
		v += d;
	}
	*out = v;
	return true;
}

bool slice_is_printable_ascii(struct slice s)
{
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.ptr[i];
		if (!((c >= 0x21 && c <= 0x7e) || c == ' ' || c == '\t'))
			return false;
	}
	return true;
}
