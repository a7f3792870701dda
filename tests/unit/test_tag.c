/* test_tag.c — unit tests for shared/tag.c, the RFC 6376 3.2 tag-list parser
 * used by DKIM, ARC and DMARC: the grammar (FWS with CRLF and bare-LF folds,
 * empty values, trailing ';'), the decisions documented in tag.h (empty
 * tag-specs, empty lists, 8-bit values), duplicates, case-sensitive names,
 * the TAG_MAX_TAGS limit and hostile bytes.
 *
 * Every input is copied into a malloc'd buffer of exactly its length (no
 * terminating NUL), so the sanitizer build catches any read past the end. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "mailauth_limits.h"
#include "slice.h"
#include "tag.h"

static struct arena *A;

static void setup(void)
{
	A = arena_new(0);
	ck_assert_ptr_nonnull(A);
}

static void teardown(void)
{
	arena_free(A);
	A = NULL;
}

/* A copy of len bytes with nothing after them. */
static char *exact_copy(const char *s, size_t len)
{
	char *p = malloc(len ? len : 1);
	ck_assert_ptr_nonnull(p);
	if (len)
		memcpy(p, s, len);
	return p;
}

static bool within(struct slice inner, const char *base, size_t len)
{
	if (inner.len == 0 && inner.ptr == NULL)
		return true;
	return inner.ptr >= base && inner.ptr + inner.len <= base + len;
}

#define IN(s) s, sizeof(s) - 1
#define MAXT 6

struct tag_case {
	const char *in;
	size_t len;
	enum tag_status st;
	/* Expected tags in order (name, value), up to the first NULL name. */
	const char *tags[MAXT][2];
	/* Expected *where for errors; NULL: not checked. */
	const char *where;
};

static void run_case(size_t i, const struct tag_case *c)
{
	char *in = exact_copy(c->in, c->len);
	struct tag_list l;
	struct slice where;
	enum tag_status st = tag_list_parse(A, slice_make(in, c->len), &l, &where);
	ck_assert_msg(st == c->st, "case %zu: status %s, expected %s", i, tag_status_str(st),
	              tag_status_str(c->st));
	if (st == TAG_OK) {
		size_t want = 0;
		while (want < MAXT && c->tags[want][0])
			want++;
		ck_assert_msg(l.n == want, "case %zu: %zu tags, expected %zu", i, l.n, want);
		for (size_t k = 0; k < want; k++) {
			ck_assert_msg(slice_eq(l.tags[k].name, slice_from_cstr(c->tags[k][0])),
			              "case %zu tag %zu: name \"%.*s\", expected \"%s\"", i, k,
			              (int)l.tags[k].name.len, l.tags[k].name.ptr, c->tags[k][0]);
			ck_assert_msg(slice_eq(l.tags[k].value, slice_from_cstr(c->tags[k][1])),
			              "case %zu tag %zu: value \"%.*s\", expected \"%s\"", i, k,
			              (int)l.tags[k].value.len, l.tags[k].value.ptr, c->tags[k][1]);
			ck_assert_msg(within(l.tags[k].name, in, c->len) &&
			                      within(l.tags[k].value, in, c->len),
			              "case %zu tag %zu: slices must point into the input", i, k);
		}
		ck_assert_msg(where.ptr == NULL && where.len == 0, "case %zu: where set on success",
		              i);
	} else {
		ck_assert_msg(l.n == 0 && l.tags == NULL, "case %zu: list not emptied on error", i);
		ck_assert_msg(within(where, in, c->len), "case %zu: where outside the input", i);
		if (c->where)
			ck_assert_msg(slice_eq(where, slice_from_cstr(c->where)),
			              "case %zu: where \"%.*s\", expected \"%s\"", i, (int)where.len,
			              where.ptr ? where.ptr : "", c->where);
	}
	free(in);
}

static void run_table(const struct tag_case *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		run_case(i, &t[i]);
}

