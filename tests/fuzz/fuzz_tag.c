/* fuzz_tag.c — fuzz target for the RFC 6376 3.2 tag-list parser
 * (shared/tag.h), used by DKIM signatures and keys, ARC and DMARC.
 *
 * Properties checked (from tag.h): on success 1..TAG_MAX_TAGS tags, names
 * are ALPHA *ALNUMPUNC and distinct, values hold no ';' and no control
 * byte other than folding and do not start or end with FWS, every slice
 * points into the input, tag_list_get finds each tag; re-serializing the
 * list as "name=value;..." parses to the same tags.  On error the list is
 * empty and *where points into the input.
 * Corpus: tests/fuzz/corpus/tag (tag lists as they appear after the
 * header colon or in a TXT record).  Ownership: tests/fuzz (fuzz harness).
 */
#include "fuzzutil.h"
#include "mailauth_limits.h"
#include "tag.h"

static bool fuzz_is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool fuzz_is_fws_byte(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void fuzz_tag_check_list(struct arena *a, const struct tag_list *l, const void *base,
                                size_t len)
{
	FUZZ_CHECK(l->n >= 1 && l->n <= TAG_MAX_TAGS);
	for (size_t i = 0; i < l->n; i++) {
		struct slice nm = l->tags[i].name, v = l->tags[i].value;
		FUZZ_CHECK(fuzz_within(nm, base, len));
		FUZZ_CHECK(fuzz_within(v, base, len));
		FUZZ_CHECK(nm.len >= 1 && fuzz_is_alpha(nm.ptr[0]));
		for (size_t k = 1; k < nm.len; k++) {
			char c = nm.ptr[k];
			FUZZ_CHECK(fuzz_is_alpha(c) || (c >= '0' && c <= '9') || c == '_');
		}
		for (size_t k = 0; k < v.len; k++) {
			unsigned char c = (unsigned char)v.ptr[k];
			FUZZ_CHECK(c != ';' && c != 0x7f);
			FUZZ_CHECK(c >= 0x20 || fuzz_is_fws_byte((char)c));
		}
		if (v.len) {
			FUZZ_CHECK(!fuzz_is_fws_byte(v.ptr[0]));
			FUZZ_CHECK(!fuzz_is_fws_byte(v.ptr[v.len - 1]));
		}
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(!slice_eq(l->tags[j].name, nm));
		char *cname = arena_strndup(a, nm.ptr, nm.len);
		if (cname)
			FUZZ_CHECK(tag_list_get(l, cname) == &l->tags[i]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new(0);
	if (!a)
		return 0;
	struct slice in = fuzz_input(data, size);
	struct tag_list l;
	struct slice where;
	enum tag_status st = tag_list_parse(a, in, &l, &where);
	fuzz_touch(slice_from_cstr(tag_status_str(st)));
	switch (st) {
	case TAG_OK:
		fuzz_tag_check_list(a, &l, data, size);
		break;
	case TAG_E_SYNTAX:
	case TAG_E_DUPLICATE:
	case TAG_E_LIMIT:
		FUZZ_CHECK(l.n == 0);
		FUZZ_CHECK(fuzz_within(where, data, size));
		fuzz_touch(where);
		break;
	case TAG_E_NOMEM:
		FUZZ_CHECK(l.n == 0);
		break;
	default:
		FUZZ_CHECK(!"unknown tag_status");
	}
	FUZZ_CHECK(tag_list_get(&l, "v") == NULL || st == TAG_OK);

	if (st == TAG_OK) {
		/* name=value;name=value — the canonical spelling of the same list. */
		struct buf b;
		buf_init(&b, a, size * 2 + 16);
		for (size_t i = 0; i < l.n; i++) {
			if (i)
				buf_add_byte(&b, ';');
			buf_add_slice(&b, l.tags[i].name);
			buf_add_byte(&b, '=');
			buf_add_slice(&b, l.tags[i].value);
		}
		if (!b.err) {
			struct slice again = buf_slice(&b);
			struct tag_list l2;
			enum tag_status st2 = tag_list_parse(a, again, &l2, NULL);
			if (st2 != TAG_E_NOMEM) {
				FUZZ_CHECK(st2 == TAG_OK);
				FUZZ_CHECK(l2.n == l.n);
				for (size_t i = 0; i < l.n; i++) {
					FUZZ_CHECK(slice_eq(l.tags[i].name, l2.tags[i].name));
					FUZZ_CHECK(slice_eq(l.tags[i].value, l2.tags[i].value));
				}
			}
		}
	}
	arena_free(a);
	return 0;
}
