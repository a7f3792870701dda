/* test_spf_hostile.c — hostile SPF policies through the real DNS layer:
 * include and redirect loops, long include chains, 4000-byte records,
 * records with 50 DNS mechanisms, macro expansions that explode, malformed
 * CIDR lengths, non-ASCII records and explanations, oversized records and
 * identities, MX and PTR floods.  Each must end in permerror or temperror
 * (or the RFC's result where one is defined) with a reason, in bounded time
 * and memory: every check here is timed and its arena use measured.
 *
 * The zone is generated in setup(), long TXT data split into 255-byte
 * character-strings as DNS requires. */
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

/* Bounds every hostile check must stay within. */
#define MAX_MS 3000
#define MAX_ARENA (4u * 1024 * 1024)

static char *zone_path;
static struct dns_resolver *R;

struct zbuf {
	char *p;
	size_t len, cap;
};

static void zadd(struct zbuf *z, const char *s, size_t n)
{
	if (z->len + n + 1 > z->cap) {
		z->cap = (z->len + n + 1) * 2;
		z->p = realloc(z->p, z->cap);
		ck_assert_ptr_nonnull(z->p);
	}
	memcpy(z->p + z->len, s, n);
	z->len += n;
	z->p[z->len] = '\0';
}

static void zstr(struct zbuf *z, const char *s)
{
	zadd(z, s, strlen(s));
}

/* A TXT record of any length, as 255-byte strings; bytes escaped. */
static void ztxt(struct zbuf *z, const char *name, const char *data, size_t len)
{
	zstr(z, name);
	zstr(z, " TXT");
	size_t off = 0;
	do {
		size_t n = len - off > 255 ? 255 : len - off;
		zstr(z, " \"");
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)data[off + i];
			char b[8];
			if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
				snprintf(b, sizeof b, "\\%03u", c);
				zstr(z, b);
			} else {
				zadd(z, (const char *)&c, 1);
			}
		}
		zstr(z, "\"");
		off += n;
	} while (off < len);
	zstr(z, "\n");
}

static void ztxt_s(struct zbuf *z, const char *name, const char *data)
{
	ztxt(z, name, data, strlen(data));
}