START_TEST(tag_list_parse_accepts_the_rfc_6376_grammar)
{
	static const struct tag_case t[] = {
		/* 0 */ { IN("v=1"), TAG_OK, { { "v", "1" } }, NULL },
		/* 1 */ { IN("v=1;"), TAG_OK, { { "v", "1" } }, NULL },
		/* 2 */ { IN("v=1; "), TAG_OK, { { "v", "1" } }, NULL },
		/* 3 */ { IN(" v = 1 ; a = b "), TAG_OK, { { "v", "1" }, { "a", "b" } }, NULL },
		/* 4 */ { IN("\tv=DKIM1;\tk=rsa;\tp=MIGf"), TAG_OK,
		          { { "v", "DKIM1" }, { "k", "rsa" }, { "p", "MIGf" } }, NULL },
		/* 5 */ { IN("x_1=2; Ab9_=z"), TAG_OK, { { "x_1", "2" }, { "Ab9_", "z" } }, NULL },
		/* 6: '=' is a VALCHAR */
		/* */ { IN("a=b=c"), TAG_OK, { { "a", "b=c" } }, NULL },
		/* 7 */ { IN("w=flarp; v=1"), TAG_OK, { { "w", "flarp" }, { "v", "1" } }, NULL },
		/* 8: ARC ams_format_tags_wsp — the value keeps its inner WSP */
		/* */ { IN("i=1; s=dummy; t=1 2345"), TAG_OK,
		        { { "i", "1" }, { "s", "dummy" }, { "t", "1 2345" } }, NULL },
		/* 9: RFC 6376 3.2 advises not to preclude UTF-8 in values */
		/* */ { IN("d=\xc3\xa9xample.org"), TAG_OK, { { "d", "\xc3\xa9xample.org" } }, NULL },
		/* 10: DMARC record with dmarc-sep WSP */
		/* */ { IN("v=DMARC1 ; p=reject ; rua=mailto:a@b.example ;  "), TAG_OK,
		        { { "v", "DMARC1" }, { "p", "reject" }, { "rua", "mailto:a@b.example" } },
		        NULL },
	};
	run_table(t, sizeof t / sizeof t[0]);
}
END_TEST

START_TEST(tag_list_parse_keeps_empty_values)
{
	static const struct tag_case t[] = {
		/* 0 */ { IN("a="), TAG_OK, { { "a", "" } }, NULL },
		/* 1 */ { IN("a=;b="), TAG_OK, { { "a", "" }, { "b", "" } }, NULL },
		/* 2 */ { IN("a= ;b=  "), TAG_OK, { { "a", "" }, { "b", "" } }, NULL },
		/* 3 */ { IN("g=; p=abc;"), TAG_OK, { { "g", "" }, { "p", "abc" } }, NULL },
		/* 4 */ { IN("a=\r\n ;b=1"), TAG_OK, { { "a", "" }, { "b", "1" } }, NULL },
		/* 5 */ { IN("p="), TAG_OK, { { "p", "" } }, NULL },
	};
	run_table(t, sizeof t / sizeof t[0]);
	/* An empty value is present, not omitted (RFC 6376 3.2). */
	char *in = exact_copy(IN("g=;p=1"));
	struct tag_list l;
	ck_assert_int_eq(tag_list_parse(A, slice_make(in, 6), &l, NULL), TAG_OK);
	const struct tag *g = tag_list_get(&l, "g");
	ck_assert_ptr_nonnull(g);
	ck_assert_uint_eq(g->value.len, 0);
	ck_assert_ptr_null(tag_list_get(&l, "h"));
	free(in);
}
END_TEST

