/* test_dmarc_walk.c — unit tests for shared/dmarc_walk.c and
 * shared/dmarc_align.c, and for the parts of shared/dmarc_policy.c that the
 * scenario table does not reach: the lookup cache and its query counts
 * (one query per name, prefetch in one batch), walks that hit a timeout,
 * names too long for a "_dmarc." prefix, the per-evaluation lookup limit,
 * the existence test (NXDOMAIN, NODATA, empty non-terminals), alignment in
 * both modes, exact pct= sampling over many messages, real messages through
 * the From parser, DMARC off, no resolver, and running out of memory.
 *
 * DNS goes through the real libunbound answering from zone files.  The
 * main resolver is built in an unchecked fixture (check's parent process,
 * before any query) so every forked test starts its own worker. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "arena.h"
#include "dmarc.h"
#include "dns.h"
#include "fields.h"
#include "msg.h"
#include "slice.h"
#include "testutil.h"

#define BUDGET_MS 8000
#define TIMEOUT_MS 700

static const char MAIN_ZONE[] =
	"_dmarc.example.com. TXT \"v=DMARC1; p=reject; sp=quarantine; np=reject\"\n"
	"_dmarc.mail.example.com. TXT \"v=DMARC1; p=none\"\n"
	"www.example.com. A 192.0.2.80\n"
	"host.ent.example.com. A 192.0.2.81\n"
	"nodata.example.com. MX 10 mx.example.com.\n"
	"_dmarc.bank.example. TXT \"v=DMARC1; p=reject; psd=y\"\n"
	"_dmarc.giant.bank.example. TXT \"v=DMARC1; p=none\"\n"
	"_dmarc.dup.example. TXT \"v=DMARC1; p=none\"\n"
	"_dmarc.dup.example. TXT \"v=DMARC1; p=reject\"\n"
	"_dmarc.example.net. TXT \"v=DMARC1; p=quarantine\"\n";

static char *zone_path;
static struct dns_resolver *R;
static struct arena *A;

static void unchecked_setup(void)
{
	char err[512], spec[4200];
	zone_path = testutil_write_temp(MAIN_ZONE, sizeof MAIN_ZONE - 1, ".zone");
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

#define S(lit) SLICE_LIT(lit)

static struct dmarc_dns *new_dns(bool prefetch)
{
	struct dmarc_dns *d = dmarc_dns_new(R, A, dns_now_ms() + BUDGET_MS, prefetch);
	ck_assert_ptr_nonnull(d);
	return d;
}

static bool slice_is(struct slice s, const char *lit)
{
	return slice_eq(s, slice_from_cstr(lit));
}

/* A resolver for a zone of its own, made inside the test. */
static struct dns_resolver *own_resolver(const char *zone, char **path)
{
	char err[512], spec[4200];
	*path = testutil_write_temp(zone, strlen(zone), ".zone");
	snprintf(spec, sizeof spec, "zone:%s", *path);
	struct dns_resolver *r = dns_resolver_new(spec, err, sizeof err);
	ck_assert_msg(r != NULL, "%s", err);
	return r;
}

static void drop_resolver(struct dns_resolver *r, char *path)
{
	dns_resolver_free(r);
	unlink(path);
	free(path);
}

START_TEST(dmarc_walk_queries_each_name_once_in_order)
{
	struct dmarc_dns *d = new_dns(false);
	struct dmarc_walk w;
	ck_assert_int_eq(dmarc_walk(d, S("a.b.mail.example.com"), &w), DMARC_OK);
	ck_assert_uint_eq(w.n, 5);
	ck_assert(slice_is(w.name[0], "a.b.mail.example.com"));
	ck_assert(slice_is(w.name[2], "mail.example.com"));
	ck_assert(slice_is(w.name[4], "com"));
	ck_assert_int_eq(w.look[0], DMARC_LOOKUP_NONE);
	ck_assert_int_eq(w.look[2], DMARC_LOOKUP_ONE);
	ck_assert_int_eq(w.look[3], DMARC_LOOKUP_ONE);
	ck_assert(!w.temperror && !w.stopped);
	ck_assert(slice_is(w.org, "example.com"));
	ck_assert_int_eq(w.org_rule, 3);
	ck_assert_uint_eq(dmarc_dns_sent(d), 5);

	/* A second walk sharing names asks only for the new one. */
	ck_assert_int_eq(dmarc_walk(d, S("x.mail.example.com"), &w), DMARC_OK);
	ck_assert_uint_eq(w.n, 4);
	ck_assert_uint_eq(dmarc_dns_sent(d), 6);
	/* The same walk again costs nothing. */
	ck_assert_int_eq(dmarc_walk(d, S("X.Mail.Example.COM."), &w), DMARC_OK);
	ck_assert_uint_eq(dmarc_dns_sent(d), 6);
	ck_assert(slice_is(w.start, "x.mail.example.com"));
}
END_TEST

