/* test_spf.c — unit tests for shared/spf.c and shared/spf_fields.c:
 * check_host() through the real DNS layer (libunbound answering from a zone
 * file written by the test): every mechanism and modifier, both identities
 * (MAIL FROM, HELO, and HELO used for the null sender, RFC 7208 2.4), the
 * 4.6.4 limits with their reasons, DNS failures, explanations, the answer
 * cache, and the Exim-style strings (Received-SPF, header/SMTP comments,
 * Authentication-Results entry). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "dns.h"
#include "mailauth_limits.h"
#include "slice.h"
#include "spf.h"
#include "testutil.h"

static const char ZONE[] =
	"; test_spf.c zone\n"
	"pass.test. TXT \"v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 -all\"\n"
	"split.test. TXT \"v=spf1 ip4:\" \"192.0.2.1 -all\"\n"
	"other.split.test. TXT \"unrelated text\"\n"
	"soft.test. TXT \"v=spf1 ~all\"\n"
	"neutral.test. TXT \"v=spf1 ?all\"\n"
	"default.test. TXT \"v=spf1 ip4:203.0.113.1\"\n"
	"exp.test. TXT \"v=spf1 -all exp=why.exp.test\"\n"
	"why.exp.test. TXT \"%{i} is not one of %{d}'s servers (%{l})\"\n"
	"expbad.test. TXT \"v=spf1 -all exp=why.expbad.test\"\n"
	"why.expbad.test. TXT \"%{z}\"\n"
	"exptimeout.test. TXT \"v=spf1 -all exp=slow.test\"\n"
	"two.test. TXT \"v=spf1 -all\"\n"
	"two.test. TXT \"v=spf1 +all\"\n"
	"notspf.test. TXT \"v=spf10 +all\"\n"
	"syntax.test. TXT \"v=spf1 ip4:192.0.2.1 -all moo\"\n"
	"inc.test. TXT \"v=spf1 include:pass.test include:soft.test -all\"\n"
	"incnone.test. TXT \"v=spf1 include:nothing.test -all\"\n"
	"inctemp.test. TXT \"v=spf1 include:slow.test -all\"\n"
	"redir.test. TXT \"v=spf1 redirect=pass.test\"\n"
	"redirnone.test. TXT \"v=spf1 redirect=nothing.test\"\n"
	"redirexp.test. TXT \"v=spf1 exp=why.exp.test redirect=exp.test\"\n"
	"a.test. TXT \"v=spf1 a a:host.a.test/24 a:v6.a.test//64 -all\"\n"
	"a.test. A 198.51.100.7\n"
	"host.a.test. A 203.0.113.9\n"
	"v6.a.test. AAAA 2001:db8:aa::1\n"
	"mx.test. TXT \"v=spf1 mx -all\"\n"
	"mx.test. MX 20 mx2.mx.test.\n"
	"mx.test. MX 10 mx1.mx.test.\n"
	"mx1.mx.test. A 192.0.2.10\n"
	"mx2.mx.test. A 192.0.2.20\n"
	"mx2.mx.test. AAAA 2001:db8:20::1\n"
	"mxmany.test. TXT \"v=spf1 mx -all\"\n"
	"ptr.test. TXT \"v=spf1 ptr -all\"\n"
	"mail.ptr.test. A 192.0.2.50\n"
	"50.2.0.192.in-addr.arpa. PTR mail.ptr.test.\n"
	"51.2.0.192.in-addr.arpa. PTR mail.ptr.test.\n"
	"pmacro.test. TXT \"v=spf1 -all exp=pwhy.pmacro.test\"\n"
	"pwhy.pmacro.test. TXT \"p=%{p} v=%{v} h=%{h}\"\n"
	"exists.test. TXT \"v=spf1 exists:%{ir}.list.exists.test -all\"\n"
	"1.2.0.192.list.exists.test. A 127.0.0.2\n"
	"helo.test. TXT \"v=spf1 ip4:192.0.2.77 -all\"\n"
	"limit10.test. TXT \"v=spf1 a a a a a a a a a a ip4:192.0.2.1 -all\"\n"
	"limit11.test. TXT \"v=spf1 a a a a a a a a a a a ip4:192.0.2.1 -all\"\n"
	"limit10.test. A 198.51.100.1\n"
	"limit11.test. A 198.51.100.1\n"
	"void2.test. TXT \"v=spf1 a:n1.void.test a:n2.void.test ?all\"\n"
	"void3.test. TXT \"v=spf1 a:n1.void.test a:n2.void.test a:n3.void.test ?all\"\n"
	"mxtemp.test. TXT \"v=spf1 mx -all\"\n"
	"mxtemp.test. MX 10 slowmx.test.\n"
	"ipv6only.test. TXT \"v=spf1 ip6:2001:db8::/32 -all\"\n"
	"quote.test. TXT \"v=spf1 -all\"\n"
	"slow.test. TIMEOUT\n"
	"slowmx.test. TIMEOUT\n";

static char *zone_path;
static struct dns_resolver *R;
static struct arena *A;

static void setup(void)
{
	char err[512];
	zone_path = testutil_write_temp(ZONE, sizeof ZONE - 1, ".zone");
	ck_assert_ptr_nonnull(zone_path);
	char spec[4200];
	snprintf(spec, sizeof spec, "zone:%s", zone_path);
	R = dns_resolver_new(spec, err, sizeof err);
	ck_assert_msg(R != NULL, "resolver: %s", err);
	A = arena_new(0);
	ck_assert_ptr_nonnull(A);
}

static void teardown(void)
{
	arena_free(A);
	dns_resolver_free(R);
	unlink(zone_path);
	free(zone_path);
}

static struct spf_request req(const char *ip, const char *helo, const char *from)
{
	struct spf_request r;
	memset(&r, 0, sizeof r);
	r.ip = slice_from_cstr(ip);
	r.helo = slice_from_cstr(helo);
	r.mail_from = slice_from_cstr(from);
	r.receiver = SLICE_LIT("mx.receiver.test");
	r.now = 1700000000;
	return r;
}

/* Check with a short budget (TIMEOUT names wait for it). */
static struct spf_outcome check(const char *ip, const char *helo, const char *from)
{
	struct spf_request r = req(ip, helo, from);
	struct spf_outcome o;
	int rc = spf_check(R, A, &r, dns_now_ms() + 1500, &o);
	ck_assert_int_eq(rc, SPF_OK);
	ck_assert_ptr_nonnull(o.reason);
	return o;
}