START_TEST(tag_list_parse_handles_fws_with_folding_around_and_inside_values)
{
	static const struct tag_case t[] = {
		/* 0: CRLF fold inside a value is kept as it was */
		/* */ { IN("b=abc\r\n def"), TAG_OK, { { "b", "abc\r\n def" } }, NULL },
		/* 1: a bare-LF fold (Exim's spool) likewise */
		/* */ { IN("b=abc\n\tdef"), TAG_OK, { { "b", "abc\n\tdef" } }, NULL },
		/* 2: fold before a name */
		/* */ { IN("h=from:to;\r\n\tbh=xyz"), TAG_OK, { { "h", "from:to" }, { "bh", "xyz" } },
		        NULL },
		/* 3: folds around '=' and before ';' are not part of the value */
		/* */ { IN("a\r\n =\r\n 1\r\n ;b\n\t=\n\t2\n\t"), TAG_OK,
		        { { "a", "1" }, { "b", "2" } }, NULL },
		/* 4: several folds and a whitespace-only continuation line */
		/* */ { IN("a=1 \t\r\n \r\n ;b=2"), TAG_OK, { { "a", "1" }, { "b", "2" } }, NULL },
		/* 5: a value over several folded lines, WSP runs kept */
		/* */ { IN("h=from:to\r\n  :subject \r\n\t: date ;"), TAG_OK,
		        { { "h", "from:to\r\n  :subject \r\n\t: date" } }, NULL },
		/* 6: fold right after ';' at the end */
		/* */ { IN("v=1;\r\n "), TAG_OK, { { "v", "1" } }, NULL },
		/* 7: leading fold */
		/* */ { IN("\r\n v=1"), TAG_OK, { { "v", "1" } }, NULL },
		/* 8: a line end not followed by WSP is not folding */
		/* */ { IN("a=1\nb=2"), TAG_E_SYNTAX, { { NULL, NULL } }, "a=1\nb=2" },
		/* 9 */ { IN("a=1\r\nb=2"), TAG_E_SYNTAX, { { NULL, NULL } }, "a=1\r\nb=2" },
		/* 10: a trailing line end is not FWS either */
		/* */ { IN("a=1\r\n"), TAG_E_SYNTAX, { { NULL, NULL } }, "a=1\r\n" },
		/* 11 */ { IN("a=1\n"), TAG_E_SYNTAX, { { NULL, NULL } }, "a=1\n" },
		/* 12: a bare CR is no line end */
		/* */ { IN("a=1\r b=2"), TAG_E_SYNTAX, { { NULL, NULL } }, "a=1\r b=2" },
		/* 13 */ { IN("a=1;\r"), TAG_E_SYNTAX, { { NULL, NULL } }, "\r" },
		/* 14: broken fold before the name */
		/* */ { IN("a=1;\nb=2"), TAG_E_SYNTAX, { { NULL, NULL } }, "\nb=2" },
		/* 15: broken fold after '=' */
		/* */ { IN("a=\nb"), TAG_E_SYNTAX, { { NULL, NULL } }, "a=\nb" },
	};
	run_table(t, sizeof t / sizeof t[0]);
}
END_TEST

START_TEST(tag_list_parse_rejects_duplicate_tags)
{
	static const struct tag_case t[] = {
		/* 0 */ { IN("a=1;a=2"), TAG_E_DUPLICATE, { { NULL, NULL } }, "a" },
		/* 1: ARC ams_format_tags_dup */
		/* */ { IN("i=1; s=dummy; s=dummy; t=12345"), TAG_E_DUPLICATE, { { NULL, NULL } },
		        "s" },
		/* 2: duplicate with empty values */
		/* */ { IN("a=; b=2; a="), TAG_E_DUPLICATE, { { NULL, NULL } }, "a" },
		/* 3: duplicate separated by a fold */
		/* */ { IN("bh=x;\r\n bh=x"), TAG_E_DUPLICATE, { { NULL, NULL } }, "bh" },
		/* 4: a prefix is not a duplicate */
		/* */ { IN("b=1; bh=2"), TAG_OK, { { "b", "1" }, { "bh", "2" } }, NULL },
		/* 5: the duplicate is reported even after a good tail */
		/* */ { IN("v=1; x=2; y=3; v=1;"), TAG_E_DUPLICATE, { { NULL, NULL } }, "v" },
	};
	run_table(t, sizeof t / sizeof t[0]);

	/* where points at the second occurrence, not the first. */
	const char src[] = "a=1;a=2";
	char *in = exact_copy(src, 7);
	struct tag_list l;
	struct slice where;
	ck_assert_int_eq(tag_list_parse(A, slice_make(in, 7), &l, &where), TAG_E_DUPLICATE);
	ck_assert_ptr_eq(where.ptr, in + 4);
	free(in);
}
END_TEST

