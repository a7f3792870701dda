/* test_config.c — unit tests for shared/config.c: the mailauth.conf syntax,
 * every option's values and ranges, error messages with file:line, loading
 * from disk (missing default file, unreadable paths, size limit) and the
 * address/domain list lookups the DMARC code uses. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "config.h"
#include "mailauth_limits.h"
#include "slice.h"
#include "testutil.h"

static char ERR[1024];

static struct slice S(const char *s)
{
	return slice_from_cstr(s);
}

/* Parse text that must be valid; fails the test with the message if not. */
static struct config *parse_ok(const char *text)
{
	struct config *c = NULL;
	enum config_status st = config_parse(&c, "test.conf", S(text), ERR, sizeof ERR);
	ck_assert_msg(st == CONFIG_OK, "expected success for \"%s\", got: %s", text, ERR);
	ck_assert_ptr_nonnull(c);
	return c;
}

/* Parse text that must be invalid; the message must contain want. */
static void parse_bad(size_t i, const char *text, const char *want)
{
	struct config *c = (struct config *)1;
	enum config_status st = config_parse(&c, "test.conf", S(text), ERR, sizeof ERR);
	ck_assert_msg(st == CONFIG_E_SYNTAX, "case %zu: expected a syntax error for \"%s\"", i, text);
	ck_assert_msg(c == NULL, "case %zu: *out must be NULL after an error", i);
	ck_assert_msg(strstr(ERR, want) != NULL, "case %zu: message \"%s\" lacks \"%s\"", i, ERR, want);
}

START_TEST(config_defaults_match_the_documented_values)
{
	struct config *c = config_defaults();
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_null(c->authserv_id);
	ck_assert_str_eq(c->resolver, "system");
	ck_assert_uint_eq(c->dns_timeout_ms, DNS_DEFAULT_BUDGET_MS);
	ck_assert_uint_eq(c->dkim_max_signatures, DKIM_MAX_SIGS);
	ck_assert_uint_eq(c->dkim_min_rsa_bits, DKIM_MIN_RSA_BITS);
	ck_assert_uint_eq(c->arc_max_verify, ARC_MAX_VERIFY);
	ck_assert_int_eq(c->dmarc_mode, CONFIG_DMARC_RFC9989);
	ck_assert_int_eq(c->dmarc_multiple_from, CONFIG_MULTIPLE_FROM_STRICTEST);
	ck_assert_uint_eq(c->trusted_arc_sealers.n, 0);
	ck_assert_uint_eq(c->trusted_forwarders.n, 0);
	ck_assert_uint_eq(c->mailing_lists.n, 0);
	ck_assert_ptr_null(c->arc_selector);
	ck_assert_ptr_null(c->arc_domain);
	ck_assert_ptr_null(c->arc_key);
	ck_assert_ptr_null(c->history_file);
	ck_assert(!c->log_results);
	ck_assert(c->local_scan_authres);
	ck_assert_int_eq(c->local_scan_dmarc_reject, CONFIG_ACTION_ACCEPT);
	ck_assert_int_eq(c->local_scan_dmarc_quarantine, CONFIG_ACTION_ACCEPT);
	ck_assert_int_eq(c->local_scan_temperror, CONFIG_ACTION_ACCEPT);
	config_free(c);
}
END_TEST

START_TEST(config_parse_of_an_empty_text_gives_the_defaults)
{
	struct config *c = parse_ok("");
	ck_assert_str_eq(c->resolver, "system");
	ck_assert_str_eq(c->source, "test.conf");
	config_free(c);
	c = parse_ok("\n   \n# only a comment\n\t# indented comment\n");
	ck_assert_uint_eq(c->dns_timeout_ms, DNS_DEFAULT_BUDGET_MS);
	config_free(c);
}
END_TEST

