/* test_domain.c — unit tests for shared/domain.c: normalization (case,
 * trailing dot, IDNA2008 A-labels, limits of RFC 1035 2.3.4) and the label
 * helpers the DMARC tree walk and alignment checks are built on. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "domain.h"
#include "mailauth_limits.h"
#include "slice.h"

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

static struct slice S(const char *s)
{
	return slice_from_cstr(s);
}

static void expect_norm(size_t i, struct slice in, const char *want)
{
	struct slice out;
	bool ok = domain_normalize(A, in, &out);
	if (!want) {
		ck_assert_msg(!ok, "case %zu: expected invalid, got \"%.*s\"", i,
		              (int)out.len, out.ptr ? out.ptr : "");
		ck_assert_ptr_null(out.ptr);
		return;
	}
	ck_assert_msg(ok, "case %zu: expected \"%s\", got invalid", i, want);
	ck_assert_msg(slice_eq(out, S(want)), "case %zu: expected \"%s\", got \"%.*s\"", i, want,
	              (int)out.len, out.ptr);
	/* NUL-terminated in memory as documented. */
	ck_assert_int_eq(out.ptr[out.len], '\0');
}

START_TEST(domain_normalize_lowercases_and_strips_one_trailing_dot)
{
	static const struct {
		const char *in, *want;
	} t[] = {
		{ "Example.COM", "example.com" },
		{ "example.com.", "example.com" },
		{ "EXAMPLE.com.", "example.com" },
		{ "_dmarc.Example.org", "_dmarc.example.org" },
		{ "sel._domainkey.example.org", "sel._domainkey.example.org" },
		{ "a-b.c-d.example", "a-b.c-d.example" },
		{ "xn--BCHER-KVA.de", "xn--bcher-kva.de" },
		{ "localhost", "localhost" },
		{ "192.0.2.1", "192.0.2.1" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		expect_norm(i, S(t[i].in), t[i].want);
}
END_TEST

START_TEST(domain_normalize_rejects_malformed_names)
{
	static const char *t[] = {
		"", ".", "..", "example.com..", ".example.com", "a..b", "exa mple.com",
		"example.com/", "ex@mple.com", "[192.0.2.1]", "exa\tmple.com", "a,b.com",
		"\"a\".com", "example.com\r", "(x).com",
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		expect_norm(i, S(t[i]), NULL);
}
END_TEST

START_TEST(domain_normalize_rejects_nul_bytes_anywhere)
{
	expect_norm(0, slice_make("exa\0mple.com", 12), NULL);
	expect_norm(1, slice_make("example.com\0", 12), NULL);
	expect_norm(2, slice_make("\0", 1), NULL);
	expect_norm(3, slice_make("b\xc3\xbc\0cher.de", 11), NULL);
}
END_TEST

START_TEST(domain_normalize_enforces_label_and_name_lengths)
{
	char buf[600];
	/* 63-octet label is fine, 64 is not (RFC 1035 2.3.4). */
	memset(buf, 'a', 63);
	memcpy(buf + 63, ".com", 4);
	struct slice out;
	ck_assert(domain_normalize(A, slice_make(buf, 67), &out));
	ck_assert_uint_eq(out.len, 67);
	memset(buf, 'a', 64);
	memcpy(buf + 64, ".com", 4);
	ck_assert(!domain_normalize(A, slice_make(buf, 68), &out));

	/* 253 octets is the longest textual name; 254 is too long, a trailing
	 * dot does not count. */
	size_t n = 0;
	while (n + 50 <= 250) {
		memset(buf + n, 'b', 49);
		buf[n + 49] = '.';
		n += 50;
	}
	/* n == 250 */
	memcpy(buf + n, "ccc", 3);
	n += 3;
	ck_assert_uint_eq(n, 253);
	ck_assert(domain_normalize(A, slice_make(buf, n), &out));
	ck_assert_uint_eq(out.len, 253);
	buf[n] = '.';
	ck_assert(domain_normalize(A, slice_make(buf, n + 1), &out));
	ck_assert_uint_eq(out.len, 253);
	buf[n] = 'd';
	ck_assert(!domain_normalize(A, slice_make(buf, n + 1), &out));
}
END_TEST

START_TEST(domain_normalize_converts_u_labels_to_a_labels)
{
	static const struct {
		const char *in, *want;
	} t[] = {
		{ "b\xc3\xbc" "cher.de", "xn--bcher-kva.de" },          /* bücher.de */
		{ "B\xc3\x9c" "CHER.DE", "xn--bcher-kva.de" },          /* BÜCHER.DE */
		{ "b\xc3\xbc" "cher.de.", "xn--bcher-kva.de" },         /* trailing dot */
		{ "_dmarc.b\xc3\xbc" "cher.de", "_dmarc.xn--bcher-kva.de" },
		{ "\xe4\xbe\x8b\xe3\x81\x88.jp", "xn--r8jz45g.jp" },     /* 例え.jp */
		{ "fa\xc3\x9f.de", "xn--fa-hia.de" },                    /* faß.de, non-transitional */
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		expect_norm(i, S(t[i].in), t[i].want);
}
END_TEST

START_TEST(domain_normalize_rejects_invalid_utf8_and_disallowed_code_points)
{
	static const char *t[] = {
		"\xff.com",              /* not UTF-8 */
		"b\xc3.de",              /* truncated sequence */
		"\xc0\xaf.com",          /* overlong '/' */
		"a\xe2\x80\xa8" "b.com", /* U+2028 line separator: disallowed */
		"\xe2\x80\xae" "ab.com", /* U+202E right-to-left override: disallowed */
		"a\xef\xbf\xbd" "b.com", /* U+FFFD replacement character */
		"ex\xc2\xa0" "ample.com", /* U+00A0 maps to a space */
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		expect_norm(i, S(t[i]), NULL);
}
END_TEST

/* UTS 46 mapping turns look-alike spellings into the name a mail reader
 * shows; DMARC must then evaluate that name, not refuse it (refusing would
 * let an attacker pick "no valid domain" instead of the victim's policy). */
START_TEST(domain_normalize_maps_invisible_and_fullwidth_forms_to_the_displayed_name)
{
	static const struct {
		const char *in, *want;
	} t[] = {
		{ "goo\xe2\x80\x8b" "gle.com", "google.com" },  /* U+200B is ignored */
		{ "goo\xc2\xad" "gle.com", "google.com" },       /* soft hyphen is ignored */
		{ "google\xe3\x80\x82" "com", "google.com" },   /* U+3002 ideographic full stop */
		{ "\xef\xbd\x87oogle.com", "google.com" },      /* fullwidth g */
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		expect_norm(i, S(t[i].in), t[i].want);
}
END_TEST

START_TEST(domain_normalize_refuses_oversized_input_before_idna)
{
	size_t n = DOMAIN_MAX_INPUT_BYTES + 1;
	char *p = malloc(n);
	ck_assert_ptr_nonnull(p);
	memset(p, 'a', n);
	struct slice out;
	ck_assert(!domain_normalize(A, slice_make(p, n), &out));
	/* Same with 8-bit bytes: libidn2 never sees it. */
	for (size_t i = 0; i + 1 < n; i += 2) {
		p[i] = (char)0xc3;
		p[i + 1] = (char)0xbc;
	}
	ck_assert(!domain_normalize(A, slice_make(p, n), &out));
	free(p);
}
END_TEST

START_TEST(domain_eq_ignores_case_and_one_trailing_dot)
{
	ck_assert(domain_eq(S("Example.COM"), S("example.com")));
	ck_assert(domain_eq(S("example.com."), S("EXAMPLE.com")));
	ck_assert(domain_eq(S("example.com"), S("example.com.")));
	ck_assert(!domain_eq(S("example.com.."), S("example.com")));
	ck_assert(!domain_eq(S("example.co"), S("example.com")));
	ck_assert(!domain_eq(S("xample.com"), S("example.com")));
	ck_assert(domain_eq(S(""), S("")));
	ck_assert(!domain_eq(slice_make("example.com\0", 12), S("example.com")));
}
END_TEST

START_TEST(domain_is_within_needs_a_label_boundary)
{
	ck_assert(domain_is_within(S("example.com"), S("example.com")));
	ck_assert(domain_is_within(S("Mail.Example.com"), S("example.COM")));
	ck_assert(domain_is_within(S("a.b.example.com."), S("example.com")));
	ck_assert(domain_is_within(S("a.b.example.com"), S("example.com.")));
	ck_assert(!domain_is_within(S("badexample.com"), S("example.com")));
	ck_assert(!domain_is_within(S("example.com"), S("mail.example.com")));
	ck_assert(!domain_is_within(S("example.com.evil"), S("example.com")));
	ck_assert(!domain_is_within(S("example.com"), S("")));
	ck_assert(!domain_is_within(S(""), S("")));
	ck_assert(!domain_is_within(S("com"), S("example.com")));
}
END_TEST

START_TEST(domain_label_count_counts_labels_without_the_root)
{
	ck_assert_uint_eq(domain_label_count(S("")), 0);
	ck_assert_uint_eq(domain_label_count(S(".")), 0);
	ck_assert_uint_eq(domain_label_count(S("com")), 1);
	ck_assert_uint_eq(domain_label_count(S("com.")), 1);
	ck_assert_uint_eq(domain_label_count(S("example.com")), 2);
	ck_assert_uint_eq(domain_label_count(S("a.b.c.d.e.f.g.h.i.example.com.")), 11);
}
END_TEST

START_TEST(domain_parent_drops_the_leftmost_label)
{
	ck_assert(slice_eq(domain_parent(S("a.b.c")), S("b.c")));
	ck_assert(slice_eq(domain_parent(S("b.c.")), S("c")));
	ck_assert(slice_eq(domain_parent(S("c")), S("")));
	ck_assert(slice_eq(domain_parent(S("c.")), S("")));
	ck_assert(slice_eq(domain_parent(S("")), S("")));
	ck_assert(slice_eq(domain_parent(SLICE_NULL), S("")));
	/* Walking up terminates. */
	struct slice d = S("x.y.z.example.org");
	size_t steps = 0;
	while (d.len) {
		d = domain_parent(d);
		steps++;
	}
	ck_assert_uint_eq(steps, 5);
}
END_TEST

START_TEST(domain_last_labels_returns_the_rightmost_labels)
{
	ck_assert(slice_eq(domain_last_labels(S("a.b.c.d"), 2), S("c.d")));
	ck_assert(slice_eq(domain_last_labels(S("a.b.c.d."), 1), S("d")));
	ck_assert(slice_eq(domain_last_labels(S("a.b.c.d"), 4), S("a.b.c.d")));
	ck_assert(slice_eq(domain_last_labels(S("a.b.c.d."), 9), S("a.b.c.d")));
	ck_assert(slice_eq(domain_last_labels(S("a.b.c.d"), 0), S("")));
	ck_assert(slice_eq(domain_last_labels(S(""), 3), S("")));
}
END_TEST

static Suite *domain_suite(void)
{
	Suite *s = suite_create("domain");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, domain_normalize_lowercases_and_strips_one_trailing_dot);
	tcase_add_test(tc, domain_normalize_rejects_malformed_names);
	tcase_add_test(tc, domain_normalize_rejects_nul_bytes_anywhere);
	tcase_add_test(tc, domain_normalize_enforces_label_and_name_lengths);
	tcase_add_test(tc, domain_normalize_converts_u_labels_to_a_labels);
	tcase_add_test(tc, domain_normalize_rejects_invalid_utf8_and_disallowed_code_points);
	tcase_add_test(tc, domain_normalize_maps_invisible_and_fullwidth_forms_to_the_displayed_name);
	tcase_add_test(tc, domain_normalize_refuses_oversized_input_before_idna);
	tcase_add_test(tc, domain_eq_ignores_case_and_one_trailing_dot);
	tcase_add_test(tc, domain_is_within_needs_a_label_boundary);
	tcase_add_test(tc, domain_label_count_counts_labels_without_the_root);
	tcase_add_test(tc, domain_parent_drops_the_leftmost_label);
	tcase_add_test(tc, domain_last_labels_returns_the_rightmost_labels);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(domain_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