#define ASSERT_RESULT(o, want)                                                                     \
	ck_assert_msg((o).result == (want), "result %s, want %s (reason: %s)",                         \
	              spf_result_str((o).result), spf_result_str(want), (o).reason)

static bool contains(const char *hay, const char *needle)
{
	return hay && strstr(hay, needle) != NULL;
}

START_TEST(spf_check_passes_listed_addresses_and_fails_others)
{
	struct spf_outcome o = check("192.0.2.9", "h.test", "user@pass.test");
	ASSERT_RESULT(o, SPF_PASS);
	ck_assert(slice_eq(o.mechanism, SLICE_LIT("ip4:192.0.2.0/24")));
	ck_assert(slice_eq(o.domain, SLICE_LIT("pass.test")));
	ck_assert(!o.used_helo);
	o = check("2001:db8:1::5", "h.test", "user@pass.test");
	ASSERT_RESULT(o, SPF_PASS);
	o = check("::ffff:192.0.2.200", "h.test", "user@pass.test");
	ASSERT_RESULT(o, SPF_PASS);
	o = check("198.51.100.1", "h.test", "user@pass.test");
	ASSERT_RESULT(o, SPF_FAIL);
	ck_assert(slice_eq(o.mechanism, SLICE_LIT("-all")));
	/* default explanation */
	ck_assert(slice_eq(o.explanation, SLICE_LIT("pass.test does not designate 198.51.100.1 as permitted sender")));
}
END_TEST

START_TEST(spf_check_joins_multi_string_txt_records_and_ignores_other_txt)
{
	struct spf_outcome o = check("192.0.2.1", "h.test", "u@split.test");
	ASSERT_RESULT(o, SPF_PASS);
	o = check("192.0.2.1", "h.test", "u@other.split.test");
	ASSERT_RESULT(o, SPF_NONE);
	o = check("192.0.2.1", "h.test", "u@notspf.test");
	ASSERT_RESULT(o, SPF_NONE);
	o = check("192.0.2.1", "h.test", "u@does-not-exist.test");
	ASSERT_RESULT(o, SPF_NONE);
}
END_TEST

