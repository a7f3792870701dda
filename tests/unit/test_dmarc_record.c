/* test_dmarc_record.c — unit tests for shared/dmarc_record.c: the DMARC
 * Policy Record of RFC 9989 4.7/4.8 (v= first and exact, every tag and its
 * default, invalid values discarded for defaults, unknown tags ignored,
 * one bad tag not losing the others), the 4.10.1 rule for records without
 * a valid p=, the historic RFC 7489 tags, duplicates and hostile input.
 *
 * Inputs are copied into buffers of exactly their length, so the sanitizer
 * build catches any read past the end. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "dmarc.h"
#include "mailauth_limits.h"
#include "slice.h"

static struct arena *A;
static char *copies[64];
static size_t ncopies;

static void setup(void)
{
	A = arena_new(0);
	ck_assert_ptr_nonnull(A);
	ncopies = 0;
}

static void teardown(void)
{
	for (size_t i = 0; i < ncopies; i++)
		free(copies[i]);
	arena_free(A);
	A = NULL;
}

static struct slice exact(const char *s, size_t len)
{
	char *p = malloc(len ? len : 1);
	ck_assert_ptr_nonnull(p);
	memcpy(p, s, len);
	ck_assert_uint_lt(ncopies, 64);
	copies[ncopies++] = p;
	return slice_make(p, len);
}

#define TXT(lit) exact(lit, sizeof(lit) - 1)

static struct dmarc_record parse_ok(struct slice txt)
{
	struct dmarc_record r;
	ck_assert_int_eq(dmarc_record_parse(A, txt, &r), DMARC_REC_OK);
	return r;
}

START_TEST(dmarc_record_parse_reads_a_minimal_record_with_defaults)
{
	struct dmarc_record r = parse_ok(TXT("v=DMARC1; p=reject"));
	ck_assert_int_eq(r.p, DMARC_POLICY_REJECT);
	ck_assert_int_eq(r.sp, DMARC_POLICY_UNSPECIFIED);
	ck_assert_int_eq(r.np, DMARC_POLICY_UNSPECIFIED);
	ck_assert_int_eq(r.adkim, DMARC_ALIGN_RELAXED);
	ck_assert_int_eq(r.aspf, DMARC_ALIGN_RELAXED);
	ck_assert_int_eq(r.psd, DMARC_PSD_U);
	ck_assert(!r.testing);
	ck_assert_uint_eq(r.fo, DMARC_FO_0);
	ck_assert(!r.rua_present && !r.ruf_present);
	ck_assert_uint_eq(r.n_rua, 0);
	ck_assert(!r.has_pct);
	ck_assert_uint_eq(r.pct, 100);
	ck_assert(slice_eq(r.rf, SLICE_LIT("afrf")));
	ck_assert_uint_eq(r.ri, 86400);
	ck_assert_uint_eq(r.n_ignored, 0);
	ck_assert_ptr_null(r.note);
}
END_TEST

START_TEST(dmarc_record_parse_reads_every_tag)
{
	struct dmarc_record r = parse_ok(
		TXT("v=DMARC1; p=quarantine; sp=none; np=reject; psd=n; t=y; adkim=s; aspf=s; "
		    "rua=mailto:a@example.com, mailto:b@example.net!10m; ruf=mailto:f@example.com; "
		    "fo=1:d:s; pct=50; rf=afrf; ri=3600"));
	ck_assert_int_eq(r.p, DMARC_POLICY_QUARANTINE);
	ck_assert_int_eq(r.sp, DMARC_POLICY_NONE);
	ck_assert_int_eq(r.np, DMARC_POLICY_REJECT);
	ck_assert_int_eq(r.psd, DMARC_PSD_N);
	ck_assert(r.testing);
	ck_assert_int_eq(r.adkim, DMARC_ALIGN_STRICT);
	ck_assert_int_eq(r.aspf, DMARC_ALIGN_STRICT);
	ck_assert_uint_eq(r.n_rua, 2);
	ck_assert(slice_eq(r.rua[0], SLICE_LIT("mailto:a@example.com")));
	/* The obsolete size suffix is dropped (RFC 9989 4.8). */
	ck_assert(slice_eq(r.rua[1], SLICE_LIT("mailto:b@example.net")));
	ck_assert_uint_eq(r.n_ruf, 1);
	ck_assert_uint_eq(r.fo, DMARC_FO_1 | DMARC_FO_D | DMARC_FO_S);
	ck_assert(r.has_pct);
	ck_assert_uint_eq(r.pct, 50);
	ck_assert_uint_eq(r.ri, 3600);
	ck_assert_uint_eq(r.n_ignored, 0);
}
END_TEST