START_TEST(dmarc_walk_stops_at_psd_y_and_takes_the_name_below)
{
	struct dmarc_dns *d = new_dns(false);
	struct dmarc_walk w;
	ck_assert_int_eq(dmarc_walk(d, S("mail.mega.bank.example"), &w), DMARC_OK);
	ck_assert_uint_eq(w.n, 3);
	ck_assert(w.stopped);
	ck_assert_int_eq(w.psd_index, 2);
	ck_assert(slice_is(w.org, "mega.bank.example"));
	ck_assert_int_eq(w.org_rule, 2);
	ck_assert_uint_eq(dmarc_dns_sent(d), 3); /* never asks _dmarc.example */

	/* psd=y at the start itself: rule 2 does not apply; the start is
	 * the only record, so rule 3 makes it the Organizational Domain. */
	ck_assert_int_eq(dmarc_walk(d, S("bank.example"), &w), DMARC_OK);
	ck_assert_uint_eq(w.n, 1);
	ck_assert(slice_is(w.org, "bank.example"));
	ck_assert_int_eq(w.org_rule, 3);
}
END_TEST

START_TEST(dmarc_walk_with_prefetch_consults_the_same_names)
{
	struct dmarc_dns *d = new_dns(true);
	struct dmarc_walk w;
	ck_assert_int_eq(dmarc_walk(d, S("mail.mega.bank.example"), &w), DMARC_OK);
	ck_assert_uint_eq(w.n, 3);
	ck_assert(slice_is(w.org, "mega.bank.example"));
	/* Prefetch sent the whole list, _dmarc.example included. */
	ck_assert_uint_eq(dmarc_dns_sent(d), 4);
}
END_TEST

START_TEST(dmarc_walk_of_an_invalid_name_is_empty)
{
	struct dmarc_dns *d = new_dns(false);
	struct dmarc_walk w;
	ck_assert_int_eq(dmarc_walk(d, S("bad..name"), &w), DMARC_OK);
	ck_assert_uint_eq(w.n, 0);
	ck_assert_uint_eq(w.org.len, 0);
	ck_assert_int_eq(dmarc_walk(d, S(""), &w), DMARC_OK);
	ck_assert_uint_eq(w.n, 0);
	ck_assert_uint_eq(dmarc_dns_sent(d), 0);
}
END_TEST

START_TEST(dmarc_walk_does_not_ask_for_names_too_long_for_the_prefix)
{
	/* 4 labels of 61 octets: 247 octets, valid; "_dmarc." + it is not. */
	char name[300];
	size_t n = 0;
	for (int l = 0; l < 4; l++) {
		if (l)
			name[n++] = '.';
		memset(name + n, 'a' + l, 61);
		n += 61;
	}
	struct dmarc_dns *d = new_dns(false);
	struct dmarc_walk w;
	ck_assert_int_eq(dmarc_walk(d, slice_make(name, n), &w), DMARC_OK);
	ck_assert_uint_eq(w.n, 4);
	ck_assert_int_eq(w.look[0], DMARC_LOOKUP_NONE);
	ck_assert(!w.temperror);
	ck_assert_uint_eq(dmarc_dns_sent(d), 3);
}
END_TEST

