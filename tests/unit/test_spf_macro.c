/* test_spf_macro.c — unit tests for shared/spf_macro.c: the RFC 7208
 * section 7 macro language (letters, reversal, digit transformers,
 * delimiters, URL escaping, %% %_ %-), the domain-spec syntax of section 12
 * (domain-end, toplabel), the explanation-only letters c r t, domain
 * truncation to 253 bytes, and the SPF_MAX_EXPANSION bound.
 *
 * The expansion table starts with the examples of RFC 7208 section 7.4.
 * Inputs are copied into buffers of exactly their length so the sanitizer
 * build catches reads past the end. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "mailauth_limits.h"
#include "slice.h"
#include "spf_addr.h"
#include "spf_macro.h"

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

static struct slice exact(const char *s)
{
	size_t n = strlen(s);
	char *p = arena_alloc(A, n ? n : 1);
	ck_assert_ptr_nonnull(p);
	memcpy(p, s, n);
	return slice_make(p, n);
}

/* The RFC 7208 7.4 example identity. */
static struct spf_macro_vars rfc_vars(const char *ip)
{
	struct spf_macro_vars v;
	static char dotted[SPF_ADDR_DOTTED_MAX], text[SPF_ADDR_TEXT_MAX];
	struct spf_addr a;
	memset(&v, 0, sizeof v);
	ck_assert(spf_addr_parse(slice_from_cstr(ip), &a));
	v.s = SLICE_LIT("strong-bad@email.example.com");
	v.l = SLICE_LIT("strong-bad");
	v.o = SLICE_LIT("email.example.com");
	v.d = SLICE_LIT("email.example.com");
	v.i = slice_make(dotted, spf_addr_format_dotted(&a, dotted));
	v.c = slice_make(text, spf_addr_format(&a, text));
	v.p = SLICE_LIT("mx.example.org");
	v.v = a.family == 4 ? SLICE_LIT("in-addr") : SLICE_LIT("ip6");
	v.h = SLICE_LIT("mx.example.org");
	v.r = SLICE_LIT("mybox.example.org");
	v.t = SLICE_LIT("1400000000");
	return v;
}

struct xcase {
	const char *in;
	enum spf_macro_mode mode;
	const char *out; /* NULL: expect failure */
	enum spf_macro_status st;
};