START_TEST(config_parse_sets_every_option)
{
	struct config *c = parse_ok("# a complete file\n"
	                            "authserv_id = mx.example.org\n"
	                            "resolver = forward:127.0.0.1@5353\n"
	                            "dns_timeout = 5s\n"
	                            "dkim_max_signatures = 3\n"
	                            "dkim_min_rsa_bits = 2048\n"
	                            "arc_max_verify = 20\n"
	                            "dmarc_mode = rfc7489\n"
	                            "dmarc_multiple_from = reject\n"
	                            "trusted_arc_sealers = Google.COM, lists.example.net.\n"
	                            "trusted_forwarders = 192.0.2.0/24 2001:db8::/32\n"
	                            "mailing_lists = lists.example.org\n"
	                            "arc_selector = arc2024\n"
	                            "arc_domain = Example.ORG\n"
	                            "arc_key = /etc/exim4/arc.key\n"
	                            "history_file = /var/spool/exim4/mailauth.history\n"
	                            "log_results = yes\n"
	                            "local_scan_authres = no\n"
	                            "local_scan_dmarc_reject = reject\n"
	                            "local_scan_dmarc_quarantine = freeze\n"
	                            "local_scan_temperror = defer\n");
	ck_assert_str_eq(c->authserv_id, "mx.example.org");
	ck_assert_str_eq(c->resolver, "forward:127.0.0.1@5353");
	ck_assert_uint_eq(c->dns_timeout_ms, 5000);
	ck_assert_uint_eq(c->dkim_max_signatures, 3);
	ck_assert_uint_eq(c->dkim_min_rsa_bits, 2048);
	ck_assert_uint_eq(c->arc_max_verify, 20);
	ck_assert_int_eq(c->dmarc_mode, CONFIG_DMARC_RFC7489);
	ck_assert_int_eq(c->dmarc_multiple_from, CONFIG_MULTIPLE_FROM_REJECT);
	ck_assert_uint_eq(c->trusted_arc_sealers.n, 2);
	ck_assert(slice_eq(c->trusted_arc_sealers.item[0], S("google.com")));
	ck_assert(slice_eq(c->trusted_arc_sealers.item[1], S("lists.example.net")));
	ck_assert_uint_eq(c->trusted_forwarders.n, 2);
	ck_assert_int_eq(c->trusted_forwarders.net[0].family, 4);
	ck_assert_uint_eq(c->trusted_forwarders.net[0].prefix, 24);
	ck_assert_int_eq(c->trusted_forwarders.net[1].family, 6);
	ck_assert_uint_eq(c->trusted_forwarders.net[1].prefix, 32);
	ck_assert_uint_eq(c->mailing_lists.n, 1);
	ck_assert_str_eq(c->arc_selector, "arc2024");
	ck_assert_str_eq(c->arc_domain, "example.org");
	ck_assert_str_eq(c->arc_key, "/etc/exim4/arc.key");
	ck_assert_str_eq(c->history_file, "/var/spool/exim4/mailauth.history");
	ck_assert(c->log_results);
	ck_assert(!c->local_scan_authres);
	ck_assert_int_eq(c->local_scan_dmarc_reject, CONFIG_ACTION_REJECT);
	ck_assert_int_eq(c->local_scan_dmarc_quarantine, CONFIG_ACTION_FREEZE);
	ck_assert_int_eq(c->local_scan_temperror, CONFIG_ACTION_DEFER);
	config_free(c);
}
END_TEST

START_TEST(config_parse_accepts_blanks_crlf_and_case_insensitive_words)
{
	struct config *c = parse_ok("\t dmarc_mode\t=\tRFC7489 \r\n"
	                            "log_results=TRUE\r\n"
	                            "local_scan_authres =False\n"
	                            "resolver = SYSTEM");
	ck_assert_int_eq(c->dmarc_mode, CONFIG_DMARC_RFC7489);
	ck_assert(c->log_results);
	ck_assert(!c->local_scan_authres);
	config_free(c);
}
END_TEST