START_TEST(dmarc_record_parse_takes_keyword_values_in_any_case)
{
	struct dmarc_record r = parse_ok(TXT("v=DMARC1; p=REJECT; sp=Quarantine; adkim=S; psd=Y; t=Y"));
	ck_assert_int_eq(r.p, DMARC_POLICY_REJECT);
	ck_assert_int_eq(r.sp, DMARC_POLICY_QUARANTINE);
	ck_assert_int_eq(r.adkim, DMARC_ALIGN_STRICT);
	ck_assert_int_eq(r.psd, DMARC_PSD_Y);
	ck_assert(r.testing);
}
END_TEST

struct notdmarc_case {
	const char *txt;
	size_t len;
};
#define NC(s) { s, sizeof(s) - 1 }
static const struct notdmarc_case not_dmarc[] = {
	NC(""),
	NC("v=spf1 -all"),
	NC("p=reject; v=DMARC1"),   /* v must be first */
	NC("v=dmarc1; p=reject"),   /* case-sensitive value */
	NC("V=DMARC1; p=reject"),   /* tag names are case-sensitive */
	NC("v=DMARC1x; p=reject"),
	NC("v=DMARC2; p=reject"),
	NC("v=DMARC1 extra; p=reject"),
	NC("v=; p=reject"),
	NC("vv=DMARC1; p=reject"),
	NC("; v=DMARC1; p=reject"),
	NC("v=DMARC1\x00; p=reject"),
	NC("garbage"),
};

START_TEST(dmarc_record_parse_ignores_records_not_starting_with_v_dmarc1)
{
	const struct notdmarc_case *c = &not_dmarc[_i];
	struct dmarc_record r;
	ck_assert_msg(dmarc_record_parse(A, exact(c->txt, c->len), &r) == DMARC_REC_NOT_DMARC,
	              "case %d accepted", _i);
}
END_TEST

START_TEST(dmarc_record_parse_accepts_whitespace_around_tags)
{
	struct dmarc_record r = parse_ok(TXT("  v = DMARC1 ;\tp = none ; aspf= s ;"));
	ck_assert_int_eq(r.p, DMARC_POLICY_NONE);
	ck_assert_int_eq(r.aspf, DMARC_ALIGN_STRICT);
	ck_assert_uint_eq(r.n_ignored, 0);
}
END_TEST

START_TEST(dmarc_record_parse_ignores_unknown_tags)
{
	struct dmarc_record r = parse_ok(TXT("v=DMARC1; p=none; foo=bar; x_y=1; newtag=some value"));
	ck_assert_int_eq(r.p, DMARC_POLICY_NONE);
	ck_assert_uint_eq(r.n_ignored, 3);
	ck_assert_ptr_null(r.note); /* unknown tags are not problems */
}
END_TEST

START_TEST(dmarc_record_parse_keeps_the_other_tags_around_a_syntax_error)
{
	/* RFC 9989 4.8: syntax errors are discarded, not the record. */
	struct dmarc_record r = parse_ok(TXT("v=DMARC1; p=reject; garbage; aspf=s;; 9x=1; adkim=s"));
	ck_assert_int_eq(r.p, DMARC_POLICY_REJECT);
	ck_assert_int_eq(r.aspf, DMARC_ALIGN_STRICT);
	ck_assert_int_eq(r.adkim, DMARC_ALIGN_STRICT);
	ck_assert_uint_eq(r.n_ignored, 2);
	ck_assert_str_eq(r.note, "tag syntax error");

	r = parse_ok(TXT("v=DMARC1; p=quarantine; x=\x01\x02; sp=none"));
	ck_assert_int_eq(r.p, DMARC_POLICY_QUARANTINE);
	ck_assert_int_eq(r.sp, DMARC_POLICY_NONE);
}
END_TEST

