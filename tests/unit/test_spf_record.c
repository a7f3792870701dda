/* test_spf_record.c — unit tests for shared/spf_record.c and
 * shared/spf_addr.c: the RFC 7208 record grammar (section 12), record
 * selection (4.5), modifiers (6), dual CIDR lengths (5.3, 5.4), strict
 * ip4/ip6 networks (5.6, RFC 4291 2.2), address formatting for %{c}/%{i}
 * (7.3, RFC 5952) and CIDR matching, plus hostile bytes and sizes.
 *
 * Records are copied into buffers of exactly their length so the sanitizer
 * build catches any read past the end. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "mailauth_limits.h"
#include "slice.h"
#include "spf_addr.h"
#include "spf_record.h"

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

static struct slice exact_n(const char *s, size_t n)
{
	char *p = arena_alloc(A, n ? n : 1);
	ck_assert_ptr_nonnull(p);
	memcpy(p, s, n);
	return slice_make(p, n);
}

static struct slice exact(const char *s)
{
	return exact_n(s, strlen(s));
}

/* ---- record selection ---- */

START_TEST(spf_record_is_spf1_needs_a_space_or_the_end_after_the_version)
{
	ck_assert(spf_record_is_spf1(exact("v=spf1")));
	ck_assert(spf_record_is_spf1(exact("v=spf1 -all")));
	ck_assert(spf_record_is_spf1(exact("V=SpF1 ~all")));
	ck_assert(!spf_record_is_spf1(exact("v=spf10")));
	ck_assert(!spf_record_is_spf1(exact("v=spf1mx")));
	ck_assert(!spf_record_is_spf1(exact("v=spf")));
	ck_assert(!spf_record_is_spf1(exact(" v=spf1")));
	ck_assert(!spf_record_is_spf1(exact("v=spf2.0/pra")));
	ck_assert(!spf_record_is_spf1(exact("")));
}
END_TEST

/* ---- valid records ---- */

struct mexp {
	enum spf_mech_kind kind;
	enum spf_qualifier qual;
	const char *domain_spec;
	unsigned cidr4, cidr6;
};

struct vcase {
	const char *rec;
	size_t n;
	struct mexp m[6];
	const char *redirect, *exp;
};

static const struct vcase valid[] = {
	{ "v=spf1", 0, { { 0 } }, NULL, NULL },
	{ "v=spf1 ", 0, { { 0 } }, NULL, NULL },
	{ "v=spf1  a  -all ", 2,
	  { { SPF_MECH_A, SPF_QUAL_PASS, "", 32, 128 }, { SPF_MECH_ALL, SPF_QUAL_FAIL, "", 0, 0 } }, NULL, NULL },
	{ "V=SpF1 ~ALL", 1, { { SPF_MECH_ALL, SPF_QUAL_SOFTFAIL, "", 0, 0 } }, NULL, NULL },
	{ "v=spf1 +a/24//64 ?mx:%{d}//97 ~ptr:example.com -exists:%{ir}.bl.example.org", 4,
	  { { SPF_MECH_A, SPF_QUAL_PASS, "", 24, 64 },
	    { SPF_MECH_MX, SPF_QUAL_NEUTRAL, "%{d}", 32, 97 },
	    { SPF_MECH_PTR, SPF_QUAL_SOFTFAIL, "example.com", 0, 0 },
	    { SPF_MECH_EXISTS, SPF_QUAL_FAIL, "%{ir}.bl.example.org", 0, 0 } },
	  NULL, NULL },
	{ "v=spf1 a:foo.example.com/24 mx:foo:bar/baz.example.com a//0", 3,
	  { { SPF_MECH_A, SPF_QUAL_PASS, "foo.example.com", 24, 128 },
	    { SPF_MECH_MX, SPF_QUAL_PASS, "foo:bar/baz.example.com", 32, 128 },
	    { SPF_MECH_A, SPF_QUAL_PASS, "", 32, 0 } },
	  NULL, NULL },
	{ "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 IP4:1.1.1.1/0 ip6:::1.1.1.1/0", 4,
	  { { SPF_MECH_IP4, SPF_QUAL_PASS, "", 24, 128 },
	    { SPF_MECH_IP6, SPF_QUAL_PASS, "", 32, 32 },
	    { SPF_MECH_IP4, SPF_QUAL_PASS, "", 0, 128 },
	    { SPF_MECH_IP6, SPF_QUAL_PASS, "", 32, 0 } },
	  NULL, NULL },
	{ "v=spf1 include:_spf.example.com redirect=_spf.%{d} exp=explain.%{d2}", 1,
	  { { SPF_MECH_INCLUDE, SPF_QUAL_PASS, "_spf.example.com", 0, 0 } }, "_spf.%{d}", "explain.%{d2}" },
	/* unknown modifiers are ignored but must be macro-strings */
	{ "v=spf1 moo.cow-far_out=man:dog/cat ip4:1.2.3.4 -all default=+ foo= x=%{l}", 2,
	  { { SPF_MECH_IP4, SPF_QUAL_PASS, "", 32, 128 }, { SPF_MECH_ALL, SPF_QUAL_FAIL, "", 0, 0 } }, NULL,
	  NULL },
	{ "v=spf1 redirect=t5.example.com ~all", 1, { { SPF_MECH_ALL, SPF_QUAL_SOFTFAIL, "", 0, 0 } },
	  "t5.example.com", NULL },
};