START_TEST(dmarc_walk_reports_a_timeout_as_temperror)
{
	char *path;
	struct dns_resolver *r =
		own_resolver("_dmarc.example.org. TXT \"v=DMARC1; p=none\"\norg. TIMEOUT\n", &path);
	struct dmarc_dns *d = dmarc_dns_new(r, A, dns_now_ms() + TIMEOUT_MS, false);
	struct dmarc_walk w;
	ck_assert_int_eq(dmarc_walk(d, S("mail.example.org"), &w), DMARC_OK);
	/* _dmarc.mail.example.org times out first (below org.). */
	ck_assert(w.temperror);
	ck_assert_int_eq(w.look[w.n - 1], DMARC_LOOKUP_TEMPERROR);
	ck_assert_ptr_null(w.org.ptr);

	struct dmarc_discovery disc;
	d = dmarc_dns_new(r, A, dns_now_ms() + TIMEOUT_MS, false);
	ck_assert_int_eq(dmarc_discover(d, DMARC_MODE_RFC9989, S("example.org"), &disc), DMARC_OK);
	/* The record at the author is found; only the walk above failed. */
	ck_assert_int_eq(disc.found_at, DMARC_FOUND_AUTHOR);
	ck_assert(!disc.temperror);
	ck_assert(disc.walk.temperror);
	drop_resolver(r, path);
}
END_TEST

START_TEST(dmarc_discover_finds_author_org_psd_or_nothing)
{
	struct dmarc_dns *d = new_dns(false);
	struct dmarc_discovery disc;

	ck_assert_int_eq(dmarc_discover(d, DMARC_MODE_RFC9989, S("example.com"), &disc), DMARC_OK);
	ck_assert_int_eq(disc.found_at, DMARC_FOUND_AUTHOR);
	ck_assert(slice_is(disc.policy_domain, "example.com"));
	ck_assert(slice_is(disc.org, "example.com"));

	ck_assert_int_eq(dmarc_discover(d, DMARC_MODE_RFC9989, S("www.example.com"), &disc),
	                 DMARC_OK);
	ck_assert_int_eq(disc.found_at, DMARC_FOUND_ORG);
	ck_assert(slice_is(disc.policy_domain, "example.com"));

	ck_assert_int_eq(dmarc_discover(d, DMARC_MODE_RFC9989, S("x.mega.bank.example"), &disc),
	                 DMARC_OK);
	ck_assert_int_eq(disc.found_at, DMARC_FOUND_PSD);
	ck_assert(slice_is(disc.policy_domain, "bank.example"));
	ck_assert(slice_is(disc.org, "mega.bank.example"));

	ck_assert_int_eq(dmarc_discover(d, DMARC_MODE_RFC9989, S("x.giant.bank.example"), &disc),
	                 DMARC_OK);
	ck_assert_int_eq(disc.found_at, DMARC_FOUND_ORG);
	ck_assert(slice_is(disc.policy_domain, "giant.bank.example"));

	ck_assert_int_eq(dmarc_discover(d, DMARC_MODE_RFC9989, S("nothing.example"), &disc),
	                 DMARC_OK);
	ck_assert_int_eq(disc.found_at, DMARC_FOUND_NONE);
	ck_assert_str_eq(disc.reason, "no DMARC record");

	ck_assert_int_eq(dmarc_discover(d, DMARC_MODE_RFC9989, S("dup.example"), &disc), DMARC_OK);
	ck_assert_int_eq(disc.found_at, DMARC_FOUND_NONE);
	ck_assert(disc.author_multiple);
	ck_assert_int_eq(disc.walk.look[0], DMARC_LOOKUP_MULTIPLE);
}
END_TEST

START_TEST(dmarc_discover_in_rfc7489_mode_asks_author_then_psl_org)
{
	struct dmarc_dns *d = new_dns(false);
	struct dmarc_discovery disc;
	ck_assert_int_eq(dmarc_discover(d, DMARC_MODE_RFC7489, S("a.b.c.example.com"), &disc),
	                 DMARC_OK);
	ck_assert_int_eq(disc.found_at, DMARC_FOUND_ORG);
	ck_assert_uint_eq(disc.walk.n, 2);
	ck_assert(slice_is(disc.walk.name[1], "example.com"));
	ck_assert_uint_eq(dmarc_dns_sent(d), 2);

	/* mail.example.com has its own record. */
	ck_assert_int_eq(dmarc_discover(d, DMARC_MODE_RFC7489, S("mail.example.com"), &disc),
	                 DMARC_OK);
	ck_assert_int_eq(disc.found_at, DMARC_FOUND_AUTHOR);

	/* Several records at the author end discovery in RFC 7489. */
	ck_assert_int_eq(dmarc_discover(d, DMARC_MODE_RFC7489, S("dup.example"), &disc), DMARC_OK);
	ck_assert_int_eq(disc.found_at, DMARC_FOUND_NONE);
	ck_assert(disc.author_multiple);
}
END_TEST