static const struct xcase rfc_cases[] = {
	/* RFC 7208 7.4, first table (domain mode) */
	{ "%{s}", SPF_MACRO_DOMAIN, "strong-bad@email.example.com", SPF_MACRO_OK },
	{ "%{o}", SPF_MACRO_DOMAIN, "email.example.com", SPF_MACRO_OK },
	{ "%{d}", SPF_MACRO_DOMAIN, "email.example.com", SPF_MACRO_OK },
	{ "%{d4}", SPF_MACRO_DOMAIN, "email.example.com", SPF_MACRO_OK },
	{ "%{d3}", SPF_MACRO_DOMAIN, "email.example.com", SPF_MACRO_OK },
	{ "%{d2}", SPF_MACRO_DOMAIN, "example.com", SPF_MACRO_OK },
	{ "%{d1}", SPF_MACRO_DOMAIN, "com", SPF_MACRO_OK },
	{ "%{dr}", SPF_MACRO_DOMAIN, "com.example.email", SPF_MACRO_OK },
	{ "%{d2r}", SPF_MACRO_DOMAIN, "example.email", SPF_MACRO_OK },
	{ "%{l}", SPF_MACRO_DOMAIN, "strong-bad", SPF_MACRO_OK },
	{ "%{l-}", SPF_MACRO_DOMAIN, "strong.bad", SPF_MACRO_OK },
	{ "%{lr}", SPF_MACRO_DOMAIN, "strong-bad", SPF_MACRO_OK },
	{ "%{lr-}", SPF_MACRO_DOMAIN, "bad.strong", SPF_MACRO_OK },
	{ "%{l1r-}", SPF_MACRO_DOMAIN, "strong", SPF_MACRO_OK },
	/* RFC 7208 7.4, second table */
	{ "%{ir}.%{v}._spf.%{d2}", SPF_MACRO_DOMAIN, "3.2.0.192.in-addr._spf.example.com", SPF_MACRO_OK },
	{ "%{lr-}.lp._spf.%{d2}", SPF_MACRO_DOMAIN, "bad.strong.lp._spf.example.com", SPF_MACRO_OK },
	{ "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", SPF_MACRO_DOMAIN,
	  "bad.strong.lp.3.2.0.192.in-addr._spf.example.com", SPF_MACRO_OK },
	{ "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", SPF_MACRO_DOMAIN,
	  "3.2.0.192.in-addr.strong.lp._spf.example.com", SPF_MACRO_OK },
	{ "%{d2}.trusted-domains.example.net", SPF_MACRO_DOMAIN, "example.com.trusted-domains.example.net",
	  SPF_MACRO_OK },
	/* escapes */
	{ "a%%b%_c%-d.example.com", SPF_MACRO_DOMAIN, "a%b c%20d.example.com", SPF_MACRO_OK },
	/* upper case letters are URL-escaped, unreserved bytes kept */
	{ "%{S}", SPF_MACRO_DOMAIN, "strong-bad%40email.example.com", SPF_MACRO_OK },
	{ "%{L}", SPF_MACRO_DOMAIN, "strong-bad", SPF_MACRO_OK },
	{ "%{P}.%{H}", SPF_MACRO_DOMAIN, "mx.example.org.mx.example.org", SPF_MACRO_OK },
	/* several delimiters; joined with "." (RFC 7208 7.3) */
	{ "%{s-}", SPF_MACRO_DOMAIN, "strong.bad@email.example.com", SPF_MACRO_OK },
	{ "%{s2r.-}", SPF_MACRO_DOMAIN, "bad@email.strong", SPF_MACRO_OK },
	{ "%{sr.-}", SPF_MACRO_DOMAIN, "com.example.bad@email.strong", SPF_MACRO_OK },
	{ "%{l+,/_=}", SPF_MACRO_DOMAIN, "strong-bad", SPF_MACRO_OK },
	{ "%{s@}", SPF_MACRO_DOMAIN, NULL, SPF_MACRO_SYNTAX }, /* '@' is no delimiter */
	{ "%{d99999999999999999999}", SPF_MACRO_DOMAIN, "email.example.com", SPF_MACRO_OK },
	{ "%{D2R}", SPF_MACRO_DOMAIN, "example.email", SPF_MACRO_OK },
	/* a trailing dot of a domain result is dropped; not of an explanation */
	{ "%{d}.", SPF_MACRO_EXPLAIN, "email.example.com.", SPF_MACRO_OK },
	{ "foo.%{d2}.", SPF_MACRO_DOMAIN, NULL, SPF_MACRO_SYNTAX },
	{ "foo.example.com.", SPF_MACRO_DOMAIN, "foo.example.com", SPF_MACRO_OK },
	/* explanation letters */
	{ "%{c} via %{r} at %{t}", SPF_MACRO_EXPLAIN, "192.0.2.3 via mybox.example.org at 1400000000",
	  SPF_MACRO_OK },
	{ "%{c}.example.com", SPF_MACRO_DOMAIN, NULL, SPF_MACRO_SYNTAX },
	{ "%{r}.example.com", SPF_MACRO_DOMAIN, NULL, SPF_MACRO_SYNTAX },
	{ "%{t}.example.com", SPF_MACRO_DOMAIN, NULL, SPF_MACRO_SYNTAX },
	/* syntax errors */
	{ "%{d0}.example.com", SPF_MACRO_DOMAIN, NULL, SPF_MACRO_SYNTAX },
	{ "%{a}.example.com", SPF_MACRO_DOMAIN, NULL, SPF_MACRO_SYNTAX },
	{ "%(ir).example.com", SPF_MACRO_DOMAIN, NULL, SPF_MACRO_SYNTAX },
	{ "foo%.example.com", SPF_MACRO_DOMAIN, NULL, SPF_MACRO_SYNTAX },
	{ "example.com%", SPF_MACRO_DOMAIN, NULL, SPF_MACRO_SYNTAX },
	{ "%{d", SPF_MACRO_DOMAIN, NULL, SPF_MACRO_SYNTAX },
	{ "%{d2x}", SPF_MACRO_DOMAIN, NULL, SPF_MACRO_SYNTAX },
	{ "%{dr2}", SPF_MACRO_DOMAIN, NULL, SPF_MACRO_SYNTAX },
	{ "The %{x}-files.", SPF_MACRO_EXPLAIN, NULL, SPF_MACRO_SYNTAX },
	{ "a b.example.com", SPF_MACRO_DOMAIN, NULL, SPF_MACRO_SYNTAX },
	{ "", SPF_MACRO_DOMAIN, NULL, SPF_MACRO_SYNTAX },
	{ "", SPF_MACRO_EXPLAIN, "", SPF_MACRO_OK },
};

START_TEST(spf_macro_expands_the_rfc_7208_examples_and_rejects_bad_syntax)
{
	struct spf_macro_vars v = rfc_vars("192.0.2.3");
	const struct xcase *c = &rfc_cases[_i];
	struct slice out = SLICE_NULL;
	enum spf_macro_status st = spf_macro_expand(A, exact(c->in), c->mode, &v, &out);
	ck_assert_msg(st == c->st, "case %d \"%s\": status %d, want %d", _i, c->in, st, c->st);
	if (c->out) {
		ck_assert_msg(out.len == strlen(c->out) && memcmp(out.ptr, c->out, out.len) == 0,
		              "case %d \"%s\": got \"%.*s\", want \"%s\"", _i, c->in, (int)out.len, out.ptr,
		              c->out);
		ck_assert_msg(spf_macro_valid(exact(c->in), c->mode, NULL), "case %d: valid", _i);
	} else {
		ck_assert_msg(!spf_macro_valid(exact(c->in), c->mode, NULL), "case %d: invalid", _i);
	}
}
END_TEST