START_TEST(spf_record_parse_accepts_valid_records)
{
	const struct vcase *c = &valid[_i];
	struct spf_record r;
	const char *why = NULL;
	struct slice bad;
	enum spf_record_status st = spf_record_parse(A, exact(c->rec), &r, &why, &bad);
	ck_assert_msg(st == SPF_RECORD_OK, "case %d \"%s\": %s", _i, c->rec, why ? why : "?");
	ck_assert_msg(r.n_mech == c->n, "case %d: %zu mechanisms", _i, r.n_mech);
	for (size_t k = 0; k < c->n; k++) {
		const struct spf_mech *m = &r.mech[k];
		ck_assert_msg(m->kind == c->m[k].kind && m->qual == c->m[k].qual, "case %d mech %zu", _i, k);
		ck_assert_msg(slice_eq(m->domain_spec, slice_from_cstr(c->m[k].domain_spec)),
		              "case %d mech %zu: domain-spec \"%.*s\"", _i, k, (int)m->domain_spec.len,
		              m->domain_spec.ptr);
		if (m->kind == SPF_MECH_A || m->kind == SPF_MECH_MX || m->kind == SPF_MECH_IP4)
			ck_assert_msg(m->cidr4 == c->m[k].cidr4, "case %d mech %zu: cidr4 %u", _i, k, m->cidr4);
		if (m->kind == SPF_MECH_A || m->kind == SPF_MECH_MX || m->kind == SPF_MECH_IP6)
			ck_assert_msg(m->cidr6 == c->m[k].cidr6, "case %d mech %zu: cidr6 %u", _i, k, m->cidr6);
	}
	ck_assert(r.has_redirect == (c->redirect != NULL));
	if (c->redirect)
		ck_assert(slice_eq(r.redirect, slice_from_cstr(c->redirect)));
	ck_assert(r.has_exp == (c->exp != NULL));
	if (c->exp)
		ck_assert(slice_eq(r.exp, slice_from_cstr(c->exp)));
}
END_TEST

START_TEST(spf_record_parse_keeps_the_directive_text_and_counts_dns_terms)
{
	struct spf_record r;
	ck_assert_int_eq(spf_record_parse(A, exact("v=spf1 -include:a.example ip4:192.0.2.1 a mx ptr exists:x.example redirect=b.example"),
	                                  &r, NULL, NULL),
	                 SPF_RECORD_OK);
	ck_assert(slice_eq(r.mech[0].text, SLICE_LIT("-include:a.example")));
	ck_assert_uint_eq(r.n_dns_terms, 6);
	static const uint8_t want[4] = { 192, 0, 2, 1 };
	ck_assert_mem_eq(r.mech[1].net, want, 4);
}
END_TEST

/* ---- syntax errors: every one is a permerror ---- */