static void build_zone(struct zbuf *z)
{
	char rec[16384], name[128];
	size_t n;

	zstr(z, "; test_spf_hostile.c zone\n");
	/* loops */
	ztxt_s(z, "a.loop.test.", "v=spf1 include:b.loop.test -all");
	ztxt_s(z, "b.loop.test.", "v=spf1 include:a.loop.test -all");
	ztxt_s(z, "self.loop.test.", "v=spf1 include:self.loop.test -all");
	ztxt_s(z, "r.loop.test.", "v=spf1 redirect=r.loop.test");
	ztxt_s(z, "r1.loop.test.", "v=spf1 ip4:203.0.113.1 redirect=r2.loop.test");
	ztxt_s(z, "r2.loop.test.", "v=spf1 ip4:203.0.113.2 redirect=r1.loop.test");
	ztxt_s(z, "macro.loop.test.", "v=spf1 include:%{d} -all");
	/* a chain of 20 includes */
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof name, "c%d.chain.test.", i);
		snprintf(rec, sizeof rec, "v=spf1 include:c%d.chain.test -all", i + 1);
		ztxt_s(z, name, rec);
	}
	ztxt_s(z, "c20.chain.test.", "v=spf1 +all");
	/* 4000 bytes of "a:" mechanisms on 50+ distinct names */
	n = (size_t)snprintf(rec, sizeof rec, "v=spf1");
	for (int i = 0; n < 4000; i++)
		n += (size_t)snprintf(rec + n, sizeof rec - n, " a:host%03d.padding-padding-padding.big.test", i);
	ztxt(z, "big.test.", rec, n);
	/* 4000 bytes of valid ip4 mechanisms, garbage at the very end */
	n = (size_t)snprintf(rec, sizeof rec, "v=spf1");
	for (int i = 0; n < 3990; i++)
		n += (size_t)snprintf(rec + n, sizeof rec - n, " ip4:10.%d.%d.0/24", (i / 200) % 200, i % 200);
	n += (size_t)snprintf(rec + n, sizeof rec - n, " ip4:10.0.0.0/");
	ztxt(z, "garbage.test.", rec, n);
	/* 50 exists: mechanisms, each a different name */
	n = (size_t)snprintf(rec, sizeof rec, "v=spf1");
	for (int i = 0; i < 50; i++)
		n += (size_t)snprintf(rec + n, sizeof rec - n, " exists:%d.%%{ir}.fifty.test", i);
	n += (size_t)snprintf(rec + n, sizeof rec - n, " -all");
	ztxt(z, "fifty.test.", rec, n);
	/* 50 mechanisms on names that do not exist: void lookups */
	n = (size_t)snprintf(rec, sizeof rec, "v=spf1");
	for (int i = 0; i < 50; i++)
		n += (size_t)snprintf(rec + n, sizeof rec - n, " a:nx%d.void.test", i);
	ztxt(z, "void.test.", rec, n);
	/* a record above SPF_MAX_RECORD_BYTES */
	n = (size_t)snprintf(rec, sizeof rec, "v=spf1");
	while (n <= SPF_MAX_RECORD_BYTES)
		n += (size_t)snprintf(rec + n, sizeof rec - n, " ip4:192.0.2.1");
	ztxt(z, "huge.test.", rec, n);
	/* exploding macros */
	n = (size_t)snprintf(rec, sizeof rec, "v=spf1 exists:");
	for (int i = 0; i < 400; i++)
		n += (size_t)snprintf(rec + n, sizeof rec - n, "%%{S}");
	n += (size_t)snprintf(rec + n, sizeof rec - n, ".x.test -all");
	ztxt(z, "explode.test.", rec, n);
	ztxt_s(z, "explodeexp.test.", "v=spf1 -all exp=why.explodeexp.test");
	n = 0;
	for (int i = 0; i < 200; i++)
		n += (size_t)snprintf(rec + n, sizeof rec - n, "%%{S}%%{S}%%{S}");
	ztxt(z, "why.explodeexp.test.", rec, n);
	ztxt_s(z, "reverse.test.", "v=spf1 exists:%{l99999999999999999999r-+,/_=}.%{d9999r}.x.test -all");
	/* malformed CIDR */
	ztxt_s(z, "cidr1.test.", "v=spf1 ip4:192.0.2.0/99999999999999999999 -all");
	ztxt_s(z, "cidr2.test.", "v=spf1 a/-1 -all");
	ztxt_s(z, "cidr3.test.", "v=spf1 ip6:2001:db8::/1290 -all");
	ztxt_s(z, "cidr4.test.", "v=spf1 mx//32/24 -all");
	ztxt_s(z, "cidr5.test.", "v=spf1 ip4:192.0.2.0/ -all");
	/* non-ASCII */
	ztxt_s(z, "utf8.test.", "v=spf1 a:b\xc3\xbc" "cher.test -all");
	ztxt_s(z, "latin1.test.", "v=spf1 ip4:192.0.2.1 \xe9" "all");
	ztxt_s(z, "nul.test.", "v=spf1 ip4:192.0.2.1");
	ztxt(z, "nul2.test.", "v=spf1 -all\0 +all", 17);
	ztxt_s(z, "utf8exp.test.", "v=spf1 -all exp=why.utf8exp.test");
	ztxt_s(z, "why.utf8exp.test.", "\xef\xbb\xbf" "caf\xc3\xa9 says no");
	ztxt_s(z, "xn--bcher-kva.test.", "v=spf1 ip4:192.0.2.9 -all");
	/* many records at one name */
	for (int i = 0; i < 40; i++) {
		snprintf(rec, sizeof rec, "v=spf1 ip4:192.0.2.%d -all", i);
		ztxt_s(z, "many.test.", rec);
	}
	/* MX flood: 11 MX records; and 10 hosts without addresses */
	ztxt_s(z, "mx11.test.", "v=spf1 mx -all");
	ztxt_s(z, "mx10.test.", "v=spf1 mx -all");
	for (int i = 0; i < 11; i++) {
		snprintf(rec, sizeof rec, "mx11.test. MX %d mx%d.mx11.test.\n", i, i);
		zstr(z, rec);
		snprintf(rec, sizeof rec, "mx%d.mx11.test. A 192.0.2.%d\n", i, 100 + i);
		zstr(z, rec);
		if (i < 10) {
			snprintf(rec, sizeof rec, "mx10.test. MX %d nohost%d.mx10.test.\n", i, i);
			zstr(z, rec);
		}
	}
	/* PTR flood: 30 names for 192.0.2.9, all leading back to it; 30 names
	 * for 192.0.2.10 that do not */
	ztxt_s(z, "ptr30.test.", "v=spf1 ptr ?all");
	for (int i = 0; i < 30; i++) {
		snprintf(rec, sizeof rec, "9.2.0.192.in-addr.arpa. PTR h%d.ptr30.test.\n", i);
		zstr(z, rec);
		snprintf(rec, sizeof rec, "h%d.ptr30.test. A 192.0.2.9\n", i);
		zstr(z, rec);
		snprintf(rec, sizeof rec, "10.2.0.192.in-addr.arpa. PTR n%d.ptr30.test.\n", i);
		zstr(z, rec);
		snprintf(rec, sizeof rec, "n%d.ptr30.test. A 192.0.2.200\n", i);
		zstr(z, rec);
	}
	/* an include whose target times out, and an exists on a slow name */
	ztxt_s(z, "slowinc.test.", "v=spf1 include:slow.test -all");
	ztxt_s(z, "slowexists.test.", "v=spf1 exists:x.slow.test -all");
	zstr(z, "slow.test. TIMEOUT\n");
}