START_TEST(dmarc_record_parse_discards_invalid_values_for_defaults)
{
	struct dmarc_record r = parse_ok(TXT("v=DMARC1; p=none; adkim=x; aspf=relaxed; psd=maybe; "
	                                     "t=yes; fo=0:1; pct=101; ri=-5; rf="));
	ck_assert_int_eq(r.adkim, DMARC_ALIGN_RELAXED);
	ck_assert_int_eq(r.aspf, DMARC_ALIGN_RELAXED);
	ck_assert_int_eq(r.psd, DMARC_PSD_U);
	ck_assert(!r.testing);
	ck_assert_uint_eq(r.fo, DMARC_FO_0);
	ck_assert(!r.has_pct);
	ck_assert_uint_eq(r.pct, 100);
	ck_assert_uint_eq(r.ri, 86400);
	ck_assert(slice_eq(r.rf, SLICE_LIT("afrf")));
	ck_assert_uint_eq(r.n_ignored, 8);
}
END_TEST

struct fo_case {
	const char *v;
	unsigned want; /* 0: invalid, default kept */
};
static const struct fo_case fo_cases[] = {
	{ "0", DMARC_FO_0 },
	{ "1", DMARC_FO_1 },
	{ "d", DMARC_FO_D },
	{ "s", DMARC_FO_S },
	{ "0:d", DMARC_FO_0 | DMARC_FO_D },
	{ "d:s:1", DMARC_FO_D | DMARC_FO_S | DMARC_FO_1 },
	{ "D:S", DMARC_FO_D | DMARC_FO_S },
	{ "0:1", 0 },
	{ "d:d", 0 },
	{ "x", 0 },
	{ "0::d", 0 },
	{ "0:", 0 },
};

START_TEST(dmarc_record_parse_checks_fo_per_the_grammar)
{
	char txt[64];
	int n = snprintf(txt, sizeof txt, "v=DMARC1; p=none; fo=%s", fo_cases[_i].v);
	struct dmarc_record r = parse_ok(exact(txt, (size_t)n));
	unsigned want = fo_cases[_i].want ? fo_cases[_i].want : DMARC_FO_0;
	ck_assert_msg(r.fo == want, "fo=%s gave %u", fo_cases[_i].v, r.fo);
	ck_assert_uint_eq(r.n_ignored, fo_cases[_i].want ? 0 : 1);
}
END_TEST

START_TEST(dmarc_record_parse_keeps_only_valid_reporting_uris)
{
	struct dmarc_record r = parse_ok(
		TXT("v=DMARC1; p=none; rua=notauri, mailto:ok@example.com ,:bad, "
		    "mailto:x@example.com!zz, 1http://x, https://r.example/dmarc?x=%41, mailto:sp ace@x, "
		    "mailto:pct@%zz"));
	ck_assert(r.rua_present);
	ck_assert_uint_eq(r.n_rua, 2);
	ck_assert(slice_eq(r.rua[0], SLICE_LIT("mailto:ok@example.com")));
	ck_assert(slice_eq(r.rua[1], SLICE_LIT("https://r.example/dmarc?x=%41")));
	ck_assert_str_eq(r.note, "invalid reporting URI");
}
END_TEST

START_TEST(dmarc_record_parse_bounds_the_uri_list)
{
	char txt[8192];
	size_t n = (size_t)snprintf(txt, sizeof txt, "v=DMARC1; p=none; rua=");
	for (int i = 0; i < 100; i++)
		n += (size_t)snprintf(txt + n, sizeof txt - n, "%smailto:r%d@example.com", i ? "," : "", i);
	struct dmarc_record r = parse_ok(exact(txt, n));
	ck_assert_uint_eq(r.n_rua, DMARC_MAX_REPORT_URIS);
}
END_TEST

START_TEST(dmarc_record_parse_treats_a_repeated_tag_as_invalid)
{
	struct dmarc_record r = parse_ok(TXT("v=DMARC1; p=reject; p=none; adkim=s; adkim=s; sp=none"));
	ck_assert(r.p_invalid);
	ck_assert_int_eq(r.p, DMARC_POLICY_UNSPECIFIED);
	ck_assert_int_eq(r.adkim, DMARC_ALIGN_RELAXED);
	ck_assert_int_eq(r.sp, DMARC_POLICY_NONE);
	ck_assert_str_eq(r.note, "p= given twice");
	/* A repeated v=DMARC1 changes nothing. */
	r = parse_ok(TXT("v=DMARC1; v=DMARC1; p=quarantine"));
	ck_assert_int_eq(r.p, DMARC_POLICY_QUARANTINE);
}
END_TEST