static const char *const invalid[] = {
	"v=spf1 -all.",            "v=spf1 -all:foobar",        "v=spf1 -all/8",
	"v=spf1 allx",             "v=spf1 ptr/0",              "v=spf1 ptr:",
	"v=spf1 a//064",           "v=spf1 a/33",               "v=spf1 a//129",
	"v=spf1 a/24/64",          "v=spf1 a/032",              "v=spf1 a:",
	"v=spf1 mx:",              "v=spf1 a:foo-bar",          "v=spf1 a:abc.123",
	"v=spf1 a:111.222.33.44",  "v=spf1 a:museum",           "v=spf1 a:museum.",
	"v=spf1 a:example.-com",   "v=spf1 mx:example.com:8080", "v=spf1 include",
	"v=spf1 include:",         "v=spf1 include:ip5.example.com/24", "v=spf1 exists",
	"v=spf1 exists:",          "v=spf1 exists:mail.example.com/24", "v=spf1 ip4",
	"v=spf1 ip4:",             "v=spf1 ip4:1.2.3",          "v=spf1 ip4:1.2.3.4/33",
	"v=spf1 ip4:1.2.3.4/032",  "v=spf1 ip4:1.2.3.4//32",    "v=spf1 ip4:1.2.3.4:8080",
	"v=spf1 ip4:1.2.03.4",     "v=spf1 ip4:1.2.3.256",      "v=spf1 ip4:1.2.3.4/",
	"v=spf1 ip6",              "v=spf1 ip6::CAFE::BABE",    "v=spf1 ip6:::1.1.1.1//33",
	"v=spf1 ip6:::1/129",      "v=spf1 ip6:1:2:3:4:5:6:7:8:9", "v=spf1 ip6:12345::",
	"v=spf1 ip6:1::2::3",      "v=spf1 ip6:fe80::1%eth0",  "v=spf1 moo",
	"v=spf1 moo.cow/far_out=man:dog/cat", "v=spf1 moo.cow:far_out=man:dog/cat",
	"v=spf1 =all",             "v=spf1 1up=foo",            "v=spf1 exp=",
	"v=spf1 exp=-all",         "v=spf1 redirect=",          "v=spf1 redirect=-all ?all",
	"v=spf1 exp=a.example exp=b.example", "v=spf1 redirect=a.example redirect=b.example",
	"v=spf1 ip4:1.2.3.4 redirect:t2.example.com", "v=spf1 -all foo=%abc",
	"v=spf1 exp=%{r}.example.com", "v=spf1 a:%{a}.example.com", "v=spf1 -exists:%(ir).sbl.example.com",
	"v=spf1 x=%{c}",           "v=spf1 ++all",              "v=spf1 -",
	"v=spf1 a:%{d0}.example.com", "v=spf10",               "v=spf1mx",
};

START_TEST(spf_record_parse_rejects_syntax_errors_anywhere)
{
	struct spf_record r;
	const char *why = NULL;
	struct slice bad;
	enum spf_record_status st = spf_record_parse(A, exact(invalid[_i]), &r, &why, &bad);
	ck_assert_msg(st == SPF_RECORD_SYNTAX, "case %d \"%s\" accepted", _i, invalid[_i]);
	ck_assert_msg(why != NULL, "case %d: no reason", _i);
}
END_TEST

#define S(x) x, sizeof(x) - 1

START_TEST(spf_record_parse_rejects_control_and_8bit_bytes)
{
	static const struct {
		const char *s;
		size_t n;
	} recs[] = {
		{ S("v=spf1 a:\xEF\xBB\xBFgarbage.example.net -all") },
		{ S("v=spf1 \x80" "a:example.net -all") },
		{ S("v=spf1 a:example.net \x96" "all") },
		{ S("v=spf1 a:ctrl.example.com\x0dptr -all") },
		{ S("v=spf1 ip4:192.0.2.5\x0a include:x.example ~all") },
		{ S("v=spf1 a:foo.example.com\0") },
		{ S("v=spf1 -all\t") },
	};
	for (size_t k = 0; k < sizeof recs / sizeof recs[0]; k++) {
		struct spf_record r;
		const char *why = NULL;
		struct slice bad;
		ck_assert_msg(spf_record_parse(A, exact_n(recs[k].s, recs[k].n), &r, &why, &bad) ==
		                      SPF_RECORD_SYNTAX,
		              "case %zu", k);
		ck_assert_ptr_nonnull(why);
	}
}
END_TEST