struct align_case {
	enum dmarc_mode mode;
	enum dmarc_align how;
	const char *author, *id;
	enum dmarc_alignment want;
	size_t max_sent; /* lookups allowed */
};

static const struct align_case align_cases[] = {
	{ DMARC_MODE_RFC9989, DMARC_ALIGN_STRICT, "example.com", "example.com", DMARC_ALIGNED, 0 },
	{ DMARC_MODE_RFC9989, DMARC_ALIGN_STRICT, "example.com", "EXAMPLE.COM", DMARC_ALIGNED, 0 },
	{ DMARC_MODE_RFC9989, DMARC_ALIGN_STRICT, "example.com", "a.example.com", DMARC_NOT_ALIGNED, 0 },
	{ DMARC_MODE_RFC9989, DMARC_ALIGN_RELAXED, "example.com", "a.example.com", DMARC_ALIGNED, 3 },
	{ DMARC_MODE_RFC9989, DMARC_ALIGN_RELAXED, "www.example.com", "a.b.example.com", DMARC_ALIGNED, 5 },
	{ DMARC_MODE_RFC9989, DMARC_ALIGN_RELAXED, "example.com", "example.net", DMARC_NOT_ALIGNED, 3 },
	{ DMARC_MODE_RFC9989, DMARC_ALIGN_RELAXED, "example.com", "example.org", DMARC_NOT_ALIGNED, 0 },
	{ DMARC_MODE_RFC9989, DMARC_ALIGN_RELAXED, "example.com", "badexample.com", DMARC_NOT_ALIGNED, 3 },
	{ DMARC_MODE_RFC9989, DMARC_ALIGN_RELAXED, "giant.bank.example", "x.giant.bank.example", DMARC_ALIGNED, 3 },
	{ DMARC_MODE_RFC9989, DMARC_ALIGN_RELAXED, "giant.bank.example", "mega.bank.example", DMARC_NOT_ALIGNED, 3 },
	{ DMARC_MODE_RFC9989, DMARC_ALIGN_RELAXED, "example.com", "", DMARC_NOT_ALIGNED, 0 },
	{ DMARC_MODE_RFC7489, DMARC_ALIGN_RELAXED, "example.com", "a.example.com", DMARC_ALIGNED, 0 },
	{ DMARC_MODE_RFC7489, DMARC_ALIGN_RELAXED, "a.example.co.uk", "b.example.co.uk", DMARC_ALIGNED, 0 },
	{ DMARC_MODE_RFC7489, DMARC_ALIGN_RELAXED, "a.example.co.uk", "other.co.uk", DMARC_NOT_ALIGNED, 0 },
	{ DMARC_MODE_RFC7489, DMARC_ALIGN_RELAXED, "x.blogspot.com", "y.blogspot.com", DMARC_NOT_ALIGNED, 0 },
	{ DMARC_MODE_RFC7489, DMARC_ALIGN_STRICT, "example.com", "a.example.com", DMARC_NOT_ALIGNED, 0 },
};

START_TEST(dmarc_align_check_applies_strict_and_relaxed_rules)
{
	const struct align_case *c = &align_cases[_i];
	struct dmarc_dns *d = new_dns(false);
	enum dmarc_alignment got;
	ck_assert_int_eq(dmarc_align_check(d, c->mode, c->how, slice_from_cstr(c->author),
	                                   SLICE_NULL, slice_from_cstr(c->id), &got),
	                 DMARC_OK);
	ck_assert_msg(got == c->want, "case %d: %s vs %s gave %d", _i, c->author, c->id, got);
	ck_assert_msg(dmarc_dns_sent(d) <= c->max_sent, "case %d: %zu lookups", _i,
	              dmarc_dns_sent(d));
}
END_TEST