START_TEST(tag_list_names_are_case_sensitive)
{
	/* RFC 6376 3.2: "Tags MUST be interpreted in a case-sensitive manner" —
	 * "A" and "a" are two tags, not a duplicate. */
	static const struct tag_case t[] = {
		/* 0 */ { IN("A=1;a=2"), TAG_OK, { { "A", "1" }, { "a", "2" } }, NULL },
		/* 1: ARC ams_format_tags_key_case: H= is an unknown tag, not h= */
		/* */ { IN("d=example.org; H=from:to"), TAG_OK,
		        { { "d", "example.org" }, { "H", "from:to" } }, NULL },
		/* 2 */ { IN("Bh=1; bH=2; BH=3; bh=4"), TAG_OK,
		          { { "Bh", "1" }, { "bH", "2" }, { "BH", "3" }, { "bh", "4" } }, NULL },
	};
	run_table(t, sizeof t / sizeof t[0]);

	char *in = exact_copy(IN("d=x; H=from"));
	struct tag_list l;
	ck_assert_int_eq(tag_list_parse(A, slice_make(in, 11), &l, NULL), TAG_OK);
	ck_assert_ptr_null(tag_list_get(&l, "h"));
	const struct tag *h = tag_list_get(&l, "H");
	ck_assert_ptr_nonnull(h);
	ck_assert(slice_eq(h->value, SLICE_LIT("from")));
	ck_assert_ptr_null(tag_list_get(&l, "D"));
	free(in);
}
END_TEST

START_TEST(tag_list_parse_rejects_empty_tag_specs_and_empty_lists)
{
	/* tag.h: an empty tag-spec is a syntax error (no such thing in the ABNF;
	 * the ARC suite's ams_format_tags_sc expects failure), and so is a list
	 * with no tag-spec at all. */
	static const struct tag_case t[] = {
		/* 0: only ';' */
		/* */ { IN(";"), TAG_E_SYNTAX, { { NULL, NULL } }, ";" },
		/* 1 */ { IN(";;"), TAG_E_SYNTAX, { { NULL, NULL } }, ";" },
		/* 2 */ { IN(" ; "), TAG_E_SYNTAX, { { NULL, NULL } }, ";" },
		/* 3 */ { IN("i=1; s=dummy;; t=12345"), TAG_E_SYNTAX, { { NULL, NULL } }, ";" },
		/* 4 */ { IN("a=1; ;"), TAG_E_SYNTAX, { { NULL, NULL } }, ";" },
		/* 5 */ { IN("a=1;;"), TAG_E_SYNTAX, { { NULL, NULL } }, ";" },
		/* 6 */ { IN(";a=1"), TAG_E_SYNTAX, { { NULL, NULL } }, ";" },
		/* 7 */ { IN("a=1;\r\n ;b=2"), TAG_E_SYNTAX, { { NULL, NULL } }, ";" },
		/* 8: empty list */
		/* */ { IN(""), TAG_E_SYNTAX, { { NULL, NULL } }, "" },
		/* 9 */ { IN("   "), TAG_E_SYNTAX, { { NULL, NULL } }, "   " },
		/* 10 */ { IN("\r\n\t"), TAG_E_SYNTAX, { { NULL, NULL } }, "\r\n\t" },
	};
	run_table(t, sizeof t / sizeof t[0]);

	/* where of ";;" is the second ';', inside the input. */
	char *in = exact_copy(IN("a=1;;"));
	struct tag_list l;
	struct slice where;
	ck_assert_int_eq(tag_list_parse(A, slice_make(in, 5), &l, &where), TAG_E_SYNTAX);
	ck_assert_ptr_eq(where.ptr, in + 4);
	ck_assert_uint_eq(where.len, 1);
	free(in);

	/* A NULL slice is an empty list too. */
	ck_assert_int_eq(tag_list_parse(A, SLICE_NULL, &l, &where), TAG_E_SYNTAX);
	ck_assert_uint_eq(l.n, 0);
}
END_TEST

