/* domain.c — domain-name normalization and label arithmetic; see domain.h.
 *
 * RFC 1034 3.1 (names and labels), RFC 1035 2.3.4 (size limits), RFC 4343
 * (ASCII case-insensitivity), RFC 5890/5891 (IDNA2008 A-labels, through
 * libidn2).  Nothing here reads past ptr + len; only domain_normalize()
 * allocates, from the caller's arena.
 */
#include "domain.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>

#include "mailauth_limits.h"

static inline unsigned char ascii_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

static bool is_label_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* One trailing dot is the root; "example.com." names the same domain. */
static struct slice strip_dot(struct slice d)
{
	if (d.len && d.ptr[d.len - 1] == '.')
		d.len--;
	return d;
}

/* Lower-case ASCII name: not empty, no empty label, labels <= 63 octets,
 * name <= 253, LDH or '_' bytes only. */
static bool valid_ascii_name(struct slice d)
{
	if (d.len == 0 || d.len > DOMAIN_MAX_TEXT_NAME)
		return false;
	size_t label = 0;
	for (size_t i = 0; i < d.len; i++) {
		unsigned char c = (unsigned char)d.ptr[i];
		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!is_label_byte(c) || ++label > DNS_MAX_LABEL)
			return false;
	}
	return label != 0;
}

/* Lower-case copy of an ASCII name into the arena, validated. */
static bool finish_ascii(struct arena *a, const char *p, size_t len, struct slice *out)
{
	if (len == 0 || len > DOMAIN_MAX_TEXT_NAME)
		return false;
	char *copy = arena_alloc(a, len + 1);
	if (!copy)
		return false;
	for (size_t i = 0; i < len; i++)
		copy[i] = (char)ascii_lower((unsigned char)p[i]);
	copy[len] = '\0';
	struct slice s = slice_make(copy, len);
	if (!valid_ascii_name(s))
		return false;
	*out = s;
	return true;
}

bool domain_normalize(struct arena *a, struct slice in, struct slice *out)
{
	*out = SLICE_NULL;
	if (!in.ptr || in.len == 0 || in.len > DOMAIN_MAX_INPUT_BYTES)
		return false;
	in = strip_dot(in);
	if (in.len == 0)
		return false;

	bool eightbit = false;
	for (size_t i = 0; i < in.len; i++) {
		unsigned char c = (unsigned char)in.ptr[i];
		if (c == 0)
			return false; /* a NUL would truncate the name for libidn2 and DNS */
		if (c >= 0x80)
			eightbit = true;
	}
	if (!eightbit)
		return finish_ascii(a, in.ptr, in.len, out);

	/* U-labels: libidn2 wants a NUL-terminated UTF-8 string. */
	char *z = arena_strndup(a, in.ptr, in.len);
	if (!z)
		return false;
	uint8_t *res = NULL;
	/* Non-transitional UTS 46 processing maps case and NFC-normalizes, and
	 * keeps 'ß' and ZWJ/ZWNJ as IDNA2008 does; STD3 rules stay off so '_'
	 * labels survive (validated below instead). */
	int rc = idn2_lookup_u8((const uint8_t *)z, &res, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	if (rc != IDN2_OK || !res) {
		idn2_free(res);
		return false;
	}
	size_t n = strlen((const char *)res); /* libidn2's own NUL-terminated output */
	struct slice conv = strip_dot(slice_make((const char *)res, n));
	bool ok = finish_ascii(a, conv.ptr, conv.len, out);
	idn2_free(res);
	if (!ok)
		*out = SLICE_NULL;
	return ok;
}

bool domain_eq(struct slice a, struct slice b)
{
	return slice_eq_ci(strip_dot(a), strip_dot(b));
}

bool domain_is_within(struct slice child, struct slice parent)
{
	child = strip_dot(child);
	parent = strip_dot(parent);
	if (parent.len == 0 || child.len < parent.len)
		return false;
	if (child.len == parent.len)
		return slice_eq_ci(child, parent);
	/* The byte before the suffix must be a label boundary. */
	if (child.ptr[child.len - parent.len - 1] != '.')
		return false;
	return slice_ends_with_ci(child, parent);
}

size_t domain_label_count(struct slice d)
{
	d = strip_dot(d);
	if (d.len == 0)
		return 0;
	size_t n = 1;
	for (size_t i = 0; i < d.len; i++)
		if (d.ptr[i] == '.')
			n++;
	return n;
}

struct slice domain_parent(struct slice d)
{
	d = strip_dot(d);
	const char *dot = slice_find_byte(d, '.');
	if (!dot)
		return slice_make(d.ptr ? d.ptr + d.len : NULL, 0);
	return slice_between(dot + 1, d.ptr + d.len);
}

struct slice domain_last_labels(struct slice d, size_t n)
{
	d = strip_dot(d);
	if (n == 0)
		return slice_make(d.ptr ? d.ptr + d.len : NULL, 0);
	size_t seen = 0;
	for (size_t i = d.len; i > 0; i--) {
		if (d.ptr[i - 1] == '.' && ++seen == n)
			return slice_between(d.ptr + i, d.ptr + d.len);
	}
	return d;
}