START_TEST(spf_record_parse_names_the_offending_term)
{
	struct spf_record r;
	const char *why = NULL;
	struct slice bad;
	ck_assert_int_eq(spf_record_parse(A, exact("v=spf1 ip4:1.2.3.4 -all moo"), &r, &why, &bad),
	                 SPF_RECORD_SYNTAX);
	ck_assert(slice_eq(bad, SLICE_LIT("moo")));
	ck_assert_str_eq(why, "unknown mechanism");
}
END_TEST

START_TEST(spf_record_parse_refuses_records_above_the_local_size_limit)
{
	struct buf b;
	buf_init(&b, A, SPF_MAX_RECORD_BYTES * 2);
	buf_add_cstr(&b, "v=spf1");
	while (b.len <= SPF_MAX_RECORD_BYTES)
		buf_add_cstr(&b, " ip4:192.0.2.1");
	struct spf_record r;
	const char *why = NULL;
	ck_assert_int_eq(spf_record_parse(A, buf_slice(&b), &r, &why, NULL), SPF_RECORD_SYNTAX);
	ck_assert_ptr_nonnull(strstr(why, "SPF_MAX_RECORD_BYTES"));
}
END_TEST

START_TEST(spf_record_parse_handles_many_terms_in_linear_time)
{
	/* 4000 bytes of valid mechanisms parse completely. */
	struct buf b;
	buf_init(&b, A, 8192);
	buf_add_cstr(&b, "v=spf1");
	size_t n = 0;
	while (b.len < 4000) {
		buf_addf(&b, " ip4:10.%zu.%zu.0/24", (n / 250) % 250, n % 250);
		n++;
	}
	struct spf_record r;
	const char *why = NULL;
	ck_assert_int_eq(spf_record_parse(A, buf_slice(&b), &r, &why, NULL), SPF_RECORD_OK);
	ck_assert_uint_eq(r.n_mech, n);
}
END_TEST

/* ---- addresses ---- */

struct acase {
	const char *in;
	bool ok;
	unsigned family;
	const char *text;   /* %{c} */
};

static const struct acase addrs[] = {
	{ "192.0.2.3", true, 4, "192.0.2.3" },
	{ "0.0.0.0", true, 4, "0.0.0.0" },
	{ "255.255.255.255", true, 4, "255.255.255.255" },
	{ "::FFFF:1.2.3.4", true, 4, "1.2.3.4" },
	{ "::ffff:c000:0203", true, 4, "192.0.2.3" },
	{ "2001:db8::cb01", true, 6, "2001:db8::cb01" },
	{ "2001:DB8:0:0:0:0:0:CB01", true, 6, "2001:db8::cb01" },
	{ "CAFE:BABE::1", true, 6, "cafe:babe::1" },
	{ "::", true, 6, "::" },
	{ "::1", true, 6, "::1" },
	{ "1::", true, 6, "1::" },
	{ "2001:db8:0:1:1:1:1:1", true, 6, "2001:db8:0:1:1:1:1:1" },
	{ "2001:0:0:1:0:0:0:1", true, 6, "2001:0:0:1::1" },
	{ "2001:db8:0:0:1:0:0:1", true, 6, "2001:db8::1:0:0:1" },
	{ "::1.1.1.1", true, 6, "::101:101" },
	{ "1:2:3:4:5:6:1.2.3.4", true, 6, "1:2:3:4:5:6:102:304" },
	{ "1.2.3", false, 0, NULL },
	{ "1.2.3.4.5", false, 0, NULL },
	{ "01.2.3.4", false, 0, NULL },
	{ "1.2.3.4 ", false, 0, NULL },
	{ "", false, 0, NULL },
	{ ":", false, 0, NULL },
	{ ":::", false, 0, NULL },
	{ "1:2:3:4:5:6:7:8:9", false, 0, NULL },
	{ "1:2:3:4:5:6:7", false, 0, NULL },
	{ "1::2::3", false, 0, NULL },
	{ "1:2:3:4:5:6:7:1.2.3.4", false, 0, NULL },
	{ "12345::1", false, 0, NULL },
	{ "1:", false, 0, NULL },
	{ "::1:", false, 0, NULL },
	{ "g::1", false, 0, NULL },
	{ "::1.2.3", false, 0, NULL },
	{ "[::1]", false, 0, NULL },
};