START_TEST(dmarc_record_effective_applies_the_rua_rule_of_4_10_1)
{
	struct dmarc_record r, eff;
	bool degraded;

	r = parse_ok(TXT("v=DMARC1; p=reject; sp=quarantine"));
	ck_assert(dmarc_record_effective(&r, &eff, &degraded));
	ck_assert(!degraded);
	ck_assert_int_eq(eff.p, DMARC_POLICY_REJECT);
	ck_assert_int_eq(eff.sp, DMARC_POLICY_QUARANTINE);

	/* No p= at all, a valid rua=: as if p=none. */
	r = parse_ok(TXT("v=DMARC1; rua=mailto:d@example.com"));
	ck_assert(dmarc_record_effective(&r, &eff, &degraded));
	ck_assert(degraded);
	ck_assert_int_eq(eff.p, DMARC_POLICY_NONE);

	/* No p=, no rua=: no DMARC processing. */
	r = parse_ok(TXT("v=DMARC1; sp=reject"));
	ck_assert(!dmarc_record_effective(&r, &eff, &degraded));

	/* Invalid p=, rua= with no valid URI: no DMARC processing. */
	r = parse_ok(TXT("v=DMARC1; p=block; rua=nonsense"));
	ck_assert(!dmarc_record_effective(&r, &eff, &degraded));

	/* Valid p=, invalid sp=, valid rua=: everything none. */
	r = parse_ok(TXT("v=DMARC1; p=reject; sp=bogus; rua=mailto:d@example.com"));
	ck_assert(dmarc_record_effective(&r, &eff, &degraded));
	ck_assert(degraded);
	ck_assert_int_eq(eff.p, DMARC_POLICY_NONE);
	ck_assert_int_eq(eff.sp, DMARC_POLICY_NONE);
	ck_assert_int_eq(eff.np, DMARC_POLICY_NONE);

	/* Invalid np= without rua=: not used. */
	r = parse_ok(TXT("v=DMARC1; p=reject; np=maybe"));
	ck_assert(!dmarc_record_effective(&r, &eff, &degraded));
}
END_TEST

START_TEST(dmarc_record_parse_is_bounded_on_hostile_records)
{
	/* 20000 tags, long values, then random bytes: always a defined
	 * answer, never a crash (the sanitizer build checks memory). */
	size_t cap = 400000, n = 0;
	char *big = malloc(cap);
	n += (size_t)snprintf(big, cap, "v=DMARC1; p=reject");
	for (int i = 0; i < 20000 && n + 16 < cap; i++)
		n += (size_t)snprintf(big + n, cap - n, "; t%d=%d", i, i);
	struct dmarc_record r;
	ck_assert_int_eq(dmarc_record_parse(A, slice_make(big, n), &r), DMARC_REC_OK);
	ck_assert_int_eq(r.p, DMARC_POLICY_REJECT);

	unsigned seed = 12345;
	for (int round = 0; round < 2000; round++) {
		size_t len = (size_t)(rand_r(&seed) % 200);
		memcpy(big, "v=DMARC1;", 9);
		for (size_t i = 9; i < len + 9; i++) {
			static const char alpha[] = "pv=;DMARC1 adkimspf,!:rua\x00\xff\t\r\nsnqt";
			big[i] = alpha[rand_r(&seed) % (sizeof alpha - 1)];
		}
		struct arena *t = arena_new(1u << 20);
		enum dmarc_rec_status st = dmarc_record_parse(t, slice_make(big, len + 9), &r);
		ck_assert(st == DMARC_REC_OK || st == DMARC_REC_NOT_DMARC);
		arena_free(t);
	}
	free(big);
}
END_TEST

START_TEST(dmarc_record_parse_reports_nomem)
{
	struct arena *tiny = arena_new(64);
	struct dmarc_record r;
	struct slice txt = TXT("v=DMARC1; p=reject; rua=mailto:a@example.com; sp=none; np=none");
	ck_assert_int_eq(dmarc_record_parse(tiny, txt, &r), DMARC_REC_NOMEM);
	arena_free(tiny);
}
END_TEST