START_TEST(spf_check_gives_each_qualifier_its_result)
{
	ASSERT_RESULT(check("192.0.2.1", "h.test", "u@soft.test"), SPF_SOFTFAIL);
	ASSERT_RESULT(check("192.0.2.1", "h.test", "u@neutral.test"), SPF_NEUTRAL);
	struct spf_outcome o = check("192.0.2.1", "h.test", "u@default.test");
	ASSERT_RESULT(o, SPF_NEUTRAL);
	ck_assert_uint_eq(o.mechanism.len, 0);
	ck_assert(contains(o.reason, "default"));
}
END_TEST

START_TEST(spf_check_selects_exactly_one_record_and_checks_the_whole_syntax)
{
	struct spf_outcome o = check("192.0.2.1", "h.test", "u@two.test");
	ASSERT_RESULT(o, SPF_PERMERROR);
	ck_assert(contains(o.reason, "2 v=spf1 records"));
	/* ip4 matches first, but "moo" later is still a permerror (4.6) */
	o = check("192.0.2.1", "h.test", "u@syntax.test");
	ASSERT_RESULT(o, SPF_PERMERROR);
	ck_assert(contains(o.reason, "unknown mechanism"));
	ck_assert(contains(o.reason, "moo"));
}
END_TEST

START_TEST(spf_check_fetches_exp_only_for_fail_and_expands_it)
{
	struct spf_outcome o = check("192.0.2.1", "h.test", "jo@exp.test");
	ASSERT_RESULT(o, SPF_FAIL);
	ck_assert_msg(slice_eq(o.explanation, SLICE_LIT("192.0.2.1 is not one of exp.test's servers (jo)")),
	              "explanation \"%.*s\"", (int)o.explanation.len, o.explanation.ptr);
	/* bad macro in the explanation text: default explanation */
	o = check("192.0.2.1", "h.test", "jo@expbad.test");
	ASSERT_RESULT(o, SPF_FAIL);
	ck_assert(slice_eq(o.explanation, SLICE_LIT("expbad.test does not designate 192.0.2.1 as permitted sender")));
	/* exp lookup times out: still fail, default explanation */
	o = check("192.0.2.1", "h.test", "jo@exptimeout.test");
	ASSERT_RESULT(o, SPF_FAIL);
	ck_assert(slice_starts_with_ci(o.explanation, SLICE_LIT("exptimeout.test does not")));
	/* a configured default explanation is a macro string too */
	struct spf_request r = req("198.51.100.2", "h.test", "jo@pass.test");
	r.default_explanation = SLICE_LIT("See https://why.example/?s=%{S}&ip=%{C}");
	ck_assert_int_eq(spf_check(R, A, &r, 0, &o), SPF_OK);
	ASSERT_RESULT(o, SPF_FAIL);
	ck_assert(slice_eq(o.explanation, SLICE_LIT("See https://why.example/?s=jo%40pass.test&ip=198.51.100.2")));
}
END_TEST

START_TEST(spf_check_follows_include_and_redirect_as_rfc_7208_says)
{
	struct spf_outcome o = check("192.0.2.1", "h.test", "u@inc.test");
	ASSERT_RESULT(o, SPF_PASS);
	ck_assert(slice_eq(o.mechanism, SLICE_LIT("include:pass.test")));
	/* the included softfail does not match: -all decides */
	o = check("198.51.100.1", "h.test", "u@inc.test");
	ASSERT_RESULT(o, SPF_FAIL);
	ck_assert(slice_eq(o.mechanism, SLICE_LIT("-all")));
	o = check("192.0.2.1", "h.test", "u@incnone.test");
	ASSERT_RESULT(o, SPF_PERMERROR);
	ck_assert(contains(o.reason, "include:nothing.test"));
	o = check("192.0.2.1", "h.test", "u@inctemp.test");
	ASSERT_RESULT(o, SPF_TEMPERROR);
	ck_assert(contains(o.reason, "slow.test"));
	o = check("192.0.2.1", "h.test", "u@redir.test");
	ASSERT_RESULT(o, SPF_PASS);
	ck_assert(slice_eq(o.mechanism, SLICE_LIT("ip4:192.0.2.0/24")));
	o = check("192.0.2.1", "h.test", "u@redirnone.test");
	ASSERT_RESULT(o, SPF_PERMERROR);
	ck_assert(contains(o.reason, "redirect=nothing.test"));
	/* the exp= of the redirecting record is not used (6.2) */
	o = check("192.0.2.1", "h.test", "jo@redirexp.test");
	ASSERT_RESULT(o, SPF_FAIL);
	ck_assert(slice_eq(o.explanation, SLICE_LIT("192.0.2.1 is not one of exp.test's servers (jo)")));
}
END_TEST