START_TEST(dmarc_align_check_reports_a_failed_walk_as_temperror)
{
	char *path;
	struct dns_resolver *r =
		own_resolver("_dmarc.example.org. TXT \"v=DMARC1; p=none\"\norg. TIMEOUT\n", &path);
	struct dmarc_dns *d = dmarc_dns_new(r, A, dns_now_ms() + TIMEOUT_MS, false);
	enum dmarc_alignment got;
	ck_assert_int_eq(dmarc_align_check(d, DMARC_MODE_RFC9989, DMARC_ALIGN_RELAXED,
	                                   S("example.org"), S("example.org"),
	                                   S("bounce.example.org"), &got),
	                 DMARC_OK);
	ck_assert_int_eq(got, DMARC_ALIGN_TEMPERROR);
	/* Strict needs no lookup and stays definite. */
	ck_assert_int_eq(dmarc_align_check(d, DMARC_MODE_RFC9989, DMARC_ALIGN_STRICT,
	                                   S("example.org"), SLICE_NULL, S("bounce.example.org"),
	                                   &got),
	                 DMARC_OK);
	ck_assert_int_eq(got, DMARC_NOT_ALIGNED);
	drop_resolver(r, path);
}
END_TEST

START_TEST(dmarc_domain_exists_tells_nxdomain_from_nodata)
{
	struct dmarc_dns *d = new_dns(false);
	bool exists, temp;
	ck_assert_int_eq(dmarc_domain_exists(d, S("www.example.com"), &exists, &temp), DMARC_OK);
	ck_assert(exists && !temp);
	ck_assert_int_eq(dmarc_domain_exists(d, S("nodata.example.com"), &exists, &temp), DMARC_OK);
	ck_assert(exists && !temp);
	ck_assert_int_eq(dmarc_domain_exists(d, S("ent.example.com"), &exists, &temp), DMARC_OK);
	ck_assert(exists && !temp);
	ck_assert_int_eq(dmarc_domain_exists(d, S("ghost.example.com"), &exists, &temp), DMARC_OK);
	ck_assert(!exists && !temp);
	ck_assert_int_eq(dmarc_domain_exists(d, S("bad..name"), &exists, &temp), DMARC_OK);
	ck_assert(!exists && !temp);
	/* Cached: asking again sends nothing. */
	size_t sent = dmarc_dns_sent(d);
	ck_assert_int_eq(dmarc_domain_exists(d, S("ghost.example.com"), &exists, &temp), DMARC_OK);
	ck_assert_uint_eq(dmarc_dns_sent(d), sent);
}
END_TEST

START_TEST(dmarc_lookups_beyond_the_limit_are_temperror_not_none)
{
	struct dmarc_dns *d = new_dns(false);
	struct dmarc_walk w;
	char name[128];
	bool saw_temp = false;
	for (int i = 0; i < 40 && !saw_temp; i++) {
		snprintf(name, sizeof name, "a.b.c.d.e.f%d.limit%d.example", i, i);
		ck_assert_int_eq(dmarc_walk(d, slice_from_cstr(name), &w), DMARC_OK);
		if (w.temperror)
			saw_temp = true;
		else
			ck_assert(slice_is(w.org, name) || w.org.len > 0);
	}
	ck_assert(saw_temp);
	ck_assert_uint_le(dmarc_dns_sent(d), DMARC_MAX_LOOKUPS);
}
END_TEST

static struct dmarc_eval eval_simple(const struct dmarc_config *cfg, const char *author,
                                     enum dmarc_auth spf, const char *spf_domain)
{
	struct slice ad = slice_from_cstr(author);
	struct dmarc_input in = { .from_case = DMARC_FROM_ONE,
		                  .author_domains = &ad,
		                  .n_author_domains = 1,
		                  .spf = { spf, slice_from_cstr(spf_domain), false } };
	struct dmarc_eval e;
	ck_assert_int_eq(dmarc_evaluate(R, A, cfg, &in, dns_now_ms() + BUDGET_MS, &e), DMARC_OK);
	return e;
}