START_TEST(dmarc_words_are_the_rfc_words)
{
	ck_assert_str_eq(dmarc_result_str(DMARC_PASS), "pass");
	ck_assert_str_eq(dmarc_result_str(DMARC_FAIL), "fail");
	ck_assert_str_eq(dmarc_result_str(DMARC_NONE), "none");
	ck_assert_str_eq(dmarc_result_str(DMARC_TEMPERROR), "temperror");
	ck_assert_str_eq(dmarc_result_str(DMARC_PERMERROR), "permerror");
	ck_assert_str_eq(dmarc_policy_str(DMARC_POLICY_UNSPECIFIED), "");
	ck_assert_str_eq(dmarc_policy_str(DMARC_POLICY_NONE), "none");
	ck_assert_str_eq(dmarc_policy_str(DMARC_POLICY_QUARANTINE), "quarantine");
	ck_assert_str_eq(dmarc_policy_str(DMARC_POLICY_REJECT), "reject");
	ck_assert_str_eq(dmarc_override_str(DMARC_OVERRIDE_LOCAL_POLICY), "local_policy");
	ck_assert_str_eq(dmarc_override_str(DMARC_OVERRIDE_TRUSTED_FORWARDER), "trusted_forwarder");
	ck_assert_str_eq(dmarc_override_str(DMARC_OVERRIDE_MAILING_LIST), "mailing_list");
	ck_assert_str_eq(dmarc_override_str(DMARC_OVERRIDE_SAMPLED_OUT), "sampled_out");
	ck_assert_str_eq(dmarc_override_str(DMARC_OVERRIDE_POLICY_TEST_MODE), "policy_test_mode");
	ck_assert_str_eq(dmarc_found_at_str(DMARC_FOUND_PSD), "psd");
	ck_assert_str_eq(dmarc_policy_tag_str(DMARC_TAG_NP), "np");
	ck_assert_str_eq(dmarc_lookup_str(DMARC_LOOKUP_MULTIPLE), "multiple");
}
END_TEST

START_TEST(dmarc_rng_is_reproducible_and_uniform_enough)
{
	struct dmarc_rng a, b;
	dmarc_rng_seed(&a, 42);
	dmarc_rng_seed(&b, 42);
	unsigned hist[100] = { 0 };
	for (int i = 0; i < 100000; i++) {
		unsigned x = dmarc_rng_percent(&a);
		ck_assert_uint_eq(x, dmarc_rng_percent(&b));
		ck_assert_uint_lt(x, 100);
		hist[x]++;
	}
	for (int i = 0; i < 100; i++)
		ck_assert_msg(hist[i] > 800 && hist[i] < 1200, "bucket %d: %u", i, hist[i]);
	/* An unseeded generator seeds itself. */
	struct dmarc_rng c = { 0 };
	ck_assert_uint_lt(dmarc_rng_percent(&c), 100);
	ck_assert(c.seeded);
}
END_TEST

static Suite *dmarc_record_suite(void)
{
	Suite *s = suite_create("dmarc_record");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, dmarc_record_parse_reads_a_minimal_record_with_defaults);
	tcase_add_test(tc, dmarc_record_parse_reads_every_tag);
	tcase_add_test(tc, dmarc_record_parse_takes_keyword_values_in_any_case);
	tcase_add_loop_test(tc, dmarc_record_parse_ignores_records_not_starting_with_v_dmarc1, 0,
	                    (int)(sizeof not_dmarc / sizeof not_dmarc[0]));
	tcase_add_test(tc, dmarc_record_parse_accepts_whitespace_around_tags);
	tcase_add_test(tc, dmarc_record_parse_ignores_unknown_tags);
	tcase_add_test(tc, dmarc_record_parse_keeps_the_other_tags_around_a_syntax_error);
	tcase_add_test(tc, dmarc_record_parse_discards_invalid_values_for_defaults);
	tcase_add_loop_test(tc, dmarc_record_parse_checks_fo_per_the_grammar, 0,
	                    (int)(sizeof fo_cases / sizeof fo_cases[0]));
	tcase_add_test(tc, dmarc_record_parse_keeps_only_valid_reporting_uris);
	tcase_add_test(tc, dmarc_record_parse_bounds_the_uri_list);
	tcase_add_test(tc, dmarc_record_parse_treats_a_repeated_tag_as_invalid);
	tcase_add_test(tc, dmarc_record_effective_applies_the_rua_rule_of_4_10_1);
	tcase_add_test(tc, dmarc_record_parse_is_bounded_on_hostile_records);
	tcase_add_test(tc, dmarc_record_parse_reports_nomem);
	tcase_add_test(tc, dmarc_words_are_the_rfc_words);
	tcase_add_test(tc, dmarc_rng_is_reproducible_and_uniform_enough);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(dmarc_record_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
