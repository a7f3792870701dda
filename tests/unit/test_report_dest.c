/* test_report_dest.c — unit tests for shared/report_dest.c: rua= URIs
 * (mailto only, percent-encoding, size suffixes), and the verification of
 * external destinations (RFC 9990 "Verifying External Destinations")
 * through the real libunbound answering from a zone file: authorized,
 * not authorized (no record, not v=DMARC1), a rua= that replaces the
 * destination, one that points elsewhere, and a DNS timeout. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "dns.h"
#include "report_dest.h"
#include "slice.h"
#include "testutil.h"

static const char ZONE[] =
	"example.com._report._dmarc.reports.example. TXT \"v=DMARC1\"\n"
	"redirect.example._report._dmarc.reports.example. TXT "
	"\"v=DMARC1; rua=mailto:other@reports.example!5m, mailto:third@Reports.Example\"\n"
	"elsewhere.example._report._dmarc.reports.example. TXT "
	"\"v=DMARC1; rua=mailto:x@attacker.example\"\n"
	"notdmarc.example._report._dmarc.reports.example. TXT \"v=spf1 -all\"\n"
	"lower.example._report._dmarc.reports.example. TXT \"v=dmarc1\"\n"
	"slow.example._report._dmarc.reports.example. TIMEOUT\n";

static char *zone_path;
static struct dns_resolver *R;
static struct arena *A;

static void unchecked_setup(void)
{
	char err[512], spec[4200];
	zone_path = testutil_write_temp(ZONE, sizeof ZONE - 1, ".zone");
	ck_assert_ptr_nonnull(zone_path);
	snprintf(spec, sizeof spec, "zone:%s", zone_path);
	R = dns_resolver_new(spec, err, sizeof err);
	ck_assert_msg(R != NULL, "%s", err);
}

static void unchecked_teardown(void)
{
	dns_resolver_free(R);
	unlink(zone_path);
	free(zone_path);
}

static void setup(void)
{
	A = arena_new(0);
	ck_assert_ptr_nonnull(A);
}

static void teardown(void)
{
	arena_free(A);
}

static struct slice S(const char *s)
{
	return slice_make(s, strlen(s));
}

START_TEST(mailto_uris_are_parsed_with_their_size_limits)
{
	static const struct {
		const char *text, *addr, *host;
		uint64_t max;
	} ok[] = {
		{ "mailto:dmarc@example.com", "dmarc@example.com", "example.com", 0 },
		{ " MAILTO:dmarc@Example.COM ", "dmarc@example.com", "example.com", 0 },
		{ "mailto:dmarc@example.com!10m", "dmarc@example.com", "example.com", 10ull << 20 },
		{ "mailto:d@example.com!100", "d@example.com", "example.com", 100 },
		{ "mailto:d@example.com!2k", "d@example.com", "example.com", 2048 },
		{ "mailto:d@example.com!1g", "d@example.com", "example.com", 1ull << 30 },
		{ "mailto:d@example.com!1T", "d@example.com", "example.com", 1ull << 40 },
		{ "mailto:d%2Breports@example.com", "d+reports@example.com", "example.com", 0 },
		{ "mailto:d@example.com?subject=x", "d@example.com", "example.com", 0 },
		{ "mailto:d@example.com.", "d@example.com", "example.com", 0 },
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		struct report_uri u;
		const char *why = NULL;
		ck_assert_msg(report_uri_parse(A, S(ok[i].text), &u, &why) == REPORT_URI_OK,
		              "case %zu: %s", i, why);
		ck_assert_msg(slice_eq(u.address, S(ok[i].addr)), "case %zu: %.*s", i,
		              (int)u.address.len, u.address.ptr);
		ck_assert_msg(slice_eq(u.host, S(ok[i].host)), "case %zu", i);
		ck_assert_msg(u.max_bytes == ok[i].max, "case %zu: %llu", i,
		              (unsigned long long)u.max_bytes);
	}
	static const struct {
		const char *text;
		enum report_uri_status st;
		const char *why;
	} bad[] = {
		{ "https://example.com/dmarc", REPORT_URI_UNSUPPORTED, "only mailto" },
		{ "mailto:example.com", REPORT_URI_BAD, "no address" },
		{ "mailto:@example.com", REPORT_URI_BAD, "local part" },
		{ "mailto:a,b@example.com", REPORT_URI_BAD, "local part" },
		{ "mailto:a%0Ab@example.com", REPORT_URI_BAD, "local part" },
		{ "mailto:a%2Cb@example.com", REPORT_URI_BAD, "local part" },
		{ "mailto:a%zzb@example.com", REPORT_URI_BAD, "percent" },
		{ "mailto:a@exa mple.com", REPORT_URI_BAD, "domain" },
		{ "mailto:a@example.com!10x", REPORT_URI_BAD, "size" },
		{ "mailto:a@example.com!", REPORT_URI_BAD, "size" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct report_uri u;
		const char *why = "";
		ck_assert_msg(report_uri_parse(A, S(bad[i].text), &u, &why) == bad[i].st,
		              "case %zu (%s) accepted", i, bad[i].text);
		ck_assert_msg(strstr(why, bad[i].why), "case %zu: '%s'", i, why);
	}
}
END_TEST

static struct report_uri uri(const char *text)
{
	struct report_uri u;
	const char *why = NULL;
	ck_assert_msg(report_uri_parse(A, S(text), &u, &why) == REPORT_URI_OK, "%s", why);
	return u;
}

#define DEADLINE() (dns_now_ms() + 5000)

START_TEST(a_destination_in_the_same_organization_needs_no_check)
{
	struct report_uri u = uri("mailto:dmarc@reports.example.com");
	struct report_dest d;
	/* No resolver at all: nothing is asked. */
	ck_assert_int_eq(report_dest_check(NULL, A, S("Mail.Example.com"), &u, DEADLINE(), &d),
	                 REPORT_DEST_OK);
	ck_assert(!d.external);
	ck_assert_uint_eq(d.n_uris, 1);
	ck_assert(slice_eq(d.uris[0].address, S("dmarc@reports.example.com")));
}
END_TEST