START_TEST(spf_macro_expands_ipv6_i_as_nibbles_and_c_as_rfc_5952_text)
{
	struct spf_macro_vars v = rfc_vars("2001:db8::cb01");
	struct slice out;
	ck_assert_int_eq(spf_macro_expand(A, exact("%{ir}.%{v}._spf.%{d2}"), SPF_MACRO_DOMAIN, &v, &out),
	                 SPF_MACRO_OK);
	/* RFC 7208 7.4 shows lower case; DNS ignores case; we write upper case
	 * (spf_addr.h explains why). */
	const char *want = "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com";
	ck_assert_uint_eq(out.len, strlen(want));
	ck_assert(slice_eq_ci(out, slice_from_cstr(want)));
	ck_assert_int_eq(spf_macro_expand(A, exact("%{c}"), SPF_MACRO_EXPLAIN, &v, &out), SPF_MACRO_OK);
	ck_assert(slice_eq(out, SLICE_LIT("2001:db8::cb01")));
	ck_assert_int_eq(spf_macro_expand(A, exact("%{i}"), SPF_MACRO_EXPLAIN, &v, &out), SPF_MACRO_OK);
	ck_assert(slice_eq(out, SLICE_LIT("2.0.0.1.0.D.B.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.C.B.0.1")));
}
END_TEST

START_TEST(spf_macro_url_escapes_upper_case_letters_with_upper_case_hex)
{
	struct spf_macro_vars v = rfc_vars("192.0.2.3");
	struct slice out;
	v.l = SLICE_LIT("~jack&jill=up-a_b3.c");
	ck_assert_int_eq(spf_macro_expand(A, exact("http://example.com/why.html?l=%{L}"), SPF_MACRO_EXPLAIN,
	                                  &v, &out),
	                 SPF_MACRO_OK);
	ck_assert(slice_eq(out, SLICE_LIT("http://example.com/why.html?l=~jack%26jill%3Dup-a_b3.c")));
	v.h = SLICE_LIT("JUMPIN' JUPITER");
	ck_assert_int_eq(spf_macro_expand(A, exact("%{H}.bar"), SPF_MACRO_DOMAIN, &v, &out), SPF_MACRO_OK);
	ck_assert(slice_eq(out, SLICE_LIT("JUMPIN%27%20JUPITER.bar")));
	v.h = slice_make("\x80\xff", 2);
	ck_assert_int_eq(spf_macro_expand(A, exact("%{H}"), SPF_MACRO_DOMAIN, &v, &out), SPF_MACRO_OK);
	ck_assert(slice_eq(out, SLICE_LIT("%80%FF")));
}
END_TEST

START_TEST(spf_macro_truncates_long_domain_results_from_the_left_by_labels)
{
	struct spf_macro_vars v = rfc_vars("192.0.2.3");
	struct slice out;
	v.o = SLICE_LIT("somewhat.long.exp.example.com");
	ck_assert_int_eq(spf_macro_expand(A,
	                                  exact("foobar.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.example.com"),
	                                  SPF_MACRO_DOMAIN, &v, &out),
	                 SPF_MACRO_OK);
	/* The OpenSPF domain-name-truncation case: 8 copies fit in 253 only
	 * after "foobar." is gone. */
	ck_assert_uint_le(out.len, 253);
	ck_assert(slice_starts_with_ci(out, SLICE_LIT("somewhat.long.exp.example.com.somewhat")));
	ck_assert(slice_ends_with_ci(out, SLICE_LIT(".example.com")));
	/* Longer: drop as many labels as needed. */
	ck_assert_int_eq(spf_macro_expand(A, exact("%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}"),
	                                  SPF_MACRO_DOMAIN, &v, &out),
	                 SPF_MACRO_OK);
	ck_assert_uint_le(out.len, 253);
	ck_assert_uint_gt(out.len, 253 - 30);
	ck_assert(out.ptr[0] != '.');
	ck_assert(slice_ends_with_ci(out, SLICE_LIT(".example.com")));
}
END_TEST