START_TEST(tag_list_parse_rejects_bad_names_and_garbage_bytes)
{
	static const struct tag_case t[] = {
		/* 0 */ { IN("a"), TAG_E_SYNTAX, { { NULL, NULL } }, "a" },
		/* 1 */ { IN("=1"), TAG_E_SYNTAX, { { NULL, NULL } }, "=1" },
		/* 2: ARC ams_format_inv_tag_key */
		/* */ { IN("i=1; s=dummy; ==; t=12345"), TAG_E_SYNTAX, { { NULL, NULL } }, "==" },
		/* 3 */ { IN("1a=2"), TAG_E_SYNTAX, { { NULL, NULL } }, "1a=2" },
		/* 4 */ { IN("_a=1"), TAG_E_SYNTAX, { { NULL, NULL } }, "_a=1" },
		/* 5 */ { IN("a b=1"), TAG_E_SYNTAX, { { NULL, NULL } }, "a b=1" },
		/* 6 */ { IN("a-b=1"), TAG_E_SYNTAX, { { NULL, NULL } }, "a-b=1" },
		/* 7 */ { IN("v=1; a"), TAG_E_SYNTAX, { { NULL, NULL } }, "a" },
		/* 8: NUL in a value */
		/* */ { IN("a=\0"), TAG_E_SYNTAX, { { NULL, NULL } }, NULL },
		/* 9: NUL in a name */
		/* */ { IN("a\0=1"), TAG_E_SYNTAX, { { NULL, NULL } }, NULL },
		/* 10: NUL before anything */
		/* */ { IN("\0"), TAG_E_SYNTAX, { { NULL, NULL } }, NULL },
		/* 11 */ { IN("a=x\x7f"), TAG_E_SYNTAX, { { NULL, NULL } }, "a=x\x7f" },
		/* 12 */ { IN("a=x\x01y"), TAG_E_SYNTAX, { { NULL, NULL } }, "a=x\x01y" },
		/* 13: 8-bit bytes are never part of a name */
		/* */ { IN("\xff=1"), TAG_E_SYNTAX, { { NULL, NULL } }, "\xff=1" },
		/* 14 */ { IN("a\xc3\xa9=1"), TAG_E_SYNTAX, { { NULL, NULL } }, "a\xc3\xa9=1" },
		/* 15: a vertical tab or form feed is not WSP */
		/* */ { IN("a=1\v"), TAG_E_SYNTAX, { { NULL, NULL } }, NULL },
		/* 16 */ { IN("\fa=1"), TAG_E_SYNTAX, { { NULL, NULL } }, NULL },
		/* 17: the second tag is bad; where is that tag only */
		/* */ { IN("v=1; 9=2; w=3"), TAG_E_SYNTAX, { { NULL, NULL } }, "9=2" },
		/* 18: stray '=' after a name and its fold */
		/* */ { IN("a\r\n b=1"), TAG_E_SYNTAX, { { NULL, NULL } }, "a\r\n b=1" },
	};
	run_table(t, sizeof t / sizeof t[0]);
}
END_TEST

START_TEST(tag_list_parse_enforces_the_tag_count_limit)
{
	/* TAG_MAX_TAGS distinct tags parse; one more is TAG_E_LIMIT. */
	char *buf = malloc((size_t)(TAG_MAX_TAGS + 1) * 16);
	ck_assert_ptr_nonnull(buf);
	for (int extra = 0; extra <= 1; extra++) {
		size_t len = 0;
		int ntags = TAG_MAX_TAGS + extra;
		for (int k = 0; k < ntags; k++)
			len += (size_t)snprintf(buf + len, 16, "t%d=%d;", k, k);
		char *in = exact_copy(buf, len);
		struct tag_list l;
		struct slice where;
		enum tag_status st = tag_list_parse(A, slice_make(in, len), &l, &where);
		if (!extra) {
			ck_assert_int_eq(st, TAG_OK);
			ck_assert_uint_eq(l.n, TAG_MAX_TAGS);
			char last[16];
			int ll = snprintf(last, sizeof last, "%d", TAG_MAX_TAGS - 1);
			ck_assert(slice_eq(l.tags[TAG_MAX_TAGS - 1].value, slice_make(last, (size_t)ll)));
			ck_assert_ptr_nonnull(tag_list_get(&l, "t0"));
		} else {
			ck_assert_int_eq(st, TAG_E_LIMIT);
			ck_assert_uint_eq(l.n, 0);
			char want[16];
			int wl = snprintf(want, sizeof want, "t%d", TAG_MAX_TAGS);
			ck_assert(slice_eq(where, slice_make(want, (size_t)wl)));
		}
		free(in);
	}
	free(buf);
}
END_TEST