START_TEST(an_authorized_external_destination_is_accepted)
{
	struct report_uri u = uri("mailto:agg@reports.example!1m");
	struct report_dest d;
	ck_assert_int_eq(report_dest_check(R, A, S("example.com"), &u, DEADLINE(), &d),
	                 REPORT_DEST_OK);
	ck_assert(d.external);
	ck_assert_uint_eq(d.n_uris, 1);
	ck_assert(slice_eq(d.uris[0].address, S("agg@reports.example")));
	ck_assert_uint_eq(d.uris[0].max_bytes, 1u << 20);
}
END_TEST

START_TEST(an_unauthorized_external_destination_is_refused_with_the_reason)
{
	static const struct {
		const char *pdomain, *why;
	} cases[] = {
		{ "other.com",
		  "reports.example does not authorize reports for other domains: no TXT record at "
		  "other.com._report._dmarc.reports.example" },
		{ "notdmarc.example", "no v=DMARC1 record at notdmarc.example._report._dmarc" },
		/* Tag values are case-sensitive: "v=dmarc1" does not authorize. */
		{ "lower.example", "no v=DMARC1 record" },
		{ "elsewhere.example", "redirects reports to another host (attacker.example)" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct report_uri u = uri("mailto:agg@reports.example");
		struct report_dest d;
		ck_assert_msg(report_dest_check(R, A, S(cases[i].pdomain), &u, DEADLINE(), &d) ==
		                      REPORT_DEST_REFUSED,
		              "case %zu not refused", i);
		ck_assert(d.external);
		ck_assert_msg(strstr(d.why, cases[i].why), "case %zu: '%s'", i, d.why);
	}
}
END_TEST

START_TEST(a_rua_in_the_authorization_replaces_the_destination_on_the_same_host)
{
	struct report_uri u = uri("mailto:agg@reports.example");
	struct report_dest d;
	ck_assert_int_eq(report_dest_check(R, A, S("redirect.example"), &u, DEADLINE(), &d),
	                 REPORT_DEST_OK);
	ck_assert_uint_eq(d.n_uris, 2);
	ck_assert(slice_eq(d.uris[0].address, S("other@reports.example")));
	ck_assert_uint_eq(d.uris[0].max_bytes, 5u << 20);
	ck_assert(slice_eq(d.uris[1].address, S("third@reports.example")));
}
END_TEST

START_TEST(dns_trouble_defers_the_destination)
{
	struct report_uri u = uri("mailto:agg@reports.example");
	struct report_dest d;
	ck_assert_int_eq(report_dest_check(R, A, S("slow.example"), &u, dns_now_ms() + 600, &d),
	                 REPORT_DEST_TEMPFAIL);
	ck_assert_msg(strstr(d.why, "slow.example._report._dmarc.reports.example"), "%s", d.why);
	ck_assert_int_eq(report_dest_check(NULL, A, S("example.com"), &u, DEADLINE(), &d),
	                 REPORT_DEST_TEMPFAIL);
	ck_assert_msg(strstr(d.why, "no resolver"), "%s", d.why);
}
END_TEST

static Suite *dest_suite(void)
{
	Suite *s = suite_create("report_dest");
	TCase *tc = tcase_create("dest");
	tcase_add_unchecked_fixture(tc, unchecked_setup, unchecked_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, mailto_uris_are_parsed_with_their_size_limits);
	tcase_add_test(tc, a_destination_in_the_same_organization_needs_no_check);
	tcase_add_test(tc, an_authorized_external_destination_is_accepted);
	tcase_add_test(tc, an_unauthorized_external_destination_is_refused_with_the_reason);
	tcase_add_test(tc, a_rua_in_the_authorization_replaces_the_destination_on_the_same_host);
	tcase_add_test(tc, dns_trouble_defers_the_destination);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(dest_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