START_TEST(config_parse_reads_durations_with_units)
{
	static const struct {
		const char *text;
		uint64_t ms;
	} t[] = {
		{ "dns_timeout = 20", 20000 },   { "dns_timeout = 20s", 20000 },
		{ "dns_timeout = 1500ms", 1500 }, { "dns_timeout = 2m", 120000 },
		{ "dns_timeout = 1ms", 1 },       { "dns_timeout = 120s", 120000 },
		{ "dns_timeout = 3S", 3000 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct config *c = parse_ok(t[i].text);
		ck_assert_msg(c->dns_timeout_ms == t[i].ms, "case %zu: %s gave %llu ms", i, t[i].text,
		              (unsigned long long)c->dns_timeout_ms);
		config_free(c);
	}
}
END_TEST

START_TEST(config_parse_rejects_values_out_of_range_or_malformed)
{
	static const struct {
		const char *text, *want;
	} t[] = {
		{ "dns_timeout = 0", "test.conf:1: dns_timeout: must be a duration" },
		{ "dns_timeout = 121s", "dns_timeout: must be a duration" },
		{ "dns_timeout = 3m", "dns_timeout: must be a duration" },
		{ "dns_timeout = -1", "dns_timeout" },
		{ "dns_timeout = 5 s", "'5 s'" },
		{ "dns_timeout = 1h", "'1h'" },
		{ "dns_timeout = 99999999999999999999999", "dns_timeout" },
		{ "dkim_max_signatures = 0", "must be a number from 1 to" },
		{ "dkim_max_signatures = 11", "dkim_max_signatures" },
		{ "dkim_max_signatures = +3", "'+3'" },
		{ "dkim_min_rsa_bits = 512", "from 1024 to 8192" },
		{ "dkim_min_rsa_bits = 16384", "dkim_min_rsa_bits" },
		{ "arc_max_verify = 0", "arc_max_verify" },
		{ "dmarc_mode = rfc7208", "must be rfc9989 or rfc7489, got 'rfc7208'" },
		{ "dmarc_multiple_from = first", "must be strictest or reject" },
		{ "log_results = 1", "must be yes or no, got '1'" },
		{ "log_results = yess", "'yess'" },
		{ "local_scan_dmarc_reject = bounce", "must be accept, freeze, defer or reject" },
		{ "local_scan_temperror = reject", "must be accept, freeze or defer, got 'reject'" },
		{ "authserv_id = mx example", "not a valid authserv-id" },
		{ "authserv_id = mx;example", "not a valid authserv-id" },
		{ "authserv_id = \"mx\"", "not a valid authserv-id" },
		{ "authserv_id = mx.\xc3\xa9xample", "'mx.\\xc3\\xa9xample'" },
		{ "resolver = dns", "must be system, forward:ADDR[@PORT], unbound:/PATH or zone:/PATH" },
		{ "resolver = forward:", "forward: needs an IP address" },
		{ "resolver = forward:localhost", "forward: needs an IP address" },
		{ "resolver = forward:127.0.0.1@0", "bad port" },
		{ "resolver = forward:127.0.0.1@65536", "bad port" },
		{ "resolver = forward:::1@x", "bad port" },
		{ "resolver = zone:relative/file", "needs an absolute path" },
		{ "resolver = unbound:", "needs an absolute path" },
		{ "resolver = ldap:/x", "must be system" },
		{ "trusted_arc_sealers = ,", "needs at least one entry" },
		{ "trusted_arc_sealers = good.example, bad..example", "not a domain name: 'bad..example'" },
		{ "mailing_lists = exa$mple.org", "not a domain name: 'exa$mple.org'" },
		{ "trusted_forwarders = 192.0.2.0/33", "not an IP address or ADDRESS/PREFIX: '192.0.2.0/33'" },
		{ "trusted_forwarders = 2001:db8::/129", "'2001:db8::/129'" },
		{ "trusted_forwarders = mail.example.org", "'mail.example.org'" },
		{ "trusted_forwarders = 192.0.2.1/", "'192.0.2.1/'" },
		{ "arc_domain = exa mple", "arc_domain: is not a valid domain name" },
		{ "arc_key = arc.key", "arc_key: must be an absolute path, got 'arc.key'" },
		{ "history_file = ~/history", "must be an absolute path" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		parse_bad(i, t[i].text, t[i].want);
}
END_TEST

START_TEST(config_parse_reports_structural_errors_with_file_and_line)
{
	static const struct {
		const char *text, *want;
	} t[] = {
		{ "# comment\n\nno_such_option = 1\n", "test.conf:3: unknown option 'no_such_option'" },
		{ "Authserv_ID = mx.example\n", "test.conf:1: unknown option 'Authserv_ID'" },
		{ "log_results yes\n", "test.conf:1: expected 'name = value', got 'log_results yes'" },
		{ "log_results = yes\nlog_results = no\n",
		  "test.conf:2: option 'log_results' is set twice (first on line 1)" },
		{ "history_file =\n", "test.conf:1: history_file: needs a value" },
		{ "= yes\n", "test.conf:1: unknown option ''" },
		{ "dmarc_mode = rfc9989 # the default\n", "'rfc9989 # the default'" },
		{ "log_results = yes\nlog\0_results = no\n", "test.conf:2: NUL byte in line" },
		{ "arc_selector = s1\narc_key = /k\n",
		  "test.conf:1: arc_selector, arc_domain and arc_key must be set together (missing: "
		  "arc_domain)" },
		{ "log_results = yes\narc_key = /k\n", "test.conf:2: arc_selector, arc_domain and arc_key" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		/* Case 7 holds a NUL: give its real length. */
		size_t len = i == 7 ? sizeof "log_results = yes\nlog\0_results = no\n" - 1 : strlen(t[i].text);
		struct config *c = (struct config *)1;
		enum config_status st =
			config_parse(&c, "test.conf", slice_make(t[i].text, len), ERR, sizeof ERR);
		ck_assert_msg(st == CONFIG_E_SYNTAX, "case %zu: expected an error", i);
		ck_assert_ptr_null(c);
		ck_assert_msg(strstr(ERR, t[i].want) != NULL, "case %zu: \"%s\" lacks \"%s\"", i, ERR,
		              t[i].want);
	}
}
END_TEST

START_TEST(config_error_messages_escape_and_cut_quoted_text)
{
	char text[400];
	memset(text, 'x', sizeof text);
	memcpy(text, "authserv_id = ", 14);
	text[14] = '\x01';
	struct config *c;
	enum config_status st = config_parse(&c, "f", slice_make(text, sizeof text), ERR, sizeof ERR);
	ck_assert_int_eq(st, CONFIG_E_SYNTAX);
	ck_assert_msg(strstr(ERR, "'\\x01xxx") != NULL, "%s", ERR);
	ck_assert_msg(strstr(ERR, "...'") != NULL, "long text must be cut: %s", ERR);
	ck_assert_uint_lt(strlen(ERR), 250);
	/* A tiny error buffer gets a truncated, terminated message. */
	char small[8];
	st = config_parse(&c, "f", S("bogus = 1"), small, sizeof small);
	ck_assert_int_eq(st, CONFIG_E_SYNTAX);
	ck_assert_uint_eq(strlen(small), sizeof small - 1);
}
END_TEST

START_TEST(config_parse_masks_host_bits_and_matches_addresses)
{
	struct config *c = parse_ok("trusted_forwarders = 192.0.2.77/24, 198.51.100.7, "
	                            "2001:db8:1::ff/48, 10.0.0.0/0\n");
	const struct config_nets *n = &c->trusted_forwarders;
	ck_assert_uint_eq(n->n, 4);
	ck_assert_uint_eq(n->net[0].addr[3], 0);
	ck_assert_uint_eq(n->net[1].prefix, 32);
	config_free(c);

	c = parse_ok("trusted_forwarders = 192.0.2.77/25, 198.51.100.7, 2001:db8:1::/48\n");
	n = &c->trusted_forwarders;
	static const struct {
		const char *ip;
		bool in;
	} t[] = {
		{ "192.0.2.1", true },        { "192.0.2.127", true },
		{ "192.0.2.128", false },     { "198.51.100.7", true },
		{ "198.51.100.8", false },    { "2001:db8:1:ffff::1", true },
		{ "2001:db8:2::1", false },   { "::ffff:192.0.2.5", true },
		{ "::ffff:198.51.100.9", false }, { "not-an-ip", false },
		{ "", false },                { "192.0.2.1 ", false },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		ck_assert_msg(config_nets_contain(n, S(t[i].ip)) == t[i].in, "case %zu: %s", i, t[i].ip);
	config_free(c);

	c = parse_ok("trusted_forwarders = 0.0.0.0/0\n");
	ck_assert(config_nets_contain(&c->trusted_forwarders, S("203.0.113.9")));
	ck_assert(!config_nets_contain(&c->trusted_forwarders, S("2001:db8::1")));
	config_free(c);
}
END_TEST

START_TEST(config_list_contains_compares_domains_case_insensitively)
{
	struct config *c = parse_ok("mailing_lists = Lists.Example.org lists.example.net\n");
	ck_assert(config_list_contains(&c->mailing_lists, S("lists.example.org")));
	ck_assert(config_list_contains(&c->mailing_lists, S("LISTS.EXAMPLE.NET.")));
	ck_assert(!config_list_contains(&c->mailing_lists, S("example.org")));
	ck_assert(!config_list_contains(&c->mailing_lists, S("x.lists.example.org")));
	ck_assert(!config_list_contains(&c->trusted_arc_sealers, S("lists.example.org")));
	config_free(c);
}
END_TEST

START_TEST(config_list_accepts_up_to_the_item_limit)
{
	struct arena *a = arena_new(0);
	struct buf b;
	buf_init(&b, a, 1u << 20);
	buf_add_cstr(&b, "mailing_lists =");
	for (unsigned i = 0; i < CONFIG_MAX_LIST_ITEMS; i++)
		buf_addf(&b, " l%u.example", i);
	struct config *c = parse_ok(buf_cstr(&b));
	ck_assert_uint_eq(c->mailing_lists.n, CONFIG_MAX_LIST_ITEMS);
	config_free(c);
	buf_add_cstr(&b, " one.more.example");
	parse_bad(0, buf_cstr(&b), "CONFIG_MAX_LIST_ITEMS");
	arena_free(a);
}
END_TEST

START_TEST(config_format_round_trips_through_config_parse)
{
	struct arena *a = arena_new(0);
	const char *texts[] = {
		"",
		"authserv_id = mx.example.org\nresolver = zone:/tmp/x.zone\ndns_timeout = 1500ms\n"
		"trusted_forwarders = 192.0.2.9/24, ::1, 2001:db8::/32\nmailing_lists = a.example\n"
		"trusted_arc_sealers = B.example\narc_selector = s\narc_domain = d.example\n"
		"arc_key = /k\nhistory_file = /h\nlocal_scan_temperror = freeze\ndmarc_mode = rfc7489\n"
		"dmarc_multiple_from = reject\nlog_results = yes\n",
	};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		struct config *c1 = parse_ok(texts[i]);
		struct buf b1, b2;
		buf_init(&b1, a, 1u << 16);
		config_format(c1, &b1);
		ck_assert(!b1.err);
		struct config *c2 = parse_ok(buf_cstr(&b1));
		buf_init(&b2, a, 1u << 16);
		config_format(c2, &b2);
		ck_assert_msg(slice_eq(buf_slice(&b1), buf_slice(&b2)), "case %zu:\n%s\n---\n%s", i,
		              buf_cstr(&b1), buf_cstr(&b2));
		config_free(c1);
		config_free(c2);
	}
	/* Spot checks of the printed form. */
	struct config *c = parse_ok(texts[1]);
	struct buf b;
	buf_init(&b, a, 1u << 16);
	config_format(c, &b);
	const char *out = buf_cstr(&b);
	ck_assert_msg(strstr(out, "dns_timeout = 1500ms\n"), "%s", out);
	ck_assert_msg(strstr(out, "trusted_forwarders = 192.0.2.0/24, ::1, 2001:db8::/32\n"), "%s", out);
	ck_assert_msg(strstr(out, "trusted_arc_sealers = b.example\n"), "%s", out);
	ck_assert_msg(strstr(out, "local_scan_temperror = freeze\n"), "%s", out);
	config_free(c);
	c = config_defaults();
	buf_init(&b, a, 1u << 16);
	config_format(c, &b);
	out = buf_cstr(&b);
	ck_assert_msg(strstr(out, "resolver = system\n"), "%s", out);
	ck_assert_msg(strstr(out, "dns_timeout = 20s\n"), "%s", out);
	ck_assert_msg(!strstr(out, "authserv_id"), "unset options are left out: %s", out);
	config_free(c);
	arena_free(a);
}
END_TEST

START_TEST(config_report_enable_is_off_by_default_and_a_yes_no_option)
{
	struct config *c = parse_ok("");
	ck_assert(!c->report_enable);
	config_free(c);
	c = parse_ok("report_enable = yes\n");
	ck_assert(c->report_enable);
	config_free(c);
	c = parse_ok("report_enable = No\r\n");
	ck_assert(!c->report_enable);
	config_free(c);
	parse_bad(0, "report_enable = sometimes\n", "report_enable: must be yes or no, got 'sometimes'");
	parse_bad(1, "report_enable = yes\nreport_enable = yes\n", "option 'report_enable' is set twice");
}
END_TEST

START_TEST(config_failure_reports_are_off_by_default_and_need_a_directory)
{
	struct config *c = parse_ok("");
	ck_assert(!c->failure_reports);
	ck_assert_ptr_null(c->failure_report_dir);
	ck_assert_int_eq(c->failure_report_redact, CONFIG_REDACT_LOCALPART);
	ck_assert_uint_eq(c->failure_report_rate, FAILURE_DEFAULT_RATE);
	config_free(c);
	c = parse_ok("failure_reports = yes\nfailure_report_dir = /var/spool/ruf\n"
	             "failure_report_redact = none\nfailure_report_rate = 3\n");
	ck_assert(c->failure_reports);
	ck_assert_str_eq(c->failure_report_dir, "/var/spool/ruf");
	ck_assert_int_eq(c->failure_report_redact, CONFIG_REDACT_NONE);
	ck_assert_uint_eq(c->failure_report_rate, 3);
	/* config_format() writes them back in a form the parser accepts */
	struct arena *a = arena_new(0);
	struct buf b;
	buf_init(&b, a, 1 << 16);
	config_format(c, &b);
	ck_assert_msg(strstr(buf_cstr(&b), "failure_report_redact = none\n"), "%s", buf_cstr(&b));
	struct config *c2 = parse_ok(buf_cstr(&b));
	ck_assert(c2->failure_reports && c2->failure_report_rate == 3);
	config_free(c2);
	arena_free(a);
	config_free(c);
	parse_bad(0, "failure_reports = yes\n", "failure_reports = yes needs failure_report_dir");
	parse_bad(1, "failure_report_redact = all\n",
	          "failure_report_redact: must be localpart or none, got 'all'");
	parse_bad(2, "failure_report_rate = 0\n", "failure_report_rate: must be a number from 1 to");
	parse_bad(3, "failure_report_dir = spool\n", "failure_report_dir: must be an absolute path");
}
END_TEST

START_TEST(config_load_of_a_missing_file_gives_defaults_only_when_allowed)
{
	struct config *c = (struct config *)1;
	const char *path = "/nonexistent-mailauth-test/mailauth.conf";
	ck_assert_int_eq(config_load(&c, path, true, ERR, sizeof ERR), CONFIG_OK);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->resolver, "system");
	config_free(c);
	ck_assert_int_eq(config_load(&c, path, false, ERR, sizeof ERR), CONFIG_E_IO);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(ERR, path) && strstr(ERR, "No such file"), "%s", ERR);
}
END_TEST

START_TEST(config_load_reads_a_file_and_names_it_in_errors)
{
	const char good[] = "dmarc_mode = rfc7489\n";
	char *path = testutil_write_temp(good, sizeof good - 1, ".conf");
	ck_assert_ptr_nonnull(path);
	struct config *c;
	ck_assert_int_eq(config_load(&c, path, false, ERR, sizeof ERR), CONFIG_OK);
	ck_assert_int_eq(c->dmarc_mode, CONFIG_DMARC_RFC7489);
	ck_assert_str_eq(c->source, path);
	config_free(c);
	unlink(path);
	free(path);

	const char bad[] = "# ok\nresolver = zone:/x\nfrobnicate = 1\n";
	path = testutil_write_temp(bad, sizeof bad - 1, ".conf");
	ck_assert_int_eq(config_load(&c, path, true, ERR, sizeof ERR), CONFIG_E_SYNTAX);
	ck_assert_ptr_null(c);
	char want[4200];
	snprintf(want, sizeof want, "%s:3: unknown option 'frobnicate'", path);
	ck_assert_str_eq(ERR, want);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(config_load_refuses_directories_and_oversized_files)
{
	struct config *c;
	ck_assert_int_eq(config_load(&c, "/", true, ERR, sizeof ERR), CONFIG_E_IO);
	ck_assert_msg(strstr(ERR, "not a regular file"), "%s", ERR);

	size_t n = CONFIG_MAX_FILE_BYTES + 1;
	char *big = malloc(n);
	ck_assert_ptr_nonnull(big);
	memset(big, '\n', n);
	char *path = testutil_write_temp(big, n, ".conf");
	ck_assert_ptr_nonnull(path);
	ck_assert_int_eq(config_load(&c, path, true, ERR, sizeof ERR), CONFIG_E_IO);
	ck_assert_msg(strstr(ERR, "CONFIG_MAX_FILE_BYTES"), "%s", ERR);
	unlink(path);
	free(path);
	/* Exactly the limit is fine. */
	path = testutil_write_temp(big, n - 1, ".conf");
	ck_assert_int_eq(config_load(&c, path, true, ERR, sizeof ERR), CONFIG_OK);
	config_free(c);
	unlink(path);
	free(path);
	free(big);
}
END_TEST

START_TEST(config_load_reports_unreadable_files)
{
	if (geteuid() == 0) {
		/* root reads everything; use a path below a regular file instead. */
		const char x[] = "x";
		char *path = testutil_write_temp(x, 1, ".conf");
		char sub[4200];
		snprintf(sub, sizeof sub, "%s/mailauth.conf", path);
		struct config *c;
		ck_assert_int_eq(config_load(&c, sub, true, ERR, sizeof ERR), CONFIG_E_IO);
		ck_assert_msg(strstr(ERR, "Not a directory"), "%s", ERR);
		unlink(path);
		free(path);
		return;
	}
	const char x[] = "log_results = yes\n";
	char *path = testutil_write_temp(x, sizeof x - 1, ".conf");
	chmod(path, 0);
	struct config *c;
	ck_assert_int_eq(config_load(&c, path, true, ERR, sizeof ERR), CONFIG_E_IO);
	ck_assert_msg(strstr(ERR, "Permission denied"), "%s", ERR);
	unlink(path);
	free(path);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");
	tcase_add_test(tc, config_defaults_match_the_documented_values);
	tcase_add_test(tc, config_parse_of_an_empty_text_gives_the_defaults);
	tcase_add_test(tc, config_parse_sets_every_option);
	tcase_add_test(tc, config_parse_accepts_blanks_crlf_and_case_insensitive_words);
	tcase_add_test(tc, config_parse_reads_durations_with_units);
	tcase_add_test(tc, config_parse_rejects_values_out_of_range_or_malformed);
	tcase_add_test(tc, config_parse_reports_structural_errors_with_file_and_line);
	tcase_add_test(tc, config_error_messages_escape_and_cut_quoted_text);
	tcase_add_test(tc, config_parse_masks_host_bits_and_matches_addresses);
	tcase_add_test(tc, config_list_contains_compares_domains_case_insensitively);
	tcase_add_test(tc, config_list_accepts_up_to_the_item_limit);
	tcase_add_test(tc, config_format_round_trips_through_config_parse);
	tcase_add_test(tc, config_report_enable_is_off_by_default_and_a_yes_no_option);
	tcase_add_test(tc, config_failure_reports_are_off_by_default_and_need_a_directory);
	tcase_add_test(tc, config_load_of_a_missing_file_gives_defaults_only_when_allowed);
	tcase_add_test(tc, config_load_reads_a_file_and_names_it_in_errors);
	tcase_add_test(tc, config_load_refuses_directories_and_oversized_files);
	tcase_add_test(tc, config_load_reports_unreadable_files);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