START_TEST(dmarc_sequential_evaluation_asks_only_what_it_needs)
{
	struct dmarc_config cfg;
	dmarc_config_init(&cfg);
	cfg.prefetch = false;
	/* Author record, SPF on the author: the author's walk only. */
	struct slice ad = S("example.com");
	struct dmarc_input in = { .from_case = DMARC_FROM_ONE,
		                  .author_domains = &ad,
		                  .n_author_domains = 1,
		                  .spf = { DMARC_AUTH_PASS, S("example.com"), false } };
	struct dmarc_eval e;
	ck_assert_int_eq(dmarc_evaluate(R, A, &cfg, &in, dns_now_ms() + BUDGET_MS, &e), DMARC_OK);
	ck_assert_int_eq(e.result, DMARC_PASS);
	ck_assert_uint_eq(e.disc.walk.n, 2);
}
END_TEST

START_TEST(dmarc_pct_sampling_is_exact_for_a_seed)
{
	char *path;
	struct dns_resolver *r =
		own_resolver("_dmarc.example.com. TXT \"v=DMARC1; p=reject; pct=50\"\n", &path);
	struct dmarc_rng g;
	dmarc_rng_seed(&g, 7);
	struct dmarc_config cfg;
	dmarc_config_init(&cfg);
	cfg.mode = DMARC_MODE_RFC7489;
	cfg.rng = &g;
	struct slice ad = S("example.com");
	struct dmarc_input in = { .from_case = DMARC_FROM_ONE,
		                  .author_domains = &ad,
		                  .n_author_domains = 1,
		                  .spf = { DMARC_AUTH_FAIL, S("example.com"), false } };
	int applied = 0, sampled = 0;
	for (int i = 0; i < 1000; i++) {
		struct arena *a = arena_new(0);
		struct dmarc_eval e;
		ck_assert_int_eq(dmarc_evaluate(r, a, &cfg, &in, dns_now_ms() + BUDGET_MS, &e),
		                 DMARC_OK);
		ck_assert_int_eq(e.result, DMARC_FAIL);
		if (e.disposition == DMARC_POLICY_REJECT) {
			applied++;
		} else {
			ck_assert_int_eq(e.disposition, DMARC_POLICY_QUARANTINE);
			ck_assert_int_eq(e.override, DMARC_OVERRIDE_SAMPLED_OUT);
			ck_assert(e.sampled_out);
			sampled++;
		}
		arena_free(a);
	}
	/* Seed 7 gives exactly this split (and it is near one half). */
	ck_assert_int_eq(applied, 501);
	ck_assert_int_eq(sampled, 499);

	/* RFC 9989 mode ignores pct=: every failing message is rejected. */
	cfg.mode = DMARC_MODE_RFC9989;
	for (int i = 0; i < 50; i++) {
		struct arena *a = arena_new(0);
		struct dmarc_eval e;
		ck_assert_int_eq(dmarc_evaluate(r, a, &cfg, &in, dns_now_ms() + BUDGET_MS, &e),
		                 DMARC_OK);
		ck_assert_int_eq(e.disposition, DMARC_POLICY_REJECT);
		arena_free(a);
	}
	drop_resolver(r, path);
}
END_TEST

/* Real messages through the From parser (addr.h) into the evaluation. */
struct msg_case {
	const char *headers;
	enum dmarc_multi_from multi;
	const char *status;
	const char *author; /* dmarc_author_domain */
};

static const struct msg_case msg_cases[] = {
	{ "From: Alice <alice@example.com>\r\n", DMARC_MULTI_REJECT, "accept", "example.com" },
	{ "From: \"Bob <bob@example.net>\" <bob@example.com>\r\n", DMARC_MULTI_REJECT, "accept",
	  "example.com" },
	{ "Subject: no from\r\n", DMARC_MULTI_REJECT, "nofrom", "" },
	{ "From: undisclosed:;\r\n", DMARC_MULTI_REJECT, "nofrom", "" },
	{ "From: a@example.com\r\nFrom: b@example.net\r\n", DMARC_MULTI_REJECT, "reject", "" },
	{ "From: a@example.com\r\nFrom: b@example.net\r\n", DMARC_MULTI_STRICTEST, "quarantine",
	  "example.net" },
	{ "From: a@example.com, b@example.net\r\n", DMARC_MULTI_REJECT, "reject", "" },
	{ "From: a@example.com, b@EXAMPLE.com\r\n", DMARC_MULTI_REJECT, "accept", "example.com" },
	{ "From: a@example.com, c@[192.0.2.1]\r\n", DMARC_MULTI_STRICTEST, "reject", "" },
	/* Relaxed: SPF example.com aligns with www.example.com. */
	{ "From: a@www.example.com\r\n", DMARC_MULTI_REJECT, "accept", "www.example.com" },
	{ "From: a@www.example.com\r\nFrom: b@example.net\r\n", DMARC_MULTI_STRICTEST,
	  "quarantine", "example.net" },
};