static void setup(void)
{
	struct zbuf z = { 0 };
	char err[512], spec[4200];
	build_zone(&z);
	zone_path = testutil_write_temp(z.p, z.len, ".zone");
	free(z.p);
	ck_assert_ptr_nonnull(zone_path);
	snprintf(spec, sizeof spec, "zone:%s", zone_path);
	R = dns_resolver_new(spec, err, sizeof err);
	ck_assert_msg(R != NULL, "resolver: %s", err);
}

static void teardown(void)
{
	dns_resolver_free(R);
	unlink(zone_path);
	free(zone_path);
}

struct run {
	struct spf_outcome o;
	uint64_t ms;
	size_t arena;
	const char *explanation;
};

static struct run run_check(const char *ip, const char *helo, const char *from, size_t from_len)
{
	struct run r;
	struct arena *a = arena_new(0);
	ck_assert_ptr_nonnull(a);
	struct spf_request q;
	memset(&q, 0, sizeof q);
	q.ip = slice_from_cstr(ip);
	q.helo = slice_from_cstr(helo);
	q.mail_from = slice_make(from, from_len);
	q.receiver = SLICE_LIT("mx.receiver.test");
	q.now = 1700000000;
	uint64_t t0 = dns_now_ms();
	int rc = spf_check(R, a, &q, t0 + 1500, &r.o);
	r.ms = dns_now_ms() - t0;
	r.arena = arena_used(a);
	ck_assert_int_eq(rc, SPF_OK);
	/* Copy what we look at after the arena is gone. */
	static char reason[4096], expl[8192];
	snprintf(reason, sizeof reason, "%s", r.o.reason ? r.o.reason : "");
	snprintf(expl, sizeof expl, "%.*s", (int)r.o.explanation.len, r.o.explanation.ptr ? r.o.explanation.ptr : "");
	r.o.reason = reason;
	r.explanation = expl;
	r.o.explanation = SLICE_NULL;
	r.o.mechanism = SLICE_NULL;
	r.o.domain = SLICE_NULL;
	r.o.sender = SLICE_NULL;
	r.o.client_ip = SLICE_NULL;
	struct spf_fields f;
	(void)f;
	arena_free(a);
	return r;
}

static struct run chk(const char *from)
{
	return run_check("192.0.2.9", "h.test", from, strlen(from));
}

static void assert_bounded_error(const struct run *r, enum spf_result want, const char *reason_part)
{
	ck_assert_msg(r->o.result == want, "result %s, want %s (%s)", spf_result_str(r->o.result),
	              spf_result_str(want), r->o.reason);
	ck_assert_msg(r->o.reason[0] != '\0', "no reason");
	if (reason_part)
		ck_assert_msg(strstr(r->o.reason, reason_part) != NULL, "reason \"%s\" lacks \"%s\"", r->o.reason,
		              reason_part);
	ck_assert_msg(r->ms <= MAX_MS, "took %llu ms", (unsigned long long)r->ms);
	ck_assert_msg(r->arena <= MAX_ARENA, "arena %zu bytes", r->arena);
	ck_assert_uint_le(r->o.dns_terms, SPF_MAX_DNS_TERMS + 1);
	ck_assert_uint_le(r->o.dns_queries, 200);
}

START_TEST(spf_hostile_include_loops_end_in_permerror_at_the_term_limit)
{
	struct run r = chk("u@a.loop.test");
	assert_bounded_error(&r, SPF_PERMERROR, "SPF_MAX_DNS_TERMS");
	ck_assert_uint_le(r.o.dns_queries, SPF_MAX_DNS_TERMS + 2);
	r = chk("u@self.loop.test");
	assert_bounded_error(&r, SPF_PERMERROR, "SPF_MAX_DNS_TERMS");
	r = chk("u@macro.loop.test");
	assert_bounded_error(&r, SPF_PERMERROR, "SPF_MAX_DNS_TERMS");
}
END_TEST