START_TEST(tag_list_parse_is_linear_on_long_values_and_many_folds)
{
	/* A 4 MB value and a value of 500,000 folds: one pass each. */
	size_t n = 4u * 1024 * 1024;
	char *in = malloc(n);
	ck_assert_ptr_nonnull(in);
	memcpy(in, "p=", 2);
	memset(in + 2, 'Q', n - 2);
	struct tag_list l;
	ck_assert_int_eq(tag_list_parse(A, slice_make(in, n), &l, NULL), TAG_OK);
	ck_assert_uint_eq(l.n, 1);
	ck_assert_uint_eq(l.tags[0].value.len, n - 2);
	free(in);

	size_t folds = 500000;
	n = 2 + folds * 4;
	in = malloc(n);
	ck_assert_ptr_nonnull(in);
	memcpy(in, "b=", 2);
	for (size_t k = 0; k < folds; k++)
		memcpy(in + 2 + 4 * k, "x\r\n ", 4);
	ck_assert_int_eq(tag_list_parse(A, slice_make(in, n), &l, NULL), TAG_OK);
	ck_assert_uint_eq(l.n, 1);
	/* The trailing fold is FWS after the value, not part of it. */
	ck_assert_uint_eq(l.tags[0].value.len, n - 2 - 3);
	free(in);

	/* A name of 1 MB repeated: the duplicate check stays cheap. */
	n = 2 * (1024 * 1024 + 3);
	in = malloc(n);
	ck_assert_ptr_nonnull(in);
	size_t half = n / 2;
	for (int r = 0; r < 2; r++) {
		memset(in + r * half, 'n', half - 3);
		memcpy(in + r * half + half - 3, "=1;", 3);
	}
	struct slice where;
	ck_assert_int_eq(tag_list_parse(A, slice_make(in, n), &l, &where), TAG_E_DUPLICATE);
	ck_assert_uint_eq(where.len, half - 3);
	free(in);
}
END_TEST

/* Random inputs must give a defined status and, on success, a list that
 * obeys the grammar; on error, an empty list and a where inside the input.
 * Deterministic generator so a failure is reproducible by its index. */
static uint32_t rng_state;
static uint32_t rng(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}

static void check_invariants(size_t i, const char *in, size_t len)
{
	struct tag_list l;
	struct slice where;
	enum tag_status st = tag_list_parse(A, slice_make(in, len), &l, &where);
	ck_assert_msg(st == TAG_OK || st == TAG_E_SYNTAX || st == TAG_E_DUPLICATE ||
	                      st == TAG_E_LIMIT,
	              "input %zu: unexpected status %d", i, (int)st);
	if (st != TAG_OK) {
		ck_assert_msg(l.n == 0, "input %zu: list not emptied", i);
		ck_assert_msg(within(where, in, len), "input %zu: where outside input", i);
		return;
	}
	ck_assert_msg(l.n >= 1 && l.n <= TAG_MAX_TAGS, "input %zu: %zu tags", i, l.n);
	for (size_t k = 0; k < l.n; k++) {
		struct slice nm = l.tags[k].name, v = l.tags[k].value;
		ck_assert_msg(within(nm, in, len) && within(v, in, len), "input %zu: slice outside",
		              i);
		ck_assert_msg(nm.len >= 1, "input %zu: empty name", i);
		char c0 = nm.ptr[0];
		ck_assert_msg((c0 >= 'a' && c0 <= 'z') || (c0 >= 'A' && c0 <= 'Z'),
		              "input %zu: name starts with 0x%02x", i, (unsigned char)c0);
		for (size_t j = 0; j < nm.len; j++) {
			char c = nm.ptr[j];
			ck_assert_msg((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			                      (c >= '0' && c <= '9') || c == '_',
			              "input %zu: bad name byte", i);
		}
		if (v.len) {
			unsigned char a = (unsigned char)v.ptr[0], z = (unsigned char)v.ptr[v.len - 1];
			ck_assert_msg(a > 0x20 && a != 0x7f && a != ';' && z > 0x20 && z != 0x7f &&
			                      z != ';',
			              "input %zu: value not trimmed to VALCHARs", i);
		}
		for (size_t j = 0; j < v.len; j++)
			ck_assert_msg(v.ptr[j] != ';' && v.ptr[j] != '\0', "input %zu: ';' or NUL in value",
			              i);
		for (size_t j = 0; j < k; j++)
			ck_assert_msg(!slice_eq(l.tags[j].name, nm), "input %zu: duplicate accepted", i);
	}
}

START_TEST(tag_list_parse_survives_random_garbage)
{
	/* Two alphabets: all 256 bytes, and the grammar's own bytes (which
	 * reach far more branches). */
	static const char gram[] = "ab=;= \t\r\n1_;A\xc3\x80";
	rng_state = 12345;
	for (size_t i = 0; i < 20000; i++) {
		size_t len = rng() % 64;
		char tmp[64];
		for (size_t j = 0; j < len; j++)
			tmp[j] = (i & 1) ? (char)(rng() & 0xff) : gram[rng() % (sizeof gram - 1)];
		char *in = exact_copy(tmp, len);
		check_invariants(i, in, len);
		free(in);
	}
}
END_TEST

START_TEST(tag_list_parse_reads_a_real_dkim_signature)
{
	static const char sig[] =
		" v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n"
		"        d=example.org; s=dummy; t=12345;\r\n"
		"        h=from:to:date:subject:mime-version:arc-authentication-results;\r\n"
		"        bh=KWSe46TZKCcDbH4klJPo+tjk5LWJnVRlP5pvjXFZYLQ=;\r\n"
		"        b=J8xUmyji1bXXLKMinB+Adv9ALXsw8\r\n"
		"         X1bXXLKMin=";
	char *in = exact_copy(sig, sizeof sig - 1);
	struct tag_list l;
	ck_assert_int_eq(tag_list_parse(A, slice_make(in, sizeof sig - 1), &l, NULL), TAG_OK);
	ck_assert_uint_eq(l.n, 9);
	ck_assert(slice_eq(tag_list_get(&l, "c")->value, SLICE_LIT("relaxed/relaxed")));
	ck_assert(slice_eq(tag_list_get(&l, "bh")->value,
	                   SLICE_LIT("KWSe46TZKCcDbH4klJPo+tjk5LWJnVRlP5pvjXFZYLQ=")));
	ck_assert(slice_eq(tag_list_get(&l, "b")->value,
	                   SLICE_LIT("J8xUmyji1bXXLKMinB+Adv9ALXsw8\r\n         X1bXXLKMin=")));
	ck_assert_ptr_eq(tag_list_get(&l, "v"), &l.tags[0]);
	free(in);
}
END_TEST

START_TEST(tag_status_str_names_every_status)
{
	const enum tag_status all[] = { TAG_OK, TAG_E_SYNTAX, TAG_E_DUPLICATE, TAG_E_LIMIT,
		                        TAG_E_NOMEM };
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
		const char *s = tag_status_str(all[i]);
		ck_assert_msg(s && s[0], "case %zu: empty string", i);
		for (size_t j = 0; j < i; j++)
			ck_assert_msg(strcmp(s, tag_status_str(all[j])) != 0, "case %zu: same as %zu", i,
			              j);
	}
}
END_TEST