START_TEST(spf_check_matches_a_with_dual_cidr_lengths)
{
	ASSERT_RESULT(check("198.51.100.7", "h.test", "u@a.test"), SPF_PASS);
	ASSERT_RESULT(check("198.51.100.8", "h.test", "u@a.test"), SPF_FAIL);
	ASSERT_RESULT(check("203.0.113.200", "h.test", "u@a.test"), SPF_PASS);
	ASSERT_RESULT(check("2001:db8:aa::ffff", "h.test", "u@a.test"), SPF_PASS);
	ASSERT_RESULT(check("2001:db8:ab::1", "h.test", "u@a.test"), SPF_FAIL);
}
END_TEST

START_TEST(spf_check_matches_mx_hosts_in_one_batch)
{
	struct spf_outcome o = check("192.0.2.20", "h.test", "u@mx.test");
	ASSERT_RESULT(o, SPF_PASS);
	ck_assert(slice_eq(o.mechanism, SLICE_LIT("mx")));
	/* TXT, MX, and the A of both hosts */
	ck_assert_uint_eq(o.dns_queries, 4);
	ASSERT_RESULT(check("2001:db8:20::1", "h.test", "u@mx.test"), SPF_PASS);
	ASSERT_RESULT(check("192.0.2.30", "h.test", "u@mx.test"), SPF_FAIL);
	/* an MX host that times out is a temperror */
	o = check("192.0.2.30", "h.test", "u@mxtemp.test");
	ASSERT_RESULT(o, SPF_TEMPERROR);
	ck_assert(contains(o.reason, "slowmx.test"));
}
END_TEST

START_TEST(spf_check_validates_ptr_names_and_expands_p)
{
	ASSERT_RESULT(check("192.0.2.50", "h.test", "u@ptr.test"), SPF_PASS);
	/* 51 points at mail.ptr.test, whose A does not lead back: no match */
	ASSERT_RESULT(check("192.0.2.51", "h.test", "u@ptr.test"), SPF_FAIL);
	ASSERT_RESULT(check("192.0.2.52", "h.test", "u@ptr.test"), SPF_FAIL);
	struct spf_outcome o = check("192.0.2.50", "helo.name.test", "u@pmacro.test");
	ASSERT_RESULT(o, SPF_FAIL);
	ck_assert_msg(slice_eq(o.explanation, SLICE_LIT("p=mail.ptr.test v=in-addr h=helo.name.test")),
	              "\"%.*s\"", (int)o.explanation.len, o.explanation.ptr);
	o = check("192.0.2.51", "helo.name.test", "u@pmacro.test");
	ck_assert(slice_eq(o.explanation, SLICE_LIT("p=unknown v=in-addr h=helo.name.test")));
}
END_TEST

START_TEST(spf_check_exists_asks_for_a_records)
{
	ASSERT_RESULT(check("192.0.2.1", "h.test", "u@exists.test"), SPF_PASS);
	ASSERT_RESULT(check("192.0.2.2", "h.test", "u@exists.test"), SPF_FAIL);
}
END_TEST