START_TEST(dmarc_evaluates_the_authors_the_from_parser_finds)
{
	const struct msg_case *c = &msg_cases[_i];
	char raw[512];
	int n = snprintf(raw, sizeof raw, "%sTo: x@example.org\r\n\r\nbody\r\n", c->headers);
	struct msg m;
	ck_assert_int_eq(msg_parse(&m, A, slice_make(raw, (size_t)n)), MSG_OK);
	struct addr_from af;
	ck_assert_int_eq(addr_from_domains(A, &m, &af), ADDR_OK);
	struct dmarc_input in;
	memset(&in, 0, sizeof in);
	dmarc_input_set_from(&in, &af);
	in.spf = (struct dmarc_spf_input){ DMARC_AUTH_PASS, S("example.com"), false };
	struct dmarc_config cfg;
	dmarc_config_init(&cfg);
	cfg.multi_from = c->multi;
	struct dmarc_eval e;
	ck_assert_int_eq(dmarc_evaluate(R, A, &cfg, &in, dns_now_ms() + BUDGET_MS, &e), DMARC_OK);
	ck_assert_msg(!strcmp(e.status, c->status), "case %d: status %s (%s), want %s", _i,
	              e.status, e.reason, c->status);
	ck_assert_msg(slice_is(e.author_domain, c->author), "case %d: author %.*s", _i,
	              (int)e.author_domain.len, e.author_domain.ptr);
}
END_TEST

START_TEST(dmarc_off_gives_status_off_and_nothing_else)
{
	struct dmarc_config cfg;
	dmarc_config_init(&cfg);
	cfg.enabled = false;
	struct dmarc_input in = { .from_case = DMARC_FROM_NONE };
	struct dmarc_eval e;
	ck_assert_int_eq(dmarc_evaluate(NULL, A, &cfg, &in, 0, &e), DMARC_OK);
	ck_assert(!e.evaluated);
	struct fields fs;
	fields_init(&fs, A);
	dmarc_fields(&e, &fs);
	ck_assert_uint_eq(fs.n, 2);
	ck_assert(slice_is(fields_get(&fs, S("dmarc_status"))->value, "off"));
}
END_TEST

START_TEST(dmarc_without_a_resolver_is_temperror)
{
	struct dmarc_config cfg;
	dmarc_config_init(&cfg);
	struct slice ad = S("example.com");
	struct dmarc_input in = { .from_case = DMARC_FROM_ONE,
		                  .author_domains = &ad,
		                  .n_author_domains = 1 };
	struct dmarc_eval e;
	ck_assert_int_eq(dmarc_evaluate(NULL, A, &cfg, &in, dns_now_ms() + 100, &e), DMARC_OK);
	ck_assert_int_eq(e.result, DMARC_TEMPERROR);
	ck_assert_str_eq(e.status, "temperror");
}
END_TEST

START_TEST(dmarc_out_of_memory_is_an_operational_error_with_a_temperror_verdict)
{
	struct dmarc_config cfg;
	dmarc_config_init(&cfg);
	struct slice ad = S("example.com");
	struct dmarc_input in = { .from_case = DMARC_FROM_ONE,
		                  .author_domains = &ad,
		                  .n_author_domains = 1,
		                  .spf = { DMARC_AUTH_PASS, S("example.com"), false } };
	int nomem = 0, ok = 0;
	for (size_t cap = 64; cap < (1u << 20); cap = cap * 3 / 2) {
		struct arena *a = arena_new(cap);
		struct dmarc_eval e;
		int rc = dmarc_evaluate(R, a, &cfg, &in, dns_now_ms() + BUDGET_MS, &e);
		if (rc == DMARC_E_NOMEM) {
			nomem++;
			ck_assert_int_eq(e.result, DMARC_TEMPERROR);
			ck_assert_str_eq(e.status, "temperror");
		} else {
			ck_assert_int_eq(rc, DMARC_OK);
			ck_assert_int_eq(e.result, DMARC_PASS);
			ok++;
		}
		arena_free(a);
	}
	ck_assert_int_gt(nomem, 0);
	ck_assert_int_gt(ok, 0);
}
END_TEST