START_TEST(tag_list_parse_reports_nomem_when_the_arena_is_full)
{
	/* An arena too small for the tag array: an operational failure, not a
	 * verdict about the input. */
	struct arena *small = arena_new(16);
	ck_assert_ptr_nonnull(small);
	char *in = exact_copy(IN("a=1"));
	struct tag_list l;
	struct slice where;
	ck_assert_int_eq(tag_list_parse(small, slice_make(in, 3), &l, &where), TAG_E_NOMEM);
	ck_assert_uint_eq(l.n, 0);
	ck_assert_ptr_null(where.ptr);
	free(in);
	arena_free(small);
}
END_TEST

static Suite *tag_suite(void)
{
	Suite *s = suite_create("tag");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, tag_list_parse_accepts_the_rfc_6376_grammar);
	tcase_add_test(tc, tag_list_parse_keeps_empty_values);
	tcase_add_test(tc, tag_list_parse_handles_fws_with_folding_around_and_inside_values);
	tcase_add_test(tc, tag_list_parse_rejects_duplicate_tags);
	tcase_add_test(tc, tag_list_names_are_case_sensitive);
	tcase_add_test(tc, tag_list_parse_rejects_empty_tag_specs_and_empty_lists);
	tcase_add_test(tc, tag_list_parse_rejects_bad_names_and_garbage_bytes);
	tcase_add_test(tc, tag_list_parse_enforces_the_tag_count_limit);
	tcase_add_test(tc, tag_list_parse_is_linear_on_long_values_and_many_folds);
	tcase_add_test(tc, tag_list_parse_survives_random_garbage);
	tcase_add_test(tc, tag_list_parse_reads_a_real_dkim_signature);
	tcase_add_test(tc, tag_status_str_names_every_status);
	tcase_add_test(tc, tag_list_parse_reports_nomem_when_the_arena_is_full);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(tag_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