START_TEST(spf_check_uses_helo_for_the_null_sender)
{
	struct spf_outcome o = check("192.0.2.77", "helo.test", "");
	ASSERT_RESULT(o, SPF_PASS);
	ck_assert(o.used_helo);
	ck_assert(slice_eq(o.sender, SLICE_LIT("postmaster@helo.test")));
	ck_assert(slice_eq(o.domain, SLICE_LIT("helo.test")));
	o = check("192.0.2.77", "helo.test", "<>");
	ASSERT_RESULT(o, SPF_PASS);
	ck_assert(o.used_helo);
	/* the local part of "@domain" is postmaster (4.3) */
	o = check("192.0.2.1", "h.test", "@exp.test");
	ASSERT_RESULT(o, SPF_FAIL);
	ck_assert(slice_eq(o.explanation, SLICE_LIT("192.0.2.1 is not one of exp.test's servers (postmaster)")));
	/* no usable identity at all */
	o = check("192.0.2.77", "", "");
	ASSERT_RESULT(o, SPF_NONE);
	o = check("192.0.2.77", "[192.0.2.77]", "");
	ASSERT_RESULT(o, SPF_NONE);
	o = check("192.0.2.77", "localhost", "");
	ASSERT_RESULT(o, SPF_NONE);
}
END_TEST

START_TEST(spf_check_helo_checks_the_helo_identity_on_its_own)
{
	struct spf_request r = req("192.0.2.77", "helo.test", "someone@pass.test");
	struct spf_outcome o;
	ck_assert_int_eq(spf_check_helo(R, A, &r, 0, &o), SPF_OK);
	ASSERT_RESULT(o, SPF_PASS);
	ck_assert_int_eq(o.identity, SPF_ID_HELO);
	ck_assert(slice_eq(o.domain, SLICE_LIT("helo.test")));
	r = req("192.0.2.78", "helo.test.", "");
	ck_assert_int_eq(spf_check_helo(R, A, &r, 0, &o), SPF_OK);
	ASSERT_RESULT(o, SPF_FAIL);
	ck_assert(slice_eq(o.domain, SLICE_LIT("helo.test")));
}
END_TEST

START_TEST(spf_check_gives_none_for_malformed_domains)
{
	static const char *const bad[] = {
		"u@a..test", "u@[192.0.2.1]", "u@single", "u@",
		"u@a123456789012345678901234567890123456789012345678901234567890123.test",
		"u@sp ace.test",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct spf_outcome o = check("192.0.2.1", "h.test", bad[i]);
		ck_assert_msg(o.result == SPF_NONE, "case %zu %s: %s", i, bad[i], spf_result_str(o.result));
		ck_assert_uint_eq(o.dns_queries, 0);
	}
}
END_TEST

START_TEST(spf_check_limits_dns_terms_to_ten)
{
	struct spf_outcome o = check("192.0.2.1", "h.test", "u@limit10.test");
	ASSERT_RESULT(o, SPF_PASS);
	ck_assert_uint_eq(o.dns_terms, 10);
	/* ten "a" on one name: the answer is asked once */
	ck_assert_uint_eq(o.dns_queries, 2);
	o = check("192.0.2.1", "h.test", "u@limit11.test");
	ASSERT_RESULT(o, SPF_PERMERROR);
	ck_assert(contains(o.reason, "SPF_MAX_DNS_TERMS"));
}
END_TEST

START_TEST(spf_check_limits_void_lookups_to_two)
{
	struct spf_outcome o = check("192.0.2.1", "h.test", "u@void2.test");
	ASSERT_RESULT(o, SPF_NEUTRAL);
	ck_assert_uint_eq(o.void_lookups, 2);
	o = check("192.0.2.1", "h.test", "u@void3.test");
	ASSERT_RESULT(o, SPF_PERMERROR);
	ck_assert(contains(o.reason, "SPF_MAX_VOID_LOOKUPS"));
}
END_TEST

START_TEST(spf_check_reports_timeouts_and_an_exhausted_budget_as_temperror)
{
	struct spf_outcome o = check("192.0.2.1", "h.test", "u@slow.test");
	ASSERT_RESULT(o, SPF_TEMPERROR);
	ck_assert(contains(o.reason, "slow.test"));
	struct spf_request r = req("192.0.2.1", "h.test", "u@pass.test");
	uint64_t now = dns_now_ms();
	ck_assert_int_eq(spf_check(R, A, &r, now > 1 ? now - 1 : 1, &o), SPF_OK);
	ASSERT_RESULT(o, SPF_TEMPERROR);
	ck_assert(contains(o.reason, "budget"));
}
END_TEST