START_TEST(spf_hostile_redirect_loops_end_in_permerror_at_the_term_limit)
{
	struct run r = chk("u@r.loop.test");
	assert_bounded_error(&r, SPF_PERMERROR, "SPF_MAX_DNS_TERMS");
	r = chk("u@r1.loop.test");
	assert_bounded_error(&r, SPF_PERMERROR, "SPF_MAX_DNS_TERMS");
}
END_TEST

START_TEST(spf_hostile_long_include_chains_stop_after_ten_terms)
{
	struct run r = chk("u@c0.chain.test");
	assert_bounded_error(&r, SPF_PERMERROR, "SPF_MAX_DNS_TERMS");
	/* c10 reaches c20 (+all) with exactly ten includes */
	r = chk("u@c10.chain.test");
	ck_assert_msg(r.o.result == SPF_PASS, "%s: %s", spf_result_str(r.o.result), r.o.reason);
}
END_TEST

START_TEST(spf_hostile_4000_byte_records_are_bounded)
{
	struct run r = chk("u@big.test");
	assert_bounded_error(&r, SPF_PERMERROR, NULL);
	ck_assert_msg(strstr(r.o.reason, "SPF_MAX_VOID_LOOKUPS") || strstr(r.o.reason, "SPF_MAX_DNS_TERMS"),
	              "%s", r.o.reason);
	r = chk("u@garbage.test");
	assert_bounded_error(&r, SPF_PERMERROR, "invalid IPv4 CIDR length");
	ck_assert_uint_eq(r.o.dns_queries, 1);
	r = chk("u@huge.test");
	assert_bounded_error(&r, SPF_PERMERROR, "SPF_MAX_RECORD_BYTES");
}
END_TEST

START_TEST(spf_hostile_records_with_50_dns_mechanisms_stop_at_the_limits)
{
	struct run r = chk("u@fifty.test");
	assert_bounded_error(&r, SPF_PERMERROR, NULL);
	ck_assert_uint_le(r.o.dns_queries, SPF_MAX_DNS_TERMS + 1);
	r = chk("u@void.test");
	assert_bounded_error(&r, SPF_PERMERROR, "SPF_MAX_VOID_LOOKUPS");
	ck_assert_uint_eq(r.o.void_lookups, SPF_MAX_VOID_LOOKUPS + 1);
	r = chk("u@many.test");
	assert_bounded_error(&r, SPF_PERMERROR, "40 v=spf1 records");
}
END_TEST

START_TEST(spf_hostile_exploding_macros_are_cut_off)
{
	/* 400 x %{S} of a 200-byte sender */
	char from[256];
	memset(from, 'x', 190);
	memcpy(from + 190, "@explode.test", 14);
	struct run r = run_check("192.0.2.9", "h.test", from, strlen(from));
	assert_bounded_error(&r, SPF_PERMERROR, "SPF_MAX_EXPANSION");
	/* in exp text: the explanation falls back to the default */
	memcpy(from + 190, "@explodeexp.test", 17);
	r = run_check("192.0.2.9", "h.test", from, strlen(from));
	ck_assert_int_eq(r.o.result, SPF_FAIL);
	ck_assert(strstr(r.explanation, "explodeexp.test does not designate") == r.explanation);
	ck_assert_uint_le(r.ms, MAX_MS);
	/* huge digit transformers are "all parts" */
	r = chk("a-b+c,d/e_f=g@reverse.test");
	ck_assert_msg(r.o.result == SPF_FAIL, "%s: %s", spf_result_str(r.o.result), r.o.reason);
}
END_TEST

START_TEST(spf_hostile_malformed_cidr_lengths_are_permerror)
{
	static const char *const doms[] = { "u@cidr1.test", "u@cidr2.test", "u@cidr3.test", "u@cidr4.test",
		                            "u@cidr5.test" };
	for (size_t i = 0; i < sizeof doms / sizeof doms[0]; i++) {
		struct run r = chk(doms[i]);
		assert_bounded_error(&r, SPF_PERMERROR, "syntax error");
	}
}
END_TEST