START_TEST(spf_addr_parses_and_formats_client_addresses)
{
	const struct acase *c = &addrs[_i];
	struct spf_addr a;
	bool ok = spf_addr_parse(exact(c->in), &a);
	ck_assert_msg(ok == c->ok, "case %d \"%s\": ok %d", _i, c->in, ok);
	if (!ok)
		return;
	ck_assert_msg(a.family == c->family, "case %d: family %u", _i, a.family);
	char buf[SPF_ADDR_TEXT_MAX];
	size_t n = spf_addr_format(&a, buf);
	ck_assert_msg(n == strlen(c->text) && memcmp(buf, c->text, n) == 0, "case %d: \"%s\" want \"%s\"",
	              _i, buf, c->text);
}
END_TEST

START_TEST(spf_addr_formats_the_dotted_and_reverse_forms)
{
	struct spf_addr a;
	char buf[SPF_ADDR_REVERSE_MAX];
	ck_assert(spf_addr_parse(SLICE_LIT("192.0.2.3"), &a));
	spf_addr_format_dotted(&a, buf);
	ck_assert_str_eq(buf, "192.0.2.3");
	spf_addr_format_reverse(&a, buf);
	ck_assert_str_eq(buf, "3.2.0.192.in-addr.arpa");
	ck_assert(spf_addr_parse(SLICE_LIT("2001:db8::cb01"), &a));
	spf_addr_format_dotted(&a, buf);
	ck_assert_str_eq(buf, "2.0.0.1.0.D.B.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.C.B.0.1");
	spf_addr_format_reverse(&a, buf);
	ck_assert_str_eq(buf, "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
}
END_TEST

START_TEST(spf_addr_matches_cidr_prefixes_bit_by_bit)
{
	uint8_t a[16], n[16];
	ck_assert(spf_addr_parse_ip4(SLICE_LIT("192.0.2.130"), a));
	ck_assert(spf_addr_parse_ip4(SLICE_LIT("192.0.2.128"), n));
	ck_assert(spf_addr_match(a, n, 4, 25));
	ck_assert(spf_addr_match(a, n, 4, 30));
	ck_assert(!spf_addr_match(a, n, 4, 31));
	ck_assert(!spf_addr_match(a, n, 4, 32));
	ck_assert(spf_addr_match(a, n, 4, 0));
	ck_assert(!spf_addr_match(a, n, 4, 99) || memcmp(a, n, 4) == 0);
	ck_assert(spf_addr_parse_ip6(SLICE_LIT("cafe:babe:8000::1"), a));
	ck_assert(spf_addr_parse_ip6(SLICE_LIT("cafe:babe:8000::"), n));
	ck_assert(spf_addr_match(a, n, 6, 33));
	ck_assert(spf_addr_match(a, n, 6, 127));
	ck_assert(!spf_addr_match(a, n, 6, 128));
	ck_assert(spf_addr_parse_ip6(SLICE_LIT("cafe:babe::"), n));
	ck_assert(spf_addr_match(a, n, 6, 32));
	ck_assert(!spf_addr_match(a, n, 6, 33));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("spf_record");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, spf_record_is_spf1_needs_a_space_or_the_end_after_the_version);
	tcase_add_loop_test(tc, spf_record_parse_accepts_valid_records, 0,
	                    (int)(sizeof valid / sizeof valid[0]));
	tcase_add_test(tc, spf_record_parse_keeps_the_directive_text_and_counts_dns_terms);
	tcase_add_loop_test(tc, spf_record_parse_rejects_syntax_errors_anywhere, 0,
	                    (int)(sizeof invalid / sizeof invalid[0]));
	tcase_add_test(tc, spf_record_parse_rejects_control_and_8bit_bytes);
	tcase_add_test(tc, spf_record_parse_names_the_offending_term);
	tcase_add_test(tc, spf_record_parse_refuses_records_above_the_local_size_limit);
	tcase_add_test(tc, spf_record_parse_handles_many_terms_in_linear_time);
	tcase_add_loop_test(tc, spf_addr_parses_and_formats_client_addresses, 0,
	                    (int)(sizeof addrs / sizeof addrs[0]));
	tcase_add_test(tc, spf_addr_formats_the_dotted_and_reverse_forms);
	tcase_add_test(tc, spf_addr_matches_cidr_prefixes_bit_by_bit);
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