START_TEST(spf_check_refuses_a_client_address_that_is_not_one)
{
	struct spf_request r = req("192.0.2", "h.test", "u@pass.test");
	struct spf_outcome o;
	ck_assert_int_eq(spf_check(R, A, &r, 0, &o), SPF_ERR_ARG);
	ASSERT_RESULT(o, SPF_PERMERROR);
	r = req("fe80::1%eth0", "h.test", "u@pass.test");
	ck_assert_int_eq(spf_check(R, A, &r, 0, &o), SPF_ERR_ARG);
	ck_assert_int_eq(spf_check(R, NULL, &r, 0, &o), SPF_ERR_ARG);
}
END_TEST

START_TEST(spf_fields_make_exim_style_strings)
{
	struct spf_request r = req("192.0.2.9", "mail.sender.test", "user@pass.test");
	struct spf_outcome o;
	struct spf_fields f;
	ck_assert_int_eq(spf_check(R, A, &r, 0, &o), SPF_OK);
	ck_assert_int_eq(spf_fields_make(A, &r, &o, &f), SPF_OK);
	ck_assert_str_eq(f.spf_result, "pass");
	ck_assert_str_eq(f.spf_header_comment,
	                 "mx.receiver.test: domain of pass.test designates 192.0.2.9 as permitted sender");
	ck_assert_str_eq(f.spf_smtp_comment, "");
	ck_assert_str_eq(f.spf_used_domain, "pass.test");
	ck_assert_str_eq(f.authres, "spf=pass smtp.mailfrom=pass.test");
	ck_assert_str_eq(f.spf_received,
	                 "Received-SPF: pass (mx.receiver.test: domain of pass.test designates 192.0.2.9\n"
	                 "\tas permitted sender) receiver=mx.receiver.test; client-ip=192.0.2.9;\n"
	                 "\tenvelope-from=\"user@pass.test\"; helo=mail.sender.test; identity=mailfrom;\n"
	                 "\tmechanism=\"ip4:192.0.2.0/24\";");

	r = req("2001:db8:ff::1", "mail.sender.test", "user@pass.test");
	ck_assert_int_eq(spf_check(R, A, &r, 0, &o), SPF_OK);
	ck_assert_int_eq(spf_fields_make(A, &r, &o, &f), SPF_OK);
	ck_assert(contains(f.spf_received, "client-ip=\"2001:db8:ff::1\";"));

	r = req("198.51.100.1", "mail.sender.test", "user@pass.test");
	ck_assert_int_eq(spf_check(R, A, &r, 0, &o), SPF_OK);
	ck_assert_int_eq(spf_fields_make(A, &r, &o, &f), SPF_OK);
	ck_assert_str_eq(f.spf_result, "fail");
	ck_assert_str_eq(f.spf_header_comment,
	                 "mx.receiver.test: domain of pass.test does not designate 198.51.100.1 as permitted sender");
	ck_assert_str_eq(f.spf_smtp_comment,
	                 "pass.test does not designate 198.51.100.1 as permitted sender (SPF fail, mechanism -all)");
	ck_assert(contains(f.spf_received, "mechanism=-all;"));
}
END_TEST

START_TEST(spf_fields_report_helo_identity_and_errors)
{
	struct spf_request r = req("192.0.2.77", "helo.test", "");
	struct spf_outcome o;
	struct spf_fields f;
	ck_assert_int_eq(spf_check(R, A, &r, 0, &o), SPF_OK);
	ck_assert_int_eq(spf_fields_make(A, &r, &o, &f), SPF_OK);
	ck_assert_str_eq(f.authres, "spf=pass smtp.helo=helo.test");
	ck_assert(contains(f.spf_received, "identity=helo;"));
	ck_assert(!contains(f.spf_received, "envelope-from"));

	r = req("192.0.2.1", "h.test", "u@limit11.test");
	ck_assert_int_eq(spf_check(R, A, &r, 0, &o), SPF_OK);
	ck_assert_int_eq(spf_fields_make(A, &r, &o, &f), SPF_OK);
	ck_assert_str_eq(f.spf_result, "permerror");
	ck_assert(contains(f.authres, "spf=permerror ("));
	ck_assert(contains(f.authres, ") smtp.mailfrom=limit11.test"));
	ck_assert(contains(f.spf_received, "problem=\"more than 10 DNS-querying terms"));
	ck_assert(contains(f.spf_header_comment, "permanent error"));
}
END_TEST