START_TEST(spf_hostile_non_ascii_records_are_permerror)
{
	struct run r = chk("u@utf8.test");
	assert_bounded_error(&r, SPF_PERMERROR, "non-ASCII");
	r = chk("u@latin1.test");
	assert_bounded_error(&r, SPF_PERMERROR, "non-ASCII");
	/* a NUL in the record */
	r = chk("u@nul2.test");
	assert_bounded_error(&r, SPF_PERMERROR, "control byte");
	/* a non-ASCII explanation is dropped for the default one */
	r = chk("u@utf8exp.test");
	ck_assert_int_eq(r.o.result, SPF_FAIL);
	ck_assert(strstr(r.explanation, "utf8exp.test does not designate") == r.explanation);
	/* a U-label sender domain is checked in A-label form */
	r = chk("u@b\xc3\xbc" "cher.test");
	ck_assert_msg(r.o.result == SPF_PASS, "%s: %s", spf_result_str(r.o.result), r.o.reason);
	/* 8-bit bytes that are not UTF-8: no valid domain */
	r = chk("u@b\xfc" "cher.test");
	ck_assert_int_eq(r.o.result, SPF_NONE);
}
END_TEST

START_TEST(spf_hostile_mx_and_ptr_floods_follow_the_rfc_limits)
{
	struct run r = chk("u@mx11.test");
	assert_bounded_error(&r, SPF_PERMERROR, "SPF_MAX_MX_NAMES");
	ck_assert_uint_eq(r.o.dns_queries, 2);
	r = chk("u@mx10.test");
	ck_assert_int_eq(r.o.result, SPF_FAIL);
	ck_assert_uint_le(r.ms, MAX_MS);
	/* only the first 10 PTR names are looked up (RFC 7208 4.6.4) */
	r = chk("u@ptr30.test");
	ck_assert_msg(r.o.result == SPF_PASS, "%s: %s", spf_result_str(r.o.result), r.o.reason);
	ck_assert_uint_eq(r.o.dns_queries, 2 + SPF_MAX_PTR_NAMES);
	r = run_check("192.0.2.10", "h.test", "u@ptr30.test", 12);
	ck_assert_msg(r.o.result == SPF_NEUTRAL, "%s: %s", spf_result_str(r.o.result), r.o.reason);
	ck_assert_uint_eq(r.o.dns_queries, 2 + SPF_MAX_PTR_NAMES);
	ck_assert_uint_le(r.ms, MAX_MS);
}
END_TEST

START_TEST(spf_hostile_dns_timeouts_are_temperror_within_the_budget)
{
	struct run r = chk("u@slowinc.test");
	assert_bounded_error(&r, SPF_TEMPERROR, "timeout");
	r = chk("u@slowexists.test");
	assert_bounded_error(&r, SPF_TEMPERROR, "timeout");
}
END_TEST

START_TEST(spf_hostile_identities_are_bounded)
{
	size_t n = SPF_MAX_IDENTITY_BYTES + 100;
	char *from = malloc(n + 20);
	ck_assert_ptr_nonnull(from);
	memset(from, 'a', n);
	memcpy(from + n, "@pass.test", 11);
	struct run r = run_check("192.0.2.9", "h.test", from, n + 10);
	ck_assert_int_eq(r.o.result, SPF_NONE);
	ck_assert(strstr(r.o.reason, "SPF_MAX_IDENTITY_BYTES") != NULL);
	ck_assert_uint_eq(r.o.dns_queries, 0);
	free(from);
	/* NUL and control bytes in the identity */
	r = run_check("192.0.2.9", "h.test", "u@pass\0.test", 12);
	ck_assert_int_eq(r.o.result, SPF_NONE);
	r = run_check("192.0.2.9", "h\r\n.test", "", 0);
	ck_assert_int_eq(r.o.result, SPF_NONE);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("spf_hostile");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, spf_hostile_include_loops_end_in_permerror_at_the_term_limit);
	tcase_add_test(tc, spf_hostile_redirect_loops_end_in_permerror_at_the_term_limit);
	tcase_add_test(tc, spf_hostile_long_include_chains_stop_after_ten_terms);
	tcase_add_test(tc, spf_hostile_4000_byte_records_are_bounded);
	tcase_add_test(tc, spf_hostile_records_with_50_dns_mechanisms_stop_at_the_limits);
	tcase_add_test(tc, spf_hostile_exploding_macros_are_cut_off);
	tcase_add_test(tc, spf_hostile_malformed_cidr_lengths_are_permerror);
	tcase_add_test(tc, spf_hostile_non_ascii_records_are_permerror);
	tcase_add_test(tc, spf_hostile_mx_and_ptr_floods_follow_the_rfc_limits);
	tcase_add_test(tc, spf_hostile_dns_timeouts_are_temperror_within_the_budget);
	tcase_add_test(tc, spf_hostile_identities_are_bounded);
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