START_TEST(spf_macro_bounds_an_exploding_expansion)
{
	struct spf_macro_vars v = rfc_vars("192.0.2.3");
	struct slice out;
	struct buf b;
	buf_init(&b, A, 100000);
	for (int i = 0; i < 1000; i++)
		buf_add_cstr(&b, "%{S}");
	buf_add_cstr(&b, ".example.com");
	ck_assert(!b.err);
	ck_assert_int_eq(spf_macro_expand(A, buf_slice(&b), SPF_MACRO_DOMAIN, &v, &out), SPF_MACRO_TOOLONG);
	ck_assert_int_eq(spf_macro_expand(A, buf_slice(&b), SPF_MACRO_EXPLAIN, &v, &out), SPF_MACRO_TOOLONG);
	/* Just under the bound is fine. */
	buf_init(&b, A, 100000);
	while (b.len + 16 < SPF_MAX_EXPANSION)
		buf_add_cstr(&b, "a");
	buf_add_cstr(&b, ".example.com");
	ck_assert_int_eq(spf_macro_expand(A, buf_slice(&b), SPF_MACRO_EXPLAIN, &v, &out), SPF_MACRO_OK);
	ck_assert_uint_eq(out.len, b.len);
}
END_TEST

struct dcase {
	const char *in;
	bool ok;
};

static const struct dcase domain_specs[] = {
	{ "example.com", true },
	{ "example.com.", true },
	{ "foo.example.xn--zckzah", true },
	{ "foo:bar/baz.example.com", true },
	{ "%{d}", true },
	{ "foo.%{d}", true },
	{ "foo%%", true },
	{ "foo.%-", true },
	{ "mail.example...com", true }, /* valid syntax, not a DNS name */
	{ "museum", false },
	{ "museum.", false },
	{ "foo-bar", false },
	{ "abc.123", false },
	{ "111.222.33.44", false },
	{ "example.-com", false },
	{ "example.com-", false },
	{ "example.com:8080", false },
	{ "example.com/24", false },
	{ "%{d}.", false },
	{ "foo.%{d}x", false },
	{ "foo.example.com\x01", false },
	{ "-all", false },
	{ "", false },
};

START_TEST(spf_macro_checks_domain_spec_syntax_including_the_top_label)
{
	const struct dcase *c = &domain_specs[_i];
	const char *why = NULL;
	bool ok = spf_macro_valid(exact(c->in), SPF_MACRO_DOMAIN, &why);
	ck_assert_msg(ok == c->ok, "case %d \"%s\": got %d", _i, c->in, ok);
	if (!ok)
		ck_assert_ptr_nonnull(why);
}
END_TEST

START_TEST(spf_macro_toplabel_follows_the_abnf)
{
	ck_assert(spf_macro_is_toplabel(SLICE_LIT("com")));
	ck_assert(spf_macro_is_toplabel(SLICE_LIT("c0m")));
	ck_assert(spf_macro_is_toplabel(SLICE_LIT("123-456")));
	ck_assert(spf_macro_is_toplabel(SLICE_LIT("xn--zckzah")));
	ck_assert(!spf_macro_is_toplabel(SLICE_LIT("123")));
	ck_assert(!spf_macro_is_toplabel(SLICE_LIT("-com")));
	ck_assert(!spf_macro_is_toplabel(SLICE_LIT("com-")));
	ck_assert(!spf_macro_is_toplabel(SLICE_LIT("")));
	ck_assert(!spf_macro_is_toplabel(SLICE_LIT("co_m")));
}
END_TEST

START_TEST(spf_macro_finds_p_only_inside_a_macro)
{
	ck_assert(spf_macro_uses_p(SLICE_LIT("%{p}.example.com")));
	ck_assert(spf_macro_uses_p(SLICE_LIT("x.%{P2r}")));
	ck_assert(!spf_macro_uses_p(SLICE_LIT("p.example.com")));
	ck_assert(!spf_macro_uses_p(SLICE_LIT("%{d}")));
	ck_assert(!spf_macro_uses_p(SLICE_LIT("%{")));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("spf_macro");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, spf_macro_expands_the_rfc_7208_examples_and_rejects_bad_syntax, 0,
	                    (int)(sizeof rfc_cases / sizeof rfc_cases[0]));
	tcase_add_test(tc, spf_macro_expands_ipv6_i_as_nibbles_and_c_as_rfc_5952_text);
	tcase_add_test(tc, spf_macro_url_escapes_upper_case_letters_with_upper_case_hex);
	tcase_add_test(tc, spf_macro_truncates_long_domain_results_from_the_left_by_labels);
	tcase_add_test(tc, spf_macro_bounds_an_exploding_expansion);
	tcase_add_loop_test(tc, spf_macro_checks_domain_spec_syntax_including_the_top_label, 0,
	                    (int)(sizeof domain_specs / sizeof domain_specs[0]));
	tcase_add_test(tc, spf_macro_toplabel_follows_the_abnf);
	tcase_add_test(tc, spf_macro_finds_p_only_inside_a_macro);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