START_TEST(dmarc_fields_name_every_detail)
{
	struct dmarc_config cfg;
	dmarc_config_init(&cfg);
	struct dmarc_eval e = eval_simple(&cfg, "www.example.com", DMARC_AUTH_FAIL, "example.org");
	struct fields fs;
	fields_init(&fs, A);
	dmarc_fields(&e, &fs);
	static const char *names[] = {
		"dmarc_status", "dmarc_status_text", "dmarc_used_domain", "dmarc_domain_policy",
		"dmarc_result", "dmarc_reason", "dmarc_author_domain", "dmarc_org_domain",
		"dmarc_policy_found_at", "dmarc_policy_tag", "dmarc_policy", "dmarc_disposition",
		"dmarc_spf_aligned", "dmarc_dkim_aligned", "dmarc_dkim_aligned_domain",
		"dmarc_spf_domain", "dmarc_aspf", "dmarc_adkim", "dmarc_testing", "dmarc_override",
		"dmarc_override_comment", "dmarc_discovery", "dmarc_tree_walk", "dmarc_rua",
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		ck_assert_msg(fields_get(&fs, slice_from_cstr(names[i])) != NULL, "no %s", names[i]);
	ck_assert(slice_is(fields_get(&fs, S("dmarc_status"))->value, "quarantine"));
	ck_assert(fields_get(&fs, S("dmarc_used_domain"))->tainted);
	ck_assert(!fields_get(&fs, S("dmarc_status"))->tainted);
}
END_TEST

static Suite *dmarc_walk_suite(void)
{
	Suite *s = suite_create("dmarc_walk");
	TCase *tc = tcase_create("core");
	tcase_add_unchecked_fixture(tc, unchecked_setup, unchecked_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, dmarc_walk_queries_each_name_once_in_order);
	tcase_add_test(tc, dmarc_walk_stops_at_psd_y_and_takes_the_name_below);
	tcase_add_test(tc, dmarc_walk_with_prefetch_consults_the_same_names);
	tcase_add_test(tc, dmarc_walk_of_an_invalid_name_is_empty);
	tcase_add_test(tc, dmarc_walk_does_not_ask_for_names_too_long_for_the_prefix);
	tcase_add_test(tc, dmarc_walk_reports_a_timeout_as_temperror);
	tcase_add_test(tc, dmarc_discover_finds_author_org_psd_or_nothing);
	tcase_add_test(tc, dmarc_discover_in_rfc7489_mode_asks_author_then_psl_org);
	tcase_add_loop_test(tc, dmarc_align_check_applies_strict_and_relaxed_rules, 0,
	                    (int)(sizeof align_cases / sizeof align_cases[0]));
	tcase_add_test(tc, dmarc_align_check_reports_a_failed_walk_as_temperror);
	tcase_add_test(tc, dmarc_domain_exists_tells_nxdomain_from_nodata);
	tcase_add_test(tc, dmarc_lookups_beyond_the_limit_are_temperror_not_none);
	tcase_add_test(tc, dmarc_sequential_evaluation_asks_only_what_it_needs);
	tcase_add_test(tc, dmarc_pct_sampling_is_exact_for_a_seed);
	tcase_add_loop_test(tc, dmarc_evaluates_the_authors_the_from_parser_finds, 0,
	                    (int)(sizeof msg_cases / sizeof msg_cases[0]));
	tcase_add_test(tc, dmarc_off_gives_status_off_and_nothing_else);
	tcase_add_test(tc, dmarc_without_a_resolver_is_temperror);
	tcase_add_test(tc, dmarc_out_of_memory_is_an_operational_error_with_a_temperror_verdict);
	tcase_add_test(tc, dmarc_fields_name_every_detail);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(dmarc_walk_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