START_TEST(spf_fields_escape_hostile_session_text)
{
	/* HELO and MAIL FROM with quotes, parentheses, CR LF and 8-bit bytes */
	struct spf_request r = req("192.0.2.1", "evil\"(x)\r\nX-Injected: 1", "a\"b\\c\r\n(@quote.test");
	struct spf_outcome o;
	struct spf_fields f;
	ck_assert_int_eq(spf_check(R, A, &r, 0, &o), SPF_OK);
	ASSERT_RESULT(o, SPF_FAIL);
	ck_assert_int_eq(spf_fields_make(A, &r, &o, &f), SPF_OK);
	ck_assert(!contains(f.spf_received, "\r"));
	ck_assert(!contains(f.spf_received, "\nX-Injected"));
	ck_assert(contains(f.spf_received, "helo=\"evil\\\"(x)?" "?X-Injected: 1\";"));
	ck_assert(contains(f.spf_received, "envelope-from=\"a\\\"b\\\\c?" "?(@quote.test\";"));
	for (const char *p = f.spf_received; *p; p++)
		ck_assert((*p >= 0x20 && *p < 0x7f) || *p == '\n' || *p == '\t');
	for (const char *p = f.spf_smtp_comment; *p; p++)
		ck_assert(*p >= 0x20 && *p < 0x7f);
	/* Folded lines stay within 78 columns when the words allow it. */
	size_t col = 0;
	for (const char *p = f.spf_received; *p; p++) {
		col = *p == '\n' ? 0 : col + 1;
		ck_assert_uint_le(col, 78);
	}
}
END_TEST

START_TEST(spf_result_words_round_trip)
{
	for (int i = SPF_NONE; i <= SPF_PERMERROR; i++) {
		enum spf_result r;
		ck_assert(spf_result_parse(slice_from_cstr(spf_result_str((enum spf_result)i)), &r));
		ck_assert_int_eq(r, i);
	}
	enum spf_result r;
	ck_assert(!spf_result_parse(SLICE_LIT("tmperror"), &r));
	ck_assert_str_eq(spf_result_str(SPF_TEMPERROR), "temperror");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("spf");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, spf_check_passes_listed_addresses_and_fails_others);
	tcase_add_test(tc, spf_check_joins_multi_string_txt_records_and_ignores_other_txt);
	tcase_add_test(tc, spf_check_gives_each_qualifier_its_result);
	tcase_add_test(tc, spf_check_selects_exactly_one_record_and_checks_the_whole_syntax);
	tcase_add_test(tc, spf_check_fetches_exp_only_for_fail_and_expands_it);
	tcase_add_test(tc, spf_check_follows_include_and_redirect_as_rfc_7208_says);
	tcase_add_test(tc, spf_check_matches_a_with_dual_cidr_lengths);
	tcase_add_test(tc, spf_check_matches_mx_hosts_in_one_batch);
	tcase_add_test(tc, spf_check_validates_ptr_names_and_expands_p);
	tcase_add_test(tc, spf_check_exists_asks_for_a_records);
	tcase_add_test(tc, spf_check_uses_helo_for_the_null_sender);
	tcase_add_test(tc, spf_check_helo_checks_the_helo_identity_on_its_own);
	tcase_add_test(tc, spf_check_gives_none_for_malformed_domains);
	tcase_add_test(tc, spf_check_limits_dns_terms_to_ten);
	tcase_add_test(tc, spf_check_limits_void_lookups_to_two);
	tcase_add_test(tc, spf_check_reports_timeouts_and_an_exhausted_budget_as_temperror);
	tcase_add_test(tc, spf_check_refuses_a_client_address_that_is_not_one);
	tcase_add_test(tc, spf_fields_make_exim_style_strings);
	tcase_add_test(tc, spf_fields_report_helo_identity_and_errors);
	tcase_add_test(tc, spf_fields_escape_hostile_session_text);
	tcase_add_test(tc, spf_result_words_round_trip);
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
